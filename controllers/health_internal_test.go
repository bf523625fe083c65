package controllers

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// TestSetHealth: Reconciling and Stalled follow Ready, with its reason, message and
// generation, and never both; they go when Ready is True, Unknown or absent.
func TestSetHealth(t *testing.T) {
	ready := func(s metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: privacyv1alpha1.TypeReady, Status: s, Reason: reason, Message: "m", ObservedGeneration: 4}
	}
	derived := func(typ, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: reason, Message: "m", ObservedGeneration: 4}
	}
	tests := []struct {
		name      string
		in        []metav1.Condition
		wantTypes map[string]string // type -> reason of the derived conditions
	}{
		{"no Ready", nil, map[string]string{}},
		{"Ready True", []metav1.Condition{ready(metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)}, map[string]string{}},
		{"Ready True drops a stale Reconciling", []metav1.Condition{ready(metav1.ConditionTrue, privacyv1alpha1.ReasonBudgetExceeded),
			derived(privacyv1alpha1.TypeReconciling, privacyv1alpha1.ReasonDatabaseNotReady)}, map[string]string{}},
		{"Ready Unknown", []metav1.Condition{ready(metav1.ConditionUnknown, privacyv1alpha1.ReasonProgressing)}, map[string]string{}},
		{"retried", []metav1.Condition{ready(metav1.ConditionFalse, privacyv1alpha1.ReasonDatabaseNotReady)},
			map[string]string{privacyv1alpha1.TypeReconciling: privacyv1alpha1.ReasonDatabaseNotReady}},
		{"a run that failed resumes", []metav1.Condition{ready(metav1.ConditionFalse, privacyv1alpha1.ReasonRunFailed)},
			map[string]string{privacyv1alpha1.TypeReconciling: privacyv1alpha1.ReasonRunFailed}},
		{"invalid spec", []metav1.Condition{ready(metav1.ConditionFalse, privacyv1alpha1.ReasonInvalidSpec)},
			map[string]string{privacyv1alpha1.TypeStalled: privacyv1alpha1.ReasonInvalidSpec}},
		{"stalled after retrying", []metav1.Condition{ready(metav1.ConditionFalse, privacyv1alpha1.ReasonSchemaInvalid),
			derived(privacyv1alpha1.TypeReconciling, privacyv1alpha1.ReasonUnreachable)},
			map[string]string{privacyv1alpha1.TypeStalled: privacyv1alpha1.ReasonSchemaInvalid}},
		{"retrying after a fix", []metav1.Condition{ready(metav1.ConditionFalse, privacyv1alpha1.ReasonUnreachable),
			derived(privacyv1alpha1.TypeStalled, privacyv1alpha1.ReasonSchemaInvalid)},
			map[string]string{privacyv1alpha1.TypeReconciling: privacyv1alpha1.ReasonUnreachable}},
		{"finished without success is never retried", []metav1.Condition{ready(metav1.ConditionFalse, privacyv1alpha1.ReasonDatabaseNotFound),
			{Type: privacyv1alpha1.TypeCompleted, Status: metav1.ConditionTrue, Reason: privacyv1alpha1.ReasonDatabaseNotFound}},
			map[string]string{privacyv1alpha1.TypeStalled: privacyv1alpha1.ReasonDatabaseNotFound}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conds := append([]metav1.Condition(nil), tt.in...)
			setHealth(&conds)
			got := map[string]string{}
			for _, c := range conds {
				if c.Type != privacyv1alpha1.TypeReconciling && c.Type != privacyv1alpha1.TypeStalled {
					continue
				}
				got[c.Type] = c.Reason
				if c.Status != metav1.ConditionTrue || c.Message != "m" || c.ObservedGeneration != 4 {
					t.Errorf("%s = %+v, want True with Ready's message and generation", c.Type, c)
				}
			}
			if d := cmp.Diff(tt.wantTypes, got); d != "" {
				t.Errorf("derived conditions (-want +got):\n%s", d)
			}
		})
	}
}
