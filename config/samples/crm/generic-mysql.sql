-- Reference CRM schema of crm-privacy-operator: the "generic" mapping preset,
-- MySQL 8.0.16+ / MariaDB 10.4+ (InnoDB, utf8mb4).
--
-- A CRMDatabase with `preset: generic` and no explicit mapping works on this schema as is.
-- Load it with:  mysql --database=crm < generic-mysql.sql
--
-- The operator creates its own table, crm_privacy_erasure_ledger, when the ledger is
-- enabled; it is not part of this file.
--
-- Conventions:
--   * times are DATETIME(6) holding UTC (the operator connects with loc=UTC);
--   * booleans are BOOLEAN, i.e. TINYINT(1);
--   * foreign keys have no ON DELETE CASCADE on purpose: erasing a contact must handle
--     every dependent table explicitly (mapping.dependents), and a dependent the mapping
--     forgot makes the erasure fail instead of silently losing or keeping data.

-- One row per person. Logical field → column is given in the comment of each column.
CREATE TABLE contacts (
    id                 BIGINT NOT NULL AUTO_INCREMENT,     -- contact key
    email              VARCHAR(320),                      -- email
    first_name         VARCHAR(100),                      -- firstName
    last_name          VARCHAR(100),                      -- lastName
    phone              VARCHAR(50),                       -- phone (business phone)
    company            VARCHAR(255),                      -- company
    contact_type       VARCHAR(3),                        -- contactType: B2B or B2C
    job_role           VARCHAR(100),                      -- jobRole: board, sales, technical, purchasing, …
    legal_basis        VARCHAR(40),                       -- legalBasis: one of the six bases of GDPR Art. 6(1)
    consent_at         DATETIME(6),                       -- consentAt: evidence of consent, when
    consent_method     VARCHAR(40),                       -- consentMethod: web form, phone, email, in person
    opt_out            BOOLEAN NOT NULL DEFAULT FALSE,    -- optOut: the person objected (Art. 21)
    opt_out_at         DATETIME(6),                       -- optOutAt: when the person objected (map it explicitly, the preset does not)
    legal_hold         BOOLEAN NOT NULL DEFAULT FALSE,    -- legalHold: never erase while set
    lifecycle_stage    VARCHAR(40),                       -- lifecycleStage
    created_at         DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), -- createdAt
    last_contact_at    DATETIME(6),                       -- lastContactAt
    -- Private fields that data minimisation says must stay empty (mapping.restrictedFields).
    birth_date         DATE,                              -- birthDate
    personal_phone     VARCHAR(50),                       -- personalPhone
    spouse_name        VARCHAR(200),                      -- spouseName
    children_names     TEXT,                              -- childrenNames
    personal_interests TEXT,                              -- personalInterests
    PRIMARY KEY (id),
    KEY contacts_last_contact_at_idx (last_contact_at),
    KEY contacts_created_at_idx (created_at),
    KEY contacts_email_idx (email),                       -- data-subject requests: email under the case-insensitive collation
    CONSTRAINT contacts_contact_type_chk CHECK (contact_type IN ('B2B', 'B2C'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='People the company is in contact with (crm-privacy-operator generic schema)';

-- Calls, emails, meetings… logged for a contact; they can renew the retention term.
CREATE TABLE interactions (
    id          BIGINT NOT NULL AUTO_INCREMENT,
    contact_id  BIGINT NOT NULL,
    occurred_at DATETIME(6) NOT NULL,
    kind        VARCHAR(32) NOT NULL,                     -- call, email, meeting, form, …
    direction   VARCHAR(8),                               -- inbound or outbound
    PRIMARY KEY (id),
    -- The newest interaction of a contact, by kind, is read from this index alone.
    KEY interactions_contact_time_idx (contact_id, occurred_at, kind, direction),
    CONSTRAINT interactions_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id),
    CONSTRAINT interactions_direction_chk CHECK (direction IN ('inbound', 'outbound'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Free-text notes about a contact: personal data, deleted with the contact.
CREATE TABLE notes (
    id         BIGINT NOT NULL AUTO_INCREMENT,
    contact_id BIGINT NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    body       TEXT NOT NULL,
    PRIMARY KEY (id),
    KEY notes_contact_idx (contact_id),
    CONSTRAINT notes_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Deals are business records that outlive the person: erasure detaches them (nullify).
CREATE TABLE deals (
    id         BIGINT NOT NULL AUTO_INCREMENT,
    contact_id BIGINT NULL,
    title      VARCHAR(255) NOT NULL,
    amount     DECIMAL(14, 2),
    stage      VARCHAR(40),
    closed_at  DATETIME(6),
    PRIMARY KEY (id),
    KEY deals_contact_idx (contact_id),
    CONSTRAINT deals_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
