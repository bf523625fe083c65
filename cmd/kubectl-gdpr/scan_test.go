package main

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

func scannedActivity(name string, compliance ...privacyv1alpha1.DatabaseCompliance) *privacyv1alpha1.ProcessingActivity {
	pa := registerActivity(name, "Monthly newsletter")
	for _, c := range compliance {
		pa.Spec.DatabaseRefs = append(pa.Spec.DatabaseRefs, privacyv1alpha1.LocalObjectReference{Name: c.Database})
		if c.ScannedAt != nil || c.Message != "" {
			pa.Status.Compliance = append(pa.Status.Compliance, c)
		}
	}
	return &pa
}

var scannedAt = metav1.NewTime(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))

func TestScanTableAndExitCode(t *testing.T) {
	c := fakePluginClient(t,
		scannedActivity("newsletter",
			privacyv1alpha1.DatabaseCompliance{Database: "crm", ScannedAt: &scannedAt, ContactsInScope: 120, NoLegalBasis: 3, ConsentWithoutEvidence: 2, OptedOutInScope: 1},
			privacyv1alpha1.DatabaseCompliance{Database: "legacy", ScannedAt: &scannedAt, ContactsInScope: 40,
				Message: "not checkable: consentWithoutEvidence (the mapping has no consentAt field); restrictedFieldsFilled (the mapping declares no restricted fields)"},
			privacyv1alpha1.DatabaseCompliance{Database: "new"}),
		scannedActivity("accounts",
			privacyv1alpha1.DatabaseCompliance{Database: "crm", ScannedAt: &scannedAt, ContactsInScope: 300}),
	)
	ctx := context.Background()
	var out bytes.Buffer
	err := runScan(ctx, c, &out, "sales", nil, outputTable, false)
	golden(t, "scan-table.golden", out.String())
	var fe *findingsError
	if !errors.As(err, &fe) || fe.msg != "6 findings about contacts in scope: sales/newsletter on crm" {
		t.Errorf("scan with findings: %v, want a findings error (exit code 2)", err)
	}

	// JSON shows a check that could not run as null, not 0.
	out.Reset()
	_ = runScan(ctx, c, &out, "sales", []string{"newsletter"}, outputJSON, false)
	golden(t, "scan-newsletter.json.golden", out.String())

	// A compliant activity alone exits 0.
	out.Reset()
	if err := runScan(ctx, c, &out, "sales", []string{"accounts"}, outputTable, false); err != nil {
		t.Errorf("scan of a compliant activity: %v", err)
	}
	if err := runScan(ctx, c, &out, "sales", []string{"nothing"}, outputTable, false); err == nil {
		t.Error("scan of a missing activity succeeded")
	}
}

func TestNotCheckable(t *testing.T) {
	tests := map[string][]string{
		"": nil,
		"not checkable: consentWithoutEvidence (the mapping has no consentAt, consentMethod field); restrictedFieldsFilled (the mapping declares no restricted fields)": {"consentWithoutEvidence", "restrictedFieldsFilled"},
		"CRMDatabase crm is not ready (ConnectionFailed): refused; the counts are from the scan of 2026-03-04T05:06:07Z":                                                nil,
	}
	for msg, want := range tests {
		if diff := cmp.Diff(want, notCheckable(msg)); diff != "" {
			t.Errorf("notCheckable(%q) (-want +got):\n%s", msg, diff)
		}
	}
}

// The plugin reads what the operator writes: the same check names, and the summary format
// of internal/crm.
func TestScanSpeaksTheOperatorsFormat(t *testing.T) {
	if diff := cmp.Diff(crm.ScanChecks(), scanCheckNames); diff != "" {
		t.Errorf("check names (-operator +plugin):\n%s", diff)
	}
	res := crm.ScanResult{NotCheckable: map[string]string{
		crm.CheckOptedOutInScope:              "the mapping has no optOut field",
		crm.CheckLegitimateInterestOutOfScope: "the mapping has no contactType, jobRole field",
	}}
	want := []string{crm.CheckLegitimateInterestOutOfScope, crm.CheckOptedOutInScope}
	if diff := cmp.Diff(want, notCheckable(res.NotCheckableSummary())); diff != "" {
		t.Errorf("notCheckable(%q) (-want +got):\n%s", res.NotCheckableSummary(), diff)
	}
}
