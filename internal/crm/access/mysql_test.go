package access

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

type myAccessFixture struct {
	tdb   *testdb.Database
	crm   *crm.Database
	admin *sql.DB
	m     crm.Mapping
}

func newMyAccessFixture(t *testing.T) *myAccessFixture {
	t.Helper()
	tdb := testdb.MariaDB(t)
	admin := tdb.Open(t)
	crmtest.LoadSample(t, admin, crmtest.GenericSample(crm.EngineMySQL))
	crmtest.ExecAll(t, admin,
		"CREATE VIEW contact_directory AS SELECT id, company, contact_type FROM contacts",
		"INSERT INTO contacts (email, contact_type, birth_date) VALUES ('a@b2b.example', 'B2B', '1970-01-01'), ('b@b2c.example', 'B2C', NULL)",
	)
	installEd25519(t, admin)
	db := crmtest.OpenCRM(t, tdb)
	db.SetOperatorKeys(myTestOperatorKeys(t, 7))
	return &myAccessFixture{tdb: tdb, crm: db, admin: admin, m: crmtest.GenericMapping()}
}

// myTestOperatorKeys returns operator keys derived from a fixed secret: seed tells two
// operators apart.
func myTestOperatorKeys(t *testing.T, seed byte) crm.OperatorKeys {
	t.Helper()
	k, err := crm.NewOperatorKeys(bytes.Repeat([]byte{seed}, crm.MinSecretBytes))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// installEd25519 loads MariaDB's ed25519 authentication plugin (shipped by Debian's
// mariadb-server) when it is not active, so that the operator prefers it.
func installEd25519(t *testing.T, admin *sql.DB) {
	t.Helper()
	if crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519' AND PLUGIN_STATUS = 'ACTIVE'") == 0 {
		crmtest.ExecAll(t, admin, "INSTALL SONAME 'auth_ed25519'")
	}
}

// grants returns SHOW GRANTS FOR the role, without the USAGE line, sorted.
func (f *myAccessFixture) grants(t *testing.T, role string) []string {
	t.Helper()
	all, err := queryStrings(crmtest.TestContext(t), f.admin, "SHOW GRANTS FOR `"+role+"`")
	if err != nil {
		t.Fatalf("SHOW GRANTS FOR %s: %v", role, err)
	}
	var out []string
	for _, g := range all {
		if !strings.HasPrefix(g, "GRANT USAGE ON *.*") {
			out = append(out, strings.ReplaceAll(g, "`"+f.tdb.Name+"`.", "DB."))
		}
	}
	sort.Strings(out)
	return out
}

func (f *myAccessFixture) members(t *testing.T, role string) []string {
	t.Helper()
	out, err := queryStrings(crmtest.TestContext(t), f.admin, "SELECT CONCAT(User, '@', Host) FROM mysql.roles_mapping WHERE Role = ? AND User <> 'admin' ORDER BY 1", role)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *myAccessFixture) loginAs(t *testing.T, user, password string) (*sql.DB, error) {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, "tcp", fmt.Sprintf("%s:%d", f.tdb.Host, f.tdb.Port), f.tdb.Name
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db, pingEd25519(ctx, db)
}

// pingEd25519 pings db, trying again on the driver's ErrMalformPkt: go-sql-driver/mysql
// (v1.10.1) trims a trailing NUL byte from the 32-byte scramble of MariaDB's ed25519
// authentication, so that one login in 256 fails with "malformed packet".
func pingEd25519(ctx context.Context, db *sql.DB) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = db.PingContext(ctx); !errors.Is(err, mysql.ErrMalformPkt) {
			return err
		}
	}
	return err
}

func (f *myAccessFixture) apply(t *testing.T, spec Spec) Result {
	t.Helper()
	res, err := Apply(crmtest.TestContext(t), f.crm, f.m, spec)
	if err != nil {
		t.Fatalf("ApplyAccess: %v", err)
	}
	if !res.InSync() {
		t.Fatalf("ApplyAccess left drift: %v", res.Remaining)
	}
	return res
}

func dropMyAccounts(t *testing.T, admin *sql.DB, roles []string, users []string) {
	t.Cleanup(func() {
		for _, r := range roles {
			_, _ = admin.Exec("DROP ROLE IF EXISTS `" + r + "`")
		}
		for _, u := range users {
			_, _ = admin.Exec("DROP USER IF EXISTS `" + u + "`@'%'")
		}
	})
}

func TestAccessMariaDBGrantsExactlyTheSpecBothWays(t *testing.T) {
	f := newMyAccessFixture(t)
	role := uniqueName("crm_sales")
	dropMyAccounts(t, f.admin, []string{role}, nil)
	spec := Spec{Role: role, Owner: "sales/crm-sales", Grants: []TableGrant{
		{Table: "contacts", Privileges: []string{PrivSelect, PrivDelete}, Columns: []string{"id", "email"}},
		{Table: "notes", Privileges: []string{PrivSelect, PrivInsert}},
		{Table: "contact_directory", Privileges: []string{PrivSelect}},
	}}
	res := f.apply(t, spec)
	if !res.Created || res.Held != 6 {
		t.Errorf("created %v, held %d; want a new role holding 6 privileges", res.Created, res.Held)
	}
	want := []string{
		"GRANT SELECT (`id`, `email`), DELETE ON DB.`contacts` TO `" + role + "`",
		"GRANT SELECT ON DB.`contact_directory` TO `" + role + "`",
		"GRANT SELECT, INSERT ON DB.`notes` TO `" + role + "`",
	}
	if diff := cmp.Diff(want, f.grants(t, role)); diff != "" {
		t.Fatalf("grants after create (-want +got):\n%s", diff)
	}
	if res := f.apply(t, spec); res.Statements.Changes() != 0 {
		t.Errorf("second pass sent %d statements", res.Statements.Changes())
	}

	// Out of band: table-level SELECT undercutting the columns, CREATE on the database, a
	// global privilege, GRANT OPTION; and a shrink of the spec at the same time.
	crmtest.ExecAll(t, f.admin,
		"GRANT SELECT, ALTER ON contacts TO `"+role+"`",
		"GRANT CREATE ON `"+f.tdb.Name+"`.* TO `"+role+"`",
		"GRANT PROCESS ON *.* TO `"+role+"`",
		"GRANT UPDATE ON deals TO `"+role+"` WITH GRANT OPTION",
	)
	spec.Grants = spec.Grants[:1]
	res = f.apply(t, spec)
	want = []string{"GRANT SELECT (`id`, `email`), DELETE ON DB.`contacts` TO `" + role + "`"}
	if diff := cmp.Diff(want, f.grants(t, role)); diff != "" {
		t.Fatalf("grants after the drift was corrected (-want +got):\n%s", diff)
	}
	if res.Revoked < 7 {
		t.Errorf("revoked %d, want at least 7", res.Revoked)
	}
}

func TestAccessMariaDBMembersAndRowFilter(t *testing.T) {
	f := newMyAccessFixture(t)
	role, alice, stranger := uniqueName("crm_sales"), uniqueName("alice"), uniqueName("stranger")
	dropMyAccounts(t, f.admin, []string{role}, []string{alice, stranger})
	password := `Pä'ss\wörd"; DROP USER admin; --`
	spec := Spec{Role: role, Owner: "sales/crm-sales", Grants: []TableGrant{
		{Table: "contacts", Privileges: []string{PrivSelect}, Columns: []string{"id", "email"}},
		{Table: "notes", Privileges: []string{PrivSelect}},
	}, Members: []Member{{User: alice, Active: true, ManageLogin: true, Password: password}}}
	f.apply(t, spec)

	db, err := f.loginAs(t, alice, password)
	if err != nil {
		t.Fatalf("alice cannot log in: %v", err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(email) FROM contacts").Scan(&n); err != nil || n != 2 {
		t.Errorf("alice reading email through her default role: %d rows, %v", n, err)
	}
	if err := db.QueryRow("SELECT COUNT(birth_date) FROM contacts").Scan(&n); err == nil {
		t.Error("alice reads birth_date: the column restriction does not hold")
	}
	_ = db.Close()
	if res := f.apply(t, spec); res.Statements.Changes() != 0 {
		t.Errorf("an unchanged pass (same password) sent %d statements", res.Statements.Changes())
	}

	// A stranger granted the role out of band loses it.
	crmtest.ExecAll(t, f.admin, "CREATE USER `"+stranger+"`@'%' IDENTIFIED BY 'x'", "GRANT `"+role+"` TO `"+stranger+"`@'%'")
	if res := f.apply(t, spec); res.MembersRemoved != 1 {
		t.Errorf("members removed %d, want the stranger", res.MembersRemoved)
	}
	if diff := cmp.Diff([]string{alice + "@%"}, f.members(t, role)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}

	// A row filter: unsupported, and nothing is granted on the contacts table.
	spec.RowFilter = &crm.Selector{{Field: crm.FieldContactType, Operator: crm.OpIn, Values: []string{"B2B"}}}
	res, err := Apply(crmtest.TestContext(t), f.crm, f.m, spec)
	if err != nil || res.Unsupported == "" {
		t.Fatalf("ApplyAccess with a row filter: %v, unsupported %q; want an Unsupported message", err, res.Unsupported)
	}
	if diff := cmp.Diff([]string{"GRANT SELECT ON DB.`notes` TO `" + role + "`"}, f.grants(t, role)); diff != "" {
		t.Errorf("grants with a row filter (-want +got):\n%s", diff)
	}
	spec.RowFilter = nil

	// Expiry: alice loses the role and her account is locked.
	spec.Members[0].Active = false
	if res := f.apply(t, spec); res.MembersRemoved != 1 {
		t.Errorf("members removed %d, want 1", res.MembersRemoved)
	}
	if _, err := f.loginAs(t, alice, password); err == nil {
		t.Error("alice can still log in after her designation expired")
	}

	// Delete drops the role and its marker.
	if _, err := Remove(crmtest.TestContext(t), f.crm, f.m, spec, true); err != nil {
		t.Fatalf("RemoveAccess: %v", err)
	}
	if n := crmtest.QueryInt(t, f.admin, "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND is_role = 'Y'", role); n != 0 {
		t.Error("the role is still there")
	}
	if n := crmtest.QueryInt(t, f.admin, "SELECT COUNT(*) FROM `crm_privacy`.`"+accessRolesTable+"` WHERE name = ? AND kind = 'role'", role); n != 0 {
		t.Error("the role's marker is still there")
	}
}

func TestAccessMariaDBRefusesRolesItDoesNotManage(t *testing.T) {
	f := newMyAccessFixture(t)
	role := uniqueName("crm_pre")
	dropMyAccounts(t, f.admin, []string{role}, nil)
	crmtest.ExecAll(t, f.admin, "CREATE ROLE `"+role+"`")
	_, err := Apply(crmtest.TestContext(t), f.crm, f.m, Spec{Role: role, Owner: "a/b",
		Grants: []TableGrant{{Table: "contacts", Privileges: []string{PrivSelect}}}})
	var nm *RoleNotManagedError
	if !errors.As(err, &nm) {
		t.Fatalf("ApplyAccess on a pre-existing role: %v, want RoleNotManagedError", err)
	}
	if got := f.grants(t, role); len(got) != 0 {
		t.Errorf("the unmanaged role was given %v", got)
	}
}
