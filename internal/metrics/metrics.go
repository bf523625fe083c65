package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

const namespace = "crm_privacy"

var (
	// ErasedTotal counts contacts erased or anonymised by retention runs.
	ErasedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "erased_contacts_total",
		Help:      "Contacts erased (action=Delete) or anonymised (action=Anonymize) by retention runs.",
	}, []string{"namespace", "policy", "rule", "action"})

	// Pending is the number of contacts a policy would erase now.
	Pending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "retention_pending_contacts",
		Help:      "Contacts that a retention policy's rules select now (the plan).",
	}, []string{"namespace", "policy", "rule"})

	// RunDuration is how long retention runs take.
	RunDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace,
		Name:      "retention_run_duration_seconds",
		Help:      "Duration of enforced retention runs.",
		Buckets:   prometheus.ExponentialBuckets(0.1, 2, 16),
	}, []string{"namespace", "policy"})

	// LastSuccess is the Unix time of a policy's last successful run.
	LastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "retention_last_success_timestamp_seconds",
		Help:      "Unix time at which a retention policy's last run finished successfully.",
	}, []string{"namespace", "policy"})

	// BatchDuration is how long one sweep batch transaction takes.
	BatchDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace,
		Name:      "retention_batch_duration_seconds",
		Help:      "Duration of one sweep batch transaction (lock hold time).",
		Buckets:   prometheus.ExponentialBuckets(0.005, 2, 12),
	}, []string{"namespace", "policy"})

	// DatabaseUp is 1 when a CRM database answers and its schema is valid.
	DatabaseUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "database_ready",
		Help:      "1 when the CRM database is reachable, its mapping valid and its ledger ready; 0 otherwise.",
	}, []string{"namespace", "database"})

	// DatabaseContacts is the number of contacts in a CRM database.
	DatabaseContacts = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "database_contacts",
		Help:      "Contacts in the CRM database (soft-deleted ones excluded).",
	}, []string{"namespace", "database"})

	// AccessDriftCorrected counts privileges and memberships found out of band and revoked,
	// or missing and granted.
	AccessDriftCorrected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "access_drift_corrected_total",
		Help:      "Privileges or memberships the operator granted (direction=granted) or revoked (direction=revoked) to bring an AccessRole in line.",
	}, []string{"namespace", "accessrole", "direction"})

	// ComplianceFindings is the number of contacts per finding of the compliance scan.
	ComplianceFindings = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "compliance_findings_contacts",
		Help:      "Contacts in a processing activity's scope that break a rule (finding=noLegalBasis, consentWithoutEvidence, …).",
	}, []string{"namespace", "activity", "database", "finding"})

	// RegisterRevisions counts register revisions created.
	RegisterRevisions = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "register_revisions_created_total",
		Help:      "Register revisions created because the register's content changed.",
	})
)

func init() {
	metrics.Registry.MustRegister(
		ErasedTotal, Pending, RunDuration, LastSuccess, BatchDuration,
		DatabaseUp, DatabaseContacts, AccessDriftCorrected, ComplianceFindings, RegisterRevisions,
	)
}

// ForgetDatabase drops the series of a deleted CRMDatabase.
func ForgetDatabase(namespace, name string) {
	DatabaseUp.DeleteLabelValues(namespace, name)
	DatabaseContacts.DeleteLabelValues(namespace, name)
}

// ForgetPolicy drops the series of a deleted RetentionPolicy.
func ForgetPolicy(namespace, name string) {
	labels := map[string]string{"namespace": namespace, "policy": name}
	Pending.DeletePartialMatch(labels)
	RunDuration.DeletePartialMatch(labels)
	LastSuccess.DeletePartialMatch(labels)
	BatchDuration.DeletePartialMatch(labels)
	forgetPolicyState(labels)
}
