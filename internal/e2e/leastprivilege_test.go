package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// The whole operator — the built manager, driven with the real kubectl — acting as a login
// that holds exactly the privileges docs/security.md lists (the grant files in
// config/samples/crm, run as written): a dry run as the read-only part, an enforced run and
// an AccessRole with the whole file, on PostgreSQL and MariaDB. The database is asserted
// afterwards through an administrator's connection and the members' own logins.

// grantPart selects how much of a grant file applies: the parts end at the "-- @enforce"
// and "-- @access" markers.
type grantPart int

const (
	grantsDryRun grantPart = iota
	grantsEnforce
	grantsAccess
)

// leastPrivilegeEngine is what differs between the engines in this test.
type leastPrivilegeEngine struct {
	name, engine, schema, grants string
	open                         func(testing.TB) *testdb.Database
	// seed inserts expired prospects 1..expired (three years out of touch, B2C for the odd
	// ones), fresh ones after them, and a note each.
	seed func(expired, fresh int) []string
	// ledger counts the ledger rows of the database.
	ledger string
	// rowFilter says whether the engine enforces AccessRole row filters.
	rowFilter bool
	// memberDSN is the DSN of a member's own login.
	memberDSN func(tdb *testdb.Database, user, password string) (driver, dsn string)
	// quote quotes an identifier in a grant file.
	quote func(string) string
}

var leastPrivilegeEngines = []leastPrivilegeEngine{
	{
		name: "postgres", engine: "postgres", schema: "generic-postgres.sql", grants: "operator-grants-postgres.sql",
		open: testdb.Postgres,
		seed: func(expired, fresh int) []string {
			return []string{fmt.Sprintf(`INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at)
				SELECT g, 'p' || g || '@example.test', CASE WHEN g %% 2 = 1 THEN 'B2C' ELSE 'B2B' END, 'prospect', now() - interval '4 years',
				       CASE WHEN g <= %d THEN now() - interval '3 years' ELSE now() END
				FROM generate_series(1, %d) g`, expired, expired+fresh),
				"INSERT INTO notes (contact_id, body) SELECT id, 'note' FROM contacts"}
		},
		ledger:    "SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger",
		rowFilter: true,
		memberDSN: func(tdb *testdb.Database, user, password string) (string, string) {
			return "pgx", fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", user, password, tdb.Host, tdb.Port, tdb.Name)
		},
		quote: func(s string) string { return `"` + s + `"` },
	},
	{
		name: "mariadb", engine: "mysql", schema: "generic-mysql.sql", grants: "operator-grants-mariadb.sql",
		open: testdb.MariaDB,
		seed: func(expired, fresh int) []string {
			return []string{fmt.Sprintf(`INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at)
				SELECT seq, CONCAT('p', seq, '@example.test'), IF(seq %% 2 = 1, 'B2C', 'B2B'), 'prospect', UTC_TIMESTAMP(6) - INTERVAL 4 YEAR,
				       IF(seq <= %d, UTC_TIMESTAMP(6) - INTERVAL 3 YEAR, UTC_TIMESTAMP(6))
				FROM seq_1_to_%d`, expired, expired+fresh),
				"INSERT INTO notes (contact_id, body) SELECT id, 'note' FROM contacts"}
		},
		ledger: "SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger WHERE crm_database = DATABASE()",
		memberDSN: func(tdb *testdb.Database, user, password string) (string, string) {
			return "mysql", fmt.Sprintf("%s:%s@tcp(%s:%d)/%s", user, password, tdb.Host, tdb.Port, tdb.Name)
		},
		quote: func(s string) string { return "`" + s + "`" },
	},
}

func TestWholeOperatorWithTheDocumentedGrants(t *testing.T) {
	startManager(t)
	for i, e := range leastPrivilegeEngines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			testWithDocumentedGrants(t, e, fmt.Sprintf("e2e-least-%d", i))
		})
	}
}

func testWithDocumentedGrants(t *testing.T, e leastPrivilegeEngine, ns string) {
	const expired, fresh = 30, 10
	tdb := e.open(t)
	tdb.LoadFile(t, filepath.Join(cluster.root, "config", "samples", "crm", e.schema))
	tdb.Exec(t, e.seed(expired, fresh)...)
	admin := tdb.Open(t)

	// A dry run as a login holding the DryRun part only: it counts, and writes nothing.
	reader := documentedLogin(t, e, tdb, "crm_reader_", grantsDryRun)
	mustKubectl(t, "", "create", "namespace", ns+"-dry")
	applyDatabase(t, ns+"-dry", e.engine, reader)
	mustKubectl(t, policyInMode("DryRun"), "apply", "-n", ns+"-dry", "-f", "-")
	mustKubectl(t, "", "wait", "-n", ns+"-dry", "--for=jsonpath={.status.pending}="+strconv.Itoa(expired),
		"retentionpolicy/prospects", "--timeout=120s")
	if n := operatorObjects(t, e, admin); n != 0 {
		t.Errorf("the dry run as a read-only login created %d object(s) of the operator", n)
	}

	// An enforced run and an AccessRole as a login holding the whole file.
	op := documentedLogin(t, e, tdb, "crm_operator_", grantsAccess)
	mustKubectl(t, "", "create", "namespace", ns)
	applyDatabase(t, ns, e.engine, op)
	mustKubectl(t, policyInMode("Enforce"), "apply", "-n", ns, "-f", "-")
	waitOrShow(t, ns, "retentionpolicy/prospects", "--for=jsonpath={.status.lastRun.result}=Succeeded")
	for q, want := range map[string]int{
		"SELECT COUNT(*) FROM contacts": fresh,
		"SELECT COUNT(*) FROM notes":    fresh,
		e.ledger:                        expired,
	} {
		if n := queryInt(t, admin, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}

	alice, bob := "alice_"+randomHex(4), "bob_"+randomHex(4)
	passwords := map[string]string{alice: "Alice-" + randomHex(8), bob: "Bob-" + randomHex(8)}
	role := "crm_sales_" + randomHex(4)
	mustKubectl(t, accessRole(role, e.rowFilter, passwords, alice, bob), "apply", "-n", ns, "-f", "-")
	waitOrShow(t, ns, "accessrole/sales", "--for=condition=Ready")
	// Fresh contacts are 31..40: 5 B2B and 5 B2C.
	wantRows := fresh
	if e.rowFilter {
		wantRows = fresh / 2
	}
	for _, user := range []string{alice, bob} {
		member := memberLogin(t, e, tdb, user, passwords[user])
		if n := queryInt(t, member, "SELECT COUNT(id) FROM contacts"); n != wantRows {
			t.Errorf("%s reads %d contacts, want %d", user, n, wantRows)
		}
		if _, err := member.ExecContext(context.Background(), "SELECT birth_date FROM contacts"); err == nil {
			t.Errorf("%s read birth_date, a column the AccessRole does not grant", user)
		}
	}

	// Alice leaves the team: her login is locked, whatever else she holds.
	mustKubectl(t, accessRole(role, e.rowFilter, passwords, bob), "apply", "-n", ns, "-f", "-")
	deadline := time.Now().Add(60 * time.Second)
	for loginWorks(e, tdb, alice, passwords[alice]) {
		if time.Now().After(deadline) {
			t.Fatalf("%s, removed from the AccessRole, can still log in", alice)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !loginWorks(e, tdb, bob, passwords[bob]) {
		t.Errorf("%s, still a member, cannot log in", bob)
	}
}

// waitOrShow waits up to 150 s for the condition of an object, and shows its status when
// it does not come.
func waitOrShow(t *testing.T, ns, object, condition string) {
	t.Helper()
	if out, err := kubectl(t, "", "wait", "-n", ns, condition, object, "--timeout=150s"); err != nil {
		status, _ := kubectl(t, "", "get", "-n", ns, object, "-o", "jsonpath={.status}")
		t.Fatalf("kubectl wait %s %s: %v\n%s\nstatus: %s", object, condition, err, out, status)
	}
}

// documentedLogin creates a login with the privileges of a grant file, as written up to
// part, for tdb's database, and returns tdb with that login's credentials.
func documentedLogin(t *testing.T, e leastPrivilegeEngine, tdb *testdb.Database, prefix string, part grantPart) *testdb.Database {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cluster.root, "config", "samples", "crm", e.grants))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	// The parts in the file's order, the last first: each cut keeps what comes before.
	for _, cut := range []struct {
		marker string
		from   grantPart
	}{{"-- @access", grantsAccess}, {"-- @enforce", grantsEnforce}} {
		i := strings.Index(text, cut.marker)
		if i < 0 {
			t.Fatalf("%s has no %q part", e.grants, cut.marker)
		}
		if part < cut.from {
			text = text[:i]
		}
	}
	login, password := prefix+randomHex(4), "Op-"+randomHex(12)
	text = strings.ReplaceAll(text, "crm_privacy_operator", login)
	text = strings.ReplaceAll(text, "change-me-example-only", password)
	text = strings.ReplaceAll(text, e.quote("crm"), e.quote(tdb.Name))
	tdb.Exec(t, testdb.SplitSQL(text)...)
	c := *tdb
	c.User, c.Password = login, password
	return &c
}

// applyDatabase creates the CRMDatabase crm-db of namespace ns, as login, with the samples'
// LIA and activity, and waits for it to be Ready.
func applyDatabase(t *testing.T, ns, engine string, login *testdb.Database) {
	t.Helper()
	mustKubectl(t, credentialsSecret(login)+fmt.Sprintf(`---
apiVersion: v1
kind: Secret
metadata: {name: crm-db-ledger-key}
stringData: {hmac-key: %s}
---
apiVersion: privacy.crmoperator.io/v1alpha1
kind: CRMDatabase
metadata: {name: crm-db}
spec:
  engine: %s
  connection: {secretRef: {name: crm-db-credentials}, tls: {mode: disable}}
  preset: generic
  ledger: {hmacKeySecretRef: {name: crm-db-ledger-key, key: hmac-key}}
`, ledgerKey, engine), "apply", "-n", ns, "-f", "-")
	samples := filepath.Join(cluster.root, "config", "samples")
	mustKubectl(t, "", "apply", "-n", ns,
		"-f", filepath.Join(samples, "privacy_v1alpha1_legitimateinterestassessment.yaml"),
		"-f", filepath.Join(samples, "privacy_v1alpha1_processingactivity.yaml"))
	mustKubectl(t, "", "wait", "-n", ns, "--for=condition=Ready", "crmdatabase/crm-db", "--timeout=120s")
}

// policyInMode is the policy on the prospects in a mode, due every minute.
func policyInMode(mode string) string {
	return strings.Replace(policy(10), "mode: Enforce", "mode: "+mode, 1)
}

// accessRole is the AccessRole "sales" of role: contacts' business columns (B2B contacts
// only where row filters are enforced), for the members given, with their passwords.
func accessRole(role string, rowFilter bool, passwords map[string]string, members ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Secret\nmetadata: {name: sales-passwords}\nstringData:\n")
	for user, pw := range passwords {
		fmt.Fprintf(&b, "  %s: %q\n", user, pw)
	}
	fmt.Fprintf(&b, `---
apiVersion: privacy.crmoperator.io/v1alpha1
kind: AccessRole
metadata: {name: sales}
spec:
  databaseRef: {name: crm-db}
  roleName: %s
  processingActivityRef: {name: sales-prospecting}
  grants:
    - {table: contacts, privileges: [SELECT], columns: [id, email, company, contact_type]}
    - {table: notes, privileges: [SELECT]}
`, role)
	if rowFilter {
		b.WriteString("  rowFilter: {matchExpressions: [{field: contactType, operator: In, values: [B2B]}]}\n")
	}
	b.WriteString("  members:\n")
	for _, user := range members {
		fmt.Fprintf(&b, `    - user: %s
      passwordSecretRef: {name: sales-passwords, key: %s}
      designation: {designatedBy: Head of Sales, designatedAt: "2026-01-05T09:00:00Z", instructedAt: "2026-01-05T11:00:00Z"}
`, user, user)
	}
	return b.String()
}

// memberLogin opens a connection as a member's own login.
func memberLogin(t *testing.T, e leastPrivilegeEngine, tdb *testdb.Database, user, password string) *sql.DB {
	t.Helper()
	driver, dsn := e.memberDSN(tdb, user, password)
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := pingRetryingScramble(db); err != nil {
		t.Fatalf("%s cannot log in: %v", user, err)
	}
	return db
}

// loginWorks says whether user can log in with password now.
func loginWorks(e leastPrivilegeEngine, tdb *testdb.Database, user, password string) bool {
	driver, dsn := e.memberDSN(tdb, user, password)
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return false
	}
	defer func() { _ = db.Close() }()
	return pingRetryingScramble(db) == nil
}

// pingRetryingScramble pings db, trying again when go-sql-driver/mysql fails an ed25519
// login on a scramble that ends in a NUL byte (a driver bug, about 1 login in 256).
func pingRetryingScramble(db *sql.DB) error {
	var err error
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "malformed packet") {
			return err
		}
	}
	return errors.Join(err, errors.New("malformed packet five times in a row"))
}

// operatorObjects counts the operator's objects in the database: its schema (PostgreSQL) or
// database (MariaDB) and any crm_privacy_* table.
func operatorObjects(t *testing.T, e leastPrivilegeEngine, admin *sql.DB) int {
	t.Helper()
	if e.engine == "postgres" {
		return queryInt(t, admin, `SELECT (SELECT COUNT(*) FROM pg_namespace WHERE nspname = 'crm_privacy')
			+ (SELECT COUNT(*) FROM pg_class WHERE relname LIKE 'crm\_privacy\_%')`)
	}
	return queryInt(t, admin, `SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'crm_privacy')
		+ (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'crm\_privacy\_%')`)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
