// Package crm is the CRM database layer of the operator: every SQL statement the project
// sends to a CRM's own database is built in internal/crm and its sub-packages, and nowhere
// else. This package is the core they share — connections, dialects and the catalog — and
// the mapping as checked against a real database. The sub-packages each own one job:
//
//   - internal/crm/mapping: the driver-free Mapping (where a CRM keeps each logical field),
//     presets and Resolve; aliased here, so that the kubectl plugin can read mappings
//     without linking a driver;
//   - internal/crm/selector: the one selector compiler (and its reference evaluator) that
//     the plan, the scan and the row filters share;
//   - internal/crm/erasure: retention plans, the batched sweep, its checkpoint and the
//     erasure ledger;
//   - internal/crm/scan: the compliance scan of a ProcessingActivity;
//   - internal/crm/access: the database roles, grants, logins and row filters of
//     AccessRoles;
//   - internal/crm/crmtest: test helpers only (engines, sample schemas, the selector
//     agreement dataset).
//
// The sub-packages take a *Database and build on the exported primitives below; package
// crm imports none of them.
//
// This package owns:
//
//   - Dialects. One interface, Dialect, with three implementations: PostgreSQL (pgx v5,
//     driver "pgx", PostgresDialect), MySQL/MariaDB (go-sql-driver/mysql, driver "mysql",
//     MySQLDialect) and SQLite (modernc.org/sqlite, pure Go, driver "sqlite"). A dialect
//     quotes identifiers, numbers bind parameters ($1 or ?), reads the server version and
//     introspects the catalog (columns and their type classes, unique keys, tables).
//     Identifiers are validated against IdentPattern before they are quoted, so a name
//     that is not a plain SQL identifier never reaches a statement; values are always
//     bound parameters (SQLText builds statements with markers and their arguments,
//     BindTime binds times).
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
//     part of a DSN and driver errors are scrubbed (Database.Scrub). ClassifyError names
//     the kind of a failure (Unreachable, AuthenticationFailed, UnsupportedOption,
//     HostNotAllowed, TLSError, …) by the errors' types, for a condition reason.
//
//   - The mapping against the catalog. Validate checks a mapping against the real catalog
//     and reports every problem by mapping path (Check, its first stage, needs no
//     database; ProblemsMessage renders problems for a status condition); ResolveFor
//     resolves a preset and moves preset fields that a database keeps elsewhere (SuiteCRM's
//     GDPR fields: contacts since 7.10, contacts_cstm before). These stay here rather than
//     in internal/crm/mapping because they read the catalog through a dialect and use its
//     identifier rules and type classes (types.go). FieldResolver turns logical fields into
//     the selector compiler's typed, quoted columns; CountContacts and
//     ActiveContactCondition leave soft-deleted contacts out.
//
//   - The operator's schema and keys. The operator's own tables live in the schema
//     (MySQL/MariaDB: database) crm_privacy, out of reach of CRM users (operator_schema.go:
//     EnsureOperatorSchema, OperatorTable, DescribeOperatorTable, CheckOperatorTable).
//     Operator keys (keys.go) authenticate the rows the operator keeps there (erasure's
//     ledger and checkpoints, access's MySQL markers): a row that does not verify is an
//     *UnverifiedRowError and is never acted on. A missing privilege is a *PrivilegeError
//     naming it.
//
// Nothing in this package logs or returns row values: errors carry table and column names,
// counts and identifiers only.
package crm
