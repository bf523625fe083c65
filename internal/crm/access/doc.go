// Package access manages the database roles that AccessRoles declare: a group role per
// AccessRole with its table and column privileges both ways (granted when declared,
// revoked when not), its members' logins, a PostgreSQL row filter, and the locking of the
// logins an AccessRole created when it goes away. It is CloudNativePG's
// internal/management/controller/roles/ for CRM databases: the AccessRole controller calls
// Apply, Remove and LockOwnedLogins with a *crm.Database and builds no SQL itself.
//
// It owns:
//
//   - the engine-neutral model (access.go): Spec, Member, TableGrant, Result, the errors
//     (SpecError, RoleNotManagedError, MarkerNotVerifiedError, UnsupportedError) and the
//     two-way diff of privileges;
//   - PostgreSQL (postgres.go): one transaction per pass under an advisory lock, reading
//     ACLs, memberships and role comments from the catalogs; the role and login markers
//     carry a MAC under the operator's marker key (postgres_marker.go), so that nobody who
//     can COMMENT ON ROLE can make the operator adopt a role;
//   - MySQL/MariaDB (mysql.go, mysql_login.go, mysql_marker.go): roles, grants and logins,
//     with the markers kept as MAC'd rows of the operator's own database;
//   - row filters (rls.go): a selector compiled, by the one selector compiler, into
//     PostgreSQL row-level security policies, and the views that would bypass them;
//   - password verifiers: SCRAM-SHA-256 with SASLprep and MySQL native (scram.go),
//     MariaDB ed25519 (mysql_login.go), so that no clear password is sent where a
//     verifier will do.
//
// SQL lives here and in the rest of internal/crm only. Nothing here logs or returns a
// password or a row value: results and errors carry role, user, table and column names.
package access
