package access

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// Regression tests for the trust boundary of AccessRoles on MariaDB: markers the operator
// does not trust, logins of other AccessRoles, removed members, the operator's documented
// grants, and passwords in the server's logs.

func TestMariaDBEd25519Verifier(t *testing.T) {
	// What MariaDB 10.11 stored for CREATE USER … IDENTIFIED VIA ed25519 USING PASSWORD('SecretPw3').
	if got, want := MariaDBEd25519Verifier("SecretPw3"), "A+VH9Xj9CNaHiXdwZePMR35VBVzPRUzX/4+1uEO+p7s"; got != want {
		t.Errorf("MariaDBEd25519Verifier = %s, want %s", got, want)
	}
}

// myOperatorGrants is the operator's account as docs/security.md documents it for
// AccessRoles on MariaDB 10.5+: %[1]s is the account, %[2]s the CRM database.
const myOperatorGrants = `CREATE USER %[1]s IDENTIFIED BY '%[3]s';
GRANT SELECT, INSERT, UPDATE, DELETE ON %[2]s.* TO %[1]s WITH GRANT OPTION;
GRANT CREATE USER, CONNECTION ADMIN, BINLOG ADMIN ON *.* TO %[1]s;
GRANT SELECT, UPDATE ON mysql.* TO %[1]s;
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON crm_privacy.* TO %[1]s`

// myOperator creates the operator's account with the documented grants, less the lines
// that contain one of without, and opens a Database as that account.
func myOperator(t *testing.T, tdb *testdb.Database, admin *sql.DB, without ...string) *crm.Database {
	t.Helper()
	db, _, _ := myOperatorAccount(t, tdb, admin, without...)
	return db
}

// myOperatorAccount is myOperator, returning the account's name and password too.
func myOperatorAccount(t *testing.T, tdb *testdb.Database, admin *sql.DB, without ...string) (db *crm.Database, user, password string) {
	t.Helper()
	user, password = uniqueName("crm_op"), uniqueName("pw")
	acct := "`" + user + "`@'%'"
	t.Cleanup(func() { _, _ = admin.Exec("DROP USER IF EXISTS " + acct) })
	script := fmt.Sprintf(myOperatorGrants, acct, "`"+tdb.Name+"`", password)
next:
	for _, stmt := range strings.Split(script, ";\n") {
		for _, w := range without {
			if strings.Contains(stmt, w) {
				continue next
			}
		}
		crmtest.ExecAll(t, admin, stmt)
	}
	return openMyOperator(t, tdb, user, password), user, password
}

// openMyOperator opens a Database as an operator account (new connections: they see the
// account's global privileges as they are now).
func openMyOperator(t *testing.T, tdb *testdb.Database, user, password string) *crm.Database {
	t.Helper()
	cfg := crmtest.ConnConfig(tdb)
	cfg.User, cfg.Password = user, password
	db, err := crm.Open(cfg)
	if err != nil {
		t.Fatalf("Open as the operator: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetOperatorKeys(myTestOperatorKeys(t, 7))
	return db
}

// connect logs in as user to no database (without a role, the user may have none).
func (f *myAccessFixture) connect(t *testing.T, user, password string) (*sql.DB, error) {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = user, password, "tcp", fmt.Sprintf("%s:%d", f.tdb.Host, f.tdb.Port)
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, pingEd25519(crmtest.TestContext(t), db)
}

// assertLocked checks that user's account is locked (and not merely without access to the
// database).
func (f *myAccessFixture) assertLocked(t *testing.T, user, password string) {
	t.Helper()
	_, err := f.connect(t, user, password)
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 4151 {
		t.Errorf("%s logging in: %v; want the account locked (error 4151)", user, err)
	}
}

// currentRole logs in as user and returns CURRENT_ROLE() of the new session.
func (f *myAccessFixture) currentRole(t *testing.T, user, password string) string {
	t.Helper()
	db, err := f.connect(t, user, password)
	if err != nil {
		t.Fatalf("%s cannot log in: %v", user, err)
	}
	var role sql.NullString
	if err := db.QueryRow("SELECT CURRENT_ROLE()").Scan(&role); err != nil {
		t.Fatal(err)
	}
	return role.String
}

func (f *myAccessFixture) userGrants(t *testing.T, user string) []string {
	t.Helper()
	all, err := queryStrings(crmtest.TestContext(t), f.admin, "SHOW GRANTS FOR `"+user+"`@'%'")
	if err != nil {
		t.Fatalf("SHOW GRANTS FOR %s: %v", user, err)
	}
	var out []string
	for _, g := range all {
		if !strings.HasPrefix(g, "GRANT USAGE ON *.*") {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

func (f *myAccessFixture) plugin(t *testing.T, user string) string {
	t.Helper()
	var p string
	if err := f.admin.QueryRow("SELECT plugin FROM mysql.user WHERE User = ? AND Host = '%'", user).Scan(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// The operator with exactly its documented grants: members get their login, their default
// role and only the granted columns; a rotation changes the password; removal locks the
// login and ends the member's session.
func TestAccessMariaDBWithTheDocumentedGrants(t *testing.T) {
	f := newMyAccessFixture(t)
	op := myOperator(t, f.tdb, f.admin)
	role, alice := uniqueName("crm_sales"), uniqueName("alice")
	dropMyAccounts(t, f.admin, []string{role}, []string{alice})
	spec := Spec{Role: role, Owner: "sales/crm-sales", Grants: []TableGrant{
		{Table: "contacts", Privileges: []string{PrivSelect}, Columns: []string{"id", "email"}},
		{Table: "notes", Privileges: []string{PrivSelect}},
	}, Members: []Member{{User: alice, Active: true, ManageLogin: true, Password: "first-Pw"}}}
	res, err := Apply(crmtest.TestContext(t), op, f.m, spec)
	if err != nil || !res.InSync() || !res.Members[alice].Holds {
		t.Fatalf("ApplyAccess as the operator: %v, remaining %v, alice %+v", err, res.Remaining, res.Members[alice])
	}
	want := []string{"GRANT `" + role + "` TO `" + alice + "`@`%`", "SET DEFAULT ROLE `" + role + "` FOR `" + alice + "`@`%`"}
	if diff := cmp.Diff(want, f.userGrants(t, alice)); diff != "" {
		t.Errorf("SHOW GRANTS FOR alice (-want +got):\n%s", diff)
	}
	if p := f.plugin(t, alice); p != "ed25519" {
		t.Errorf("alice's login uses %s, want ed25519 (the strongest plugin the server has)", p)
	}
	if got := f.currentRole(t, alice, "first-Pw"); got != role {
		t.Errorf("alice's session starts with role %q, want %s", got, role)
	}
	db, err := f.loginAs(t, alice, "first-Pw")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(email) FROM contacts").Scan(&n); err != nil {
		t.Errorf("alice reading a granted column: %v", err)
	}
	if err := db.QueryRow("SELECT COUNT(birth_date) FROM contacts").Scan(&n); err == nil {
		t.Error("alice reads birth_date, which is not granted")
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM deals").Scan(&n); err == nil {
		t.Error("alice reads deals, which is not granted")
	}
	_ = db.Close()

	// Rotation.
	spec.Members[0].Password = "second-Pw"
	if res, err := Apply(crmtest.TestContext(t), op, f.m, spec); err != nil || !res.InSync() {
		t.Fatalf("rotation: %v, remaining %v", err, res.Remaining)
	}
	if _, err := f.connect(t, alice, "first-Pw"); err == nil {
		t.Error("the old password still works after the rotation")
	}
	if got := f.currentRole(t, alice, "second-Pw"); got != role {
		t.Errorf("after the rotation alice's session starts with role %q, want %s", got, role)
	}
	spec.Members[0].Password = ""
	if res, err := Apply(crmtest.TestContext(t), op, f.m, spec); err != nil || res.Statements.Changes() != 0 {
		t.Errorf("an unchanged pass: %v, %d statements", err, res.Statements.Changes())
	}

	// Removal: alice's open session ends, and she cannot log in again.
	session, err := f.loginAs(t, alice, "second-Pw")
	if err != nil {
		t.Fatal(err)
	}
	spec.Members = nil
	if res, err := Apply(crmtest.TestContext(t), op, f.m, spec); err != nil || !res.InSync() {
		t.Fatalf("removal: %v, remaining %v", err, res.Remaining)
	}
	if err := session.QueryRow("SELECT 1").Scan(&n); err == nil {
		t.Error("alice's open session survived her removal")
	}
	f.assertLocked(t, alice, "second-Pw")
	if got := f.userGrants(t, alice); len(got) != 0 {
		t.Errorf("alice still holds %v", got)
	}
}

// Attack: a CRM user with every privilege on the CRM database writes a marker into the table
// the operator used to trust, claiming a powerful pre-existing account as an operator
// login; someone writes a marker without a valid MAC in the operator's own table. Neither
// account is touched.
func TestAccessMariaDBForgedMarkersAreNotActedOn(t *testing.T) {
	f := newMyAccessFixture(t)
	role, victim, victim2, crmUser := uniqueName("crm_sales"), uniqueName("dba"), uniqueName("dba"), uniqueName("crmapp")
	dropMyAccounts(t, f.admin, []string{role}, []string{victim, victim2, crmUser})
	owner := "sales/" + uniqueName("ar")
	for _, v := range []string{victim, victim2} {
		crmtest.ExecAll(t, f.admin,
			"CREATE USER `"+v+"`@'%' IDENTIFIED BY 'dba-Pw'",
			"GRANT ALL PRIVILEGES ON *.* TO `"+v+"`@'%' WITH GRANT OPTION")
	}
	crmtest.ExecAll(t, f.admin,
		"CREATE USER `"+crmUser+"`@'%' IDENTIFIED BY 'app-Pw'",
		"GRANT ALL PRIVILEGES ON `"+f.tdb.Name+"`.* TO `"+crmUser+"`@'%'")
	app, err := f.loginAs(t, crmUser, "app-Pw")
	if err != nil {
		t.Fatal(err)
	}
	crmtest.ExecAll(t, app,
		"CREATE TABLE IF NOT EXISTS crm_privacy_access_roles (name VARCHAR(64) NOT NULL, kind VARCHAR(8) NOT NULL, owner VARCHAR(512) NOT NULL, PRIMARY KEY (name, kind))",
		"INSERT INTO crm_privacy_access_roles (name, kind, owner) VALUES ('"+victim+"', 'login', 'login managed by crm-privacy-operator')")
	if _, err := app.Exec("INSERT INTO crm_privacy.crm_privacy_access_roles (kind, name, owner, mac) VALUES ('login', ?, ?, ?)", victim2, owner, strings.Repeat("0", 64)); err == nil {
		t.Error("a CRM user can write the operator's marker table")
	}
	// Someone who can write there (an administrator) forges a marker without the key. (Any
	// call of the operator creates the table; the test may be the first on the server.)
	if _, err := LockOwnedLogins(crmtest.TestContext(t), f.crm, "nobody/"+uniqueName("ar")); err != nil {
		t.Fatal(err)
	}
	crmtest.ExecAll(t, f.admin, "INSERT INTO crm_privacy.crm_privacy_access_roles (kind, name, owner, mac) VALUES ('login', '"+victim2+"', '"+owner+"', '"+strings.Repeat("0", 64)+"')")

	spec := Spec{Role: role, Owner: owner,
		Grants: []TableGrant{{Table: "notes", Privileges: []string{PrivSelect}}},
		Members: []Member{
			{User: victim, Active: true, ManageLogin: true, Password: "attacker-Pw"},
			{User: victim2, Active: true, ManageLogin: true, Password: "attacker-Pw"},
		}}
	res, err := Apply(crmtest.TestContext(t), f.crm, f.m, spec)
	if err != nil {
		t.Fatalf("ApplyAccess: %v", err)
	}
	if got := res.Members[victim]; got.Holds || got.Problem != MemberUserNotManaged {
		t.Errorf("member claimed through the CRM database: %+v, want problem %s", got, MemberUserNotManaged)
	}
	if got := res.Members[victim2]; got.Holds || got.Problem != MemberMarkerNotVerified {
		t.Errorf("member claimed through a forged marker: %+v, want problem %s", got, MemberMarkerNotVerified)
	}
	for _, v := range []string{victim, victim2} {
		if _, err := f.loginAs(t, v, "dba-Pw"); err != nil {
			t.Errorf("%s's own password no longer works: %v", v, err)
		}
		if _, err := f.connect(t, v, "attacker-Pw"); err == nil {
			t.Errorf("%s can be logged into with the attacker's password", v)
		}
		if got := f.userGrants(t, v); len(got) != 1 || !strings.HasPrefix(got[0], "GRANT ALL PRIVILEGES ON *.*") {
			t.Errorf("%s's grants changed: %v", v, got)
		}
	}
	// The forged marker also claims the AccessRole: removing the member does not lock it.
	spec.Members = nil
	res, err = Apply(crmtest.TestContext(t), f.crm, f.m, spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.InSync() || !strings.Contains(strings.Join(res.Remaining, "; "), victim2) {
		t.Errorf("the unverifiable marker is not reported: %v", res.Remaining)
	}
	if _, err := f.loginAs(t, victim2, "dba-Pw"); err != nil {
		t.Errorf("the account named by a forged marker was locked: %v", err)
	}

	// A role: a forged marker is reported, and the role is not created.
	forged := uniqueName("crm_forged")
	dropMyAccounts(t, f.admin, []string{forged}, nil)
	crmtest.ExecAll(t, f.admin, "INSERT INTO crm_privacy.crm_privacy_access_roles (kind, name, owner, mac) VALUES ('role', '"+forged+"', '"+owner+"', '"+strings.Repeat("0", 64)+"')")
	_, err = Apply(crmtest.TestContext(t), f.crm, f.m, Spec{Role: forged, Owner: owner})
	var nv *MarkerNotVerifiedError
	if !errors.As(err, &nv) || nv.Name != forged {
		t.Errorf("ApplyAccess on a role with a forged marker: %v, want MarkerNotVerifiedError", err)
	}
	// An operator with another key does not trust this one's markers either.
	other := crmtest.OpenCRM(t, f.tdb)
	other.SetOperatorKeys(myTestOperatorKeys(t, 9))
	_, err = Apply(crmtest.TestContext(t), other, f.m, Spec{Role: role, Owner: owner})
	if !errors.As(err, &nv) {
		t.Errorf("ApplyAccess under another operator key: %v, want MarkerNotVerifiedError", err)
	}
}

// Attack: AccessRole B names AccessRole A's member with a password of its own, then as
// expired; neither resets her password nor locks her.
func TestAccessMariaDBLoginBelongsToOneAccessRole(t *testing.T) {
	f := newMyAccessFixture(t)
	roleA, roleB, alice := uniqueName("crm_a"), uniqueName("crm_b"), uniqueName("alice")
	dropMyAccounts(t, f.admin, []string{roleA, roleB}, []string{alice})
	grants := []TableGrant{{Table: "notes", Privileges: []string{PrivSelect}}}
	f.apply(t, Spec{Role: roleA, Owner: "sales/a", Grants: grants,
		Members: []Member{{User: alice, Active: true, ManageLogin: true, Password: "alice-Pw"}}})

	b := Spec{Role: roleB, Owner: "other/b", Grants: grants,
		Members: []Member{{User: alice, Active: true, ManageLogin: true, Password: "b-Pw"}}}
	res, err := Apply(crmtest.TestContext(t), f.crm, f.m, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Members[alice]; got.Holds || got.Problem != MemberUserOwnedElsewhere {
		t.Errorf("B's member: %+v, want problem %s", got, MemberUserOwnedElsewhere)
	}
	if _, err := f.connect(t, alice, "b-Pw"); err == nil {
		t.Error("AccessRole B reset the password of AccessRole A's member")
	}
	b.Members[0] = Member{User: alice, ManageLogin: true}
	if _, err := Apply(crmtest.TestContext(t), f.crm, f.m, b); err != nil {
		t.Fatal(err)
	}
	if _, err := Remove(crmtest.TestContext(t), f.crm, f.m, b, true); err != nil {
		t.Fatal(err)
	}
	if got := f.currentRole(t, alice, "alice-Pw"); got != roleA {
		t.Errorf("after AccessRole B's passes alice logs in with role %q, want %s", got, roleA)
	}
}

// Attack: a member removed from the spec, who also holds another role, keeps neither her
// login nor her open session; an expired member neither.
func TestAccessMariaDBRemovedMemberIsLockedAndDisconnected(t *testing.T) {
	f := newMyAccessFixture(t)
	role, other, alice, bob := uniqueName("crm_sales"), uniqueName("crm_other"), uniqueName("alice"), uniqueName("bob")
	dropMyAccounts(t, f.admin, []string{role, other}, []string{alice, bob})
	spec := Spec{Role: role, Owner: "sales/crm-sales", Grants: []TableGrant{{Table: "notes", Privileges: []string{PrivSelect}}},
		Members: []Member{
			{User: alice, Active: true, ManageLogin: true, Password: "alice-Pw"},
			{User: bob, Active: true, ManageLogin: true, Password: "bob-Pw"},
		}}
	f.apply(t, spec)
	crmtest.ExecAll(t, f.admin, "CREATE ROLE `"+other+"`", "GRANT `"+other+"` TO `"+alice+"`@'%'", "GRANT `"+other+"` TO `"+bob+"`@'%'")
	aliceSession, err := f.loginAs(t, alice, "alice-Pw")
	if err != nil {
		t.Fatal(err)
	}
	bobSession, err := f.loginAs(t, bob, "bob-Pw")
	if err != nil {
		t.Fatal(err)
	}
	// Alice leaves the spec; Bob's designation expires.
	spec.Members = []Member{{User: bob, ManageLogin: true}}
	f.apply(t, spec)
	for _, s := range []struct {
		user, password string
		session        *sql.DB
	}{{alice, "alice-Pw", aliceSession}, {bob, "bob-Pw", bobSession}} {
		var n int
		if err := s.session.QueryRow("SELECT 1").Scan(&n); err == nil {
			t.Errorf("%s's open session survived", s.user)
		}
		f.assertLocked(t, s.user, s.password)
	}
}

// Attack on the status: with the documented grants less UPDATE on the mysql database, SET
// DEFAULT ROLE … FOR fails; the pass says so instead of claiming the role is in sync.
func TestAccessMariaDBDefaultRoleFailureIsReported(t *testing.T) {
	f := newMyAccessFixture(t)
	_, opUser, opPassword := myOperatorAccount(t, f.tdb, f.admin, "ON mysql.*")
	// Reading the catalog is still allowed; only changing another user's default role is not.
	crmtest.ExecAll(t, f.admin, "GRANT SELECT ON mysql.* TO `"+opUser+"`@'%'")
	op := openMyOperator(t, f.tdb, opUser, opPassword)
	role, alice := uniqueName("crm_sales"), uniqueName("alice")
	dropMyAccounts(t, f.admin, []string{role}, []string{alice})
	spec := Spec{Role: role, Owner: "sales/crm-sales", Grants: []TableGrant{{Table: "notes", Privileges: []string{PrivSelect}}},
		Members: []Member{{User: alice, Active: true, ManageLogin: true, Password: "alice-Pw"}}}
	res, err := Apply(crmtest.TestContext(t), op, f.m, spec)
	if err != nil {
		t.Fatalf("ApplyAccess: %v", err)
	}
	if got := f.currentRole(t, alice, "alice-Pw"); got != "" {
		t.Fatalf("the test expects SET DEFAULT ROLE to fail, but alice's session starts with %q", got)
	}
	if res.InSync() || !strings.Contains(strings.Join(res.Remaining, "; "), "UPDATE ON mysql.*") {
		t.Errorf("a member whose sessions start without the role is reported as %v (in sync %v); want the missing privilege named", res.Remaining, res.InSync())
	}
}

// Passwords and their verifiers reach neither the general query log nor the binary log:
// with an operator account that may switch them off, the password is set and nothing is
// logged; with one that may not, the password is not sent and the pass says so.
func TestAccessMariaDBPasswordsNeverReachTheLogs(t *testing.T) {
	srv := testdb.StartMariaDBWithStatementLogs(t)
	tdb := srv.NewDatabase(t)
	admin := tdb.Open(t)
	crmtest.LoadSample(t, admin, crmtest.GenericSample(crm.EngineMySQL))
	// The documented grants, and SUPER: the general query log is on.
	_, opUser, opPassword := myOperatorAccount(t, tdb, admin)
	crmtest.ExecAll(t, admin, "GRANT SUPER ON *.* TO `"+opUser+"`@'%'")
	f := &myAccessFixture{tdb: tdb, crm: openMyOperator(t, tdb, opUser, opPassword), admin: admin, m: crmtest.GenericMapping()}
	role, alice, bob := uniqueName("crm_sales"), uniqueName("alice"), uniqueName("bob")
	dropMyAccounts(t, admin, []string{role}, []string{alice, bob})
	passwords := []string{"first-Secret-1", "second-Secret-2", "third-Secret-3", "bob-Secret-4"}
	spec := Spec{Role: role, Owner: "sales/crm-sales", Grants: []TableGrant{{Table: "notes", Privileges: []string{PrivSelect}}},
		Members: []Member{{User: alice, Active: true, ManageLogin: true, Password: passwords[0]}}}

	// mysql_native_password first (no ed25519 plugin), then a rotation.
	f.apply(t, spec)
	if p := f.plugin(t, alice); p != "mysql_native_password" {
		t.Fatalf("without the ed25519 plugin alice's login uses %s", p)
	}
	spec.Members[0].Password = passwords[1]
	f.apply(t, spec)
	if _, err := f.loginAs(t, alice, passwords[1]); err != nil {
		t.Fatalf("alice cannot log in after the rotation: %v", err)
	}
	// With the ed25519 plugin, the next rotation moves the login to it.
	installEd25519(t, admin)
	spec.Members[0].Password = passwords[2]
	f.apply(t, spec)
	if p := f.plugin(t, alice); p != "ed25519" {
		t.Errorf("after the plugin was loaded alice's login uses %s", p)
	}
	if got := f.currentRole(t, alice, passwords[2]); got != role {
		t.Errorf("alice's session starts with %q", got)
	}

	// Without SUPER, with the general log on, the operator sends no verifier and says why.
	crmtest.ExecAll(t, admin, "REVOKE SUPER ON *.* FROM `"+opUser+"`@'%'")
	op := openMyOperator(t, tdb, opUser, opPassword)
	spec.Members[0].Password = passwords[3]
	spec.Members = append(spec.Members, Member{User: bob, Active: true, ManageLogin: true, Password: passwords[3]})
	res, err := Apply(crmtest.TestContext(t), op, f.m, spec)
	if err != nil {
		t.Fatalf("ApplyAccess as the operator: %v", err)
	}
	remaining := strings.Join(res.Remaining, "; ")
	if res.InSync() || !strings.Contains(remaining, "general query log") || !strings.Contains(remaining, "SUPER") {
		t.Errorf("remaining %q; want the general query log and SUPER named", remaining)
	}
	if got := res.Members[bob]; got.Holds || got.Problem != MemberPasswordWithheld {
		t.Errorf("bob: %+v, want problem %s", got, MemberPasswordWithheld)
	}
	if _, err := f.loginAs(t, alice, passwords[2]); err != nil {
		t.Errorf("alice's password changed although it could not be hidden: %v", err)
	}
	if diff := cmp.Diff([]string{alice, bob}, sortedCopy(res.PasswordsWithheld)); diff != "" || !res.PasswordNotSent(alice) || !res.PasswordNotSent(bob) {
		t.Errorf("passwords withheld (-want +got):\n%s", diff)
	}
	var bobs int
	if err := admin.QueryRow("SELECT COUNT(*) FROM mysql.user WHERE User = ?", bob).Scan(&bobs); err != nil || bobs != 0 {
		t.Errorf("bob's login was created without its password (%d, %v)", bobs, err)
	}

	// Once the operator may switch the log off again, the next pass (the controller sends
	// a withheld password again) sets both.
	crmtest.ExecAll(t, admin, "GRANT SUPER ON *.* TO `"+opUser+"`@'%'")
	op = openMyOperator(t, tdb, opUser, opPassword)
	if res, err = Apply(crmtest.TestContext(t), op, f.m, spec); err != nil || len(res.PasswordsWithheld) > 0 || !res.Members[bob].Holds {
		t.Fatalf("ApplyAccess with SUPER again: %v, withheld %v, bob %+v", err, res.PasswordsWithheld, res.Members[bob])
	}
	for _, u := range []string{alice, bob} {
		if got := f.currentRole(t, u, passwords[3]); got != role {
			t.Errorf("%s's session with the once withheld password starts with %q", u, got)
		}
	}

	var secrets []string
	for _, p := range passwords {
		h := MySQLNativePassword(p)
		secrets = append(secrets, p, h[1:], strings.ToLower(h[1:]), MariaDBEd25519Verifier(p))
	}
	files := append([]string{srv.GeneralLogPath()}, srv.BinaryLogPaths()...)
	if len(files) < 2 {
		t.Fatalf("the server wrote no binary log: %v", files)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(alice)) {
			t.Errorf("%s does not mention alice: the test does not look at the right log", file)
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a password or its verifier", file)
			}
		}
	}
}

// Attack: an AccessRole let go with skip-cleanup (its role and grants left in place) must
// not leave a working login behind: LockOwnedLogins locks every login it owns, ends their
// open sessions, leaves the role's grants, and touches no login of another AccessRole nor
// one whose marker does not verify. Without CONNECTION ADMIN the open session is reported.
func TestAccessMariaDBLockOwnedLoginsForSkipCleanup(t *testing.T) {
	f := newMyAccessFixture(t)
	role, roleB, alice, bob, carol := uniqueName("crm_sales"), uniqueName("crm_b"), uniqueName("alice"), uniqueName("bob"), uniqueName("carol")
	dropMyAccounts(t, f.admin, []string{role, roleB}, []string{alice, bob, carol})
	grants := []TableGrant{{Table: "notes", Privileges: []string{PrivSelect}}}
	owner := "sales/" + uniqueName("ar")
	spec := Spec{Role: role, Owner: owner, Grants: grants,
		Members: []Member{{User: alice, Active: true, ManageLogin: true, Password: "alice-Pw"}}}
	f.apply(t, spec)
	f.apply(t, Spec{Role: roleB, Owner: "other/b", Grants: grants,
		Members: []Member{{User: bob, Active: true, ManageLogin: true, Password: "bob-Pw"}}})
	// carol's account carries a forged marker naming the AccessRole.
	crmtest.ExecAll(t, f.admin, "CREATE USER `"+carol+"`@'%' IDENTIFIED BY 'carol-Pw'",
		fmt.Sprintf("INSERT INTO crm_privacy.crm_privacy_access_roles (kind, name, owner, mac) VALUES ('login', '%s', '%s', '%s')", carol, owner, strings.Repeat("ab", 32)))
	session, err := f.loginAs(t, alice, "alice-Pw")
	if err != nil {
		t.Fatal(err)
	}
	before := f.grants(t, role)

	res, err := LockOwnedLogins(crmtest.TestContext(t), f.crm, owner)
	if err != nil {
		t.Fatalf("LockOwnedLogins: %v", err)
	}
	if res.Owned != 1 || res.Locked != 1 || res.SessionsEnded != 1 {
		t.Errorf("owned %d, locked %d, sessions ended %d; want 1, 1, 1", res.Owned, res.Locked, res.SessionsEnded)
	}
	if remaining := strings.Join(res.Remaining, "; "); !strings.Contains(remaining, carol) {
		t.Errorf("remaining %q; want the unverified marker of %s reported", remaining, carol)
	}
	var n int
	if err := session.QueryRow("SELECT 1").Scan(&n); err == nil {
		t.Error("alice's open session survived skip-cleanup")
	}
	f.assertLocked(t, alice, "alice-Pw")
	if diff := cmp.Diff(before, f.grants(t, role)); diff != "" {
		t.Errorf("skip-cleanup changed the role's grants (-before +after):\n%s", diff)
	}
	if got := f.currentRole(t, bob, "bob-Pw"); got != roleB {
		t.Errorf("another AccessRole's login: session role %q, want %s", got, roleB)
	}
	if _, err := f.connect(t, carol, "carol-Pw"); err != nil {
		t.Errorf("a login with a forged marker was locked: %v", err)
	}

	// Without CONNECTION ADMIN the login is still locked, and the open session reported.
	if _, err := Apply(crmtest.TestContext(t), f.crm, f.m, spec); err != nil { // unlocks alice again
		t.Fatal(err)
	}
	_, opUser, opPassword := myOperatorAccount(t, f.tdb, f.admin, "CONNECTION ADMIN")
	crmtest.ExecAll(t, f.admin, "GRANT CREATE USER, BINLOG ADMIN ON *.* TO `"+opUser+"`@'%'")
	op := openMyOperator(t, f.tdb, opUser, opPassword)
	// The open session stays open: without CONNECTION ADMIN it cannot be ended.
	if _, err = f.loginAs(t, alice, "alice-Pw"); err != nil {
		t.Fatal(err)
	}
	res, err = LockOwnedLogins(crmtest.TestContext(t), op, owner)
	if err != nil {
		t.Fatalf("LockOwnedLogins without CONNECTION ADMIN: %v", err)
	}
	if res.Locked != 1 || res.SessionsEnded != 0 || !strings.Contains(strings.Join(res.Remaining, "; "), "CONNECTION ADMIN") {
		t.Errorf("locked %d, ended %d, remaining %v; want the login locked and the session reported", res.Locked, res.SessionsEnded, res.Remaining)
	}
	f.assertLocked(t, alice, "alice-Pw")
}

// Attack: a member without a password Secret names a locked account (what MySQL's CREATE
// ROLE makes, or a login the operator locked): it is not given the role.
func TestAccessMariaDBMemberMustBeALogin(t *testing.T) {
	f := newMyAccessFixture(t)
	role, group := uniqueName("crm_sales"), uniqueName("grp")
	dropMyAccounts(t, f.admin, []string{role}, []string{group})
	crmtest.ExecAll(t, f.admin, "CREATE USER `"+group+"`@'%' ACCOUNT LOCK")
	res := f.apply(t, Spec{Role: role, Owner: "sales/crm-sales", Grants: []TableGrant{{Table: "notes", Privileges: []string{PrivSelect}}},
		Members: []Member{{User: group, Active: true}}})
	if got := res.Members[group]; got.Holds || got.Problem != MemberUserNotLogin {
		t.Errorf("locked account: %+v, want problem %s", got, MemberUserNotLogin)
	}
	if got := f.members(t, role); len(got) != 0 {
		t.Errorf("the role was granted to %v", got)
	}
}
