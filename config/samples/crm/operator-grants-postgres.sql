-- The privileges of the operator's login on a PostgreSQL CRM database with the generic
-- schema (generic-postgres.sql), for retention policies (DryRun and Enforce) and the
-- erasure ledger. No AccessRoles: those need more (docs/accessrole.md).
--
-- Run it as the database owner or a superuser, after replacing the login name, the
-- password and the database name "crm"; list your own mapped tables and columns. The tests
-- of internal/crm run this file as written (with another login and database name) and then
-- run the operator as that login.

-- 1. DryRun: the login reads, and writes nothing.
CREATE ROLE crm_privacy_operator LOGIN PASSWORD 'change-me-example-only';
GRANT CONNECT ON DATABASE "crm" TO crm_privacy_operator;
GRANT USAGE ON SCHEMA public TO crm_privacy_operator;
-- every mapped table: contacts, extension, interactions and their link tables, dependents
GRANT SELECT ON contacts, interactions, notes, deals TO crm_privacy_operator;

-- @enforce
-- 2. Enforce: everything above, and the following.
-- The operator's own schema, crm_privacy, which it creates and owns: its ledger and
-- sweep checkpoints live there, out of reach of every CRM user.
GRANT CREATE ON DATABASE "crm" TO crm_privacy_operator;
-- Delete rules: the contacts, the extension table and the Delete dependents.
GRANT DELETE ON contacts, interactions, notes TO crm_privacy_operator;
-- Nullify dependents: their contact column.
GRANT UPDATE (contact_id) ON deals TO crm_privacy_operator;
-- Anonymize rules: the columns they overwrite. A batch also locks its contacts
-- (SELECT ... FOR UPDATE), which PostgreSQL allows only with UPDATE on some column of
-- the contacts table: with Delete rules only, grant UPDATE on one column (e.g. email).
GRANT UPDATE (email, first_name, last_name, phone) ON contacts TO crm_privacy_operator;
-- Data-subject requests: an Erasure deletes as a Delete rule does (above); an Objection
-- sets the opt-out flag and its time; a Rectification sets the columns of the fields it
-- names (here those above). A field mapped to an extension table that a contact has no
-- row in also needs INSERT on that table.
GRANT UPDATE (opt_out, opt_out_at) ON contacts TO crm_privacy_operator;

-- @access
-- 3. AccessRoles: everything above, and the following. The operator creates the group
-- roles and its members' logins (CREATEROLE), grants and revokes what the AccessRoles
-- declare (only an owner can revoke every grant on its tables, and only the owner of
-- contacts may put a row filter on it), ends the sessions of the logins it locks
-- (pg_signal_backend) and sends password verifiers with statement logging switched off
-- for that transaction (SET on the logging parameters). Not a superuser: the operator
-- refuses to manage roles with SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS.
ALTER ROLE crm_privacy_operator CREATEROLE;
-- A role needs USAGE on the tables' schema to reach them: the operator grants it.
GRANT USAGE ON SCHEMA public TO crm_privacy_operator WITH GRANT OPTION;
ALTER TABLE contacts OWNER TO crm_privacy_operator;
ALTER TABLE interactions OWNER TO crm_privacy_operator;
ALTER TABLE notes OWNER TO crm_privacy_operator;
ALTER TABLE deals OWNER TO crm_privacy_operator;
GRANT pg_signal_backend TO crm_privacy_operator;
GRANT SET ON PARAMETER log_statement, log_min_duration_statement, log_min_duration_sample,
  log_transaction_sample_rate, log_min_error_statement TO crm_privacy_operator;
