package crm

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest/agreement"
)

// TestScanAgreesWithReference: the compliance scan's scope is exactly the contacts the
// reference evaluator selects, and its opt-out check counts exactly those of them that
// opted out, on every engine (see internal/crm/crmtest/agreement).
func TestScanAgreesWithReference(t *testing.T) {
	agreementEngines(t, func(t *testing.T, e Engine, db *Database, admin *sql.DB) {
		for _, optColumn := range []string{"opt_native", "opt_int"} {
			t.Run(optColumn, func(t *testing.T) {
				ctx := testContext(t)
				m := agreement.Mapping(optColumn)
				rows := agreement.ReadRows(t, string(e), admin, optColumn)
				for i, sel := range agreement.Selectors {
					name := fmt.Sprintf("%d:%s", i, agreement.String(sel))
					want, _, wantOptedOut, err := agreement.Expect(sel, rows)
					if err != nil {
						t.Fatalf("%s: reference: %v", name, err)
					}
					res, err := db.ScanCompliance(ctx, m, ScanSpec{Selector: sel, Marketing: true})
					if err != nil {
						t.Fatalf("%s: ScanCompliance: %v", name, err)
					}
					if res.InScope != int64(len(want)) || res.Counts[CheckOptedOutInScope] != int64(len(wantOptedOut)) {
						t.Errorf("%s: scan in scope %d, opted out %d; reference %d, %d", name, res.InScope, res.Counts[CheckOptedOutInScope], len(want), len(wantOptedOut))
					}
				}
				for _, sel := range agreement.Invalid {
					var se *SelectorError
					if _, err := db.ScanCompliance(ctx, m, ScanSpec{Selector: sel}); !errors.As(err, &se) {
						t.Errorf("%s: ScanCompliance error = %v, want a SelectorError", agreement.String(sel), err)
					}
				}
			})
		}
	})
}
