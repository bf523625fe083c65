package crm

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	// The SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"
)

// Database is one CRM database: its dialect and its connection pool. It is safe for
// concurrent use. Get one from Pools (shared per CRMDatabase), Open, or NewDatabase.
type Database struct {
	dialect      Dialect
	db           *sql.DB
	queryTimeout time.Duration
	target       string
	secrets      []string
	// opKeys authenticate the rows the operator keeps in the database (checkpoints,
	// markers); see keys.go.
	opKeys OperatorKeys
}

// Open opens a pool for c without connecting (use Ping to connect). The pool's limits
// are c's, with defaults for zero values.
func Open(c ConnConfig) (*Database, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	dialect, err := DialectFor(c.Engine)
	if err != nil {
		return nil, err
	}
	dsn, err := BuildDSN(c)
	if err != nil {
		return nil, err
	}
	secrets := append([]string{c.Password, dsn}, dsnSecrets(c.Engine, dsn)...)
	db := &Database{dialect: dialect, queryTimeout: c.QueryTimeout, target: describeTarget(c), secrets: secrets}
	sqlDB, err := openSQLDB(c, dsn)
	if err != nil {
		return nil, db.scrub(fmt.Errorf("while opening the %s: %w", db.target, err))
	}
	sqlDB.SetMaxOpenConns(c.MaxOpenConns)
	sqlDB.SetMaxIdleConns(c.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(c.ConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(c.ConnMaxIdleTime)
	db.db = sqlDB
	return db, nil
}

// NewDatabase wraps an already opened *sql.DB of the given engine (for tests and tools).
// Closing the Database closes sqlDB.
func NewDatabase(e Engine, sqlDB *sql.DB) (*Database, error) {
	dialect, err := DialectFor(e)
	if err != nil {
		return nil, err
	}
	return &Database{dialect: dialect, db: sqlDB, queryTimeout: DefaultQueryTimeout, target: string(e) + " database"}, nil
}

// openSQLDB opens the driver pool; TLS settings a DSN cannot express are applied here.
func openSQLDB(c ConnConfig, dsn string) (*sql.DB, error) {
	switch c.Engine {
	case EnginePostgres:
		return openPostgres(c, dsn)
	case EngineMySQL:
		return openMySQL(c, dsn)
	}
	return sql.Open("sqlite", dsn)
}

func openPostgres(c ConnConfig, dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = c.ConnectTimeout
	}
	if c.DSN == "" && (c.TLSMode == TLSRequire || c.TLSMode == TLSVerifyCA || c.TLSMode == TLSVerifyFull) {
		tlsCfg, err := tlsConfigFor(c.TLSMode, c.Host, c.CACert)
		if err != nil {
			return nil, err
		}
		cfg.TLSConfig = tlsCfg
		cfg.Fallbacks = nil
	}
	return stdlib.OpenDB(*cfg), nil
}

func openMySQL(c ConnConfig, dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	// The operator reads DATETIME/TIMESTAMP values as time.Time.
	cfg.ParseTime = true
	if cfg.Timeout == 0 {
		cfg.Timeout = c.ConnectTimeout
	}
	if c.DSN == "" && (c.TLSMode == TLSVerifyCA || c.TLSMode == TLSVerifyFull) {
		tlsCfg, err := tlsConfigFor(c.TLSMode, c.Host, c.CACert)
		if err != nil {
			return nil, err
		}
		cfg.TLS = tlsCfg
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(connector), nil
}

// Dialect returns the database's dialect.
func (db *Database) Dialect() Dialect { return db.dialect }

// DB returns the shared pool. Do not close it: the Pools that made it does.
func (db *Database) DB() *sql.DB { return db.db }

// Engine returns the database's engine.
func (db *Database) Engine() Engine { return db.dialect.Engine() }

// String names the database for messages: engine, database, host and user.
func (db *Database) String() string { return db.target }

// Close closes the pool; statements in progress finish first.
func (db *Database) Close() error { return db.db.Close() }

// Ping connects (or checks a pooled connection) within the query timeout, or ctx's deadline
// when it is earlier. The error says which database could not be reached and why, without
// the password; ClassifyError tells the kind of failure.
func (db *Database) Ping(ctx context.Context) error {
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	if err := db.db.PingContext(ctx); err != nil {
		return db.scrub(fmt.Errorf("cannot connect to the %s: %w", db.target, err))
	}
	return nil
}

// ServerVersion returns the server's version, e.g. "PostgreSQL 15.14 (Debian …)",
// "10.11.19-MariaDB-0+deb12u1", "SQLite 3.50.4".
func (db *Database) ServerVersion(ctx context.Context) (string, error) {
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	v, err := db.dialect.ServerVersion(ctx, db.db)
	return v, db.scrub(err)
}

// Tables lists the tables and views the connection sees without a schema prefix.
func (db *Database) Tables(ctx context.Context) ([]string, error) {
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	t, err := db.dialect.Tables(ctx, db.db)
	return t, db.scrub(err)
}

// DescribeTable returns a table's columns; the error wraps ErrTableNotFound when missing.
func (db *Database) DescribeTable(ctx context.Context, table string) (*Table, error) {
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	t, err := db.dialect.DescribeTable(ctx, db.db, table)
	return t, db.scrub(err)
}

// IsUnique reports whether the database guarantees the columns of table unique together.
func (db *Database) IsUnique(ctx context.Context, table string, columns []string) (bool, error) {
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	ok, err := IsUnique(ctx, db.dialect, db.db, table, columns)
	return ok, db.scrub(err)
}

// withTimeout bounds ctx by the query timeout unless it already has a deadline.
func (db *Database) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || db.queryTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, db.queryTimeout)
}

// scrub returns err with every secret of the database replaced in its message; nil stays nil.
func (db *Database) scrub(err error) error {
	return scrubError(err, db.secrets)
}

// scrubbedError is an error whose message has been cleaned of secrets. It still unwraps to
// the original error, so that errors.Is and errors.As keep working.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func scrubError(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, redactedPassword)
		}
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

// FailureReason is the kind of a connection failure, for a condition reason.
type FailureReason string

const (
	// ReasonUnreachable: no server answers at the address (refused, no route, DNS).
	ReasonUnreachable FailureReason = "Unreachable"
	// ReasonTimeout: the server did not answer in time.
	ReasonTimeout FailureReason = "Timeout"
	// ReasonAuthenticationFailed: the server refused the user or password.
	ReasonAuthenticationFailed FailureReason = "AuthenticationFailed"
	// ReasonDatabaseNotFound: the database (or SQLite file) does not exist.
	ReasonDatabaseNotFound FailureReason = "DatabaseNotFound"
	// ReasonTLSError: TLS could not be negotiated or the certificate was rejected.
	ReasonTLSError FailureReason = "TLSError"
	// ReasonServerShuttingDown: the server is starting up or shutting down.
	ReasonServerShuttingDown FailureReason = "ServerUnavailable"
	// ReasonUnknown: any other error.
	ReasonUnknown FailureReason = "Error"
)

// ClassifyError tells what kind of failure err (from Ping or any query) is.
func ClassifyError(err error) FailureReason {
	if err == nil {
		return ""
	}
	if r := classifyServerError(err); r != "" {
		return r
	}
	var tlsErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(err, &tlsErr), errors.As(err, &recordErr):
		return ReasonTLSError
	case errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return ReasonTimeout
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, mysql.ErrInvalidConn) {
		return ReasonUnreachable
	}
	return classifyByMessage(err.Error())
}

// classifyServerError reads the error codes the servers send.
func classifyServerError(err error) FailureReason {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "28P01" || pgErr.Code == "28000":
			return ReasonAuthenticationFailed
		case pgErr.Code == "3D000":
			return ReasonDatabaseNotFound
		case pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03":
			return ReasonServerShuttingDown
		}
		return ""
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case 1045, 1044, 1698:
			return ReasonAuthenticationFailed
		case 1049:
			return ReasonDatabaseNotFound
		case 1053, 1077:
			return ReasonServerShuttingDown
		}
	}
	return ""
}

// classifyByMessage covers the failures drivers report only as text.
func classifyByMessage(msg string) FailureReason {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "tls") || strings.Contains(m, "ssl") || strings.Contains(m, "x509"):
		return ReasonTLSError
	case strings.Contains(m, "unable to open database file") || strings.Contains(m, "out of memory (14)"):
		return ReasonDatabaseNotFound
	case strings.Contains(m, "connection refused") || strings.Contains(m, "no such host") ||
		strings.Contains(m, "bad connection") || strings.Contains(m, "unexpected eof") ||
		strings.Contains(m, "broken pipe") || strings.Contains(m, "conn closed"):
		return ReasonUnreachable
	case strings.Contains(m, "timeout") || strings.Contains(m, "deadline exceeded"):
		return ReasonTimeout
	}
	return ReasonUnknown
}
