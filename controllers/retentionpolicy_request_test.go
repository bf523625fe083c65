package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// requestRun sets the run-requested-at annotation as `kubectl gdpr run` does (a merge
// patch of the annotation alone), and returns its value.
func (dp *drivenPolicy) requestRun(at time.Time) string {
	dp.t.Helper()
	return dp.requestRunValue(at.UTC().Format(time.RFC3339Nano))
}

func (dp *drivenPolicy) requestRunValue(value string) string {
	dp.t.Helper()
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, privacyv1alpha1.AnnotationRunRequestedAt, value)
	if err := dp.c.Patch(context.Background(), dp.p, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		dp.t.Fatalf("requesting a run: %v", err)
	}
	return value
}

// yearlySpec is drivenSpec on a yearly schedule: no scheduled run is due during a test.
func yearlySpec(mode privacyv1alpha1.RetentionMode, maxPercent int32) privacyv1alpha1.RetentionPolicySpec {
	spec := drivenSpec()
	spec.Schedule = "0 0 1 1 *"
	spec.Mode = mode
	spec.Budget.MaxDeletionPercent = ptr(maxPercent)
	return spec
}

// newManualRunPolicy lays out 5 prospects out of touch for 3 years and 5 in touch
// yesterday, creates a yearly policy and reconciles it once, at its creation: nothing is
// due.
func newManualRunPolicy(t *testing.T, newDB func(testing.TB) *testdb.Database, schema string, mode privacyv1alpha1.RetentionMode, maxPercent int32) *drivenPolicy {
	t.Helper()
	dp := newDrivenDatabase(t, newDB, schema)
	dp.addContacts(1, 5, "prospect", time.Now().AddDate(-3, 0, 0))
	dp.addContacts(6, 10, "prospect", time.Now().AddDate(0, 0, -1))
	dp.create(yearlySpec(mode, maxPercent))
	dp.clk.SetTime(dp.p.CreationTimestamp.Add(time.Second))
	dp.reconcile()
	if dp.p.Status.LastRun != nil || deref(dp.p.Status.Pending) != 5 {
		t.Fatalf("before the request: lastRun %+v, pending %d; want no run and 5 pending", dp.p.Status.LastRun, deref(dp.p.Status.Pending))
	}
	return dp
}

// TestManualRunEnforces: a run requested outside the schedule erases what the rules select
// now, records trigger Manual in its run and history, answers the request once, and leaves
// the schedule's next run where it was.
func TestManualRunEnforces(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		db     func(testing.TB) *testdb.Database
		schema string
	}{
		{"postgres", testdb.Postgres, "generic-postgres.sql"},
		{"sqlite", testdb.SQLite, "generic-sqlite.sql"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dp := newManualRunPolicy(t, tc.db, tc.schema, privacyv1alpha1.ModeEnforce, 100)
			nextRun := dp.p.Status.NextRunAt.DeepCopy()
			requested := dp.requestRun(dp.clk.FakeClock.Now())
			dp.reconcileUntil(3, "the manual run finished", func(p *privacyv1alpha1.RetentionPolicy) bool {
				return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
			})

			if got := dp.ids(); fmt.Sprint(got) != "[6 7 8 9 10]" {
				t.Errorf("contacts left %v, want the 5 in touch yesterday", got)
			}
			if n := dp.count("SELECT COUNT(*) FROM " + erasure.LedgerRowsSQL(crm.Engine(dp.tdb.Engine))); n != 5 {
				t.Errorf("%d ledger rows, want 5", n)
			}
			st := dp.p.Status
			ans := st.LastRunRequest
			if ans == nil || ans.RequestedAt != requested || ans.Result != privacyv1alpha1.RunRequestStarted || ans.RunID != st.LastRun.RunID {
				t.Fatalf("lastRunRequest = %+v, want Started by run %s", ans, st.LastRun.RunID)
			}
			if len(st.History) != 1 || st.History[0].Trigger != privacyv1alpha1.TriggerManual || st.History[0].Erased != 5 || st.LastRun.Trigger != privacyv1alpha1.TriggerManual {
				t.Errorf("history = %+v, want one Manual run that erased 5", st.History)
			}
			if c := dp.condition(privacyv1alpha1.TypeRunRequested); c.Status != metav1.ConditionTrue || c.Reason != privacyv1alpha1.ReasonRunRequested {
				t.Errorf("RunRequested = %s %s %q", c.Status, c.Reason, c.Message)
			}
			if _, ok := dp.events.find("Normal " + privacyv1alpha1.ReasonRunRequested + " Run request " + requested + ": run " + ans.RunID + " started"); !ok {
				t.Errorf("no RunRequested event naming the run: %v", dp.events.events)
			}
			if st.NextRunAt == nil || !st.NextRunAt.Equal(nextRun) {
				t.Errorf("nextRunAt moved from %v to %v", nextRun, st.NextRunAt)
			}

			// The request is answered once: more reconciles, later, start nothing.
			dp.clk.Step(time.Minute)
			dp.addContacts(11, 11, "prospect", time.Now().AddDate(-3, 0, 0))
			dp.reconcile()
			dp.reconcile()
			if len(dp.p.Status.History) != 1 || dp.count("SELECT COUNT(*) FROM contacts") != 6 {
				t.Errorf("an answered request ran again: history %+v, %d contacts", dp.p.Status.History, dp.count("SELECT COUNT(*) FROM contacts"))
			}
		})
	}
}

// TestManualRunInDryRunChangesNothing: in DryRun mode a requested run only counts.
func TestManualRunInDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	dp := newManualRunPolicy(t, testdb.Postgres, "generic-postgres.sql", privacyv1alpha1.ModeDryRun, 100)
	before := dp.contactsDigest()
	requested := dp.requestRun(dp.clk.FakeClock.Now())
	dp.reconcile()

	if after := dp.contactsDigest(); after != before {
		t.Errorf("a manual dry run changed the contacts:\nbefore %s\nafter  %s", before, after)
	}
	if n := dp.count("SELECT COUNT(*) FROM " + erasure.LedgerRowsSQL(crm.Engine(dp.tdb.Engine))); n != 0 {
		t.Errorf("a manual dry run wrote %d ledger rows", n)
	}
	st := dp.p.Status
	if ans := st.LastRunRequest; ans == nil || ans.RequestedAt != requested || ans.Result != privacyv1alpha1.RunRequestDryRun || ans.RunID == "" {
		t.Fatalf("lastRunRequest = %+v, want DryRun", ans)
	}
	if len(st.History) != 1 || st.History[0].Result != privacyv1alpha1.RunDryRun || st.History[0].Trigger != privacyv1alpha1.TriggerManual ||
		st.History[0].Planned != 5 || st.History[0].RunID != st.LastRunRequest.RunID {
		t.Errorf("history = %+v, want one manual dry run of 5", st.History)
	}
	if st.LastScheduledAt != nil {
		t.Errorf("a manual dry run moved the schedule: lastScheduledAt %v", st.LastScheduledAt)
	}
}

// TestManualRunOverBudgetWaitsForApproval: a requested run goes through the budget check:
// over budget it erases nothing, waits in status.awaitingApproval (trigger Manual), and
// starts once an approval covers it, with no further request.
func TestManualRunOverBudgetWaitsForApproval(t *testing.T) {
	t.Parallel()
	dp := newManualRunPolicy(t, testdb.Postgres, "generic-postgres.sql", privacyv1alpha1.ModeEnforce, 10)
	dp.requestRun(dp.clk.FakeClock.Now())
	dp.reconcile()

	if n := dp.count("SELECT COUNT(*) FROM contacts"); n != 10 {
		t.Fatalf("%d contacts left, want 10: a run over budget erased", n)
	}
	st := dp.p.Status
	a := st.AwaitingApproval
	if a == nil || a.Trigger != privacyv1alpha1.TriggerManual || a.Planned != 5 {
		t.Fatalf("awaitingApproval = %+v, want the manual run of 5", a)
	}
	if ans := st.LastRunRequest; ans == nil || ans.Result != privacyv1alpha1.RunRequestAwaitingApproval || ans.RunID != a.RunID {
		t.Fatalf("lastRunRequest = %+v, want AwaitingApproval for %s", ans, a.RunID)
	}
	if st.LastRun == nil || st.LastRun.Result != privacyv1alpha1.RunBudgetExceeded || st.LastRun.Trigger != privacyv1alpha1.TriggerManual {
		t.Errorf("lastRun = %+v, want BudgetExceeded, Manual", st.LastRun)
	}

	// A second request while the run waits is answered by the waiting run.
	dp.clk.Step(time.Minute)
	dp.requestRun(dp.clk.FakeClock.Now())
	dp.reconcile()
	if ans := dp.p.Status.LastRunRequest; ans.Result != privacyv1alpha1.RunRequestAwaitingApproval || ans.RunID != a.RunID {
		t.Errorf("second request answered %+v, want the run waiting, %s", ans, a.RunID)
	}

	dp.approveAwaiting(5)
	dp.reconcileUntil(3, "the approved manual run finished", func(p *privacyv1alpha1.RetentionPolicy) bool {
		return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
	})
	if got := dp.ids(); fmt.Sprint(got) != "[6 7 8 9 10]" {
		t.Errorf("contacts left %v after the approved run", got)
	}
	if run := dp.p.Status.LastRun; run.RunID != a.RunID || run.Trigger != privacyv1alpha1.TriggerManual {
		t.Errorf("the approved run is %s (%s), want %s (Manual)", run.RunID, run.Trigger, a.RunID)
	}
}

// TestRunRequestRefusals: a value that is no time, not later than the last answered, too
// far ahead, or a suspended policy: no run, a Warning event, RunRequested False, and
// Ready unchanged.
func TestRunRequestRefusals(t *testing.T) {
	t.Parallel()
	dp := newManualRunPolicy(t, testdb.Postgres, "generic-postgres.sql", privacyv1alpha1.ModeEnforce, 100)
	now := dp.clk.FakeClock.Now()
	ready := dp.condition(privacyv1alpha1.TypeReady)

	refused := func(value, reason, says string) {
		t.Helper()
		dp.requestRunValue(value)
		dp.reconcile()
		ans := dp.p.Status.LastRunRequest
		if ans == nil || ans.RequestedAt != value || ans.Result != privacyv1alpha1.RunRequestRefused || ans.RunID != "" || !strings.Contains(ans.Message, says) {
			t.Errorf("%q: lastRunRequest = %+v, want Refused saying %q", value, ans, says)
		}
		if c := dp.condition(privacyv1alpha1.TypeRunRequested); c.Status != metav1.ConditionFalse || c.Reason != reason {
			t.Errorf("%q: RunRequested = %s %s, want False %s", value, c.Status, c.Reason, reason)
		}
		if _, ok := dp.events.find("Warning " + reason + " Run request " + value + " refused"); !ok {
			t.Errorf("%q: no Warning %s event: %v", value, reason, dp.events.events)
		}
		if c := dp.condition(privacyv1alpha1.TypeReady); c.Status != ready.Status || c.Reason != ready.Reason {
			t.Errorf("%q: a refused request changed Ready to %s %s", value, c.Status, c.Reason)
		}
	}
	refused("yesterday", privacyv1alpha1.ReasonInvalidRunRequest, "not an RFC 3339 time")
	refused(now.Add(3*time.Hour).UTC().Format(time.RFC3339), privacyv1alpha1.ReasonInvalidRunRequest, "ahead of the operator's clock")

	// A valid request is answered; one older than it is refused.
	answered := dp.requestRun(now)
	dp.reconcileUntil(3, "the manual run finished", func(p *privacyv1alpha1.RetentionPolicy) bool {
		return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
	})
	if dp.p.Status.LastRunRequest.RequestedAt != answered {
		t.Fatalf("lastRunRequest = %+v", dp.p.Status.LastRunRequest)
	}
	refused(now.Add(-time.Hour).UTC().Format(time.RFC3339), privacyv1alpha1.ReasonInvalidRunRequest, "not later than the last request answered")

	dp.edit(func(s *privacyv1alpha1.RetentionPolicySpec) { s.Suspend = ptr(true) })
	dp.addContacts(11, 12, "prospect", time.Now().AddDate(-3, 0, 0))
	ready = metav1.Condition{Status: metav1.ConditionTrue, Reason: privacyv1alpha1.ReasonSuspended}
	refused(now.Add(time.Minute).UTC().Format(time.RFC3339), privacyv1alpha1.ReasonRunRequestRefused, "suspended")
	if n := dp.count("SELECT COUNT(*) FROM contacts"); n != 7 {
		t.Errorf("%d contacts left, want 7: a refused request erased", n)
	}
	if len(dp.p.Status.History) != 1 {
		t.Errorf("history %+v, want the one run answered", dp.p.Status.History)
	}
}

// TestRunRequestDuringARunIsAnsweredByIt: a request while a run is in progress starts no
// second run: the run in progress answers it.
func TestRunRequestDuringARunIsAnsweredByIt(t *testing.T) {
	t.Parallel()
	dp := newManualRunPolicy(t, testdb.Postgres, "generic-postgres.sql", privacyv1alpha1.ModeEnforce, 100)
	// After the first batch (2 contacts), the sweep slice ends: the run stays in progress.
	dp.clk.onceWhen(func() bool { return dp.count("SELECT COUNT(*) FROM contacts") <= 8 }, func() { dp.clk.Step(time.Minute) })
	first := dp.requestRun(dp.clk.FakeClock.Now())
	dp.reconcile()
	cur := dp.p.Status.CurrentRun
	if cur == nil || cur.RunID == "" || cur.Trigger != privacyv1alpha1.TriggerManual || dp.p.Status.LastRunRequest.RequestedAt != first {
		t.Fatalf("currentRun = %+v, lastRunRequest %+v; want a manual run in progress", cur, dp.p.Status.LastRunRequest)
	}
	second := dp.requestRun(dp.clk.FakeClock.Now())
	dp.reconcileUntil(3, "the run finished", func(p *privacyv1alpha1.RetentionPolicy) bool {
		return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
	})
	ans := dp.p.Status.LastRunRequest
	if ans.RequestedAt != second || ans.Result != privacyv1alpha1.RunRequestInProgress || ans.RunID != cur.RunID {
		t.Errorf("second request answered %+v, want InProgress by %s", ans, cur.RunID)
	}
	if len(dp.p.Status.History) != 1 || dp.p.Status.History[0].Erased != 5 {
		t.Errorf("history = %+v, want the one run, 5 erased", dp.p.Status.History)
	}
	if got := dp.ids(); fmt.Sprint(got) != "[6 7 8 9 10]" {
		t.Errorf("contacts left %v", got)
	}
}

// ids are the contact ids left, in order.
func (dp *drivenPolicy) ids() []int {
	dp.t.Helper()
	rows, err := dp.sqlDB.Query("SELECT id FROM contacts ORDER BY id")
	if err != nil {
		dp.t.Fatal(err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			dp.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// contactsDigest is every contact's id and personal fields, in order: what must not change.
func (dp *drivenPolicy) contactsDigest() string {
	dp.t.Helper()
	rows, err := dp.sqlDB.Query("SELECT id, email, first_name, last_name FROM contacts ORDER BY id")
	if err != nil {
		dp.t.Fatal(err)
	}
	defer rows.Close()
	out := ""
	for rows.Next() {
		var id int
		var email, first, last string
		if err := rows.Scan(&id, &email, &first, &last); err != nil {
			dp.t.Fatal(err)
		}
		out += fmt.Sprintf("%d:%s:%s:%s;", id, email, first, last)
	}
	return out
}

// TestRunRequestWakesTheManager: the annotation alone (no spec change, so no new
// generation) wakes the manager's controller, which runs the policy at once.
func TestRunRequestWakesTheManager(t *testing.T) {
	t.Parallel()
	f := newRetentionFixture(t, testdb.Postgres, "generic-postgres.sql")
	spec := retentionPolicySpec(privacyv1alpha1.ModeEnforce, 100)
	spec.Schedule = "0 0 1 1 *" // yearly: no scheduled run during the test
	p := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "prospects"}, Spec: spec}
	ctx := context.Background()
	if err := k8s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, p, func() []metav1.Condition { return p.Status.Conditions }, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled, 60*time.Second)
	if deref(p.Status.Held) != 2 || p.Status.Rules[0].Held != 2 {
		t.Errorf("held = %d, rules %+v: want contacts 3 (legalHold) and 8 (spec.legalHolds) held by the prospects rule", deref(p.Status.Held), p.Status.Rules)
	}
	requested := time.Now().UTC().Format(time.RFC3339Nano)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, privacyv1alpha1.AnnotationRunRequestedAt, requested)
	if err := k8s.Patch(ctx, p, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the requested run to finish", func() (bool, error) {
		if err := k8s.Get(ctx, key(p), p); err != nil {
			return false, err
		}
		a, run := p.Status.LastRunRequest, p.Status.LastRun
		ok := a != nil && a.RequestedAt == requested && run != nil && run.RunID == a.RunID && run.Result == privacyv1alpha1.RunSucceeded
		return ok, fmt.Errorf("lastRunRequest %+v, lastRun %+v", a, run)
	})
	if got := f.ids(t); fmt.Sprint(got) != "[2 3 4 7 8]" {
		t.Errorf("contacts left %v, want [2 3 4 7 8]", got)
	}
	if p.Status.LastRun.Trigger != privacyv1alpha1.TriggerManual {
		t.Errorf("lastRun trigger %q, want Manual", p.Status.LastRun.Trigger)
	}
}
