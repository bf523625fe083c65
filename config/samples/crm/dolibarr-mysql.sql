-- A Dolibarr-shaped test schema for the "dolibarr" mapping preset, MySQL/MariaDB.
--
-- Dolibarr 18.0, htdocs/install/mysql/tables/: llx_socpeople.sql (+ .key.sql),
-- llx_socpeople_extrafields.sql (+ .key.sql: unique fk_object), llx_actioncomm.sql,
-- llx_actioncomm_resources.sql, llx_element_contact.sql, llx_categorie_contact.sql
-- (+ .key.sql: foreign key to llx_socpeople), llx_mailing_cibles.sql, llx_facture.sql (a
-- few columns). The datapolicy_* columns of llx_socpeople_extrafields are the extra fields
-- Dolibarr's GDPR module (htdocs/datapolicy, module descriptor modDataPolicy) adds when
-- enabled: boolean extra fields become int(1) columns, date ones date columns. Only the
-- tables and columns the preset reads or handles are here.
--
-- Cross-checked against the stored copies of Dolibarr/dolibarr
-- htdocs/install/mysql/tables/ available to the check (not all of 18.0; the 18.0 tree
-- could not be fetched): llx_socpeople.sql at 00856eb2 (an older release, with jabberid
-- and skype, poste varchar(80)), llx_socpeople_extrafields.sql at 0b699d8a,
-- llx_actioncomm.sql at 02ba7450, llx_actioncomm_resources.sql at 154a75cc,
-- llx_element_contact.sql at 01691ed9, llx_mailing_cibles.sql at 0d457fad (nom/prenom,
-- renamed lastname/firstname in later releases). Every column the preset maps has the
-- same name and type class there; lengths and unmapped columns follow 18.0.
--
-- No install SQL of a recent release (17-20) is in the stored copies of Dolibarr/dolibarr
-- (the repository snapshot is too large to fetch). Changes since the older copies were
-- looked up in the migration scripts (htdocs/install/mysql/migration/*.sql) by searching
-- the stored copies for ALTER TABLE llx_socpeople ADD COLUMN / MODIFY / CHANGE and
-- ALTER TABLE llx_actioncomm ADD COLUMN / MODIFY (a search, not a reading of every
-- script): llx_socpeople gained fk_prospectcontactlevel varchar(12), later renamed
-- fk_prospectlevel (as here), fk_stcommcontact, ip varchar(250) (missing here: added),
-- poste widened to varchar(255), ref_ext to varchar(255); llx_actioncomm gained ref
-- varchar(30) NOT NULL, calling_duration, code widened to varchar(50). No hit renames or
-- retypes a column the preset maps. llx_socpeople.no_email (mapped to optOut) is marked
-- deprecated in the install SQL in favour of llx_mailing_unsubscribe, which the preset does
-- not read. llx_element_contact, llx_categorie_contact, llx_mailing_cibles and
-- llx_socpeople_extrafields were not re-checked beyond the copies named above.

CREATE TABLE llx_socpeople (
    rowid            integer AUTO_INCREMENT PRIMARY KEY,
    datec            datetime,
    tms              timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    fk_soc           integer,
    entity           integer DEFAULT 1 NOT NULL,
    ref_ext          varchar(255),
    civility         varchar(6),
    lastname         varchar(50),
    firstname        varchar(50),
    address          varchar(255),
    zip              varchar(25),
    town             varchar(255),
    fk_departement   integer,
    fk_pays          integer DEFAULT 0,
    birthday         date,
    poste            varchar(255),
    phone            varchar(30),
    phone_perso      varchar(30),
    phone_mobile     varchar(30),
    fax              varchar(30),
    email            varchar(255),
    socialnetworks   text,
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
    KEY idx_socpeople_fk_user_creat (fk_user_creat)
) ENGINE=innodb;

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

CREATE TABLE llx_actioncomm (
    id               integer AUTO_INCREMENT PRIMARY KEY,
    ref              varchar(30) NOT NULL,
    ref_ext          varchar(255),
    entity           integer DEFAULT 1 NOT NULL,
    datep            datetime,
    datep2           datetime,
    fk_action        integer,
    code             varchar(50) NULL,
    datec            datetime,
    tms              timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    fk_user_author   integer,
    fk_user_mod      integer,
    fk_project       integer,
    fk_soc           integer,
    fk_contact       integer,
    fk_parent        integer NOT NULL DEFAULT 0,
    fk_user_action   integer,
    percent          smallint NOT NULL DEFAULT 0,
    label            varchar(255) NOT NULL,
    note             mediumtext,
    calling_duration integer,
    email_subject    varchar(255),
    email_from       varchar(255),
    email_to         varchar(255),
    fk_element       integer DEFAULT NULL,
    elementtype      varchar(255) DEFAULT NULL,
    KEY idx_actioncomm_fk_contact (fk_contact),
    KEY idx_actioncomm_datep (datep)
) ENGINE=innodb;

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

CREATE TABLE llx_facture (
    rowid        integer AUTO_INCREMENT PRIMARY KEY,
    ref          varchar(30) NOT NULL,
    entity       integer DEFAULT 1 NOT NULL,
    fk_soc       integer NOT NULL,
    datec        datetime,
    total_ttc    double(24,8) DEFAULT 0
) ENGINE=innodb;

CREATE TABLE llx_element_contact (
    rowid              integer AUTO_INCREMENT PRIMARY KEY,
    datecreate         datetime NULL,
    statut             smallint DEFAULT 5,
    element_id         int NOT NULL,
    fk_c_type_contact  int NOT NULL,
    fk_socpeople       integer NOT NULL,
    UNIQUE INDEX idx_element_contact_idx1 (element_id, fk_c_type_contact, fk_socpeople)
) ENGINE=innodb;

CREATE TABLE llx_categorie_contact (
    fk_categorie  integer NOT NULL,
    fk_socpeople  integer NOT NULL,
    import_key    varchar(14),
    PRIMARY KEY (fk_categorie, fk_socpeople),
    CONSTRAINT fk_categorie_contact_fk_socpeople FOREIGN KEY (fk_socpeople) REFERENCES llx_socpeople (rowid)
) ENGINE=innodb;

CREATE TABLE llx_mailing_cibles (
    rowid        integer AUTO_INCREMENT PRIMARY KEY,
    fk_mailing   integer NOT NULL,
    fk_contact   integer NOT NULL,
    lastname     varchar(160),
    firstname    varchar(160),
    email        varchar(160) NOT NULL,
    statut       smallint NOT NULL DEFAULT 0,
    source_type  varchar(32),
    date_envoi   datetime
) ENGINE=innodb;
