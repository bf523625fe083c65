package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// The tests of this file reproduce attacks on the AccessRole trust boundary against a real
// PostgreSQL server, with the operator logged in as a CREATEROLE non-superuser that owns
// the CRM's tables (see newPgAccessFixture).

// comment returns the comment of a role.
func (f *pgAccessFixture) comment(t *testing.T, role string) string {
	t.Helper()
	var c sql.NullString
	if err := f.admin.QueryRow("SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1", role).Scan(&c); err != nil {
		t.Fatalf("reading the comment of %s: %v", role, err)
	}
	return c.String
}

// canLogin says whether the catalog lets role log in.
func (f *pgAccessFixture) canLogin(t *testing.T, role string) bool {
	t.Helper()
	var login bool
	if err := f.admin.QueryRow("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", role).Scan(&login); err != nil {
		t.Fatalf("reading role %s: %v", role, err)
	}
	return login
}

// applyRaw is Apply without the in-sync assertion.
func (f *pgAccessFixture) applyRaw(t *testing.T, spec Spec) Result {
	t.Helper()
	res, err := Apply(crmtest.TestContext(t), f.crm, f.m, spec)
	if err != nil {
		t.Fatalf("ApplyAccess: %v", err)
	}
	return res
}

// session opens one live connection as user.
func (f *pgAccessFixture) session(t *testing.T, user, password string) *sql.Conn {
	t.Helper()
	db, err := f.loginAs(t, user, password)
	if err != nil {
		t.Fatalf("%s cannot log in: %v", user, err)
	}
	conn, err := db.Conn(crmtest.TestContext(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	var one int
	if err := conn.QueryRowContext(crmtest.TestContext(t), "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("%s's session does not answer: %v", user, err)
	}
	return conn
}

func member(user, password string) Member {
	return Member{User: user, Active: true, ManageLogin: true, Password: password}
}

// Attack: tenant B lists tenant A's member with a password Secret of its own, to reset her
// password and inherit her access. The login belongs to A: B changes nothing.
func TestAccessPostgresLoginBelongsToOneAccessRole(t *testing.T) {
	f := newPgAccessFixture(t)
	roleA, roleB, alice := uniqueName("crm_a"), uniqueName("crm_b"), uniqueName("alice")
	dropRoles(t, f.admin, roleA, roleB, alice)
	specA := salesSpec(roleA)
	specA.Owner = "team-a/sales"
	specA.Members = []Member{member(alice, "alice-pw")}
	f.apply(t, specA)

	specB := salesSpec(roleB)
	specB.Owner = "team-b/ops"
	specB.Members = []Member{member(alice, "taken-over")}
	res := f.applyRaw(t, specB)
	if diff := cmp.Diff(MemberOutcome{Problem: MemberUserOwnedElsewhere}, res.Members[alice]); diff != "" {
		t.Errorf("B's outcome for A's login (-want +got):\n%s", diff)
	}
	if _, err := f.loginAs(t, alice, "taken-over"); err == nil {
		t.Fatal("B reset the password of A's login")
	}
	if _, err := f.loginAs(t, alice, "alice-pw"); err != nil {
		t.Errorf("alice's own password no longer works: %v", err)
	}
	if got := f.members(t, roleB); len(got) != 0 {
		t.Errorf("B's role was granted to A's login: %v", got)
	}

	// B's member expires: B may not lock A's login either.
	specB.Members[0].Active = false
	f.applyRaw(t, specB)
	if !f.canLogin(t, alice) {
		t.Error("B locked A's login")
	}
	// Even removed from A's spec while B still lists her, only A decides: A locks her.
	specA.Members = nil
	f.apply(t, specA)
	if f.canLogin(t, alice) {
		t.Error("A's login removed from A's spec can still log in")
	}
}

// Attack: an AccessRole names a pre-existing account as a member with a password Secret
// (an application's login, a login with CREATEDB), or without one (a powerful role): the
// operator must neither take the login over nor hand the role to it.
func TestAccessPostgresPreExistingRolesAreNotAltered(t *testing.T) {
	f := newPgAccessFixture(t)
	role, app, creator, power := uniqueName("crm_x"), uniqueName("app"), uniqueName("creator"), uniqueName("power")
	dropRoles(t, f.admin, role, app, creator, power)
	crmtest.ExecAll(t, f.admin,
		fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD 'app-pw'`, app),
		fmt.Sprintf(`CREATE ROLE %q LOGIN CREATEDB PASSWORD 'creator-pw'`, creator),
		fmt.Sprintf(`CREATE ROLE %q LOGIN CREATEROLE PASSWORD 'power-pw'`, power),
	)
	spec := salesSpec(role)
	spec.Members = []Member{member(app, "hijack"), member(creator, "hijack"), {User: power, Active: true}}
	res := f.applyRaw(t, spec)
	want := map[string]MemberOutcome{
		app:     {Problem: MemberUserNotManaged},
		creator: {Problem: MemberUserPrivileged},
		power:   {Problem: MemberUserPrivileged},
	}
	if diff := cmp.Diff(want, res.Members); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	for user, pw := range map[string]string{app: "app-pw", creator: "creator-pw", power: "power-pw"} {
		if _, err := f.loginAs(t, user, pw); err != nil {
			t.Errorf("%s's own password no longer works: %v", user, err)
		}
		if c := f.comment(t, user); c != "" {
			t.Errorf("%s was marked: %q", user, c)
		}
	}
	if got := f.members(t, role); len(got) != 0 {
		t.Errorf("the role was granted to pre-existing accounts: %v", got)
	}
	// Inactive, they are not locked either.
	for i := range spec.Members {
		spec.Members[i].Active = false
	}
	f.applyRaw(t, spec)
	for _, u := range []string{app, creator, power} {
		if !f.canLogin(t, u) {
			t.Errorf("%s (not the operator's) was locked", u)
		}
	}
}

// Attack: a CRM user with CREATEROLE (who may COMMENT ON ROLE) writes the operator's
// markers on roles: the legacy shared login text, a marker with a made-up MAC, a valid
// marker copied from the operator's own login — to have an AccessRole take over an
// application's login, or adopt a role of theirs. None of it verifies.
func TestAccessPostgresForgedMarkersAreNotTrusted(t *testing.T) {
	f := newPgAccessFixture(t)
	role, alice, mallory, app, theirs := uniqueName("crm_m"), uniqueName("alice"), uniqueName("mallory"), uniqueName("payroll"), uniqueName("crm_theirs")
	dropRoles(t, f.admin, role, alice, mallory, app, theirs)
	spec := salesSpec(role)
	spec.Owner = "team-a/sales"
	spec.Members = []Member{member(alice, "alice-pw")}
	f.apply(t, spec)
	crmtest.ExecAll(t, f.admin,
		fmt.Sprintf(`CREATE ROLE %q LOGIN CREATEROLE PASSWORD 'mallory-pw'`, mallory),
		fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD 'payroll-pw'`, app),
	)
	mdb, err := f.loginAs(t, mallory, "mallory-pw")
	if err != nil {
		t.Fatal(err)
	}
	aliceMarker := f.comment(t, alice)
	roleMarker := f.comment(t, role)
	forgedLogins := []string{
		managedLoginMarker,
		loginMarkerPrefix + "team-a/sales" + markerMACSeparator + strings.Repeat("ab", 32),
		aliceMarker, // copied: the MAC covers the name and OID
	}
	for i, forged := range forgedLogins {
		if _, err := mdb.Exec(fmt.Sprintf(`COMMENT ON ROLE %q IS %s`, app, mustLiteral(forged))); err != nil {
			t.Fatalf("mallory (CREATEROLE) cannot comment: %v", err)
		}
		takeover := spec
		takeover.Members = []Member{member(alice, ""), member(app, fmt.Sprintf("hijack-%d", i))}
		res := f.applyRaw(t, takeover)
		want := MemberMarkerNotVerified // a marker with a MAC that does not verify
		if forged == managedLoginMarker {
			want = MemberUserNotManaged // the legacy text of a login this role never held
		}
		if res.Members[app].Problem != want {
			t.Errorf("forged marker %d: outcome %+v, want %s", i, res.Members[app], want)
		}
		if _, err := f.loginAs(t, app, "payroll-pw"); err != nil {
			t.Fatalf("forged marker %d: the application's password was changed: %v", i, err)
		}
	}

	// A role of mallory's with a forged group-role marker (legacy text naming the
	// AccessRole, or the operator's valid marker copied from another role) is refused.
	crmtest.ExecAll(t, f.admin, fmt.Sprintf(`CREATE ROLE %q`, theirs))
	for i, forged := range []string{ManagedMarkerPrefix + "team-a/theirs", roleMarker} {
		if _, err := mdb.Exec(fmt.Sprintf(`COMMENT ON ROLE %q IS %s`, theirs, mustLiteral(forged))); err != nil {
			t.Fatal(err)
		}
		s := salesSpec(theirs)
		s.Owner = "team-a/theirs"
		if i == 1 {
			s.Owner = spec.Owner
		}
		_, err := Apply(crmtest.TestContext(t), f.crm, f.m, s)
		var nm *RoleNotManagedError
		var nv *MarkerNotVerifiedError
		if i == 0 && !errors.As(err, &nm) {
			t.Errorf("forged legacy group marker: %v, want RoleNotManagedError", err)
		}
		if i == 1 && !errors.As(err, &nv) {
			t.Errorf("copied group marker: %v, want MarkerNotVerifiedError", err)
		}
		if got := f.privileges(t, theirs); len(got) != 0 {
			t.Errorf("forged group marker %d: mallory's role was granted %v", i, got)
		}
	}

	// The legacy group marker is adopted only when the AccessRole asks (AdoptLegacy), and
	// its marker is then authenticated.
	if _, err := mdb.Exec(fmt.Sprintf(`COMMENT ON ROLE %q IS %s`, theirs, mustLiteral(ManagedMarkerPrefix+"team-a/theirs"))); err != nil {
		t.Fatal(err)
	}
	adopt := salesSpec(theirs)
	adopt.Owner, adopt.AdoptLegacy = "team-a/theirs", true
	f.apply(t, adopt)
	if c := f.comment(t, theirs); !strings.HasPrefix(c, ManagedMarkerPrefix+"team-a/theirs"+markerMACSeparator) {
		t.Errorf("adopted role's marker %q is not authenticated", c)
	}
}

// A legacy login (the shared marker of older versions) is adopted by the AccessRole whose
// role it holds, and only by it.
func TestAccessPostgresLegacyLoginIsAdoptedOnlyByItsRole(t *testing.T) {
	f := newPgAccessFixture(t)
	roleA, roleB, alice := uniqueName("crm_a"), uniqueName("crm_b"), uniqueName("alice")
	dropRoles(t, f.admin, roleA, roleB, alice)
	specA := salesSpec(roleA)
	specA.Owner = "team-a/sales"
	f.apply(t, specA)
	// As an older operator left it: a member of A's role with the shared marker.
	crmtest.ExecAll(t, f.admin,
		fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD 'old-pw'`, alice),
		fmt.Sprintf(`COMMENT ON ROLE %q IS %s`, alice, mustLiteral(managedLoginMarker)),
		fmt.Sprintf(`GRANT %q TO %q`, roleA, alice),
	)
	specB := salesSpec(roleB)
	specB.Owner = "team-b/ops"
	specB.Members = []Member{member(alice, "b-pw")}
	if res := f.applyRaw(t, specB); res.Members[alice].Problem != MemberUserNotManaged {
		t.Errorf("B's outcome for A's legacy login: %+v", res.Members[alice])
	}
	specA.Members = []Member{member(alice, "new-pw")}
	res := f.apply(t, specA)
	if !res.Members[alice].Holds {
		t.Errorf("A did not adopt its legacy login: %+v", res.Members[alice])
	}
	if _, err := f.loginAs(t, alice, "new-pw"); err != nil {
		t.Errorf("alice's new password: %v", err)
	}
	if res := f.applyRaw(t, specB); res.Members[alice].Problem != MemberUserOwnedElsewhere {
		t.Errorf("B's outcome after A adopted: %+v", res.Members[alice])
	}
}

// A member removed from the spec, or whose designation expired, loses the login even
// while she holds another role, and her open session ends.
func TestAccessPostgresRemovedMemberIsLockedAndDisconnected(t *testing.T) {
	f := newPgAccessFixture(t)
	role, other, alice := uniqueName("crm_r"), uniqueName("other_group"), uniqueName("alice")
	dropRoles(t, f.admin, role, other, alice)
	spec := salesSpec(role)
	spec.Members = []Member{member(alice, "alice-pw")}
	f.apply(t, spec)
	crmtest.ExecAll(t, f.admin, fmt.Sprintf(`CREATE ROLE %q`, other), fmt.Sprintf(`GRANT %q TO %q`, other, alice))

	for _, step := range []struct {
		name   string
		change func(*Spec)
	}{
		{"designation expired", func(s *Spec) { s.Members[0].Active = false }},
		{"removed from the spec", func(s *Spec) { s.Members = nil }},
	} {
		t.Run(step.name, func(t *testing.T) {
			active := spec
			active.Members = []Member{member(alice, "alice-pw")}
			f.apply(t, active)
			conn := f.session(t, alice, "alice-pw")

			changed := active
			changed.Members = append([]Member(nil), active.Members...)
			step.change(&changed)
			res := f.apply(t, changed)
			if res.LoginsLocked != 1 || res.SessionsEnded != 1 {
				t.Errorf("locked %d, sessions ended %d; want 1 and 1", res.LoginsLocked, res.SessionsEnded)
			}
			if f.canLogin(t, alice) {
				t.Error("alice, who holds another role, can still log in")
			}
			var n int
			if err := conn.QueryRowContext(context.Background(), "SELECT count(*) FROM contacts").Scan(&n); err == nil {
				t.Error("alice's open session still reads contacts")
			}
			if _, err := f.loginAs(t, alice, "alice-pw"); err == nil {
				t.Error("alice can open a new session")
			}
		})
	}
}

// Without pg_signal_backend the operator cannot end sessions: it says so, never claims it.
func TestAccessPostgresSessionsNotEndedAreReported(t *testing.T) {
	f := newPgAccessFixture(t)
	role, alice := uniqueName("crm_s"), uniqueName("alice")
	dropRoles(t, f.admin, role, alice)
	spec := salesSpec(role)
	spec.Members = []Member{member(alice, "alice-pw")}
	f.apply(t, spec)
	crmtest.ExecAll(t, f.admin, fmt.Sprintf(`REVOKE pg_signal_backend FROM %q`, f.op))
	conn := f.session(t, alice, "alice-pw")
	spec.Members = nil
	res := f.applyRaw(t, spec)
	if res.SessionsEnded != 0 || res.InSync() || !strings.Contains(strings.Join(res.Remaining, "; "), "pg_signal_backend") {
		t.Errorf("sessions ended %d, remaining %v; want the open session reported", res.SessionsEnded, res.Remaining)
	}
	if err := conn.PingContext(crmtest.TestContext(t)); err != nil {
		t.Errorf("the session ended although the operator said it could not end it: %v", err)
	}
}

// A member without a password Secret must be a login role: granting the role to a group
// role would hand its privileges to every member of that group.
func TestAccessPostgresMemberWithoutPasswordMustBeALogin(t *testing.T) {
	f := newPgAccessFixture(t)
	role, group, bob := uniqueName("crm_g"), uniqueName("all_staff"), uniqueName("bob")
	dropRoles(t, f.admin, role, group, bob)
	crmtest.ExecAll(t, f.admin, fmt.Sprintf(`CREATE ROLE %q NOLOGIN`, group), fmt.Sprintf(`CREATE ROLE %q LOGIN IN ROLE %q`, bob, group))
	spec := salesSpec(role)
	spec.Members = []Member{{User: group, Active: true}}
	res := f.applyRaw(t, spec)
	if diff := cmp.Diff(MemberOutcome{Problem: MemberUserNotLogin}, res.Members[group]); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	if got := f.members(t, role); len(got) != 0 {
		t.Errorf("the role reached %v through a group role", got)
	}
}

// Attack: a row filter hides B2C contacts, but a view over contacts runs as its owner and
// shows them all. A grant on such a view is refused unless it is security_invoker.
func TestAccessPostgresViewBypassingTheRowFilterIsRefused(t *testing.T) {
	f := newPgAccessFixture(t)
	role, alice := uniqueName("crm_v"), uniqueName("alice")
	dropRoles(t, f.admin, role, alice)
	crmtest.ExecAll(t, f.admin, "CREATE VIEW directory_over_view WITH (security_invoker = true) AS SELECT id, contact_type FROM contact_directory")
	f.ownTables(t)
	spec := Spec{Role: role, Owner: "sales/b2b", Grants: []TableGrant{
		{Table: "contacts", Privileges: []string{PrivSelect}, Columns: []string{"id", "company", "contact_type"}},
		{Table: "contact_directory", Privileges: []string{PrivSelect}},
		{Table: "directory_over_view", Privileges: []string{PrivSelect}},
	},
		RowFilter: &crm.Selector{{Field: crm.FieldContactType, Operator: crm.OpIn, Values: []string{"B2B"}}},
		Members:   []Member{member(alice, "alice-pw")}}
	res := f.apply(t, spec)
	var refused []string
	for _, r := range res.Refused {
		if r.Reason != ViewBypassesRowFilter {
			t.Errorf("refused %s for %s", r.Table, r.Reason)
		}
		refused = append(refused, r.Table)
	}
	if diff := cmp.Diff([]string{"contact_directory", "directory_over_view"}, refused); diff != "" {
		t.Errorf("refused grants (-want +got):\n%s", diff)
	}
	db, err := f.loginAs(t, alice, "alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	count := func(table string) (int, error) {
		var n int
		err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
		return n, err
	}
	if n, err := count("contacts"); err != nil || n != 2 {
		t.Fatalf("alice sees %d contacts (%v), want the 2 B2B", n, err)
	}
	for _, v := range []string{"contact_directory", "directory_over_view"} {
		if n, err := count(v); err == nil {
			t.Errorf("alice reads %d rows through %s, which bypasses the filter", n, v)
		}
	}

	// Made security_invoker, the view runs with alice's rights and the filter holds.
	crmtest.ExecAll(t, f.admin, "ALTER VIEW contact_directory SET (security_invoker = true)")
	res = f.apply(t, spec)
	if len(res.Refused) != 0 {
		t.Errorf("refused after security_invoker: %+v", res.Refused)
	}
	for _, v := range []string{"contact_directory", "directory_over_view"} {
		if n, err := count(v); err != nil || n != 2 {
			t.Errorf("alice reads %d rows through %s (%v), want the 2 B2B", n, v, err)
		}
	}
}

// skip-cleanup: the AccessRole's logins lose LOGIN and their sessions end; the role keeps
// its privileges.
func TestAccessPostgresLockOwnedLogins(t *testing.T) {
	f := newPgAccessFixture(t)
	role, alice, bob := uniqueName("crm_k"), uniqueName("alice"), uniqueName("bob")
	dropRoles(t, f.admin, role, alice, bob)
	spec := salesSpec(role)
	spec.Owner = "team-a/sales"
	spec.Members = []Member{member(alice, "alice-pw")}
	f.apply(t, spec)
	other := salesSpec(uniqueName("crm_o"))
	dropRoles(t, f.admin, other.Role)
	other.Owner = "team-b/ops"
	other.Members = []Member{member(bob, "bob-pw")}
	f.apply(t, other)
	conn := f.session(t, alice, "alice-pw")
	before := f.privileges(t, role)

	res, err := LockOwnedLogins(crmtest.TestContext(t), f.crm, spec.Owner)
	if err != nil {
		t.Fatalf("LockOwnedLogins: %v", err)
	}
	if res.Owned != 1 || res.Locked != 1 || res.SessionsEnded != 1 || len(res.Remaining) != 0 {
		t.Errorf("result %+v; want one owned login locked and its session ended", res)
	}
	if f.canLogin(t, alice) {
		t.Error("alice can still log in")
	}
	if err := conn.PingContext(context.Background()); err == nil {
		t.Error("alice's session is still open")
	}
	if !f.canLogin(t, bob) {
		t.Error("another AccessRole's login was locked")
	}
	if diff := cmp.Diff(before, f.privileges(t, role)); diff != "" {
		t.Errorf("the role's privileges changed (-before +after):\n%s", diff)
	}
}

// Passwords and their verifiers never reach the server's statement log, even with
// log_statement = 'all'. An operator that may not switch logging off withholds the
// password and says so.
func TestAccessPostgresPasswordsStayOutOfTheServerLog(t *testing.T) {
	srv := testdb.StartPostgres(t)
	f := newPgAccessFixtureOn(t, srv.NewDatabase(t))
	crmtest.ExecAll(t, f.admin,
		"ALTER SYSTEM SET log_statement = 'all'", "SELECT pg_reload_conf()",
		// New connections of the database log everything, whenever the reload lands.
		fmt.Sprintf(`ALTER DATABASE %q SET log_statement = 'all'`, f.tdb.Name),
	)
	role, alice, bob := uniqueName("crm_l"), uniqueName("alice"), uniqueName("bob")
	dropRoles(t, f.admin, role, alice, bob)
	readLog := func() string {
		t.Helper()
		b, err := os.ReadFile(srv.LogPath())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	probe := uniqueName("log_probe")
	if _, err := f.crm.DB().ExecContext(crmtest.TestContext(t), "SELECT '"+probe+"'"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(readLog(), probe) {
		t.Fatal("statement logging is not on: the test would prove nothing")
	}

	spec := salesSpec(role)
	first, rotated := "first-"+uniqueName("pw"), "rotated-"+uniqueName("pw")
	spec.Members = []Member{member(alice, first)}
	f.apply(t, spec)
	var v1 string
	if err := f.admin.QueryRow("SELECT rolpassword FROM pg_authid WHERE rolname = $1", alice).Scan(&v1); err != nil {
		t.Fatal(err)
	}
	spec.Members[0].Password = rotated
	f.apply(t, spec)
	var v2 string
	if err := f.admin.QueryRow("SELECT rolpassword FROM pg_authid WHERE rolname = $1", alice).Scan(&v2); err != nil {
		t.Fatal(err)
	}
	if _, err := f.loginAs(t, alice, rotated); err != nil {
		t.Fatalf("the rotated password does not work: %v", err)
	}
	log := readLog()
	for what, secret := range map[string]string{"password": first, "rotated password": rotated, "verifier": v1, "rotated verifier": v2, "verifier prefix": "SCRAM-SHA-256$"} {
		if strings.Contains(log, secret) {
			t.Errorf("the server log holds the %s", what)
		}
	}

	// Without SET on the logging parameters the operator cannot switch logging off: the
	// password is withheld and reported, and still nothing reaches the log.
	crmtest.ExecAll(t, f.admin, fmt.Sprintf(`REVOKE SET ON PARAMETER log_statement, log_min_duration_statement, log_min_duration_sample, log_transaction_sample_rate, log_min_error_statement FROM %q`, f.op))
	third := "third-" + uniqueName("pw")
	spec.Members = []Member{member(alice, third), member(bob, third)}
	res := f.applyRaw(t, spec)
	if diff := cmp.Diff([]string{alice, bob}, sortedCopy(res.PasswordsWithheld)); diff != "" {
		t.Errorf("passwords withheld (-want +got):\n%s", diff)
	}
	// No login without its password: bob is not created, and says why.
	if got := res.Members[bob]; got.Holds || got.Problem != MemberPasswordWithheld || !res.PasswordNotSent(bob) || !res.PasswordNotSent(alice) {
		t.Errorf("bob: %+v, want problem %s and both passwords to be sent again", got, MemberPasswordWithheld)
	}
	var bobs int
	if err := f.admin.QueryRow("SELECT count(*) FROM pg_roles WHERE rolname = $1", bob).Scan(&bobs); err != nil || bobs != 0 {
		t.Errorf("bob's login was created without its password (%d, %v)", bobs, err)
	}
	if _, err := f.loginAs(t, alice, third); err == nil {
		t.Error("the password was set while the server logs statements")
	}
	log = readLog()
	if strings.Contains(log, third) || strings.Contains(log, "SCRAM-SHA-256$") {
		t.Error("the server log holds the withheld password or a verifier")
	}
}
