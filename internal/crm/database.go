package crm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
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
// are c's, with defaults for zero values. A DSN in c is parsed into the separate settings
// first (see ParseDSN); the drivers get a configuration built from those settings only.
func Open(c ConnConfig) (*Database, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n, err := c.normalized()
	if err != nil {
		return nil, err
	}
	n = n.WithDefaults()
	dialect, err := DialectFor(n.Engine)
	if err != nil {
		return nil, err
	}
	dsn, err := BuildDSN(n)
	if err != nil {
		return nil, err
	}
	secrets := append(secretForms(n.Password), c.DSN, dsn)
	db := &Database{dialect: dialect, queryTimeout: n.QueryTimeout, target: describeTarget(n), secrets: secrets}
	sqlDB, err := openSQLDB(n, dsn)
	if err != nil {
		return nil, db.Scrub(fmt.Errorf("while opening the %s: %w", db.target, err))
	}
	sqlDB.SetMaxOpenConns(n.MaxOpenConns)
	sqlDB.SetMaxIdleConns(n.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(n.ConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(n.ConnMaxIdleTime)
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

// openSQLDB opens the driver pool from c (normalized: no DSN). PostgreSQL and MySQL get a
// configuration built field by field, so that nothing the drivers would read from a
// connection string, the environment or a file takes part; dsn is used for SQLite only.
func openSQLDB(c ConnConfig, dsn string) (*sql.DB, error) {
	switch c.Engine {
	case EnginePostgres:
		return openPostgres(c)
	case EngineMySQL:
		return openMySQL(c)
	}
	return sql.Open("sqlite", dsn)
}

// pgxBase is the only string the operator hands to pgx's parser (pgx refuses a
// configuration it did not parse). It names every file-reading setting with an empty value,
// so that pgconn reads neither PGPASSFILE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY nor their
// home-directory defaults; every field that matters is then set from c.
const pgxBase = "host=localhost port=5432 user=crm dbname=crm password=unused sslmode=disable sslcertmode=disable sslrootcert='' sslcert='' sslkey='' passfile=''"

func openPostgres(c ConnConfig) (*sql.DB, error) {
	cfg, err := postgresConfig(c)
	if err != nil {
		return nil, err
	}
	return stdlib.OpenDB(*cfg), nil
}

// postgresConfig builds pgx's configuration from c alone.
func postgresConfig(c ConnConfig) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(pgxBase)
	if err != nil {
		return nil, fmt.Errorf("while preparing the PostgreSQL driver configuration: %w", err)
	}
	cfg.Host, cfg.Port = c.Host, uint16(c.Port)
	cfg.User, cfg.Password, cfg.Database = c.User, c.Password, c.Database
	cfg.ConnectTimeout = c.ConnectTimeout
	cfg.RuntimeParams = map[string]string{"application_name": applicationName}
	if c.Schema != "" {
		cfg.RuntimeParams["search_path"] = PostgresDialect{}.Quote(MustIdent(c.Schema))
	}
	// Whatever the environment (PGTARGETSESSIONATTRS, PGREQUIREAUTH, PGSERVICE…) put in,
	// take out.
	cfg.KerberosSrvName, cfg.KerberosSpn = "", ""
	cfg.ValidateConnect = nil
	cfg.SSLNegotiation = ""
	cfg.SSLCertMode = "disable"
	cfg.RequireAuth = ""
	cfg.ChannelBinding = "prefer"
	cfg.MinProtocolVersion, cfg.MaxProtocolVersion = "3.0", "3.0"
	cfg.OAuthTokenProvider = nil
	cfg.TLSConfig, cfg.Fallbacks = nil, nil
	switch c.TLSMode {
	case TLSPrefer:
		// TLS without verification when the server offers it, plaintext otherwise (libpq's
		// prefer, as pgconn builds it).
		cfg.TLSConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // prefer does not verify, by definition
		if net.ParseIP(c.Host) == nil {
			cfg.TLSConfig.ServerName = c.Host
		}
		cfg.Fallbacks = []*pgconn.FallbackConfig{{Host: c.Host, Port: uint16(c.Port)}}
	case TLSRequire, TLSVerifyCA, TLSVerifyFull:
		if cfg.TLSConfig, err = tlsConfigFor(c.TLSMode, c.Host, c.CACert); err != nil {
			return nil, err
		}
	}
	if dial := c.AllowedHosts.dialFunc(c.ConnectTimeout); dial != nil {
		// The dialer resolves and checks the host itself: hand it the name unresolved.
		cfg.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
		cfg.DialFunc = dial
	} else {
		d := &net.Dialer{Timeout: c.ConnectTimeout, KeepAlive: 5 * time.Minute}
		cfg.DialFunc = d.DialContext
	}
	return cfg, nil
}

func openMySQL(c ConnConfig) (*sql.DB, error) {
	cfg := mysqlConfig(c)
	if c.TLSMode == TLSVerifyCA || c.TLSMode == TLSVerifyFull {
		tlsCfg, err := tlsConfigFor(c.TLSMode, c.Host, c.CACert)
		if err != nil {
			return nil, err
		}
		cfg.TLS = tlsCfg
	}
	cfg.DialFunc = c.AllowedHosts.dialFunc(c.ConnectTimeout)
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
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	if err := db.db.PingContext(ctx); err != nil {
		return db.Scrub(fmt.Errorf("cannot connect to the %s: %w", db.target, err))
	}
	return nil
}

// ServerVersion returns the server's version, e.g. "PostgreSQL 15.14 (Debian …)",
// "10.11.19-MariaDB-0+deb12u1", "SQLite 3.50.4".
func (db *Database) ServerVersion(ctx context.Context) (string, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	v, err := db.dialect.ServerVersion(ctx, db.db)
	return v, db.Scrub(err)
}

// Tables lists the tables and views the connection sees without a schema prefix.
func (db *Database) Tables(ctx context.Context) ([]string, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	t, err := db.dialect.Tables(ctx, db.db)
	return t, db.Scrub(err)
}

// DescribeTable returns a table's columns; the error wraps ErrTableNotFound when missing.
func (db *Database) DescribeTable(ctx context.Context, table string) (*Table, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	t, err := db.dialect.DescribeTable(ctx, db.db, table)
	return t, db.Scrub(err)
}

// IsUnique reports whether the database guarantees the columns of table unique together.
func (db *Database) IsUnique(ctx context.Context, table string, columns []string) (bool, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	ok, err := IsUnique(ctx, db.dialect, db.db, table, columns)
	return ok, db.Scrub(err)
}

// ExecAll runs statements in order on the pool, stopping at the first error.
func (db *Database) ExecAll(ctx context.Context, statements []string) error {
	for _, s := range statements {
		if _, err := db.db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// WithTimeout bounds ctx by the query timeout unless it already has a deadline.
func (db *Database) WithTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || db.queryTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, db.queryTimeout)
}

// Scrub returns err with every secret of the database replaced in its message; nil stays nil.
func (db *Database) Scrub(err error) error {
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
		clean = replaceSecret(clean, s)
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

// minAnywhereSecret is the length from which a secret is replaced wherever it appears in a
// message. A shorter one is replaced only where it stands on its own — not inside a longer
// run of letters and digits — so that a password "a" does not turn "database" into
// "dxxxxxtxxxxxbxxxxxse". A short secret glued to other letters is then left as it is; a
// longer one cannot be told from a word and is replaced even inside one.
const minAnywhereSecret = 8

// replaceSecret replaces the whole-secret matches of secret in msg.
func replaceSecret(msg, secret string) string {
	if secret == "" {
		return msg
	}
	if len(secret) >= minAnywhereSecret {
		return strings.ReplaceAll(msg, secret, redactedPassword)
	}
	var b strings.Builder
	pos := 0
	for {
		i := strings.Index(msg[pos:], secret)
		if i < 0 {
			b.WriteString(msg[pos:])
			return b.String()
		}
		start, end := pos+i, pos+i+len(secret)
		standalone := (start == 0 || !isWordByte(msg[start-1]) || !isWordByte(secret[0])) &&
			(end == len(msg) || !isWordByte(msg[end]) || !isWordByte(secret[len(secret)-1]))
		b.WriteString(msg[pos:start])
		if standalone {
			b.WriteString(redactedPassword)
		} else {
			b.WriteString(secret)
		}
		pos = end
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// secretForms returns a password as it may appear in a message: as is, and percent-encoded
// the ways URLs and query strings encode it.
func secretForms(password string) []string {
	if password == "" {
		return nil
	}
	forms := []string{password}
	add := func(f string) {
		for _, have := range forms {
			if have == f {
				return
			}
		}
		forms = append(forms, f)
	}
	add(url.QueryEscape(password))
	add(url.PathEscape(password))
	add(strings.TrimPrefix(url.UserPassword("u", password).String(), "u:"))
	return forms
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
	// ReasonUnsupportedOption: the connection settings hold an option the operator refuses
	// (an *UnsupportedOptionError); nothing was dialled.
	ReasonUnsupportedOption FailureReason = "UnsupportedOption"
	// ReasonInvalidSettings: the connection settings do not parse (an *InvalidDSNError);
	// nothing was dialled.
	ReasonInvalidSettings FailureReason = "InvalidSettings"
	// ReasonHostNotAllowed: the host is outside the manager's --allowed-database-hosts (a
	// *HostNotAllowedError); nothing was dialled.
	ReasonHostNotAllowed FailureReason = "HostNotAllowed"
	// ReasonUnknown: any other error.
	ReasonUnknown FailureReason = "Error"
)

// ClassifyError tells what kind of failure err (from Open, Ping or any query) is. It goes by
// the errors' types; only failures that the drivers report as bare text are matched by
// message, on whole phrases (never on a fragment such as "ssl", which a parse error or a
// host name can contain).
func ClassifyError(err error) FailureReason {
	if err == nil {
		return ""
	}
	var unsupported *UnsupportedOptionError
	var invalid *InvalidDSNError
	var refused *HostNotAllowedError
	switch {
	case errors.As(err, &unsupported):
		return ReasonUnsupportedOption
	case errors.As(err, &invalid):
		return ReasonInvalidSettings
	case errors.As(err, &refused):
		return ReasonHostNotAllowed
	}
	if r := classifyServerError(err); r != "" {
		return r
	}
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	switch {
	case errors.As(err, &certErr), errors.As(err, &recordErr), errors.As(err, &alertErr),
		errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidCert),
		errors.Is(err, mysql.ErrNoTLS):
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
		switch pgErr.Code {
		case "28P01", "28000":
			return ReasonAuthenticationFailed
		case "3D000":
			return ReasonDatabaseNotFound
		case "57P01", "57P02", "57P03":
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
	case strings.Contains(m, "server refused tls connection") || strings.Contains(m, "tls: ") ||
		strings.Contains(m, "x509: "):
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
