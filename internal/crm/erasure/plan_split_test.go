package erasure

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
)

// seedLastContactCases loads the generic schema and contacts of every case of the
// last-contact time (old is before the cutoff of 2 years, recent after it):
//
//	id  stage     type  phone  hold  created  last    interactions
//	 1  prospect  B2B   yes    no    old      old     -
//	 2  prospect  B2B   yes    no    old      recent  -
//	 3  prospect  B2B   yes    no    old      old     recent call
//	 4  prospect  B2B   NULL   no    old      old     recent email
//	 5  prospect  B2B   yes    no    recent   NULL    old call
//	 6  prospect  B2B   yes    no    old      NULL    -
//	 7  prospect  B2B   yes    no    recent   NULL    -
//	 8  prospect  B2B   yes    no    old      NULL    recent call
//	 9  prospect  B2B   yes    no    recent   NULL    old email
//	10  prospect  B2B   yes    yes   recent   NULL    old call
//	11  prospect  B2B   yes    yes   old      old     -
//	12  prospect  B2C   yes    no    recent   NULL    old call
//	13  prospect  B2C   yes    no    old      old     -
//	14  customer  B2B   yes    no    old      NULL    -
func seedLastContactCases(t *testing.T, e crm.Engine, admin *sql.DB) {
	t.Helper()
	crmtest.LoadSample(t, admin, crmtest.GenericSample(e))
	old := "'" + time.Now().AddDate(-3, 0, 0).UTC().Format("2006-01-02 15:04:05") + "'"
	recent := "'" + time.Now().AddDate(0, -1, 0).UTC().Format("2006-01-02 15:04:05") + "'"
	contact := func(id int, stage, typ, phone, hold, created, last string) string {
		return fmt.Sprintf("INSERT INTO contacts (id, email, lifecycle_stage, contact_type, phone, legal_hold, created_at, last_contact_at) VALUES (%d, 'c%d@example.test', '%s', '%s', %s, %s, %s, %s)",
			id, id, stage, typ, phone, hold, created, last)
	}
	interaction := func(id int, kind, at string) string {
		return fmt.Sprintf("INSERT INTO interactions (contact_id, occurred_at, kind) VALUES (%d, %s, '%s')", id, at, kind)
	}
	const phone, hold, free = "'+33 1 00 00 00 00'", "TRUE", "FALSE"
	crmtest.ExecAll(t, admin,
		contact(1, "prospect", "B2B", phone, free, old, old),
		contact(2, "prospect", "B2B", phone, free, old, recent),
		contact(3, "prospect", "B2B", phone, free, old, old), interaction(3, "call", recent),
		contact(4, "prospect", "B2B", "NULL", free, old, old), interaction(4, "email", recent),
		contact(5, "prospect", "B2B", phone, free, recent, "NULL"), interaction(5, "call", old),
		contact(6, "prospect", "B2B", phone, free, old, "NULL"),
		contact(7, "prospect", "B2B", phone, free, recent, "NULL"),
		contact(8, "prospect", "B2B", phone, free, old, "NULL"), interaction(8, "call", recent),
		contact(9, "prospect", "B2B", phone, free, recent, "NULL"), interaction(9, "email", old),
		contact(10, "prospect", "B2B", phone, hold, recent, "NULL"), interaction(10, "call", old),
		contact(11, "prospect", "B2B", phone, hold, old, old),
		contact(12, "prospect", "B2C", phone, free, recent, "NULL"), interaction(12, "call", old),
		contact(13, "prospect", "B2C", phone, free, old, old),
		contact(14, "customer", "B2B", phone, free, old, "NULL"),
	)
}

// TestCountSplitOnLastContactAgreesWithSweep: the count, split on whether a contact's last
// contact is known, counts per rule exactly the contacts the sweep's batch selection (the
// predicate unsplit) acts on, and what the same count unsplit gives, on every engine. The
// contacts without lastContactAt have an older renewing interaction or not, an old
// creation time or not, and the mapping has createdAt or not; the rules cover an earlier
// rule selecting first, an Anonymize rule with nothing left to anonymise on a contact,
// legal holds, a term since creation and one renewed by every kind.
func TestCountSplitOnLastContactAgreesWithSweep(t *testing.T) {
	cutoff := time.Now().AddDate(-2, 0, 0)
	b2c := RetentionRule{
		Name: "b2c", Selector: crm.Selector{{Field: crm.FieldContactType, Operator: crm.OpIn, Values: []string{"B2C"}}},
		Cutoff: cutoff, RenewKinds: []string{"call"}, Action: ActionDeleteContact,
	}
	prospects := RetentionRule{
		Name: "prospects", Selector: crm.Selector{{Field: crm.FieldLifecycleStage, Operator: crm.OpIn, Values: []string{"prospect"}}},
		Cutoff: cutoff, RenewKinds: []string{"call"}, Action: ActionAnonymizeContact,
		Anonymize: []AnonymizeField{{Field: crm.FieldPhone, Strategy: StrategyNull}},
	}
	sinceCreated := RetentionRule{Name: "since-created", Cutoff: cutoff, SinceCreated: true, Action: ActionDeleteContact}
	lastWeek := RetentionRule{Name: "last-week", Cutoff: time.Now().AddDate(0, 0, -7), Action: ActionDeleteContact}
	cases := []struct {
		name          string
		createdMapped bool
		plan          RetentionPlan
		// pending are the keys each rule acts on; held how many more a legal hold keeps.
		pending [][]int64
		held    []int64
	}{{
		name:          "createdAt mapped",
		createdMapped: true,
		plan:          RetentionPlan{Rules: []RetentionRule{b2c, prospects, sinceCreated}},
		pending:       [][]int64{{12, 13}, {1, 5, 6}, {2, 3, 8, 14}},
		held:          []int64{0, 2, 0},
	}, {
		name: "createdAt not mapped",
		plan: RetentionPlan{Rules: []RetentionRule{b2c, prospects, lastWeek}},
		// 6 has neither a last contact, nor an interaction, nor a creation time: never expired.
		pending: [][]int64{{12, 13}, {1, 5}, {2, 3, 8, 9}},
		held:    []int64{0, 2, 0},
	}}
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		seedLastContactCases(t, ec.Engine, admin)
		ctx := crmtest.TestContext(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				m, _ := crm.Preset(crm.PresetGeneric)
				if !tc.createdMapped {
					delete(m.Fields, crm.FieldCreatedAt)
				}
				var want []RuleCount
				for i, r := range tc.plan.Rules {
					want = append(want, RuleCount{Rule: r.Name, Pending: int64(len(tc.pending[i])), Held: tc.held[i]})
					if diff := cmp.Diff(tc.pending[i], ruleCandidates(t, db, m, tc.plan, i)); diff != "" {
						t.Errorf("rule %s: the sweep's candidates (-want +got):\n%s", r.Name, diff)
					}
				}
				got, err := CountPlan(ctx, db, m, tc.plan)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("CountPlan (-want +got):\n%s", diff)
				}

				p, err := countPlanner(ctx, db, m)
				if err != nil {
					t.Fatal(err)
				}
				for i := range tc.plan.Rules {
					if !p.splitsOnLastContact(tc.plan, i) {
						t.Fatalf("the count of rule %d does not split on the last-contact time", i)
					}
				}
				p.splitsCounts = false
				unsplit, err := countPlan(ctx, db, db.DB(), p, tc.plan)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(unsplit, got); diff != "" {
					t.Errorf("CountPlan (-unsplit +split):\n%s", diff)
				}
			})
		}
	})
}

// TestExpiredComparesTheLastContactBeforeProbingInteractions: in a rule's term, the
// last-contact comparison is written before the interaction subquery, on every engine and
// in each case of the split count. MariaDB and SQLite evaluate a WHERE clause's conditions
// in the order written, so a contact contacted recently never runs the subquery (the
// sweep's selection of 1,000 contacts on MariaDB took 21 ms with the subquery first,
// 15 ms after).
func TestExpiredComparesTheLastContactBeforeProbingInteractions(t *testing.T) {
	rule := RetentionRule{Name: "r", Cutoff: time.Now().AddDate(-2, 0, 0), RenewKinds: []string{"call"}, Action: ActionDeleteContact}
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		ctx := crmtest.TestContext(t)
		m, _ := crm.Preset(crm.PresetGeneric)
		p, err := newPlanner(ctx, db, m)
		if err != nil {
			t.Fatal(err)
		}
		last, _ := db.Dialect().QuoteIdent("last_contact_at")
		interactions, _ := db.Dialect().QuoteIdent("interactions")
		for _, c := range []lastContact{lastContactAny, lastContactKnown, lastContactUnknown} {
			s := &crm.SQLText{}
			if err := p.restrictedTo(c).expired(ctx, s, "spec.rules[0]", rule); err != nil {
				t.Fatal(err)
			}
			q := s.Query(db.Dialect())
			at, probe := strings.Index(q, last), strings.Index(q, interactions)
			if at < 0 || probe < 0 || at > probe {
				t.Errorf("case %d: the term probes the interactions before comparing the last contact:\n%s", c, q)
			}
		}
	})
}
