// Package testdb starts throwaway database servers for tests: PostgreSQL (initdb + postgres)
// and MariaDB (mariadb-install-db + mariadbd) from the machine's packages, on 127.0.0.1 and
// free ports, in temporary directories; and SQLite files through the pure-Go driver.
//
// A server is started once per test binary, on first use, and every test gets a fresh
// database of its own. Use it from TestMain:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		db := testdb.Postgres(t) // or MariaDB(t), SQLite(t)
//		sqlDB := db.Open(t)
//		...
//	}
//
// Servers are stopped and their directories removed when the tests end. A watchdog process,
// started in its own session, does the same if the test binary dies without cleaning up
// (a panic, a timeout, SIGKILL), so no server or data directory outlives the tests.
//
// A missing server binary fails the test with the command that installs it: nothing is
// silently skipped.
package testdb
