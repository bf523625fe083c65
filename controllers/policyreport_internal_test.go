package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func count(v int64) *int64 { return &v }

// reportRow is what a test compares of a PolicyReport result.
type reportRow struct {
	Policy, Rule, Result, Severity, Message string
	Properties                              map[string]any
}

func reportRows(results []any) []reportRow {
	var out []reportRow
	for _, r := range results {
		m := r.(map[string]any)
		row := reportRow{Policy: m["policy"].(string), Rule: m["rule"].(string), Result: m["result"].(string),
			Severity: m["severity"].(string), Message: m["message"].(string)}
		if p, ok := m["properties"].(map[string]any); ok {
			row.Properties = p
		}
		out = append(out, row)
	}
	return out
}

func TestPolicyReportFor(t *testing.T) {
	scanned := metav1.NewTime(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	tests := []struct {
		name        string
		status      privacyv1alpha1.ProcessingActivityStatus
		want        []reportRow
		wantSummary map[string]any
	}{
		{
			name:        "nothing scanned nor found: an empty report",
			wantSummary: map[string]any{"pass": int64(0), "fail": int64(0), "warn": int64(0), "error": int64(0), "skip": int64(0)},
		},
		{
			name: "a scanned database: counts, a field not mapped, a check that does not apply; a declaration finding",
			status: privacyv1alpha1.ProcessingActivityStatus{
				Compliance: []privacyv1alpha1.DatabaseCompliance{{
					Database: "crm", ScannedAt: &scanned, ContactsInScope: count(40),
					NoLegalBasis: count(3), OptedOutInScope: count(0), RestrictedFieldsFilled: count(12),
					Unchecked: []privacyv1alpha1.UncheckedCheck{
						{Check: privacyv1alpha1.CheckConsentWithoutEvidence, Reason: privacyv1alpha1.UncheckedNotMapped, Message: "the mapping has no consentAt field"},
						{Check: privacyv1alpha1.CheckLegitimateInterestOutOfScope, Reason: privacyv1alpha1.UncheckedNotApplicable},
					},
				}},
				Findings: []privacyv1alpha1.Finding{
					{Code: "ContractExpired", Severity: privacyv1alpha1.SeverityViolation, Field: "spec.processors[0].contract", Message: "the Art. 28 contract of processor Cloudline expired"},
					{Code: "DPIARecommended", Severity: privacyv1alpha1.SeverityInfo, Message: "a DPIA is recommended"},
				},
			},
			want: []reportRow{
				{PolicyComplianceScan, "noLegalBasis", "fail", "high", "3 contact(s) in scope on database crm break noLegalBasis; kubectl gdpr scan lists the counts",
					map[string]any{"database": "crm", "contactsInScope": "40", "contacts": "3"}},
				{PolicyComplianceScan, "consentWithoutEvidence", "warn", "medium", "consentWithoutEvidence cannot run on database crm: its mapping lacks a field the check needs",
					map[string]any{"database": "crm", "contactsInScope": "40", "reason": "NotMapped"}},
				{PolicyComplianceScan, "legitimateInterestOutOfScope", "skip", "high", "legitimateInterestOutOfScope does not apply to this activity",
					map[string]any{"database": "crm", "contactsInScope": "40", "reason": "NotApplicable"}},
				{PolicyComplianceScan, "optedOutInScope", "pass", "high", "no contact in scope on database crm breaks optedOutInScope",
					map[string]any{"database": "crm", "contactsInScope": "40", "contacts": "0"}},
				{PolicyComplianceScan, "restrictedFieldsFilled", "fail", "medium", "12 contact(s) in scope on database crm break restrictedFieldsFilled; kubectl gdpr scan lists the counts",
					map[string]any{"database": "crm", "contactsInScope": "40", "contacts": "12"}},
				{PolicyRecord, "ContractExpired", "fail", "high", "the Art. 28 contract of processor Cloudline expired", map[string]any{"field": "spec.processors[0].contract"}},
				{PolicyRecord, "DPIARecommended", "skip", "info", "a DPIA is recommended", nil},
			},
			wantSummary: map[string]any{"pass": int64(1), "fail": int64(3), "warn": int64(1), "error": int64(0), "skip": int64(2)},
		},
		{
			name: "a database not scanned yet: an error per check, with the reason code only",
			status: privacyv1alpha1.ProcessingActivityStatus{Compliance: []privacyv1alpha1.DatabaseCompliance{{
				Database: "legacy", Reason: privacyv1alpha1.ReasonDatabaseNotReady, Message: "dial tcp 10.0.0.7:5432: connection refused",
				Unchecked: []privacyv1alpha1.UncheckedCheck{{Check: privacyv1alpha1.CheckNoLegalBasis, Reason: privacyv1alpha1.UncheckedNotScanned}},
			}}},
			want: []reportRow{{PolicyComplianceScan, "noLegalBasis", "error", "high", "database legacy was not scanned (DatabaseNotReady): noLegalBasis has no count",
				map[string]any{"database": "legacy", "reason": "NotScanned"}}},
			wantSummary: map[string]any{"pass": int64(0), "fail": int64(0), "warn": int64(0), "error": int64(1), "skip": int64(0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pa := &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "newsletter", UID: "1234"}, Status: tt.status}
			u := policyReportFor(pa)
			results, _ := u.Object["results"].([]any)
			if diff := cmp.Diff(tt.want, reportRows(results)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSummary, u.Object["summary"]); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if u.GetName() != "crm-privacy-newsletter" || u.GetNamespace() != "sales" || u.GetAPIVersion() != "wgpolicyk8s.io/v1alpha2" {
				t.Errorf("report %s/%s %s", u.GetNamespace(), u.GetName(), u.GetAPIVersion())
			}
			refs := u.GetOwnerReferences()
			if len(refs) != 1 || refs[0].UID != "1234" || refs[0].Kind != "ProcessingActivity" || refs[0].Controller == nil || !*refs[0].Controller {
				t.Errorf("ownerReferences = %+v; want the activity as controller", refs)
			}
			if strings.Contains(fmt.Sprint(u.Object), "connection refused") {
				t.Errorf("a database error message reached the report")
			}
		})
	}
}

func TestPolicyReportName(t *testing.T) {
	long := strings.Repeat("a", 253)
	tests := []struct{ activity, want string }{
		{"newsletter", "crm-privacy-newsletter"},
		{long, "crm-privacy-" + long[:253-17-len("crm-privacy-")] + "-"},
	}
	for _, tt := range tests {
		got := policyReportName(tt.activity)
		if !strings.HasPrefix(got, tt.want) || len(got) > 253 {
			t.Errorf("policyReportName(%d chars) = %q (%d chars); want %q… within 253", len(tt.activity), got, len(got), tt.want)
		}
	}
	if policyReportName(long) == policyReportName(long[:252]+"b") {
		t.Errorf("two long names that differ at the end get the same report name")
	}
}
