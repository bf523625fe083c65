package scan

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest/agreement"
)

// TestScanAgreesWithReference: the compliance scan's scope is exactly the contacts the
// reference evaluator selects, and its opt-out check counts exactly those of them that
// opted out, on every engine (see internal/crm/crmtest/agreement).
func TestScanAgreesWithReference(t *testing.T) {
	crmtest.AgreementEngines(t, func(t *testing.T, e crm.Engine, db *crm.Database, admin *sql.DB) {
		for _, optColumn := range []string{"opt_native", "opt_int"} {
			t.Run(optColumn, func(t *testing.T) {
				ctx := crmtest.TestContext(t)
				m := agreement.Mapping(optColumn)
				rows := agreement.ReadRows(t, string(e), admin, optColumn)
				for i, sel := range agreement.Selectors {
					name := fmt.Sprintf("%d:%s", i, agreement.String(sel))
					want, _, wantOptedOut, err := agreement.Expect(sel, rows)
					if err != nil {
						t.Fatalf("%s: reference: %v", name, err)
					}
					res, err := Compliance(ctx, db, m, Spec{Selector: sel, Marketing: true})
					if err != nil {
						t.Fatalf("%s: ScanCompliance: %v", name, err)
					}
					if res.InScope != int64(len(want)) || res.Counts[CheckOptedOutInScope] != int64(len(wantOptedOut)) {
						t.Errorf("%s: scan in scope %d, opted out %d; reference %d, %d", name, res.InScope, res.Counts[CheckOptedOutInScope], len(want), len(wantOptedOut))
					}
				}
				for _, sel := range agreement.Invalid {
					var se *crm.SelectorError
					if _, err := Compliance(ctx, db, m, Spec{Selector: sel}); !errors.As(err, &se) {
						t.Errorf("%s: ScanCompliance error = %v, want a SelectorError", agreement.String(sel), err)
					}
				}
			})
		}
	})
}
