package controllers

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// TestChangePreviewExpiry: an answered preview goes ttlSecondsAfterAnswered after its answer;
// one never answered (its database not ready) goes after max(ttl, 10 minutes) from its
// creation, so that a preview nobody waits for does not stay.
func TestChangePreviewExpiry(t *testing.T) {
	created := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	answeredAt := created.Add(3 * time.Second)
	preview := func(ttl *int32, answered bool) *privacyv1alpha1.ChangePreview {
		cp := &privacyv1alpha1.ChangePreview{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created), Generation: 1},
			Spec: privacyv1alpha1.ChangePreviewSpec{TTLSecondsAfterAnswered: ttl}}
		if answered {
			at := metav1.NewTime(answeredAt)
			cp.Status.AnsweredAt = &at
			cp.Status.Conditions = []metav1.Condition{{Type: privacyv1alpha1.TypeCompleted, Status: metav1.ConditionTrue, ObservedGeneration: 1}}
		}
		return cp
	}
	ttl := func(s int32) *int32 { return &s }
	for _, tc := range []struct {
		name     string
		cp       *privacyv1alpha1.ChangePreview
		want     time.Time
		answered bool
	}{
		{"answered, default ttl", preview(nil, true), answeredAt.Add(10 * time.Minute), true},
		{"answered, ttl 0", preview(ttl(0), true), answeredAt, true},
		{"answered, one day", preview(ttl(86400), true), answeredAt.Add(24 * time.Hour), true},
		{"not answered, ttl 0", preview(ttl(0), false), created.Add(10 * time.Minute), false},
		{"not answered, one day", preview(ttl(86400), false), created.Add(24 * time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, answered := expiry(tc.cp)
			if !got.Equal(tc.want) || answered != tc.answered {
				t.Errorf("expiry = %s, %v; want %s, %v", got, answered, tc.want, tc.answered)
			}
		})
	}
}

// TestComparablePlan: the live policy is counted beside the candidate only on the same
// database and when it can be parsed; otherwise the answer says why.
func TestComparablePlan(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	policy := func(db, term string) *privacyv1alpha1.RetentionPolicy {
		return &privacyv1alpha1.RetentionPolicy{Spec: privacyv1alpha1.RetentionPolicySpec{Schedule: "@daily",
			DatabaseRef: privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db)},
			Rules:       []privacyv1alpha1.RetentionRule{{Name: "prospects", RetainFor: privacyv1alpha1.RetentionTerm(term), Action: privacyv1alpha1.ActionDelete}}}}
	}
	cand := policy("crm", "12m")
	if plan, why := comparablePlan(policy("crm", "24m"), cand, now); why != "" || len(plan.Rules) != 1 || !plan.Rules[0].Cutoff.Equal(now.AddDate(-2, 0, 0)) {
		t.Errorf("same database: plan %+v, why %q", plan, why)
	}
	if _, why := comparablePlan(policy("archive", "24m"), cand, now); why != "the live policy applies to CRMDatabase archive, the candidate to crm: only the candidate is counted" {
		t.Errorf("other database: why %q", why)
	}
	if _, why := comparablePlan(policy("crm", "9999y"), cand, now); why == "" || !strings.Contains(why, "spec.rules[0] (prospects).retainFor") {
		t.Errorf("unparsable live policy: why %q", why)
	}
}
