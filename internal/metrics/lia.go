package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// LIA review states, the values of the state label of LIAReview.
const (
	// LIAReviewDue: the assessment is approved and its review date is near
	// (condition reason ReviewDue).
	LIAReviewDue = "due"
	// LIAReviewExpired: the review date has passed; activities relying on the
	// assessment have lost their legal basis (phase Expired).
	LIAReviewExpired = "expired"
)

// Metrics of legitimate interests assessments. One series per assessment and state; the
// series go when the assessment is deleted (ForgetLIA).
var (
	// LIAReview is 1 for the review state an assessment is in (state "due" or "expired")
	// and 0 for the other one; both are 0 while no review is needed, and for a draft or a
	// rejected assessment.
	LIAReview = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "lia_review_state",
		Help:      "1 when a LegitimateInterestAssessment's review is due (state=due: the review date is near) or past (state=expired), 0 otherwise.",
	}, []string{"namespace", "lia", "state"})

	// LIAReviewBy is the Unix time of an assessment's review date, when it has a decision.
	LIAReviewBy = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "lia_review_by_timestamp_seconds",
		Help:      "Unix time of a LegitimateInterestAssessment's review date (spec.decision.reviewBy).",
	}, []string{"namespace", "lia"})

	// LIAUsedBy is the number of processing activities relying on an assessment
	// (status.usedBy).
	LIAUsedBy = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "lia_used_by_activities",
		Help:      "ProcessingActivities whose legal basis relies on a LegitimateInterestAssessment (status.usedBy).",
	}, []string{"namespace", "lia"})
)

func init() {
	metrics.Registry.MustRegister(LIAReview, LIAReviewBy, LIAUsedBy)
}

// ForgetLIA drops the series of a deleted LegitimateInterestAssessment.
func ForgetLIA(namespace, name string) {
	labels := prometheus.Labels{"namespace": namespace, "lia": name}
	LIAReview.DeletePartialMatch(labels)
	LIAReviewBy.DeletePartialMatch(labels)
	LIAUsedBy.DeletePartialMatch(labels)
}
