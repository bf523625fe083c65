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
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/scan"
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

func n(v int64) *int64 { return &v }

func unchecked(reason privacyv1alpha1.UncheckedReason, checks ...privacyv1alpha1.ComplianceCheck) []privacyv1alpha1.UncheckedCheck {
	var out []privacyv1alpha1.UncheckedCheck
	for _, c := range checks {
		out = append(out, privacyv1alpha1.UncheckedCheck{Check: c, Reason: reason})
	}
	return out
}

func TestScanTableAndExitCode(t *testing.T) {
	legacyUnchecked := append(unchecked(privacyv1alpha1.UncheckedNotMapped, privacyv1alpha1.CheckConsentWithoutEvidence, privacyv1alpha1.CheckRestrictedFieldsFilled),
		unchecked(privacyv1alpha1.UncheckedNotApplicable, privacyv1alpha1.CheckLegitimateInterestOutOfScope)...)
	c := fakePluginClient(t,
		scannedActivity("newsletter",
			privacyv1alpha1.DatabaseCompliance{Database: "crm", ScannedAt: &scannedAt, ContactsInScope: n(120), NoLegalBasis: n(3), ConsentWithoutEvidence: n(2),
				LegitimateInterestOutOfScope: n(0), OptedOutInScope: n(1), RestrictedFieldsFilled: n(0)},
			privacyv1alpha1.DatabaseCompliance{Database: "legacy", ScannedAt: &scannedAt, ContactsInScope: n(40), NoLegalBasis: n(0), OptedOutInScope: n(0),
				Unchecked: legacyUnchecked},
			privacyv1alpha1.DatabaseCompliance{Database: "new"}),
		scannedActivity("accounts",
			privacyv1alpha1.DatabaseCompliance{Database: "crm", ScannedAt: &scannedAt, ContactsInScope: n(300), NoLegalBasis: n(0), ConsentWithoutEvidence: n(0),
				RestrictedFieldsFilled: n(0), Unchecked: unchecked(privacyv1alpha1.UncheckedNotApplicable, privacyv1alpha1.CheckLegitimateInterestOutOfScope, privacyv1alpha1.CheckOptedOutInScope)}),
	)
	ctx := context.Background()
	var out bytes.Buffer
	err := runScan(ctx, c, &out, "sales", nil, outputTable, false)
	golden(t, "scan-table.golden", out.String())
	var fe *findingsError
	if !errors.As(err, &fe) || fe.msg != "6 findings about contacts in scope: sales/newsletter on crm" {
		t.Errorf("scan with findings: %v, want a findings error (exit code 2)", err)
	}

	// JSON shows a check that did not run as null, not 0, and says why.
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

// The plugin reads the counts and the unchecked list, never the message: a message that
// reads like the old "not checkable: …" prose changes nothing, and a count the status
// leaves out is unknown even when no message mentions it.
func TestScanReadsFieldsNotMessages(t *testing.T) {
	pa := scannedActivity("a")
	tests := []struct {
		name  string
		entry privacyv1alpha1.DatabaseCompliance
		want  scanRow
	}{
		{
			name: "a message naming checks does not hide their counts",
			entry: privacyv1alpha1.DatabaseCompliance{Database: "crm", ScannedAt: &scannedAt, ContactsInScope: n(5), NoLegalBasis: n(2), ConsentWithoutEvidence: n(0),
				Message: "not checkable: noLegalBasis (x); consentWithoutEvidence (y)"},
			want: scanRow{Namespace: "sales", Activity: "a", Database: "crm", ScannedAt: "2026-03-04T05:06:07Z", ContactsInScope: n(5), NoLegalBasis: n(2), ConsentWithoutEvidence: n(0),
				Message: "not checkable: noLegalBasis (x); consentWithoutEvidence (y)"},
		},
		{
			name: "a missing count is unknown without any message",
			entry: privacyv1alpha1.DatabaseCompliance{Database: "crm", ScannedAt: &scannedAt, ContactsInScope: n(5), RestrictedFieldsFilled: n(1),
				Unchecked: unchecked(privacyv1alpha1.UncheckedNotMapped, privacyv1alpha1.CheckOptedOutInScope)},
			want: scanRow{Namespace: "sales", Activity: "a", Database: "crm", ScannedAt: "2026-03-04T05:06:07Z", ContactsInScope: n(5), RestrictedFieldsFilled: n(1),
				Unchecked: unchecked(privacyv1alpha1.UncheckedNotMapped, privacyv1alpha1.CheckOptedOutInScope)},
		},
		{
			name:  "a database that could not be scanned keeps its reason",
			entry: privacyv1alpha1.DatabaseCompliance{Database: "crm", Reason: privacyv1alpha1.ReasonDatabaseNotReady, Message: "CRMDatabase crm is not ready", Unchecked: notScanned()},
			want:  scanRow{Namespace: "sales", Activity: "a", Database: "crm", Reason: privacyv1alpha1.ReasonDatabaseNotReady, Message: "CRMDatabase crm is not ready", Unchecked: notScanned()},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, scanRowOf(pa, tc.entry)); diff != "" {
				t.Errorf("scanRowOf (-want +got):\n%s", diff)
			}
		})
	}
}

// The plugin and the operator name the checks alike: the API's list is the scan's.
func TestScanSpeaksTheOperatorsChecks(t *testing.T) {
	var api []string
	for _, c := range privacyv1alpha1.ComplianceChecks() {
		api = append(api, string(c))
	}
	if diff := cmp.Diff(scan.Checks(), api); diff != "" {
		t.Errorf("check names (-scan +API):\n%s", diff)
	}
}
