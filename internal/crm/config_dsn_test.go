package crm

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

func TestParseDSNAccepted(t *testing.T) {
	for _, tc := range []struct {
		engine Engine
		dsn    string
		want   ConnConfig
	}{
		{EnginePostgres, "postgres://crm:s3cr%3Aet%40%2Fpa%20ss%3Fw=rd@db.example.com:6432/crm?sslmode=verify-full&connect_timeout=3&search_path=sales",
			ConnConfig{Engine: EnginePostgres, Host: "db.example.com", Port: 6432, User: "crm", Password: testPassword, Database: "crm",
				TLSMode: TLSVerifyFull, ConnectTimeout: 3 * time.Second, Schema: "sales"}},
		{EnginePostgres, "postgresql://crm@[::1]/crm?sslmode=prefer&application_name=x",
			ConnConfig{Engine: EnginePostgres, Host: "::1", User: "crm", Database: "crm"}},
		{EnginePostgres, `host=db.example.com port=5433 user=crm password='s3cr:et@/pa ss?w=rd' dbname = crm sslmode=require`,
			ConnConfig{Engine: EnginePostgres, Host: "db.example.com", Port: 5433, User: "crm", Password: testPassword, Database: "crm", TLSMode: TLSRequire}},
		{EnginePostgres, `host=db user=crm password=it\'s\ ok database=crm`,
			ConnConfig{Engine: EnginePostgres, Host: "db", User: "crm", Password: "it's ok", Database: "crm"}},
		{EngineMySQL, "crm:s3cr:et@/pa ss?w=rd@tcp(db.example.com:3307)/crm?tls=true&timeout=5s&parseTime=true&loc=UTC&charset=utf8mb4",
			ConnConfig{Engine: EngineMySQL, Host: "db.example.com", Port: 3307, User: "crm", Password: testPassword, Database: "crm",
				TLSMode: TLSVerifyFull, ConnectTimeout: 5 * time.Second}},
		{EngineMySQL, "crm:pw@tcp(10.0.0.7)/crm?tls=true&allowCleartextPasswords=true",
			ConnConfig{Engine: EngineMySQL, Host: "10.0.0.7", User: "crm", Password: "pw", Database: "crm", TLSMode: TLSVerifyFull, AllowCleartextPasswords: true}},
		{EngineMySQL, "crm@tcp(db)/crm", ConnConfig{Engine: EngineMySQL, Host: "db", User: "crm", Database: "crm"}},
		{EngineSQLite, "/var/lib/crm/crm.db", ConnConfig{Engine: EngineSQLite, Database: "/var/lib/crm/crm.db"}},
		{EngineSQLite, "file:/var/lib/crm/my%20crm.db?mode=rw&_pragma=foreign_keys(1)&_pragma=busy_timeout(2500)&_txlock=immediate",
			ConnConfig{Engine: EngineSQLite, Database: "/var/lib/crm/my crm.db", ConnectTimeout: 2500 * time.Millisecond}},
		{EngineSQLite, "file:///var/lib/crm/crm.db", ConnConfig{Engine: EngineSQLite, Database: "/var/lib/crm/crm.db"}},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			got, err := ParseDSN(tc.engine, tc.dsn)
			if err != nil {
				t.Fatalf("ParseDSN: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(HostAllowList{})); diff != "" {
				t.Errorf("ParseDSN (-want +got):\n%s", diff)
			}
			// What BuildDSN makes of it parses back to the same settings.
			dsn, err := BuildDSN(ConnConfig{Engine: tc.engine, DSN: tc.dsn})
			if err != nil {
				t.Fatalf("BuildDSN: %v", err)
			}
			again, err := ParseDSN(tc.engine, dsn)
			if err != nil {
				t.Fatalf("ParseDSN(BuildDSN(dsn)): %v", err)
			}
			if again.Password != got.Password || again.Host != got.Host || again.Database != got.Database || again.TLSMode != got.TLSMode {
				t.Errorf("round trip changed the settings: %+v, then %+v", got, again)
			}
		})
	}
}

// Every option that reads a file of the operator's pod, weakens authentication or changes
// what the operator relies on is refused by name, before anything is read or dialled.
func TestParseDSNRefusesOptions(t *testing.T) {
	const path = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	type refusal struct {
		engine Engine
		dsn    string
		option string // "" when the name must not be shown
	}
	var cases []refusal
	for _, k := range []string{"passfile", "service", "servicefile", "sslkey", "sslcert", "sslrootcert", "sslpassword", "sslcrl", "sslcrldir", "options", "hostaddr", "krbsrvname", "gssencmode", "target_session_attrs", "sslnegotiation", "require_auth", "statement_timeout"} {
		cases = append(cases,
			refusal{EnginePostgres, "postgres://crm:pw@db/crm?" + k + "=" + url.QueryEscape(path), k},
			refusal{EnginePostgres, "host=db user=crm dbname=crm " + k + "='" + path + "'", k})
	}
	cases = append(cases,
		refusal{EnginePostgres, "postgres://crm:pw@db/crm?sslmode=allow", "sslmode"},
		refusal{EnginePostgres, "postgres://crm:pw@db/crm?ssl=true", "ssl"},
		refusal{EnginePostgres, "postgres://crm:pw@db/crm?search_path=a,b", "search_path"},
		refusal{EnginePostgres, "postgres://crm:pw@db1,db2/crm", "host"},
		refusal{EnginePostgres, "host=/run/postgresql user=crm dbname=crm", "host"},
		refusal{EnginePostgres, "postgres://crm:pw@db/crm?sslmode=disable&sslmode=require", "sslmode"},
		refusal{EnginePostgres, "postgres://crm:pw@db/crm?xq7_unknown=1", ""},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?allowAllFiles=true", "allowAllFiles"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?allowAllFiles=false", "allowAllFiles"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?allowOldPasswords=1", "allowOldPasswords"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?allowCleartextPasswords=true", "allowCleartextPasswords"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?tls=skip-verify&allowCleartextPasswords=true", "allowCleartextPasswords"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?allowFallbackToPlaintext=true", "allowFallbackToPlaintext"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?multiStatements=true", "multiStatements"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?serverPubKey=k", "serverPubKey"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?tls=custom", "tls"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?parseTime=false", "parseTime"},
		refusal{EngineMySQL, "crm:pw@tcp(db)/crm?sql_mode=ANSI", ""},
		refusal{EngineMySQL, "crm:pw@unix(/run/mysqld/mysqld.sock)/crm", "unix"},
		refusal{EngineSQLite, "file:/var/lib/crm.db?vfs=unix-none", "vfs"},
		refusal{EngineSQLite, "file:/var/lib/crm.db?mode=rwc", "mode"},
		refusal{EngineSQLite, "file:/var/lib/crm.db?mode=memory", "mode"},
		refusal{EngineSQLite, "file:/var/lib/crm.db?cache=shared", "cache"},
		refusal{EngineSQLite, "file:/var/lib/crm.db?immutable=1", "immutable"},
		refusal{EngineSQLite, "file:/var/lib/crm.db?_pragma=writable_schema(1)", "_pragma"},
		refusal{EngineSQLite, "file://otherhost/var/lib/crm.db", "authority"},
		refusal{EngineSQLite, "file::memory:", "path"},
	)
	for _, tc := range cases {
		t.Run(string(tc.engine)+" "+tc.dsn, func(t *testing.T) {
			_, err := ParseDSN(tc.engine, tc.dsn)
			var unsupported *UnsupportedOptionError
			if !errors.As(err, &unsupported) {
				t.Fatalf("ParseDSN error = %v, want an UnsupportedOptionError", err)
			}
			if unsupported.Option != tc.option {
				t.Errorf("Option = %q, want %q (error: %v)", unsupported.Option, tc.option, err)
			}
			if tc.option != "" && !strings.Contains(err.Error(), `"`+tc.option+`"`) {
				t.Errorf("the error does not name the option: %v", err)
			}
			for _, leak := range []string{path, "xq7_unknown", "sql_mode", "pw@", "/run/"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("the error shows %q: %v", leak, err)
				}
			}
			if r := ClassifyError(err); r != ReasonUnsupportedOption {
				t.Errorf("ClassifyError = %s, want %s", r, ReasonUnsupportedOption)
			}
			// Open refuses it too, whoever calls it.
			if _, err := Open(ConnConfig{Engine: tc.engine, DSN: tc.dsn}); !errors.As(err, &unsupported) {
				t.Errorf("Open error = %v, want an UnsupportedOptionError", err)
			}
		})
	}
}

// A password with characters that a URL or DSN reserves, left unencoded, makes the dsn split
// in the wrong place. No piece of the password may then show up in an error, in the target
// the operator reports, or as a host name.
func TestDSNWithUnencodedPasswordLeaksNothing(t *testing.T) {
	// Each piece between special characters is distinctive, so that any leak is seen.
	const password = "Xq7zK/Wv8yL@Tt3mR#Rr5nP?Mm4oQ Nn6pS:Pp2qU"
	pieces := strings.FieldsFunc(password, func(r rune) bool { return strings.ContainsRune("/@#? :", r) })
	for _, tc := range []struct {
		engine Engine
		dsn    string
	}{
		{EnginePostgres, "postgres://crm:" + password + "@db.example.com:5432/crm"},
		{EnginePostgres, "postgres://crm:Xq7zK/Wv8yL@db.example.com/crm"},
		{EnginePostgres, "postgres://crm:Xq7zK?Wv8yL@db.example.com/crm"},
		{EnginePostgres, "postgres://crm:Xq7zK:Wv8yL@db.example.com/crm"},
		{EnginePostgres, "postgres://crm:Xq7zK@Wv8yL/Tt3mR@db.example.com/crm"},
		{EnginePostgres, "postgres://crm:Xq7zK#Wv8yL@db.example.com/crm"},
		{EnginePostgres, "host=db.example.com user=crm password=" + password + " dbname=crm"},
		{EnginePostgres, "host=db.example.com user=crm password=Xq7zK Wv8yL=1 dbname=crm"},
		{EnginePostgres, "host=db.example.com user=crm password='Xq7zK Wv8yL dbname=crm"},
		{EngineMySQL, "crm:" + password + "@tcp(db.example.com:3306)/crm"},
		{EngineMySQL, "crm:Xq7zK)Wv8yL@tcp(db.example.com:3306/crm"},
		{EngineMySQL, "crm:Xq7zK/Wv8yL"},
		{EngineMySQL, "crm:Xq7zK@Wv8yL(db)/crm"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			var shown []string
			cfg, err := ParseDSN(tc.engine, tc.dsn)
			if err != nil {
				shown = append(shown, err.Error())
				if r := ClassifyError(err); r == ReasonTLSError || r == ReasonUnknown {
					t.Errorf("ClassifyError = %s for a dsn that does not parse", r)
				}
			} else {
				shown = append(shown, describeTarget(cfg.WithDefaults()), cfg.Host, cfg.User, cfg.Database)
			}
			if _, openErr := Open(ConnConfig{Engine: tc.engine, DSN: tc.dsn}); openErr != nil {
				shown = append(shown, openErr.Error())
			}
			for _, s := range shown {
				for _, p := range pieces {
					if strings.Contains(s, p) {
						t.Errorf("a piece of the password (%q) shows in %q", p, s)
					}
				}
			}
			t.Logf("shown: %q", shown)
		})
	}
}

// A dsn that does not parse is a settings problem, never a TLS one, however much "ssl" its
// text holds.
func TestParseErrorsAreNotTLSErrors(t *testing.T) {
	for _, dsn := range []string{
		"postgres://crm:pw@db/crm?sslmode=bogus",
		"host=db user=crm sslmode=verify-full sslrootcert",
		"postgres://crm:pw@ssl-db:notaport/crm",
		"host=ssl.example.com port=tls user=crm dbname=crm",
	} {
		_, err := Open(ConnConfig{Engine: EnginePostgres, DSN: dsn})
		if err == nil {
			t.Errorf("%s: Open accepted it", dsn)
			continue
		}
		if r := ClassifyError(err); r != ReasonUnsupportedOption && r != ReasonInvalidSettings {
			t.Errorf("%s: ClassifyError = %s, want %s or %s (error: %v)", dsn, r, ReasonUnsupportedOption, ReasonInvalidSettings, err)
		}
	}
	// A failure that merely mentions ssl, e.g. in a host name, is not a TLS failure either.
	if r := ClassifyError(errors.New("cannot connect to the postgres database crm at ssl-proxy:5432 as user crm: something broke")); r == ReasonTLSError {
		t.Errorf("ClassifyError = %s for a message that only names a host with ssl in it", r)
	}
}

func TestScrubErrorReplacesWholeSecrets(t *testing.T) {
	for _, tc := range []struct {
		name     string
		password string
		msg      string
		want     string
	}{
		{"short secret inside words is left alone", "a", "cannot connect to database crm at db.example.com", "cannot connect to database crm at db.example.com"},
		{"short secret standing alone is replaced", "a", "password a was refused", "password xxxxx was refused"},
		{"short secret between separators", "pw1", "crm:pw1@tcp(db)/crm", "crm:xxxxx@tcp(db)/crm"},
		{"long secret replaced anywhere", "hunter2hunter2", "xhunter2hunter2y", "xxxxxxy"},
		{"percent-encoded form", testPassword, "postgres://crm:" + url.QueryEscape(testPassword) + "@db/crm", "postgres://crm:xxxxx@db/crm"},
		{"user-info encoded form", testPassword, "postgres://crm:" + strings.TrimPrefix(url.UserPassword("u", testPassword).String(), "u:") + "@db/crm", "postgres://crm:xxxxx@db/crm"},
		{"path-escaped form", "a b/c?dé", "at " + url.PathEscape("a b/c?dé") + " now", "at xxxxx now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scrubError(errors.New(tc.msg), secretForms(tc.password))
			if got.Error() != tc.want {
				t.Errorf("scrubbed = %q, want %q", got.Error(), tc.want)
			}
		})
	}
}

// pgx reads a password file when the settings give no password: from the dsn's passfile (a
// file of the operator's pod that the tenant names) or from PGPASSFILE/~/.pgpass. The
// operator must use neither: a tenant could otherwise log in to a database with a password
// it does not know, read from the operator's own files.
func TestPostgresPasswordFilesAreNotRead(t *testing.T) {
	tdb := testdb.Postgres(t)
	passfile := filepath.Join(t.TempDir(), "pgpass")
	escaped := strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(tdb.Password)
	if err := os.WriteFile(passfile, []byte("*:*:*:*:"+escaped+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)

	t.Run("passfile in the dsn", func(t *testing.T) {
		dsn := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable&passfile=%s", tdb.User, tdb.Host, tdb.Port, tdb.Name, url.QueryEscape(passfile))
		db, err := Open(ConnConfig{Engine: EnginePostgres, DSN: dsn})
		if err == nil {
			defer db.Close()
			t.Fatalf("Open accepted passfile; Ping: %v (nil: logged in with a password read from the operator's file)", db.Ping(ctx))
		}
		var unsupported *UnsupportedOptionError
		if !errors.As(err, &unsupported) || unsupported.Option != "passfile" {
			t.Fatalf("Open error = %v, want an UnsupportedOptionError naming passfile", err)
		}
	})
	t.Run("PGPASSFILE in the environment", func(t *testing.T) {
		t.Setenv("PGPASSFILE", passfile)
		t.Setenv("HOME", filepath.Dir(passfile))
		for _, cfg := range []ConnConfig{
			{Engine: EnginePostgres, DSN: fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", tdb.User, tdb.Host, tdb.Port, tdb.Name)},
			{Engine: EnginePostgres, Host: tdb.Host, Port: tdb.Port, User: tdb.User, Database: tdb.Name, TLSMode: TLSDisable},
		} {
			db, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Ping(ctx)
			_ = db.Close()
			if err == nil {
				t.Fatal("connected without a password: the password came from PGPASSFILE")
			}
			if r := ClassifyError(err); r != ReasonAuthenticationFailed {
				t.Errorf("ClassifyError = %s, want %s (error: %v)", r, ReasonAuthenticationFailed, err)
			}
		}
	})
}
