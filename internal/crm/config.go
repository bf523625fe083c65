package crm

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TLSMode is how a connection to a PostgreSQL or MySQL server is encrypted; the names are
// libpq's sslmode values.
type TLSMode string

const (
	// TLSDisable never uses TLS.
	TLSDisable TLSMode = "disable"
	// TLSRequire always uses TLS and does not verify the server certificate.
	TLSRequire TLSMode = "require"
	// TLSVerifyCA uses TLS and verifies that the server certificate is signed by a trusted
	// CA (CACert, or the system roots), without checking the host name.
	TLSVerifyCA TLSMode = "verify-ca"
	// TLSVerifyFull is TLSVerifyCA plus a check that the certificate names the host.
	TLSVerifyFull TLSMode = "verify-full"
	// TLSPrefer, the empty mode, uses TLS when the server offers it and plaintext
	// otherwise: the default of libpq and of the MySQL clients.
	TLSPrefer TLSMode = ""
)

// Defaults applied by ConnConfig for zero values.
const (
	DefaultMaxOpenConns    = 4
	DefaultMaxIdleConns    = 2
	DefaultConnMaxLifetime = 30 * time.Minute
	DefaultConnMaxIdleTime = 5 * time.Minute
	DefaultConnectTimeout  = 10 * time.Second
	DefaultQueryTimeout    = 30 * time.Second
	defaultPostgresPort    = 5432
	defaultMySQLPort       = 3306
	applicationName        = "crm-privacy-operator"
	redactedPassword       = "xxxxx"
)

// ConnConfig says how to reach one CRM database. Either DSN is set (a postgres:// URL or
// key=value string, a go-sql-driver/mysql DSN, a SQLite file name or file: URI), or Host,
// User, Password, Database (and optionally Port, TLSMode, CACert, Schema) are; pool limits
// and timeouts apply to both. A DSN is never handed to a driver: ParseDSN reads it into the
// separate settings, refusing every option outside the operator's allow-list.
type ConnConfig struct {
	// Engine is the kind of server.
	Engine Engine
	// DSN is a complete driver DSN; when set, the host-based fields below must be empty.
	DSN string
	// Host and Port of the server (Port defaults to 5432 or 3306). Not used for SQLite.
	Host string
	Port int
	// User and Password to log in with.
	User     string
	Password string
	// Database is the database name; for SQLite, the path of the database file, which
	// must exist.
	Database string
	// TLSMode is how the connection is encrypted; empty means prefer.
	TLSMode TLSMode
	// CACert is a PEM bundle of the CAs that sign the server certificate, for verify-ca
	// and verify-full; empty means the system roots.
	CACert []byte
	// Schema is the PostgreSQL schema the mapping's tables are in (the connection's
	// search_path); empty means the server's default search_path.
	Schema string
	// AllowCleartextPasswords lets a MySQL server ask for the password in clear text (for
	// PAM or LDAP authentication). Only with TLSVerifyCA or TLSVerifyFull; set from a dsn's
	// allowCleartextPasswords=true.
	AllowCleartextPasswords bool
	// AllowedHosts restricts the servers the connection may reach; nil allows every host.
	// Pools sets it from the manager's --allowed-database-hosts.
	AllowedHosts *HostAllowList `json:"-"`

	// MaxOpenConns bounds the connections the pool opens (default 4).
	MaxOpenConns int
	// MaxIdleConns bounds the idle connections kept (default 2, at most MaxOpenConns).
	MaxIdleConns int
	// ConnMaxLifetime closes connections older than this (default 30m).
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle for longer than this (default 5m).
	ConnMaxIdleTime time.Duration
	// ConnectTimeout bounds establishing one connection (default 10s).
	ConnectTimeout time.Duration
	// QueryTimeout bounds each catalog, count and ledger statement whose context has no
	// deadline of its own (default 30s).
	QueryTimeout time.Duration
}

// WithDefaults returns c with the zero pool limits and timeouts set to their defaults.
func (c ConnConfig) WithDefaults() ConnConfig {
	if c.MaxOpenConns <= 0 {
		c.MaxOpenConns = DefaultMaxOpenConns
	}
	if c.MaxIdleConns <= 0 {
		c.MaxIdleConns = DefaultMaxIdleConns
	}
	c.MaxIdleConns = min(c.MaxIdleConns, c.MaxOpenConns)
	if c.ConnMaxLifetime <= 0 {
		c.ConnMaxLifetime = DefaultConnMaxLifetime
	}
	if c.ConnMaxIdleTime <= 0 {
		c.ConnMaxIdleTime = DefaultConnMaxIdleTime
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = DefaultQueryTimeout
	}
	if c.Port == 0 && c.DSN == "" {
		switch c.Engine {
		case EnginePostgres:
			c.Port = defaultPostgresPort
		case EngineMySQL:
			c.Port = defaultMySQLPort
		}
	}
	return c
}

// Validate reports every problem of the settings at once. Messages name settings, never
// their values (except the engine and TLS mode), so they are safe to show. A DSN that does
// not parse or holds a refused option gives an *InvalidDSNError or *UnsupportedOptionError
// (wrapped).
func (c ConnConfig) Validate() error {
	if _, err := ParseEngine(string(c.Engine)); err != nil {
		return err
	}
	n, err := c.normalized()
	if err != nil {
		return fmt.Errorf("invalid %s connection settings: %w", c.Engine, err)
	}
	var problems []string
	if n.Engine == EngineSQLite {
		problems = n.sqliteProblems()
	} else {
		problems = n.serverProblems()
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid %s connection settings: %s", c.Engine, strings.Join(problems, "; "))
	}
	return nil
}

// normalized returns c with its DSN, if any, parsed into the separate settings and cleared;
// the pool limits and timeouts are kept (a DSN's connect timeout wins).
func (c ConnConfig) normalized() (ConnConfig, error) {
	if c.DSN == "" {
		return c, nil
	}
	if c.Host != "" || c.Port != 0 || c.User != "" || c.Password != "" || c.Database != "" ||
		c.TLSMode != TLSPrefer || len(c.CACert) > 0 || c.Schema != "" || c.AllowCleartextPasswords {
		return ConnConfig{}, errors.New("dsn is set together with host, port, user, password, database, tlsMode, caCert or schema: give either a complete dsn or the separate settings")
	}
	p, err := ParseDSN(c.Engine, c.DSN)
	if err != nil {
		return ConnConfig{}, err
	}
	n := c
	n.DSN = ""
	n.Host, n.Port, n.User, n.Password, n.Database = p.Host, p.Port, p.User, p.Password, p.Database
	n.TLSMode, n.Schema, n.AllowCleartextPasswords = p.TLSMode, p.Schema, p.AllowCleartextPasswords
	if p.ConnectTimeout > 0 {
		n.ConnectTimeout = p.ConnectTimeout
	}
	return n.WithDefaults(), nil
}

func (c ConnConfig) sqliteProblems() []string {
	var problems []string
	if c.Database == "" {
		problems = append(problems, "database (the SQLite file path) is required")
	}
	if strings.ContainsAny(c.Database, "?#") {
		problems = append(problems, "the SQLite file path must not contain ? or #: give a file: URI as dsn instead")
	}
	if c.Host != "" || c.Port != 0 || c.User != "" || c.Password != "" || c.TLSMode != TLSPrefer || len(c.CACert) > 0 || c.Schema != "" || c.AllowCleartextPasswords {
		problems = append(problems, "host, port, user, password, tlsMode, caCert and schema do not apply to SQLite")
	}
	return problems
}

func (c ConnConfig) serverProblems() []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if c.Host == "" {
		add("host is required")
	} else if _, err := checkHost(c.Engine, c.Host); err != nil {
		add("host must be a host name or IP address (Unix sockets are not supported)")
	}
	if c.AllowCleartextPasswords && (c.Engine != EngineMySQL || (c.TLSMode != TLSVerifyCA && c.TLSMode != TLSVerifyFull)) {
		add("cleartext passwords are only allowed on MySQL over verified TLS (verify-ca or verify-full)")
	}
	if c.Port < 0 || c.Port > 65535 {
		add("port must be between 1 and 65535")
	}
	if c.User == "" {
		add("user is required")
	}
	if c.Database == "" {
		add("database is required")
	}
	switch c.TLSMode {
	case TLSPrefer, TLSDisable, TLSRequire, TLSVerifyCA, TLSVerifyFull:
	default:
		add("tlsMode %q is not one of disable, require, verify-ca, verify-full", string(c.TLSMode))
	}
	if len(c.CACert) > 0 {
		if c.TLSMode != TLSVerifyCA && c.TLSMode != TLSVerifyFull {
			add("caCert is only used with tlsMode verify-ca or verify-full")
		} else if !x509.NewCertPool().AppendCertsFromPEM(c.CACert) {
			add("caCert holds no PEM certificate")
		}
	}
	if c.Schema != "" {
		if c.Engine != EnginePostgres {
			add("schema only applies to PostgreSQL (on MySQL the database is the schema)")
		} else if _, err := ParseIdent(c.Schema); err != nil {
			add("schema: %v", err)
		}
	}
	return problems
}

// BuildDSN returns the driver DSN for c, built from the separate settings (a DSN in c is
// parsed into them first, so options outside the allow-list never come out). The result
// holds the password: never log it; use RedactDSN.
//
// On PostgreSQL and MySQL, Open does not use this string: it builds the drivers'
// configuration from the same settings, with TLS (verify-ca, verify-full, a CACert) and the
// dialer applied on top.
func BuildDSN(c ConnConfig) (string, error) {
	c, err := c.WithDefaults().normalized()
	if err != nil {
		return "", err
	}
	if err := c.Validate(); err != nil {
		return "", err
	}
	switch c.Engine {
	case EnginePostgres:
		return postgresDSN(c), nil
	case EngineMySQL:
		return mysqlConfig(c).FormatDSN(), nil
	}
	return sqliteDSN(c), nil
}

// postgresDSN builds a postgres:// URL.
func postgresDSN(c ConnConfig) string {
	q := url.Values{}
	sslmode := string(c.TLSMode)
	if c.TLSMode == TLSPrefer {
		sslmode = "prefer"
	}
	q.Set("sslmode", sslmode)
	q.Set("connect_timeout", strconv.Itoa(max(1, int(c.ConnectTimeout/time.Second))))
	q.Set("application_name", applicationName)
	if c.Schema != "" {
		q.Set("search_path", PostgresDialect{}.Quote(MustIdent(c.Schema)))
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(c.User, c.Password),
		Host:     net.JoinHostPort(c.Host, strconv.Itoa(c.Port)),
		Path:     "/" + c.Database,
		RawQuery: q.Encode(),
	}
	return u.String()
}

// mysqlConfig builds the go-sql-driver/mysql configuration from the separate settings.
// Times are read as time.Time in UTC. Everything that can read a file or weaken
// authentication stays at the driver's safe default: AllowAllFiles (LOAD DATA LOCAL INFILE)
// false, AllowOldPasswords false, no session variables (Params), no multi-statements.
func mysqlConfig(c ConnConfig) *mysql.Config {
	m := mysql.NewConfig()
	m.User = c.User
	m.Passwd = c.Password
	m.Net = "tcp"
	m.Addr = net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	m.DBName = c.Database
	m.ParseTime = true
	m.Loc = time.UTC
	m.Timeout = c.ConnectTimeout
	m.AllowAllFiles = false
	m.AllowOldPasswords = false
	m.AllowFallbackToPlaintext = false
	m.MultiStatements = false
	m.Params = nil
	m.AllowCleartextPasswords = c.AllowCleartextPasswords && (c.TLSMode == TLSVerifyCA || c.TLSMode == TLSVerifyFull)
	switch c.TLSMode {
	case TLSDisable:
		m.TLSConfig = "false"
	case TLSRequire:
		m.TLSConfig = "skip-verify"
	case TLSVerifyCA, TLSVerifyFull:
		m.TLSConfig = "true"
	default:
		m.TLSConfig = "preferred"
	}
	return m
}

// sqliteDSN builds a file: URI for modernc.org/sqlite: the file must exist (mode=rw),
// foreign keys are enforced, a busy database is waited for, write transactions take the
// write lock at BEGIN (no deadlock between two upgrading readers), and times are written in
// SQLite's own text format.
func sqliteDSN(c ConnConfig) string {
	busy := max(1000, int(c.ConnectTimeout/time.Millisecond))
	path := strings.ReplaceAll(c.Database, "%", "%25")
	if strings.HasPrefix(path, "//") {
		// file://x/… would name a host x; file:///… is the same path.
		path = "//" + path
	}
	return "file:" + path + "?mode=rw" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=busy_timeout(" + strconv.Itoa(busy) + ")" +
		"&_txlock=immediate" +
		"&_time_format=sqlite"
}

// tlsConfigFor returns the TLS settings of a mode, or nil for disable and prefer (which the
// drivers handle themselves).
func tlsConfigFor(mode TLSMode, host string, caPEM []byte) (*tls.Config, error) {
	switch mode {
	case TLSDisable, TLSPrefer:
		return nil, nil
	case TLSRequire:
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, nil //nolint:gosec // require does not verify, by definition
	}
	var roots *x509.CertPool
	if len(caPEM) > 0 {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("caCert holds no PEM certificate")
		}
	}
	if mode == TLSVerifyFull {
		return &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}, nil
	}
	// verify-ca: check the chain, not the host name (as libpq does).
	return &tls.Config{
		InsecureSkipVerify:    true, //nolint:gosec // the chain is verified in VerifyPeerCertificate
		MinVersion:            tls.VersionTLS12,
		VerifyPeerCertificate: verifyChain(roots),
	}, nil
}

// verifyChain returns a VerifyPeerCertificate that checks the server's chain against roots
// (the system roots when nil) and ignores the host name.
func verifyChain(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("the server sent no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, der := range raw {
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return fmt.Errorf("parsing the server certificate: %w", err)
			}
			certs[i] = cert
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
		if _, err := certs[0].Verify(opts); err != nil {
			return fmt.Errorf("verifying the server certificate: %w", err)
		}
		return nil
	}
}

var (
	pgKeywordPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)
	mysqlUserPassword = regexp.MustCompile(`^([^:@/]*):(.*)@`)
)

// RedactDSN returns dsn with its password replaced by "xxxxx", for messages and logs.
func RedactDSN(e Engine, dsn string) string {
	switch e {
	case EnginePostgres:
		return redactPostgresDSN(dsn)
	case EngineMySQL:
		return redactMySQLDSN(dsn)
	}
	return redactURLPassword(dsn)
}

func redactPostgresDSN(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return redactURLPassword(dsn)
	}
	return pgKeywordPassword.ReplaceAllString(dsn, "${1}"+redactedPassword)
}

func redactMySQLDSN(dsn string) string {
	if cfg, err := mysql.ParseDSN(dsn); err == nil {
		if cfg.Passwd != "" {
			cfg.Passwd = redactedPassword
		}
		return cfg.FormatDSN()
	}
	return mysqlUserPassword.ReplaceAllString(dsn, "${1}:"+redactedPassword+"@")
}

// redactURLPassword hides the user-info password and any password query parameter of a
// URL; a string that does not parse is hidden completely.
func redactURLPassword(dsn string) string {
	if !strings.Contains(dsn, "://") && !strings.Contains(strings.ToLower(dsn), "pass") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "[unparsable DSN hidden]"
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "pass") {
			q.Set(k, redactedPassword)
		}
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// describeTarget names what c (normalized: no DSN) connects to, for messages: engine,
// database, host and user, never the password.
func describeTarget(c ConnConfig) string {
	if c.Engine == EngineSQLite {
		return fmt.Sprintf("sqlite database %s", c.Database)
	}
	return fmt.Sprintf("%s database %s at %s as user %s", c.Engine, c.Database, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), c.User)
}
