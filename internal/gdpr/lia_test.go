package gdpr

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func decision(outcome privacyv1alpha1.LIAOutcome, decidedAt, reviewBy time.Time) *privacyv1alpha1.LIADecision {
	return &privacyv1alpha1.LIADecision{Outcome: outcome, DecidedBy: "Data protection board",
		DecidedAt: metav1.NewTime(decidedAt), ReviewBy: metav1.NewTime(reviewBy)}
}

func approvedUntil(reviewBy time.Time) *privacyv1alpha1.LIADecision {
	return decision(privacyv1alpha1.OutcomeApproved, now.AddDate(-1, 0, 0), reviewBy)
}

// liaSpec is an assessment of B2B prospecting of sales, purchasing and board members.
func liaSpec(d *privacyv1alpha1.LIADecision) privacyv1alpha1.LegitimateInterestAssessmentSpec {
	return privacyv1alpha1.LegitimateInterestAssessmentSpec{
		Scope: privacyv1alpha1.LIAScope{
			ContactTypes: []privacyv1alpha1.ContactType{privacyv1alpha1.ContactTypeB2B},
			JobRoles:     []string{"sales", "purchasing", "board"},
		},
		Decision: d,
	}
}

func TestLIAStateAt(t *testing.T) {
	decided := now.AddDate(-1, 0, 0)
	midnight := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		decision *privacyv1alpha1.LIADecision
		at       time.Time
		want     LIAState
		inMsg    string
	}{
		{"no decision is a draft", nil, now,
			LIAState{Phase: privacyv1alpha1.PhaseDraft, Reason: privacyv1alpha1.ReasonDraft}, "draft"},
		{"rejected", decision(privacyv1alpha1.OutcomeRejected, decided, now.AddDate(1, 0, 0)), now,
			LIAState{Phase: privacyv1alpha1.PhaseRejected, Reason: privacyv1alpha1.ReasonRejected}, "2025-06-15"},
		{"rejected stays rejected after its review date", decision(privacyv1alpha1.OutcomeRejected, decided, now.Add(-day)), now,
			LIAState{Phase: privacyv1alpha1.PhaseRejected, Reason: privacyv1alpha1.ReasonRejected}, "rejected on"},
		{"approved, review far ahead: wakes at the start of the review window", decision(privacyv1alpha1.OutcomeApproved, decided, now.AddDate(0, 6, 0)), now,
			LIAState{Phase: privacyv1alpha1.PhaseApproved, Reason: privacyv1alpha1.ReasonApproved, NextChange: now.AddDate(0, 6, 0).Add(-LIAReviewWarning)}, "review by 2026-12-15"},
		{"approved, a second before the review window", decision(privacyv1alpha1.OutcomeApproved, decided, now.Add(LIAReviewWarning+time.Second)), now,
			LIAState{Phase: privacyv1alpha1.PhaseApproved, Reason: privacyv1alpha1.ReasonApproved, NextChange: now.Add(time.Second)}, "review by"},
		{"approved, review in 10 days: review due, wakes at the review date", decision(privacyv1alpha1.OutcomeApproved, decided, now.Add(10*day)), now,
			LIAState{Phase: privacyv1alpha1.PhaseApproved, Reason: privacyv1alpha1.ReasonReviewDue, NextChange: now.Add(10 * day)}, "due by 2026-06-25 (within 10 days)"},
		{"approved, review window starts now", decision(privacyv1alpha1.OutcomeApproved, decided, now.Add(LIAReviewWarning)), now,
			LIAState{Phase: privacyv1alpha1.PhaseApproved, Reason: privacyv1alpha1.ReasonReviewDue, NextChange: now.Add(LIAReviewWarning)}, "(within 30 days)"},
		// The off-by-one of issue 15: exactly 30 days out, at midnight, it said "within 31 days".
		{"review at midnight exactly 30 days out says 30 days", decision(privacyv1alpha1.OutcomeApproved, decided, midnight.Add(30*day)), midnight,
			LIAState{Phase: privacyv1alpha1.PhaseApproved, Reason: privacyv1alpha1.ReasonReviewDue, NextChange: midnight.Add(30 * day)}, "due by 2026-07-15 (within 30 days)"},
		{"review tomorrow", decision(privacyv1alpha1.OutcomeApproved, decided, midnight.Add(day)), now,
			LIAState{Phase: privacyv1alpha1.PhaseApproved, Reason: privacyv1alpha1.ReasonReviewDue, NextChange: midnight.Add(day)}, "(within 1 day)"},
		{"review later today", decision(privacyv1alpha1.OutcomeApproved, decided, now.Add(time.Hour)), now,
			LIAState{Phase: privacyv1alpha1.PhaseApproved, Reason: privacyv1alpha1.ReasonReviewDue, NextChange: now.Add(time.Hour)}, "(today)"},
		{"approved, review date is now: expired", decision(privacyv1alpha1.OutcomeApproved, decided, now), now,
			LIAState{Phase: privacyv1alpha1.PhaseExpired, Reason: privacyv1alpha1.ReasonExpired}, "has passed"},
		{"approved, review date passed", decision(privacyv1alpha1.OutcomeApproved, decided, now.Add(-time.Second)), now,
			LIAState{Phase: privacyv1alpha1.PhaseExpired, Reason: privacyv1alpha1.ReasonExpired}, "has passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := liaSpec(tt.decision)
			got := LIAStateAt(&spec, tt.at)
			msg := got.Message
			got.Message = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LIAStateAt (-want +got):\n%s", diff)
			}
			if !strings.Contains(msg, tt.inMsg) {
				t.Errorf("message %q does not say %q", msg, tt.inMsg)
			}
			if got.Usable() != (tt.want.Phase == privacyv1alpha1.PhaseApproved) {
				t.Errorf("Usable() = %v for phase %s", got.Usable(), got.Phase)
			}
		})
	}
}

func TestDaysLeft(t *testing.T) {
	midnight := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		now, t time.Time
		want   int
	}{
		{"30 days out at midnight", midnight, midnight.Add(30 * day), 30},
		{"30 days out, a second after midnight", midnight.Add(time.Second), midnight.Add(30 * day), 30},
		{"30 days out, a second before the next midnight", midnight.Add(day - time.Second), midnight.Add(30 * day), 30},
		{"tomorrow", now, midnight.Add(day), 1},
		{"later today", now, now.Add(time.Hour), 0},
		{"now: passed", now, now, -1},
		{"earlier today: passed", now, now.Add(-time.Hour), -1},
		{"yesterday", now, midnight.Add(-time.Hour), -1},
		{"two days ago", now, midnight.Add(-2 * day), -2},
		{"dates are UTC", now, time.Date(2026, 6, 26, 2, 0, 0, 0, time.FixedZone("+03", 3*3600)), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DaysLeft(tt.now, tt.t); got != tt.want {
				t.Errorf("DaysLeft(%s, %s) = %d, want %d", tt.now, tt.t, got, tt.want)
			}
		})
	}
}

func liActivity(mutate func(*privacyv1alpha1.ProcessingActivitySpec)) *privacyv1alpha1.ProcessingActivity {
	pa := &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "prospecting"},
		Spec: privacyv1alpha1.ProcessingActivitySpec{
			Purposes:              []string{"Prospecting companies for the sale of our software"},
			LegalBasis:            privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisLegitimateInterests, LegitimateInterestAssessmentRef: &privacyv1alpha1.LocalObjectReference{Name: "prospecting"}},
			DataSubjectCategories: []string{"B2B prospects"},
		}}
	if mutate != nil {
		mutate(&pa.Spec)
	}
	return pa
}

func liaObject(d *privacyv1alpha1.LIADecision, mutate func(*privacyv1alpha1.LegitimateInterestAssessmentSpec)) *privacyv1alpha1.LegitimateInterestAssessment {
	lia := &privacyv1alpha1.LegitimateInterestAssessment{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "prospecting"}, Spec: liaSpec(d)}
	if mutate != nil {
		mutate(&lia.Spec)
	}
	return lia
}

func selectIn(field privacyv1alpha1.LogicalFieldName, values ...string) func(*privacyv1alpha1.ProcessingActivitySpec) {
	return func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.ContactSelector = &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
			{Field: field, Operator: privacyv1alpha1.SelectorOpIn, Values: values}}}
	}
}

type findingKey struct{ Code, Severity, Field string }

func keys(fs []privacyv1alpha1.Finding) []findingKey {
	var out []findingKey
	for _, f := range fs {
		out = append(out, findingKey{f.Code, string(f.Severity), f.Field})
	}
	return out
}

func TestCheckLegitimateInterests(t *testing.T) {
	reviewBy := now.AddDate(0, 6, 0)
	tests := []struct {
		name     string
		pa       *privacyv1alpha1.ProcessingActivity
		lia      *privacyv1alpha1.LegitimateInterestAssessment
		status   metav1.ConditionStatus
		reason   string
		findings []findingKey
		next     time.Time
		inMsg    string
	}{
		{name: "no reference", pa: liActivity(func(s *privacyv1alpha1.ProcessingActivitySpec) { s.LegalBasis.LegitimateInterestAssessmentRef = nil }),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonLIANotFound, inMsg: "set spec.legalBasis.legitimateInterestAssessmentRef"},
		{name: "the LIA does not exist", pa: liActivity(nil),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonLIANotFound, inMsg: "does not exist in namespace sales",
			findings: []findingKey{{privacyv1alpha1.ReasonLIANotFound, "Violation", liaRefField}}},
		{name: "a draft", pa: liActivity(nil), lia: liaObject(nil, nil),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonLIANotApproved, inMsg: "is Draft",
			findings: []findingKey{{privacyv1alpha1.ReasonLIANotApproved, "Violation", liaRefField}}},
		{name: "rejected", pa: liActivity(nil), lia: liaObject(decision(privacyv1alpha1.OutcomeRejected, now.Add(-day), reviewBy), nil),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonLIANotApproved, inMsg: "is Rejected",
			findings: []findingKey{{privacyv1alpha1.ReasonLIANotApproved, "Violation", liaRefField}}},
		{name: "expired", pa: liActivity(nil), lia: liaObject(approvedUntil(now.Add(-time.Second)), nil),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonExpired, inMsg: "is Expired",
			findings: []findingKey{{privacyv1alpha1.ReasonExpired, "Violation", liaRefField}}},
		{name: "approved and covering B2B sales and board", pa: liActivity(func(s *privacyv1alpha1.ProcessingActivitySpec) {
			selectIn(privacyv1alpha1.FieldJobRole, "Sales ", "board")(s)
		}), lia: liaObject(approvedUntil(reviewBy), nil),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled, next: reviewBy.Add(-LIAReviewWarning),
			inMsg: "approved until 2026-12-15 and covers the activity (contact types B2B, 3 job roles)"},
		{name: "approved, review due: a warning, still valid", pa: liActivity(nil), lia: liaObject(approvedUntil(now.Add(5*day)), nil),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled, next: now.Add(5 * day),
			findings: []findingKey{{privacyv1alpha1.ReasonReviewDue, "Warning", liaRefField}}},
		{name: "selecting B2C contacts is out of scope", pa: liActivity(selectIn(privacyv1alpha1.FieldContactType, "B2B", "B2C")), lia: liaObject(approvedUntil(reviewBy), nil),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonLIAOutOfScope, next: reviewBy.Add(-LIAReviewWarning), inMsg: `contactType "B2C"`,
			findings: []findingKey{{privacyv1alpha1.ReasonLIAOutOfScope, "Violation", "spec.contactSelector.matchExpressions[0]"}}},
		{name: "B2C stays out of scope even if the LIA lists it", pa: liActivity(selectIn(privacyv1alpha1.FieldContactType, "B2C")),
			lia: liaObject(approvedUntil(reviewBy), func(s *privacyv1alpha1.LegitimateInterestAssessmentSpec) {
				s.Scope.ContactTypes = append(s.Scope.ContactTypes, privacyv1alpha1.ContactTypeB2C)
			}),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonLIAOutOfScope, next: reviewBy.Add(-LIAReviewWarning),
			findings: []findingKey{{privacyv1alpha1.ReasonLIAOutOfScope, "Violation", "spec.contactSelector.matchExpressions[0]"}}},
		{name: "a job role the LIA does not allow", pa: liActivity(selectIn(privacyv1alpha1.FieldJobRole, "sales", "hr")), lia: liaObject(approvedUntil(reviewBy), nil),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonLIAOutOfScope, next: reviewBy.Add(-LIAReviewWarning), inMsg: `jobRole "hr"`,
			findings: []findingKey{{privacyv1alpha1.ReasonLIAOutOfScope, "Violation", "spec.contactSelector.matchExpressions[0]"}}},
		{name: "a data-subject category naming consumers", pa: liActivity(func(s *privacyv1alpha1.ProcessingActivitySpec) {
			s.DataSubjectCategories = []string{"B2B prospects", "private customers"}
		}), lia: liaObject(approvedUntil(reviewBy), nil),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonLIAOutOfScope, next: reviewBy.Add(-LIAReviewWarning),
			findings: []findingKey{{privacyv1alpha1.ReasonLIAOutOfScope, "Violation", "spec.dataSubjectCategories[1]"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckLegitimateInterests(tt.pa, tt.lia, now)
			if got.Status != tt.status || got.Reason != tt.reason {
				t.Errorf("outcome = %s %s (%s), want %s %s", got.Status, got.Reason, got.Message, tt.status, tt.reason)
			}
			if diff := cmp.Diff(tt.findings, keys(got.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if !got.Next.Equal(tt.next) {
				t.Errorf("next = %s, want %s", got.Next, tt.next)
			}
			if !strings.Contains(got.Message, tt.inMsg) {
				t.Errorf("message %q does not say %q", got.Message, tt.inMsg)
			}
		})
	}
}
