package crm

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A dsn comes from a tenant's Secret, so it is a trust boundary: ParseDSN reads it into the
// operator's own fields and refuses every option it does not list here. The drivers never
// see the tenant's text: Open builds their configuration from the fields alone, so an option
// that reads a file of the operator's pod (LOAD DATA LOCAL INFILE, passfile, servicefile,
// sslkey…) cannot reach them.

// UnsupportedOptionError is a connection option the operator refuses. Its message names the
// option, never its value.
type UnsupportedOptionError struct {
	// Engine is the engine whose dsn holds the option.
	Engine Engine
	// Option is the option's name as the driver documents it. It is empty when the name is
	// not one the driver knows: it is then not shown, because in a dsn that does not parse
	// as intended, a piece of the password can look like an option name.
	Option string
	// Reason says why the option is refused.
	Reason string
}

func (e *UnsupportedOptionError) Error() string {
	if e.Option == "" {
		return fmt.Sprintf("the %s dsn has an option the driver does not know (its name is not shown, in case it is a piece of a mistyped password): %s", e.Engine, e.Reason)
	}
	return fmt.Sprintf("the %s connection option %q is not supported: %s", e.Engine, e.Option, e.Reason)
}

// InvalidDSNError is a dsn that cannot be parsed. Its message never quotes the dsn: a dsn
// with an unencoded character in its password fails precisely there.
type InvalidDSNError struct {
	// Engine is the engine the dsn is for.
	Engine Engine
	// Problem says what is wrong, without quoting the dsn.
	Problem string
}

func (e *InvalidDSNError) Error() string {
	return fmt.Sprintf("the %s dsn cannot be parsed: %s", e.Engine, e.Problem)
}

const (
	encodeHint     = "percent-encode special characters of the user and password (@ is %40, / is %2F, : is %3A, # is %23, ? is %3F, space is %20)"
	notSupported   = "it is not among the options the operator supports"
	fileOptionWhy  = "it names a file of the operator's pod; TLS material comes from Secret keys (spec.connection.tls.caSecretRef), never from file paths"
	unixSocketWhy  = "Unix sockets are not supported: give a host name or IP address"
	unknownMySQLOK = "the operator accepts only the options listed in docs/crmdatabase.md (MySQL session variables cannot be set in the dsn)"
	unknownPgOK    = "the operator accepts only the options listed in docs/crmdatabase.md (server parameters cannot be set in the dsn)"
)

// ParseDSN reads a dsn into a ConnConfig with the separate settings (Host, Port, User,
// Password, Database, TLSMode, Schema, ConnectTimeout; for SQLite, Database only) and an
// empty DSN. An option outside the engine's allow-list is an *UnsupportedOptionError, a dsn
// that does not parse an *InvalidDSNError; neither quotes the dsn. It reads no file and no
// environment variable.
func ParseDSN(e Engine, dsn string) (ConnConfig, error) {
	if _, err := ParseEngine(string(e)); err != nil {
		return ConnConfig{}, err
	}
	switch e {
	case EnginePostgres:
		return parsePostgresDSN(dsn)
	case EngineMySQL:
		return parseMySQLDSN(dsn)
	}
	return parseSQLiteDSN(dsn)
}

// ---- PostgreSQL ----

// postgresRefused are the libpq/pgx keywords the operator refuses with a specific reason.
var postgresRefused = map[string]string{
	"passfile":       "it reads a password file of the operator's pod",
	"service":        "it reads a service file of the operator's pod, whose entries can redirect the connection",
	"servicefile":    "it reads a service file of the operator's pod, whose entries can redirect the connection",
	"sslkey":         fileOptionWhy,
	"sslcert":        fileOptionWhy,
	"sslrootcert":    fileOptionWhy,
	"sslcrl":         fileOptionWhy,
	"sslcrldir":      fileOptionWhy,
	"sslpassword":    "it decrypts a client key file, which the operator never reads",
	"options":        "it sets server parameters for the session",
	"hostaddr":       "give the address as host",
	"ssl":            "use sslmode",
	"requirepeer":    unixSocketWhy,
	"gssencmode":     "GSSAPI is not supported",
	"krbsrvname":     "Kerberos is not supported",
	"krbspn":         "Kerberos is not supported",
	"gsslib":         "GSSAPI is not supported",
	"replication":    "the operator does not use replication connections",
	"sslnegotiation": notSupported,
}

// postgresKnown are further names the drivers know: refused as unsupported, but named.
var postgresKnown = []string{
	"application_name", "fallback_application_name", "sslcertmode", "sslsni", "target_session_attrs",
	"min_protocol_version", "max_protocol_version", "channel_binding", "require_auth", "keepalives",
	"keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "client_encoding",
	"load_balance_hosts", "ssl_min_protocol_version", "ssl_max_protocol_version", "statement_cache_capacity",
	"description_cache_capacity", "default_query_exec_mode", "min_read_buffer_size", "statement_timeout",
	"lock_timeout", "idle_in_transaction_session_timeout", "timezone", "datestyle", "role", "search_path",
	"host", "port", "user", "password", "dbname", "database", "sslmode", "connect_timeout",
}

func postgresOptionName(k string) string {
	if _, ok := postgresRefused[k]; ok {
		return k
	}
	for _, n := range postgresKnown {
		if k == n {
			return k
		}
	}
	return ""
}

func parsePostgresDSN(dsn string) (ConnConfig, error) {
	var settings map[string]string
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		settings, err = postgresURLSettings(dsn)
	} else {
		settings, err = postgresKeywordSettings(dsn)
	}
	if err != nil {
		return ConnConfig{}, err
	}
	c := ConnConfig{Engine: EnginePostgres}
	unsupported := func(k, why string) error {
		return &UnsupportedOptionError{Engine: EnginePostgres, Option: postgresOptionName(k), Reason: why}
	}
	// Sorted, so that the same dsn always gives the same message.
	for _, k := range sortedKeys(settings) {
		v := settings[k]
		switch k {
		case "host":
			if c.Host, err = checkHost(EnginePostgres, v); err != nil {
				return ConnConfig{}, err
			}
		case "port":
			if c.Port, err = checkPort(EnginePostgres, v); err != nil {
				return ConnConfig{}, err
			}
		case "user":
			c.User = v
		case "password":
			c.Password = v
		case "dbname":
			c.Database = v
		case "sslmode":
			switch v {
			case "disable", "require", "verify-ca", "verify-full":
				c.TLSMode = TLSMode(v)
			case "prefer":
				c.TLSMode = TLSPrefer
			default:
				return ConnConfig{}, unsupported(k, "only disable, prefer, require, verify-ca and verify-full are supported")
			}
		case "connect_timeout":
			n, convErr := strconv.Atoi(v)
			if convErr != nil || n < 0 {
				return ConnConfig{}, &InvalidDSNError{Engine: EnginePostgres, Problem: "connect_timeout must be a whole number of seconds"}
			}
			c.ConnectTimeout = time.Duration(n) * time.Second
		case "application_name":
			// Accepted so that a dsn from BuildDSN parses back; the operator always
			// announces itself as crm-privacy-operator.
		case "search_path":
			if len(v) >= 2 && strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) {
				v = strings.ReplaceAll(v[1:len(v)-1], `""`, `"`)
			}
			if _, identErr := ParseIdent(v); identErr != nil {
				return ConnConfig{}, unsupported(k, "only a single schema name (an SQL identifier) is supported; or use spec.connection.schema")
			}
			c.Schema = v
		default:
			if why, ok := postgresRefused[k]; ok {
				return ConnConfig{}, unsupported(k, why)
			}
			if postgresOptionName(k) == "" {
				return ConnConfig{}, unsupported(k, unknownPgOK)
			}
			return ConnConfig{}, unsupported(k, notSupported)
		}
	}
	return c, nil
}

// postgresURLSettings reads a postgres:// URL. Errors never quote the URL: Go's url errors
// do, so they are replaced.
func postgresURLSettings(dsn string) (map[string]string, error) {
	invalid := func(problem string) error { return &InvalidDSNError{Engine: EnginePostgres, Problem: problem} }
	if strings.ContainsAny(dsn, "#") {
		return nil, invalid("the URL holds a '#': " + encodeHint)
	}
	rest := dsn[strings.Index(dsn, "://")+3:]
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	// An '@' after the host means the password held an unencoded '/' or '?' and its tail
	// was taken for the host: refuse rather than show a piece of the password as a host.
	if strings.Contains(tail, "@") {
		return nil, invalid("an '@' follows the host, so part of the user or password was read as the host: " + encodeHint)
	}
	hostPart := authority[strings.LastIndexByte(authority, '@')+1:]
	if strings.Contains(hostPart, ",") {
		return nil, &UnsupportedOptionError{Engine: EnginePostgres, Option: "host", Reason: "lists of hosts are not supported: give one host"}
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Opaque != "" {
		return nil, invalid("not a valid URL: " + encodeHint)
	}
	settings := map[string]string{}
	set := func(k, v string) error {
		if _, dup := settings[k]; dup {
			return &UnsupportedOptionError{Engine: EnginePostgres, Option: postgresOptionName(k), Reason: "it is given more than once"}
		}
		settings[k] = v
		return nil
	}
	if u.User != nil {
		if n := u.User.Username(); n != "" {
			settings["user"] = n
		}
		if p, ok := u.User.Password(); ok {
			settings["password"] = p
		}
	}
	if h := u.Hostname(); h != "" {
		settings["host"] = h
	}
	if p := u.Port(); p != "" {
		settings["port"] = p
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if strings.Contains(db, "/") {
			return nil, invalid("the database name holds a '/': " + encodeHint)
		}
		settings["dbname"] = db
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, invalid("the query string is not valid: " + encodeHint)
	}
	for _, k := range sortedKeys(query) {
		vs := query[k]
		if k == "database" {
			k = "dbname"
		}
		if len(vs) > 1 {
			return nil, &UnsupportedOptionError{Engine: EnginePostgres, Option: postgresOptionName(k), Reason: "it is given more than once"}
		}
		if err := set(k, vs[0]); err != nil {
			return nil, err
		}
	}
	return settings, nil
}

// postgresKeywordSettings reads libpq's keyword/value form: key = value pairs separated by
// spaces, a value either single-quoted (with \' and \\) or a run of non-space characters.
func postgresKeywordSettings(dsn string) (map[string]string, error) {
	invalid := func(problem string) error { return &InvalidDSNError{Engine: EnginePostgres, Problem: problem} }
	settings := map[string]string{}
	s := dsn
	i := 0
	skipSpace := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for {
		skipSpace()
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		skipSpace()
		if key == "" {
			return nil, invalid("an '=' has no keyword before it")
		}
		if i >= len(s) || s[i] != '=' {
			// The word is not shown: it may be the tail of an unquoted password.
			return nil, invalid("a word has no '=value' (quote values that hold spaces, e.g. password='a b')")
		}
		i++
		skipSpace()
		var value strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				ch := s[i]
				if ch == '\\' && i+1 < len(s) {
					value.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if ch == '\'' {
					closed = true
					break
				}
				value.WriteByte(ch)
			}
			if !closed {
				return nil, invalid("a quoted value is not closed")
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				value.WriteByte(s[i])
				i++
			}
		}
		if key == "database" {
			key = "dbname"
		}
		if _, dup := settings[key]; dup {
			return nil, &UnsupportedOptionError{Engine: EnginePostgres, Option: postgresOptionName(key), Reason: "it is given more than once"}
		}
		settings[key] = value.String()
	}
	return settings, nil
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v'
}

// ---- MySQL / MariaDB ----

// mysqlRefused are go-sql-driver/mysql parameters the operator refuses with a specific reason.
var mysqlRefused = map[string]string{
	"allowAllFiles":            "it lets the database server read any file of the operator's pod (LOAD DATA LOCAL INFILE), the service-account token included",
	"allowOldPasswords":        "the pre-4.1 password hash is broken",
	"allowFallbackToPlaintext": "it lets a man in the middle turn TLS off; tls=preferred already falls back when the server has no TLS",
	"multiStatements":          "it lets one statement string carry several statements",
	"interpolateParams":        "the operator sends values as bound parameters",
	"serverPubKey":             "it names a key registered in the operator's process",
	"connectionAttributes":     notSupported,
	"clientFoundRows":          "it changes the row counts the operator relies on",
	"columnsWithAlias":         notSupported,
	"checkConnLiveness":        notSupported,
	"collation":                notSupported,
	"compress":                 notSupported,
	"maxAllowedPacket":         notSupported,
	"readTimeout":              notSupported,
	"writeTimeout":             notSupported,
	"rejectReadOnly":           notSupported,
	"timeTruncate":             notSupported,
	"strict":                   notSupported,
}

// mysqlAccepted are the parameters read below.
var mysqlAccepted = []string{"tls", "timeout", "parseTime", "loc", "charset", "allowNativePasswords", "allowCleartextPasswords"}

func mysqlOptionName(k string) string {
	if _, ok := mysqlRefused[k]; ok {
		return k
	}
	for _, n := range mysqlAccepted {
		if k == n {
			return k
		}
	}
	return ""
}

// parseMySQLDSN reads [user[:password]@]tcp(host[:port])/dbname[?param=value&…], splitting as
// the driver does: the last '/' ends the address, the last '@' before it ends the password.
func parseMySQLDSN(dsn string) (ConnConfig, error) {
	invalid := func(problem string) error { return &InvalidDSNError{Engine: EngineMySQL, Problem: problem} }
	unsupported := func(k, why string) error {
		return &UnsupportedOptionError{Engine: EngineMySQL, Option: mysqlOptionName(k), Reason: why}
	}
	const form = "the form is user:password@tcp(host:port)/database?param=value"
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		return ConnConfig{}, invalid("there is no '/' before the database name: " + form)
	}
	left, right := dsn[:slash], dsn[slash+1:]
	c := ConnConfig{Engine: EngineMySQL}
	netAddr := left
	if at := strings.LastIndexByte(left, '@'); at >= 0 {
		userinfo := left[:at]
		netAddr = left[at+1:]
		c.User, c.Password, _ = strings.Cut(userinfo, ":")
	}
	open := strings.IndexByte(netAddr, '(')
	if open < 0 || !strings.HasSuffix(netAddr, ")") {
		return ConnConfig{}, invalid("the server is not given as tcp(host:port): " + form)
	}
	switch netAddr[:open] {
	case "tcp":
	case "unix":
		return ConnConfig{}, &UnsupportedOptionError{Engine: EngineMySQL, Option: "unix", Reason: unixSocketWhy}
	default:
		return ConnConfig{}, invalid("the network is not tcp: " + form)
	}
	addr := netAddr[open+1 : len(netAddr)-1]
	host, port := addr, ""
	if h, p, err := net.SplitHostPort(addr); err == nil {
		host, port = h, p
	}
	var err error
	if c.Host, err = checkHost(EngineMySQL, host); err != nil {
		return ConnConfig{}, err
	}
	if port != "" {
		if c.Port, err = checkPort(EngineMySQL, port); err != nil {
			return ConnConfig{}, err
		}
	}
	dbname, params, _ := strings.Cut(right, "?")
	if c.Database, err = url.PathUnescape(dbname); err != nil {
		return ConnConfig{}, invalid("the database name is not validly percent-encoded")
	}
	seen := map[string]bool{}
	cleartext := false
	for _, p := range strings.Split(params, "&") {
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return ConnConfig{}, invalid("a parameter has no '=value'")
		}
		if seen[k] {
			return ConnConfig{}, unsupported(k, "it is given more than once")
		}
		seen[k] = true
		switch k {
		case "tls":
			switch strings.ToLower(v) {
			case "false":
				c.TLSMode = TLSDisable
			case "preferred":
				c.TLSMode = TLSPrefer
			case "skip-verify":
				c.TLSMode = TLSRequire
			case "true":
				c.TLSMode = TLSVerifyFull
			default:
				return ConnConfig{}, unsupported(k, "only false, preferred, skip-verify and true are supported (no TLS configurations registered by name)")
			}
		case "timeout":
			d, perr := time.ParseDuration(v)
			if perr != nil || d < 0 {
				return ConnConfig{}, invalid("timeout is not a duration such as 10s")
			}
			c.ConnectTimeout = d
		case "parseTime":
			if b, isBool := mysqlBool(v); !isBool || !b {
				return ConnConfig{}, unsupported(k, "the operator always reads times as time.Time: only true is accepted")
			}
		case "loc":
			if lv, _ := url.QueryUnescape(v); lv != "UTC" {
				return ConnConfig{}, unsupported(k, "the operator always reads times in UTC: only UTC is accepted")
			}
		case "charset":
			if v != "utf8mb4" {
				return ConnConfig{}, unsupported(k, "only utf8mb4 (the operator's default) is accepted")
			}
		case "allowNativePasswords":
			if b, isBool := mysqlBool(v); !isBool || !b {
				return ConnConfig{}, unsupported(k, "only true (the default) is accepted")
			}
		case "allowCleartextPasswords":
			b, isBool := mysqlBool(v)
			if !isBool {
				return ConnConfig{}, invalid("allowCleartextPasswords is not true or false")
			}
			cleartext = b
		default:
			if why, refused := mysqlRefused[k]; refused {
				return ConnConfig{}, unsupported(k, why)
			}
			return ConnConfig{}, unsupported(k, unknownMySQLOK)
		}
	}
	if cleartext {
		if c.TLSMode != TLSVerifyFull {
			return ConnConfig{}, unsupported("allowCleartextPasswords", "it sends the password in clear text: it is accepted only together with tls=true (a verified TLS connection)")
		}
		c.AllowCleartextPasswords = true
	}
	return c, nil
}

// mysqlBool reads a boolean as the driver does.
func mysqlBool(v string) (value, ok bool) {
	switch v {
	case "1", "true", "TRUE", "True":
		return true, true
	case "0", "false", "FALSE", "False":
		return false, true
	}
	return false, false
}

// ---- SQLite ----

// parseSQLiteDSN accepts a plain file path, or a file: URI whose only parameters are the
// ones the operator sets itself (mode=rw, _txlock=immediate, _time_format=sqlite,
// _pragma=foreign_keys(1)) and _pragma=busy_timeout(ms). Everything else — vfs, other
// modes (ro, rwc, memory), cache, immutable, nolock, other pragmas — is refused.
func parseSQLiteDSN(dsn string) (ConnConfig, error) {
	invalid := func(problem string) error { return &InvalidDSNError{Engine: EngineSQLite, Problem: problem} }
	unsupported := func(k, why string) error {
		return &UnsupportedOptionError{Engine: EngineSQLite, Option: k, Reason: why}
	}
	c := ConnConfig{Engine: EngineSQLite}
	if !strings.HasPrefix(dsn, "file:") {
		if strings.ContainsAny(dsn, "?#") {
			return ConnConfig{}, invalid("a plain file path must not hold ? or #: give a file: URI")
		}
		c.Database = dsn
		return c, nil
	}
	rest := strings.TrimPrefix(dsn, "file:")
	if strings.Contains(rest, "#") {
		return ConnConfig{}, invalid("the URI holds a '#'")
	}
	path, params, _ := strings.Cut(rest, "?")
	if strings.HasPrefix(path, "//") {
		authority, p, _ := strings.Cut(strings.TrimPrefix(path, "//"), "/")
		if authority != "" && authority != "localhost" {
			return ConnConfig{}, unsupported("authority", "only local files are supported")
		}
		path = "/" + p
	}
	decoded, err := url.PathUnescape(path)
	if err != nil {
		return ConnConfig{}, invalid("the path is not validly percent-encoded")
	}
	if decoded == "" || decoded == ":memory:" {
		return ConnConfig{}, unsupported("path", "in-memory databases are not supported: give the path of the database file")
	}
	c.Database = decoded
	query, err := url.ParseQuery(params)
	if err != nil {
		return ConnConfig{}, invalid("the query string is not valid")
	}
	for _, k := range sortedKeys(query) {
		for _, v := range query[k] {
			switch {
			case k == "mode" && v == "rw", k == "_txlock" && v == "immediate", k == "_time_format" && v == "sqlite":
			case k == "mode", k == "_txlock", k == "_time_format":
				return ConnConfig{}, unsupported(k, "only the operator's own value is accepted (mode=rw, _txlock=immediate, _time_format=sqlite)")
			case k == "_pragma":
				name, arg, ok := sqlitePragma(v)
				switch {
				case ok && name == "foreign_keys" && (arg == "1" || strings.EqualFold(arg, "on") || strings.EqualFold(arg, "true")):
				case ok && name == "busy_timeout":
					ms, convErr := strconv.Atoi(arg)
					if convErr != nil || ms < 0 {
						return ConnConfig{}, invalid("busy_timeout takes a number of milliseconds")
					}
					c.ConnectTimeout = time.Duration(ms) * time.Millisecond
				default:
					return ConnConfig{}, unsupported(k, "only foreign_keys(1) and busy_timeout(ms) are accepted")
				}
			case k == "vfs":
				return ConnConfig{}, unsupported(k, "it selects another file-system layer of the operator's process")
			default:
				return ConnConfig{}, unsupported(k, notSupported)
			}
		}
	}
	return c, nil
}

var sqlitePragmaForm = regexp.MustCompile(`^([a-z_]+)\(([^()]*)\)$`)

func sqlitePragma(v string) (name, arg string, ok bool) {
	m := sqlitePragmaForm.FindStringSubmatch(strings.ToLower(v))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ---- shared ----

var hostNameForm = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$`)

// checkHost accepts a host name or an IP address. A bad host is not quoted: it can be a
// piece of a password that a missing percent-encoding put there.
func checkHost(e Engine, h string) (string, error) {
	if h == "" {
		return "", nil
	}
	if strings.HasPrefix(h, "/") || strings.HasPrefix(h, "@") {
		return "", &UnsupportedOptionError{Engine: e, Option: "host", Reason: unixSocketWhy}
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if net.ParseIP(h) != nil || (len(h) <= 253 && hostNameForm.MatchString(h)) {
		return h, nil
	}
	return "", &InvalidDSNError{Engine: e, Problem: "the host is not a valid host name or IP address (not shown: it may hold a piece of the password); " + encodeHint}
}

func checkPort(e Engine, p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, &InvalidDSNError{Engine: e, Problem: "the port is not a number from 1 to 65535 (not shown: it may hold a piece of the password); " + encodeHint}
	}
	return n, nil
}
