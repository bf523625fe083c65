package crm

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

func TestPoolsReuseReplaceClose(t *testing.T) {
	for _, ec := range engineCases {
		t.Run(ec.name, func(t *testing.T) {
			tdb := ec.open(t)
			tdb.Open(t) // creates the SQLite file
			cfg := connConfig(tdb)
			pools := NewPools()
			t.Cleanup(func() { _ = pools.CloseAll() })
			ctx := testContext(t)

			first, err := pools.Get("crm/main", cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := first.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if got := first.DB().Stats().MaxOpenConnections; got != DefaultMaxOpenConns {
				t.Errorf("MaxOpenConnections = %d, want %d", got, DefaultMaxOpenConns)
			}

			// Same key and settings, from many goroutines: the same pool.
			var wg sync.WaitGroup
			got := make([]*Database, 8)
			for i := range got {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					got[i], _ = pools.Get("crm/main", cfg)
				}(i)
			}
			wg.Wait()
			for i, db := range got {
				if db != first || db.DB() != first.DB() {
					t.Fatalf("Get #%d returned another pool for the same settings", i)
				}
			}
			if db, ok := pools.Lookup("crm/main"); !ok || db != first {
				t.Fatal("Lookup does not return the pool")
			}

			// Another key: another pool.
			other, err := pools.Get("crm/other", cfg)
			if err != nil || other == first {
				t.Fatalf("another key shared the pool: %v", err)
			}

			// Changed settings (a rotated Secret): a new pool, the old one closed.
			changed := cfg
			changed.MaxOpenConns = 2
			if ec.engine != EngineSQLite {
				changed.ConnectTimeout = 7 * time.Second
			}
			second, err := pools.Get("crm/main", changed)
			if err != nil {
				t.Fatal(err)
			}
			if second == first || second.DB() == first.DB() {
				t.Fatal("changed settings reused the old pool")
			}
			if err := second.Ping(ctx); err != nil {
				t.Fatalf("new pool: %v", err)
			}
			if err := first.DB().PingContext(ctx); err == nil || !strings.Contains(err.Error(), "database is closed") {
				t.Errorf("old pool after replacement: Ping = %v, want closed", err)
			}
			if again, _ := pools.Get("crm/main", changed); again != second {
				t.Error("the replacement pool is not reused")
			}

			// Close(key): closed and forgotten; the other key is untouched.
			if err := pools.Close("crm/main"); err != nil {
				t.Fatal(err)
			}
			if err := second.DB().PingContext(ctx); err == nil {
				t.Error("Close did not close the pool")
			}
			if _, ok := pools.Lookup("crm/main"); ok {
				t.Error("Lookup finds a closed pool")
			}
			if err := pools.Close("crm/main"); err != nil {
				t.Errorf("closing twice: %v", err)
			}
			if err := other.Ping(ctx); err != nil {
				t.Errorf("the other key's pool was affected: %v", err)
			}
			if keys := pools.Keys(); len(keys) != 1 || keys[0] != "crm/other" {
				t.Errorf("Keys = %v", keys)
			}
		})
	}
}

func TestPoolsRejectInvalidSettings(t *testing.T) {
	pools := NewPools()
	_, err := pools.Get("x/y", ConnConfig{Engine: EnginePostgres, Host: "h", Password: testPassword})
	if err == nil || !strings.Contains(err.Error(), "user is required") || strings.Contains(err.Error(), testPassword) {
		t.Fatalf("Get with invalid settings: %v", err)
	}
	if _, ok := pools.Lookup("x/y"); ok {
		t.Fatal("invalid settings left a pool")
	}
}

// A stopped server makes Ping fail with a clear, password-free error; once it is started
// again, the same pool works again without being recreated.
func TestServerStoppedAndStartedAgain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		engine Engine
		start  func(testing.TB) *testdb.Server
	}{
		{"postgres", EnginePostgres, testdb.StartPostgres},
		{"mariadb", EngineMySQL, testdb.StartMariaDB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.start(t)
			tdb := srv.NewDatabase(t)
			loadSample(t, tdb.Open(t), genericSample(tc.engine))
			pools := NewPools()
			t.Cleanup(func() { _ = pools.CloseAll() })
			cfg := connConfig(tdb)
			cfg.ConnectTimeout = 2 * time.Second
			db, err := pools.Get("crm/main", cfg)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := Preset(PresetGeneric)
			if _, err := db.CountContacts(testContext(t), m); err != nil {
				t.Fatal(err)
			}

			srv.Stop(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = db.Ping(ctx)
			if err == nil {
				t.Fatal("Ping succeeded with the server stopped")
			}
			msg := err.Error()
			t.Logf("Ping error with the server stopped: %v", err)
			wantTarget := string(tc.engine) + " database " + tdb.Name + " at 127.0.0.1:"
			if !strings.Contains(msg, "cannot connect to the "+wantTarget) {
				t.Errorf("Ping error %q does not say which database is unreachable", msg)
			}
			if strings.Contains(msg, tdb.Password) {
				t.Errorf("Ping error leaks the password: %q", msg)
			}
			if r := ClassifyError(err); r != ReasonUnreachable {
				t.Errorf("ClassifyError = %s, want %s (error: %v)", r, ReasonUnreachable, err)
			}
			if _, err := db.CountContacts(ctx, m); err == nil {
				t.Error("CountContacts succeeded with the server stopped")
			}

			srv.Start(t)
			same, err := pools.Get("crm/main", cfg)
			if err != nil || same != db {
				t.Fatalf("the pool was recreated after the restart: %v", err)
			}
			if err := db.Ping(testContext(t)); err != nil {
				t.Fatalf("Ping after the restart: %v", err)
			}
			if _, err := db.CountContacts(testContext(t), m); err != nil {
				t.Fatalf("CountContacts after the restart: %v", err)
			}
		})
	}
}

func TestConnectionFailuresAreClassified(t *testing.T) {
	for _, ec := range engineCases[:2] {
		t.Run(ec.name, func(t *testing.T) {
			tdb := ec.open(t)
			good := connConfig(tdb)
			for _, tc := range []struct {
				name   string
				mutate func(*ConnConfig)
				want   FailureReason
			}{
				{"wrong password", func(c *ConnConfig) { c.Password = "not-" + c.Password }, ReasonAuthenticationFailed},
				{"unknown user", func(c *ConnConfig) { c.User = "nobody" }, ReasonAuthenticationFailed},
				{"unknown database", func(c *ConnConfig) { c.Database = "no_such_db" }, ReasonDatabaseNotFound},
				{"TLS required, server without TLS", func(c *ConnConfig) { c.TLSMode = TLSRequire }, ReasonTLSError},
				{"nothing listening", func(c *ConnConfig) { c.Port = freePortForTest(t) }, ReasonUnreachable},
			} {
				t.Run(tc.name, func(t *testing.T) {
					cfg := good
					tc.mutate(&cfg)
					db, err := Open(cfg)
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					err = db.Ping(testContext(t))
					if err == nil {
						t.Fatal("Ping succeeded")
					}
					t.Logf("Ping error: %v", err)
					if r := ClassifyError(err); r != tc.want {
						t.Errorf("ClassifyError = %s, want %s (error: %v)", r, tc.want, err)
					}
					for _, secret := range []string{cfg.Password, good.Password} {
						if strings.Contains(err.Error(), secret) {
							t.Errorf("error leaks a password: %q", err)
						}
					}
				})
			}
			// prefer (the default) falls back to plaintext on a server without TLS.
			cfg := good
			cfg.TLSMode = TLSPrefer
			db, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Ping(testContext(t)); err != nil {
				t.Errorf("prefer against a server without TLS: %v", err)
			}
		})
	}
	t.Run("sqlite missing file", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "missing.db")
		db, err := Open(ConnConfig{Engine: EngineSQLite, Database: missing})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.Ping(testContext(t))
		if err == nil {
			t.Fatal("a missing SQLite file was opened (and would have been created)")
		}
		if r := ClassifyError(err); r != ReasonDatabaseNotFound {
			t.Errorf("ClassifyError = %s, want %s (error: %v)", r, ReasonDatabaseNotFound, err)
		}
		if _, statErr := os.Stat(missing); !errors.Is(statErr, os.ErrNotExist) {
			t.Error("the missing file was created")
		}
	})
}

// freePortForTest returns a loopback port nothing listens on.
func freePortForTest(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}
