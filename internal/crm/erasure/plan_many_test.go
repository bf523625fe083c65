package erasure

import (
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
)

// TestCountPlansCountsEachPlanAsCountPlan: several plans counted together (a ChangePreview's
// candidate beside the live policy) give, plan by plan, what CountPlan gives for each, on
// every engine; and an invalid plan fails the whole call rather than leaving a gap.
func TestCountPlansCountsEachPlanAsCountPlan(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		seedExpired(t, ec.Engine, admin, 10)
		m, _ := crm.Preset(crm.PresetGeneric)
		ctx := crmtest.TestContext(t)
		strict := prospectPlan()
		lenient := prospectPlan()
		lenient.Rules[0].Cutoff = time.Now().AddDate(-5, 0, 0)
		held := prospectPlan()
		held.Holds = []crm.Selector{{{Field: crm.FieldEmail, Operator: crm.OpIn, Values: []string{"p1@example.test", "p2@example.test"}}}}

		got, err := CountPlans(ctx, db, m, strict, lenient, held)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]RuleCount
		for _, p := range []RetentionPlan{strict, lenient, held} {
			c, err := CountPlan(ctx, db, m, p)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, c)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("CountPlans (-CountPlan one by one +together):\n%s", d)
		}
		if got[0][0].Pending != 10 || got[1][0].Pending != 0 || got[2][0].Pending != 8 || got[2][0].Held != 2 {
			t.Errorf("counts = %+v; want 10 pending, 0 pending, 8 pending and 2 held", got)
		}

		bad := prospectPlan()
		bad.Rules[0].Selector = crm.Selector{{Field: "loyaltyTier", Operator: crm.OpIn, Values: []string{"gold"}}}
		var se *crm.SelectorError
		if _, err := CountPlans(ctx, db, m, strict, bad); !errors.As(err, &se) {
			t.Errorf("CountPlans with an unmapped field = %v; want a SelectorError", err)
		}
	})
}
