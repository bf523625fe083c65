package access

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// uniqueName returns a role or user name no other test uses: roles are shared by every
// database of a server.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + "_" + hex.EncodeToString(b)
}

// pgAccessFixture is a PostgreSQL database with the generic schema, a view and a
// partitioned table, as the operator (crm) and as the administrator (admin).
type pgAccessFixture struct {
	tdb   *testdb.Database
	crm   *crm.Database
	admin *sql.DB
	m     crm.Mapping
	// op and opPassword are the operator's login: a CREATEROLE non-superuser that owns
	// the CRM's tables.
	op, opPassword string
}

func newPgAccessFixture(t *testing.T) *pgAccessFixture {
	t.Helper()
	return newPgAccessFixtureOn(t, testdb.Postgres(t))
}

// newPgAccessFixtureOn builds the fixture on a given database.
func newPgAccessFixtureOn(t *testing.T, tdb *testdb.Database) *pgAccessFixture {
	t.Helper()
	admin := tdb.Open(t)
	crmtest.LoadSample(t, admin, crmtest.GenericSample(crm.EnginePostgres))
	crmtest.ExecAll(t, admin,
		"CREATE VIEW contact_directory AS SELECT id, company, contact_type FROM contacts",
		"CREATE TABLE events (id bigint, at date NOT NULL, what text) PARTITION BY RANGE (at)",
		"CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
		"INSERT INTO contacts (email, contact_type, job_role, birth_date) VALUES ('a@b2b.example', 'B2B', 'board', '1970-01-01'), ('b@b2c.example', 'B2C', NULL, NULL), ('c@b2b.example', 'B2B', 'sales', NULL)",
	)
	f := &pgAccessFixture{tdb: tdb, admin: admin, m: crmtest.GenericMapping()}
	f.op, f.opPassword = uniqueName("crm_operator"), "op-"+uniqueName("pw")
	dropRoles(t, admin, f.op)
	t.Cleanup(func() { // runs before dropRoles' cleanup
		_, _ = admin.Exec(fmt.Sprintf(`ALTER DATABASE %q OWNER TO CURRENT_USER`, tdb.Name))
		_, _ = admin.Exec(`REASSIGN OWNED BY "` + f.op + `" TO CURRENT_USER`)
	})
	// The operator's login as docs/accessrole.md lists it (and as the demo creates it):
	// CREATEROLE, owner of the database and of the CRM's tables, pg_signal_backend (to end
	// the sessions of the logins it locks) and SET on the logging parameters (to keep
	// password verifiers out of the server log). Not a superuser.
	crmtest.ExecAll(t, admin,
		fmt.Sprintf(`CREATE ROLE %q LOGIN CREATEROLE PASSWORD '%s'`, f.op, f.opPassword),
		fmt.Sprintf(`ALTER DATABASE %q OWNER TO %q`, tdb.Name, f.op),
		fmt.Sprintf(`GRANT pg_signal_backend TO %q`, f.op),
		fmt.Sprintf(`GRANT SET ON PARAMETER log_statement, log_min_duration_statement, log_min_duration_sample, log_transaction_sample_rate, log_min_error_statement TO %q`, f.op),
	)
	f.ownTables(t)
	cfg := crmtest.ConnConfig(tdb)
	cfg.User, cfg.Password = f.op, f.opPassword
	db, err := crm.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetOperatorKeys(crmtest.TestOperatorKeys)
	f.crm = db
	return f
}

// ownTables makes the operator's login the owner of every table and view of the public
// schema (as the demo does).
func (f *pgAccessFixture) ownTables(t *testing.T) {
	t.Helper()
	tables, err := queryStrings(crmtest.TestContext(t), f.admin, `SELECT quote_ident(relname) FROM pg_class
WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r','v','p','m') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		crmtest.ExecAll(t, f.admin, fmt.Sprintf(`ALTER TABLE %s OWNER TO %q`, tb, f.op))
	}
}

// privileges returns what the server says role may do on the tables of the public schema:
// "table:PRIV" for a table-level privilege, "table.column:PRIV" for a column privilege
// not implied by a table-level one, "schema:CREATE" when it may create in public.
func (f *pgAccessFixture) privileges(t *testing.T, role string) []string {
	t.Helper()
	out, err := queryStrings(crmtest.TestContext(t), f.admin, `
SELECT c.relname || ':' || p FROM pg_class c
CROSS JOIN unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r','v','p') AND NOT c.relispartition
  AND has_table_privilege($1, c.oid, p)
UNION ALL
SELECT c.relname || '.' || a.attname || ':' || p FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
CROSS JOIN unnest(ARRAY['SELECT','INSERT','UPDATE','REFERENCES']) p
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r','v','p') AND NOT c.relispartition
  AND has_column_privilege($1, c.oid, a.attnum, p) AND NOT has_table_privilege($1, c.oid, p)
UNION ALL
SELECT 'schema:CREATE' WHERE has_schema_privilege($1, 'public', 'CREATE')`, role)
	if err != nil {
		t.Fatalf("reading the privileges of %s: %v", role, err)
	}
	sort.Strings(out)
	return out
}

// members returns the users that are members of role, as the server says.
func (f *pgAccessFixture) members(t *testing.T, role string) []string {
	t.Helper()
	out, err := queryStrings(crmtest.TestContext(t), f.admin, `
SELECT u.rolname FROM pg_roles u WHERE pg_has_role(u.oid, (SELECT oid FROM pg_roles WHERE rolname = $1), 'MEMBER')
  AND u.rolname <> $1 AND NOT u.rolsuper ORDER BY 1`, role)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// loginAs opens a connection as user with password over TCP.
func (f *pgAccessFixture) loginAs(t *testing.T, user, password string) (*sql.DB, error) {
	t.Helper()
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password),
		Host: fmt.Sprintf("%s:%d", f.tdb.Host, f.tdb.Port), Path: "/" + f.tdb.Name, RawQuery: "sslmode=disable"}
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db, db.PingContext(ctx)
}

func (f *pgAccessFixture) apply(t *testing.T, spec Spec) Result {
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

func dropRoles(t *testing.T, admin *sql.DB, roles ...string) {
	t.Cleanup(func() {
		for _, r := range roles {
			_, _ = admin.Exec(`DROP OWNED BY "` + r + `"`)
			_, _ = admin.Exec(`DROP ROLE IF EXISTS "` + r + `"`)
		}
	})
}

func salesSpec(role string) Spec {
	return Spec{Role: role, Owner: "sales/crm-sales", Grants: []TableGrant{
		{Table: "contacts", Privileges: []string{PrivSelect, PrivUpdate, PrivDelete}, Columns: []string{"id", "email", "company", "contact_type"}},
		{Table: "notes", Privileges: []string{PrivSelect, PrivInsert}},
		{Table: "contact_directory", Privileges: []string{PrivSelect}},
		{Table: "events", Privileges: []string{PrivSelect}},
	}}
}

func TestAccessPostgresGrantsExactlyTheSpecBothWays(t *testing.T) {
	f := newPgAccessFixture(t)
	role := uniqueName("crm_sales")
	dropRoles(t, f.admin, role, role+"_stranger")
	spec := salesSpec(role)

	// Create: exactly the declared privileges, the column restriction intact.
	res := f.apply(t, spec)
	if !res.Created || res.Held != 13 {
		t.Errorf("created %v, held %d; want a new role holding 13 privileges", res.Created, res.Held)
	}
	want := []string{
		"contact_directory:SELECT", "contacts.company:SELECT", "contacts.company:UPDATE", "contacts.contact_type:SELECT",
		"contacts.contact_type:UPDATE", "contacts.email:SELECT", "contacts.email:UPDATE", "contacts.id:SELECT",
		"contacts.id:UPDATE", "contacts:DELETE", "events:SELECT", "notes:INSERT", "notes:SELECT",
	}
	if diff := cmp.Diff(want, f.privileges(t, role)); diff != "" {
		t.Fatalf("privileges after create (-want +got):\n%s", diff)
	}
	var login bool
	var comment string
	if err := f.admin.QueryRow("SELECT rolcanlogin, shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1", role).Scan(&login, &comment); err != nil {
		t.Fatal(err)
	}
	if login || !strings.HasPrefix(comment, ManagedMarkerPrefix+"sales/crm-sales; mac=") {
		t.Errorf("role login %v, comment %q; want NOLOGIN and the authenticated marker", login, comment)
	}

	// A second pass with nothing changed sends nothing.
	if res := f.apply(t, spec); res.Statements.Changes() != 0 || res.Granted+res.Revoked != 0 {
		t.Errorf("second pass changed something: %+v", res)
	}

	// Shrink: drop notes and a column; they are revoked.
	spec.Grants = spec.Grants[:1]
	spec.Grants[0].Columns = []string{"id", "company"}
	spec.Grants[0].Privileges = []string{PrivSelect}
	res = f.apply(t, spec)
	want = []string{"contacts.company:SELECT", "contacts.id:SELECT"}
	if diff := cmp.Diff(want, f.privileges(t, role)); diff != "" {
		t.Fatalf("privileges after shrink (-want +got):\n%s", diff)
	}
	if res.Revoked != 11 {
		t.Errorf("revoked %d, want 11", res.Revoked)
	}

	// Out of band: a table-level SELECT that undercuts the columns, TRUNCATE, CREATE on the
	// schema, LOGIN, membership in a powerful role, and a stranger made a member.
	crmtest.ExecAll(t, f.admin,
		fmt.Sprintf(`GRANT SELECT, TRUNCATE ON contacts TO %q`, role),
		fmt.Sprintf(`GRANT CREATE ON SCHEMA public TO %q`, role),
		fmt.Sprintf(`ALTER ROLE %q LOGIN CREATEDB`, role),
		fmt.Sprintf(`GRANT pg_read_all_data TO %q`, role),
		fmt.Sprintf(`CREATE ROLE %q LOGIN`, role+"_stranger"),
		fmt.Sprintf(`GRANT %q TO %q`, role, role+"_stranger"),
	)
	res = f.apply(t, spec)
	if diff := cmp.Diff(want, f.privileges(t, role)); diff != "" {
		t.Fatalf("privileges after the out-of-band grants were revoked (-want +got):\n%s", diff)
	}
	if got := f.members(t, role); len(got) != 0 {
		t.Errorf("members after the drift was corrected: %v", got)
	}
	if err := f.admin.QueryRow("SELECT rolcanlogin OR rolcreatedb FROM pg_roles WHERE rolname = $1", role).Scan(&login); err != nil || login {
		t.Errorf("the role kept LOGIN or CREATEDB given out of band (err %v)", err)
	}
	if res.Revoked < 6 || res.MembersRemoved != 1 {
		t.Errorf("revoked %d (want ≥ 6), members removed %d (want 1)", res.Revoked, res.MembersRemoved)
	}
}

func TestAccessPostgresMembersLogInOnlyWhileDesignated(t *testing.T) {
	f := newPgAccessFixture(t)
	role, alice, bob := uniqueName("crm_sales"), uniqueName("alice"), uniqueName("bob")
	dropRoles(t, f.admin, role, alice, bob)
	// Quotes, backslash and non-ASCII (SASLprep maps the no-break space): the password is
	// hashed client-side, so none of it is ever SQL.
	password := "Pä'ss\\wörd\u00A0" + "x'; DROP ROLE postgres; --"
	spec := salesSpec(role)
	spec.Members = []Member{
		{User: alice, Active: true, ManageLogin: true, Password: password},
		{User: bob, Active: true}, // managed elsewhere, does not exist yet
	}
	res := f.apply(t, spec)
	if diff := cmp.Diff(map[string]MemberOutcome{alice: {Holds: true}, bob: {Problem: MemberUserMissing}}, res.Members); diff != "" {
		t.Errorf("member outcomes (-want +got):\n%s", diff)
	}
	var stored string
	if err := f.admin.QueryRow("SELECT rolpassword FROM pg_authid WHERE rolname = $1", alice).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "SCRAM-SHA-256$4096:") || strings.Contains(stored, "DROP") {
		t.Errorf("stored password %q is not a SCRAM verifier", stored)
	}

	// Alice logs in and reads what the role may read, and nothing else.
	db, err := f.loginAs(t, alice, password)
	if err != nil {
		t.Fatalf("alice cannot log in: %v", err)
	}
	var n int
	if err := db.QueryRow("SELECT count(email) FROM contacts").Scan(&n); err != nil || n != 3 {
		t.Errorf("alice reading email: %d rows, %v", n, err)
	}
	if err := db.QueryRow("SELECT count(birth_date) FROM contacts").Scan(&n); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("alice read birth_date (err %v): the column restriction does not hold", err)
	}
	_ = db.Close()

	// Same password again: the operator is not a superuser and cannot read pg_authid to
	// compare, so it sets the verifier again (one statement; the controller avoids it by
	// remembering the Secret's version). Without a password, nothing is sent.
	if res := f.apply(t, spec); res.Statements.Changes() != 1 {
		t.Errorf("a pass with the same password sent %d statements, want the one ALTER ROLE", res.Statements.Changes())
	}
	noPassword := spec
	noPassword.Members = append([]Member(nil), spec.Members...)
	noPassword.Members[0].Password = ""
	if res := f.apply(t, noPassword); res.Statements.Changes() != 0 {
		t.Errorf("a pass with nothing to change sent %d statements", res.Statements.Changes())
	}

	// Bob appears (managed elsewhere): he is granted the role.
	crmtest.ExecAll(t, f.admin, fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD 'bob-pw'`, bob))
	f.apply(t, spec)
	if diff := cmp.Diff([]string{alice, bob}, f.members(t, role), cmp.Transformer("sort", sortedCopy)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}

	// Designations expire: alice cannot log in any more, bob can but reads nothing.
	spec.Members[0].Active, spec.Members[1].Active = false, false
	res = f.apply(t, spec)
	if res.MembersRemoved != 2 {
		t.Errorf("members removed %d, want 2", res.MembersRemoved)
	}
	if got := f.members(t, role); len(got) != 0 {
		t.Errorf("members after expiry: %v", got)
	}
	if _, err := f.loginAs(t, alice, password); err == nil {
		t.Error("alice can still log in after her designation expired")
	}
	bobDB, err := f.loginAs(t, bob, "bob-pw")
	if err != nil {
		t.Fatalf("bob (not managed by the operator) cannot log in: %v", err)
	}
	if err := bobDB.QueryRow("SELECT count(email) FROM contacts").Scan(&n); err == nil {
		t.Error("bob still reads contacts after his designation expired")
	}
}

func TestAccessPostgresRefusesUsersAndRolesItDoesNotManage(t *testing.T) {
	f := newPgAccessFixture(t)
	role, other := uniqueName("crm_pre"), uniqueName("someone")
	dropRoles(t, f.admin, role, other)
	crmtest.ExecAll(t, f.admin, fmt.Sprintf(`CREATE ROLE %q`, role), fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD 'theirs'`, other))

	_, err := Apply(crmtest.TestContext(t), f.crm, f.m, salesSpec(role))
	var nm *RoleNotManagedError
	if !errors.As(err, &nm) {
		t.Fatalf("ApplyAccess on a pre-existing role: %v, want RoleNotManagedError", err)
	}
	if got := f.privileges(t, role); len(got) != 0 {
		t.Errorf("the unmanaged role was given %v", got)
	}

	// A spec asking to manage the login of a user the operator did not create: the user
	// keeps its password and is not given the role.
	role2 := uniqueName("crm_sales")
	dropRoles(t, f.admin, role2)
	spec := salesSpec(role2)
	spec.Members = []Member{{User: other, Active: true, ManageLogin: true, Password: "hijacked"}}
	res := f.apply(t, spec)
	if res.Members[other].Problem != MemberUserNotManaged {
		t.Errorf("outcome %+v, want %s", res.Members[other], MemberUserNotManaged)
	}
	if _, err := f.loginAs(t, other, "theirs"); err != nil {
		t.Errorf("the user's own password no longer works: %v", err)
	}
	if got := f.members(t, role2); len(got) != 0 {
		t.Errorf("members: %v", got)
	}
}

func TestAccessPostgresRowFilterIsEnforcedForTheMember(t *testing.T) {
	f := newPgAccessFixture(t)
	role, alice, app := uniqueName("crm_b2b"), uniqueName("alice"), uniqueName("other_app")
	dropRoles(t, f.admin, role, alice, app)
	tricky := `o'hara\ "x"`
	crmtest.ExecAll(t, f.admin, fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD 'app-pw'`, app), fmt.Sprintf(`GRANT SELECT ON contacts TO %q`, app))
	if _, err := f.admin.Exec("INSERT INTO contacts (email, contact_type, job_role) VALUES ('d@b2c.example', 'B2C', $1)", tricky); err != nil {
		t.Fatal(err)
	}
	spec := Spec{Role: role, Owner: "sales/b2b", Grants: []TableGrant{{Table: "contacts", Privileges: []string{PrivSelect}, Columns: []string{"id", "email", "contact_type", "job_role"}}},
		RowFilter: &crm.Selector{{Field: crm.FieldContactType, Operator: crm.OpIn, Values: []string{"B2B"}}},
		Members:   []Member{{User: alice, Active: true, ManageLogin: true, Password: "alice-pw"}}}
	f.apply(t, spec)
	spec.Members[0].Password = "" // set; the next passes compare the filter only

	emails := func(db *sql.DB) []string {
		t.Helper()
		out, err := queryStrings(crmtest.TestContext(t), db, "SELECT email FROM contacts ORDER BY email")
		if err != nil {
			t.Fatalf("selecting contacts: %v", err)
		}
		return out
	}
	aliceDB, err := f.loginAs(t, alice, "alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a@b2b.example", "c@b2b.example"}, emails(aliceDB)); diff != "" {
		t.Errorf("alice sees (-want +got):\n%s", diff)
	}
	appDB, err := f.loginAs(t, app, "app-pw")
	if err != nil {
		t.Fatal(err)
	}
	if got := emails(appDB); len(got) != 4 {
		t.Errorf("another application sees %d contacts, want all 4: enabling RLS must not hide rows from roles without a filter", len(got))
	}
	if _, err := aliceDB.Exec("UPDATE contacts SET email = email"); err == nil {
		t.Error("alice may update without UPDATE privilege")
	}

	// A value with quotes and a backslash is compared as itself.
	spec.RowFilter = &crm.Selector{{Field: crm.FieldJobRole, Operator: crm.OpIn, Values: []string{tricky, "board"}}}
	res := f.apply(t, spec)
	if res.Statements.Changes() == 0 {
		t.Error("changing the filter sent nothing")
	}
	if diff := cmp.Diff([]string{"a@b2b.example", "d@b2c.example"}, emails(aliceDB)); diff != "" {
		t.Errorf("alice sees with the job-role filter (-want +got):\n%s", diff)
	}
	if res := f.apply(t, spec); res.Statements.Changes() != 0 {
		t.Errorf("an unchanged filter is rewritten (%d statements)", res.Statements.Changes())
	}

	// Removing the filter drops the policy and disables RLS the operator enabled.
	spec.RowFilter = nil
	f.apply(t, spec)
	if got := emails(aliceDB); len(got) != 4 {
		t.Errorf("alice sees %d contacts after the filter was removed, want 4", len(got))
	}
	var rls bool
	var policies int
	if err := f.admin.QueryRow("SELECT relrowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = 'contacts'::regclass) FROM pg_class WHERE oid = 'contacts'::regclass").Scan(&rls, &policies); err != nil {
		t.Fatal(err)
	}
	if rls || policies != 0 {
		t.Errorf("after the last filter: RLS %v, %d policies; want RLS off and no policy", rls, policies)
	}
}

func TestAccessPostgresRemoveRetainAndDelete(t *testing.T) {
	f := newPgAccessFixture(t)
	role, alice := uniqueName("crm_tmp"), uniqueName("alice")
	dropRoles(t, f.admin, role, alice)
	spec := salesSpec(role)
	spec.RowFilter = &crm.Selector{{Field: crm.FieldContactType, Operator: crm.OpIn, Values: []string{"B2B"}}}
	spec.Members = []Member{{User: alice, Active: true, ManageLogin: true, Password: "pw"}}
	f.apply(t, spec)

	// Retain: the role stays, empty; alice loses it and cannot log in.
	res, err := Remove(crmtest.TestContext(t), f.crm, f.m, spec, false)
	if err != nil || !res.InSync() {
		t.Fatalf("RemoveAccess(retain): %v, remaining %v", err, res.Remaining)
	}
	if got := f.privileges(t, role); len(got) != 0 {
		t.Errorf("privileges left after Retain: %v", got)
	}
	if n := crmtest.QueryInt(t, f.admin, "SELECT count(*) FROM pg_roles WHERE rolname = $1", role); n != 1 {
		t.Error("Retain dropped the role")
	}
	if n := crmtest.QueryInt(t, f.admin, "SELECT count(*) FROM pg_policy"); n != 0 {
		t.Errorf("%d policies left after Retain", n)
	}
	if _, err := f.loginAs(t, alice, "pw"); err == nil {
		t.Error("alice can log in after the role was removed")
	}

	// Delete: the role goes. A role that owns an object cannot be dropped: the error says why.
	crmtest.ExecAll(t, f.admin, `CREATE TABLE owned_by_role (x int)`, fmt.Sprintf(`ALTER TABLE owned_by_role OWNER TO %q`, role))
	_, err = Remove(crmtest.TestContext(t), f.crm, f.m, spec, true)
	if err == nil || !strings.Contains(err.Error(), "owned_by_role") {
		t.Fatalf("dropping a role that owns a table: %v, want an error naming the table", err)
	}
	crmtest.ExecAll(t, f.admin, "DROP TABLE owned_by_role")
	if _, err := Remove(crmtest.TestContext(t), f.crm, f.m, spec, true); err != nil {
		t.Fatalf("RemoveAccess(delete): %v", err)
	}
	if n := crmtest.QueryInt(t, f.admin, "SELECT count(*) FROM pg_roles WHERE rolname = $1", role); n != 0 {
		t.Error("Delete left the role")
	}
	if _, err := Remove(crmtest.TestContext(t), f.crm, f.m, spec, true); !errors.Is(err, ErrRoleNotFound) {
		t.Errorf("removing a role that is gone: %v, want ErrRoleNotFound", err)
	}
}

func TestAccessPostgresSpecErrorsChangeNothing(t *testing.T) {
	f := newPgAccessFixture(t)
	role := uniqueName("crm_bad")
	dropRoles(t, f.admin, role)
	for _, spec := range []Spec{
		{Role: role, Owner: "a/b", Grants: []TableGrant{{Table: "invoices", Privileges: []string{PrivSelect}}}},
		{Role: role, Owner: "a/b", Grants: []TableGrant{{Table: "contacts", Privileges: []string{PrivSelect}, Columns: []string{"shoe_size"}}}},
		{Role: role, Owner: "a/b", Grants: []TableGrant{{Table: "contacts", Privileges: []string{PrivSelect}}},
			RowFilter: &crm.Selector{{Field: "shoeSize", Operator: crm.OpExists}}},
	} {
		_, err := Apply(crmtest.TestContext(t), f.crm, f.m, spec)
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("ApplyAccess: %v, want an AccessSpecError", err)
		}
	}
	if n := crmtest.QueryInt(t, f.admin, "SELECT count(*) FROM pg_roles WHERE rolname = $1", role); n != 0 {
		t.Error("a failed pass left the role behind: the transaction was not rolled back")
	}
}

func TestAccessSQLiteIsUnsupported(t *testing.T) {
	tdb := testdb.SQLite(t)
	tdb.Open(t)
	db := crmtest.OpenCRM(t, tdb)
	_, err := Apply(crmtest.TestContext(t), db, crmtest.GenericMapping(), salesSpec("crm_sales"))
	var ue *UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("ApplyAccess on SQLite: %v, want UnsupportedError", err)
	}
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
