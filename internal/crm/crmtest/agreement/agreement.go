package agreement

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/selector"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// Row is one contact of the dataset. Flag values are adapted to what each engine's column
// can hold (see Flag); text and numbers are stored as given, except that only SQLite can
// hold text in a number column.

// Row is one contact of the agreement dataset. Flag values are adapted to what each
// engine's column can hold (see agreeValue); text and numbers are stored as given, except
// that only SQLite can hold text in a number column.
type Row struct {
	ID                    int64
	Opt, Hold, Stage, Job any
	Score, Newsletter     any
	SQLiteOnlyScoreAsText bool
}

// Rows are the contacts of the dataset.
var Rows = []Row{
	{ID: 1},
	{ID: 2, Opt: true, Hold: "yes", Stage: "prospect", Job: "board", Score: 1, Newsletter: 1},
	{ID: 3, Opt: false, Hold: "no", Stage: "Prospect", Job: "BOARD", Score: 0, Newsletter: 0},
	{ID: 4, Opt: 2, Hold: " true", Stage: "prospect ", Job: "sales", Score: 2, Newsletter: 2},
	{ID: 5, Opt: "yes", Hold: "TRUE", Stage: "", Job: "01", Score: -1, Newsletter: 1},
	{ID: 6, Opt: " true", Hold: "", Stage: "customer", Job: "2", Score: 7},
	{ID: 7, Opt: "TRUE", Hold: "2", Stage: "prósp", Job: "board ", Score: 1, Newsletter: 0},
	{ID: 8, Opt: 0, Hold: "t", Stage: "PROSPECT", Newsletter: 1},
	{ID: 9, Opt: "no", Hold: "0", Stage: "prospect", Job: "sales", Score: "yes", SQLiteOnlyScoreAsText: true, Newsletter: 0},
	{ID: 10, Opt: "", Hold: "1", Stage: "customer", Job: "board", Score: 2},
	{ID: 11, Opt: "false", Hold: "false", Job: "", Score: 0, Newsletter: 1},
	{ID: 12, Opt: 1, Hold: "x", Stage: "Customer", Job: "Sales", Score: 10, Newsletter: 1},
	{ID: 13, Hold: "Y", Stage: "prospect", Score: 1, Newsletter: 0},
	{ID: 14, Opt: "t", Hold: " yes ", Stage: "customer ", Job: "board", Newsletter: 1},
	{ID: 15, Opt: -1, Hold: "TRUE ", Stage: "PROSPECT", Job: "board", Score: 01, Newsletter: -1},
}

// Schema creates sel_contacts on an engine: a native flag column (boolean, MariaDB
// TINYINT(1), SQLite BOOLEAN), an integer flag column, a text flag column, text columns
// (SQLite's stage with a NOCASE collation, which the compiler must not follow) and number
// columns.
func Schema(e string) string {
	switch e {
	case testdb.EnginePostgres:
		return `CREATE TABLE sel_contacts (id integer PRIMARY KEY, created_at timestamptz NOT NULL, opt_native boolean,
  opt_int integer, hold_text varchar(32), stage varchar(32), job_role text, score integer, newsletter smallint)`
	case testdb.EngineMySQL:
		return "CREATE TABLE sel_contacts (id INT PRIMARY KEY, created_at DATETIME NOT NULL, opt_native TINYINT(1), " +
			"opt_int INT, hold_text VARCHAR(32), stage VARCHAR(32), job_role TEXT, score INT, newsletter SMALLINT) " +
			"DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
	}
	return `CREATE TABLE sel_contacts (id INTEGER PRIMARY KEY, created_at DATETIME NOT NULL, opt_native BOOLEAN,
  opt_int INTEGER, hold_text VARCHAR(32), stage VARCHAR(32) COLLATE NOCASE, job_role TEXT, score INTEGER, newsletter INTEGER)`
}

// Flag adapts a flag value to a column: PostgreSQL's boolean holds true/false, an
// integer column (and MariaDB's TINYINT(1)) integers; SQLite holds anything.
func Flag(e string, column string, v any) any {
	if v == nil || e == testdb.EngineSQLite {
		if b, ok := v.(bool); ok {
			return boolInt(b)
		}
		return v
	}
	set := selector.IsSet(v)
	if n, ok := v.(int); ok {
		if e == testdb.EnginePostgres && column == "opt_native" {
			return n != 0
		}
		return n
	}
	if e == testdb.EnginePostgres && column == "opt_native" {
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

// Load creates sel_contacts on admin and inserts Rows.
func Load(t testing.TB, e string, admin *sql.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, Schema(e)); err != nil {
		t.Fatalf("creating sel_contacts: %v", err)
	}
	ph := make([]string, 9)
	for i := range ph {
		ph[i] = "?"
		if e == testdb.EnginePostgres {
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
	}
	insert := "INSERT INTO sel_contacts (id, created_at, opt_native, opt_int, hold_text, stage, job_role, score, newsletter) VALUES (" + strings.Join(ph, ", ") + ")"
	created := any(time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	if e == testdb.EngineSQLite { // as the operator binds times on SQLite
		created = "2001-02-03 04:05:06.000000+00:00"
	}
	for _, r := range Rows {
		score := r.Score
		if r.SQLiteOnlyScoreAsText && e != testdb.EngineSQLite {
			score = nil
		}
		if _, err := admin.ExecContext(ctx, insert, r.ID, created, Flag(e, "opt_native", r.Opt), Flag(e, "opt_int", r.Opt),
			r.Hold, r.Stage, r.Job, score, r.Newsletter); err != nil {
			t.Fatalf("inserting row %d: %v", r.ID, err)
		}
	}
}

// Mapping maps optOut to the native or the integer flag column.
func Mapping(optColumn string) mapping.Mapping {
	return mapping.Mapping{
		Contacts: mapping.ContactsTable{Table: "sel_contacts", Key: "id"},
		Fields: map[string]mapping.Field{
			mapping.FieldOptOut:         {Column: optColumn},
			mapping.FieldLegalHold:      {Column: "hold_text"},
			mapping.FieldLifecycleStage: {Column: "stage"},
			mapping.FieldJobRole:        {Column: "job_role"},
			mapping.FieldCreatedAt:      {Column: "created_at"},
			"score":                     {Column: "score"},
			"newsletter":                {Column: "newsletter"},
		},
	}
}

// kinds are the kinds the reference gives the fields, stated here rather than
// discovered, so that a wrong discovery shows.
var kinds = map[string]selector.Kind{
	mapping.FieldOptOut: selector.KindFlag, mapping.FieldLegalHold: selector.KindFlag, mapping.FieldLifecycleStage: selector.KindText,
	mapping.FieldJobRole: selector.KindText, mapping.FieldCreatedAt: selector.KindTime, "score": selector.KindNumber, "newsletter": selector.KindNumber,
}

// Columns gives the reference evaluator the kind of each field.
func Columns(field string) (selector.Column, bool) {
	k, ok := kinds[field]
	return selector.Column{Kind: k}, ok
}

// ReadRows reads the dataset back as the driver returns it, by logical field.
func ReadRows(t testing.TB, e string, db *sql.DB, optColumn string) map[int64]selector.Row {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// An argument makes MySQL use the binary protocol, which returns integers as integers.
	q := "SELECT id, " + optColumn + ", hold_text, stage, job_role, score, newsletter, created_at FROM sel_contacts WHERE id > 0"
	rows, err := db.QueryContext(ctx, q+" AND id > ?", 0)
	if e == testdb.EnginePostgres {
		rows, err = db.QueryContext(ctx, q+" AND id > $1", 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]selector.Row{}
	fields := []string{mapping.FieldOptOut, mapping.FieldLegalHold, mapping.FieldLifecycleStage, mapping.FieldJobRole, "score", "newsletter", mapping.FieldCreatedAt}
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
			if b, ok := v.([]byte); ok && e == testdb.EngineMySQL {
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

// Selectors are the selectors compared; Invalid must be refused everywhere.
var Selectors = []selector.Selector{
	nil,
	{{Field: mapping.FieldOptOut, Operator: selector.OpIn, Values: []string{"true"}}},
	{{Field: mapping.FieldOptOut, Operator: selector.OpIn, Values: []string{"false"}}},
	{{Field: mapping.FieldOptOut, Operator: selector.OpIn, Values: []string{"true", "false"}}},
	{{Field: mapping.FieldOptOut, Operator: selector.OpNotIn, Values: []string{"true"}}},
	{{Field: mapping.FieldOptOut, Operator: selector.OpNotIn, Values: []string{"false"}}},
	{{Field: mapping.FieldOptOut, Operator: selector.OpNotIn, Values: []string{"true", "false"}}},
	{{Field: mapping.FieldOptOut, Operator: selector.OpExists}},
	{{Field: mapping.FieldOptOut, Operator: selector.OpDoesNotExist}},
	{{Field: mapping.FieldLegalHold, Operator: selector.OpIn, Values: []string{"true"}}},
	{{Field: mapping.FieldLegalHold, Operator: selector.OpIn, Values: []string{"false"}}},
	{{Field: mapping.FieldLegalHold, Operator: selector.OpNotIn, Values: []string{"true"}}},
	{{Field: mapping.FieldLegalHold, Operator: selector.OpDoesNotExist}},
	{{Field: mapping.FieldLifecycleStage, Operator: selector.OpIn, Values: []string{"prospect"}}},
	{{Field: mapping.FieldLifecycleStage, Operator: selector.OpIn, Values: []string{"Prospect"}}},
	{{Field: mapping.FieldLifecycleStage, Operator: selector.OpNotIn, Values: []string{"prospect"}}},
	{{Field: mapping.FieldLifecycleStage, Operator: selector.OpIn, Values: []string{""}}},
	{{Field: mapping.FieldLifecycleStage, Operator: selector.OpIn, Values: []string{"prospect "}}},
	{{Field: mapping.FieldLifecycleStage, Operator: selector.OpIn, Values: []string{"prosp"}}},
	{{Field: mapping.FieldLifecycleStage, Operator: selector.OpNotIn, Values: []string{"prospect", "customer"}}},
	{{Field: mapping.FieldJobRole, Operator: selector.OpIn, Values: []string{"board"}}},
	{{Field: mapping.FieldJobRole, Operator: selector.OpIn, Values: []string{"01", "1"}}},
	{{Field: mapping.FieldJobRole, Operator: selector.OpNotIn, Values: []string{"2"}}},
	{{Field: "score", Operator: selector.OpIn, Values: []string{"1"}}},
	{{Field: "score", Operator: selector.OpIn, Values: []string{"01", "-1"}}},
	{{Field: "score", Operator: selector.OpNotIn, Values: []string{"0"}}},
	{{Field: "score", Operator: selector.OpIn, Values: []string{"2", "7"}}, {Field: mapping.FieldOptOut, Operator: selector.OpIn, Values: []string{"true"}}},
	{{Field: "newsletter", Operator: selector.OpIn, Values: []string{"1"}}},
	{{Field: "newsletter", Operator: selector.OpNotIn, Values: []string{"0"}}},
	{{Field: mapping.FieldJobRole, Operator: selector.OpExists}, {Field: mapping.FieldLifecycleStage, Operator: selector.OpDoesNotExist}},
	{{Field: mapping.FieldCreatedAt, Operator: selector.OpExists}, {Field: mapping.FieldLegalHold, Operator: selector.OpNotIn, Values: []string{"false"}}},
}

var Invalid = []selector.Selector{
	{{Field: mapping.FieldOptOut, Operator: selector.OpIn, Values: []string{"yes"}}},
	{{Field: mapping.FieldOptOut, Operator: selector.OpIn, Values: []string{"t"}}},
	{{Field: mapping.FieldOptOut, Operator: selector.OpIn, Values: []string{"TRUE"}}},
	{{Field: "newsletter", Operator: selector.OpIn, Values: []string{"true"}}},
	{{Field: "score", Operator: selector.OpIn, Values: []string{"1.5"}}},
	{{Field: mapping.FieldCreatedAt, Operator: selector.OpIn, Values: []string{"2001-02-03"}}},
	{{Field: "shoeSize", Operator: selector.OpExists}},
	{{Field: mapping.FieldJobRole, Operator: "Like", Values: []string{"b%"}}},
}

// QueryKeys runs a query that returns contact keys.
func QueryKeys(t testing.TB, db *sql.DB, q string, args ...any) []int64 {
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

// SortKeys sorts keys in place.
func SortKeys(k []int64) { sort.Slice(k, func(i, j int) bool { return k[i] < k[j] }) }

// String names a selector in test output.
func String(sel selector.Selector) string {
	if len(sel) == 0 {
		return "{}"
	}
	parts := make([]string, len(sel))
	for i, r := range sel {
		parts[i] = fmt.Sprintf("%s %s %q", r.Field, r.Operator, r.Values)
	}
	return strings.Join(parts, " AND ")
}

// fuzzValues are the values random selectors draw from; the fuzzer's own string is
// one more.
var fuzzValues = []string{"true", "false", "yes", "t", "TRUE", "1", "0", "01", "-1", "2", "7", "1.5",
	"prospect", "Prospect", "prospect ", "", "board", "customer", "Sales", "x' OR '1'='1"}

var fuzzFields = []string{mapping.FieldOptOut, mapping.FieldLegalHold, mapping.FieldLifecycleStage, mapping.FieldJobRole, "score", "newsletter", mapping.FieldCreatedAt, "shoeSize"}

var fuzzOps = []string{selector.OpIn, selector.OpNotIn, selector.OpExists, selector.OpDoesNotExist, "Like"}

// FuzzSelector builds a selector of up to four requirements from the fuzzer's bytes:
// per requirement a field, an operator and up to three values.
func FuzzSelector(data []byte, raw string) selector.Selector {
	var sel selector.Selector
	for len(data) >= 3 && len(sel) < 4 {
		r := selector.Requirement{Field: fuzzFields[int(data[0])%len(fuzzFields)], Operator: fuzzOps[int(data[1])%len(fuzzOps)]}
		n := int(data[2]) % 4
		data = data[3:]
		for i := 0; i < n && len(data) > 0; i++ {
			k := int(data[0]) % (len(fuzzValues) + 1)
			data = data[1:]
			if k == len(fuzzValues) {
				r.Values = append(r.Values, raw)
			} else {
				r.Values = append(r.Values, fuzzValues[k])
			}
		}
		sel = append(sel, r)
	}
	return sel
}

// Expect is what the reference evaluator says of sel over rows (as ReadRows returns
// them): the keys it selects, those of them without a legal hold (what a retention rule
// acts on) and those of them that opted out.
func Expect(sel selector.Selector, rows map[int64]selector.Row) (selected, pending, optedOut []int64, err error) {
	held := selector.Selector{{Field: mapping.FieldLegalHold, Operator: selector.OpIn, Values: []string{"true"}}}
	for id, row := range rows {
		in, err := selector.Evaluate("sel", sel, Columns, row)
		if err != nil {
			return nil, nil, nil, err
		}
		if !in {
			continue
		}
		selected = append(selected, id)
		if h, _ := selector.Evaluate("hold", held, Columns, row); !h {
			pending = append(pending, id)
		}
		if row[mapping.FieldOptOut] != nil && selector.IsSet(row[mapping.FieldOptOut]) {
			optedOut = append(optedOut, id)
		}
	}
	SortKeys(selected)
	SortKeys(pending)
	SortKeys(optedOut)
	return selected, pending, optedOut, nil
}
