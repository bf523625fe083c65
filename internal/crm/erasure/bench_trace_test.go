package erasure

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// traceQuerier runs a transaction's statements and records how long each took; on
// PostgreSQL it first runs EXPLAIN (ANALYZE, BUFFERS) of the statement inside a savepoint
// rolled back, so that the plan is of the statement as the batch sends it.
type traceQuerier struct {
	tx      *sql.Tx
	explain bool
	b       testing.TB
	steps   []traceStep
}

type traceStep struct {
	label string
	took  time.Duration
	plan  string
}

var (
	spaces      = regexp.MustCompile(`\s+`)
	explainable = regexp.MustCompile(`(?i)^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b`)
)

// label is the statement's first words and its number of arguments.
func label(query string, args []any) string {
	q := spaces.ReplaceAllString(strings.TrimSpace(query), " ")
	if len(q) > 100 {
		q = q[:100] + "…"
	}
	return fmt.Sprintf("%s [%d args]", q, len(args))
}

func (t *traceQuerier) explainPlan(ctx context.Context, query string, args []any) string {
	if !t.explain || !explainable.MatchString(query) {
		return ""
	}
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT trace"); err != nil {
		t.b.Fatal(err)
	}
	defer func() {
		if _, err := t.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT trace"); err != nil {
			t.b.Fatal(err)
		}
	}()
	rows, err := t.tx.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
	if err != nil {
		return "EXPLAIN failed: " + err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.b.Fatal(err)
		}
		out = append(out, "    "+line)
	}
	return strings.Join(out, "\n")
}

func (t *traceQuerier) record(query string, args []any, start time.Time, plan string) {
	t.steps = append(t.steps, traceStep{label: label(query, args), took: time.Since(start), plan: plan})
}

func (t *traceQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	plan := t.explainPlan(ctx, query, args)
	start := time.Now()
	defer t.record(query, args, start, plan)
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *traceQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	plan := t.explainPlan(ctx, query, args)
	start := time.Now()
	defer t.record(query, args, start, plan)
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *traceQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	plan := t.explainPlan(ctx, query, args)
	start := time.Now()
	defer t.record(query, args, start, plan)
	return t.tx.QueryRowContext(ctx, query, args...)
}

var _ crm.Querier = (*traceQuerier)(nil)

// traceOneBatch runs the sweep's first batch in a transaction it rolls back, and logs how
// long building the planner and each statement took (and, on PostgreSQL, each statement's
// EXPLAIN (ANALYZE, BUFFERS)). The database is left as it was.
func traceOneBatch(b testing.TB, db *crm.Database, m crm.Mapping, plan RetentionPlan, run SweepRun) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	p, err := newPlanner(ctx, db, m)
	if err != nil {
		b.Fatal(err)
	}
	planner := time.Since(start)
	tx, err := db.DB().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	tq := &traceQuerier{tx: tx, explain: db.Dialect().Engine() == crm.EnginePostgres, b: b}
	start = time.Now()
	res, err := sweepInTx(ctx, db, tq, p, plan, run)
	if err != nil {
		b.Fatal(err)
	}
	total := time.Since(start)
	var w strings.Builder
	fmt.Fprintf(&w, "one batch (%s, %d erased, rolled back): planner %v, statements in the transaction %v (with EXPLAIN ANALYZE run first on PostgreSQL)\n",
		db.Dialect().Engine(), res.Erased, planner.Round(time.Microsecond), total.Round(time.Microsecond))
	for _, s := range tq.steps {
		fmt.Fprintf(&w, "  %9v  %s\n", s.took.Round(time.Microsecond), s.label)
		if s.plan != "" {
			w.WriteString(s.plan + "\n")
		}
	}
	b.Log(w.String())
}
