package dsr

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// benchContacts is the size of the benchmark's database: DSR_BENCH_CONTACTS, or 20,000.
func benchContacts(b *testing.B) int {
	n := 20_000
	if s := os.Getenv("DSR_BENCH_CONTACTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 100 {
			b.Fatalf("DSR_BENCH_CONTACTS=%q: want a number of contacts, at least 100", s)
		}
		n = v
	}
	return n
}

// BenchmarkRequestLatency times one person's Objection (Find + Object) and Erasure (Find +
// Erase, ledger on) on a generic database of DSR_BENCH_CONTACTS contacts (each with a
// note and an interaction, one in ten with a deal), on each engine, against a baseline:
// what a DBA would type by hand for the same person — one UPDATE by email for the
// objection, one transaction of DELETEs and an UPDATE by email for the erasure, no
// ledger. It logs the engine's plan of the lookup (EXPLAIN ANALYZE on PostgreSQL) and
// fails when the lookup does not use the index (on PostgreSQL: when the plan has no index
// scan over contacts), and reports the lookup time without the index for comparison.
//
//	DSR_BENCH_CONTACTS=1000000 go test ./internal/crm/dsr/ -run '^$' -bench RequestLatency -benchtime 50x
func BenchmarkRequestLatency(b *testing.B) {
	n := benchContacts(b)
	for _, ec := range crmtest.EngineCases {
		var st *benchState
		b.Run(fmt.Sprintf("%s/contacts=%d", ec.Name, n), func(sb *testing.B) {
			if st == nil {
				// Generated once per engine, for the parent's lifetime: the benchmark
				// function runs more than once (b.N = 1 first), each run on fresh people.
				st = newBenchState(b, sb, ec, n)
			}
			st.run(sb)
		})
	}
}

// benchState is one engine's generated database and how far the runs got in it.
type benchState struct {
	e     crm.Engine
	n     int
	admin *sql.DB
	db    *crm.Database
	m     crm.Mapping
	next  int // the next person not yet used
	done  int // iterations over all runs
}

// newBenchState generates the database; its resources live as long as parent.
func newBenchState(parent, b *testing.B, ec crmtest.EngineCase, n int) *benchState {
	ctx := context.Background()
	tdb := ec.Open(parent)
	start := time.Now()
	generateBenchContacts(b, ec.Engine, tdb, n)
	b.Logf("%s: generated %d contacts in %v", ec.Name, n, time.Since(start).Round(time.Millisecond))
	st := &benchState{e: ec.Engine, n: n, admin: tdb.Open(parent), m: genericMapping(), next: 1}
	db, err := crm.Open(crmtest.ConnConfig(tdb))
	if err != nil {
		b.Fatal(err)
	}
	parent.Cleanup(func() { _ = db.Close() })
	db.SetOperatorKeys(crmtest.TestOperatorKeys)
	st.db = db

	li, err := CheckLookupIndex(ctx, db, st.m, crm.FieldEmail)
	if err != nil {
		b.Fatal(err)
	}
	plan := naturalPlan(b, ec.Engine, db, st.admin, st.m, emailOf(n/2))
	b.Logf("%s: lookup by email, plan as the planner chooses it:\n%s", ec.Name, plan)
	b.Logf("%s: CheckLookupIndex: usable=%v index=%s", ec.Name, li.Usable, li.Index)
	if !li.Usable {
		b.Fatalf("the lookup does not use an index: %s", li.Want)
	}
	if ec.Engine == crm.EnginePostgres {
		if _, ok := pgIndexFor(plan, "", "email"); !ok {
			b.Fatal("PostgreSQL's plan of the lookup has no index scan on the email index")
		}
	}
	return st
}

func (st *benchState) run(b *testing.B) {
	b.StopTimer()
	ctx := context.Background()
	db, m, admin := st.db, st.m, st.admin
	// Each iteration acts on four fresh people: two for the operator, two for the baseline;
	// the last person is kept for the unindexed lookup.
	if st.next+4*b.N > st.n {
		b.Fatalf("%d more iterations need %d more contacts; raise DSR_BENCH_CONTACTS or lower -benchtime", b.N, 4*b.N)
	}
	var opObject, opErase, baseObject, baseErase time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := st.next
		st.next += 4
		b.StartTimer()
		t0 := time.Now()
		objected := findAnd(b, db, m, p, func(keys []string) int64 {
			res, err := Object(ctx, db, m, keys, benchRequest(TypeObjection, p))
			if err != nil {
				b.Fatal(err)
			}
			return res.Objected
		})
		t1 := time.Now()
		erased := findAnd(b, db, m, p+1, func(keys []string) int64 {
			res, err := Erase(ctx, db, m, keys, nil, benchRequest(TypeErasure, p))
			if err != nil {
				b.Fatal(err)
			}
			return res.Erased
		})
		t2 := time.Now()
		b.StopTimer()
		opObject += t1.Sub(t0)
		opErase += t2.Sub(t1)
		if objected != 1 || erased != 1 {
			b.Fatalf("person %d: objected %d, erased %d; want 1 each", p, objected, erased)
		}
		t3 := time.Now()
		baselineObject(b, st.e, admin, emailOf(p+2))
		t4 := time.Now()
		baselineErase(b, st.e, admin, emailOf(p+3))
		baseErase += time.Since(t4)
		baseObject += t4.Sub(t3)
	}
	st.done += b.N
	verifyBench(b, st.e, admin, st.done, st.n)
	perOp := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(perOp(opObject), "objection_ms")
	b.ReportMetric(perOp(opErase), "erasure_ms")
	b.ReportMetric(perOp(baseObject), "baseline_objection_ms")
	b.ReportMetric(perOp(baseErase), "baseline_erasure_ms")
	b.ReportMetric(float64(opObject)/float64(baseObject), "objection_ratio")
	b.ReportMetric(float64(opErase)/float64(baseErase), "erasure_ratio")
	if b.N > 1 {
		b.ReportMetric(lookupWithoutIndex(b, st.e, db, admin, m, st.n), "unindexed_lookup_ms")
	}
}

func benchRequest(t Type, i int) Request {
	return Request{ID: fmt.Sprintf("bench-%s-%d", strings.ToLower(string(t)), i), Name: "bench/" + strings.ToLower(string(t)),
		Type: t, Now: time.Now(), HMACKey: testLedgerSecret}
}

// emailOf is the address person p gives: the stored one in another case.
func emailOf(p int) string { return fmt.Sprintf("p%d@example.TEST", p) }

// findAnd looks person p up as a request does and acts on the match.
func findAnd(b *testing.B, db *crm.Database, m crm.Mapping, p int, act func([]string) int64) int64 {
	v, err := NormalizeIdentity(crm.FieldEmail, emailOf(p))
	if err != nil {
		b.Fatal(err)
	}
	match, err := Find(context.Background(), db, m, crm.FieldEmail, v)
	if err != nil {
		b.Fatal(err)
	}
	if match.Count() != 1 {
		b.Fatalf("person %d matched %d contacts", p, match.Count())
	}
	return act(match.Keys)
}

// generateBenchContacts loads the generic schema and n contacts: contact g has the email
// "P<g>@Example.test", a note and an interaction; one in ten a deal.
func generateBenchContacts(b *testing.B, e crm.Engine, tdb *testdb.Database, n int) {
	b.Helper()
	text, err := os.ReadFile(filepath.Join(crmtest.SamplesDir(), crmtest.GenericSample(e)))
	if err != nil {
		b.Fatal(err)
	}
	stmts := testdb.SplitSQL(string(text))
	cols := "INSERT INTO contacts (id, email, first_name, contact_type, lifecycle_stage, created_at, last_contact_at) "
	switch e {
	case crm.EnginePostgres:
		stmts = append(stmts,
			cols+fmt.Sprintf(`SELECT g, 'P' || g || '@Example.test', 'n' || g, 'B2B', 'prospect', now() - interval '2 years', now() - interval '1 month' FROM generate_series(1, %d) g`, n))
	case crm.EngineMySQL:
		stmts = append(stmts,
			cols+fmt.Sprintf(`SELECT seq, CONCAT('P', seq, '@Example.test'), CONCAT('n', seq), 'B2B', 'prospect', NOW(6) - INTERVAL 2 YEAR, NOW(6) - INTERVAL 1 MONTH FROM seq_1_to_%d`, n))
	default:
		stmts = append(stmts,
			cols+fmt.Sprintf(`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %d)
			SELECT x, 'P' || x || '@Example.test', 'n' || x, 'B2B', 'prospect', '2024-01-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00' FROM g`, n))
	}
	stmts = append(stmts,
		"INSERT INTO notes (contact_id, body) SELECT id, 'met at a fair' FROM contacts",
		"INSERT INTO interactions (contact_id, occurred_at, kind, direction) SELECT id, last_contact_at, 'email', 'outbound' FROM contacts",
		"INSERT INTO deals (contact_id, title) SELECT id, 'deal' FROM contacts WHERE id % 10 = 0",
	)
	switch e {
	case crm.EngineMySQL:
		stmts = append(stmts, "ANALYZE TABLE contacts, notes, interactions, deals")
	default:
		stmts = append(stmts, "ANALYZE")
	}
	tdb.Exec(b, stmts...)
}

// naturalPlan explains Find's own statement as the planner chooses it (PostgreSQL:
// EXPLAIN ANALYZE, with sequential scans allowed).
func naturalPlan(b *testing.B, e crm.Engine, db *crm.Database, admin *sql.DB, m crm.Mapping, email string) string {
	ctx := context.Background()
	s, err := newSchema(ctx, db, m)
	if err != nil {
		b.Fatal(err)
	}
	q, err := s.lookup(ctx, crm.FieldEmail, strings.ToLower(email))
	if err != nil {
		b.Fatal(err)
	}
	prefix := map[crm.Engine]string{crm.EnginePostgres: "EXPLAIN ANALYZE ", crm.EngineMySQL: "EXPLAIN ", crm.EngineSQLite: "EXPLAIN QUERY PLAN "}[e]
	cols, rows, err := textRows(ctx, admin, prefix+q.Query(s.d), q.Args)
	if err != nil {
		b.Fatal(err)
	}
	lines := []string{strings.Join(cols, " | ")}
	for _, r := range rows {
		parts := make([]string, len(r))
		for i, v := range r {
			parts[i] = v.String
		}
		lines = append(lines, strings.Join(parts, " | "))
	}
	return strings.Join(lines, "\n")
}

// baselineObject is a DBA's objection: one UPDATE by email.
func baselineObject(b *testing.B, e crm.Engine, admin *sql.DB, email string) {
	q := "UPDATE contacts SET opt_out = TRUE, opt_out_at = $1 WHERE lower(email) = lower($2) AND opt_out = FALSE"
	switch e {
	case crm.EngineMySQL:
		q = "UPDATE contacts SET opt_out = TRUE, opt_out_at = ? WHERE email = ? AND opt_out = FALSE"
	case crm.EngineSQLite:
		q = "UPDATE contacts SET opt_out = 1, opt_out_at = ? WHERE lower(email) = lower(?) AND opt_out = 0"
	}
	res, err := admin.Exec(q, crm.BindTime(e, time.Now()), email)
	if err != nil {
		b.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		b.Fatalf("baseline objection changed %d rows", n)
	}
}

// baselineErase is a DBA's erasure: the person's key by email, then one statement per
// table, in one transaction.
func baselineErase(b *testing.B, e crm.Engine, admin *sql.DB, email string) {
	tx, err := admin.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	find := "SELECT id FROM contacts WHERE lower(email) = lower($1)"
	ph := "$1"
	switch e {
	case crm.EngineMySQL:
		find, ph = "SELECT id FROM contacts WHERE email = ? FOR UPDATE", "?"
	case crm.EngineSQLite:
		find, ph = "SELECT id FROM contacts WHERE lower(email) = lower(?)", "?"
	}
	var id int64
	if err := tx.QueryRow(find, email).Scan(&id); err != nil {
		b.Fatal(err)
	}
	for _, s := range []string{
		"DELETE FROM interactions WHERE contact_id = " + ph,
		"DELETE FROM notes WHERE contact_id = " + ph,
		"UPDATE deals SET contact_id = NULL WHERE contact_id = " + ph,
		"DELETE FROM contacts WHERE id = " + ph,
	} {
		if _, err := tx.Exec(s, id); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// verifyBench checks the database after iterations: each erased 2 people, objected 2.
func verifyBench(b *testing.B, e crm.Engine, admin *sql.DB, iterations, n int) {
	var contacts, optedOut, ledger int64
	if err := admin.QueryRow("SELECT COUNT(*), SUM(CASE WHEN opt_out THEN 1 ELSE 0 END) FROM contacts").Scan(&contacts, &optedOut); err != nil {
		b.Fatal(err)
	}
	if contacts != int64(n-2*iterations) || optedOut != int64(2*iterations) {
		b.Fatalf("after %d iterations: %d contacts, %d opted out; want %d and %d", iterations, contacts, optedOut, n-2*iterations, 2*iterations)
	}
	if err := admin.QueryRow("SELECT COUNT(*) FROM " + erasure.LedgerRowsSQL(e)).Scan(&ledger); err != nil {
		b.Fatal(err)
	}
	if ledger != int64(iterations) {
		b.Fatalf("%d ledger rows, want %d", ledger, iterations)
	}
}

// lookupWithoutIndex drops the lookup's index and times one Find, in milliseconds.
func lookupWithoutIndex(b *testing.B, e crm.Engine, db *crm.Database, admin *sql.DB, m crm.Mapping, n int) float64 {
	drop := "DROP INDEX contacts_lower_email_idx"
	if e == crm.EngineMySQL {
		drop = "DROP INDEX contacts_email_idx ON contacts"
	}
	if _, err := admin.Exec(drop); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	match, err := Find(context.Background(), db, m, crm.FieldEmail, strings.ToLower(emailOf(n)))
	elapsed := time.Since(start)
	if err != nil || match.Count() != 1 {
		b.Fatalf("unindexed Find = %v, %v", match, err)
	}
	return float64(elapsed.Microseconds()) / 1000
}
