package controllers_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// retentionFixture is a CRM with the generic schema and eight contacts whose fate under
// retentionPolicySpec is known:
//
//	1 prospect, last contact 3y ago, a note and a deal       → deleted (note deleted, deal detached)
//	2 prospect, last contact 3y ago, a call 6 months ago     → kept (the call renews)
//	3 prospect, last contact 3y ago, legal_hold              → held
//	4 customer, last contact 3y ago                          → kept (10-year term)
//	5 prospect, no last contact, created 3y ago              → deleted (creation counts)
//	6 prospect, last contact 3y ago, an email 6 months ago   → deleted (emails do not renew)
//	7 lead, created 3y ago                                   → anonymised
//	8 prospect at "Litigation Corp", expired                 → held by spec.legalHolds
type retentionFixture struct {
	tdb *testdb.Database
	db  *privacyv1alpha1.CRMDatabase
	ns  string
}

var (
	wantDeleted    = []int{1, 5, 6}
	wantAnonymised = []int{7}
	wantKept       = []int{2, 3, 4, 7, 8}
)

// ts renders a time as a literal every engine reads into its timestamp column.
func ts(engine string, t time.Time) string {
	t = t.UTC()
	if engine == testdb.EngineMySQL {
		return "'" + t.Format("2006-01-02 15:04:05") + "'"
	}
	return "'" + t.Format("2006-01-02 15:04:05") + "+00:00'"
}

func newRetentionFixture(t *testing.T, newDB func(testing.TB) *testdb.Database, schema string) *retentionFixture {
	t.Helper()
	tdb := newDB(t)
	tdb.LoadFile(t, sampleSchema(schema))
	e := tdb.Engine
	old, recent := ts(e, time.Now().AddDate(-3, 0, 0)), ts(e, time.Now().AddDate(0, -6, 0))
	truth := "TRUE"
	if e == testdb.EngineSQLite {
		truth = "1"
	}
	contact := func(id int, stage, company, lastContact, hold string) string {
		return fmt.Sprintf("INSERT INTO contacts (id, email, first_name, last_name, company, contact_type, lifecycle_stage, created_at, last_contact_at, legal_hold) "+
			"VALUES (%d, 'person%d@example.test', 'First%d', 'Last%d', '%s', 'B2B', '%s', %s, %s, %s)", id, id, id, id, company, stage, old, lastContact, hold)
	}
	notHeld := "FALSE"
	if e == testdb.EngineSQLite {
		notHeld = "0"
	}
	tdb.Exec(t,
		contact(1, "prospect", "Acme", old, notHeld),
		contact(2, "prospect", "Acme", old, notHeld),
		contact(3, "prospect", "Acme", old, truth),
		contact(4, "customer", "Acme", old, notHeld),
		contact(5, "prospect", "Acme", "NULL", notHeld),
		contact(6, "prospect", "Acme", old, notHeld),
		contact(7, "lead", "Acme", "NULL", notHeld),
		contact(8, "prospect", "Litigation Corp", old, notHeld),
		"INSERT INTO interactions (contact_id, occurred_at, kind, direction) VALUES (2, "+recent+", 'call', 'inbound')",
		"INSERT INTO interactions (contact_id, occurred_at, kind, direction) VALUES (6, "+recent+", 'email', 'inbound')",
		"INSERT INTO interactions (contact_id, occurred_at, kind, direction) VALUES (4, "+old+", 'call', 'outbound')",
		"INSERT INTO notes (contact_id, body) VALUES (1, 'met at a fair')",
		"INSERT INTO notes (contact_id, body) VALUES (2, 'call back in spring')",
		"INSERT INTO deals (contact_id, title) VALUES (1, 'Licence renewal')",
	)
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)
	createSampleActivity(t, ns)
	return &retentionFixture{tdb: tdb, db: db, ns: ns}
}

// createSampleActivity creates the sample ProcessingActivity, which policies refer to.
func createSampleActivity(t testing.TB, ns string) {
	t.Helper()
	pa := loadSampleActivity(t)
	pa.Namespace = ns
	if err := k8s.Create(context.Background(), pa); err != nil {
		t.Fatalf("creating the sample ProcessingActivity: %v", err)
	}
}

// loadSampleActivity reads the first ProcessingActivity of the samples.
func loadSampleActivity(t testing.TB) *privacyv1alpha1.ProcessingActivity {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "config", "samples", "privacy_v1alpha1_processingactivity.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		pa := &privacyv1alpha1.ProcessingActivity{}
		if err := dec.Decode(pa); err != nil {
			t.Fatalf("no ProcessingActivity in the sample: %v", err)
		}
		if pa.Kind == "ProcessingActivity" {
			return pa
		}
	}
}

func selector(field privacyv1alpha1.LogicalFieldName, values ...string) *privacyv1alpha1.ContactSelector {
	return &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{{Field: field, Operator: privacyv1alpha1.SelectorOpIn, Values: values}}}
}

// retentionPolicySpec is the policy the fixture is built for.
func retentionPolicySpec(mode privacyv1alpha1.RetentionMode, maxPercent int32) privacyv1alpha1.RetentionPolicySpec {
	return privacyv1alpha1.RetentionPolicySpec{
		DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: "crm"},
		ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "sales-prospecting"},
		Schedule:              "* * * * *",
		Mode:                  mode,
		BatchSize:             ptr[int32](2),
		Budget:                &privacyv1alpha1.RetentionBudget{MaxDeletionPercent: ptr(maxPercent)},
		Rules: []privacyv1alpha1.RetentionRule{
			{Name: "prospects", Selector: selector(privacyv1alpha1.FieldLifecycleStage, "prospect"), RetainFor: "24m",
				RenewedBy: &privacyv1alpha1.RenewalSpec{Kinds: []string{"call"}}, Action: privacyv1alpha1.ActionDelete},
			{Name: "leads", Selector: selector(privacyv1alpha1.FieldLifecycleStage, "lead"), RetainFor: "12m", Action: privacyv1alpha1.ActionAnonymize,
				Anonymize: []privacyv1alpha1.AnonymizeField{
					{Field: privacyv1alpha1.FieldEmail, Strategy: privacyv1alpha1.StrategyHash},
					{Field: privacyv1alpha1.FieldFirstName, Strategy: privacyv1alpha1.StrategyNull},
					{Field: privacyv1alpha1.FieldLastName, Strategy: privacyv1alpha1.StrategyRedact},
				}},
			{Name: "customers", Selector: selector(privacyv1alpha1.FieldLifecycleStage, "customer"), RetainFor: "10y", Action: privacyv1alpha1.ActionDelete},
		},
		LegalHolds: []privacyv1alpha1.LegalHold{{Name: "dispute", Reason: "pending litigation", Selector: *selector(privacyv1alpha1.FieldCompany, "Litigation Corp")}},
	}
}

func ptr[T any](v T) *T { return &v }

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

func (f *retentionFixture) ids(t *testing.T) []int {
	t.Helper()
	db := f.tdb.Open(t)
	rows, err := db.Query("SELECT id FROM contacts ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func count(t *testing.T, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// drive connects a driven reconciler to the fixture's database: the policies of these tests
// run on a fake clock the test sets, so a scheduled time passes without waiting for it.
func (f *retentionFixture) drive(t *testing.T) *drivenPolicy {
	t.Helper()
	return driveDatabase(t, f.tdb, f.db)
}

func TestRetentionPolicyDryRunCountsAndNeverWrites(t *testing.T) {
	t.Parallel()
	f := newRetentionFixture(t, testdb.Postgres, "generic-postgres.sql")
	dp := f.drive(t)
	dp.create(retentionPolicySpec(privacyv1alpha1.ModeDryRun, 100))
	// At its creation no scheduled time has passed: the plan is counted, nothing runs.
	dp.clk.SetTime(dp.p.CreationTimestamp.Time)
	dp.reconcile()
	p := dp.p
	if p.Status.Pending == nil || *p.Status.Pending != 4 || len(p.Status.Rules) != 3 || p.Status.Rules[0].Pending != 3 || p.Status.Rules[1].Pending != 1 || p.Status.Rules[2].Pending != 0 {
		t.Fatalf("plan = %d, rules %+v; want 4 = prospects 3 + leads 1 + customers 0", deref(p.Status.Pending), p.Status.Rules)
	}
	if p.Status.TotalContacts == nil || *p.Status.TotalContacts != 8 {
		t.Errorf("totalContacts = %v, want 8", p.Status.TotalContacts)
	}
	if p.Status.LastRun != nil {
		t.Fatalf("a run before any scheduled time: %+v", p.Status.LastRun)
	}
	// A scheduled time passes.
	dp.clk.SetTime(p.CreationTimestamp.Add(time.Minute + time.Second))
	dp.reconcileUntil(3, "a scheduled dry run", func(p *privacyv1alpha1.RetentionPolicy) bool {
		return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunDryRun
	})
	if got := f.ids(t); fmt.Sprint(got) != "[1 2 3 4 5 6 7 8]" {
		t.Errorf("a dry run changed the contacts: %v", got)
	}
	db := f.tdb.Open(t)
	if n := count(t, db, "SELECT COUNT(*) FROM "+erasure.LedgerRowsSQL(crm.Engine(f.tdb.Engine))); n != 0 {
		t.Errorf("a dry run wrote %d ledger rows", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM contacts WHERE email LIKE 'anon:%'"); n != 0 {
		t.Errorf("a dry run anonymised %d contacts", n)
	}
}

func TestRetentionPolicyEnforcesOnEveryEngine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		db     func(testing.TB) *testdb.Database
		schema string
	}{
		{"postgres", testdb.Postgres, "generic-postgres.sql"},
		{"mariadb", testdb.MariaDB, "generic-mysql.sql"},
		{"sqlite", testdb.SQLite, "generic-sqlite.sql"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newRetentionFixture(t, tc.db, tc.schema)
			dp := f.drive(t)
			dp.create(retentionPolicySpec(privacyv1alpha1.ModeEnforce, 100))
			dp.reconcileUntil(5, "an enforced run to succeed", func(p *privacyv1alpha1.RetentionPolicy) bool {
				return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
			})
			f.assertEnforced(t, dp.p)
			dp.events.assertNoLeak(t, "example.test")
		})
	}
}

// assertEnforced checks the database after one enforced run of retentionPolicySpec.
func (f *retentionFixture) assertEnforced(t *testing.T, p *privacyv1alpha1.RetentionPolicy) {
	t.Helper()
	if got := f.ids(t); fmt.Sprint(got) != fmt.Sprint(wantKept) {
		t.Errorf("contacts left = %v, want %v", got, wantKept)
	}
	db := f.tdb.Open(t)
	checks := []struct {
		query string
		want  int
	}{
		{"SELECT COUNT(*) FROM notes WHERE contact_id = 1", 0},                   // dependent deleted
		{"SELECT COUNT(*) FROM notes WHERE contact_id = 2", 1},                   // another contact's note kept
		{"SELECT COUNT(*) FROM deals WHERE contact_id IS NULL", 1},               // deal detached, kept
		{"SELECT COUNT(*) FROM interactions WHERE contact_id = 2", 1},            // renewing call kept
		{"SELECT COUNT(*) FROM interactions WHERE contact_id = 4", 1},            // customer's call kept
		{"SELECT COUNT(*) FROM interactions WHERE contact_id = 6", 0},            // erased contact's email gone
		{"SELECT COUNT(*) FROM contacts WHERE id = 7 AND first_name IS NULL", 1}, // Null strategy
		{"SELECT COUNT(*) FROM contacts WHERE id = 7 AND email LIKE 'anon:%'", 1},
		{"SELECT COUNT(*) FROM contacts WHERE id = 7 AND last_name <> 'Last7'", 1},
		{"SELECT COUNT(*) FROM contacts WHERE id IN (2, 3, 4, 8) AND email LIKE 'person%'", 4}, // others untouched
		{"SELECT COUNT(*) FROM " + erasure.LedgerRowsSQL(crm.Engine(f.tdb.Engine)), len(wantDeleted) + len(wantAnonymised)},
		{"SELECT COUNT(DISTINCT subject_hmac) FROM " + erasure.LedgerRowsSQL(crm.Engine(f.tdb.Engine)), len(wantDeleted) + len(wantAnonymised)},
	}
	for _, c := range checks {
		if n := count(t, db, c.query); n != c.want {
			t.Errorf("%s = %d, want %d", c.query, n, c.want)
		}
	}
	run := p.Status.LastRun
	if run.Erased != int64(len(wantDeleted)) || run.Anonymized != int64(len(wantAnonymised)) || run.Held != 2 {
		t.Errorf("lastRun: erased %d anonymised %d held %d; want %d, %d, 2", run.Erased, run.Anonymized, run.Held, len(wantDeleted), len(wantAnonymised))
	}
	if p.Status.Checkpoint != nil {
		t.Errorf("the checkpoint is left after a finished run: %+v", p.Status.Checkpoint)
	}
	if len(p.Status.History) == 0 || p.Status.History[0].RunID != run.RunID {
		t.Errorf("history does not start with the last run: %+v", p.Status.History)
	}
	assertNoLeak(t, f.ns, p, "example.test")
}

func TestRetentionPolicyBudgetBlocksUntilApproved(t *testing.T) {
	t.Parallel()
	f := newRetentionFixture(t, testdb.SQLite, "generic-sqlite.sql")
	dp := f.drive(t)
	dp.create(retentionPolicySpec(privacyv1alpha1.ModeEnforce, 10)) // 10% of 8 contacts: 0
	dp.reconcileUntil(3, "the due run to be blocked by the budget", func(p *privacyv1alpha1.RetentionPolicy) bool {
		return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunBudgetExceeded
	})
	p := dp.p
	if c := dp.condition(privacyv1alpha1.TypeApproved); c.Status != metav1.ConditionFalse || c.Reason != privacyv1alpha1.ReasonBudgetExceeded {
		t.Fatalf("Approved = %s %s, want False %s", c.Status, c.Reason, privacyv1alpha1.ReasonBudgetExceeded)
	}
	// Waiting for an approval is the DPO's work, not a failure: Ready stays True.
	if c := dp.condition(privacyv1alpha1.TypeReady); c.Status != metav1.ConditionTrue || c.Reason != privacyv1alpha1.ReasonBudgetExceeded {
		t.Fatalf("Ready = %s %s, want True %s", c.Status, c.Reason, privacyv1alpha1.ReasonBudgetExceeded)
	}
	if c := meta.FindStatusCondition(dp.p.Status.Conditions, privacyv1alpha1.TypeReconciling); c != nil {
		t.Errorf("Reconciling = %+v while waiting for an approval, want none", c)
	}
	if got := f.ids(t); len(got) != 8 {
		t.Fatalf("a blocked run erased contacts: %v left", got)
	}

	// An approval too small for the plan changes nothing.
	waiting := p.Status.AwaitingApproval
	if waiting == nil || waiting.RunID != p.Status.LastRun.RunID || waiting.SpecHash != p.Status.SpecHash || waiting.Planned != 4 {
		t.Fatalf("awaitingApproval = %+v; want the blocked run %s, its plan of 4 and spec hash %s", waiting, p.Status.LastRun.RunID, p.Status.SpecHash)
	}
	dp.approveAwaiting(3)
	dp.reconcileUntil(3, "the Approved condition to say the approval is too small", func(p *privacyv1alpha1.RetentionPolicy) bool {
		c := meta.FindStatusCondition(p.Status.Conditions, privacyv1alpha1.TypeApproved)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == privacyv1alpha1.ReasonBudgetExceeded && strings.Contains(c.Message, "covers only 3")
	})
	// Later passes, a minute on, erase nothing either.
	dp.clk.Step(time.Minute)
	dp.reconcile()
	dp.reconcile()
	if got := f.ids(t); len(got) != 8 {
		t.Fatalf("an insufficient approval let the run erase: %v left", got)
	}

	// An approval covering the plan lets the waiting run go at once.
	dp.edit(func(s *privacyv1alpha1.RetentionPolicySpec) { s.Approval.MaxDeletions = 4 })
	dp.reconcileUntil(3, "the approved run to succeed", func(p *privacyv1alpha1.RetentionPolicy) bool {
		return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
	})
	f.assertEnforced(t, dp.p)
	dp.events.assertNoLeak(t, "example.test")
}

func TestRetentionPolicyNeverErasesWithoutItsActivityOrDatabase(t *testing.T) {
	t.Parallel()
	f := newRetentionFixture(t, testdb.SQLite, "generic-sqlite.sql")
	dp := f.drive(t)
	spec := retentionPolicySpec(privacyv1alpha1.ModeEnforce, 100)
	spec.ProcessingActivityRef.Name = "no-such-activity"
	dp.create(spec) // a run is due
	dp.reconcile()
	if c := dp.condition(privacyv1alpha1.TypeReady); c.Status != metav1.ConditionFalse || c.Reason != privacyv1alpha1.ReasonActivityNotFound {
		t.Fatalf("Ready = %s %s, want False %s", c.Status, c.Reason, privacyv1alpha1.ReasonActivityNotFound)
	}

	other := dp.another()
	spec = retentionPolicySpec(privacyv1alpha1.ModeEnforce, 100)
	spec.DatabaseRef.Name = "no-such-db"
	other.createNamed("other-db", spec)
	other.clk.SetTime(dp.clk.FakeClock.Now())
	other.reconcile()
	if c := other.condition(privacyv1alpha1.TypeReady); c.Status != metav1.ConditionFalse || c.Reason != privacyv1alpha1.ReasonDatabaseNotFound {
		t.Fatalf("Ready of other-db = %s %s, want False %s", c.Status, c.Reason, privacyv1alpha1.ReasonDatabaseNotFound)
	}

	// Another scheduled time passes.
	dp.clk.Step(65 * time.Second)
	dp.reconcile()
	other.reconcile()
	if got := f.ids(t); len(got) != 8 {
		t.Fatalf("contacts erased without the activity or the database: %v left", got)
	}
}

func TestRetentionPolicyUnmappedSelectorFieldStopsErasure(t *testing.T) {
	t.Parallel()
	f := newRetentionFixture(t, testdb.SQLite, "generic-sqlite.sql")
	dp := f.drive(t)
	spec := retentionPolicySpec(privacyv1alpha1.ModeEnforce, 100)
	spec.Rules[0].Selector = selector("favouriteColour", "blue")
	dp.create(spec) // a run is due
	dp.reconcile()
	cond := dp.condition(privacyv1alpha1.TypeReady)
	if cond.Status != metav1.ConditionFalse || cond.Reason != privacyv1alpha1.ReasonInvalidSpec {
		t.Fatalf("Ready = %s %s, want False %s", cond.Status, cond.Reason, privacyv1alpha1.ReasonInvalidSpec)
	}
	if !strings.Contains(cond.Message, "favouriteColour") {
		t.Errorf("the message does not name the unmapped field: %s", cond.Message)
	}
	dp.clk.Step(65 * time.Second)
	dp.reconcile()
	if got := f.ids(t); len(got) != 8 {
		t.Fatalf("an invalid selector erased contacts: %v left", got)
	}
}

func TestRetentionPolicyRunPausesWhileTheDatabaseIsDownAndFinishes(t *testing.T) {
	t.Parallel()
	srv := testdb.StartPostgres(t)
	tdb := srv.NewDatabase(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	const expired, fresh = 400, 10
	tdb.Exec(t,
		fmt.Sprintf(`INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at)
			SELECT g, 'p' || g || '@example.test', 'B2B', 'prospect', now() - interval '4 years',
			       CASE WHEN g <= %d THEN now() - interval '3 years' ELSE now() END
			FROM generate_series(1, %d) g`, expired, expired+fresh),
		"INSERT INTO notes (contact_id, body) SELECT id, 'note' FROM contacts")
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)
	createSampleActivity(t, ns)
	dp := driveDatabase(t, tdb, db)
	spec := retentionPolicySpec(privacyv1alpha1.ModeEnforce, 100)
	spec.BatchSize = ptr[int32](1)
	spec.LegalHolds = nil
	dp.create(spec)

	// Stop the server once the run is under way: the reconciler asks the time around each
	// batch, so after 300 asks some contacts are erased, and not all.
	asks := 0
	dp.clk.onceWhen(func() bool { asks++; return asks > 300 }, func() { _ = dp.sqlDB.Close(); srv.Stop(t) })
	if err := dp.tryReconcile(); err == nil {
		t.Fatalf("the reconcile that lost its database returned no error (for the backoff); status %+v", dp.p.Status)
	}
	if c := dp.condition(privacyv1alpha1.TypeReady); c.Status != metav1.ConditionFalse {
		t.Fatalf("Ready = %s %s while the database is down, want False", c.Status, c.Reason)
	}
	srv.Start(t)
	dp.sqlDB = tdb.Open(t)
	if n := dp.count("SELECT COUNT(*) FROM contacts"); n >= expired+fresh || n <= fresh {
		t.Fatalf("%d contacts left when the server stopped: the run was not under way", n)
	}
	for i := 0; ; i++ {
		err := dp.tryReconcile()
		if run := dp.p.Status.LastRun; err == nil && run != nil && run.Result == privacyv1alpha1.RunSucceeded {
			break
		}
		if i == 10 {
			t.Fatalf("the paused run did not finish: %v; lastRun %+v, conditions %+v", err, dp.p.Status.LastRun, dp.p.Status.Conditions)
		}
	}
	admin := tdb.Open(t)
	for _, c := range []struct {
		query string
		want  int
	}{
		{"SELECT COUNT(*) FROM contacts", fresh},
		{"SELECT COUNT(*) FROM notes", fresh},
		{"SELECT COUNT(*) FROM " + erasure.LedgerRowsSQL(crm.Engine(tdb.Engine)), expired},
		{"SELECT COUNT(DISTINCT subject_hmac) FROM " + erasure.LedgerRowsSQL(crm.Engine(tdb.Engine)), expired},
		{"SELECT COUNT(DISTINCT run_id) FROM " + erasure.LedgerRowsSQL(crm.Engine(tdb.Engine)), 1},
	} {
		if n := count(t, admin, c.query); n != c.want {
			t.Errorf("%s = %d, want %d", c.query, n, c.want)
		}
	}
}
