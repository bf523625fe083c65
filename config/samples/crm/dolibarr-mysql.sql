-- A Dolibarr-shaped test schema for the "dolibarr" mapping preset, MySQL/MariaDB.
--
-- Dolibarr creates its tables from htdocs/install/mysql/tables/llx_*.sql (and .key.sql for
-- indexes and foreign keys), then upgrades them with htdocs/install/mysql/migration/
-- A.0.0-B.0.0.sql. This file reproduces, with Dolibarr's names and types, the tables the
-- preset reads or handles, and the keys that matter when a contact is deleted. The
-- datapolicy_* columns of llx_socpeople_extrafields are the extra fields Dolibarr's GDPR
-- module (htdocs/datapolicy, module descriptor modDataPolicy) adds when enabled: boolean
-- extra fields become int(1) columns, date ones date columns. Foreign keys to tables this
-- file does not have (llx_user, llx_c_type_contact, llx_categorie) are left out.
--
-- What it was checked against (no stored copy of the Dolibarr/dolibarr repository's own
-- llx_socpeople.sql is newer than 3.8, and its other install files are of undated or
-- older releases; the repository is too large to fetch whole):
--   * the newest install SQL readable, a copy of a Dolibarr 21–23 tree:
--     Harwin88/dolibar-click at commit 1eeee829 (comments stripped), files
--     llx_socpeople.sql, llx_actioncomm.sql, llx_element_contact.sql, llx_societe.sql. Its
--     release is dated by Dolibarr's own migration scripts: it has the columns
--     htdocs/install/mysql/migration/19.0.0-20.0.0.sql adds to llx_socpeople (name_alias,
--     fk_parent, url, geolat, geolong, geopoint, georesultcode) and the
--     llx_notify_def.entity 20.0.0-21.0.0.sql adds, and lacks those 24.0
--     (llx_societe.euid, 23.0.0-24.0.0.sql) and 25.0 (llx_socpeople.use_thirdparty_address,
--     24.0.0-25.0.0.sql) add;
--   * a Dolibarr 18 tree, Easya-Solutions/dolibarr at commit b0d207fe (its migration
--     scripts end at 17.0.0-18.0.0.sql), for the files the newer copy lacks:
--     llx_socpeople_extrafields.sql, llx_actioncomm_resources.sql, llx_actioncomm.key.sql,
--     llx_element_contact.key.sql, llx_societe_contacts.sql, llx_notify_def.sql;
--   * Dolibarr/dolibarr's stored .key.sql files: llx_socpeople.key.sql (02cf757f),
--     llx_societe_contacts.key.sql (526aeab9), llx_categorie_contact.key.sql (6653e2db),
--     llx_notify_def.key.sql (890fd948, 2025), and the migration scripts
--     19.0.0-20.0.0.sql, 23.0.0-24.0.0.sql and 24.0.0-25.0.0.sql, read for these tables
--     (20.0 makes llx_socpeople_extrafields.fk_object a unique key);
--   * Dolibarr's own Contact::delete() (htdocs/contact/class/contact.class.php, a stored
--     copy of a release after 18, repository not identified by the store): it deletes the contact's external roles in llx_element_contact, its
--     roles in llx_societe_contacts, its notifications in llx_notify_def, its categories,
--     the contact and its extra fields. The preset lacked llx_societe_contacts — whose
--     foreign key to llx_socpeople (no ON DELETE: RESTRICT) made deleting such a contact
--     fail the batch — and llx_notify_def: both added.
--   * issue 18's second check: llx_facture.sql and .key.sql of the 21–23 copy (whose
--     llx_notify_def.entity, added by 20.0.0-21.0.0.sql, dates it 21 or later);
--     Dolibarr/dolibarr's own llx_mailing_cibles.sql (ce5324c0), .key.sql (03711cf6) and
--     llx_categorie_contact.sql (a4305347), and its 20.0.0-21.0.0.sql (014a7d98) and
--     16.0.0-17.0.0.sql (read through the store's search), for what changed since; each
--     table's comment says what.
--
-- Each table's comment says what differed from the previous version of this file (which
-- followed an older copy of llx_socpeople.sql and the 18.0 migration scripts).

-- llx_societe: the third party (company or sole trader), as in the 21–23 copy
-- (llx_societe.sql; columns the fixture does not need are left out). New in this file:
-- llx_socpeople.fk_soc has a foreign key to it (llx_socpeople.key.sql).
CREATE TABLE llx_societe (
    rowid          integer AUTO_INCREMENT PRIMARY KEY,
    nom            varchar(128),
    name_alias     varchar(128) NULL,
    entity         integer DEFAULT 1 NOT NULL,
    statut         tinyint DEFAULT 0,
    status         tinyint DEFAULT 1,
    phone          varchar(30),
    email          varchar(128),
    client         tinyint DEFAULT 0,
    fournisseur    tinyint DEFAULT 0,
    datec          datetime,
    tms            timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    fk_user_creat  integer NULL,
    ip             varchar(250),
    import_key     varchar(14)
) ENGINE=innodb;

-- llx_socpeople: the contacts, as in the 21–23 copy (llx_socpeople.sql) with the indexes
-- and the foreign key to llx_societe of llx_socpeople.key.sql. Added from 20.0:
-- name_alias, fk_parent, geolat, geolong, geopoint, georesultcode, url. The mapped
-- columns (rowid, firstname, lastname, email, phone, phone_mobile, phone_perso, poste,
-- no_email, birthday, fk_soc, statut, datec, tms) are unchanged since 18.
CREATE TABLE llx_socpeople (
    rowid            integer AUTO_INCREMENT PRIMARY KEY,
    datec            datetime,
    tms              timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    fk_soc           integer,
    entity           integer DEFAULT 1 NOT NULL,
    ref_ext          varchar(255),
    name_alias       varchar(255),
    fk_parent        integer NULL,
    civility         varchar(6),
    lastname         varchar(50),
    firstname        varchar(50),
    address          varchar(255),
    zip              varchar(25),
    town             varchar(255),
    fk_departement   integer,
    fk_pays          integer DEFAULT 0,
    geolat           double(24,8) DEFAULT NULL,
    geolong          double(24,8) DEFAULT NULL,
    geopoint         point DEFAULT NULL,
    georesultcode    varchar(16),
    birthday         date,
    poste            varchar(255),
    phone            varchar(30),
    phone_perso      varchar(30),
    phone_mobile     varchar(30),
    fax              varchar(30),
    url              varchar(255),
    email            varchar(255),
    socialnetworks   text DEFAULT NULL,
    photo            varchar(255),
    no_email         smallint NOT NULL DEFAULT 0,
    priv             smallint NOT NULL DEFAULT 0,
    fk_prospectlevel varchar(12),
    fk_stcommcontact integer DEFAULT 0 NOT NULL,
    fk_user_creat    integer DEFAULT 0,
    fk_user_modif    integer,
    note_private     text,
    note_public      text,
    default_lang     varchar(6),
    canvas           varchar(32),
    import_key       varchar(14),
    statut           tinyint DEFAULT 1 NOT NULL,
    ip               varchar(250),
    KEY idx_socpeople_fk_soc (fk_soc),
    KEY idx_socpeople_fk_user_creat (fk_user_creat),
    KEY idx_socpeople_lastname (lastname),
    KEY idx_socpeople_tms (tms),
    CONSTRAINT fk_socpeople_fk_soc FOREIGN KEY (fk_soc) REFERENCES llx_societe (rowid)
) ENGINE=innodb;

-- llx_socpeople_extrafields: llx_socpeople_extrafields.sql of the 18 tree, unique
-- fk_object as 19.0.0-20.0.0.sql makes it, and the GDPR module's extra fields.
CREATE TABLE llx_socpeople_extrafields (
    rowid                              integer AUTO_INCREMENT PRIMARY KEY,
    tms                                timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    fk_object                          integer NOT NULL,
    import_key                         varchar(14),
    datapolicy_consentement            int(1),
    datapolicy_opposition_traitement   int(1),
    datapolicy_opposition_prospection  int(1),
    datapolicy_date                    date,
    datapolicy_send                    date,
    UNIQUE INDEX uk_socpeople_extrafields (fk_object)
) ENGINE=innodb;

-- llx_actioncomm: the events, as in the 21–23 copy (llx_actioncomm.sql) with the
-- indexes of llx_actioncomm.key.sql (18 tree; no foreign key to llx_socpeople: an event
-- does not stop its contact from being deleted). The previous version lacked fk_task,
-- transparency, priority, visibility, fulldayevent, location, durationp, the other e-mail
-- columns, the recurrence and event-organisation columns, ip, fk_bookcal_calendar,
-- import_key, extraparams and most indexes: added. Mapped: id, fk_contact, datep, code.
CREATE TABLE llx_actioncomm (
    id                   integer AUTO_INCREMENT PRIMARY KEY,
    ref                  varchar(30) NOT NULL,
    ref_ext              varchar(255),
    entity               integer DEFAULT 1 NOT NULL,
    datep                datetime,
    datep2               datetime,
    fk_action            integer,
    code                 varchar(50) NULL,
    datec                datetime,
    tms                  timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    fk_user_author       integer,
    fk_user_mod          integer,
    fk_project           integer,
    fk_task              integer,
    fk_soc               integer,
    fk_contact           integer,
    fk_parent            integer NOT NULL DEFAULT 0,
    fk_user_action       integer,
    transparency         integer,
    priority             smallint,
    visibility           varchar(12) DEFAULT 'default',
    fulldayevent         smallint NOT NULL DEFAULT 0,
    percent              smallint NOT NULL DEFAULT 0,
    location             varchar(128),
    durationp            real,
    label                varchar(255) NOT NULL,
    note                 mediumtext,
    calling_duration     integer,
    email_subject        varchar(255),
    email_msgid          varchar(255),
    email_from           varchar(255),
    email_sender         varchar(255),
    email_to             varchar(255),
    email_tocc           varchar(255),
    email_tobcc          varchar(255),
    errors_to            varchar(255),
    reply_to             varchar(255),
    recurid              varchar(128),
    recurrule            varchar(128),
    recurdateend         datetime,
    num_vote             integer DEFAULT NULL,
    event_paid           smallint NOT NULL DEFAULT 0,
    status               smallint NOT NULL DEFAULT 0,
    fk_element           integer DEFAULT NULL,
    elementtype          varchar(255) DEFAULT NULL,
    ip                   varchar(250),
    fk_bookcal_calendar  integer DEFAULT NULL,
    import_key           varchar(14),
    extraparams          varchar(255),
    KEY idx_actioncomm_fk_soc (fk_soc),
    KEY idx_actioncomm_fk_contact (fk_contact),
    KEY idx_actioncomm_code (code),
    KEY idx_actioncomm_fk_element (fk_element),
    KEY idx_actioncomm_fk_user_action (fk_user_action),
    KEY idx_actioncomm_fk_project (fk_project),
    KEY idx_actioncomm_datep (datep),
    KEY idx_actioncomm_datep2 (datep2),
    KEY idx_actioncomm_recurid (recurid),
    KEY idx_actioncomm_ref_ext (ref_ext),
    KEY idx_actioncomm_percent (percent),
    KEY idx_actioncomm_ref (ref, entity)
) ENGINE=innodb;

-- llx_actioncomm_resources: llx_actioncomm_resources.sql of the 18 tree (element_type
-- 'user', 'resource' or 'socpeople'; fk_element the id in that table).
CREATE TABLE llx_actioncomm_resources (
    rowid          integer AUTO_INCREMENT PRIMARY KEY,
    fk_actioncomm  integer NOT NULL,
    element_type   varchar(50) NOT NULL,
    fk_element     integer NOT NULL,
    answer_status  varchar(50) NULL,
    mandatory      smallint,
    transparency   smallint DEFAULT 1,
    UNIQUE INDEX uk_actioncomm_resources (fk_actioncomm, element_type, fk_element),
    KEY idx_actioncomm_resources_fk_element (fk_element)
) ENGINE=innodb;

-- llx_facture: customer invoices, a document that stays (its contacts' roles are in
-- llx_element_contact). Checked against llx_facture.sql and llx_facture.key.sql of the
-- 21–23 copy (Harwin88/dolibar-click 1eeee829): the columns here have those types. Added:
-- its other NOT NULL columns (all with defaults: type, paye, fk_statut, fk_cond_reglement,
-- and is_also_delivery_note from 20.0.0-21.0.0.sql), the unique key uk_facture_ref (ref,
-- entity), the fk_soc index and its foreign key to llx_societe; the keys to llx_user,
-- llx_projet and llx_c_input_reason are left out (tables not in this file).
CREATE TABLE llx_facture (
    rowid                  integer AUTO_INCREMENT PRIMARY KEY,
    ref                    varchar(30) NOT NULL,
    entity                 integer DEFAULT 1 NOT NULL,
    type                   smallint DEFAULT 0 NOT NULL,
    fk_soc                 integer NOT NULL,
    datec                  datetime,
    paye                   smallint DEFAULT 0 NOT NULL,
    total_ttc              double(24,8) DEFAULT 0,
    fk_statut              smallint DEFAULT 0 NOT NULL,
    fk_cond_reglement      integer DEFAULT 1 NOT NULL,
    is_also_delivery_note  tinyint DEFAULT 0 NOT NULL,
    UNIQUE KEY uk_facture_ref (ref, entity),
    KEY idx_facture_fk_soc (fk_soc),
    CONSTRAINT fk_facture_fk_soc FOREIGN KEY (fk_soc) REFERENCES llx_societe (rowid)
) ENGINE=innodb;

-- llx_element_contact: the roles of contacts on documents, as in the 21–23 copy
-- (llx_element_contact.sql) with the keys of llx_element_contact.key.sql (18 tree): no
-- foreign key on fk_socpeople, because it holds a contact id (llx_socpeople) for an
-- external role and a user id (llx_user) for an internal one — the role's
-- llx_c_type_contact.source says which. Added: mandatory_signature (new after 18) and the
-- fk_socpeople index.
CREATE TABLE llx_element_contact (
    rowid                integer AUTO_INCREMENT PRIMARY KEY,
    datecreate           datetime NULL,
    statut               smallint DEFAULT 5,
    element_id           int NOT NULL,
    mandatory_signature  tinyint,
    fk_c_type_contact    int NOT NULL,
    fk_socpeople         integer NOT NULL,
    UNIQUE INDEX idx_element_contact_idx1 (element_id, fk_c_type_contact, fk_socpeople),
    KEY idx_element_contact_fk_socpeople (fk_socpeople)
) ENGINE=innodb;

-- llx_c_type_contact: the dictionary of roles (llx_c_type_contact.sql, Dolibarr/dolibarr at
-- commit 2aee4862, unchanged since 3.x). source is 'external' for a role held by a contact
-- (llx_socpeople) and 'internal' for one held by a user (llx_user): the Dolibarr preset
-- deletes only the external rows of llx_element_contact, as Contact::delete() does.
CREATE TABLE llx_c_type_contact (
    rowid    integer PRIMARY KEY,
    element  varchar(30) NOT NULL,
    source   varchar(8) DEFAULT 'external' NOT NULL,
    code     varchar(16) NOT NULL,
    libelle  varchar(64) NOT NULL,
    active   tinyint DEFAULT 1 NOT NULL,
    module   varchar(32) NULL
) ENGINE=innodb;

-- llx_societe_contacts: a third party's default contacts by role
-- (llx_societe_contacts.sql of the 18 tree, keys from Dolibarr/dolibarr's
-- llx_societe_contacts.key.sql). Its foreign key to llx_socpeople has no ON DELETE, so
-- MariaDB refuses to delete a contact that has such a role: the preset deletes these rows
-- first, as Dolibarr's Contact::delete() does. New in this file.
CREATE TABLE llx_societe_contacts (
    rowid              integer AUTO_INCREMENT PRIMARY KEY,
    entity             integer DEFAULT 1 NOT NULL,
    date_creation      datetime NOT NULL,
    fk_soc             integer NOT NULL,
    fk_c_type_contact  int NOT NULL,
    fk_socpeople       integer NOT NULL,
    tms                TIMESTAMP,
    import_key         VARCHAR(14),
    UNIQUE INDEX idx_societe_contacts_idx1 (entity, fk_soc, fk_c_type_contact, fk_socpeople),
    CONSTRAINT fk_societe_contacts_fk_soc FOREIGN KEY (fk_soc) REFERENCES llx_societe (rowid),
    CONSTRAINT fk_societe_contacts_fk_socpeople FOREIGN KEY (fk_socpeople) REFERENCES llx_socpeople (rowid)
) ENGINE=innodb;

-- llx_notify_def: notification subscriptions (fk_contact is the contact to notify, no
-- foreign key). Checked against llx_notify_def.sql of the 21–23 copy (Harwin88/dolibar-click
-- 1eeee829: entity integer DEFAULT 1 after rowid, then the columns of the 18 tree),
-- Dolibarr/dolibarr's 20.0.0-21.0.0.sql at 014a7d98 ("ALTER TABLE llx_notify_def ADD
-- COLUMN entity integer DEFAULT 1") and llx_notify_def.key.sql at 890fd948
-- (idx_notify_def_entity). Differed: entity and its index were missing: added.
CREATE TABLE llx_notify_def (
    rowid       integer AUTO_INCREMENT PRIMARY KEY,
    entity      integer DEFAULT 1,
    tms         timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    datec       date,
    fk_action   integer NOT NULL,
    fk_soc      integer,
    fk_contact  integer,
    fk_user     integer,
    email       varchar(255),
    threshold   double(24,8),
    context     varchar(128),
    type        varchar(16) DEFAULT 'email',
    KEY idx_notify_def_entity (entity)
) ENGINE=innodb;

-- llx_categorie_contact: checked against Dolibarr/dolibarr's llx_categorie_contact.sql at
-- a4305347 (fk_categorie, fk_socpeople integer NOT NULL, import_key varchar(14); the
-- commit is not dated, but no migration script the store holds alters this table after
-- creating it) and llx_categorie_contact.key.sql at 6653e2db (primary key, an index on
-- each column, foreign keys to llx_categorie and to llx_socpeople without ON DELETE, so
-- the preset deletes these rows first). Differed: idx_categorie_contact_fk_categorie was
-- missing: added; the foreign key to llx_categorie is left out (table not in this file).
CREATE TABLE llx_categorie_contact (
    fk_categorie  integer NOT NULL,
    fk_socpeople  integer NOT NULL,
    import_key    varchar(14),
    PRIMARY KEY (fk_categorie, fk_socpeople),
    KEY idx_categorie_contact_fk_categorie (fk_categorie),
    KEY idx_categorie_contact_fk_socpeople (fk_socpeople),
    CONSTRAINT fk_categorie_contact_fk_socpeople FOREIGN KEY (fk_socpeople) REFERENCES llx_socpeople (rowid)
) ENGINE=innodb;

-- llx_mailing_cibles: the targets of a mass e-mailing (fk_contact is the contact id when
-- source_type is 'contact'; no foreign key). Checked against Dolibarr/dolibarr's
-- llx_mailing_cibles.sql at ce5324c0 (a release before 17: source_type varchar(16)) and
-- the migration 16.0.0-17.0.0.sql ("-- v17 ... MODIFY COLUMN source_type varchar(32)",
-- kept here), llx_mailing_cibles.key.sql at 03711cf6 (uk_mailing_cibles (fk_mailing,
-- email), idx_mailing_cibles_email) and a later migration's idx_mailing_cibles_tag (tag).
-- Differed: other, tag, source_url, source_id, tms, error_text and the keys were
-- missing: added. Migration scripts 17→25 were not read in full for this table (a search
-- of the store for ALTER TABLE llx_mailing_cibles found nothing after 17).
CREATE TABLE llx_mailing_cibles (
    rowid        integer AUTO_INCREMENT PRIMARY KEY,
    fk_mailing   integer NOT NULL,
    fk_contact   integer NOT NULL,
    lastname     varchar(160),
    firstname    varchar(160),
    email        varchar(160) NOT NULL,
    other        varchar(255) NULL,
    tag          varchar(64) NULL,
    statut       smallint NOT NULL DEFAULT 0,
    source_url   varchar(255),
    source_id    integer,
    source_type  varchar(32),
    date_envoi   datetime,
    tms          timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    error_text   varchar(255),
    UNIQUE KEY uk_mailing_cibles (fk_mailing, email),
    KEY idx_mailing_cibles_email (email),
    KEY idx_mailing_cibles_tag (tag)
) ENGINE=innodb;
