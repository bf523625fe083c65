package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// activitySpec is a valid activity on a contract, with its erasure time limits in words, no
// processor and no DPIA needed: every condition is True.
func activitySpec() privacyv1alpha1.ProcessingActivitySpec {
	return privacyv1alpha1.ProcessingActivitySpec{
		Controller:             privacyv1alpha1.ControllerParty{Name: "Northwind Trading GmbH", Email: "privacy@northwind.example"},
		Purposes:               []string{"Account management of existing B2B customers"},
		LegalBasis:             privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisContract},
		DataSubjectCategories:  []string{"customer contacts"},
		PersonalDataCategories: []string{"identity", "professional contact details"},
		ErasureTimeLimits:      "3 years after the end of the contract",
	}
}

func newActivity(t *testing.T, ns, name string, mutate func(*privacyv1alpha1.ProcessingActivitySpec)) *privacyv1alpha1.ProcessingActivity {
	t.Helper()
	pa := &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: activitySpec()}
	if mutate != nil {
		mutate(&pa.Spec)
	}
	if err := k8s.Create(context.Background(), pa); err != nil {
		t.Fatalf("creating ProcessingActivity %s: %v", name, err)
	}
	return pa
}

// updateActivity changes an activity's spec, retrying on conflicts with status updates.
func updateActivity(t *testing.T, pa *privacyv1alpha1.ProcessingActivity, mutate func(*privacyv1alpha1.ProcessingActivitySpec)) {
	t.Helper()
	eventually(t, 10*time.Second, "updating "+pa.Name, func() (bool, error) {
		if err := k8s.Get(context.Background(), key(pa), pa); err != nil {
			return false, err
		}
		mutate(&pa.Spec)
		err := k8s.Update(context.Background(), pa)
		return err == nil, err
	})
}

// waitActivityCondition waits for a condition of the activity's current generation.
func waitActivityCondition(t *testing.T, pa *privacyv1alpha1.ProcessingActivity, condType string, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	var got metav1.Condition
	eventually(t, 60*time.Second, fmt.Sprintf("%s of %s to be %s %s", condType, pa.Name, status, reason), func() (bool, error) {
		if err := k8s.Get(context.Background(), key(pa), pa); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(pa.Status.Conditions, condType)
		if c == nil {
			return false, fmt.Errorf("no %s condition yet", condType)
		}
		got = *c
		if c.Status != status || c.Reason != reason || c.ObservedGeneration != pa.Generation {
			return false, fmt.Errorf("%s is %s (%s, generation %d of %d): %s", condType, c.Status, c.Reason, c.ObservedGeneration, pa.Generation, c.Message)
		}
		return true, nil
	})
	return got
}

type findingKey struct{ Code, Severity, Field string }

func findingKeys(fs []privacyv1alpha1.Finding) []findingKey {
	var out []findingKey
	for _, f := range fs {
		out = append(out, findingKey{f.Code, string(f.Severity), f.Field})
	}
	return out
}

func TestProcessingActivityChecksTheDeclaration(t *testing.T) {
	ns := newNamespace(t)
	now := time.Now()
	pa := newActivity(t, ns, "hosting", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.ErasureTimeLimits = ""
		s.Profiling = true
		s.Processors = []privacyv1alpha1.Processor{
			{Name: "Cloudline CRM Inc.", Role: "hosts the CRM", Country: "US"},
			{Name: "MailRelay GmbH", Role: "sends the newsletters", Country: "DE", Contract: &privacyv1alpha1.ProcessorContract{
				SignedAt: metav1.NewTime(now.AddDate(-3, 0, 0)), ExpiresAt: ptrTime(now.Add(-24 * time.Hour))}},
			{Name: "DataCare Backup NV", Role: "backups", Country: "BE", Contract: &privacyv1alpha1.ProcessorContract{
				SignedAt: metav1.NewTime(now.AddDate(-1, 0, 0)), ExpiresAt: ptrTime(now.Add(10 * 24 * time.Hour))}},
		}
	})
	waitActivityCondition(t, pa, privacyv1alpha1.TypeDPIAInPlace, metav1.ConditionFalse, privacyv1alpha1.ReasonDPIARequired)
	// Findings are the DPO's work, not a failure to reconcile: Ready stays True and names
	// the conditions that report them; neither Reconciling nor Stalled is set.
	ready := waitActivityCondition(t, pa, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	if !strings.Contains(ready.Message, "DPIAInPlace (DPIARequired)") || !strings.Contains(ready.Message, "ProcessorsCovered (ContractMissing)") {
		t.Errorf("Ready message %q does not name the findings", ready.Message)
	}
	for _, typ := range []string{privacyv1alpha1.TypeReconciling, privacyv1alpha1.TypeStalled} {
		if c := meta.FindStatusCondition(pa.Status.Conditions, typ); c != nil {
			t.Errorf("%s = %+v on an activity with findings, want none", typ, c)
		}
	}
	want := map[string]struct {
		status metav1.ConditionStatus
		reason string
	}{
		privacyv1alpha1.TypeLegalBasisValid:   {metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled},
		privacyv1alpha1.TypeDPIAInPlace:       {metav1.ConditionFalse, privacyv1alpha1.ReasonDPIARequired},
		privacyv1alpha1.TypeRetentionDefined:  {metav1.ConditionFalse, privacyv1alpha1.ReasonRetentionMissing},
		privacyv1alpha1.TypeProcessorsCovered: {metav1.ConditionFalse, privacyv1alpha1.ReasonContractMissing},
		privacyv1alpha1.TypeCompliant:         {metav1.ConditionTrue, privacyv1alpha1.ReasonNotRequired},
	}
	for typ, w := range want {
		c := meta.FindStatusCondition(pa.Status.Conditions, typ)
		if c == nil || c.Status != w.status || c.Reason != w.reason {
			t.Errorf("%s = %+v, want %s %s", typ, c, w.status, w.reason)
		}
	}
	processors := meta.FindStatusCondition(pa.Status.Conditions, privacyv1alpha1.TypeProcessorsCovered)
	for _, s := range []string{"Cloudline CRM Inc. has no Art. 28 contract", "MailRelay GmbH expired on", "no transfer to US is recorded"} {
		if !strings.Contains(processors.Message, s) {
			t.Errorf("ProcessorsCovered message %q does not say %q", processors.Message, s)
		}
	}
	wantFindings := []findingKey{
		{privacyv1alpha1.ReasonDPIARequired, "Violation", "spec.dpia"},
		{privacyv1alpha1.ReasonRetentionMissing, "Violation", "spec.retentionPolicyRefs"},
		{privacyv1alpha1.ReasonContractMissing, "Violation", "spec.processors[0].contract"},
		{privacyv1alpha1.ReasonTransferWithoutSafeguard, "Violation", "spec.processors[0].country"},
		{privacyv1alpha1.ReasonContractExpired, "Violation", "spec.processors[1].contract.expiresAt"},
		{privacyv1alpha1.ReasonContractExpiring, "Warning", "spec.processors[2].contract.expiresAt"},
	}
	if diff := cmp.Diff(wantFindings, findingKeys(pa.Status.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	// Fixing the declaration makes every condition True; the expiring contract stays a
	// warning.
	updateActivity(t, pa, func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.ErasureTimeLimits = "24 months after the last contact"
		s.Processors[0].Contract = &privacyv1alpha1.ProcessorContract{SignedAt: metav1.NewTime(now.AddDate(-1, 0, 0))}
		s.Processors[1].Contract.ExpiresAt = ptrTime(now.AddDate(2, 0, 0))
		s.Transfers = []privacyv1alpha1.Transfer{{Country: "US", Recipient: "Cloudline CRM Inc.", Safeguard: privacyv1alpha1.SafeguardSCC}}
		s.DPIA = &privacyv1alpha1.DPIA{Reference: "DPIA-2026-07", CompletedAt: ptrTime(now.AddDate(0, -1, 0))}
	})
	waitActivityCondition(t, pa, privacyv1alpha1.TypeDPIAInPlace, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	if ready := waitActivityCondition(t, pa, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled); ready.Message != "the activity is valid and compliant as declared" {
		t.Errorf("Ready message %q after the fix", ready.Message)
	}
	if diff := cmp.Diff([]findingKey{{privacyv1alpha1.ReasonContractExpiring, "Warning", "spec.processors[2].contract.expiresAt"}}, findingKeys(pa.Status.Findings)); diff != "" {
		t.Errorf("findings after the fix (-want +got):\n%s", diff)
	}

	// A reference to a RetentionPolicy that does not exist, and two WP248 criteria without
	// profiling (special categories count as sensitive data).
	updateActivity(t, pa, func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.RetentionPolicyRefs = []privacyv1alpha1.LocalObjectReference{{Name: "nowhere"}}
		s.Profiling = false
		s.DPIA = &privacyv1alpha1.DPIA{CriteriaMet: []privacyv1alpha1.WP248Criterion{privacyv1alpha1.CriterionLargeScale}}
		s.SpecialCategories = []privacyv1alpha1.SpecialCategoryUse{{Category: privacyv1alpha1.CategoryHealth, Condition: privacyv1alpha1.ConditionExplicitConsent}}
	})
	waitActivityCondition(t, pa, privacyv1alpha1.TypeRetentionDefined, metav1.ConditionFalse, privacyv1alpha1.ReasonPolicyNotFound)
	c := waitActivityCondition(t, pa, privacyv1alpha1.TypeDPIAInPlace, metav1.ConditionFalse, privacyv1alpha1.ReasonDPIARequired)
	if !strings.Contains(c.Message, "2 WP248 criteria (LargeScale, SensitiveData)") {
		t.Errorf("DPIAInPlace message %q does not name the two criteria", c.Message)
	}
}

func ptrTime(t time.Time) *metav1.Time { v := metav1.NewTime(t); return &v }

func TestProcessingActivityLegitimateInterests(t *testing.T) {
	ns := newNamespace(t)
	pa := newActivity(t, ns, "prospecting", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.LegalBasis = privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisLegitimateInterests,
			LegitimateInterestAssessmentRef: &privacyv1alpha1.LocalObjectReference{Name: "b2b"}}
		s.DataSubjectCategories = []string{"B2B prospects"}
	})
	waitActivityCondition(t, pa, privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, privacyv1alpha1.ReasonLIANotFound)

	// The LIA appears as a draft, then is approved: the activity follows.
	lia := newLIA(t, ns, "b2b", nil)
	waitActivityCondition(t, pa, privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, privacyv1alpha1.ReasonLIANotApproved)
	setDecision(t, lia, decision(privacyv1alpha1.OutcomeApproved, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)))
	waitActivityCondition(t, pa, privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)

	// Consumers and job roles outside the LIA's scope are not covered.
	updateActivity(t, pa, func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.DataSubjectCategories = []string{"B2B prospects", "Consumers who visited the booth"}
		s.ContactSelector = &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
			{Field: privacyv1alpha1.FieldJobRole, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"Sales", "intern"}},
		}}
	})
	c := waitActivityCondition(t, pa, privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, privacyv1alpha1.ReasonLIAOutOfScope)
	for _, s := range []string{`jobRole "intern"`, `"Consumers who visited the booth" names consumers`} {
		if !strings.Contains(c.Message, s) {
			t.Errorf("LegalBasisValid message %q does not say %q", c.Message, s)
		}
	}
	if strings.Contains(c.Message, `"Sales"`) {
		t.Errorf("job roles compare without regard to case, but %q is reported: %s", "Sales", c.Message)
	}
}

func TestProcessingActivityDatabaseNotFound(t *testing.T) {
	ns := newNamespace(t)
	pa := newActivity(t, ns, "newsletter", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.LegalBasis = privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisConsent}
		s.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "missing"}}
	})
	c := waitActivityCondition(t, pa, privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionUnknown, privacyv1alpha1.ReasonDatabaseNotReady)
	if !strings.Contains(c.Message, "CRMDatabase missing does not exist") {
		t.Errorf("LegalBasisValid message %q does not say the database is missing", c.Message)
	}
	waitActivityCondition(t, pa, privacyv1alpha1.TypeCompliant, metav1.ConditionFalse, privacyv1alpha1.ReasonDatabaseNotFound)
	// A covered database that does not exist is a failure to reconcile, retried.
	waitActivityCondition(t, pa, privacyv1alpha1.TypeReady, metav1.ConditionFalse, privacyv1alpha1.ReasonDatabaseNotReady)
	waitActivityCondition(t, pa, privacyv1alpha1.TypeReconciling, metav1.ConditionTrue, privacyv1alpha1.ReasonDatabaseNotReady)
}

// TestProcessingActivityScansContacts scans a real PostgreSQL database: exact counts in the
// status and the metrics, a rescan on change that sees the database's new state.
func TestProcessingActivityScansContacts(t *testing.T) {
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	tdb.Exec(t, `INSERT INTO contacts (contact_type, job_role, legal_basis, consent_at, consent_method, opt_out, birth_date) VALUES
		('B2B', 'sales', 'Consent', now(), 'web form', false, NULL),
		('B2B', 'sales', 'consent', NULL, 'web form', false, NULL),
		('B2C', NULL, NULL, NULL, NULL, false, NULL),
		('B2B', 'board', 'Consent', now(), 'email', true, NULL),
		('B2C', NULL, 'Contract', NULL, NULL, false, '1980-01-01')`)
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)

	pa := newActivity(t, ns, "newsletter", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.LegalBasis = privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisConsent}
		s.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "crm"}}
	})
	waitActivityCondition(t, pa, privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	c := waitActivityCondition(t, pa, privacyv1alpha1.TypeCompliant, metav1.ConditionFalse, privacyv1alpha1.ReasonNonCompliantContacts)
	if !strings.Contains(c.Message, "of 5 contacts in scope, 1 without a legal basis, 1 on consent without evidence, 1 opted out, 1 with restricted fields filled in") {
		t.Errorf("Compliant message: %s", c.Message)
	}
	// Contacts that break a rule are the DPO's work: Ready stays True and says where to look.
	if ready := waitActivityCondition(t, pa, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled); !strings.Contains(ready.Message, "Compliant (NonCompliantContacts)") {
		t.Errorf("Ready message %q does not name the Compliant finding", ready.Message)
	}
	got := scanCounts(pa)
	// On consent, the LIA scope check does not apply: no count, not 0.
	want := scanRow{InScope: n(5), NoLegalBasis: n(1), ConsentWithoutEvidence: n(1), OptedOut: n(1), Restricted: n(1)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status.compliance (-want +got):\n%s", diff)
	}
	if v := gaugeValue(t, "crm_privacy_compliance_findings_contacts", ns, pa.Name, "optedOutInScope"); v != 1 {
		t.Errorf("compliance_findings_contacts{finding=optedOutInScope} = %v, want 1", v)
	}
	if v := gaugeValue(t, "crm_privacy_compliance_contacts_in_scope", ns, pa.Name, ""); v != 5 {
		t.Errorf("compliance_contacts_in_scope = %v, want 5", v)
	}

	// The CRM is fixed (consent evidence recorded) and the activity narrowed to B2B contacts
	// who did not opt out: the change of spec rescans, and sees the database's new state.
	tdb.Exec(t, `UPDATE contacts SET consent_at = now() WHERE consent_at IS NULL AND legal_basis = 'consent'`)
	updateActivity(t, pa, func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.ContactSelector = &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
			{Field: privacyv1alpha1.FieldContactType, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"B2B"}},
			{Field: privacyv1alpha1.FieldOptOut, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"false"}},
		}}
	})
	// Ready was True before the fix too (findings do not make it False): wait for the
	// rescan itself, Compliant turning True.
	waitActivityCondition(t, pa, privacyv1alpha1.TypeCompliant, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	if diff := cmp.Diff(scanRow{InScope: n(2), NoLegalBasis: n(0), ConsentWithoutEvidence: n(0), OptedOut: n(0), Restricted: n(0)}, scanCounts(pa)); diff != "" {
		t.Errorf("status.compliance after the fix (-want +got):\n%s", diff)
	}

	// A selector on a field the database does not map is an invalid spec.
	updateActivity(t, pa, func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.ContactSelector = &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
			{Field: "loyaltyTier", Operator: privacyv1alpha1.SelectorOpExists},
		}}
	})
	c = waitActivityCondition(t, pa, privacyv1alpha1.TypeCompliant, metav1.ConditionFalse, privacyv1alpha1.ReasonInvalidSpec)
	if !strings.Contains(c.Message, "loyaltyTier") {
		t.Errorf("Compliant message %q does not name the unmapped field", c.Message)
	}
	// An invalid spec waits for a person: Ready False and Stalled, not Reconciling.
	waitActivityCondition(t, pa, privacyv1alpha1.TypeReady, metav1.ConditionFalse, privacyv1alpha1.ReasonInvalidSpec)
	waitActivityCondition(t, pa, privacyv1alpha1.TypeStalled, metav1.ConditionTrue, privacyv1alpha1.ReasonInvalidSpec)
	if c := meta.FindStatusCondition(pa.Status.Conditions, privacyv1alpha1.TypeReconciling); c != nil {
		t.Errorf("Reconciling = %+v beside Stalled, want none", c)
	}
}

// TestProcessingActivityNotCheckable: a database that does not map the consent evidence
// nor any restricted field fails the consent basis, and reports those checks as not
// checkable rather than as zero.
func TestProcessingActivityNotCheckable(t *testing.T) {
	tdb := testdb.SQLite(t)
	tdb.LoadFile(t, sampleSchema("generic-sqlite.sql"))
	tdb.Exec(t, `INSERT INTO contacts (contact_type, job_role, legal_basis) VALUES ('B2B', 'sales', 'Consent'), ('B2B', 'sales', 'Contract')`)
	ns := newNamespace(t)
	newSparselyMappedDatabase(t, ns, tdb)
	pa := newActivity(t, ns, "newsletter", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.LegalBasis = privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisConsent}
		s.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "crm"}}
	})
	c := waitActivityCondition(t, pa, privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, privacyv1alpha1.ReasonConsentEvidenceMissing)
	if !strings.Contains(c.Message, "CRMDatabase crm does not map consentAt nor consentMethod") {
		t.Errorf("LegalBasisValid message: %s", c.Message)
	}
	waitActivityCondition(t, pa, privacyv1alpha1.TypeCompliant, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	if len(pa.Status.Compliance) != 1 {
		t.Fatalf("status.compliance = %+v", pa.Status.Compliance)
	}
	entry := pa.Status.Compliance[0]
	wantUnchecked := []privacyv1alpha1.UncheckedCheck{
		{Check: privacyv1alpha1.CheckConsentWithoutEvidence, Reason: privacyv1alpha1.UncheckedNotMapped, Message: "the mapping has no consentAt, consentMethod field"},
		{Check: privacyv1alpha1.CheckLegitimateInterestOutOfScope, Reason: privacyv1alpha1.UncheckedNotApplicable, Message: "the activity is not on legitimate interests"},
		{Check: privacyv1alpha1.CheckRestrictedFieldsFilled, Reason: privacyv1alpha1.UncheckedNotMapped, Message: "the mapping declares no restricted fields"},
	}
	if diff := cmp.Diff(wantUnchecked, entry.Unchecked); diff != "" {
		t.Errorf("status.compliance[0].unchecked (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(scanRow{InScope: n(2), NoLegalBasis: n(0), OptedOut: n(0)}, scanCounts(pa)); diff != "" {
		t.Errorf("status.compliance counts (-want +got):\n%s", diff)
	}
	if entry.Message != "" || entry.Reason != "" {
		t.Errorf("the scan ran, yet reason %q, message %q", entry.Reason, entry.Message)
	}
	if v := gaugeValue(t, "crm_privacy_compliance_check_checkable", ns, pa.Name, "consentWithoutEvidence"); v != 0 {
		t.Errorf("compliance_check_checkable{finding=consentWithoutEvidence} = %v, want 0", v)
	}
	found := false
	for _, f := range pa.Status.Findings {
		found = found || (f.Code == privacyv1alpha1.ReasonNotCheckable && f.Severity == privacyv1alpha1.SeverityWarning)
	}
	if !found {
		t.Errorf("no NotCheckable warning in %+v", pa.Status.Findings)
	}
}

// scanRow holds the counts of status.compliance[0]; nil is a check that did not run.
type scanRow struct {
	InScope, NoLegalBasis, ConsentWithoutEvidence, LIOutOfScope, OptedOut, Restricted *int64
}

func n(v int64) *int64 { return &v }

func scanCounts(pa *privacyv1alpha1.ProcessingActivity) scanRow {
	if len(pa.Status.Compliance) != 1 {
		return scanRow{InScope: n(-1)}
	}
	c := pa.Status.Compliance[0]
	return scanRow{c.ContactsInScope, c.NoLegalBasis, c.ConsentWithoutEvidence, c.LegitimateInterestOutOfScope, c.OptedOutInScope, c.RestrictedFieldsFilled}
}

// gaugeValue reads a gauge of the operator's registry for an activity on database crm
// (and a finding, when not empty); -1 when the series does not exist.
func gaugeValue(t *testing.T, name, ns, activity, finding string) float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"namespace": ns, "activity": activity, "database": "crm"}
	if finding != "" {
		want["finding"] = finding
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if cmp.Equal(want, got) {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// TestProcessingActivityDirectMarketing: the opted-out check follows spec.directMarketing,
// not the purposes' wording. A "mailing" purpose on the contract basis with the field unset
// gets a Warning asking to declare it and no opted-out count (NotApplicable, not 0); once
// directMarketing is true, opted-out contacts are counted and break the rules.
func TestProcessingActivityDirectMarketing(t *testing.T) {
	tdb := testdb.SQLite(t)
	tdb.LoadFile(t, sampleSchema("generic-sqlite.sql"))
	tdb.Exec(t, `INSERT INTO contacts (contact_type, job_role, legal_basis, opt_out) VALUES ('B2B', 'sales', 'Contract', 0), ('B2B', 'sales', 'Contract', 1)`)
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)
	pa := newActivity(t, ns, "customer-mailing", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.Purposes = []string{"Quarterly product mailing to existing customers"}
		s.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "crm"}}
	})
	waitActivityCondition(t, pa, privacyv1alpha1.TypeCompliant, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	if got := scanCounts(pa).OptedOut; got != nil {
		t.Errorf("optedOutInScope = %d with directMarketing unset, want no count", *got)
	}
	wantUnchecked := privacyv1alpha1.UncheckedCheck{Check: privacyv1alpha1.CheckOptedOutInScope, Reason: privacyv1alpha1.UncheckedNotApplicable,
		Message: "the activity is neither on consent or legitimate interests nor direct marketing (spec.directMarketing)"}
	if !slices.Contains(pa.Status.Compliance[0].Unchecked, wantUnchecked) {
		t.Errorf("unchecked = %+v, want %+v among them", pa.Status.Compliance[0].Unchecked, wantUnchecked)
	}
	hint := findingKey{privacyv1alpha1.ReasonDirectMarketingUndeclared, "Warning", "spec.directMarketing"}
	if !slices.Contains(findingKeys(pa.Status.Findings), hint) {
		t.Errorf("findings %+v lack %+v", findingKeys(pa.Status.Findings), hint)
	}

	updateActivity(t, pa, func(s *privacyv1alpha1.ProcessingActivitySpec) { s.DirectMarketing = ptr(true) })
	waitActivityCondition(t, pa, privacyv1alpha1.TypeCompliant, metav1.ConditionFalse, privacyv1alpha1.ReasonNonCompliantContacts)
	if got := scanCounts(pa).OptedOut; got == nil || *got != 1 {
		t.Errorf("optedOutInScope = %v with directMarketing true, want 1", got)
	}
	if slices.Contains(findingKeys(pa.Status.Findings), hint) {
		t.Errorf("the DirectMarketingUndeclared warning stays once the field is set: %+v", pa.Status.Findings)
	}
}
