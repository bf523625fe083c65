package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of the compliance scan of processing activities. The number of contacts breaking
// each rule is ComplianceFindings (finding = the check's name); a check that could not run
// has no ComplianceFindings series and ComplianceCheckable 0.
var (
	// ComplianceContactsInScope is the number of contacts an activity's selector picks in a
	// database at the last scan.
	ComplianceContactsInScope = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "compliance_contacts_in_scope",
		Help:      "Contacts a processing activity's contactSelector picks in a CRM database, at the last compliance scan.",
	}, []string{"namespace", "activity", "database"})

	// ComplianceCheckable is 1 when a check of the scan ran, 0 when the database's mapping
	// lacks a field it needs (the check is not checkable, its count is unknown).
	ComplianceCheckable = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "compliance_check_checkable",
		Help:      "1 when a compliance check (finding=noLegalBasis, …) ran on the database, 0 when the mapping lacks a field it needs.",
	}, []string{"namespace", "activity", "database", "finding"})

	// ComplianceLastScan is the Unix time of the last successful scan.
	ComplianceLastScan = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "compliance_last_scan_timestamp_seconds",
		Help:      "Unix time of the last successful compliance scan of a processing activity on a CRM database.",
	}, []string{"namespace", "activity", "database"})
)

func init() {
	metrics.Registry.MustRegister(ComplianceContactsInScope, ComplianceCheckable, ComplianceLastScan)
}

// ForgetActivityDatabase drops the scan series of one activity on one database (the
// database is no longer covered, or the scan could not run).
func ForgetActivityDatabase(namespace, activity, database string) {
	labels := prometheus.Labels{"namespace": namespace, "activity": activity, "database": database}
	ComplianceFindings.DeletePartialMatch(labels)
	ComplianceContactsInScope.DeletePartialMatch(labels)
	ComplianceCheckable.DeletePartialMatch(labels)
	ComplianceLastScan.DeletePartialMatch(labels)
}

// ForgetActivity drops every scan series of a deleted ProcessingActivity.
func ForgetActivity(namespace, activity string) {
	labels := prometheus.Labels{"namespace": namespace, "activity": activity}
	ComplianceFindings.DeletePartialMatch(labels)
	ComplianceContactsInScope.DeletePartialMatch(labels)
	ComplianceCheckable.DeletePartialMatch(labels)
	ComplianceLastScan.DeletePartialMatch(labels)
}
