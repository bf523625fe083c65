package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// liaSpec is a complete assessment of B2B prospecting, with the given decision.
func liaSpec(decision *privacyv1alpha1.LIADecision) privacyv1alpha1.LegitimateInterestAssessmentSpec {
	return privacyv1alpha1.LegitimateInterestAssessmentSpec{
		PurposeTest: privacyv1alpha1.PurposeTest{Interest: "prospecting companies that may need our software"},
		NecessityTest: privacyv1alpha1.NecessityTest{HowItHelps: "only people whose role buys software are contacted",
			Proportionate: true, LessIntrusiveAlternatives: "buying ads reaches no decision maker"},
		BalancingTest: privacyv1alpha1.BalancingTest{
			NatureOfData:           privacyv1alpha1.NatureOfData{Description: "professional contact details"},
			ReasonableExpectations: privacyv1alpha1.ReasonableExpectations{Expected: true, Description: "buyers expect vendors to call"},
			LikelyImpact:           privacyv1alpha1.LikelyImpact{Level: privacyv1alpha1.ImpactLow, Description: "an unwanted email at most"},
			OptOutOffered:          true,
		},
		Scope: privacyv1alpha1.LIAScope{
			ContactTypes: []privacyv1alpha1.ContactType{privacyv1alpha1.ContactTypeB2B},
			JobRoles:     []string{"sales", "purchasing", "board"},
		},
		Decision: decision,
	}
}

func decision(outcome privacyv1alpha1.LIAOutcome, decidedAt, reviewBy time.Time) *privacyv1alpha1.LIADecision {
	return &privacyv1alpha1.LIADecision{Outcome: outcome, DecidedBy: "Data protection board",
		DecidedAt: metav1.NewTime(decidedAt), ReviewBy: metav1.NewTime(reviewBy)}
}

func newLIA(t *testing.T, ns, name string, d *privacyv1alpha1.LIADecision) *privacyv1alpha1.LegitimateInterestAssessment {
	t.Helper()
	lia := &privacyv1alpha1.LegitimateInterestAssessment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: liaSpec(d)}
	if err := k8s.Create(context.Background(), lia); err != nil {
		t.Fatalf("creating LegitimateInterestAssessment %s: %v", name, err)
	}
	return lia
}

// setDecision records a decision on an LIA, retrying on conflicts with status updates.
func setDecision(t *testing.T, lia *privacyv1alpha1.LegitimateInterestAssessment, d *privacyv1alpha1.LIADecision) {
	t.Helper()
	eventually(t, 10*time.Second, "updating "+lia.Name, func() (bool, error) {
		if err := k8s.Get(context.Background(), key(lia), lia); err != nil {
			return false, err
		}
		lia.Spec.Decision = d
		err := k8s.Update(context.Background(), lia)
		return err == nil, err
	})
}

func waitLIA(t *testing.T, lia *privacyv1alpha1.LegitimateInterestAssessment, phase privacyv1alpha1.LIAPhase, reason string, usedBy []string) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("LIA %s to be %s (%s), used by %v", lia.Name, phase, reason, usedBy), func() (bool, error) {
		if err := k8s.Get(context.Background(), key(lia), lia); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(lia.Status.Conditions, privacyv1alpha1.TypeApproved)
		if c == nil || lia.Status.Phase != phase || c.Reason != reason || c.ObservedGeneration != lia.Generation {
			return false, fmt.Errorf("phase %s, condition %+v", lia.Status.Phase, c)
		}
		if diff := cmp.Diff(usedBy, lia.Status.UsedBy); diff != "" {
			return false, fmt.Errorf("usedBy (-want +got): %s", diff)
		}
		return true, nil
	})
}

// findEvent returns the events of a namespace about an object with a reason.
func findEvents(t *testing.T, ns, name, reason string) []eventsv1.Event {
	t.Helper()
	events := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []eventsv1.Event
	for _, e := range events.Items {
		if e.Regarding.Name == name && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

func TestLIAExpiredIsReportedAndUsedByListsActivities(t *testing.T) {
	ns := newNamespace(t)
	now := time.Now()
	expired := newLIA(t, ns, "prospecting", decision(privacyv1alpha1.OutcomeApproved, now.AddDate(-2, 0, 0), now.Add(-24*time.Hour)))
	waitLIA(t, expired, privacyv1alpha1.PhaseExpired, privacyv1alpha1.ReasonExpired, nil)
	// An expired LIA is the DPO's work, not a failure to reconcile: Approved is False,
	// Ready stays True with the phase's reason, and neither Reconciling nor Stalled is set.
	ready := meta.FindStatusCondition(expired.Status.Conditions, privacyv1alpha1.TypeReady)
	if ready == nil || ready.Status != metav1.ConditionTrue || ready.Reason != privacyv1alpha1.ReasonExpired {
		t.Errorf("Ready = %+v, want True Expired", ready)
	}
	if c := meta.FindStatusCondition(expired.Status.Conditions, privacyv1alpha1.TypeApproved); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("Approved = %+v, want False", c)
	}
	for _, typ := range []string{privacyv1alpha1.TypeReconciling, privacyv1alpha1.TypeStalled} {
		if c := meta.FindStatusCondition(expired.Status.Conditions, typ); c != nil {
			t.Errorf("%s = %+v, want none", typ, c)
		}
	}
	eventually(t, 10*time.Second, "a Warning Expired event", func() (bool, error) {
		evs := findEvents(t, ns, expired.Name, privacyv1alpha1.ReasonExpired)
		return len(evs) == 1 && evs[0].Type == "Warning", fmt.Errorf("events: %d", len(evs))
	})

	// An activity relying on it is listed, and loses its legal basis.
	pa := newActivity(t, ns, "cold-calling", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.LegalBasis = privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisLegitimateInterests,
			LegitimateInterestAssessmentRef: &privacyv1alpha1.LocalObjectReference{Name: "prospecting"}}
	})
	waitLIA(t, expired, privacyv1alpha1.PhaseExpired, privacyv1alpha1.ReasonExpired, []string{"cold-calling"})
	waitActivityCondition(t, pa, privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, privacyv1alpha1.ReasonExpired)

	// A review with a new decision approves it again, due for review within 30 days.
	setDecision(t, expired, decision(privacyv1alpha1.OutcomeApproved, now.Add(-time.Hour), now.Add(10*24*time.Hour)))
	waitLIA(t, expired, privacyv1alpha1.PhaseApproved, privacyv1alpha1.ReasonReviewDue, []string{"cold-calling"})
	eventually(t, 10*time.Second, "a Warning ReviewDue event", func() (bool, error) {
		evs := findEvents(t, ns, expired.Name, privacyv1alpha1.ReasonReviewDue)
		return len(evs) == 1, fmt.Errorf("events: %d", len(evs))
	})
	waitActivityCondition(t, pa, privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)

	// Deleting the activity removes it from usedBy.
	if err := k8s.Delete(context.Background(), pa); err != nil {
		t.Fatal(err)
	}
	waitLIA(t, expired, privacyv1alpha1.PhaseApproved, privacyv1alpha1.ReasonReviewDue, nil)
}

func TestLIADraftAndRejected(t *testing.T) {
	ns := newNamespace(t)
	lia := newLIA(t, ns, "draft", nil)
	waitLIA(t, lia, privacyv1alpha1.PhaseDraft, privacyv1alpha1.ReasonDraft, nil)
	setDecision(t, lia, decision(privacyv1alpha1.OutcomeRejected, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)))
	waitLIA(t, lia, privacyv1alpha1.PhaseRejected, privacyv1alpha1.ReasonRejected, nil)
}
