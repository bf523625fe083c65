package controllers_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// drivenLabel marks the RetentionPolicies that a test reconciles itself, with
// controllers.DrivenRetention: the shared manager does not see them (see startManager).
const drivenLabel = "test.crmoperator.io/driven"

// eventLog records the events of a driven reconciler, as "Type Reason note".
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) Eventf(_ runtime.Object, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, eventtype+" "+reason+" "+fmt.Sprintf(note, args...))
}

// find returns the first event that starts with prefix.
func (l *eventLog) find(prefix string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if strings.HasPrefix(e, prefix) {
			return e, true
		}
	}
	return "", false
}

// hookClock is a fake clock that runs a hook once, the first time the reconciler asks the
// time while cond holds: a change a person makes while a run is under way. The reconciler
// asks the time around each batch, so the hook runs between two batches.
type hookClock struct {
	*clocktesting.FakeClock
	mu    sync.Mutex
	cond  func() bool
	hook  func()
	fired bool
}

func (c *hookClock) Now() time.Time {
	c.mu.Lock()
	if c.hook != nil && !c.fired && c.cond() {
		c.fired = true
		c.hook()
	}
	c.mu.Unlock()
	return c.FakeClock.Now()
}

// onceWhen arms the hook. The hook must not ask the time through c.Now.
func (c *hookClock) onceWhen(cond func() bool, hook func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cond, c.hook, c.fired = cond, hook, false
}

// drivenPolicy is a RetentionPolicy reconciled by the test, on a fake clock, against a real
// database whose contacts the test lays out.
type drivenPolicy struct {
	t      *testing.T
	d      *controllers.DrivenRetention
	c      client.Client
	clk    *hookClock
	events *eventLog
	tdb    *testdb.Database
	sqlDB  *sql.DB
	ns     string
	p      *privacyv1alpha1.RetentionPolicy
}

// newDrivenDatabase loads the generic schema into a new database of the engine, registers
// it as CRMDatabase "crm" with the sample ProcessingActivity, and connects a driven
// reconciler to it.
func newDrivenDatabase(t *testing.T, newDB func(testing.TB) *testdb.Database, schema string) *drivenPolicy {
	t.Helper()
	tdb := newDB(t)
	tdb.LoadFile(t, sampleSchema(schema))
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)
	createSampleActivity(t, ns)
	return driveDatabase(t, tdb, db)
}

// driveDatabase connects a driven reconciler, on a fake clock set to now, to a ready
// CRMDatabase of tdb.
func driveDatabase(t *testing.T, tdb *testdb.Database, db *privacyv1alpha1.CRMDatabase) *drivenPolicy {
	t.Helper()
	dp := &drivenPolicy{t: t, c: directClient(t), clk: &hookClock{FakeClock: clocktesting.NewFakeClock(time.Now())}, events: &eventLog{}, tdb: tdb, sqlDB: tdb.Open(t), ns: db.Namespace}
	d, err := controllers.NewDrivenRetention(dp.c, dp.clk, dp.events, testOperatorKey)
	if err != nil {
		t.Fatal(err)
	}
	dp.d = d
	t.Cleanup(func() { _ = dp.d.Close() })
	if err := dp.d.ConnectDatabase(context.Background(), key(db)); err != nil {
		t.Fatal(err)
	}
	return dp
}

// another is a driven reconciler sharing dp's clock, events and database, for a second
// policy of the namespace.
func (dp *drivenPolicy) another() *drivenPolicy {
	other := *dp
	other.p = nil
	return &other
}

// directClient reads and writes the API server without a cache.
func directClient(t testing.TB) client.Client {
	t.Helper()
	c, err := client.New(cfg, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// addContacts inserts contacts from..to (ids) of a lifecycle stage, last in touch at
// lastContact.
func (dp *drivenPolicy) addContacts(from, to int, stage string, lastContact time.Time) {
	dp.t.Helper()
	e := dp.tdb.Engine
	notHeld := "FALSE"
	if e == testdb.EngineSQLite {
		notHeld = "0"
	}
	var stmts []string
	for id := from; id <= to; id++ {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO contacts (id, email, first_name, last_name, company, contact_type, lifecycle_stage, created_at, last_contact_at, legal_hold) "+
			"VALUES (%d, 'person%d@example.test', 'First%d', 'Last%d', 'Acme', 'B2B', '%s', %s, %s, %s)",
			id, id, id, id, stage, ts(e, time.Now().AddDate(-4, 0, 0)), ts(e, lastContact), notHeld))
	}
	dp.tdb.Exec(dp.t, stmts...)
}

// drivenSpec is an hourly policy with one Delete rule for prospects, 24 months, in Enforce
// mode, two contacts per batch.
func drivenSpec() privacyv1alpha1.RetentionPolicySpec {
	return privacyv1alpha1.RetentionPolicySpec{
		DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: "crm"},
		ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "sales-prospecting"},
		Schedule:              "0 * * * *",
		Mode:                  privacyv1alpha1.ModeEnforce,
		BatchSize:             ptr[int32](2),
		Budget:                &privacyv1alpha1.RetentionBudget{MaxDeletionPercent: ptr[int32](100)},
		Rules: []privacyv1alpha1.RetentionRule{{Name: "prospects", Selector: selector(privacyv1alpha1.FieldLifecycleStage, "prospect"),
			RetainFor: "24m", Action: privacyv1alpha1.ActionDelete}},
	}
}

// create creates the policy and sets the clock one minute past the first scheduled time
// after its creation: one run is due.
func (dp *drivenPolicy) create(spec privacyv1alpha1.RetentionPolicySpec) {
	dp.t.Helper()
	dp.createNamed("prospects", spec)
}

// createNamed is create with another name than "prospects".
func (dp *drivenPolicy) createNamed(name string, spec privacyv1alpha1.RetentionPolicySpec) {
	dp.t.Helper()
	dp.p = &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: dp.ns, Name: name,
		Labels: map[string]string{drivenLabel: "true"}}, Spec: spec}
	if err := dp.c.Create(context.Background(), dp.p); err != nil {
		dp.t.Fatalf("creating the RetentionPolicy: %v", err)
	}
	dp.clk.SetTime(dp.p.CreationTimestamp.Truncate(time.Hour).Add(time.Hour + time.Minute))
}

// reconcile reconciles the policy once and reads it back.
func (dp *drivenPolicy) reconcile() {
	dp.t.Helper()
	if err := dp.tryReconcile(); err != nil {
		dp.t.Fatalf("reconcile: %v", err)
	}
}

// tryReconcile reconciles the policy once, reads it back and returns the reconcile's error.
func (dp *drivenPolicy) tryReconcile() error {
	dp.t.Helper()
	_, err := dp.d.Reconcile(context.Background(), key(dp.p))
	if gerr := dp.c.Get(context.Background(), key(dp.p), dp.p); gerr != nil {
		dp.t.Fatal(gerr)
	}
	return err
}

// reconcileUntil reconciles the policy until cond holds of it, at most n times.
func (dp *drivenPolicy) reconcileUntil(n int, what string, cond func(*privacyv1alpha1.RetentionPolicy) bool) {
	dp.t.Helper()
	for range n {
		dp.reconcile()
		if cond(dp.p) {
			return
		}
	}
	dp.t.Fatalf("after %d reconciles, still not %s: pending %v, lastRun %+v, conditions %+v", n, what, deref(dp.p.Status.Pending), dp.p.Status.LastRun, dp.p.Status.Conditions)
}

// assertNoLeak checks that no event of the driven reconciler quotes s.
func (l *eventLog) assertNoLeak(t *testing.T, s string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if strings.Contains(e, s) {
			t.Errorf("an event quotes %q: %s", s, e)
		}
	}
}

// edit changes the policy's spec, as a person would.
func (dp *drivenPolicy) edit(change func(*privacyv1alpha1.RetentionPolicySpec)) {
	dp.t.Helper()
	p := &privacyv1alpha1.RetentionPolicy{}
	if err := dp.c.Get(context.Background(), key(dp.p), p); err != nil {
		dp.t.Fatal(err)
	}
	patch := client.MergeFrom(p.DeepCopy())
	change(&p.Spec)
	if err := dp.c.Patch(context.Background(), p, patch); err != nil {
		dp.t.Fatalf("editing the policy: %v", err)
	}
}

// approveAwaiting records an approval of the run waiting in status.awaitingApproval.
func (dp *drivenPolicy) approveAwaiting(maxDeletions int64) {
	dp.t.Helper()
	a := dp.p.Status.AwaitingApproval
	if a == nil {
		dp.t.Fatalf("no run awaits an approval: %+v", dp.p.Status)
	}
	dp.edit(func(s *privacyv1alpha1.RetentionPolicySpec) {
		s.Approval = &privacyv1alpha1.RetentionApproval{ApprovedBy: "Data Protection Officer", ApprovedAt: metav1.NewTime(dp.clk.FakeClock.Now()),
			RunID: a.RunID, SpecHash: a.SpecHash, MaxDeletions: maxDeletions}
	})
}

// count runs a COUNT query on the database.
func (dp *drivenPolicy) count(query string) int {
	dp.t.Helper()
	return count(dp.t, dp.sqlDB, query)
}

func (dp *drivenPolicy) condition(condType string) metav1.Condition {
	dp.t.Helper()
	c := meta.FindStatusCondition(dp.p.Status.Conditions, condType)
	if c == nil {
		dp.t.Fatalf("no %s condition: %+v", condType, dp.p.Status.Conditions)
	}
	return *c
}

// TestForgedCheckpointStartsNoRun reproduces issue 14 point 2: a checkpoint row written in
// the CRM database with a run id built from the policy's UID prefix (visible in the
// ledger) and a scheduled time years ahead used to start an unscheduled run, with no
// budget check and cutoffs taken from the forged id: every contact was erased, including
// those in touch the day before.
func TestForgedCheckpointStartsNoRun(t *testing.T) {
	t.Parallel()
	dp := newDrivenDatabase(t, testdb.Postgres, "generic-postgres.sql")
	dp.addContacts(1, 5, "prospect", time.Now().AddDate(-3, 0, 0))
	dp.addContacts(6, 10, "prospect", time.Now().AddDate(0, 0, -1))
	spec := drivenSpec()
	spec.Schedule = "0 0 1 1 *" // yearly: no run is due
	spec.Budget.MaxDeletionPercent = ptr[int32](10)
	dp.create(spec)
	dp.clk.SetTime(dp.p.CreationTimestamp.Add(time.Second))
	dp.reconcile()
	if dp.p.Status.Pending == nil || *dp.p.Status.Pending != 5 {
		t.Fatalf("pending = %v, want the 5 contacts out of touch for 3 years", dp.p.Status.Pending)
	}

	// The forged row: policy key, a run id of this policy's UID prefix, a scheduled time
	// three years ahead (cutoff: one year in the future), from the first rule on.
	uid := strings.ReplaceAll(string(dp.p.UID), "-", "")[:8]
	forged := time.Now().AddDate(3, 0, 0).UTC().Format("20060102T150405Z") + "-" + uid
	// Whoever can write the operator's table (here the database's owner) writes the row in
	// its current layout; only the MAC, under a key the operator alone holds, is missing.
	dp.tdb.Exec(t, "CREATE SCHEMA IF NOT EXISTS crm_privacy",
		`CREATE TABLE IF NOT EXISTS crm_privacy.crm_privacy_sweep_checkpoint (crm_database varchar(64) NOT NULL, policy varchar(320) NOT NULL,
		  run_id varchar(64) NOT NULL, rule_index integer NOT NULL, rule varchar(253) NOT NULL, last_key varchar(255) NOT NULL,
		  started_at timestamptz NOT NULL, acted bigint NOT NULL, updated_at timestamptz NOT NULL, key_id char(16) NOT NULL,
		  row_mac char(64) NOT NULL, PRIMARY KEY (crm_database, policy))`,
		fmt.Sprintf(`INSERT INTO crm_privacy.crm_privacy_sweep_checkpoint VALUES ('', '%s/%s', '%s', 0, '%s', '', now() + interval '3 years', 0, now(), '0123456789abcdef', repeat('0', 64))`,
			dp.ns, dp.p.Name, forged, spec.Rules[0].Name))
	for range 3 {
		dp.reconcile()
	}

	if n := dp.count("SELECT COUNT(*) FROM contacts"); n != 10 {
		t.Errorf("a forged checkpoint row erased contacts: %d of 10 left", n)
	}
	if n := dp.count("SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger"); n != 0 {
		t.Errorf("a forged checkpoint row started a run: %d ledger rows", n)
	}
	if n := dp.count("SELECT COUNT(*) FROM crm_privacy.crm_privacy_sweep_checkpoint WHERE run_id = '" + forged + "'"); n != 1 {
		t.Errorf("the forged row was not left as it is: %d rows", n)
	}
	if c := dp.condition(privacyv1alpha1.TypeReady); c.Status != metav1.ConditionFalse || c.Reason != privacyv1alpha1.ReasonCheckpointNotRecorded || !strings.Contains(c.Message, "does not verify") {
		t.Errorf("Ready = %s %s %q; want False %s saying the row does not verify", c.Status, c.Reason, c.Message, privacyv1alpha1.ReasonCheckpointNotRecorded)
	}
	if _, ok := dp.events.find("Warning " + privacyv1alpha1.ReasonCheckpointNotRecorded + " "); !ok {
		t.Errorf("no Warning %s event: %v", privacyv1alpha1.ReasonCheckpointNotRecorded, dp.events.events)
	}
	if dp.p.Status.CurrentRun != nil {
		t.Errorf("a run was recorded: %+v", dp.p.Status.CurrentRun)
	}
}

// TestRuleWidenedMidRunStopsAndReplans: an approved run whose selector is widened between
// two batches erases nothing the approval did not cover. It stops, and the rest of its
// scheduled time is a new plan, checked against the budget (what the stopped run erased
// counts against it), which needs a new approval.
func TestRuleWidenedMidRunStopsAndReplans(t *testing.T) {
	t.Parallel()
	dp := newDrivenDatabase(t, testdb.SQLite, "generic-sqlite.sql")
	old := time.Now().AddDate(-3, 0, 0)
	dp.addContacts(1, 10, "prospect", old)
	dp.addContacts(11, 20, "lead", old)
	spec := drivenSpec()
	spec.Budget.MaxDeletionPercent = ptr[int32](10) // 2 of 20 contacts
	dp.create(spec)
	dp.reconcile()
	if r := dp.p.Status.LastRun; r == nil || r.Result != privacyv1alpha1.RunBudgetExceeded {
		t.Fatalf("the run of 10 was not blocked by a budget of 2: %+v", r)
	}
	dp.approveAwaiting(10)

	// After two batches (4 prospects erased), someone widens the rule to leads, while 16
	// seconds pass: the reconcile's sweep slice (15 s) ends, and the next one goes on.
	dp.clk.onceWhen(func() bool { return dp.count("SELECT COUNT(*) FROM contacts") <= 16 }, func() {
		dp.edit(func(s *privacyv1alpha1.RetentionPolicySpec) {
			s.Rules[0].Selector = selector(privacyv1alpha1.FieldLifecycleStage, "prospect", "lead")
		})
		dp.clk.Step(16 * time.Second)
	})
	for range 4 {
		dp.reconcile()
	}

	if n := dp.count("SELECT COUNT(*) FROM contacts WHERE lifecycle_stage = 'lead'"); n != 10 {
		t.Errorf("the widened rule erased %d leads the approval did not cover", 10-n)
	}
	if n := dp.count("SELECT COUNT(*) FROM contacts WHERE lifecycle_stage = 'prospect'"); n != 6 {
		t.Errorf("%d prospects left, want 6: the run should stop after its 2 batches of 2", n)
	}
	var stopped *privacyv1alpha1.RunRecord
	for i := range dp.p.Status.History {
		if dp.p.Status.History[i].Result == privacyv1alpha1.RunStopped {
			stopped = &dp.p.Status.History[i]
		}
	}
	if stopped == nil || stopped.Erased != 4 {
		t.Fatalf("no stopped run of 4 erasures in the history: %+v", dp.p.Status.History)
	}
	a := dp.p.Status.AwaitingApproval
	if a == nil || a.RunID != stopped.RunID+"-2" || a.Planned != 16 || a.SpecHash != dp.p.Status.SpecHash {
		t.Fatalf("awaitingApproval = %+v; want run %s-2 with the new plan of 16 and spec hash %s", a, stopped.RunID, dp.p.Status.SpecHash)
	}
	if c := dp.condition(privacyv1alpha1.TypeApproved); c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "4 of it already used") {
		t.Errorf("Approved = %s %q; want False, counting the 4 erasures of the stopped run against the budget", c.Status, c.Message)
	}
	if _, ok := dp.events.find("Warning " + privacyv1alpha1.ReasonRunStopped + " "); !ok {
		t.Errorf("no Warning %s event: %v", privacyv1alpha1.ReasonRunStopped, dp.events.events)
	}

	// A new approval of the new plan lets the run that takes over the scheduled time finish.
	dp.approveAwaiting(16)
	dp.reconcile()
	if r := dp.p.Status.LastRun; r == nil || r.Result != privacyv1alpha1.RunSucceeded || r.RunID != a.RunID || r.Erased != 16 {
		t.Fatalf("lastRun = %+v; want run %s to succeed with 16 erased", r, a.RunID)
	}
	if n := dp.count("SELECT COUNT(*) FROM contacts"); n != 0 {
		t.Errorf("%d contacts left after the approved run", n)
	}
	if n := dp.count("SELECT COUNT(*) FROM crm_privacy_erasure_ledger"); n != 20 {
		t.Errorf("%d ledger rows, want 20", n)
	}
}

// TestMaxDeletionsPerRunHoldsForTheWholeRun: maxDeletionsPerRun caps what a run erases, not
// only the plan it starts with; contacts that become eligible while it runs do not take it
// past the cap.
func TestMaxDeletionsPerRunHoldsForTheWholeRun(t *testing.T) {
	t.Parallel()
	dp := newDrivenDatabase(t, testdb.Postgres, "generic-postgres.sql")
	dp.addContacts(1, 3, "prospect", time.Now().AddDate(-3, 0, 0))
	dp.addContacts(4, 20, "customer", time.Now())
	// The first erasure makes five more contacts eligible (an import of old records, say),
	// in the same transaction, before the next batch.
	dp.tdb.Exec(t,
		"CREATE TABLE injected (done boolean)",
		`CREATE FUNCTION inject() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NOT EXISTS (SELECT 1 FROM injected) THEN
				INSERT INTO injected VALUES (true);
				INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at, legal_hold)
					SELECT g, 'late' || g || '@example.test', 'B2B', 'prospect', now() - interval '4 years', now() - interval '3 years', false
					FROM generate_series(100, 104) g;
			END IF;
			RETURN NULL;
		END $$`,
		"CREATE TRIGGER inject AFTER DELETE ON contacts FOR EACH STATEMENT EXECUTE FUNCTION inject()")
	spec := drivenSpec()
	spec.BatchSize = ptr[int32](1)
	spec.Budget.MaxDeletionsPerRun = ptr[int64](4)
	dp.create(spec)
	for range 3 {
		dp.reconcile()
	}

	if n := dp.count("SELECT COUNT(*) FROM injected"); n != 1 {
		t.Fatalf("the run did not make more contacts eligible (%d)", n)
	}
	if n := dp.count("SELECT COUNT(*) FROM contacts WHERE lifecycle_stage = 'prospect'"); n != 4 {
		t.Errorf("%d of 8 eligible prospects erased, want 4 (maxDeletionsPerRun)", 8-n)
	}
	if n := dp.count("SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger"); n != 4 {
		t.Errorf("%d ledger rows, want 4", n)
	}
	r := dp.p.Status.LastRun
	if r == nil || r.Result != privacyv1alpha1.RunLimitReached || r.Erased != 4 || r.Planned != 3 {
		t.Errorf("lastRun = %+v; want LimitReached, 4 erased of a plan of 3", r)
	}
	if _, ok := dp.events.find("Warning " + privacyv1alpha1.ReasonBudgetReached + " "); !ok {
		t.Errorf("no Warning %s event: %v", privacyv1alpha1.ReasonBudgetReached, dp.events.events)
	}
	if dp.p.Status.CurrentRun != nil || dp.count("SELECT COUNT(*) FROM crm_privacy.crm_privacy_sweep_checkpoint") != 0 {
		t.Errorf("the run that reached its limit is still open: %+v", dp.p.Status.CurrentRun)
	}
}

// TestApprovalCoversOnlyItsRun: an approval lets the run it names go; the next run, with a
// bigger plan still under the approval's maxDeletions, needs an approval of its own.
func TestApprovalCoversOnlyItsRun(t *testing.T) {
	t.Parallel()
	dp := newDrivenDatabase(t, testdb.SQLite, "generic-sqlite.sql")
	old := time.Now().AddDate(-3, 0, 0)
	dp.addContacts(1, 5, "prospect", old)
	dp.addContacts(6, 40, "customer", time.Now())
	spec := drivenSpec()
	spec.Budget.MaxDeletionPercent = ptr[int32](10) // 4 of 40 contacts
	dp.create(spec)
	dp.reconcile()
	if r := dp.p.Status.LastRun; r == nil || r.Result != privacyv1alpha1.RunBudgetExceeded {
		t.Fatalf("the run of 5 was not blocked by a budget of 4: %+v", r)
	}
	dp.approveAwaiting(9)
	dp.reconcile()
	first := dp.p.Status.LastRun
	if first == nil || first.Result != privacyv1alpha1.RunSucceeded || first.Erased != 5 {
		t.Fatalf("the approved run did not erase its 5 contacts: %+v", first)
	}

	// Eight more prospects run out of time, and the next scheduled time passes.
	dp.addContacts(101, 108, "prospect", old)
	dp.clk.Step(time.Hour)
	dp.reconcile()
	dp.reconcile()

	if n := dp.count("SELECT COUNT(*) FROM contacts WHERE lifecycle_stage = 'prospect'"); n != 8 {
		t.Errorf("the approval of run %s let the next run erase %d contacts", first.RunID, 8-n)
	}
	r := dp.p.Status.LastRun
	if r == nil || r.Result != privacyv1alpha1.RunBudgetExceeded || r.RunID == first.RunID {
		t.Fatalf("lastRun = %+v; want the next run blocked by the budget", r)
	}
	c := dp.condition(privacyv1alpha1.TypeApproved)
	if c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "the approval is for run "+first.RunID+", not for run "+r.RunID) {
		t.Errorf("Approved = %s %q; want False saying the approval is for run %s", c.Status, c.Message, first.RunID)
	}
}

// TestDryRunMidRunStopsErasure: setting mode DryRun while a run is under way stops it after
// the batch in flight; the run ends as Stopped and its checkpoint is cleared, so switching
// back to Enforce does not resume it unchecked.
func TestDryRunMidRunStopsErasure(t *testing.T) {
	t.Parallel()
	dp := newDrivenDatabase(t, testdb.SQLite, "generic-sqlite.sql")
	dp.addContacts(1, 10, "prospect", time.Now().AddDate(-3, 0, 0))
	dp.create(drivenSpec())
	// After two batches, someone sets DryRun; the clock does not move: the reconcile's sweep
	// slice is not over, and must not erase past the switch.
	dp.clk.onceWhen(func() bool { return dp.count("SELECT COUNT(*) FROM contacts") <= 6 }, func() {
		dp.edit(func(s *privacyv1alpha1.RetentionPolicySpec) { s.Mode = privacyv1alpha1.ModeDryRun })
	})
	for range 3 {
		dp.reconcile()
	}

	if n := dp.count("SELECT COUNT(*) FROM contacts"); n != 6 {
		t.Errorf("%d contacts left, want 6: erasure went on after the switch to DryRun", n)
	}
	if n := dp.count("SELECT COUNT(*) FROM crm_privacy_sweep_checkpoint"); n != 0 {
		t.Errorf("the stopped run left its checkpoint (%d rows): it would resume unchecked", n)
	}
	if len(dp.p.Status.History) < 2 || dp.p.Status.History[1].Result != privacyv1alpha1.RunStopped || dp.p.Status.History[1].Erased != 4 {
		t.Errorf("history = %+v; want the stopped run (4 erased) before the dry run", dp.p.Status.History)
	}
	if r := dp.p.Status.LastRun; r == nil || r.Result != privacyv1alpha1.RunDryRun {
		t.Errorf("lastRun = %+v; want the dry run of the scheduled time", r)
	}
	if dp.p.Status.CurrentRun != nil {
		t.Errorf("a run is still recorded in progress: %+v", dp.p.Status.CurrentRun)
	}
}

// TestStopMidRunRecordsTheProgress plays a SIGTERM during a run: the reconcile's context is
// cancelled between two batches. The progress of the slice is still written to the status
// (the status write outlives the cancelled context), so the status agrees with the ledger,
// and the run resumes from it to the end.
func TestStopMidRunRecordsTheProgress(t *testing.T) {
	t.Parallel()
	dp := newDrivenDatabase(t, testdb.Postgres, "generic-postgres.sql")
	dp.addContacts(1, 20, "prospect", time.Now().AddDate(-3, 0, 0))
	dp.create(drivenSpec())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	asks := 0
	// The reconciler asks the time three times per batch: the stop comes after a few batches.
	dp.clk.onceWhen(func() bool { asks++; return asks > 12 }, cancel)
	if _, err := dp.d.Reconcile(ctx, key(dp.p)); err != nil {
		t.Fatalf("the reconcile stopped by the operator's shutdown returned %v, want no error (nothing failed)", err)
	}
	if err := dp.c.Get(context.Background(), key(dp.p), dp.p); err != nil {
		t.Fatal(err)
	}
	ledger := dp.count("SELECT COUNT(*) FROM " + erasure.LedgerRowsSQL(crm.Engine(dp.tdb.Engine)))
	run := dp.p.Status.LastRun
	switch {
	case ledger == 0 || ledger == 20:
		t.Fatalf("the stop did not come mid-run: %d erasures in the ledger", ledger)
	case run == nil || run.Erased != int64(ledger):
		t.Fatalf("after the stop the status records %+v, the ledger %d erasures: the last progress update was lost", run, ledger)
	case dp.p.Status.Checkpoint == nil || dp.p.Status.CurrentRun == nil:
		t.Fatalf("after the stop the status has no checkpoint or current run: %+v", dp.p.Status)
	}
	if c := dp.condition(privacyv1alpha1.TypeReady); c.Reason != privacyv1alpha1.ReasonProgressing {
		t.Errorf("Ready after the stop = %s %s (%s), want Progressing", c.Status, c.Reason, c.Message)
	}
	if e, ok := dp.events.find("Warning"); ok {
		t.Errorf("a Warning event for a shutdown: %s", e)
	}
	startedAt := run.StartedAt
	dp.reconcileUntil(3, "the run to finish", func(p *privacyv1alpha1.RetentionPolicy) bool {
		return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
	})
	if run := dp.p.Status.LastRun; run.Erased != 20 || !run.StartedAt.Equal(startedAt) {
		t.Errorf("the resumed run: erased %d, started %v; want 20, started %v as first recorded", run.Erased, run.StartedAt, startedAt)
	}
	if n := strings.Count(strings.Join(dp.events.events, "\n"), "started"); n != 1 {
		t.Errorf("%d \"started\" events, want 1: %v", n, dp.events.events)
	}
}
