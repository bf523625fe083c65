package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of the state of retention policies, for alerts and dashboards. Each policy has one
// series of each gauge, 0 or 1; the series go when the policy is deleted (ForgetPolicy).
var (
	// RetentionBudgetBlocked is 1 while a due enforced run erases nothing because its plan
	// exceeds the safety budget and no approval covers it (status.awaitingApproval).
	RetentionBudgetBlocked = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "retention_budget_blocked",
		Help:      "1 while a RetentionPolicy's due run waits for an approval because its plan exceeds the safety budget (status.awaitingApproval); 0 otherwise.",
	}, []string{"namespace", "policy"})

	// RetentionRunFailed is 1 while a policy cannot run: its run is paused on a database
	// error, its plan or checkpoint cannot be read, or the database holds a checkpoint the
	// operator did not record (Ready reason RunFailed or CheckpointNotRecorded).
	RetentionRunFailed = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "retention_run_failed",
		Help:      "1 while a RetentionPolicy's run fails or cannot start (Ready reason RunFailed or CheckpointNotRecorded); 0 otherwise.",
	}, []string{"namespace", "policy"})

	// RetentionRuns counts the runs that ended, by result (status.history's result:
	// Succeeded, LimitReached, Stopped, BudgetExceeded, DryRun).
	RetentionRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "retention_runs_total",
		Help:      "Retention runs that ended, by result (Succeeded, LimitReached, Stopped, BudgetExceeded, DryRun).",
	}, []string{"namespace", "policy", "result"})
)

func init() {
	metrics.Registry.MustRegister(RetentionBudgetBlocked, RetentionRunFailed, RetentionRuns)
}

// forgetPolicyState drops the state series of a deleted RetentionPolicy.
func forgetPolicyState(labels prometheus.Labels) {
	RetentionBudgetBlocked.DeletePartialMatch(labels)
	RetentionRunFailed.DeletePartialMatch(labels)
	RetentionRuns.DeletePartialMatch(labels)
}
