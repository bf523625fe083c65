package dsr

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
)

// TestCountSelected: the contacts of the given keys a selector selects, on every engine,
// over the generic seed (1 and 5 are Alice's two contacts: 1 a B2B prospect, 5 a B2B
// lead; 4 is opted out; 3 is a B2C customer).
func TestCountSelected(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		seedGeneric(t, admin)
		m := genericMapping()
		ctx := crmtest.TestContext(t)
		req := func(field, op string, values ...string) crm.Requirement {
			return crm.Requirement{Field: field, Operator: op, Values: values}
		}
		cases := []struct {
			name string
			keys []string
			sel  crm.Selector
			want int64
		}{
			{"no selector: every contact that exists", []string{"1", "5", "999"}, nil, 2},
			{"one of the two is a prospect", []string{"1", "5"}, crm.Selector{req(crm.FieldLifecycleStage, crm.OpIn, "prospect")}, 1},
			{"neither is B2C", []string{"1", "5"}, crm.Selector{req(crm.FieldContactType, crm.OpIn, "B2C")}, 0},
			{"the B2C customer is", []string{"3"}, crm.Selector{req(crm.FieldContactType, crm.OpIn, "B2C")}, 1},
			{"opted out, excluded by NotIn true", []string{"4"}, crm.Selector{req(crm.FieldOptOut, crm.OpNotIn, "true")}, 0},
			{"not opted out, kept by NotIn true", []string{"1"}, crm.Selector{req(crm.FieldOptOut, crm.OpNotIn, "true")}, 1},
			{"a conjunction", []string{"1", "5"}, crm.Selector{req(crm.FieldContactType, crm.OpIn, "B2B"), req(crm.FieldLifecycleStage, crm.OpIn, "lead")}, 1},
			{"a value that looks like SQL is bound", []string{"1"}, crm.Selector{req(crm.FieldLastName, crm.OpIn, "x' OR '1'='1")}, 0},
			{"no keys", nil, crm.Selector{req(crm.FieldContactType, crm.OpIn, "B2B")}, 0},
		}
		for _, c := range cases {
			got, err := CountSelected(ctx, db, m, c.keys, "spec.contactSelector", c.sel)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got != c.want {
				t.Errorf("%s: %d selected, want %d", c.name, got, c.want)
			}
		}
		_, err := CountSelected(ctx, db, m, []string{"1"}, "spec.contactSelector", crm.Selector{req("shoeSize", crm.OpIn, "42")})
		var se *crm.SelectorError
		if !errors.As(err, &se) {
			t.Errorf("an unmapped field: %v, want a SelectorError", err)
		}
	})
}
