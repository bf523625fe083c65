package crm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testPassword = "s3cr:et@/pa ss?w=rd"

func TestBuildDSN(t *testing.T) {
	base := func(e Engine) ConnConfig {
		return ConnConfig{Engine: e, Host: "db.example.com", User: "crm_operator", Password: testPassword, Database: "crm"}
	}
	with := func(c ConnConfig, f func(*ConnConfig)) ConnConfig { f(&c); return c }
	for _, tc := range []struct {
		name string
		cfg  ConnConfig
		want string
	}{
		{
			name: "postgres default tls mode is prefer",
			cfg:  base(EnginePostgres),
			want: "postgres://crm_operator:s3cr%3Aet%40%2Fpa%20ss%3Fw=rd@db.example.com:5432/crm?application_name=crm-privacy-operator&connect_timeout=10&sslmode=prefer",
		},
		{
			name: "postgres verify-full, port, schema",
			cfg:  with(base(EnginePostgres), func(c *ConnConfig) { c.TLSMode = TLSVerifyFull; c.Port = 6432; c.Schema = "Crm" }),
			want: "postgres://crm_operator:s3cr%3Aet%40%2Fpa%20ss%3Fw=rd@db.example.com:6432/crm?application_name=crm-privacy-operator&connect_timeout=10&search_path=%22Crm%22&sslmode=verify-full",
		},
		{
			name: "postgres disable, IPv6 host",
			cfg:  with(base(EnginePostgres), func(c *ConnConfig) { c.TLSMode = TLSDisable; c.Host = "::1" }),
			want: "postgres://crm_operator:s3cr%3Aet%40%2Fpa%20ss%3Fw=rd@[::1]:5432/crm?application_name=crm-privacy-operator&connect_timeout=10&sslmode=disable",
		},
		{
			name: "mysql default tls mode is preferred",
			cfg:  base(EngineMySQL),
			want: "crm_operator:s3cr:et@/pa ss?w=rd@tcp(db.example.com:3306)/crm?parseTime=true&timeout=10s&tls=preferred",
		},
		{
			name: "mysql require does not verify",
			cfg:  with(base(EngineMySQL), func(c *ConnConfig) { c.TLSMode = TLSRequire }),
			want: "crm_operator:s3cr:et@/pa ss?w=rd@tcp(db.example.com:3306)/crm?parseTime=true&timeout=10s&tls=skip-verify",
		},
		{
			name: "mysql disable, connect timeout",
			cfg:  with(base(EngineMySQL), func(c *ConnConfig) { c.TLSMode = TLSDisable; c.ConnectTimeout = 3 * time.Second }),
			want: "crm_operator:s3cr:et@/pa ss?w=rd@tcp(db.example.com:3306)/crm?parseTime=true&timeout=3s&tls=false",
		},
		{
			name: "sqlite file",
			cfg:  ConnConfig{Engine: EngineSQLite, Database: "/var/lib/crm/crm.db"},
			want: "file:/var/lib/crm/crm.db?mode=rw&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_txlock=immediate&_time_format=sqlite",
		},
		{
			name: "a dsn is parsed and rebuilt from the settings it holds",
			cfg:  ConnConfig{Engine: EnginePostgres, DSN: "host=db.example.com user=crm_operator dbname=crm sslmode=verify-full"},
			want: "postgres://crm_operator:@db.example.com:5432/crm?application_name=crm-privacy-operator&connect_timeout=10&sslmode=verify-full",
		},
		{
			name: "a mysql dsn is parsed and rebuilt",
			cfg:  ConnConfig{Engine: EngineMySQL, DSN: "crm_operator:pw@tcp(db.example.com)/crm?parseTime=true&tls=skip-verify"},
			want: "crm_operator:pw@tcp(db.example.com:3306)/crm?parseTime=true&timeout=10s&tls=skip-verify",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildDSN(tc.cfg)
			if err != nil {
				t.Fatalf("BuildDSN: %v", err)
			}
			if got != tc.want {
				t.Errorf("BuildDSN =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

// The DSNs BuildDSN makes must parse back to the same settings in the drivers.
func TestBuildDSNRoundTripsThroughDrivers(t *testing.T) {
	for _, e := range []Engine{EnginePostgres, EngineMySQL} {
		cfg := ConnConfig{Engine: e, Host: "db.example.com", User: "crm_operator", Password: testPassword, Database: "crm", TLSMode: TLSDisable}
		dsn, err := BuildDSN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := ParseDSN(e, dsn)
		if err != nil {
			t.Fatalf("%s: ParseDSN of BuildDSN's own output: %v", e, err)
		}
		if parsed.Password != testPassword {
			t.Errorf("%s: password parsed back from the DSN = %q, want the original", e, parsed.Password)
		}
		if got, want := describeTarget(parsed.WithDefaults()), describeTarget(cfg.WithDefaults()); got != want {
			t.Errorf("%s: target from DSN = %q, from settings = %q", e, got, want)
		}
	}
}

func TestConnConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ConnConfig
		want []string // fragments of the error; none: valid
	}{
		{name: "valid postgres", cfg: ConnConfig{Engine: EnginePostgres, Host: "h", User: "u", Database: "d"}},
		{name: "valid dsn", cfg: ConnConfig{Engine: EngineMySQL, DSN: "u:p@tcp(h)/d"}},
		{name: "valid sqlite", cfg: ConnConfig{Engine: EngineSQLite, Database: "/tmp/x.db"}},
		{name: "unknown engine", cfg: ConnConfig{Engine: "oracle"}, want: []string{`unknown database engine "oracle"`}},
		{
			name: "everything missing",
			cfg:  ConnConfig{Engine: EnginePostgres},
			want: []string{"host is required", "user is required", "database is required"},
		},
		{
			name: "dsn and settings",
			cfg:  ConnConfig{Engine: EnginePostgres, DSN: "postgres://x", Password: testPassword},
			want: []string{"give either a complete dsn or the separate settings"},
		},
		{name: "bad tls mode", cfg: ConnConfig{Engine: EngineMySQL, Host: "h", User: "u", Database: "d", TLSMode: "allow"}, want: []string{`tlsMode "allow" is not one of`}},
		{name: "bad port", cfg: ConnConfig{Engine: EngineMySQL, Host: "h", User: "u", Database: "d", Port: 70000}, want: []string{"port must be between"}},
		{name: "ca without verify", cfg: ConnConfig{Engine: EnginePostgres, Host: "h", User: "u", Database: "d", TLSMode: TLSRequire, CACert: []byte("x")}, want: []string{"caCert is only used with"}},
		{name: "ca not pem", cfg: ConnConfig{Engine: EnginePostgres, Host: "h", User: "u", Database: "d", TLSMode: TLSVerifyCA, CACert: []byte("not a cert")}, want: []string{"caCert holds no PEM certificate"}},
		{name: "hostile schema", cfg: ConnConfig{Engine: EnginePostgres, Host: "h", User: "u", Database: "d", Schema: "x; DROP"}, want: []string{"schema: invalid SQL identifier"}},
		{name: "schema on mysql", cfg: ConnConfig{Engine: EngineMySQL, Host: "h", User: "u", Database: "d", Schema: "x"}, want: []string{"schema only applies to PostgreSQL"}},
		{name: "sqlite with host", cfg: ConnConfig{Engine: EngineSQLite, Database: "/x.db", Host: "h", Password: testPassword}, want: []string{"do not apply to SQLite"}},
		{name: "sqlite path with query", cfg: ConnConfig{Engine: EngineSQLite, Database: "/x.db?mode=memory"}, want: []string{"must not contain ? or #"}},
		{name: "sqlite without path", cfg: ConnConfig{Engine: EngineSQLite}, want: []string{"the SQLite file path) is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error with %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("Validate() error leaks the password: %q", err)
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	got := ConnConfig{Engine: EngineMySQL, MaxOpenConns: 1, MaxIdleConns: 5}.WithDefaults()
	want := ConnConfig{
		Engine: EngineMySQL, Port: 3306, MaxOpenConns: 1, MaxIdleConns: 1,
		ConnMaxLifetime: DefaultConnMaxLifetime, ConnMaxIdleTime: DefaultConnMaxIdleTime,
		ConnectTimeout: DefaultConnectTimeout, QueryTimeout: DefaultQueryTimeout,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WithDefaults (-want +got):\n%s", diff)
	}
	if got := (ConnConfig{Engine: EnginePostgres}).WithDefaults(); got.MaxOpenConns != 4 || got.Port != 5432 {
		t.Errorf("defaults: MaxOpenConns %d, Port %d; want 4, 5432", got.MaxOpenConns, got.Port)
	}
}

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct {
		engine Engine
		dsn    string
		want   string
	}{
		{EnginePostgres, "postgres://app:hunter2@db:5432/crm?sslmode=require", "postgres://app:xxxxx@db:5432/crm?sslmode=require"},
		{EnginePostgres, "postgresql://app@db/crm?password=hunter2", "postgresql://app@db/crm?password=xxxxx"},
		{EnginePostgres, "host=db user=app password=hunter2 dbname=crm", "host=db user=app password=xxxxx dbname=crm"},
		{EnginePostgres, "host=db password='hun ter\\'2' dbname=crm", "host=db password=xxxxx dbname=crm"},
		{EnginePostgres, "host=db dbname=crm", "host=db dbname=crm"},
		{EngineMySQL, "app:hunter2@tcp(db:3306)/crm?parseTime=true", "app:xxxxx@tcp(db:3306)/crm?parseTime=true"},
		{EngineMySQL, "app:hun@ter2@tcp(db:3306)/crm", "app:xxxxx@tcp(db:3306)/crm"},
		{EngineMySQL, "app@tcp(db:3306)/crm", "app@tcp(db:3306)/crm"},
		{EngineSQLite, "file:/var/lib/crm.db?_pragma=foreign_keys(1)", "file:/var/lib/crm.db?_pragma=foreign_keys(1)"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			if got := RedactDSN(tc.engine, tc.dsn); got != tc.want {
				t.Errorf("RedactDSN = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScrubError(t *testing.T) {
	inner := context.DeadlineExceeded
	err := scrubError(errors.Join(errors.New("connecting with "+testPassword+" failed"), inner), []string{testPassword})
	if strings.Contains(err.Error(), testPassword) {
		t.Fatalf("scrubbed error still holds the password: %q", err)
	}
	if !errors.Is(err, inner) {
		t.Fatalf("scrubbed error no longer wraps the cause")
	}
	if scrubError(nil, []string{"x"}) != nil {
		t.Fatal("scrubError(nil) != nil")
	}
	plain := errors.New("nothing secret")
	if got := scrubError(plain, []string{testPassword}); got != plain { //nolint:errorlint // the very same error value is expected back
		t.Fatal("an error without secrets should be returned as is")
	}
}

func TestTLSConfigFor(t *testing.T) {
	if c, err := tlsConfigFor(TLSDisable, "h", nil); c != nil || err != nil {
		t.Errorf("disable: %v, %v; want nil, nil", c, err)
	}
	c, err := tlsConfigFor(TLSRequire, "h", nil)
	if err != nil || !c.InsecureSkipVerify {
		t.Errorf("require: want TLS without verification, got %+v, %v", c, err)
	}
	c, err = tlsConfigFor(TLSVerifyFull, "db.example.com", nil)
	if err != nil || c.InsecureSkipVerify || c.ServerName != "db.example.com" {
		t.Errorf("verify-full: want verification of db.example.com, got %+v, %v", c, err)
	}
	c, err = tlsConfigFor(TLSVerifyCA, "h", nil)
	if err != nil || c.VerifyPeerCertificate == nil {
		t.Errorf("verify-ca: want a chain check, got %+v, %v", c, err)
	}
	if err := c.VerifyPeerCertificate(nil, nil); err == nil {
		t.Errorf("verify-ca accepted a server without certificate")
	}
}
