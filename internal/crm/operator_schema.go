package crm

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// OperatorSchema is where the operator keeps its own tables (the erasure ledger, sweep
// checkpoints, MySQL/MariaDB role and login markers): a PostgreSQL schema inside the CRM
// database, or a MySQL/MariaDB database on the CRM's server, that only the operator's login
// may use (REVOKE ALL … FROM PUBLIC; no AccessRole may name its objects). SQLite has no
// users: its operator tables stay in the main database file.
//
// On MySQL/MariaDB one operator database serves every CRM database of the server, so each
// of the operator's rows there names the CRM database it concerns (column crm_database);
// on PostgreSQL and SQLite that column is empty.
const OperatorSchema = "crm_privacy"

// OperatorObjectPrefix starts the name of every object the operator creates in a CRM
// database; AccessRoles may not grant privileges on such objects.
const OperatorObjectPrefix = "crm_privacy_"

// OperatorTable returns the quoted, schema-qualified name of one of the operator's own
// tables.
func (db *Database) OperatorTable(table string) string {
	t, _ := db.dialect.QuoteIdent(table)
	if db.dialect.Engine() == EngineSQLite {
		return t
	}
	s, _ := db.dialect.QuoteIdent(OperatorSchema)
	return s + "." + t
}

// OperatorTableName is the unquoted name of one of the operator's tables, for messages.
func OperatorTableName(e Engine, table string) string {
	if e == EngineSQLite {
		return table
	}
	return OperatorSchema + "." + table
}

// PrivilegeError says that the operator's database login lacks a privilege a statement
// needs. It names the privilege and the object, never a value.
type PrivilegeError struct {
	// Privilege is the SQL privilege, e.g. "INSERT", "CREATE", "USAGE".
	Privilege string
	// Object is what it is needed on, e.g. "crm_privacy.crm_privacy_erasure_ledger",
	// "database crm", "table contacts".
	Object string
	// Err is the server's error.
	Err error
}

func (e *PrivilegeError) Error() string {
	return fmt.Sprintf("the operator's login lacks %s on %s: grant it as docs/security.md lists (%v)", e.Privilege, e.Object, e.Err)
}

func (e *PrivilegeError) Unwrap() error { return e.Err }

// IsPermissionDenied reports whether err is the server refusing a statement for a missing
// privilege: PostgreSQL SQLSTATE 42501; MySQL/MariaDB 1142 (table), 1143 (column), 1044
// (database), 1227 (global privilege).
func IsPermissionDenied(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "42501"
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		switch my.Number {
		case 1142, 1143, 1044, 1227:
			return true
		}
	}
	return false
}

// NewPrivilegeError returns a *PrivilegeError when err is a permission failure of a statement
// that needs privilege on object, and err unchanged otherwise.
func NewPrivilegeError(err error, privilege, object string) error {
	if err == nil || !IsPermissionDenied(err) {
		return err
	}
	var pe *PrivilegeError
	if errors.As(err, &pe) {
		return err
	}
	return &PrivilegeError{Privilege: privilege, Object: object, Err: err}
}

// UnverifiedRowError is a row of one of the operator's tables whose MAC does not verify
// under the operator key: it was not written by this operator (forged, copied, or written
// under a rotated key). The operator reports it and never acts on it.
type UnverifiedRowError struct {
	// Table is the operator table, e.g. "crm_privacy.crm_privacy_sweep_checkpoint".
	Table string
	// Policy is the RetentionPolicy ("namespace/name") the row claims to belong to.
	Policy string
	// Reason says why it does not verify: "no MAC", "MAC under another operator key",
	// "MAC does not match".
	Reason string
}

func (e *UnverifiedRowError) Error() string {
	return fmt.Sprintf("the row of %s in %s does not verify (%s): it was not written by this operator and is not acted on; delete it once investigated",
		e.Policy, e.Table, e.Reason)
}

// Reasons of an UnverifiedRowError.
const (
	UnverifiedNoMAC    = "no MAC"
	UnverifiedOtherKey = "MAC under another operator key"
	UnverifiedBadMAC   = "MAC does not match"
)

// VerifyRow checks a row's key id and MAC against want, the MAC the row should carry under
// key; it returns "" when the row verifies, else the reason.
func VerifyRow(key []byte, keyID, mac sql.NullString, want string) string {
	// A CHAR column returns '' padded with blanks.
	keyID.String, mac.String = strings.TrimSpace(keyID.String), strings.TrimSpace(mac.String)
	switch {
	case !mac.Valid || mac.String == "":
		return UnverifiedNoMAC
	case keyID.Valid && keyID.String != KeyID(key):
		return UnverifiedOtherKey
	case !hmac.Equal([]byte(mac.String), []byte(want)):
		return UnverifiedBadMAC
	}
	return ""
}

// operatorScopes caches each Database's scope (see scope).
var operatorScopes sync.Map // *Database → string

// Scope is the value of the crm_database column of the operator's rows: on MySQL/MariaDB
// the CRM database the connection uses (the operator's database is shared by the
// server's databases), elsewhere "".
func (db *Database) Scope(ctx context.Context) (string, error) {
	if db.dialect.Engine() != EngineMySQL {
		return "", nil
	}
	if s, ok := operatorScopes.Load(db); ok {
		return s.(string), nil
	}
	var name sql.NullString
	if err := db.db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
		return "", fmt.Errorf("while reading the name of the CRM database: %w", err)
	}
	if !name.Valid || name.String == "" {
		return "", errors.New("the connection has no default database: name the CRM database in the connection settings")
	}
	if strings.EqualFold(name.String, OperatorSchema) {
		return "", fmt.Errorf("the CRM database may not be %s: that name is the operator's own database", OperatorSchema)
	}
	operatorScopes.Store(db, name.String)
	return name.String, nil
}

// EnsureOperatorSchema creates the operator's schema (PostgreSQL) or database
// (MySQL/MariaDB) when it is missing, and makes sure nobody but its owner may use it:
// on PostgreSQL it must be owned by the operator's login, and PUBLIC holds no privilege on
// it. SQLite needs nothing.
func (db *Database) EnsureOperatorSchema(ctx context.Context) error {
	switch db.dialect.Engine() {
	case EnginePostgres:
		return db.ensurePostgresSchema(ctx)
	case EngineMySQL:
		var n int
		if err := db.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", OperatorSchema).Scan(&n); err != nil {
			return fmt.Errorf("while looking for the operator's database %s: %w", OperatorSchema, err)
		}
		if n > 0 {
			return nil
		}
		_, err := db.db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+OperatorSchema+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
		if err != nil {
			return NewPrivilegeError(fmt.Errorf("while creating the operator's database %s: %w", OperatorSchema, err), "CREATE", OperatorSchema+".*")
		}
	}
	return nil
}

func (db *Database) ensurePostgresSchema(ctx context.Context) error {
	owned, found, err := db.pgSchemaOwned(ctx)
	if err != nil {
		return err
	}
	if !found {
		var dbName string
		if err := db.db.QueryRowContext(ctx, "SELECT pg_catalog.current_database()").Scan(&dbName); err != nil {
			return fmt.Errorf("while reading the database name: %w", err)
		}
		// A concurrent creator (another replica) can make CREATE SCHEMA IF NOT EXISTS fail
		// with a duplicate-object error: the second attempt sees the schema.
		for attempt := 0; attempt < 2; attempt++ {
			if err = db.ExecAll(ctx, []string{
				`CREATE SCHEMA IF NOT EXISTS "` + OperatorSchema + `" AUTHORIZATION CURRENT_USER`,
				`REVOKE ALL ON SCHEMA "` + OperatorSchema + `" FROM PUBLIC`,
			}); err == nil || IsPermissionDenied(err) || ctx.Err() != nil {
				break
			}
		}
		if err != nil {
			return NewPrivilegeError(fmt.Errorf("while creating the operator's schema %s: %w", OperatorSchema, err), "CREATE", "database "+dbName)
		}
		if owned, _, err = db.pgSchemaOwned(ctx); err != nil {
			return err
		}
	}
	if !owned {
		return fmt.Errorf("schema %s exists but is not owned by the operator's login: the operator keeps its tables only in a schema its own login owns, so that no CRM user can reach them; "+
			"if that schema is the operator's, make its login the owner (ALTER SCHEMA %s OWNER TO <login>), otherwise drop or rename it", OperatorSchema, OperatorSchema)
	}
	// PUBLIC (every role) must hold nothing on the schema or its tables; the owner may have
	// granted read access to auditors, which is left alone.
	var public int
	if err := db.db.QueryRowContext(ctx, `
SELECT (SELECT COUNT(*) FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a WHERE n.nspname = $1 AND a.grantee = 0)
     + (SELECT COUNT(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, pg_catalog.aclexplode(c.relacl) a
        WHERE n.nspname = $1 AND a.grantee = 0)`, OperatorSchema).Scan(&public); err != nil {
		return fmt.Errorf("while checking the privileges on schema %s: %w", OperatorSchema, err)
	}
	if public > 0 {
		if err := db.ExecAll(ctx, []string{
			`REVOKE ALL ON SCHEMA "` + OperatorSchema + `" FROM PUBLIC`,
			`REVOKE ALL ON ALL TABLES IN SCHEMA "` + OperatorSchema + `" FROM PUBLIC`,
			`REVOKE ALL ON ALL SEQUENCES IN SCHEMA "` + OperatorSchema + `" FROM PUBLIC`,
		}); err != nil {
			return fmt.Errorf("while revoking PUBLIC's privileges on schema %s: %w", OperatorSchema, err)
		}
	}
	return nil
}

// pgSchemaOwned reports whether the operator schema exists and whether the current user
// owns it. The catalogs are readable by every role.
func (db *Database) pgSchemaOwned(ctx context.Context) (owned, found bool, err error) {
	err = db.db.QueryRowContext(ctx,
		"SELECT n.nspowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user) FROM pg_catalog.pg_namespace n WHERE n.nspname = $1",
		OperatorSchema).Scan(&owned)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, false, nil
	case err != nil:
		return false, false, fmt.Errorf("while looking for the operator's schema %s: %w", OperatorSchema, err)
	}
	return owned, true, nil
}

// OperatorTableInfo describes one of the operator's tables: whether it exists, its
// columns (lowercase) and, on PostgreSQL, whether the operator's login owns it. It only
// reads the catalog, so it works for a login without any privilege on the table.
type OperatorTableInfo struct {
	Exists  bool
	owned   bool
	Columns map[string]bool
}

// DescribeOperatorTable reads, from the catalog only, what OperatorTableInfo describes.
func (db *Database) DescribeOperatorTable(ctx context.Context, q Querier, table string) (OperatorTableInfo, error) {
	info := OperatorTableInfo{Columns: map[string]bool{}, owned: true}
	var (
		rows *sql.Rows
		err  error
	)
	switch db.dialect.Engine() {
	case EnginePostgres:
		var owned bool
		err = q.QueryRowContext(ctx, `
SELECT c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`, OperatorSchema, table).Scan(&owned)
		if errors.Is(err, sql.ErrNoRows) {
			return info, nil
		}
		if err != nil {
			return info, fmt.Errorf("while looking for %s: %w", OperatorTableName(EnginePostgres, table), err)
		}
		info.Exists, info.owned = true, owned
		rows, err = q.QueryContext(ctx, `
SELECT a.attname FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`, OperatorSchema, table)
	case EngineMySQL:
		var n int
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", OperatorSchema, table).Scan(&n); err != nil {
			return info, fmt.Errorf("while looking for %s: %w", OperatorTableName(EngineMySQL, table), err)
		}
		if n == 0 {
			return info, nil
		}
		info.Exists = true
		rows, err = q.QueryContext(ctx, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", OperatorSchema, table)
	default:
		var n int
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil {
			return info, fmt.Errorf("while looking for %s: %w", table, err)
		}
		if n == 0 {
			return info, nil
		}
		info.Exists = true
		rows, err = q.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	}
	if err != nil {
		return info, fmt.Errorf("while reading the columns of %s: %w", OperatorTableName(db.dialect.Engine(), table), err)
	}
	defer CloseRows(rows, &err)
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return info, err
		}
		info.Columns[strings.ToLower(c)] = true
	}
	return info, err
}

// CheckOperatorTable verifies an existing operator table: owned by the operator's login
// (PostgreSQL), with every column in want. On MySQL/MariaDB the catalog shows only the
// Columns a login may use, so a table without a visible column is a missing privilege,
// not a foreign table.
func (db *Database) CheckOperatorTable(info OperatorTableInfo, table string, want []string) error {
	name := OperatorTableName(db.dialect.Engine(), table)
	if !info.owned {
		return fmt.Errorf("table %s is not owned by the operator's login: make its login the owner, or drop the table", name)
	}
	if len(info.Columns) == 0 && db.dialect.Engine() == EngineMySQL {
		return &PrivilegeError{Privilege: "SELECT", Object: name, Err: errors.New("the catalog shows no column of the table to the operator's login")}
	}
	var missing []string
	for _, c := range want {
		if !info.Columns[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("table %s lacks the column(s) %s the operator writes: it was not created by this version of the operator", name, strings.Join(missing, ", "))
	}
	return nil
}

// IsSyntaxUnsupported reports whether a MySQL/MariaDB server refused a statement because its
// SQL lacks a construct the statement uses: a parse error (1064) or an unknown function
// (1305), as JSON_TABLE gives on MariaDB before 10.6. A caller may then fall back to an
// older form of the same statement.
func IsSyntaxUnsupported(err error) bool {
	var my *mysql.MySQLError
	return errors.As(err, &my) && (my.Number == 1064 || my.Number == 1305)
}

// IsTransient reports whether the server rolled a transaction back to break a deadlock or a
// serialization conflict, or gave up waiting for a row lock: nothing of it was applied, and
// running it again may succeed. PostgreSQL 40P01 and 40001, MySQL/MariaDB 1213 and 1205,
// SQLite's busy and locked results.
func IsTransient(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40P01" || pg.Code == "40001"
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1213 || my.Number == 1205
	}
	return err != nil && (strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "SQLITE_LOCKED") ||
		strings.Contains(err.Error(), "database is locked"))
}
