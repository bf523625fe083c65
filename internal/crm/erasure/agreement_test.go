package erasure

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest/agreement"
)

// TestPlanAgreesWithReference: a retention rule's selector counts (CountPlan) and picks
// (the sweep's candidate query) exactly the contacts the reference evaluator selects,
// legal holds excluded, on every engine (see internal/crm/crmtest/agreement).
func TestPlanAgreesWithReference(t *testing.T) {
	crmtest.AgreementEngines(t, func(t *testing.T, e crm.Engine, db *crm.Database, admin *sql.DB) {
		for _, optColumn := range []string{"opt_native", "opt_int"} {
			t.Run(optColumn, func(t *testing.T) {
				ctx := crmtest.TestContext(t)
				m := agreement.Mapping(optColumn)
				rows := agreement.ReadRows(t, string(e), admin, optColumn)
				for i, sel := range agreement.Selectors {
					name := fmt.Sprintf("%d:%s", i, agreement.String(sel))
					want, wantPending, _, err := agreement.Expect(sel, rows)
					if err != nil {
						t.Fatalf("%s: reference: %v", name, err)
					}
					plan := RetentionPlan{Rules: []RetentionRule{{Name: "r", Selector: sel, Cutoff: time.Now().Add(time.Hour), SinceCreated: true, Action: ActionDeleteContact}}}
					counts, err := CountPlan(ctx, db, m, plan)
					if err != nil {
						t.Fatalf("%s: CountPlan: %v", name, err)
					}
					if counts[0].Pending != int64(len(wantPending)) || counts[0].Held != int64(len(want)-len(wantPending)) {
						t.Errorf("%s: CountPlan = %d pending, %d held; reference %d pending, %d held", name, counts[0].Pending, counts[0].Held, len(wantPending), len(want)-len(wantPending))
					}
					if diff := cmp.Diff(wantPending, sweepCandidates(t, db, m, plan)); diff != "" {
						t.Errorf("%s: the sweep's candidates (-reference +sql):\n%s", name, diff)
					}
					// A later rule gets every contact the selector does not select: a contact whose
					// field is NULL is not selected by the first rule, so it is the second rule's
					// (a condition that could be NULL would hide it from both).
					plan.Rules = append(plan.Rules, RetentionRule{Name: "rest", Cutoff: time.Now().Add(time.Hour), SinceCreated: true, Action: ActionDeleteContact})
					if counts, err = CountPlan(ctx, db, m, plan); err != nil {
						t.Fatalf("%s: CountPlan: %v", name, err)
					}
					if got, want := counts[1].Pending+counts[1].Held, int64(len(rows)-len(want)); got != want {
						t.Errorf("%s: the next rule counts %d contacts, want the %d the selector does not select", name, got, want)
					}
				}
				for _, sel := range agreement.Invalid {
					var se *crm.SelectorError
					plan := RetentionPlan{Rules: []RetentionRule{{Name: "r", Selector: sel, Cutoff: time.Now(), SinceCreated: true, Action: ActionDeleteContact}}}
					if _, err := CountPlan(ctx, db, m, plan); !errors.As(err, &se) {
						t.Errorf("%s: CountPlan error = %v, want a SelectorError", agreement.String(sel), err)
					}
				}
			})
		}
	})
}

// sweepCandidates returns the keys the sweep would act on in one window over every
// contact.
func sweepCandidates(t *testing.T, db *crm.Database, m crm.Mapping, plan RetentionPlan) []int64 {
	t.Helper()
	return ruleCandidates(t, db, m, plan, 0)
}

// ruleCandidates returns the keys the sweep would act on for rule i of the plan in one
// window over every contact.
func ruleCandidates(t *testing.T, db *crm.Database, m crm.Mapping, plan RetentionPlan, i int) []int64 {
	t.Helper()
	ctx := crmtest.TestContext(t)
	p, err := newPlanner(ctx, db, m)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	end, ok, err := windowEnd(ctx, db, tx, p, "", 1000, singleLane)
	if err != nil {
		t.Fatalf("windowEnd: %v", err)
	}
	if !ok {
		return nil // no contact at all
	}
	keys, err := nextKeys(ctx, db, tx, p, plan, SweepCheckpoint{RuleIndex: i}, end, 1000, singleLane)
	if err != nil {
		t.Fatalf("nextKeys: %v", err)
	}
	out := []int64{}
	for _, k := range keys {
		var n int64
		if _, err := fmt.Sscan(keyText(k), &n); err != nil {
			t.Fatalf("key %v: %v", k, err)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
