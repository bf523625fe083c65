package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest/agreement"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/selector"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// The same selector must select the same contacts in the plan (CountPlan and the sweep's
// candidate query), the compliance scan, a row filter (PostgreSQL RLS, seen by a member's
// login) and the compiled WHERE run directly (the MySQL/SQLite equivalent of a row
// filter), on every engine, and these must all be what the reference evaluator in Go
// (selector.Evaluate) says, over values as the database stores them. Each part checks
// this in its own package against the dataset of internal/crm/crmtest/agreement; this
// file checks the compiled WHERE.

// agreementEngines opens the agreement dataset on each engine: the operator's Database
// and an administrator's connection.
func agreementEngines(t *testing.T, f func(t *testing.T, e Engine, db *Database, admin *sql.DB)) {
	for _, ec := range engineCases {
		t.Run(ec.name, func(t *testing.T) {
			tdb := ec.open(t)
			admin := tdb.Open(t)
			agreement.Load(t, string(ec.engine), admin)
			f(t, ec.engine, openCRM(t, tdb), admin)
		})
	}
}

func TestCompiledWhereAgreesWithReference(t *testing.T) {
	agreementEngines(t, func(t *testing.T, e Engine, db *Database, admin *sql.DB) {
		for _, optColumn := range []string{"opt_native", "opt_int"} {
			t.Run(optColumn, func(t *testing.T) {
				ctx := testContext(t)
				m := agreement.Mapping(optColumn)
				rows := agreement.ReadRows(t, string(e), admin, optColumn)
				if len(rows) != len(agreement.Rows) {
					t.Fatalf("read %d rows back, want %d", len(rows), len(agreement.Rows))
				}
				r := NewFieldResolver(db.dialect, db.db, m, "c", "")
				if err := r.ResolveAll(ctx); err != nil {
					t.Fatal(err)
				}
				for i, sel := range agreement.Selectors {
					name := fmt.Sprintf("%d:%s", i, agreement.String(sel))
					want, _, _, err := agreement.Expect(sel, rows)
					if err != nil {
						t.Fatalf("%s: reference: %v", name, err)
					}
					s := &SQLText{}
					if err := r.Compile(s, "sel", sel); err != nil {
						t.Fatalf("%s: compile: %v", name, err)
					}
					got := agreement.QueryKeys(t, db.db, "SELECT c.id FROM sel_contacts c WHERE "+s.Query(db.dialect)+" ORDER BY c.id", s.Args...)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s: compiled WHERE selects (-reference +sql):\n%s", name, diff)
					}
				}
				for _, sel := range agreement.Invalid {
					var se *SelectorError
					if _, err := selector.Evaluate("sel", sel, agreement.Columns, selector.Row{}); !errors.As(err, &se) {
						t.Errorf("%s: reference error = %v, want a SelectorError", agreement.String(sel), err)
					}
					if err := r.Compile(&SQLText{}, "sel", sel); !errors.As(err, &se) {
						t.Errorf("%s: compile error = %v, want a SelectorError", agreement.String(sel), err)
					}
				}
			})
		}
	})
}

// FuzzSelectorAgreesWithReference: random selectors over the agreement dataset on SQLite
// (whose columns hold any type: the hardest engine for a rule of truthiness) select, in
// SQL, exactly the keys the reference evaluator selects, and are refused by both or by
// neither.
func FuzzSelectorAgreesWithReference(f *testing.F) {
	tdb := testdb.SQLite(f)
	admin, err := sql.Open(tdb.Driver, tdb.DSN)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = admin.Close() })
	db, err := Open(connConfig(tdb))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	agreement.Load(f, testdb.EngineSQLite, admin)
	m := agreement.Mapping("opt_native")
	r := NewFieldResolver(db.dialect, db.db, m, "c", "")
	if err := r.ResolveAll(ctx); err != nil {
		f.Fatal(err)
	}
	rows := agreement.ReadRows(f, testdb.EngineSQLite, admin, "opt_native")
	f.Add([]byte{0, 0, 1, 0}, "")
	f.Add([]byte{1, 1, 2, 1, 2, 2, 2, 1, 12}, "prospect")
	f.Add([]byte{4, 0, 2, 7, 8, 5, 1, 3, 20}, "board ")
	f.Add([]byte{2, 1, 3, 14, 15, 20}, " true")
	f.Fuzz(func(t *testing.T, data []byte, raw string) {
		sel := agreement.FuzzSelector(data, raw)
		want, _, _, refErr := agreement.Expect(sel, rows)
		s := &SQLText{}
		err := r.Compile(s, "sel", sel)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%s: compile error %v, reference error %v", agreement.String(sel), err, refErr)
		}
		if err != nil {
			var se *SelectorError
			if !errors.As(err, &se) || err.Error() != refErr.Error() {
				t.Fatalf("%s: compile error %v, reference error %v: want the same SelectorError", agreement.String(sel), err, refErr)
			}
			return
		}
		q, err := db.db.QueryContext(ctx, "SELECT c.id FROM sel_contacts c WHERE "+s.Query(db.dialect)+" ORDER BY c.id", s.Args...)
		if err != nil {
			t.Fatalf("%s: %v", agreement.String(sel), err)
		}
		var got []int64
		for q.Next() {
			var id int64
			if err := q.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s: SQL selects (-reference +sql):\n%s", agreement.String(sel), diff)
		}
	})
}
