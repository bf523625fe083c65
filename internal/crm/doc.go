// Package crm is the CRM database layer of the operator: every SQL statement the project
// sends to a CRM's own database is built here, and nowhere else.
//
// It has four parts:
//
//   - Dialects. One interface, Dialect, with three implementations: PostgreSQL (pgx v5,
//     driver "pgx"), MySQL/MariaDB (go-sql-driver/mysql, driver "mysql") and SQLite
//     (modernc.org/sqlite, pure Go, driver "sqlite"). A dialect quotes identifiers, numbers
//     bind parameters ($1 or ?), reads the server version and introspects the catalog
//     (columns and their types, unique keys, tables). Identifiers are validated against
//     IdentPattern before they are quoted, so a name that is not a plain SQL identifier
//     never reaches a statement; values are always bound parameters.
//
//   - Connections. Pools keeps one *sql.DB per CRMDatabase (keyed by "namespace/name"),
//     shared by every controller, with bounded pool sizes and timeouts. The pool is replaced
//     and the old one closed when the connection settings change (a rotated Secret), and
//     closed when the CRMDatabase goes away. A tenant's DSN is a trust boundary: ParseDSN
//     reads it into ConnConfig's host, port, user, password, database, TLS mode and schema,
//     refusing every option outside a per-engine allow-list (*UnsupportedOptionError), and
//     the drivers get configurations built from those fields only — no option that reads a
//     file of the pod (MySQL allowAllFiles, pgx passfile/servicefile/sslrootcert…) and no
//     PG* environment variable takes part. HostAllowList (--allowed-database-hosts) checks
//     each address in the dialer. Passwords never appear in errors: parse errors quote no
//     part of a DSN and driver errors are scrubbed. ClassifyError names the kind of a
//     failure (Unreachable, AuthenticationFailed, UnsupportedOption, HostNotAllowed,
//     TLSError, …) by the errors' types, for a condition reason.
//
//   - Mapping. The types, presets and Resolve live in the driver-free sub-package
//     internal/crm/mapping (aliased here), so that the kubectl plugin can read mappings
//     without linking a driver. Mapping describes, in plain Go types independent of the
//     Kubernetes API,
//     where the logical fields (email, contactType, legalBasis, lastContactAt, …) of a
//     contact live: the contacts table, an optional 1:1 extension table (SuiteCRM
//     contacts_cstm), interaction tables (optionally through a link table), dependent tables
//     and the personal and restricted fields. Presets describe known schemas ("generic", the
//     project's reference schema shipped as DDL in config/samples/crm, and "suitecrm");
//     Resolve merges an explicit mapping over a preset field by field; ResolveFor does the
//     same and then moves preset fields that a database keeps elsewhere (SuiteCRM's GDPR
//     fields: contacts since 7.10, contacts_cstm before) to where it keeps them. Validate
//     checks a mapping against the real catalog and reports every problem by mapping path;
//     ProblemsMessage renders them for a status condition.
//
//   - Ledger and checkpoints. The operator's own tables live in the schema (MySQL/MariaDB:
//     database) crm_privacy, out of reach of CRM users (operator_schema.go). EnsureLedger
//     creates the erasure ledger, crm_privacy_erasure_ledger, idempotently, and copies an
//     old ledger once; InsertLedger writes proof-of-erasure rows that hold a keyed hash of
//     the contact key, idempotently per (policy, run, subject), so a run resumed after a
//     crash never counts a contact twice. Ledger and checkpoint rows carry a MAC under the
//     operator key (keys.go): a row that does not verify is never counted or resumed from
//     (*UnverifiedRowError). A missing privilege is a *PrivilegeError naming it.
//
// Nothing in this package logs or returns row values: errors carry table and column names,
// counts and identifiers only.
package crm
