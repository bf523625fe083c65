package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/selector"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// The same selector must select the same contacts in the plan (CountPlan and the sweep's
// candidate query), the compliance scan, a row filter (PostgreSQL RLS, seen by a member's
// login) and the compiled WHERE run directly (the MySQL/SQLite equivalent of a row
// filter), on every engine, and these must all be what the reference evaluator in Go
// (selector.Evaluate) says, over values as the database stores them.

// agreeRow is one contact of the agreement dataset. Flag values are adapted to what each
// engine's column can hold (see agreeValue); text and numbers are stored as given, except
// that only SQLite can hold text in a number column.
type agreeRow struct {
	id                    int64
	opt, hold, stage, job any
	score, newsletter     any
	sqliteOnlyScoreAsText bool
}

var agreeRows = []agreeRow{
	{id: 1},
	{id: 2, opt: true, hold: "yes", stage: "prospect", job: "board", score: 1, newsletter: 1},
	{id: 3, opt: false, hold: "no", stage: "Prospect", job: "BOARD", score: 0, newsletter: 0},
	{id: 4, opt: 2, hold: " true", stage: "prospect ", job: "sales", score: 2, newsletter: 2},
	{id: 5, opt: "yes", hold: "TRUE", stage: "", job: "01", score: -1, newsletter: 1},
	{id: 6, opt: " true", hold: "", stage: "customer", job: "2", score: 7},
	{id: 7, opt: "TRUE", hold: "2", stage: "prósp", job: "board ", score: 1, newsletter: 0},
	{id: 8, opt: 0, hold: "t", stage: "PROSPECT", newsletter: 1},
	{id: 9, opt: "no", hold: "0", stage: "prospect", job: "sales", score: "yes", sqliteOnlyScoreAsText: true, newsletter: 0},
	{id: 10, opt: "", hold: "1", stage: "customer", job: "board", score: 2},
	{id: 11, opt: "false", hold: "false", job: "", score: 0, newsletter: 1},
	{id: 12, opt: 1, hold: "x", stage: "Customer", job: "Sales", score: 10, newsletter: 1},
	{id: 13, hold: "Y", stage: "prospect", score: 1, newsletter: 0},
	{id: 14, opt: "t", hold: " yes ", stage: "customer ", job: "board", newsletter: 1},
	{id: 15, opt: -1, hold: "TRUE ", stage: "PROSPECT", job: "board", score: 01, newsletter: -1},
}

// agreeSchema creates sel_contacts on an engine: a native flag column (boolean, MariaDB
// TINYINT(1), SQLite BOOLEAN), an integer flag column, a text flag column, text columns
// (SQLite's stage with a NOCASE collation, which the compiler must not follow) and number
// columns.
func agreeSchema(e Engine) string {
	switch e {
	case EnginePostgres:
		return `CREATE TABLE sel_contacts (id integer PRIMARY KEY, created_at timestamptz NOT NULL, opt_native boolean,
  opt_int integer, hold_text varchar(32), stage varchar(32), job_role text, score integer, newsletter smallint)`
	case EngineMySQL:
		return "CREATE TABLE sel_contacts (id INT PRIMARY KEY, created_at DATETIME NOT NULL, opt_native TINYINT(1), " +
			"opt_int INT, hold_text VARCHAR(32), stage VARCHAR(32), job_role TEXT, score INT, newsletter SMALLINT) " +
			"DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
	}
	return `CREATE TABLE sel_contacts (id INTEGER PRIMARY KEY, created_at DATETIME NOT NULL, opt_native BOOLEAN,
  opt_int INTEGER, hold_text VARCHAR(32), stage VARCHAR(32) COLLATE NOCASE, job_role TEXT, score INTEGER, newsletter INTEGER)`
}

// agreeFlag adapts a flag value to a column: PostgreSQL's boolean holds true/false, an
// integer column (and MariaDB's TINYINT(1)) integers; SQLite holds anything.
func agreeFlag(e Engine, column string, v any) any {
	if v == nil || e == EngineSQLite {
		if b, ok := v.(bool); ok {
			return boolInt(b)
		}
		return v
	}
	set := selector.IsSet(v)
	if n, ok := v.(int); ok {
		if e == EnginePostgres && column == "opt_native" {
			return n != 0
		}
		return n
	}
	if e == EnginePostgres && column == "opt_native" {
		return set
	}
	return boolInt(set)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func loadAgreeDataset(t *testing.T, e Engine, admin *sql.DB) {
	t.Helper()
	execAll(t, admin, agreeSchema(e))
	d, err := DialectFor(e)
	if err != nil {
		t.Fatal(err)
	}
	ph := make([]string, 9)
	for i := range ph {
		ph[i] = d.Placeholder(i + 1)
	}
	insert := "INSERT INTO sel_contacts (id, created_at, opt_native, opt_int, hold_text, stage, job_role, score, newsletter) VALUES (" + strings.Join(ph, ", ") + ")"
	created := bindTime(e, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	for _, r := range agreeRows {
		score := r.score
		if r.sqliteOnlyScoreAsText && e != EngineSQLite {
			score = nil
		}
		if _, err := admin.ExecContext(testContext(t), insert, r.id, created, agreeFlag(e, "opt_native", r.opt), agreeFlag(e, "opt_int", r.opt),
			r.hold, r.stage, r.job, score, r.newsletter); err != nil {
			t.Fatalf("inserting row %d: %v", r.id, err)
		}
	}
}

// agreeMapping maps optOut to the native or the integer flag column.
func agreeMapping(optColumn string) Mapping {
	return Mapping{
		Contacts: ContactsTable{Table: "sel_contacts", Key: "id"},
		Fields: map[string]Field{
			FieldOptOut:         {Column: optColumn},
			FieldLegalHold:      {Column: "hold_text"},
			FieldLifecycleStage: {Column: "stage"},
			FieldJobRole:        {Column: "job_role"},
			FieldCreatedAt:      {Column: "created_at"},
			"score":             {Column: "score"},
			"newsletter":        {Column: "newsletter"},
		},
	}
}

// agreeKinds are the kinds the reference gives the fields, stated here rather than
// discovered, so that a wrong discovery shows.
var agreeKinds = map[string]selector.Kind{
	FieldOptOut: selector.KindFlag, FieldLegalHold: selector.KindFlag, FieldLifecycleStage: selector.KindText,
	FieldJobRole: selector.KindText, FieldCreatedAt: selector.KindTime, "score": selector.KindNumber, "newsletter": selector.KindNumber,
}

func agreeColumns(field string) (selector.Column, bool) {
	k, ok := agreeKinds[field]
	return selector.Column{Kind: k}, ok
}

// readAgreeRows reads the dataset back as the driver returns it, by logical field.
func readAgreeRows(t *testing.T, e Engine, db *sql.DB, optColumn string) map[int64]selector.Row {
	t.Helper()
	// An argument makes MySQL use the binary protocol, which returns integers as integers.
	q := "SELECT id, " + optColumn + ", hold_text, stage, job_role, score, newsletter, created_at FROM sel_contacts WHERE id > 0"
	rows, err := db.QueryContext(testContext(t), q+" AND id > ?", 0)
	if e == EnginePostgres {
		rows, err = db.QueryContext(testContext(t), q+" AND id > $1", 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]selector.Row{}
	fields := []string{FieldOptOut, FieldLegalHold, FieldLifecycleStage, FieldJobRole, "score", "newsletter", FieldCreatedAt}
	for rows.Next() {
		var id int64
		vals := make([]any, len(fields))
		dest := []any{&id}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		row := selector.Row{}
		for i, f := range fields {
			v := vals[i]
			if b, ok := v.([]byte); ok && e == EngineMySQL {
				v = string(b) // the MySQL driver returns text as bytes
			}
			row[f] = v
		}
		out[id] = row
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// agreeSelectors are the selectors compared; agreeInvalid must be refused everywhere.
var agreeSelectors = []Selector{
	nil,
	{{Field: FieldOptOut, Operator: OpIn, Values: []string{"true"}}},
	{{Field: FieldOptOut, Operator: OpIn, Values: []string{"false"}}},
	{{Field: FieldOptOut, Operator: OpIn, Values: []string{"true", "false"}}},
	{{Field: FieldOptOut, Operator: OpNotIn, Values: []string{"true"}}},
	{{Field: FieldOptOut, Operator: OpNotIn, Values: []string{"false"}}},
	{{Field: FieldOptOut, Operator: OpNotIn, Values: []string{"true", "false"}}},
	{{Field: FieldOptOut, Operator: OpExists}},
	{{Field: FieldOptOut, Operator: OpDoesNotExist}},
	{{Field: FieldLegalHold, Operator: OpIn, Values: []string{"true"}}},
	{{Field: FieldLegalHold, Operator: OpIn, Values: []string{"false"}}},
	{{Field: FieldLegalHold, Operator: OpNotIn, Values: []string{"true"}}},
	{{Field: FieldLegalHold, Operator: OpDoesNotExist}},
	{{Field: FieldLifecycleStage, Operator: OpIn, Values: []string{"prospect"}}},
	{{Field: FieldLifecycleStage, Operator: OpIn, Values: []string{"Prospect"}}},
	{{Field: FieldLifecycleStage, Operator: OpNotIn, Values: []string{"prospect"}}},
	{{Field: FieldLifecycleStage, Operator: OpIn, Values: []string{""}}},
	{{Field: FieldLifecycleStage, Operator: OpIn, Values: []string{"prospect "}}},
	{{Field: FieldLifecycleStage, Operator: OpIn, Values: []string{"prosp"}}},
	{{Field: FieldLifecycleStage, Operator: OpNotIn, Values: []string{"prospect", "customer"}}},
	{{Field: FieldJobRole, Operator: OpIn, Values: []string{"board"}}},
	{{Field: FieldJobRole, Operator: OpIn, Values: []string{"01", "1"}}},
	{{Field: FieldJobRole, Operator: OpNotIn, Values: []string{"2"}}},
	{{Field: "score", Operator: OpIn, Values: []string{"1"}}},
	{{Field: "score", Operator: OpIn, Values: []string{"01", "-1"}}},
	{{Field: "score", Operator: OpNotIn, Values: []string{"0"}}},
	{{Field: "score", Operator: OpIn, Values: []string{"2", "7"}}, {Field: FieldOptOut, Operator: OpIn, Values: []string{"true"}}},
	{{Field: "newsletter", Operator: OpIn, Values: []string{"1"}}},
	{{Field: "newsletter", Operator: OpNotIn, Values: []string{"0"}}},
	{{Field: FieldJobRole, Operator: OpExists}, {Field: FieldLifecycleStage, Operator: OpDoesNotExist}},
	{{Field: FieldCreatedAt, Operator: OpExists}, {Field: FieldLegalHold, Operator: OpNotIn, Values: []string{"false"}}},
}

var agreeInvalid = []Selector{
	{{Field: FieldOptOut, Operator: OpIn, Values: []string{"yes"}}},
	{{Field: FieldOptOut, Operator: OpIn, Values: []string{"t"}}},
	{{Field: FieldOptOut, Operator: OpIn, Values: []string{"TRUE"}}},
	{{Field: "newsletter", Operator: OpIn, Values: []string{"true"}}},
	{{Field: "score", Operator: OpIn, Values: []string{"1.5"}}},
	{{Field: FieldCreatedAt, Operator: OpIn, Values: []string{"2001-02-03"}}},
	{{Field: "shoeSize", Operator: OpExists}},
	{{Field: FieldJobRole, Operator: "Like", Values: []string{"b%"}}},
}

// agreeEnv is one engine's side of the test.
type agreeEnv struct {
	e     Engine
	crm   *Database
	admin *sql.DB
	// filtered returns the keys a member whose row filter is sel sees (PostgreSQL), or
	// nil when the engine has no row-level security.
	filtered func(t *testing.T, m Mapping, sel Selector) []int64
}

func TestSelectorsAgreeAcrossPlanScanAndRowFilter(t *testing.T) {
	envs := map[string]func(t *testing.T) agreeEnv{
		"postgres": func(t *testing.T) agreeEnv {
			f := newPgAccessFixture(t)
			loadAgreeDataset(t, EnginePostgres, f.admin)
			f.ownTables(t)
			role, member := uniqueName("crm_sel"), uniqueName("sel_member")
			dropRoles(t, f.admin, role, member)
			var memberDB *sql.DB
			var memberT *testing.T // the login is closed when the subtest that opened it ends
			filtered := func(t *testing.T, m Mapping, sel Selector) []int64 {
				f.m = m
				f.apply(t, AccessSpec{Role: role, Owner: "sel/agree",
					Grants:    []TableGrant{{Table: "sel_contacts", Privileges: []string{PrivSelect}}},
					RowFilter: &sel,
					Members:   []AccessMember{{User: member, Active: true, ManageLogin: true, Password: "member-pw"}}})
				if memberDB == nil || memberT != t {
					memberT = t
					var err error
					if memberDB, err = f.loginAs(t, member, "member-pw"); err != nil {
						t.Fatal(err)
					}
				}
				return queryKeys(t, memberDB, "SELECT id FROM sel_contacts ORDER BY id")
			}
			return agreeEnv{e: EnginePostgres, crm: f.crm, admin: f.admin, filtered: filtered}
		},
		"mariadb": func(t *testing.T) agreeEnv {
			tdb := testdb.MariaDB(t)
			admin := tdb.Open(t)
			loadAgreeDataset(t, EngineMySQL, admin)
			return agreeEnv{e: EngineMySQL, crm: openCRM(t, tdb), admin: admin}
		},
		"sqlite": func(t *testing.T) agreeEnv {
			tdb := testdb.SQLite(t)
			admin := tdb.Open(t)
			loadAgreeDataset(t, EngineSQLite, admin)
			return agreeEnv{e: EngineSQLite, crm: openCRM(t, tdb), admin: admin}
		},
	}
	for _, name := range []string{"postgres", "mariadb", "sqlite"} {
		t.Run(name, func(t *testing.T) {
			env := envs[name](t)
			for _, optColumn := range []string{"opt_native", "opt_int"} {
				t.Run(optColumn, func(t *testing.T) {
					agreeOn(t, env, optColumn)
				})
			}
		})
	}
}

func agreeOn(t *testing.T, env agreeEnv, optColumn string) {
	ctx := testContext(t)
	m := agreeMapping(optColumn)
	rows := readAgreeRows(t, env.e, env.admin, optColumn)
	if len(rows) != len(agreeRows) {
		t.Fatalf("read %d rows back, want %d", len(rows), len(agreeRows))
	}
	heldSel := Selector{{Field: FieldLegalHold, Operator: OpIn, Values: []string{"true"}}}
	for i, sel := range agreeSelectors {
		name := fmt.Sprintf("%d:%s", i, selectorString(sel))
		var want, wantPending, wantOptedOut []int64
		for id, row := range rows {
			in, err := selector.Evaluate("sel", sel, agreeColumns, row)
			if err != nil {
				t.Fatalf("%s: reference: %v", name, err)
			}
			held, _ := selector.Evaluate("hold", heldSel, agreeColumns, row)
			if in {
				want = append(want, id)
				if !held {
					wantPending = append(wantPending, id)
				}
				if row[FieldOptOut] != nil && selector.IsSet(row[FieldOptOut]) {
					wantOptedOut = append(wantOptedOut, id)
				}
			}
		}
		sortAgreeKeys(want)
		sortAgreeKeys(wantPending)

		// The compiled WHERE run directly (what a row filter is on MySQL/SQLite).
		r := newFieldResolver(env.crm.dialect, env.crm.db, m, "c", "")
		if err := r.resolveAll(ctx); err != nil {
			t.Fatal(err)
		}
		s := &sqlText{}
		if err := r.compile(s, "sel", sel); err != nil {
			t.Fatalf("%s: compile: %v", name, err)
		}
		direct := queryKeys(t, env.crm.db, "SELECT c.id FROM sel_contacts c WHERE "+s.query(env.crm.dialect)+" ORDER BY c.id", s.args...)
		if diff := cmp.Diff(want, direct); diff != "" {
			t.Errorf("%s: compiled WHERE selects (-reference +sql):\n%s", name, diff)
		}

		// The plan: CountPlan and the sweep's candidates (legal holds excluded).
		plan := RetentionPlan{Rules: []RetentionRule{{Name: "r", Selector: sel, Cutoff: time.Now().Add(time.Hour), SinceCreated: true, Action: ActionDeleteContact}}}
		counts, err := env.crm.CountPlan(ctx, m, plan)
		if err != nil {
			t.Fatalf("%s: CountPlan: %v", name, err)
		}
		if counts[0].Pending != int64(len(wantPending)) || counts[0].Held != int64(len(want)-len(wantPending)) {
			t.Errorf("%s: CountPlan = %d pending, %d held; reference %d pending, %d held", name, counts[0].Pending, counts[0].Held, len(wantPending), len(want)-len(wantPending))
		}
		if diff := cmp.Diff(wantPending, sweepCandidates(t, env.crm, m, plan)); diff != "" {
			t.Errorf("%s: the sweep's candidates (-reference +sql):\n%s", name, diff)
		}
		// A later rule gets every contact the selector does not select: a contact whose
		// field is NULL is not selected by the first rule, so it is the second rule's
		// (a condition that could be NULL would hide it from both).
		plan.Rules = append(plan.Rules, RetentionRule{Name: "rest", Cutoff: time.Now().Add(time.Hour), SinceCreated: true, Action: ActionDeleteContact})
		if counts, err = env.crm.CountPlan(ctx, m, plan); err != nil {
			t.Fatalf("%s: CountPlan: %v", name, err)
		}
		if got, want := counts[1].Pending+counts[1].Held, int64(len(rows)-len(want)); got != want {
			t.Errorf("%s: the next rule counts %d contacts, want the %d the selector does not select", name, got, want)
		}

		// The compliance scan, with the opt-out check.
		res, err := env.crm.ScanCompliance(ctx, m, ScanSpec{Selector: sel, Marketing: true})
		if err != nil {
			t.Fatalf("%s: ScanCompliance: %v", name, err)
		}
		if res.InScope != int64(len(want)) || res.Counts[CheckOptedOutInScope] != int64(len(wantOptedOut)) {
			t.Errorf("%s: scan in scope %d, opted out %d; reference %d, %d", name, res.InScope, res.Counts[CheckOptedOutInScope], len(want), len(wantOptedOut))
		}

		// The row filter, as a member logs in.
		if env.filtered != nil {
			if diff := cmp.Diff(want, env.filtered(t, m, sel)); diff != "" {
				t.Errorf("%s: the member's row-filtered login sees (-reference +sql):\n%s", name, diff)
			}
		}
	}

	contacts, err := env.crm.dialect.DescribeTable(ctx, env.crm.db, "sel_contacts")
	if err != nil {
		t.Fatal(err)
	}
	for _, sel := range agreeInvalid {
		name := selectorString(sel)
		var se *SelectorError
		if _, err := selector.Evaluate("sel", sel, agreeColumns, selector.Row{}); !errors.As(err, &se) {
			t.Errorf("%s: reference error = %v, want a SelectorError", name, err)
		}
		plan := RetentionPlan{Rules: []RetentionRule{{Name: "r", Selector: sel, Cutoff: time.Now(), SinceCreated: true, Action: ActionDeleteContact}}}
		if _, err := env.crm.CountPlan(ctx, m, plan); !errors.As(err, &se) {
			t.Errorf("%s: CountPlan error = %v, want a SelectorError", name, err)
		}
		if _, err := env.crm.ScanCompliance(ctx, m, ScanSpec{Selector: sel}); !errors.As(err, &se) {
			t.Errorf("%s: ScanCompliance error = %v, want a SelectorError", name, err)
		}
		if env.e == EnginePostgres {
			var ae *AccessSpecError
			if _, err := compileRowFilter(env.crm.dialect, m, contacts, sel, "sel/agree"); !errors.As(err, &ae) {
				t.Errorf("%s: row filter error = %v, want an AccessSpecError", name, err)
			}
		}
	}
}

// sweepCandidates returns the keys the sweep would act on in one window over every
// contact.
func sweepCandidates(t *testing.T, db *Database, m Mapping, plan RetentionPlan) []int64 {
	t.Helper()
	ctx := testContext(t)
	p, err := newPlanner(ctx, db, m)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	keys, err := db.nextKeys(ctx, tx, p, plan, SweepCheckpoint{}, 1000)
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

func queryKeys(t *testing.T, db *sql.DB, q string, args ...any) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sortAgreeKeys(k []int64) { sort.Slice(k, func(i, j int) bool { return k[i] < k[j] }) }

func selectorString(sel Selector) string {
	if len(sel) == 0 {
		return "{}"
	}
	parts := make([]string, len(sel))
	for i, r := range sel {
		parts[i] = fmt.Sprintf("%s %s %q", r.Field, r.Operator, r.Values)
	}
	return strings.Join(parts, " AND ")
}

// agreeFuzzValues are the values random selectors draw from; the fuzzer's own string is
// one more.
var agreeFuzzValues = []string{"true", "false", "yes", "t", "TRUE", "1", "0", "01", "-1", "2", "7", "1.5",
	"prospect", "Prospect", "prospect ", "", "board", "customer", "Sales", "x' OR '1'='1"}

var agreeFuzzFields = []string{FieldOptOut, FieldLegalHold, FieldLifecycleStage, FieldJobRole, "score", "newsletter", FieldCreatedAt, "shoeSize"}

var agreeFuzzOps = []string{OpIn, OpNotIn, OpExists, OpDoesNotExist, "Like"}

// fuzzSelector builds a selector of up to four requirements from the fuzzer's bytes:
// per requirement a field, an operator and up to three values.
func fuzzSelector(data []byte, raw string) Selector {
	var sel Selector
	for len(data) >= 3 && len(sel) < 4 {
		r := Requirement{Field: agreeFuzzFields[int(data[0])%len(agreeFuzzFields)], Operator: agreeFuzzOps[int(data[1])%len(agreeFuzzOps)]}
		n := int(data[2]) % 4
		data = data[3:]
		for i := 0; i < n && len(data) > 0; i++ {
			k := int(data[0]) % (len(agreeFuzzValues) + 1)
			data = data[1:]
			if k == len(agreeFuzzValues) {
				r.Values = append(r.Values, raw)
			} else {
				r.Values = append(r.Values, agreeFuzzValues[k])
			}
		}
		sel = append(sel, r)
	}
	return sel
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
	if _, err := admin.ExecContext(ctx, agreeSchema(EngineSQLite)); err != nil {
		f.Fatal(err)
	}
	created := bindTime(EngineSQLite, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	for _, r := range agreeRows {
		if _, err := admin.ExecContext(ctx, "INSERT INTO sel_contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", r.id, created,
			agreeFlag(EngineSQLite, "opt_native", r.opt), agreeFlag(EngineSQLite, "opt_int", r.opt), r.hold, r.stage, r.job, r.score, r.newsletter); err != nil {
			f.Fatal(err)
		}
	}
	m := agreeMapping("opt_native")
	r := newFieldResolver(db.dialect, db.db, m, "c", "")
	if err := r.resolveAll(ctx); err != nil {
		f.Fatal(err)
	}
	rows := map[int64]selector.Row{}
	{
		q, err := admin.QueryContext(ctx, "SELECT id, opt_native, hold_text, stage, job_role, score, newsletter, created_at FROM sel_contacts")
		if err != nil {
			f.Fatal(err)
		}
		for q.Next() {
			var id int64
			v := make([]any, 7)
			if err := q.Scan(&id, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]); err != nil {
				f.Fatal(err)
			}
			rows[id] = selector.Row{FieldOptOut: v[0], FieldLegalHold: v[1], FieldLifecycleStage: v[2], FieldJobRole: v[3], "score": v[4], "newsletter": v[5], FieldCreatedAt: v[6]}
		}
		if err := q.Close(); err != nil {
			f.Fatal(err)
		}
	}
	f.Add([]byte{0, 0, 1, 0}, "")
	f.Add([]byte{1, 1, 2, 1, 2, 2, 2, 1, 12}, "prospect")
	f.Add([]byte{4, 0, 2, 7, 8, 5, 1, 3, 20}, "board ")
	f.Add([]byte{2, 1, 3, 14, 15, 20}, " true")
	f.Fuzz(func(t *testing.T, data []byte, raw string) {
		sel := fuzzSelector(data, raw)
		var want []int64
		var refErr error
		for id, row := range rows {
			in, err := selector.Evaluate("sel", sel, agreeColumns, row)
			if err != nil {
				refErr = err
				break
			}
			if in {
				want = append(want, id)
			}
		}
		s := &sqlText{}
		err := r.compile(s, "sel", sel)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%s: compile error %v, reference error %v", selectorString(sel), err, refErr)
		}
		if err != nil {
			var se *SelectorError
			if !errors.As(err, &se) || err.Error() != refErr.Error() {
				t.Fatalf("%s: compile error %v, reference error %v: want the same SelectorError", selectorString(sel), err, refErr)
			}
			return
		}
		sortAgreeKeys(want)
		q, err := db.db.QueryContext(ctx, "SELECT c.id FROM sel_contacts c WHERE "+s.query(db.dialect)+" ORDER BY c.id", s.args...)
		if err != nil {
			t.Fatalf("%s: %v", selectorString(sel), err)
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
			t.Fatalf("%s: SQL selects (-reference +sql):\n%s", selectorString(sel), diff)
		}
	})
}
