-- A SuiteCRM-shaped test schema for the "suitecrm" mapping preset, PostgreSQL.
--
-- SuiteCRM 7 itself runs on MySQL/MariaDB (and SQL Server); this is the same shape in
-- PostgreSQL types, for CRMs derived from it and for tests of the preset on PostgreSQL.
-- See suitecrm-mysql.sql for where each of the preset's fields is. Differences: flags are
-- boolean (SuiteCRM's TINYINT(1)), times timestamp without time zone holding UTC, as
-- SuiteCRM stores them; only the tables the preset reads are here.

CREATE TABLE contacts (
    id                  char(36) PRIMARY KEY,
    date_entered        timestamp,
    date_modified       timestamp,
    modified_user_id    char(36),
    created_by          char(36),
    description         text,
    deleted             boolean DEFAULT false,
    assigned_user_id    char(36),
    salutation          varchar(255),
    first_name          varchar(100),
    last_name           varchar(100),
    title               varchar(100),
    department          varchar(255),
    do_not_call         boolean DEFAULT false,
    phone_home          varchar(100),
    phone_mobile        varchar(100),
    phone_work          varchar(100),
    phone_other         varchar(100),
    phone_fax           varchar(100),
    lawful_basis        text,
    date_reviewed       date,
    lawful_basis_source varchar(100),
    primary_address_street varchar(150),
    primary_address_city   varchar(100),
    primary_address_postalcode varchar(20),
    primary_address_country    varchar(255),
    lead_source         varchar(255),
    reports_to_id       char(36),
    birthdate           date,
    campaign_id         char(36)
);

CREATE INDEX idx_cont_last_first ON contacts (last_name, first_name, deleted);

CREATE TABLE contacts_cstm (
    id_c                       char(36) PRIMARY KEY,
    jjwg_maps_lng_c            double precision DEFAULT 0,
    jjwg_maps_lat_c            double precision DEFAULT 0,
    jjwg_maps_geocode_status_c varchar(255),
    jjwg_maps_address_c        varchar(255),
    contact_type_c             varchar(100),
    legal_hold_c               boolean DEFAULT false
);

CREATE TABLE calls (
    id            char(36) PRIMARY KEY,
    name          varchar(50),
    date_entered  timestamp,
    date_modified timestamp,
    description   text,
    deleted       boolean DEFAULT false,
    assigned_user_id char(36),
    duration_hours   integer,
    duration_minutes integer,
    date_start    timestamp,
    date_end      timestamp,
    parent_type   varchar(255),
    status        varchar(100) DEFAULT 'Planned',
    direction     varchar(100),
    parent_id     char(36)
);

CREATE INDEX idx_calls_date_start ON calls (date_start);

CREATE TABLE calls_contacts (
    id            varchar(36) PRIMARY KEY,
    call_id       varchar(36),
    contact_id    varchar(36),
    required      varchar(1) DEFAULT '1',
    accept_status varchar(25) DEFAULT 'none',
    date_modified timestamp,
    deleted       boolean DEFAULT false
);

CREATE INDEX idx_con_call_call ON calls_contacts (call_id);
CREATE INDEX idx_con_call_con ON calls_contacts (contact_id);

-- E-mail addresses (SuiteCRM 7 modules/EmailAddresses/vardefs.php and the
-- email_addr_bean_rel relationship): the preset reads a contact's address, primary first,
-- and the address's opt_out.
CREATE TABLE email_addresses (
    id                  char(36) PRIMARY KEY,
    email_address       varchar(255),
    email_address_caps  varchar(255),
    invalid_email       boolean DEFAULT false,
    opt_out             boolean DEFAULT false,
    confirm_opt_in      varchar(255) DEFAULT 'not-opt-in',
    date_created        timestamp,
    date_modified       timestamp,
    deleted             boolean DEFAULT false
);

CREATE TABLE email_addr_bean_rel (
    id                char(36) PRIMARY KEY,
    email_address_id  char(36) NOT NULL,
    bean_id           char(36) NOT NULL,
    bean_module       varchar(100),
    primary_address   boolean DEFAULT false,
    reply_to_address  boolean DEFAULT false,
    date_created      timestamp,
    date_modified     timestamp,
    deleted           boolean DEFAULT false
);

CREATE INDEX idx_email_address_id ON email_addr_bean_rel (email_address_id);
CREATE INDEX idx_bean_id ON email_addr_bean_rel (bean_id, bean_module);

-- Meetings, notes, tasks and the account and opportunity links (see suitecrm-mysql.sql).
CREATE TABLE meetings (
    id                char(36) PRIMARY KEY,
    name              varchar(50),
    date_entered      timestamp,
    date_modified     timestamp,
    description       text,
    deleted           boolean DEFAULT false,
    date_start        timestamp,
    date_end          timestamp,
    parent_type       varchar(100),
    status            varchar(100) DEFAULT 'Planned',
    parent_id         char(36)
);

CREATE TABLE meetings_contacts (
    id             varchar(36) PRIMARY KEY,
    meeting_id     varchar(36),
    contact_id     varchar(36),
    required       varchar(1) DEFAULT '1',
    accept_status  varchar(25) DEFAULT 'none',
    date_modified  timestamp,
    deleted        boolean DEFAULT false
);

CREATE TABLE notes (
    id            char(36) PRIMARY KEY,
    name          varchar(255),
    date_entered  timestamp,
    deleted       boolean DEFAULT false,
    filename      varchar(255),
    parent_type   varchar(255),
    parent_id     char(36),
    contact_id    char(36),
    description   text
);

CREATE TABLE tasks (
    id            char(36) PRIMARY KEY,
    name          varchar(50),
    date_entered  timestamp,
    deleted       boolean DEFAULT false,
    status        varchar(100) DEFAULT 'Not Started',
    date_due      timestamp,
    parent_type   varchar(255),
    parent_id     char(36),
    contact_id    char(36),
    description   text
);

CREATE TABLE accounts_contacts (
    id             varchar(36) PRIMARY KEY,
    contact_id     varchar(36),
    account_id     varchar(36),
    date_modified  timestamp,
    deleted        boolean DEFAULT false
);

CREATE TABLE opportunities_contacts (
    id              varchar(36) PRIMARY KEY,
    contact_id      varchar(36),
    opportunity_id  varchar(36),
    contact_role    varchar(50),
    date_modified   timestamp,
    deleted         boolean DEFAULT false
);

-- E-mails and their links to records (see suitecrm-mysql.sql).
CREATE TABLE emails (
    id                  char(36) PRIMARY KEY,
    name                varchar(255),
    date_entered        timestamp,
    date_modified       timestamp,
    deleted             boolean DEFAULT false,
    assigned_user_id    char(36),
    date_sent_received  timestamp,
    message_id          varchar(255),
    type                varchar(100),
    status              varchar(100),
    parent_type         varchar(100),
    parent_id           char(36)
);

CREATE INDEX idx_email_parent_id ON emails (parent_id);

CREATE TABLE emails_beans (
    id             char(36) PRIMARY KEY,
    email_id       char(36),
    bean_id        char(36),
    bean_module    varchar(100),
    campaign_data  text,
    date_modified  timestamp,
    deleted        boolean DEFAULT false
);

CREATE INDEX idx_emails_beans_bean_id ON emails_beans (bean_id);
CREATE INDEX idx_emails_beans_email_bean ON emails_beans (email_id, bean_id, deleted);
