-- Reference CRM schema of crm-privacy-operator: the "generic" mapping preset, SQLite 3.35+.
--
-- A CRMDatabase with `preset: generic` and no explicit mapping works on this schema as is.
-- Load it with:  sqlite3 crm.db < generic-sqlite.sql
--
-- The operator creates its own table, crm_privacy_erasure_ledger, when the ledger is
-- enabled; it is not part of this file.
--
-- Conventions:
--   * SQLite has no date type. Time columns are declared TIMESTAMP (DATE for dates): the
--     declared name is what tells the operator, and the Go driver, that they hold times.
--     Values are text in SQLite's format, UTC: 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00'.
--   * booleans are BOOLEAN columns holding 0 or 1;
--   * foreign keys are enforced when the connection enables them (the operator does);
--     there is no ON DELETE CASCADE on purpose: erasing a contact must handle every
--     dependent table explicitly (mapping.dependents).

-- One row per person. Logical field → column is given in the comment of each column.
CREATE TABLE contacts (
    id                 INTEGER PRIMARY KEY,                -- contact key (the rowid)
    email              TEXT,                               -- email
    first_name         TEXT,                               -- firstName
    last_name          TEXT,                               -- lastName
    phone              TEXT,                               -- phone (business phone)
    company            TEXT,                               -- company
    contact_type       TEXT CHECK (contact_type IN ('B2B', 'B2C')), -- contactType
    job_role           TEXT,                               -- jobRole
    legal_basis        TEXT,                               -- legalBasis: one of the six bases of GDPR Art. 6(1)
    consent_at         TIMESTAMP,                          -- consentAt: evidence of consent, when
    consent_method     TEXT,                               -- consentMethod: web form, phone, email, in person
    opt_out            BOOLEAN NOT NULL DEFAULT 0 CHECK (opt_out IN (0, 1)),       -- optOut
    opt_out_at         TIMESTAMP,                          -- optOutAt: when the person objected (map it explicitly, the preset does not)
    legal_hold         BOOLEAN NOT NULL DEFAULT 0 CHECK (legal_hold IN (0, 1)),    -- legalHold
    lifecycle_stage    TEXT,                               -- lifecycleStage
    created_at         TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')), -- createdAt
    last_contact_at    TIMESTAMP,                          -- lastContactAt
    -- Private fields that data minimisation says must stay empty (mapping.restrictedFields).
    birth_date         DATE,                               -- birthDate
    personal_phone     TEXT,                               -- personalPhone
    spouse_name        TEXT,                               -- spouseName
    children_names     TEXT,                               -- childrenNames
    personal_interests TEXT                                -- personalInterests
);

CREATE INDEX contacts_last_contact_at_idx ON contacts (last_contact_at);
CREATE INDEX contacts_created_at_idx ON contacts (created_at);
-- Data-subject requests look a person up by email without regard to case: lower(email).
CREATE INDEX contacts_lower_email_idx ON contacts (lower(email));

-- Calls, emails, meetings… logged for a contact; they can renew the retention term.
CREATE TABLE interactions (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    occurred_at TIMESTAMP NOT NULL,
    kind        TEXT NOT NULL,                             -- call, email, meeting, form, …
    direction   TEXT CHECK (direction IN ('inbound', 'outbound'))
);

-- The newest interaction of a contact, by kind, is read from this index alone.
CREATE INDEX interactions_contact_time_idx ON interactions (contact_id, occurred_at, kind, direction);

-- Free-text notes about a contact: personal data, deleted with the contact.
CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    body       TEXT NOT NULL
);

CREATE INDEX notes_contact_idx ON notes (contact_id);

-- Deals are business records that outlive the person: erasure detaches them (nullify).
CREATE TABLE deals (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER REFERENCES contacts (id),
    title      TEXT NOT NULL,
    amount     NUMERIC,
    stage      TEXT,
    closed_at  TIMESTAMP
);

CREATE INDEX deals_contact_idx ON deals (contact_id);
