package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
)

// The gauges below publish states that the chart's alerting rules and dashboard read
// (docs/operations.md, "Alerts"). Each is set from the status a pass computed, so that the
// metric and `kubectl get` say the same.

// recordPolicyState sets a retention policy's state gauges from its status: blocked by
// its budget while a due enforced run waits for an approval, failed while Ready says the
// run fails or cannot start, and the time of the last successful run.
func recordPolicyState(p *privacyv1alpha1.RetentionPolicy) {
	blocked := p.Status.AwaitingApproval != nil && p.Spec.Mode == privacyv1alpha1.ModeEnforce && !isSuspended(p)
	failed := false
	if c := meta.FindStatusCondition(p.Status.Conditions, privacyv1alpha1.TypeReady); c != nil && c.Status != metav1.ConditionTrue {
		failed = c.Reason == privacyv1alpha1.ReasonRunFailed || c.Reason == privacyv1alpha1.ReasonCheckpointNotRecorded
	}
	metrics.RetentionBudgetBlocked.WithLabelValues(p.Namespace, p.Name).Set(boolGauge(blocked))
	metrics.RetentionRunFailed.WithLabelValues(p.Namespace, p.Name).Set(boolGauge(failed))
	if at := lastSuccess(p); at != nil {
		metrics.LastSuccess.WithLabelValues(p.Namespace, p.Name).Set(float64(at.Unix()))
	}
}

// lastSuccess is when the newest enforced run of status.history that succeeded finished:
// the last-success gauge survives a restart or a change of leader.
func lastSuccess(p *privacyv1alpha1.RetentionPolicy) *metav1.Time {
	for _, h := range p.Status.History {
		if h.Mode == privacyv1alpha1.ModeEnforce && h.Result == privacyv1alpha1.RunSucceeded && h.FinishedAt != nil {
			return h.FinishedAt
		}
	}
	return nil
}

// countRunEnd counts a run that ended with result.
func countRunEnd(p *privacyv1alpha1.RetentionPolicy, result privacyv1alpha1.RunResult) {
	metrics.RetentionRuns.WithLabelValues(p.Namespace, p.Name, string(result)).Inc()
}

// recordLIAMetrics sets an assessment's review state, review date and number of users.
func recordLIAMetrics(lia *privacyv1alpha1.LegitimateInterestAssessment, s gdpr.LIAState) {
	expired := s.Phase == privacyv1alpha1.PhaseExpired
	due := s.Phase == privacyv1alpha1.PhaseApproved && s.Reason == privacyv1alpha1.ReasonReviewDue
	metrics.LIAReview.WithLabelValues(lia.Namespace, lia.Name, metrics.LIAReviewDue).Set(boolGauge(due))
	metrics.LIAReview.WithLabelValues(lia.Namespace, lia.Name, metrics.LIAReviewExpired).Set(boolGauge(expired))
	metrics.LIAUsedBy.WithLabelValues(lia.Namespace, lia.Name).Set(float64(len(lia.Status.UsedBy)))
	if d := lia.Spec.Decision; d != nil && d.Outcome != privacyv1alpha1.OutcomeRejected {
		metrics.LIAReviewBy.WithLabelValues(lia.Namespace, lia.Name).Set(float64(d.ReviewBy.Unix()))
	} else {
		metrics.LIAReviewBy.DeleteLabelValues(lia.Namespace, lia.Name)
	}
}
