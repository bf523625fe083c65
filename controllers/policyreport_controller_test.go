package controllers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

const (
	policyReportAbsentLog    = "The PolicyReport API is not installed"
	policyReportInstalledLog = "The PolicyReport API is installed"
)

// getPolicyReport reads a PolicyReport from the API server.
func getPolicyReport(ctx context.Context, ns, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(controllers.PolicyReportGVK)
	err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u)
	return u, err
}

// newSparselyMappedDatabase registers tdb (the generic schema) as CRMDatabase "crm" with
// only legalBasis, contactType and optOut mapped: no consent evidence, no restricted field,
// so some checks of the compliance scan cannot run. It waits for it to be ready.
func newSparselyMappedDatabase(t *testing.T, ns string, tdb *testdb.Database) {
	t.Helper()
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{mapping: &privacyv1alpha1.SchemaMapping{
		Contacts: &privacyv1alpha1.ContactsMapping{Table: "contacts", Key: "id"},
		Fields: []privacyv1alpha1.FieldMapping{
			{Name: privacyv1alpha1.FieldLegalBasis, Column: "legal_basis"},
			{Name: privacyv1alpha1.FieldContactType, Column: "contact_type"},
			{Name: privacyv1alpha1.FieldOptOut, Column: "opt_out"},
		},
	}})
	waitDatabaseReady(t, db)
}

// reportResult is what the test compares of one result: the check (or finding code), its
// database, its result and the count.
type reportResult struct{ Policy, Rule, Database, Result, Contacts string }

func reportResults(u *unstructured.Unstructured) []reportResult {
	var out []reportResult
	results, _, _ := unstructured.NestedSlice(u.Object, "results")
	for _, r := range results {
		m := r.(map[string]any)
		props, _ := m["properties"].(map[string]any)
		db, _ := props["database"].(string)
		n, _ := props["contacts"].(string)
		out = append(out, reportResult{m["policy"].(string), m["rule"].(string), db, m["result"].(string), n})
	}
	return out
}

// TestPolicyReports: with --policy-reports and no PolicyReport API, the operator says so
// once and writes nothing; once the CRD is installed, each activity gets a report of its
// findings — counts only, owned by the activity — that follows the findings when they
// change and is not rewritten when they do not.
func TestPolicyReports(t *testing.T) {
	ctx := context.Background()
	tdb := testdb.SQLite(t)
	tdb.LoadFile(t, sampleSchema("generic-sqlite.sql"))
	tdb.Exec(t, `INSERT INTO contacts (email, contact_type, job_role, legal_basis) VALUES
		('ann@example.com', 'B2B', 'sales', 'Consent'), ('bob@example.com', 'B2B', 'sales', 'Contract'), ('cid@example.com', 'B2B', 'sales', NULL)`)
	ns := newNamespace(t)
	newSparselyMappedDatabase(t, ns, tdb)

	// No PolicyReport API: the activity is scanned as usual, the report controller does
	// nothing and says nothing more than the one line it logged at start.
	logsBefore := len(capturedLogs.String())
	pa := newActivity(t, ns, "newsletter", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.LegalBasis = privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisConsent}
		s.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "crm"}}
	})
	waitActivityCondition(t, pa, privacyv1alpha1.TypeCompliant, metav1.ConditionFalse, privacyv1alpha1.ReasonNonCompliantContacts)
	logs := capturedLogs.String()
	if !strings.Contains(logs, policyReportAbsentLog) {
		t.Errorf("the manager did not log that the PolicyReport API is missing")
	}
	since := logs[logsBefore:]
	if n := strings.Count(since, policyReportAbsentLog); n != 0 {
		t.Errorf("the missing PolicyReport API was logged again %d times while the activity was reconciled; want once, at start", n)
	}
	if strings.Contains(since, `"controller": "policyreport"`) && strings.Contains(since, "Reconciler error") {
		t.Errorf("the policyreport controller failed without the API:\n%s", since)
	}

	// The CRD is installed: the operator notices and writes the report.
	crds, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{filepath.Join("testdata", "policyreport")}, ErrorIfPathMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Leave the API server as the other tests found it, and wait until the operator has
		// seen the API go (it logs that once).
		mark := len(capturedLogs.String())
		if err := envtest.UninstallCRDs(cfg, envtest.CRDInstallOptions{CRDs: crds}); err != nil {
			t.Error(err)
		}
		eventually(t, 30*time.Second, "the operator to see the PolicyReport API go", func() (bool, error) {
			return strings.Contains(capturedLogs.String()[mark:], policyReportAbsentLog), nil
		})
	})
	name := "crm-privacy-" + pa.Name
	want := []reportResult{
		{"gdpr-contact-compliance", "noLegalBasis", "crm", "fail", "1"},
		{"gdpr-contact-compliance", "consentWithoutEvidence", "crm", "warn", ""},
		{"gdpr-contact-compliance", "legitimateInterestOutOfScope", "crm", "skip", ""},
		{"gdpr-contact-compliance", "optedOutInScope", "crm", "pass", "0"},
		{"gdpr-contact-compliance", "restrictedFieldsFilled", "crm", "warn", ""},
	}
	var report *unstructured.Unstructured
	eventually(t, 30*time.Second, "the activity's PolicyReport", func() (bool, error) {
		var err error
		if report, err = getPolicyReport(ctx, ns, name); err != nil {
			return false, err
		}
		got := reportResults(report)
		if len(got) < len(want) {
			return false, fmt.Errorf("results %v", got)
		}
		return cmp.Equal(want, got[:len(want)]), fmt.Errorf("results (-want +got): %s", cmp.Diff(want, got[:len(want)]))
	})
	if n := strings.Count(capturedLogs.String()[logsBefore:], policyReportInstalledLog); n != 1 {
		t.Errorf("the PolicyReport API's arrival was logged %d times, want once", n)
	}
	codes := map[string]string{}
	for _, r := range reportResults(report)[len(want):] {
		if r.Policy != "gdpr-record-of-processing" {
			t.Errorf("unexpected result %+v", r)
		}
		codes[r.Rule] = r.Result
	}
	if codes[privacyv1alpha1.ReasonConsentEvidenceMissing] != "fail" || codes[privacyv1alpha1.ReasonNotCheckable] != "warn" {
		t.Errorf("declaration findings in the report: %v; want ConsentEvidenceMissing fail and NotCheckable warn", codes)
	}
	// pass: optedOutInScope; fail: noLegalBasis and the findings ConsentEvidenceMissing and
	// NonCompliantContacts; warn: the two checks not mapped and NotCheckable; skip: the LIA
	// scope check.
	summary, _, _ := unstructured.NestedMap(report.Object, "summary")
	if diff := cmp.Diff(map[string]any{"pass": int64(1), "fail": int64(3), "warn": int64(3), "error": int64(0), "skip": int64(1)}, summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s\nresults: %v", diff, reportResults(report))
	}
	scope, _, _ := unstructured.NestedStringMap(report.Object, "scope")
	if scope["kind"] != "ProcessingActivity" || scope["name"] != pa.Name || scope["uid"] != string(pa.UID) {
		t.Errorf("scope = %v, want the activity", scope)
	}
	refs := report.GetOwnerReferences()
	if len(refs) != 1 || refs[0].UID != pa.UID || refs[0].Controller == nil || !*refs[0].Controller {
		t.Errorf("ownerReferences = %+v; want the activity as controller, so the report goes with it", refs)
	}
	for _, s := range []string{"ann@example.com", "bob@example.com", "cid@example.com"} {
		if strings.Contains(fmt.Sprint(report.Object), s) {
			t.Errorf("the report quotes a contact's %q", s)
		}
	}

	// The same findings again: a reconcile rewrites nothing.
	rv := report.GetResourceVersion()
	r := controllers.NewInstalledPolicyReportReconciler(directClient(t))
	for range 2 {
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key(pa)}); err != nil {
			t.Fatal(err)
		}
	}
	if report, err = getPolicyReport(ctx, ns, name); err != nil || report.GetResourceVersion() != rv {
		t.Errorf("a reconcile with the same findings rewrote the report: resourceVersion %s -> %s (%v)", rv, report.GetResourceVersion(), err)
	}

	// The findings change (the activity moves to the contract basis): the report follows.
	updateActivity(t, pa, func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.LegalBasis = privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisContract}
	})
	eventually(t, 30*time.Second, "the report to follow the new findings", func() (bool, error) {
		var err error
		if report, err = getPolicyReport(ctx, ns, name); err != nil {
			return false, err
		}
		got := map[string]string{}
		for _, r := range reportResults(report) {
			got[r.Rule] = r.Result
		}
		_, consentFinding := got[privacyv1alpha1.ReasonConsentEvidenceMissing]
		return got["optedOutInScope"] == "skip" && !consentFinding, fmt.Errorf("results %v", got)
	})
}
