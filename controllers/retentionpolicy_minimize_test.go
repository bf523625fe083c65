package controllers_test

import (
	"fmt"
	"testing"
	"time"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// TestMinimizeClearsPrivateFieldsOnce drives a policy with a data minimisation rule (issue
// 15, point 8: "clear these private fields on every contact, now", without a fake
// retainFor) against a real database of each engine:
//
//	1–3  B2B prospects out of touch for 3 years, birth date set → deleted by the 24m rule
//	4    B2B customer in touch today, both private fields, a note, a call, a deal
//	                                                          → fields cleared, the rest kept
//	5–6  B2B customers in touch today, both private fields    → fields cleared
//	7    B2B customer never in touch, personal phone only      → field cleared
//	8    B2B customer, private fields already empty            → not selected
//	9    B2B customer under legal hold, birth date set         → held, untouched
//	10   B2C customer, birth date set                          → not matched, untouched
//
// The first run is over the budget and waits for an approval, like any run; it clears the
// fields of 4 contacts whatever their last contact, and leaves their dependents and other
// fields alone. The next run selects nothing, clears nothing and records nothing.
func TestMinimizeClearsPrivateFieldsOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		newDB  func(testing.TB) *testdb.Database
		schema string
		ledger string
	}{
		// The ledger rows of this database: on MariaDB the operator's database holds those of
		// every database of the server, other tests' included.
		{"sqlite", testdb.SQLite, "generic-sqlite.sql", erasure.LedgerRowsSQL(crm.EngineSQLite)},
		{"postgres", testdb.Postgres, "generic-postgres.sql", erasure.LedgerRowsSQL(crm.EnginePostgres)},
		{"mariadb", testdb.MariaDB, "generic-mysql.sql", erasure.LedgerRowsSQL(crm.EngineMySQL)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dp := newDrivenDatabase(t, tc.newDB, tc.schema)
			e := dp.tdb.Engine
			no, yes := "FALSE", "TRUE"
			if e == testdb.EngineSQLite {
				no, yes = "0", "1"
			}
			old, now := ts(e, time.Now().AddDate(-3, 0, 0)), ts(e, time.Now())
			contact := func(id int, contactType, stage, lastContact, birth, phone, hold string) string {
				return fmt.Sprintf("INSERT INTO contacts (id, email, first_name, last_name, company, contact_type, lifecycle_stage, created_at, last_contact_at, legal_hold, birth_date, personal_phone) "+
					"VALUES (%d, 'person%d@example.test', 'First%d', 'Last%d', 'Acme', '%s', '%s', %s, %s, %s, %s, %s)",
					id, id, id, id, contactType, stage, ts(e, time.Now().AddDate(-4, 0, 0)), lastContact, hold, birth, phone)
			}
			dp.tdb.Exec(t,
				contact(1, "B2B", "prospect", old, "'1970-01-01'", "NULL", no),
				contact(2, "B2B", "prospect", old, "'1970-01-02'", "NULL", no),
				contact(3, "B2B", "prospect", old, "'1970-01-03'", "NULL", no),
				contact(4, "B2B", "customer", now, "'1980-04-04'", "'+33 6 00 00 00 04'", no),
				contact(5, "B2B", "customer", now, "'1980-05-05'", "'+33 6 00 00 00 05'", no),
				contact(6, "B2B", "customer", now, "'1980-06-06'", "'+33 6 00 00 00 06'", no),
				contact(7, "B2B", "customer", "NULL", "NULL", "'+33 6 00 00 00 07'", no),
				contact(8, "B2B", "customer", now, "NULL", "NULL", no),
				contact(9, "B2B", "customer", now, "'1980-09-09'", "'+33 6 00 00 00 09'", yes),
				contact(10, "B2C", "customer", now, "'1980-10-10'", "'+33 6 00 00 00 10'", no),
				"INSERT INTO notes (contact_id, body) VALUES (4, 'prefers mornings')",
				"INSERT INTO interactions (contact_id, occurred_at, kind, direction) VALUES (4, "+now+", 'call', 'inbound')",
				"INSERT INTO deals (contact_id, title) VALUES (4, 'Licence renewal')",
			)
			spec := drivenSpec()
			spec.Budget.MaxDeletionPercent = ptr[int32](10) // 10 contacts: 1 per run without an approval
			spec.Rules = append(spec.Rules, privacyv1alpha1.RetentionRule{
				Name:     "private-fields",
				Selector: selector(privacyv1alpha1.FieldContactType, "B2B"),
				Minimize: ptr(true),
				Action:   privacyv1alpha1.ActionAnonymize,
				Anonymize: []privacyv1alpha1.AnonymizeField{
					{Field: privacyv1alpha1.FieldBirthDate, Strategy: privacyv1alpha1.StrategyNull},
					{Field: "personalPhone", Strategy: privacyv1alpha1.StrategyNull},
				},
			})
			dp.create(spec)

			// The first run is counted honestly and waits for an approval.
			dp.reconcileUntil(3, "waiting for an approval", func(p *privacyv1alpha1.RetentionPolicy) bool { return p.Status.AwaitingApproval != nil })
			if got := pendingByRule(dp.p); got["prospects"] != 3 || got["private-fields"] != 4 || deref(dp.p.Status.Pending) != 7 {
				t.Fatalf("pending = %d %v; want 7: 3 prospects to delete and 4 contacts to minimise", deref(dp.p.Status.Pending), got)
			}
			if n := dp.count("SELECT COUNT(*) FROM contacts WHERE birth_date IS NULL AND personal_phone IS NULL"); n != 1 {
				t.Fatalf("a run over the budget cleared fields: %d contacts without private fields, want 1", n)
			}
			dp.approveAwaiting(7)
			dp.reconcileUntil(10, "done with the first run", func(p *privacyv1alpha1.RetentionPolicy) bool {
				return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
			})
			first := dp.p.Status.LastRun
			if first.Erased != 3 || first.Anonymized != 4 || first.Held != 1 {
				t.Errorf("first run = %+v; want 3 erased, 4 anonymised, 1 held", first.RunRecord)
			}

			// What the database holds: fields cleared on 4–7 only, everything else kept.
			for query, want := range map[string]int{
				"SELECT COUNT(*) FROM contacts WHERE id IN (1, 2, 3)":                                                         0,
				"SELECT COUNT(*) FROM contacts WHERE id IN (4, 5, 6, 7, 8) AND birth_date IS NULL AND personal_phone IS NULL": 5,
				"SELECT COUNT(*) FROM contacts WHERE id IN (9, 10) AND birth_date IS NOT NULL AND personal_phone IS NOT NULL": 2,
				"SELECT COUNT(*) FROM contacts WHERE email = " + concat(e, "'person'", "id", "'@example.test'") +
					" AND first_name = " + concat(e, "'First'", "id") + " AND last_name = " + concat(e, "'Last'", "id") +
					" AND last_contact_at IS NOT NULL": 6, // 4, 5, 6, 8, 9, 10
				"SELECT COUNT(*) FROM contacts WHERE id = 7 AND email = 'person7@example.test' AND last_contact_at IS NULL": 1,
				"SELECT COUNT(*) FROM notes WHERE contact_id = 4":                                                           1,
				"SELECT COUNT(*) FROM interactions WHERE contact_id = 4":                                                    1,
				"SELECT COUNT(*) FROM deals WHERE contact_id = 4":                                                           1,
				"SELECT COUNT(*) FROM " + tc.ledger + " AND rule = 'private-fields' AND action = 'Anonymize'":               4,
				"SELECT COUNT(*) FROM " + tc.ledger + " AND rule = 'prospects' AND action = 'Delete'":                       3,
			} {
				if n := dp.count(query); n != want {
					t.Errorf("%s = %d, want %d", query, n, want)
				}
			}

			// The next run finds nothing left to clear.
			dp.clk.SetTime(dp.clk.FakeClock.Now().Add(time.Hour))
			dp.reconcileUntil(10, "done with a second run", func(p *privacyv1alpha1.RetentionPolicy) bool {
				return p.Status.LastRun != nil && p.Status.LastRun.RunID != first.RunID && p.Status.LastRun.Result == privacyv1alpha1.RunSucceeded
			})
			second := dp.p.Status.LastRun
			if second.Planned != 0 || second.Erased != 0 || second.Anonymized != 0 || deref(dp.p.Status.Pending) != 0 {
				t.Errorf("second run = %+v, pending %d; want nothing planned or done", second.RunRecord, deref(dp.p.Status.Pending))
			}
			if n := dp.count("SELECT COUNT(*) FROM " + tc.ledger); n != 7 {
				t.Errorf("%d ledger rows after the second run, want the first run's 7", n)
			}
			if n := dp.count("SELECT COUNT(*) FROM contacts WHERE id IN (9, 10) AND birth_date IS NOT NULL AND personal_phone IS NOT NULL"); n != 2 {
				t.Errorf("the second run touched contacts it does not select: %d of 2 left as they were", n)
			}
		})
	}
}

// pendingByRule maps each rule of the status to its pending count.
func pendingByRule(p *privacyv1alpha1.RetentionPolicy) map[string]int64 {
	out := map[string]int64{}
	for _, r := range p.Status.Rules {
		out[string(r.Name)] = r.Pending
	}
	return out
}

// concat renders the SQL concatenation of parts on the engine.
func concat(engine string, parts ...string) string {
	if engine == testdb.EngineMySQL {
		s := "CONCAT("
		for i, p := range parts {
			if i > 0 {
				s += ", "
			}
			s += p
		}
		return s + ")"
	}
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += " || "
		}
		s += p
	}
	return s
}
