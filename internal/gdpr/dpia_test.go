package gdpr

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func TestCheckDPIA(t *testing.T) {
	completed := metav1.NewTime(now.AddDate(0, -2, 0))
	dpia := func(d privacyv1alpha1.DPIA) func(*privacyv1alpha1.ProcessingActivitySpec) {
		return func(s *privacyv1alpha1.ProcessingActivitySpec) { s.DPIA = &d }
	}
	criteria := func(cs ...privacyv1alpha1.WP248Criterion) privacyv1alpha1.DPIA {
		return privacyv1alpha1.DPIA{CriteriaMet: cs}
	}
	health := func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.SpecialCategories = []privacyv1alpha1.SpecialCategoryUse{{Category: privacyv1alpha1.CategoryHealth, Condition: privacyv1alpha1.ConditionExplicitConsent}}
	}
	profiling := func(s *privacyv1alpha1.ProcessingActivitySpec) { s.Profiling = true }
	tests := []struct {
		name     string
		pa       *privacyv1alpha1.ProcessingActivitySpec
		needed   bool
		criteria []privacyv1alpha1.WP248Criterion
		status   metav1.ConditionStatus
		reason   string
		inMsg    string
	}{
		{name: "nothing declared", pa: basis(privacyv1alpha1.BasisContract),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonNotRequired, inMsg: "0 WP248 criteria met"},
		{name: "one criterion is not enough", pa: basis(privacyv1alpha1.BasisContract, dpia(criteria(privacyv1alpha1.CriterionLargeScale))),
			criteria: []privacyv1alpha1.WP248Criterion{privacyv1alpha1.CriterionLargeScale},
			status:   metav1.ConditionTrue, reason: privacyv1alpha1.ReasonNotRequired, inMsg: "1 WP248 criteria met"},
		{name: "two criteria need a DPIA", pa: basis(privacyv1alpha1.BasisContract, dpia(criteria(privacyv1alpha1.CriterionLargeScale, privacyv1alpha1.CriterionMatchingOrCombiningDatasets))),
			needed: true, criteria: []privacyv1alpha1.WP248Criterion{privacyv1alpha1.CriterionLargeScale, privacyv1alpha1.CriterionMatchingOrCombiningDatasets},
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonDPIARequired, inMsg: "it meets 2 WP248 criteria (LargeScale, MatchingOrCombiningDatasets)"},
		{name: "a special category counts as SensitiveData", pa: basis(privacyv1alpha1.BasisContract, health, dpia(criteria(privacyv1alpha1.CriterionLargeScale))),
			needed: true, criteria: []privacyv1alpha1.WP248Criterion{privacyv1alpha1.CriterionLargeScale, privacyv1alpha1.CriterionSensitiveData},
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonDPIARequired, inMsg: "(LargeScale, SensitiveData)"},
		{name: "SensitiveData declared and a special category count once", pa: basis(privacyv1alpha1.BasisContract, health, dpia(criteria(privacyv1alpha1.CriterionSensitiveData))),
			criteria: []privacyv1alpha1.WP248Criterion{privacyv1alpha1.CriterionSensitiveData},
			status:   metav1.ConditionTrue, reason: privacyv1alpha1.ReasonNotRequired},
		{name: "profiling needs a DPIA", pa: basis(privacyv1alpha1.BasisContract, profiling),
			needed: true, status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonDPIARequired, inMsg: "the activity profiles people"},
		{name: "declared required", pa: basis(privacyv1alpha1.BasisContract, dpia(privacyv1alpha1.DPIA{Required: true})),
			needed: true, status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonDPIARequired, inMsg: "it is declared required"},
		{name: "needed and completed", pa: basis(privacyv1alpha1.BasisContract, profiling, dpia(privacyv1alpha1.DPIA{Reference: "DPIA-2026-04", CompletedAt: &completed})),
			needed: true, status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled, inMsg: "DPIA-2026-04 was completed on 2026-04-15"},
		{name: "completed without a reference is not in place", pa: basis(privacyv1alpha1.BasisContract, profiling, dpia(privacyv1alpha1.DPIA{CompletedAt: &completed})),
			needed: true, status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonDPIARequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			need := AssessDPIA(tt.pa)
			if need.Needed != tt.needed {
				t.Errorf("Needed = %v (%v), want %v", need.Needed, need.Why, tt.needed)
			}
			if diff := cmp.Diff(tt.criteria, need.Criteria); diff != "" {
				t.Errorf("criteria (-want +got):\n%s", diff)
			}
			got := CheckDPIA(tt.pa)
			if got.Status != tt.status || got.Reason != tt.reason {
				t.Errorf("outcome = %s %s (%s), want %s %s", got.Status, got.Reason, got.Message, tt.status, tt.reason)
			}
			if !strings.Contains(got.Message, tt.inMsg) {
				t.Errorf("message %q does not say %q", got.Message, tt.inMsg)
			}
			wantFinding := tt.status == metav1.ConditionFalse
			if gotFinding := len(got.Findings) == 1 && got.Findings[0].Field == "spec.dpia"; gotFinding != wantFinding {
				t.Errorf("findings = %+v, want a spec.dpia finding: %v", got.Findings, wantFinding)
			}
		})
	}
}
