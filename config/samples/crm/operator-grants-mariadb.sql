-- The privileges of the operator's login on a MariaDB / MySQL CRM database with the
-- generic schema (generic-mysql.sql), for retention policies (DryRun and Enforce) and the
-- erasure ledger. No AccessRoles: those need more (docs/accessrole.md).
--
-- Run it as an administrator, after replacing the login name, the password and the
-- database name `crm`; list your own mapped tables and columns. The tests of
-- internal/crm run this file as written (with another login and database name) and then
-- run the operator as that login.

-- 1. DryRun: the login reads, and writes nothing.
CREATE USER 'crm_privacy_operator'@'%' IDENTIFIED BY 'change-me-example-only';
GRANT SELECT ON `crm`.* TO 'crm_privacy_operator'@'%';

-- @enforce
-- 2. Enforce: everything above, and the following.
-- The operator's own database, crm_privacy, on the CRM's server: its ledger and sweep
-- checkpoints live there, out of reach of every CRM user. MariaDB gives the creator of a
-- table no right on it: every privilege the operator uses there is granted here.
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `crm_privacy`.* TO 'crm_privacy_operator'@'%';
-- Delete rules: the contacts, the extension table and the Delete dependents.
GRANT DELETE ON `crm`.`contacts` TO 'crm_privacy_operator'@'%';
GRANT DELETE ON `crm`.`interactions` TO 'crm_privacy_operator'@'%';
GRANT DELETE ON `crm`.`notes` TO 'crm_privacy_operator'@'%';
-- Nullify dependents: their contact column.
GRANT UPDATE (`contact_id`) ON `crm`.`deals` TO 'crm_privacy_operator'@'%';
-- Anonymize rules: the columns they overwrite.
GRANT UPDATE (`email`, `first_name`, `last_name`, `phone`) ON `crm`.`contacts` TO 'crm_privacy_operator'@'%';
-- Data-subject requests: an Erasure deletes as a Delete rule does (above); an Objection
-- sets the opt-out flag and its time; a Rectification sets the columns of the fields it
-- names (here those above). A field mapped to an extension table that a contact has no
-- row in also needs INSERT on that table.
GRANT UPDATE (`opt_out`, `opt_out_at`) ON `crm`.`contacts` TO 'crm_privacy_operator'@'%';

-- @access
-- 3. AccessRoles: everything above, and the following. The operator creates roles and its
-- members' accounts (CREATE USER), grants what the AccessRoles declare (WITH GRANT
-- OPTION on the CRM's tables), reads the grant tables to see what is really granted and
-- sets the members' default role (SELECT, UPDATE on mysql.*: SET DEFAULT ROLE … FOR
-- another account needs UPDATE there, and MariaDB accepts it on the whole schema only),
-- ends the sessions of the accounts it locks (CONNECTION ADMIN) and keeps password
-- verifiers out of the binary log (BINLOG ADMIN, to set sql_log_bin = 0 for that
-- statement). With the general query log on, it also needs SUPER (sql_log_off), or it
-- withholds passwords and says so. ed25519 logins need the plugin, installed once by an
-- administrator: INSTALL SONAME 'auth_ed25519'.
GRANT SELECT, INSERT, UPDATE, DELETE ON `crm`.* TO 'crm_privacy_operator'@'%' WITH GRANT OPTION;
GRANT CREATE USER, CONNECTION ADMIN, BINLOG ADMIN ON *.* TO 'crm_privacy_operator'@'%';
GRANT SELECT, UPDATE ON `mysql`.* TO 'crm_privacy_operator'@'%';
