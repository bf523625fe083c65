-- A SuiteCRM-shaped test schema for the "suitecrm" mapping preset, MySQL/MariaDB.
--
-- It reproduces the tables of SuiteCRM 7 (7.10 and later) that the preset reads, with the
-- column names and types SuiteCRM's vardefs give them, plus the e-mail tables to show
-- where SuiteCRM keeps addresses. It is a fixture for tests and demos: a real SuiteCRM
-- installation already has these tables (and a few hundred more).
--
-- Where the preset's fields are:
--   contacts        id (key), deleted (soft delete), first_name, last_name, title (jobRole),
--                   phone_work (phone), phone_mobile, phone_home, phone_other, phone_fax,
--                   do_not_call (optOut), lawful_basis (legalBasis), lawful_basis_source
--                   (consentMethod), date_reviewed (consentAt), date_entered (createdAt),
--                   date_modified, birthdate (birthDate), department
--   contacts_cstm   id_c (1:1 with contacts.id): custom fields made in Studio end in _c.
--                   Before 7.10, lawful_basis/lawful_basis_source/date_reviewed were
--                   custom fields here; the preset finds them in either place.
--   calls           id, date_start (interaction time), direction (Inbound/Outbound), deleted
--   calls_contacts  call_id, contact_id, deleted (many-to-many link)
-- SuiteCRM has no column for contactType, legalHold or lifecycleStage: the custom fields
-- contact_type_c and legal_hold_c below show how to add them and map them explicitly.
-- SuiteCRM 7 creates its tables in utf8 (utf8mb3).
--
-- The e-mail tables were checked against salesagility/SuiteCRM modules/Emails/vardefs.php
-- (with the default, basic and assignable templates) and metadata/emails_beansMetaData.php
-- at 0bfc8d9a (7.x): names, types (id → CHAR(36), bool → TINYINT(1)) and indexes.
--
-- The contact and link tables were checked against salesagility/SuiteCRM (7.x):
--   contacts        include/SugarObjects/templates/person/vardefs.php at 013258a9 (first_name,
--                   last_name, title VARCHAR(100); department VARCHAR(255); do_not_call bool;
--                   phone_* phone → VARCHAR(100); lawful_basis multienum → TEXT;
--                   lawful_basis_source enum len 100; date_reviewed date; addresses) and
--                   modules/Contacts/vardefs.php at 0bfc8d9a (birthdate date, reports_to_id)
--   calls_contacts, accounts_contacts, opportunities_contacts
--                   metadata/calls_contactsMetaData.php, accounts_contactsMetaData.php,
--                   opportunities_contactsMetaData.php at 0bfc8d9a (ids VARCHAR(36),
--                   required/accept_status, contact_role VARCHAR(50), indexes; the
--                   idx_opportunities_contacts alternate key was missing here and is added)
--   email_addresses, email_addr_bean_rel
--                   metadata/email_addressesMetaData.php at 0bfc8d9a (email_address is declared
--                   with 'length', which SugarCRM's schema builder ignores: VARCHAR(255);
--                   bean_module VARCHAR(100); primary_address bool)
--
-- calls, meetings, meetings_contacts, notes, tasks and contacts_cstm were checked against
-- salesagility/SuiteCRM at tag v7.14.6 (commit e572230a, the newest 7.x in the store):
--   calls           modules/Calls/vardefs.php (templates default + assignable): every
--                   column as here; SuiteCRM's MySQL manager writes int fields without a
--                   display width (the `len` of an int is not used), so INT, not INT(2)
--   meetings        modules/Meetings/vardefs.php: the table lacked modified_user_id,
--                   created_by, the web-meeting columns (password, join_url, host_url,
--                   displayed_url, creator, external_id), reminders, outlook_id, sequence,
--                   the repeat_* columns, gsync_id/gsync_lastsync and the idx_mtg_name and
--                   idx_meet_stat_del indexes: added. Meetings have no direction column
--                   (the vardef is non-db): the preset reads none.
--   meetings_contacts
--                   metadata/meetings_contactsMetaData.php: as calls_contacts; the
--                   idx_meeting_contact alternate key (a plain index in MySQL) was missing
--   notes           modules/Notes/vardefs.php (no default template: its own id, dates,
--                   modified_user_id, created_by; assignable adds assigned_user_id, first):
--                   the user columns and idx_notes_assigned_del were missing
--   tasks           modules/Tasks/vardefs.php (default + assignable): the table lacked
--                   date_modified, the user columns, date_start, the *_flag bools, and
--                   the idx_task_assigned and idx_task_status indexes: added
--   contacts_cstm   not part of the vardefs: SuiteCRM creates <table>_cstm the first time
--                   a custom field is added (modules/DynamicFields/DynamicField.php
--                   createCustomTable: id_c id required → CHAR(36) NOT NULL, primary key).
--                   A fresh 7.x install has it, because the installer adds the Maps
--                   module's four fields to Contacts (install/suite_install/GoogleMaps.php:
--                   jjwg_maps_lng_c float max_size 11 precision 8, jjwg_maps_lat_c float
--                   10,8, jjwg_maps_geocode_status_c and jjwg_maps_address_c varchar 255).
--                   contact_type_c and legal_hold_c are NOT SuiteCRM's: they stand for
--                   Studio fields an administrator adds, and are mapped in the tests'
--                   overrides, never by the preset. The preset assumes only that
--                   contacts_cstm exists keyed by id_c (and reads the pre-7.10 GDPR fields
--                   lawful_basis[_c], lawful_basis_source[_c], date_reviewed[_c] there
--                   when contacts lacks them).

CREATE TABLE contacts (
    id                         CHAR(36) NOT NULL,
    date_entered               DATETIME DEFAULT NULL,
    date_modified              DATETIME DEFAULT NULL,
    modified_user_id           CHAR(36) DEFAULT NULL,
    created_by                 CHAR(36) DEFAULT NULL,
    description                TEXT,
    deleted                    TINYINT(1) DEFAULT 0,
    assigned_user_id           CHAR(36) DEFAULT NULL,
    salutation                 VARCHAR(255) DEFAULT NULL,
    first_name                 VARCHAR(100) DEFAULT NULL,
    last_name                  VARCHAR(100) DEFAULT NULL,
    title                      VARCHAR(100) DEFAULT NULL,
    photo                      VARCHAR(255) DEFAULT NULL,
    department                 VARCHAR(255) DEFAULT NULL,
    do_not_call                TINYINT(1) DEFAULT 0,
    phone_home                 VARCHAR(100) DEFAULT NULL,
    phone_mobile               VARCHAR(100) DEFAULT NULL,
    phone_work                 VARCHAR(100) DEFAULT NULL,
    phone_other                VARCHAR(100) DEFAULT NULL,
    phone_fax                  VARCHAR(100) DEFAULT NULL,
    lawful_basis               TEXT,
    date_reviewed              DATE DEFAULT NULL,
    lawful_basis_source        VARCHAR(100) DEFAULT NULL,
    primary_address_street     VARCHAR(150) DEFAULT NULL,
    primary_address_city       VARCHAR(100) DEFAULT NULL,
    primary_address_state      VARCHAR(100) DEFAULT NULL,
    primary_address_postalcode VARCHAR(20) DEFAULT NULL,
    primary_address_country    VARCHAR(255) DEFAULT NULL,
    alt_address_street         VARCHAR(150) DEFAULT NULL,
    alt_address_city           VARCHAR(100) DEFAULT NULL,
    alt_address_state          VARCHAR(100) DEFAULT NULL,
    alt_address_postalcode     VARCHAR(20) DEFAULT NULL,
    alt_address_country        VARCHAR(255) DEFAULT NULL,
    assistant                  VARCHAR(75) DEFAULT NULL,
    assistant_phone            VARCHAR(100) DEFAULT NULL,
    lead_source                VARCHAR(255) DEFAULT NULL,
    reports_to_id              CHAR(36) DEFAULT NULL,
    birthdate                  DATE DEFAULT NULL,
    campaign_id                CHAR(36) DEFAULT NULL,
    joomla_account_id          VARCHAR(255) DEFAULT NULL,
    portal_account_type        VARCHAR(100) DEFAULT NULL,
    portal_user_type           VARCHAR(100) DEFAULT 'Single',
    PRIMARY KEY (id),
    KEY idx_cont_last_first (last_name, first_name, deleted),
    KEY idx_contacts_del_last (deleted, last_name),
    KEY idx_cont_del_reports (deleted, reports_to_id, last_name),
    KEY idx_reports_to_id (reports_to_id),
    KEY idx_del_id_user (deleted, id, assigned_user_id),
    KEY idx_cont_assigned (assigned_user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- Studio custom fields of Contacts. The jjwg_maps_* columns come with SuiteCRM's Maps
-- module; contact_type_c and legal_hold_c are custom GDPR fields an administrator adds.
CREATE TABLE contacts_cstm (
    id_c                       CHAR(36) NOT NULL,
    jjwg_maps_lng_c            FLOAT(11, 8) DEFAULT 0.00000000,
    jjwg_maps_lat_c            FLOAT(10, 8) DEFAULT 0.00000000,
    jjwg_maps_geocode_status_c VARCHAR(255) DEFAULT NULL,
    jjwg_maps_address_c        VARCHAR(255) DEFAULT NULL,
    contact_type_c             VARCHAR(100) DEFAULT NULL,
    legal_hold_c               TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id_c)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE calls (
    id                   CHAR(36) NOT NULL,
    name                 VARCHAR(50) DEFAULT NULL,
    date_entered         DATETIME DEFAULT NULL,
    date_modified        DATETIME DEFAULT NULL,
    modified_user_id     CHAR(36) DEFAULT NULL,
    created_by           CHAR(36) DEFAULT NULL,
    description          TEXT,
    deleted              TINYINT DEFAULT 0,
    assigned_user_id     CHAR(36) DEFAULT NULL,
    duration_hours       INT DEFAULT NULL,
    duration_minutes     INT DEFAULT NULL,
    date_start           DATETIME DEFAULT NULL,
    date_end             DATETIME DEFAULT NULL,
    parent_type          VARCHAR(255) DEFAULT NULL,
    status               VARCHAR(100) DEFAULT 'Planned',
    direction            VARCHAR(100) DEFAULT NULL,
    parent_id            CHAR(36) DEFAULT NULL,
    reminder_time        INT DEFAULT -1,
    email_reminder_time  INT DEFAULT -1,
    email_reminder_sent  TINYINT DEFAULT 0,
    outlook_id           VARCHAR(255) DEFAULT NULL,
    repeat_type          VARCHAR(36) DEFAULT NULL,
    repeat_interval      INT DEFAULT 1,
    repeat_dow           VARCHAR(7) DEFAULT NULL,
    repeat_until         DATE DEFAULT NULL,
    repeat_count         INT DEFAULT NULL,
    repeat_parent_id     CHAR(36) DEFAULT NULL,
    recurring_source     VARCHAR(36) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY idx_call_name (name),
    KEY idx_status (status),
    KEY idx_calls_date_start (date_start),
    KEY idx_calls_par_del (parent_id, parent_type, deleted),
    KEY idx_calls_assigned_del (deleted, assigned_user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE calls_contacts (
    id            VARCHAR(36) NOT NULL,
    call_id       VARCHAR(36) DEFAULT NULL,
    contact_id    VARCHAR(36) DEFAULT NULL,
    required      VARCHAR(1) DEFAULT '1',
    accept_status VARCHAR(25) DEFAULT 'none',
    date_modified DATETIME DEFAULT NULL,
    deleted       TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY idx_con_call_call (call_id),
    KEY idx_con_call_con (contact_id),
    KEY idx_call_contact (call_id, contact_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- E-mail addresses are not contact columns in SuiteCRM: a contact's addresses are rows of
-- email_addresses linked through email_addr_bean_rel (bean_module = 'Contacts').
CREATE TABLE email_addresses (
    id                  CHAR(36) NOT NULL,
    email_address       VARCHAR(255) DEFAULT NULL,
    email_address_caps  VARCHAR(255) DEFAULT NULL,
    invalid_email       TINYINT(1) DEFAULT 0,
    opt_out             TINYINT(1) DEFAULT 0,
    confirm_opt_in      VARCHAR(255) DEFAULT 'not-opt-in',
    date_created        DATETIME DEFAULT NULL,
    date_modified       DATETIME DEFAULT NULL,
    deleted             TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY idx_ea_caps_opt_out_invalid (email_address_caps, opt_out, invalid_email),
    KEY idx_ea_opt_out_invalid (email_address, opt_out, invalid_email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE email_addr_bean_rel (
    id                CHAR(36) NOT NULL,
    email_address_id  CHAR(36) NOT NULL,
    bean_id           CHAR(36) NOT NULL,
    bean_module       VARCHAR(100) DEFAULT NULL,
    primary_address   TINYINT(1) DEFAULT 0,
    reply_to_address  TINYINT(1) DEFAULT 0,
    date_created      DATETIME DEFAULT NULL,
    date_modified     DATETIME DEFAULT NULL,
    deleted           TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY idx_email_address_id (email_address_id),
    KEY idx_bean_id (bean_id, bean_module)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- Meetings, notes, tasks and the account and opportunity links: the preset counts
-- meetings as interactions, deletes notes, tasks and links, and detaches calls and
-- meetings whose parent is the contact. meetings: modules/Meetings/vardefs.php (templates
-- default + assignable), meetings_contacts: metadata/meetings_contactsMetaData.php, notes:
-- modules/Notes/vardefs.php (its own id/date/user columns + assignable), tasks:
-- modules/Tasks/vardefs.php (default + assignable); all at SuiteCRM 7.14.6 (see the
-- header). meetings.direction is non-db (no column); notes.portal_flag is a required
-- bool, which SuiteCRM creates without NOT NULL (only ids are NOT NULL).
CREATE TABLE meetings (
    id                   CHAR(36) NOT NULL,
    name                 VARCHAR(50) DEFAULT NULL,
    date_entered         DATETIME DEFAULT NULL,
    date_modified        DATETIME DEFAULT NULL,
    modified_user_id     CHAR(36) DEFAULT NULL,
    created_by           CHAR(36) DEFAULT NULL,
    description          TEXT,
    deleted              TINYINT(1) DEFAULT 0,
    assigned_user_id     CHAR(36) DEFAULT NULL,
    location             VARCHAR(50) DEFAULT NULL,
    password             VARCHAR(50) DEFAULT NULL,
    join_url             VARCHAR(200) DEFAULT NULL,
    host_url             VARCHAR(400) DEFAULT NULL,
    displayed_url        VARCHAR(400) DEFAULT NULL,
    creator              VARCHAR(50) DEFAULT NULL,
    external_id          VARCHAR(50) DEFAULT NULL,
    duration_hours       INT DEFAULT NULL,
    duration_minutes     INT DEFAULT NULL,
    date_start           DATETIME DEFAULT NULL,
    date_end             DATETIME DEFAULT NULL,
    parent_type          VARCHAR(100) DEFAULT NULL,
    status               VARCHAR(100) DEFAULT 'Planned',
    type                 VARCHAR(255) DEFAULT 'Sugar',
    parent_id            CHAR(36) DEFAULT NULL,
    reminder_time        INT DEFAULT -1,
    email_reminder_time  INT DEFAULT -1,
    email_reminder_sent  TINYINT(1) DEFAULT 0,
    outlook_id           VARCHAR(255) DEFAULT NULL,
    sequence             INT DEFAULT 0,
    repeat_type          VARCHAR(36) DEFAULT NULL,
    repeat_interval      INT DEFAULT 1,
    repeat_dow           VARCHAR(7) DEFAULT NULL,
    repeat_until         DATE DEFAULT NULL,
    repeat_count         INT DEFAULT NULL,
    repeat_parent_id     CHAR(36) DEFAULT NULL,
    recurring_source     VARCHAR(36) DEFAULT NULL,
    gsync_id             VARCHAR(1024) DEFAULT NULL,
    gsync_lastsync       INT DEFAULT NULL,
    PRIMARY KEY (id),
    KEY idx_mtg_name (name),
    KEY idx_meet_par_del (parent_id, parent_type, deleted),
    KEY idx_meet_stat_del (assigned_user_id, status, deleted),
    KEY idx_meet_date_start (date_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE meetings_contacts (
    id             VARCHAR(36) NOT NULL,
    meeting_id     VARCHAR(36) DEFAULT NULL,
    contact_id     VARCHAR(36) DEFAULT NULL,
    required       VARCHAR(1) DEFAULT '1',
    accept_status  VARCHAR(25) DEFAULT 'none',
    date_modified  DATETIME DEFAULT NULL,
    deleted        TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY idx_con_mtg_mtg (meeting_id),
    KEY idx_con_mtg_con (contact_id),
    KEY idx_meeting_contact (meeting_id, contact_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE notes (
    assigned_user_id  CHAR(36) DEFAULT NULL,
    id                CHAR(36) NOT NULL,
    date_entered      DATETIME DEFAULT NULL,
    date_modified     DATETIME DEFAULT NULL,
    modified_user_id  CHAR(36) DEFAULT NULL,
    created_by        CHAR(36) DEFAULT NULL,
    name              VARCHAR(255) DEFAULT NULL,
    file_mime_type    VARCHAR(100) DEFAULT NULL,
    filename          VARCHAR(255) DEFAULT NULL,
    parent_type       VARCHAR(255) DEFAULT NULL,
    parent_id         CHAR(36) DEFAULT NULL,
    contact_id        CHAR(36) DEFAULT NULL,
    portal_flag       TINYINT(1) DEFAULT NULL,
    embed_flag        TINYINT(1) DEFAULT 0,
    description       TEXT,
    deleted           TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY idx_note_name (name),
    KEY idx_notes_parent (parent_id, parent_type),
    KEY idx_note_contact (contact_id),
    KEY idx_notes_assigned_del (deleted, assigned_user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE tasks (
    id                CHAR(36) NOT NULL,
    name              VARCHAR(50) DEFAULT NULL,
    date_entered      DATETIME DEFAULT NULL,
    date_modified     DATETIME DEFAULT NULL,
    modified_user_id  CHAR(36) DEFAULT NULL,
    created_by        CHAR(36) DEFAULT NULL,
    description       TEXT,
    deleted           TINYINT(1) DEFAULT 0,
    assigned_user_id  CHAR(36) DEFAULT NULL,
    status            VARCHAR(100) DEFAULT 'Not Started',
    date_due_flag     TINYINT(1) DEFAULT 0,
    date_due          DATETIME DEFAULT NULL,
    date_start_flag   TINYINT(1) DEFAULT 0,
    date_start        DATETIME DEFAULT NULL,
    parent_type       VARCHAR(255) DEFAULT NULL,
    parent_id         CHAR(36) DEFAULT NULL,
    contact_id        CHAR(36) DEFAULT NULL,
    priority          VARCHAR(100) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY idx_tsk_name (name),
    KEY idx_task_con_del (contact_id, deleted),
    KEY idx_task_par_del (parent_id, parent_type, deleted),
    KEY idx_task_assigned (assigned_user_id),
    KEY idx_task_status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE accounts_contacts (
    id             VARCHAR(36) NOT NULL,
    contact_id     VARCHAR(36) DEFAULT NULL,
    account_id     VARCHAR(36) DEFAULT NULL,
    date_modified  DATETIME DEFAULT NULL,
    deleted        TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY idx_account_contact (account_id, contact_id),
    KEY idx_contid_del_accid (contact_id, deleted, account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE opportunities_contacts (
    id              VARCHAR(36) NOT NULL,
    contact_id      VARCHAR(36) DEFAULT NULL,
    opportunity_id  VARCHAR(36) DEFAULT NULL,
    contact_role    VARCHAR(50) DEFAULT NULL,
    date_modified   DATETIME DEFAULT NULL,
    deleted         TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY idx_con_opp_con (contact_id),
    KEY idx_con_opp_opp (opportunity_id),
    KEY idx_opportunities_contacts (opportunity_id, contact_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- E-mails archived in SuiteCRM (modules/Emails/vardefs.php with the basic and assignable
-- templates; metadata/emails_beansMetaData.php): an e-mail belongs to records through
-- emails_beans (bean_module = 'Contacts' for a contact), and may also name one parent
-- (parent_type, parent_id, deprecated but still written). The preset counts an e-mail
-- linked either way as an interaction at date_sent_received; on erasure the contact's
-- emails_beans rows go and the e-mail is kept, detached from the contact (its body, in
-- emails_text, and its address strings are not contact fields: see docs/crms.md).
CREATE TABLE emails (
    id                  CHAR(36) NOT NULL,
    name                VARCHAR(255) DEFAULT NULL,
    date_entered        DATETIME DEFAULT NULL,
    date_modified       DATETIME DEFAULT NULL,
    modified_user_id    CHAR(36) DEFAULT NULL,
    created_by          CHAR(36) DEFAULT NULL,
    deleted             TINYINT(1) DEFAULT 0,
    assigned_user_id    CHAR(36) DEFAULT NULL,
    orphaned            TINYINT(1) DEFAULT NULL,
    last_synced         DATETIME DEFAULT NULL,
    date_sent_received  DATETIME DEFAULT NULL,
    message_id          VARCHAR(255) DEFAULT NULL,
    type                VARCHAR(100) DEFAULT NULL,
    status              VARCHAR(100) DEFAULT NULL,
    flagged             TINYINT(1) DEFAULT NULL,
    reply_to_status     TINYINT(1) DEFAULT NULL,
    intent              VARCHAR(100) DEFAULT 'pick',
    mailbox_id          CHAR(36) DEFAULT NULL,
    parent_type         VARCHAR(100) DEFAULT NULL,
    parent_id           CHAR(36) DEFAULT NULL,
    uid                 VARCHAR(255) DEFAULT NULL,
    category_id         VARCHAR(100) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY idx_email_name (name),
    KEY idx_message_id (message_id),
    KEY idx_email_parent_id (parent_id),
    KEY idx_email_assigned (assigned_user_id, type, status),
    KEY idx_email_cat (category_id),
    KEY idx_email_uid (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE emails_beans (
    id             CHAR(36) NOT NULL,
    email_id       CHAR(36) DEFAULT NULL,
    bean_id        CHAR(36) DEFAULT NULL,
    bean_module    VARCHAR(100) DEFAULT NULL,
    campaign_data  TEXT,
    date_modified  DATETIME DEFAULT NULL,
    deleted        TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY idx_emails_beans_bean_id (bean_id),
    KEY idx_emails_beans_email_bean (email_id, bean_id, deleted)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
