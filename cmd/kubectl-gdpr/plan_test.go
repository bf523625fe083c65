package main

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func planPolicy(name string, mode privacyv1alpha1.RetentionMode, approved metav1.ConditionStatus, pending ...int64) privacyv1alpha1.RetentionPolicy {
	p := privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: name}}
	p.Spec.Mode = mode
	p.Spec.DatabaseRef.Name = "crm"
	next := metav1.NewTime(time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC))
	p.Status.NextRunAt = &next
	for i, n := range pending {
		p.Status.Rules = append(p.Status.Rules, privacyv1alpha1.RulePending{Name: privacyv1alpha1.ItemName("rule" + string(rune('a'+i))), Pending: n, Held: n % 2})
	}
	p.Status.Conditions = []metav1.Condition{{Type: privacyv1alpha1.TypeApproved, Status: approved, Reason: "x", Message: "plan of 7 erasures exceeds the budget of 1"}}
	return p
}

func TestPlanRowsAndTable(t *testing.T) {
	policies := []privacyv1alpha1.RetentionPolicy{
		planPolicy("prospects", privacyv1alpha1.ModeEnforce, metav1.ConditionTrue, 3, 4),
		planPolicy("newsletter", "", metav1.ConditionFalse),
	}
	rows := planRows(policies)
	want := []planRow{
		{Namespace: "sales", Policy: "prospects", Database: "crm", Mode: "Enforce", Rule: "rulea", Pending: 3, Held: 1, Approved: "True", NextRun: "2026-11-23T03:00:00Z"},
		{Namespace: "sales", Policy: "prospects", Database: "crm", Mode: "Enforce", Rule: "ruleb", Pending: 4, Held: 0, Approved: "True", NextRun: "2026-11-23T03:00:00Z"},
		{Namespace: "sales", Policy: "newsletter", Database: "crm", Mode: "DryRun", Rule: "-", Approved: "False", NextRun: "2026-11-23T03:00:00Z",
			Message: "plan of 7 erasures exceeds the budget of 1"},
	}
	if d := cmp.Diff(want, rows); d != "" {
		t.Fatalf("rows (-want +got):\n%s", d)
	}
	var js bytes.Buffer
	if err := printStructured(&js, outputJSON, rows[:1]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"held": 1`) {
		t.Errorf("-o json lacks the held count:\n%s", js.String())
	}
	var out bytes.Buffer
	if err := printPlanTable(&out, rows, false); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"POLICY", "HELD", "prospects", "rulea", "7 contact(s) pending in total, 1 held", "newsletter: plan of 7"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
}

func TestPlanExitsWithFindingsWhenAnEnforcedPolicyIsBlocked(t *testing.T) {
	ok := []privacyv1alpha1.RetentionPolicy{
		planPolicy("a", privacyv1alpha1.ModeEnforce, metav1.ConditionTrue, 1),
		planPolicy("b", privacyv1alpha1.ModeDryRun, metav1.ConditionFalse, 9),
	}
	if err := blockedPolicies(ok); err != nil {
		t.Errorf("no enforced policy is blocked, got %v", err)
	}
	blocked := slices.Concat(ok, []privacyv1alpha1.RetentionPolicy{planPolicy("c", privacyv1alpha1.ModeEnforce, metav1.ConditionFalse, 9)})
	var fe *findingsError
	if err := blockedPolicies(blocked); !errors.As(err, &fe) || !strings.Contains(fe.msg, "c") {
		t.Errorf("want a findings error naming c, got %v", err)
	}
}
