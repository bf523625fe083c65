package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of AccessRoles. Privileges granted and revoked to bring a role in line are
// AccessDriftCorrected (metrics.go); the ones below say how much of it was out of band,
// and what each role holds now.
var (
	// AccessOutOfBandRevoked counts privileges and memberships found on a managed role that
	// the spec did not declare and that nobody changed the spec for: granted out of band.
	AccessOutOfBandRevoked = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "access_out_of_band_revoked_total",
		Help:      "Privileges, role attributes and memberships granted out of band to a managed database role and revoked by the operator.",
	}, []string{"namespace", "accessrole"})

	// AccessPrivileges is the number of privileges a managed role holds after the last sync.
	AccessPrivileges = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "access_privileges",
		Help:      "Table and column privileges a managed database role holds after the last sync.",
	}, []string{"namespace", "accessrole"})

	// AccessMembers is the number of members of a role by state (Active, Suspended).
	AccessMembers = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "access_members",
		Help:      "Members of an AccessRole by state: Active (holds the role) or Suspended.",
	}, []string{"namespace", "accessrole", "state"})

	// AccessLastAudit is the Unix time the role's privileges were last compared with the
	// database.
	AccessLastAudit = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "access_last_audit_timestamp_seconds",
		Help:      "Unix time at which an AccessRole's privileges were last compared with the database catalog.",
	}, []string{"namespace", "accessrole"})
)

func init() {
	metrics.Registry.MustRegister(AccessOutOfBandRevoked, AccessPrivileges, AccessMembers, AccessLastAudit)
}

// ForgetAccessRole drops the series of a deleted AccessRole.
func ForgetAccessRole(namespace, name string) {
	labels := prometheus.Labels{"namespace": namespace, "accessrole": name}
	AccessOutOfBandRevoked.DeletePartialMatch(labels)
	AccessPrivileges.DeletePartialMatch(labels)
	AccessMembers.DeletePartialMatch(labels)
	AccessLastAudit.DeletePartialMatch(labels)
	AccessDriftCorrected.DeletePartialMatch(labels)
}
