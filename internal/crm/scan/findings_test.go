package scan

import (
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// findingKeys collects the keys FindingKeys emits.
func findingKeys(t *testing.T, db *crm.Database, m crm.Mapping, spec Spec, check string, limit int) ([]string, int64, error) {
	t.Helper()
	var keys []string
	n, err := FindingKeys(crmtest.TestContext(t), db, m, spec, check, limit, func(k string) error {
		keys = append(keys, k)
		return nil
	})
	return keys, n, err
}

// TestFindingKeysMatchTheCounts: for every check that runs, the keys listed are exactly as
// many as the scan counts, on every engine and under several scopes; and for the fixture's
// worked-out findings they are the expected contacts.
func TestFindingKeysMatchTheCounts(t *testing.T) {
	specs := []struct {
		name string
		spec Spec
	}{
		{"every contact", Spec{LegitimateInterest: salesLIA, Marketing: true}},
		{"B2B contacts", Spec{Selector: crm.Selector{{Field: crm.FieldContactType, Operator: "In", Values: []string{"B2B"}}}, LegitimateInterest: salesLIA, Marketing: true}},
		{"not opted out", Spec{Selector: crm.Selector{{Field: crm.FieldOptOut, Operator: "In", Values: []string{"false"}}}}},
		{"no LIA", Spec{LegitimateInterest: &LIAScope{}, Marketing: true}},
	}
	// The contacts of scanFixture (ids 1..14) that fail each check, every contact in scope.
	wantEvery := map[string][]string{
		CheckNoLegalBasis:                 {"10", "8", "9"},
		CheckConsentWithoutEvidence:       {"2", "3"},
		CheckLegitimateInterestOutOfScope: {"5", "6", "7"},
		CheckOptedOutInScope:              {"10", "4"},
		CheckRestrictedFieldsFilled:       {"11", "13"},
	}
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		insertScanFixture(t, ec.Engine, admin)
		m, _ := crm.Preset(crm.PresetGeneric)
		for _, s := range specs {
			t.Run(s.name, func(t *testing.T) {
				res, err := Compliance(crmtest.TestContext(t), db, m, s.spec)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Counts) == 0 {
					t.Fatal("no check ran")
				}
				for check, count := range res.Counts {
					keys, n, err := findingKeys(t, db, m, s.spec, check, 1000)
					if err != nil {
						t.Fatalf("%s: %v", check, err)
					}
					if n != count || int64(len(keys)) != count {
						t.Errorf("%s: %d keys listed (%d returned), the scan counts %d", check, len(keys), n, count)
					}
					if s.name == "every contact" {
						// Keys come in key order; the integer key sorts numerically, compare as a set.
						got := append([]string(nil), keys...)
						slices.Sort(got)
						if d := cmp.Diff(wantEvery[check], got); d != "" {
							t.Errorf("%s keys (-want +got):\n%s", check, d)
						}
					}
				}
			})
		}
	})
}

func TestFindingKeysRefusals(t *testing.T) {
	tdb := testdb.SQLite(t)
	admin := tdb.Open(t)
	db := crmtest.OpenCRM(t, tdb)
	crmtest.LoadSample(t, admin, crmtest.GenericSample(crm.EngineSQLite))
	insertScanFixture(t, crm.EngineSQLite, admin)
	m, _ := crm.Preset(crm.PresetGeneric)
	spec := Spec{LegitimateInterest: salesLIA}

	// Three contacts have no legal basis: a cap of 3 lists them, a cap of 2 refuses.
	if keys, _, err := findingKeys(t, db, m, spec, CheckNoLegalBasis, 3); err != nil || len(keys) != 3 {
		t.Errorf("cap 3: %v, %v; want the 3 keys", keys, err)
	}
	if _, _, err := findingKeys(t, db, m, spec, CheckNoLegalBasis, 2); !errors.Is(err, ErrTooManyKeys) {
		t.Errorf("cap 2: err = %v, want ErrTooManyKeys", err)
	}
	var unknown *UnknownCheckError
	if _, _, err := findingKeys(t, db, m, spec, "noConsent", 10); !errors.As(err, &unknown) ||
		!strings.Contains(err.Error(), "use one of noLegalBasis, consentWithoutEvidence, legitimateInterestOutOfScope, optedOutInScope, restrictedFieldsFilled") {
		t.Errorf("unknown check: err = %v, want the list of valid checks", err)
	}
	var notRun *CheckNotRunError
	if _, _, err := findingKeys(t, db, m, spec, CheckOptedOutInScope, 10); !errors.As(err, &notRun) || !strings.Contains(err.Error(), "does not apply") {
		t.Errorf("inapplicable check: err = %v, want CheckNotRunError", err)
	}
	delete(m.Fields, crm.FieldConsentAt)
	if _, _, err := findingKeys(t, db, m, spec, CheckConsentWithoutEvidence, 10); !errors.As(err, &notRun) || !strings.Contains(err.Error(), "no consentAt field") {
		t.Errorf("unmapped check: err = %v, want CheckNotRunError naming consentAt", err)
	}
}

// TestFindingKeysSuiteCRM: text keys, fields in contacts_cstm, soft-deleted contacts left
// out, as the scan counts them.
func TestFindingKeysSuiteCRM(t *testing.T) {
	tdb := testdb.MariaDB(t)
	admin := tdb.Open(t)
	db := crmtest.OpenCRM(t, tdb)
	crmtest.LoadSample(t, admin, "suitecrm-mysql.sql")
	for _, r := range []struct{ id, basis, title, contactType string }{
		{"c3", "^legitimate_interest^", "Sales", "B2B"},
		{"c4", "^legitimate_interest^", "Intern", "B2B"},
		{"c7", "^legitimate_interest^", "Sales", "B2C"},
	} {
		scanExec(t, admin, "INSERT INTO contacts (id, deleted, title, lawful_basis) VALUES (?, 0, ?, ?)", r.id, r.title, r.basis)
		scanExec(t, admin, "INSERT INTO contacts_cstm (id_c, contact_type_c) VALUES (?, ?)", r.id, r.contactType)
	}
	scanExec(t, admin, "INSERT INTO contacts (id, deleted, title, lawful_basis) VALUES ('c9', 1, 'Intern', '^legitimate_interest^')")
	scanExec(t, admin, "INSERT INTO contacts_cstm (id_c, contact_type_c) VALUES ('c9', 'B2C')")
	m, err := crm.Resolve(crm.PresetSuiteCRM, crm.Mapping{Fields: map[string]crm.Field{
		crm.FieldContactType: {Column: "contact_type_c", Source: crm.SourceExtension},
	}})
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{LegitimateInterest: salesLIA}
	res, err := Compliance(crmtest.TestContext(t), db, m, spec)
	if err != nil {
		t.Fatal(err)
	}
	keys, _, err := findingKeys(t, db, m, spec, CheckLegitimateInterestOutOfScope, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"c4", "c7"}, keys); d != "" || res.Counts[CheckLegitimateInterestOutOfScope] != 2 {
		t.Errorf("keys (-want +got):\n%s\nscan count %d", d, res.Counts[CheckLegitimateInterestOutOfScope])
	}
}
