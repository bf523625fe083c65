package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// metricValue reads the value of the gauge or counter series of name whose labels include
// want, from the manager's metrics registry; ok is false when no such series exists.
func metricValue(t testing.TB, name string, want map[string]string) (value float64, ok bool) {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue series
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// assertMetric checks that the series of name with labels exists and has value want.
func assertMetric(t testing.TB, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := metricValue(t, name, labels)
	switch {
	case !ok:
		t.Errorf("%s%v: no series, want %v", name, labels, want)
	case got != want:
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// assertNoMetric checks that no series of name has labels.
func assertNoMetric(t testing.TB, name string, labels map[string]string) {
	t.Helper()
	if got, ok := metricValue(t, name, labels); ok {
		t.Errorf("%s%v = %v; want no series", name, labels, got)
	}
}

// TestRetentionStateMetrics: the gauges the alerts read follow the policy's state on a
// real database — blocked by its budget until an approval lets the run go, failed while
// the database refuses the plan's query and no longer once it answers — the runs are
// counted by result, and every series goes with the policy.
func TestRetentionStateMetrics(t *testing.T) {
	t.Parallel()
	dp := newDrivenDatabase(t, testdb.SQLite, "generic-sqlite.sql")
	dp.addContacts(1, 5, "prospect", time.Now().AddDate(-3, 0, 0))
	dp.addContacts(6, 40, "customer", time.Now())
	spec := drivenSpec()
	spec.Budget.MaxDeletionPercent = ptr[int32](10) // 4 of 40 contacts: the run of 5 waits
	dp.create(spec)
	policy := map[string]string{"namespace": dp.ns, "policy": dp.p.Name}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for pk, pv := range policy {
			m[pk] = pv
		}
		return m
	}

	dp.reconcile()
	if dp.p.Status.AwaitingApproval == nil {
		t.Fatalf("the run of 5 was not blocked by a budget of 4: %+v", dp.p.Status.LastRun)
	}
	assertMetric(t, "crm_privacy_retention_budget_blocked", policy, 1)
	assertMetric(t, "crm_privacy_retention_run_failed", policy, 0)
	assertMetric(t, "crm_privacy_retention_runs_total", with("result", string(privacyv1alpha1.RunBudgetExceeded)), 1)

	// The database refuses the plan's query: the run cannot start.
	dp.tdb.Exec(t, "ALTER TABLE contacts RENAME TO contacts_away")
	if err := dp.tryReconcile(); err == nil {
		t.Fatalf("the plan was counted without the contacts table: %+v", dp.p.Status.Conditions)
	}
	if c := dp.condition(privacyv1alpha1.TypeReady); c.Reason != privacyv1alpha1.ReasonRunFailed {
		t.Fatalf("Ready = %s %s, want reason %s", c.Status, c.Reason, privacyv1alpha1.ReasonRunFailed)
	}
	assertMetric(t, "crm_privacy_retention_run_failed", policy, 1)
	dp.tdb.Exec(t, "ALTER TABLE contacts_away RENAME TO contacts")
	dp.reconcile()
	assertMetric(t, "crm_privacy_retention_run_failed", policy, 0)
	assertMetric(t, "crm_privacy_retention_budget_blocked", policy, 1)

	// An approval lets the run go: no longer blocked, one run succeeded.
	dp.approveAwaiting(9)
	dp.reconcileUntil(3, "run", func(p *privacyv1alpha1.RetentionPolicy) bool {
		return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
	})
	assertMetric(t, "crm_privacy_retention_budget_blocked", policy, 0)
	assertMetric(t, "crm_privacy_retention_runs_total", with("result", string(privacyv1alpha1.RunSucceeded)), 1)
	assertMetric(t, "crm_privacy_retention_runs_total", with("result", string(privacyv1alpha1.RunBudgetExceeded)), 1)

	// After a restart the last-success gauge comes back from status.history at the first
	// reconcile, not at the next successful run.
	finished := float64(dp.p.Status.LastRun.FinishedAt.Unix())
	assertMetric(t, "crm_privacy_retention_last_success_timestamp_seconds", policy, finished)
	metrics.LastSuccess.DeleteLabelValues(dp.ns, dp.p.Name)
	dp.reconcile()
	assertMetric(t, "crm_privacy_retention_last_success_timestamp_seconds", policy, finished)

	// Deleted: every series of the policy goes.
	if err := dp.c.Delete(context.Background(), dp.p); err != nil {
		t.Fatal(err)
	}
	if _, err := dp.d.Reconcile(context.Background(), key(dp.p)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"crm_privacy_retention_budget_blocked", "crm_privacy_retention_run_failed", "crm_privacy_retention_runs_total",
		"crm_privacy_retention_last_success_timestamp_seconds"} {
		assertNoMetric(t, name, policy)
	}
}

// TestLIAReviewMetrics: the manager publishes an assessment's review state (expired, then
// due after a new decision), its review date and how many activities rely on it, and
// drops the series when it is deleted.
func TestLIAReviewMetrics(t *testing.T) {
	ns := newNamespace(t)
	now := time.Now()
	lia := newLIA(t, ns, "prospecting", decision(privacyv1alpha1.OutcomeApproved, now.AddDate(-2, 0, 0), now.Add(-24*time.Hour)))
	newActivity(t, ns, "cold-calling", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.LegalBasis = privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisLegitimateInterests,
			LegitimateInterestAssessmentRef: &privacyv1alpha1.LocalObjectReference{Name: "prospecting"}}
	})
	labels := map[string]string{"namespace": ns, "lia": lia.Name}
	state := func(s string) map[string]string {
		return map[string]string{"namespace": ns, "lia": lia.Name, "state": s}
	}
	waitMetrics := func(what string, want map[string]float64, wantLabels map[string]map[string]string) {
		t.Helper()
		eventually(t, 30*time.Second, what, func() (bool, error) {
			for name, v := range want {
				if got, ok := metricValue(t, name, wantLabels[name]); !ok || got != v {
					return false, fmt.Errorf("%s%v = %v (present %v), want %v", name, wantLabels[name], got, ok, v)
				}
			}
			return true, nil
		})
	}

	waitMetrics("the expired LIA's gauges", map[string]float64{
		"crm_privacy_lia_review_state":                1,
		"crm_privacy_lia_used_by_activities":          1,
		"crm_privacy_lia_review_by_timestamp_seconds": float64(lia.Spec.Decision.ReviewBy.Unix()),
	}, map[string]map[string]string{
		"crm_privacy_lia_review_state":                state("expired"),
		"crm_privacy_lia_used_by_activities":          labels,
		"crm_privacy_lia_review_by_timestamp_seconds": labels,
	})
	assertMetric(t, "crm_privacy_lia_review_state", state("due"), 0)

	// Reviewed, approved again until 10 days from now: due for review, no longer expired.
	setDecision(t, lia, decision(privacyv1alpha1.OutcomeApproved, now.Add(-time.Hour), now.Add(10*24*time.Hour)))
	waitMetrics("the reviewed LIA's gauges", map[string]float64{"crm_privacy_lia_review_state": 1}, map[string]map[string]string{
		"crm_privacy_lia_review_state": state("due")})
	assertMetric(t, "crm_privacy_lia_review_state", state("expired"), 0)

	if err := k8s.Delete(context.Background(), lia); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the deleted LIA's series to go", func() (bool, error) {
		for _, name := range []string{"crm_privacy_lia_review_state", "crm_privacy_lia_used_by_activities", "crm_privacy_lia_review_by_timestamp_seconds"} {
			if _, ok := metricValue(t, name, labels); ok {
				return false, fmt.Errorf("%s still has a series", name)
			}
		}
		return true, nil
	})
}
