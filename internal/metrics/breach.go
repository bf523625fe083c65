package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of personal data breaches (DataBreach). One series per breach: breaches are few,
// and an alert names the one overdue.
var (
	// BreachOverdue is 1 while a breach is past its 72-hour deadline with no notification
	// of the authority recorded, 0 otherwise. Alert on sum(crm_privacy_breach_overdue) > 0.
	BreachOverdue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "breach_overdue",
		Help:      "1 while a DataBreach is past awareAt + 72 h and the supervisory authority's notification is not recorded; 0 otherwise.",
	}, []string{"namespace", "breach"})

	// BreachAuthorityDue is 1 while the supervisory authority must still be notified of a
	// breach (before and after the deadline), 0 once the notification is recorded or none
	// is required. With BreachDeadline it tells how long is left.
	BreachAuthorityDue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "breach_authority_notification_due",
		Help:      "1 while the supervisory authority must still be notified of a DataBreach (no notification recorded, risk not None); 0 otherwise.",
	}, []string{"namespace", "breach"})

	// BreachOpen is 1 while a breach still needs a notification (to the authority or to
	// the people affected), 0 otherwise.
	BreachOpen = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "breach_open",
		Help:      "1 while a DataBreach still needs a notification to the authority or to the people affected; 0 otherwise.",
	}, []string{"namespace", "breach"})

	// BreachDeadline is the Unix time of a breach's authority deadline (awareAt + 72 h).
	BreachDeadline = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "breach_authority_deadline_timestamp_seconds",
		Help:      "Unix time by which the supervisory authority must be notified of a DataBreach (awareAt + 72 h).",
	}, []string{"namespace", "breach"})

	// BreachAffectedContacts is the number of contacts a breach affects in a database, at
	// the last count.
	BreachAffectedContacts = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "breach_affected_contacts",
		Help:      "Contacts a DataBreach's contactSelector selects in a CRM database, at the last count.",
	}, []string{"namespace", "breach", "database"})
)

func init() {
	metrics.Registry.MustRegister(BreachOverdue, BreachAuthorityDue, BreachOpen, BreachDeadline, BreachAffectedContacts)
}

// ForgetBreach drops the series of a deleted DataBreach.
func ForgetBreach(namespace, name string) {
	labels := map[string]string{"namespace": namespace, "breach": name}
	BreachOverdue.DeletePartialMatch(labels)
	BreachAuthorityDue.DeletePartialMatch(labels)
	BreachOpen.DeletePartialMatch(labels)
	BreachDeadline.DeletePartialMatch(labels)
	BreachAffectedContacts.DeletePartialMatch(labels)
}
