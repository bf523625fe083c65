package erasure

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// statementTotals reports, after a timed variant of BenchmarkSweepVsSetDelete on
// PostgreSQL, the statements that took the most time over the whole variant, nested ones
// included (the queries of the foreign-key triggers), from pg_stat_statements: where a
// whole sweep's time went, beside the trace of one batch. It needs the servers started with
// TESTDB_PG_STAT_STATEMENTS=1 and does nothing otherwise, nor on the other engines
// (MariaDB's performance schema does not count statements sent with the binary protocol,
// as the operator's are; SQLite has no such view). Both variants' databases live on one
// server and the view covers the server: it is reset right before a variant and read
// right after it, with nothing else running.
type statementTotals struct {
	admin *sql.DB
}

// newStatementTotals returns the totals of admin's server, or nil where they are not kept.
func newStatementTotals(b testing.TB, e crm.Engine, admin *sql.DB) *statementTotals {
	b.Helper()
	if e != crm.EnginePostgres {
		return nil
	}
	var preload string
	if err := admin.QueryRow("SHOW shared_preload_libraries").Scan(&preload); err != nil {
		b.Fatal(err)
	}
	if !strings.Contains(preload, "pg_stat_statements") {
		return nil
	}
	execAll(b, admin, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
	return &statementTotals{admin: admin}
}

// reset forgets what was counted so far.
func (s *statementTotals) reset(b testing.TB) {
	if s != nil {
		execAll(b, s.admin, "SELECT pg_stat_statements_reset()")
	}
}

// log logs the statements that took the most time since reset, with their time in all
// (execution and planning) and per 1,000 of the contacts erased.
func (s *statementTotals) log(b testing.TB, variant string, erased int64) {
	b.Helper()
	if s == nil {
		return
	}
	rows, err := s.admin.Query(`SELECT calls, total_exec_time + total_plan_time,
		left(regexp_replace(query, '\s+', ' ', 'g'), 100)
		FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
		ORDER BY 2 DESC LIMIT 14`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var w strings.Builder
	fmt.Fprintf(&w, "%s: the statements that took the most time (%d erased; nested ones included)\n", variant, erased)
	fmt.Fprintf(&w, "  %8s %10s %12s  %s\n", "calls", "total ms", "ms per 1,000", "statement")
	for rows.Next() {
		var calls int64
		var total float64
		var text string
		if err := rows.Scan(&calls, &total, &text); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&w, "  %8d %10.1f %12.2f  %s\n", calls, total, total*1000/float64(max(erased, 1)), text)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	b.Log(w.String())
}
