-- An EspoCRM-shaped test schema for the "espocrm" mapping preset, MySQL/MariaDB.
--
-- EspoCRM 8.x builds its tables from entity definitions (espocrm/espocrm,
-- application/Espo/Modules/Crm/Resources/metadata/entityDefs/Contact.json, Call.json,
-- Meeting.json, Task.json, Opportunity.json and
-- application/Espo/Resources/metadata/entityDefs/Email.json, EmailAddress.json,
-- PhoneNumber.json, Note.json; relation tables from the links' relationName and
-- additionalColumns). The e-mail tables (email, email_email_address) were checked against
-- Email.json at espocrm/espocrm commit 04444aa0 (8.x). Its ORM
-- gives ids VARCHAR(17) (a 17-character hex id), bools TINYINT(1) DEFAULT 0 and nullable
-- (application/Espo/Core/Utils/Database/Schema/Column.php: notNull is false unless a field
-- says notNull, and Builder::convertColumn passes it as is — checked at tags 8.4.2 and
-- 10.0.0; this file had NOT NULL on every bool until issue 18's second check),
-- datetimes DATETIME in UTC, texts MEDIUMTEXT; every entity and relation row has
-- `deleted`. EspoCRM declares no foreign keys. `call` and `primary` are reserved words in
-- MySQL: EspoCRM quotes them, and so do the operator and this file. Only the tables and
-- columns the preset reads or handles are here.
--
-- The other tables were checked against espocrm/espocrm (8.x/9.x development branch):
--   contact         application/Espo/Modules/Crm/Resources/metadata/entityDefs/Contact.json
--                   at fddd233e (firstName, lastName varchar 100; doNotCall bool; address
--                   fields; createdAt/modifiedAt datetime; account link → account_id;
--                   accounts link: additionalColumns role varchar 100, isInactive bool →
--                   account_contact). That release gives first_name/last_name no default
--                   (older releases: ''); this file keeps '' as unmapped detail.
--   email_address   application/Espo/Resources/metadata/entityDefs/EmailAddress.json at
--                   e2bd509a (name varchar 255, lower varchar indexed, invalid, optOut bool)
--   phone_number    PhoneNumber.json at e2bd509a (name and numeric varchar 36, type enum,
--                   invalid, optOut bool)
--   entity_email_address, entity_phone_number
--                   espocrm/espocrm tag 8.4.2 (commit 2a64537d), unchanged at 10.0.0
--                   (commit 2cde9d98): the ORM's field converters
--                   application/Espo/Core/Utils/Database/Orm/FieldConverters/Email.php and
--                   Phone.php (relation emailAddresses / phoneNumbers, relationshipName
--                   entityEmailAddress / entityPhoneNumber, midKeys entityId +
--                   emailAddressId / phoneNumberId, condition and additionalColumn
--                   entityType varchar 100, additionalColumn primary bool default false),
--                   built by Schema/Builder.php buildManyMany (id BIGINT autoincrement,
--                   mid keys VARCHAR(17), deleted bool) with the indexes
--                   Orm/Converter.php gives a many-to-many relation: one per mid key
--                   (IDX_ENTITY_ID, IDX_PHONE_NUMBER_ID…) and a unique one on the mid keys
--                   plus the condition column (UNIQ_ENTITY_ID_PHONE_NUMBER_ID_ENTITY_TYPE).
--                   Differed: entity_phone_number lacked IDX_PHONE_NUMBER_ID and both
--                   lacked the unique index: added. PhoneNumber.json is unchanged from
--                   8.4.2 to 10.0.0 (name and numeric varchar 36, type enum, invalid,
--                   optOut bool; primary not storable).
--   call, call_contact
--                   application/Espo/Modules/Crm/Resources/metadata/entityDefs/Call.json at
--                   16325fdd (status enum default Planned, dateStart/dateEnd datetime,
--                   direction enum default Outbound, parent linkParent, account link;
--                   contacts link additionalColumns status varchar 36 default None)
--   task            Task.json at 1d45e6d8 (status enum default 'Not Started', dateEnd
--                   datetimeOptional → DATETIME, parent linkParent, contact link)
--   note            application/Espo/Resources/metadata/entityDefs/Note.json at 0f127091
--                   (post text, data jsonObject, type enum maxLength 24 default 'Post' —
--                   this file had no default: fixed —, parent and related linkParent)
--   meeting, contact_meeting, opportunity, contact_opportunity
--                   checked against tag 8.4.2 (commit 2a64537d) and 10.0.0:
--                   each table's comment says what.

CREATE TABLE contact (
    id                   VARCHAR(17) NOT NULL,
    deleted              TINYINT(1) DEFAULT 0,
    salutation_name      VARCHAR(255) DEFAULT NULL,
    first_name           VARCHAR(100) DEFAULT '',
    last_name            VARCHAR(100) DEFAULT '',
    description          MEDIUMTEXT,
    do_not_call          TINYINT(1) DEFAULT 0,
    address_street       VARCHAR(255) DEFAULT NULL,
    address_city         VARCHAR(100) DEFAULT NULL,
    address_country      VARCHAR(100) DEFAULT NULL,
    address_postal_code  VARCHAR(40) DEFAULT NULL,
    created_at           DATETIME DEFAULT NULL,
    modified_at          DATETIME DEFAULT NULL,
    account_id           VARCHAR(17) DEFAULT NULL,
    campaign_id          VARCHAR(17) DEFAULT NULL,
    created_by_id        VARCHAR(17) DEFAULT NULL,
    modified_by_id       VARCHAR(17) DEFAULT NULL,
    assigned_user_id     VARCHAR(17) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY IDX_FIRST_NAME (first_name, deleted),
    KEY IDX_ACCOUNT_ID (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE email_address (
    id       VARCHAR(17) NOT NULL,
    name     VARCHAR(255) DEFAULT NULL,
    deleted  TINYINT(1) DEFAULT 0,
    `lower`  VARCHAR(255) DEFAULT NULL,
    invalid  TINYINT(1) DEFAULT 0,
    opt_out  TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY IDX_LOWER (`lower`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE entity_email_address (
    id                BIGINT NOT NULL AUTO_INCREMENT,
    entity_id         VARCHAR(17) DEFAULT NULL,
    email_address_id  VARCHAR(17) DEFAULT NULL,
    entity_type       VARCHAR(100) DEFAULT NULL,
    `primary`         TINYINT(1) DEFAULT 0,
    deleted           TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY IDX_ENTITY_ID (entity_id),
    KEY IDX_EMAIL_ADDRESS_ID (email_address_id),
    UNIQUE KEY UNIQ_ENTITY_ID_EMAIL_ADDRESS_ID_ENTITY_TYPE (entity_id, email_address_id, entity_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE phone_number (
    id       VARCHAR(17) NOT NULL,
    name     VARCHAR(36) DEFAULT NULL,
    deleted  TINYINT(1) DEFAULT 0,
    type     VARCHAR(255) DEFAULT NULL,
    `numeric` VARCHAR(36) DEFAULT NULL,
    invalid  TINYINT(1) DEFAULT 0,
    opt_out  TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE entity_phone_number (
    id               BIGINT NOT NULL AUTO_INCREMENT,
    entity_id        VARCHAR(17) DEFAULT NULL,
    phone_number_id  VARCHAR(17) DEFAULT NULL,
    entity_type      VARCHAR(100) DEFAULT NULL,
    `primary`        TINYINT(1) DEFAULT 0,
    deleted          TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY IDX_ENTITY_ID (entity_id),
    KEY IDX_PHONE_NUMBER_ID (phone_number_id),
    UNIQUE KEY UNIQ_ENTITY_ID_PHONE_NUMBER_ID_ENTITY_TYPE (entity_id, phone_number_id, entity_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE account_contact (
    id          BIGINT NOT NULL AUTO_INCREMENT,
    account_id  VARCHAR(17) DEFAULT NULL,
    contact_id  VARCHAR(17) DEFAULT NULL,
    role        VARCHAR(100) DEFAULT NULL,
    is_inactive TINYINT(1) DEFAULT 0,
    deleted     TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY UNIQ_ACCOUNT_ID_CONTACT_ID (account_id, contact_id),
    KEY IDX_CONTACT_ID (contact_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `call` (
    id           VARCHAR(17) NOT NULL,
    name         VARCHAR(255) DEFAULT NULL,
    deleted      TINYINT(1) DEFAULT 0,
    status       VARCHAR(255) DEFAULT 'Planned',
    date_start   DATETIME DEFAULT NULL,
    date_end     DATETIME DEFAULT NULL,
    direction    VARCHAR(255) DEFAULT 'Outbound',
    description  MEDIUMTEXT,
    created_at   DATETIME DEFAULT NULL,
    parent_id    VARCHAR(17) DEFAULT NULL,
    parent_type  VARCHAR(100) DEFAULT NULL,
    account_id   VARCHAR(17) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY IDX_PARENT (parent_id, parent_type),
    KEY IDX_DATE_START (date_start, deleted)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE call_contact (
    id          BIGINT NOT NULL AUTO_INCREMENT,
    call_id     VARCHAR(17) DEFAULT NULL,
    contact_id  VARCHAR(17) DEFAULT NULL,
    status      VARCHAR(36) DEFAULT 'None',
    deleted     TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY UNIQ_CALL_ID_CONTACT_ID (call_id, contact_id),
    KEY IDX_CONTACT_ID (contact_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- meeting, contact_meeting: application/Espo/Modules/Crm/Resources/metadata/entityDefs/Meeting.json
-- at tag 8.4.2 (espocrm/espocrm commit 2a64537d). dateStart and dateEnd are
-- datetimeOptional fields: a DATETIME column plus a DATE column `<field>_date` (fields/
-- datetimeOptional.json, actualFields "" and "date"); for an all-day meeting EspoCRM
-- still fills date_start (midnight of date_start_date in the system time zone,
-- Core/Repositories/Event.php), so the preset's date_start is set on every meeting.
-- isAllDay bool; parent linkParent; account, createdBy, modifiedBy, assignedUser links.
-- The contacts link (hasMany, foreign Contact.meetings, no relationName) is the
-- many-many table the ORM names from the two entity types sorted (LinkConverters/
-- ManyMany.php): contact_meeting, BIGINT id, midKeys contact_id/meeting_id, additional
-- column status varchar 36 default 'None', deleted, one index per midKey and a unique
-- index on both (Orm/Converter.php, Schema/Builder.php). Releases 9.x/10.0 add uid,
-- join_url and external_service to meeting, which the preset does not use.
CREATE TABLE meeting (
    id                VARCHAR(17) NOT NULL,
    name              VARCHAR(255) DEFAULT NULL,
    deleted           TINYINT(1) DEFAULT 0,
    status            VARCHAR(255) DEFAULT 'Planned',
    date_start        DATETIME DEFAULT NULL,
    date_end          DATETIME DEFAULT NULL,
    is_all_day        TINYINT(1) DEFAULT 0,
    description       MEDIUMTEXT,
    created_at        DATETIME DEFAULT NULL,
    modified_at       DATETIME DEFAULT NULL,
    date_start_date   DATE DEFAULT NULL,
    date_end_date     DATE DEFAULT NULL,
    parent_id         VARCHAR(17) DEFAULT NULL,
    parent_type       VARCHAR(100) DEFAULT NULL,
    account_id        VARCHAR(17) DEFAULT NULL,
    created_by_id     VARCHAR(17) DEFAULT NULL,
    modified_by_id    VARCHAR(17) DEFAULT NULL,
    assigned_user_id  VARCHAR(17) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY IDX_DATE_START_STATUS (date_start, status),
    KEY IDX_DATE_START (date_start, deleted),
    KEY IDX_STATUS (status, deleted),
    KEY IDX_PARENT (parent_id, parent_type),
    KEY IDX_ACCOUNT_ID (account_id),
    KEY IDX_ASSIGNED_USER (assigned_user_id, deleted)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE contact_meeting (
    id          BIGINT NOT NULL AUTO_INCREMENT,
    contact_id  VARCHAR(17) DEFAULT NULL,
    meeting_id  VARCHAR(17) DEFAULT NULL,
    status      VARCHAR(36) DEFAULT 'None',
    deleted     TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY IDX_CONTACT_ID (contact_id),
    KEY IDX_MEETING_ID (meeting_id),
    UNIQUE KEY UNIQ_CONTACT_ID_MEETING_ID (contact_id, meeting_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE email (
    id                     VARCHAR(17) NOT NULL,
    name                   VARCHAR(255) DEFAULT NULL,
    deleted                TINYINT(1) DEFAULT 0,
    from_string            VARCHAR(255) DEFAULT NULL,
    body                   MEDIUMTEXT,
    status                 VARCHAR(255) DEFAULT 'Archived',
    date_sent              DATETIME DEFAULT NULL,
    created_at             DATETIME DEFAULT NULL,
    from_email_address_id  VARCHAR(17) DEFAULT NULL,
    parent_id              VARCHAR(17) DEFAULT NULL,
    parent_type            VARCHAR(100) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY IDX_PARENT (parent_id, parent_type),
    KEY IDX_DATE_SENT (date_sent, deleted)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The e-mail's recipients (Email.json links toEmailAddresses, ccEmailAddresses,
-- bccEmailAddresses, replyToEmailAddresses: relationName emailEmailAddress, additional
-- column addressType to/cc/bcc/rto, VARCHAR(4)). With email.from_email_address_id, this is
-- how an e-mail reaches a contact by address, whatever its parent: the preset ties the
-- address to contacts through entity_email_address.
CREATE TABLE email_email_address (
    id                BIGINT NOT NULL AUTO_INCREMENT,
    email_id          VARCHAR(17) DEFAULT NULL,
    email_address_id  VARCHAR(17) DEFAULT NULL,
    address_type      VARCHAR(4) DEFAULT NULL,
    deleted           TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY IDX_EMAIL_ID (email_id),
    KEY IDX_EMAIL_ADDRESS_ID (email_address_id),
    UNIQUE KEY UNIQ_EMAIL_ID_EMAIL_ADDRESS_ID_ADDRESS_TYPE (email_id, email_address_id, address_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE task (
    id           VARCHAR(17) NOT NULL,
    name         VARCHAR(255) DEFAULT NULL,
    deleted      TINYINT(1) DEFAULT 0,
    status       VARCHAR(255) DEFAULT 'Not Started',
    date_end     DATETIME DEFAULT NULL,
    parent_id    VARCHAR(17) DEFAULT NULL,
    parent_type  VARCHAR(100) DEFAULT NULL,
    contact_id   VARCHAR(17) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY IDX_PARENT (parent_id, parent_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE note (
    id            VARCHAR(17) NOT NULL,
    deleted       TINYINT(1) DEFAULT 0,
    post          MEDIUMTEXT,
    data          MEDIUMTEXT,
    type          VARCHAR(24) DEFAULT 'Post',
    parent_id     VARCHAR(17) DEFAULT NULL,
    parent_type   VARCHAR(100) DEFAULT NULL,
    related_id    VARCHAR(17) DEFAULT NULL,
    related_type  VARCHAR(100) DEFAULT NULL,
    created_at    DATETIME DEFAULT NULL,
    PRIMARY KEY (id),
    KEY IDX_PARENT (parent_id, parent_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- opportunity, contact_opportunity: application/Espo/Modules/Crm/Resources/metadata/
-- entityDefs/Opportunity.json at tag 8.4.2 (same fields in 10.0.0). amount is a currency
-- field with decimal false: DOUBLE plus amount_currency VARCHAR(3); stage and lastStage
-- enums (VARCHAR(255), stage default 'Prospecting'); probability int; closeDate date;
-- account, contact (belongsTo Contact, foreign opportunitiesPrimary: the opportunity's
-- primary contact, which the preset detaches), campaign and user links. The contacts link
-- (hasMany, foreign Contact.opportunities, additional column role varchar 50) is the
-- many-many table contact_opportunity, built as contact_meeting above. EspoCRM declares
-- no foreign key: nothing stops the operator from detaching or deleting either.
CREATE TABLE opportunity (
    id                VARCHAR(17) NOT NULL,
    name              VARCHAR(255) DEFAULT NULL,
    deleted           TINYINT(1) DEFAULT 0,
    amount            DOUBLE DEFAULT NULL,
    stage             VARCHAR(255) DEFAULT 'Prospecting',
    last_stage        VARCHAR(255) DEFAULT NULL,
    probability       INT DEFAULT NULL,
    lead_source       VARCHAR(255) DEFAULT NULL,
    close_date        DATE DEFAULT NULL,
    description       MEDIUMTEXT,
    created_at        DATETIME DEFAULT NULL,
    modified_at       DATETIME DEFAULT NULL,
    amount_currency   VARCHAR(3) DEFAULT NULL,
    account_id        VARCHAR(17) DEFAULT NULL,
    contact_id        VARCHAR(17) DEFAULT NULL,
    campaign_id       VARCHAR(17) DEFAULT NULL,
    created_by_id     VARCHAR(17) DEFAULT NULL,
    modified_by_id    VARCHAR(17) DEFAULT NULL,
    assigned_user_id  VARCHAR(17) DEFAULT NULL,
    PRIMARY KEY (id),
    KEY IDX_STAGE (stage, deleted),
    KEY IDX_ACCOUNT_ID (account_id),
    KEY IDX_CONTACT_ID (contact_id),
    UNIQUE KEY UNIQ_CREATED_AT_ID (created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE contact_opportunity (
    id              BIGINT NOT NULL AUTO_INCREMENT,
    contact_id      VARCHAR(17) DEFAULT NULL,
    opportunity_id  VARCHAR(17) DEFAULT NULL,
    role            VARCHAR(50) DEFAULT NULL,
    deleted         TINYINT(1) DEFAULT 0,
    PRIMARY KEY (id),
    KEY IDX_CONTACT_ID (contact_id),
    KEY IDX_OPPORTUNITY_ID (opportunity_id),
    UNIQUE KEY UNIQ_CONTACT_ID_OPPORTUNITY_ID (contact_id, opportunity_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
