package controllers

import (
	"errors"
	"strings"
	"testing"
	"time"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// TestParsePolicyNamesTheTermItCannotEvaluate: a term the API now refuses (9999y) may
// still be stored from before; the operator refuses it before any SQL runs, naming the
// field, instead of failing every run with "timestamp out of range".
func TestParsePolicyNamesTheTermItCannotEvaluate(t *testing.T) {
	p := &privacyv1alpha1.RetentionPolicy{Spec: privacyv1alpha1.RetentionPolicySpec{Schedule: "@daily", Rules: []privacyv1alpha1.RetentionRule{
		{Name: "prospects", RetainFor: "24m", Action: privacyv1alpha1.ActionDelete},
		{Name: "archive", RetainFor: "9999y", Action: privacyv1alpha1.ActionDelete},
	}}}
	_, err := parsePolicy(p)
	var ce *conditionError
	if !errors.As(err, &ce) || ce.reason != privacyv1alpha1.ReasonInvalidSpec {
		t.Fatalf("parsePolicy = %v; want an InvalidSpec condition error", err)
	}
	for _, want := range []string{"spec.rules[1] (archive).retainFor", `"9999y"`, "at most 100 years"} {
		if !strings.Contains(ce.message, want) {
			t.Errorf("message %q does not say %q", ce.message, want)
		}
	}
}

// TestRunIDs: run ids read back tell whose run they claim to be, and nothing else.
func TestRunIDs(t *testing.T) {
	p := &privacyv1alpha1.RetentionPolicy{}
	p.UID = "0af5918d-1111-2222-3333-444455556666"
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		attempt int32
		want    string
	}{{1, "20261122T100000Z-0af5918d"}, {2, "20261122T100000Z-0af5918d-2"}} {
		id := newRunID(p, at, tc.attempt)
		if id != tc.want {
			t.Errorf("newRunID(attempt %d) = %s, want %s", tc.attempt, id, tc.want)
		}
		parts, err := parseRunID(id)
		if err != nil || !parts.scheduledAt.Equal(at) || parts.uid != "0af5918d" || parts.attempt != tc.attempt {
			t.Errorf("parseRunID(%s) = %+v, %v", id, parts, err)
		}
	}
	for _, bad := range []string{"", "20261122T100000Z", "x-0af5918d", "20261122T100000Z--2", "20261122T100000Z-0af5918d-1", "20261122T100000Z-0af5918d-x", "20261122T100000Z-0af5918d-2-3"} {
		if _, err := parseRunID(bad); err == nil {
			t.Errorf("parseRunID(%q) accepted", bad)
		}
	}
}

// TestParsePolicyRefusesMisplacedMinimizeRules: the API server refuses these; a policy
// stored past it (an older CRD) must not become "anonymise everyone now", nor hide the
// contacts of a retention rule behind a minimize rule.
func TestParsePolicyRefusesMisplacedMinimizeRules(t *testing.T) {
	yes := true
	minimize := privacyv1alpha1.RetentionRule{Name: "private", Minimize: &yes, Action: privacyv1alpha1.ActionAnonymize,
		Anonymize: []privacyv1alpha1.AnonymizeField{{Field: privacyv1alpha1.FieldBirthDate, Strategy: privacyv1alpha1.StrategyNull}}}
	prospects := privacyv1alpha1.RetentionRule{Name: "prospects", RetainFor: "24m", Action: privacyv1alpha1.ActionDelete}
	withTerm, deleting := minimize, minimize
	withTerm.RetainFor = "1d"
	deleting.Action, deleting.Anonymize = privacyv1alpha1.ActionDelete, nil
	for _, tc := range []struct {
		name  string
		rules []privacyv1alpha1.RetentionRule
		want  string // "" when accepted
	}{
		{"minimize last", []privacyv1alpha1.RetentionRule{prospects, minimize}, ""},
		{"minimize first", []privacyv1alpha1.RetentionRule{minimize, prospects}, "spec.rules[1] (prospects) comes after the minimize rule spec.rules[0]: put minimize rules last"},
		{"minimize with a term", []privacyv1alpha1.RetentionRule{withTerm}, "spec.rules[0] (private): a minimize rule has no retainFor"},
		{"minimize deleting", []privacyv1alpha1.RetentionRule{deleting}, "spec.rules[0] (private): a minimize rule needs action Anonymize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &privacyv1alpha1.RetentionPolicy{Spec: privacyv1alpha1.RetentionPolicySpec{Schedule: "@daily", Rules: tc.rules}}
			s, err := parsePolicy(p)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("parsePolicy = %v", err)
				}
				plan := retentionPlan(p, s, time.Now())
				if r := plan.Rules[1]; !r.Minimize || !r.Cutoff.IsZero() {
					t.Errorf("minimize rule compiled to %+v; want Minimize and no cutoff", r)
				}
				if r := plan.Rules[0]; r.Minimize || r.Cutoff.IsZero() {
					t.Errorf("retention rule compiled to %+v; want a cutoff", r)
				}
				return
			}
			var ce *conditionError
			if !errors.As(err, &ce) || ce.reason != privacyv1alpha1.ReasonInvalidSpec || ce.message != tc.want {
				t.Fatalf("parsePolicy = %v; want InvalidSpec %q", err, tc.want)
			}
		})
	}
}
