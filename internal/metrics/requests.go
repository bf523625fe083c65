package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of data-subject requests. Their labels name the request and its type, never the
// person.
var (
	// RequestOverdue is 1 for each open DataSubjectRequest past its deadline (status.dueAt),
	// 0 for each open one within it; the series goes when the request completes or is
	// deleted. sum(crm_privacy_request_overdue) is the number of overdue requests.
	RequestOverdue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "request_overdue",
		Help:      "1 when an open data-subject request is past its deadline (GDPR Art. 12(3)), 0 while it is within it.",
	}, []string{"namespace", "request", "type"})

	// RequestsCompleted counts the DataSubjectRequests completed, by type and by whether
	// they were completed by their deadline (on_time "true" or "false").
	RequestsCompleted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "requests_completed_total",
		Help:      "Data-subject requests completed, by type and whether they were completed by their deadline.",
	}, []string{"type", "on_time"})
)

func init() {
	metrics.Registry.MustRegister(RequestOverdue, RequestsCompleted)
}

// ForgetRequest drops the series of a DataSubjectRequest that completed or was deleted.
func ForgetRequest(namespace, name string) {
	RequestOverdue.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "request": name})
}
