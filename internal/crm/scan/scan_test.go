package scan

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

func TestLegalBasisOf(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"Consent", []string{BasisConsent}},
		{"  consent ", []string{BasisConsent}},
		{"CONTRACT", []string{BasisContract}},
		{"LegalObligation", []string{BasisLegalObligation}},
		{"legal_obligation", []string{BasisLegalObligation}},
		{"VitalInterests", []string{BasisVitalInterests}},
		{"PublicTask", []string{BasisPublicTask}},
		{"LegitimateInterests", []string{BasisLegitimateInterests}},
		{"Legitimate Interest", []string{BasisLegitimateInterests}},
		// SuiteCRM's lawful_basis_dom keys, stored as a multienum.
		{"^consent^", []string{BasisConsent}},
		{"^protection_of_interest^", []string{BasisVitalInterests}},
		{"^public_interest^", []string{BasisPublicTask}},
		{"^legitimate_interest^", []string{BasisLegitimateInterests}},
		{"^consent^,^contract^", []string{BasisConsent, BasisContract}},
		{"^withdrawn^", nil},
		{"withdrawn", nil},
		{"", nil},
		{"consnet", nil},
		{"legalXobligation", nil},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, LegalBasisOf(tt.value)); diff != "" {
				t.Errorf("LegalBasisOf(%q) (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

// scanContact is one row of the generic schema's contacts table for the scan tests.
type scanContact struct {
	contactType, jobRole, legalBasis, consentMethod *string
	consentAt                                       bool
	optOut                                          bool
	birthDate                                       bool
	personalPhone, spouseName                       *string
}

func scanStr(v string) *string { return &v }

// scanFixture is 14 contacts whose expected counts are worked out in the comments.
var scanFixture = []scanContact{
	/* 1 */ {contactType: scanStr("B2B"), jobRole: scanStr("sales"), legalBasis: scanStr("Consent"), consentAt: true, consentMethod: scanStr("web form")},
	/* 2 */ {contactType: scanStr("B2B"), jobRole: scanStr("sales"), legalBasis: scanStr("consent"), consentMethod: scanStr("web form")}, // no consentAt
	/* 3 */ {contactType: scanStr("B2C"), legalBasis: scanStr("Consent"), consentAt: true, consentMethod: scanStr("  ")}, // blank method
	/* 4 */ {contactType: scanStr("B2B"), jobRole: scanStr("purchasing"), legalBasis: scanStr("LegitimateInterests"), optOut: true},
	/* 5 */ {contactType: scanStr("B2C"), jobRole: scanStr("sales"), legalBasis: scanStr("legitimate_interest")}, // LI on B2C
	/* 6 */ {contactType: scanStr("B2B"), jobRole: scanStr("intern"), legalBasis: scanStr("Legitimate Interests")}, // role outside the LIA
	/* 7 */ {contactType: scanStr("B2B"), legalBasis: scanStr("^legitimate_interest^")}, // no role
	/* 8 */ {contactType: scanStr("B2B"), jobRole: scanStr("sales")}, // no basis
	/* 9 */ {contactType: scanStr("B2B"), jobRole: scanStr("sales"), legalBasis: scanStr("")}, // empty basis
	/* 10 */ {contactType: scanStr("B2B"), jobRole: scanStr("sales"), legalBasis: scanStr("withdrawn"), optOut: true},
	/* 11 */ {contactType: scanStr("B2B"), jobRole: scanStr("board"), legalBasis: scanStr("Contract"), birthDate: true},
	/* 12 */ {contactType: scanStr("B2B"), jobRole: scanStr("board"), legalBasis: scanStr("contract"), personalPhone: scanStr(" ")}, // blank is empty
	/* 13 */ {contactType: scanStr("B2C"), legalBasis: scanStr("LegalObligation"), spouseName: scanStr("X")},
	/* 14 */ {contactType: scanStr("B2B"), jobRole: scanStr("sales"), legalBasis: scanStr("^consent^,^contract^"), consentAt: true, consentMethod: scanStr("email")},
}

func insertScanFixture(t *testing.T, e crm.Engine, db *sql.DB) {
	t.Helper()
	d, _ := crm.DialectFor(e)
	cols := []string{"contact_type", "job_role", "legal_basis", "consent_at", "consent_method", "opt_out", "birth_date", "personal_phone", "spouse_name"}
	ph := make([]string, len(cols))
	for i := range ph {
		ph[i] = d.Placeholder(i + 1)
	}
	stmt := "INSERT INTO contacts (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
	when := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, c := range scanFixture {
		var consentAt, birth any
		if c.consentAt {
			consentAt = crm.BindTime(e, when)
		}
		if c.birthDate {
			birth = "1980-05-17"
		}
		optOut := any(c.optOut)
		if e != crm.EnginePostgres {
			optOut = map[bool]int{false: 0, true: 1}[c.optOut]
		}
		if _, err := db.ExecContext(crmtest.TestContext(t), stmt, c.contactType, c.jobRole, c.legalBasis, consentAt, c.consentMethod, optOut, birth, c.personalPhone, c.spouseName); err != nil {
			t.Fatalf("inserting contact %d: %v", i+1, err)
		}
	}
}

var salesLIA = &LIAScope{ContactTypes: []string{"B2B"}, JobRoles: []string{"sales", "purchasing", "board"}}

func TestScanCompliance(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want Result
	}{{
		name: "every contact, legitimate interests, marketing",
		spec: Spec{LegitimateInterest: salesLIA, Marketing: true},
		want: Result{InScope: 14, Counts: map[string]int64{
			CheckNoLegalBasis:                 3, // 8, 9, 10
			CheckConsentWithoutEvidence:       2, // 2, 3
			CheckLegitimateInterestOutOfScope: 3, // 5, 6, 7
			CheckOptedOutInScope:              2, // 4, 10
			CheckRestrictedFieldsFilled:       2, // 11, 13
		}},
	}, {
		name: "B2B contacts only",
		spec: Spec{Selector: crm.Selector{{Field: crm.FieldContactType, Operator: "In", Values: []string{"B2B"}}},
			LegitimateInterest: salesLIA, Marketing: true},
		want: Result{InScope: 11, Counts: map[string]int64{
			CheckNoLegalBasis: 3, CheckConsentWithoutEvidence: 1, CheckLegitimateInterestOutOfScope: 2,
			CheckOptedOutInScope: 2, CheckRestrictedFieldsFilled: 1,
		}},
	}, {
		name: "not opted out, not a marketing activity, no LIA",
		spec: Spec{Selector: crm.Selector{{Field: crm.FieldOptOut, Operator: "In", Values: []string{"false"}}}},
		want: Result{InScope: 12, Counts: map[string]int64{
			CheckNoLegalBasis: 2, CheckConsentWithoutEvidence: 2, CheckRestrictedFieldsFilled: 2,
		}},
	}, {
		name: "opted out as a NotIn on a flag",
		spec: Spec{Selector: crm.Selector{{Field: crm.FieldOptOut, Operator: "NotIn", Values: []string{"false"}}}, Marketing: true},
		want: Result{InScope: 2, Counts: map[string]int64{
			CheckNoLegalBasis: 1, CheckConsentWithoutEvidence: 0, CheckOptedOutInScope: 2, CheckRestrictedFieldsFilled: 0,
		}},
	}, {
		name: "job role NotIn leaves out empty roles",
		spec: Spec{Selector: crm.Selector{{Field: crm.FieldJobRole, Operator: "NotIn", Values: []string{"sales"}}}},
		want: Result{InScope: 4, Counts: map[string]int64{ // 4, 6, 11, 12
			CheckNoLegalBasis: 0, CheckConsentWithoutEvidence: 0, CheckRestrictedFieldsFilled: 1,
		}},
	}, {
		name: "job role DoesNotExist",
		spec: Spec{Selector: crm.Selector{{Field: crm.FieldJobRole, Operator: "DoesNotExist"}}},
		want: Result{InScope: 3, Counts: map[string]int64{ // 3, 7, 13
			CheckNoLegalBasis: 0, CheckConsentWithoutEvidence: 1, CheckRestrictedFieldsFilled: 1,
		}},
	}, {
		name: "LIA missing or not approved: every legitimate interest contact is out of scope",
		spec: Spec{LegitimateInterest: &LIAScope{}},
		want: Result{InScope: 14, Counts: map[string]int64{
			CheckNoLegalBasis: 3, CheckConsentWithoutEvidence: 2, CheckLegitimateInterestOutOfScope: 4, CheckRestrictedFieldsFilled: 2,
		}},
	}, {
		name: "values are bound, never SQL",
		spec: Spec{Selector: crm.Selector{{Field: crm.FieldJobRole, Operator: "In", Values: []string{"sales' OR '1'='1"}}}},
		want: Result{InScope: 0, Counts: map[string]int64{
			CheckNoLegalBasis: 0, CheckConsentWithoutEvidence: 0, CheckRestrictedFieldsFilled: 0,
		}},
	}}
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		insertScanFixture(t, ec.Engine, admin)
		m, _ := crm.Preset(crm.PresetGeneric)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := Compliance(crmtest.TestContext(t), db, m, tt.spec)
				if err != nil {
					t.Fatalf("ScanCompliance: %v", err)
				}
				if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("ScanCompliance (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestScanComplianceNotCheckable(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		insertScanFixture(t, ec.Engine, admin)
		m, _ := crm.Preset(crm.PresetGeneric)
		delete(m.Fields, crm.FieldConsentAt)
		delete(m.Fields, crm.FieldJobRole)
		delete(m.Fields, crm.FieldOptOut)
		m.RestrictedFields = nil
		got, err := Compliance(crmtest.TestContext(t), db, m, Spec{LegitimateInterest: salesLIA, Marketing: true})
		if err != nil {
			t.Fatalf("ScanCompliance: %v", err)
		}
		want := Result{InScope: 14, Counts: map[string]int64{CheckNoLegalBasis: 3}, NotCheckable: map[string]string{
			CheckConsentWithoutEvidence:       "the mapping has no consentAt field",
			CheckLegitimateInterestOutOfScope: "the mapping has no jobRole field",
			CheckOptedOutInScope:              "the mapping has no optOut field",
			CheckRestrictedFieldsFilled:       "the mapping declares no restricted fields",
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ScanCompliance (-want +got):\n%s", diff)
		}
		const summary = "not checkable: consentWithoutEvidence (the mapping has no consentAt field); legitimateInterestOutOfScope (the mapping has no jobRole field); optedOutInScope (the mapping has no optOut field); restrictedFieldsFilled (the mapping declares no restricted fields)"
		if s := got.NotCheckableSummary(); s != summary {
			t.Errorf("NotCheckableSummary = %q, want %q", s, summary)
		}

		_, err = Compliance(crmtest.TestContext(t), db, m, Spec{Selector: crm.Selector{{Field: crm.FieldJobRole, Operator: "Exists"}}})
		var unmapped *crm.SelectorError
		if !errors.As(err, &unmapped) || unmapped.Field != "spec.contactSelector.matchExpressions[0].field" || !strings.Contains(unmapped.Message, `"jobRole" is not mapped`) {
			t.Errorf("selector on an unmapped field: err = %v, want a SelectorError naming the field jobRole", err)
		}
		_, err = Compliance(crmtest.TestContext(t), db, m, Spec{Selector: crm.Selector{{Field: crm.FieldLegalHold, Operator: "In", Values: []string{"maybe"}}}})
		var invalid *crm.SelectorError
		if !errors.As(err, &invalid) || invalid.Field != "spec.contactSelector.matchExpressions[0].values[0]" {
			t.Errorf("flag compared with %q: err = %v, want a SelectorError naming the value", "maybe", err)
		}
	})
}

// TestScanComplianceSuiteCRM runs the scan on SuiteCRM's schema: the lawful_basis multienum,
// fields in contacts_cstm, soft-deleted contacts left out.
func TestScanComplianceSuiteCRM(t *testing.T) {
	tdb := testdb.MariaDB(t)
	admin := tdb.Open(t)
	db := crmtest.OpenCRM(t, tdb)
	crmtest.LoadSample(t, admin, "suitecrm-mysql.sql")
	rows := []struct {
		id, basis, title, source, contactType string
		reviewed                              bool
		deleted, doNotCall                    int
		birthdate                             bool
	}{
		{"c1", "^consent^", "Sales", "website", "B2B", true, 0, 0, false},
		{"c2", "^consent^", "Sales", "", "B2B", true, 0, 0, false},                 // no source: no evidence
		{"c3", "^legitimate_interest^", "Sales", "", "B2B", false, 0, 1, false},    // in LIA scope, opted out
		{"c4", "^legitimate_interest^", "Intern", "", "B2B", false, 0, 0, true},    // role outside, birthdate
		{"c5", "^withdrawn^", "Sales", "", "B2C", false, 0, 0, false},              // no basis
		{"c6", "", "Sales", "", "B2B", false, 1, 0, true},                          // soft-deleted: not counted
		{"c7", "^legitimate_interest^", "Sales", "", "B2C", false, 0, 0, false},    // B2C on LI
		{"c8", "^contract^,^consent^", "Board", "phone", "B2B", true, 0, 0, false}, // consent with evidence
	}
	for _, r := range rows {
		var reviewed any
		if r.reviewed {
			reviewed = "2024-02-01"
		}
		var birth any
		if r.birthdate {
			birth = "1975-01-02"
		}
		scanExec(t, admin, "INSERT INTO contacts (id, deleted, title, lawful_basis, lawful_basis_source, date_reviewed, do_not_call, birthdate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			r.id, r.deleted, r.title, r.basis, r.source, reviewed, r.doNotCall, birth)
		scanExec(t, admin, "INSERT INTO contacts_cstm (id_c, contact_type_c) VALUES (?, ?)", r.id, r.contactType)
	}
	m, err := crm.Resolve(crm.PresetSuiteCRM, crm.Mapping{Fields: map[string]crm.Field{
		crm.FieldContactType: {Column: "contact_type_c", Source: crm.SourceExtension},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Compliance(crmtest.TestContext(t), db, m, Spec{LegitimateInterest: salesLIA, Marketing: true})
	if err != nil {
		t.Fatalf("ScanCompliance: %v", err)
	}
	want := Result{InScope: 7, Counts: map[string]int64{
		CheckNoLegalBasis:                 1, // c5
		CheckConsentWithoutEvidence:       1, // c2
		CheckLegitimateInterestOutOfScope: 2, // c4, c7
		CheckOptedOutInScope:              1, // c3
		CheckRestrictedFieldsFilled:       1, // c4 (c6 is soft-deleted)
	}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ScanCompliance (-want +got):\n%s", diff)
	}
}

func scanExec(t *testing.T, db *sql.DB, stmt string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(crmtest.TestContext(t), stmt, args...); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}
