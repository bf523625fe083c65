package erasure

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// Benchmark settings, from the environment:
//
//	BENCH_CONTACTS  contacts to generate, comma-separated sizes (default 100000; the
//	                documented figures also use 1000000)
//	BENCH_ENGINES   engines, comma-separated: postgres, mariadb, sqlite (default all three)
//	BENCH_ROUNDS    fresh loads per size; baseline and sweep alternate which runs first
//	                (default 1)
//	SWEEP_BATCH     the sweep's batch size (default 2000)
//	BENCH_PG_BASELINE  the PostgreSQL baseline variant: using (default) or cte
//	BENCH_WORKERS   workers the sweep asks for (default 2; SQLite runs one)
//	TESTDB_PG_STAT_STATEMENTS=1  PostgreSQL servers load pg_stat_statements, and each
//	                variant's output lists the statements that took the most time over
//	                the whole variant (see statementTotals)
const (
	envContacts   = "BENCH_CONTACTS"
	envEngines    = "BENCH_ENGINES"
	envRounds     = "BENCH_ROUNDS"
	envBatch      = "SWEEP_BATCH"
	envPGBaseline = "BENCH_PG_BASELINE"
	envWorkers    = "BENCH_WORKERS"
)

// benchSizes returns the contact counts to generate (BENCH_CONTACTS).
func benchSizes(b *testing.B) []int {
	return envInts(b, envContacts, []int{100_000})
}

func envInts(b *testing.B, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("%s: %q is not a positive integer", name, f)
		}
		out = append(out, n)
	}
	return out
}

// benchEngine is one engine the benchmarks run on: how to load the generic schema with
// generated contacts, and the fastest hand-written erasure found for it.
type benchEngine struct {
	name     string
	engine   crm.Engine
	open     func(testing.TB) *testdb.Database
	generate func(b testing.TB, admin *sql.DB, n int)
	// baseline erases, in one transaction, what benchPlan selects, and returns the contacts
	// deleted.
	baseline func(b testing.TB, admin *sql.DB, cutoff time.Time) int64
	// count is the hand-written count of what benchPlan selects.
	count string
}

func benchEngines(b *testing.B) []benchEngine {
	all := []benchEngine{
		{name: "postgres", engine: crm.EnginePostgres, open: testdb.Postgres, generate: generatePostgres, baseline: postgresBaseline(b), count: postgresCount},
		{name: "mariadb", engine: crm.EngineMySQL, open: testdb.MariaDB, generate: generateMariaDB, baseline: mariadbBaseline, count: mariadbCount},
		{name: "sqlite", engine: crm.EngineSQLite, open: testdb.SQLite, generate: generateSQLite, baseline: sqliteBaseline, count: sqliteCount},
	}
	v := os.Getenv(envEngines)
	if v == "" {
		return all
	}
	var out []benchEngine
	for _, name := range strings.Split(v, ",") {
		i := slices.IndexFunc(all, func(e benchEngine) bool { return e.name == strings.TrimSpace(name) })
		if i < 0 {
			b.Fatalf("%s: unknown engine %q (postgres, mariadb, sqlite)", envEngines, name)
		}
		out = append(out, all[i])
	}
	return out
}

// BenchmarkSweepVsSetDelete compares the operator's sweep (keyset batches, one transaction
// each, ledger and checkpoint written) with the fastest hand-written set-based erasure of
// the same contacts, on identical data of each engine: N contacts, half expired, 2·N
// interactions, N notes. Each round loads two fresh databases, prints where one batch's
// time goes (per statement; EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL), then runs the
// baseline and the sweep (alternating which goes first) and checks that both leave the
// same rows in every table. Reported: both rates, their ratio at commit and the ratio
// counting the time each variant's clean-up took (cleanUp), the longest sweep transaction,
// the process's peak RSS during the sweep, the Go heap's growth, and the processor time
// each variant cost per 1,000 contacts (server and this process: the work done, which
// varies less between runs than the rates on a shared machine).
func BenchmarkSweepVsSetDelete(b *testing.B) {
	for _, be := range benchEngines(b) {
		for _, n := range benchSizes(b) {
			b.Run(fmt.Sprintf("engine=%s/contacts=%d", be.name, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					benchmarkSweep(b, be, n)
				}
			})
		}
	}
}

// sweepFigures is what one round measured.
type sweepFigures struct {
	baseRate, sweepRate float64
	// baseClean and sweepClean are the rates counting, after the variant, the time the
	// engine took to clean up after it (see cleanUp).
	baseClean, sweepClean float64
	longest               time.Duration
	peakRSS, heapGrowth   float64 // MiB
	// baseCPU and sweepCPU are the processor time each took per 1,000 contacts erased, in
	// milliseconds: the database server's and this process's.
	baseCPU, sweepCPU cpuTime
}

// cpuTime is processor time spent by the database server (nothing for SQLite, which runs
// in this process) and by this process, or those per 1,000 contacts in milliseconds.
type cpuTime struct {
	server, process float64
}

func (c cpuTime) total() float64 { return c.server + c.process }

func (c cpuTime) String() string {
	return fmt.Sprintf("%.0f ms (server %.0f, this process %.0f)", c.total(), c.server, c.process)
}

func benchmarkSweep(b *testing.B, be benchEngine, n int) {
	b.StopTimer()
	rounds := envInts(b, envRounds, []int{1})[0]
	batch := envInts(b, envBatch, []int{2000})[0]
	var all []sweepFigures
	for r := 0; r < rounds; r++ {
		all = append(all, sweepRound(b, be, n, batch, r%2 == 1))
	}
	med := func(f func(sweepFigures) float64) float64 {
		v := make([]float64, len(all))
		for i, x := range all {
			v[i] = f(x)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	b.ReportMetric(med(func(x sweepFigures) float64 { return x.baseRate }), "baseline_rows/s")
	b.ReportMetric(med(func(x sweepFigures) float64 { return x.sweepRate }), "sweep_rows/s")
	b.ReportMetric(med(func(x sweepFigures) float64 { return x.sweepRate / x.baseRate }), "ratio")
	b.ReportMetric(med(func(x sweepFigures) float64 { return x.sweepClean / x.baseClean }), "ratio_with_cleanup")
	b.ReportMetric(med(func(x sweepFigures) float64 { return float64(x.longest.Milliseconds()) }), "max_tx_ms")
	b.ReportMetric(med(func(x sweepFigures) float64 { return x.peakRSS }), "peak_rss_MiB")
	b.ReportMetric(med(func(x sweepFigures) float64 { return x.heapGrowth }), "heap_growth_MiB")
	b.ReportMetric(med(func(x sweepFigures) float64 { return x.baseCPU.total() }), "baseline_cpu_ms/1k")
	b.ReportMetric(med(func(x sweepFigures) float64 { return x.sweepCPU.total() }), "sweep_cpu_ms/1k")
	b.ReportMetric(float64(batch), "batch_size")
	b.ReportMetric(float64(benchWorkers(b)), "workers")
}

// sweepRound loads two databases, runs the baseline on one and the sweep on the other, and
// checks that they agree.
func sweepRound(b *testing.B, be benchEngine, n, batch int, sweepFirst bool) sweepFigures {
	ctx := context.Background()
	baseDB, sweepDB := be.open(b), be.open(b)
	baseAdmin, sweepAdmin := baseDB.Open(b), sweepDB.Open(b)
	for _, admin := range []*sql.DB{baseAdmin, sweepAdmin} {
		be.generate(b, admin, n)
	}
	plan := benchPlan()
	db := openBenchCRM(b, sweepDB)
	m, _ := crm.Preset(crm.PresetGeneric)
	run := SweepRun{Policy: "bench/prospects", RunID: "bench", BatchSize: batch, Ledger: true, HMACKey: testKey, Now: time.Now()}
	if err := ensureOperatorTables(ctx, db, true); err != nil {
		b.Fatal(err)
	}
	traceOneBatch(b, db, m, plan, run)

	var f sweepFigures
	var baseline, erased int64
	srv := baseDB.Server()
	totals := newStatementTotals(b, be.engine, baseAdmin)
	runBaseline := func() {
		totals.reset(b)
		cpu0, start := cpuNow(b, srv), time.Now()
		baseline = be.baseline(b, baseAdmin, plan.Rules[0].Cutoff)
		took := time.Since(start)
		f.baseRate = float64(baseline) / took.Seconds()
		f.baseCPU = cpuNow(b, srv).per1000(cpu0, baseline)
		totals.log(b, "baseline", baseline)
		f.baseClean = float64(baseline) / (took + cleanUp(b, be.engine, baseAdmin)).Seconds()
	}
	runSweep := func() {
		erased, f.longest, f.peakRSS, f.heapGrowth = timedSweep(b, db, m, plan, run)
	}
	timed := func() {
		totals.reset(b)
		b.StartTimer()
		cpu0, start := cpuNow(b, srv), time.Now()
		runSweep()
		took := time.Since(start)
		f.sweepRate = float64(erased) / took.Seconds()
		f.sweepCPU = cpuNow(b, srv).per1000(cpu0, erased)
		b.StopTimer()
		totals.log(b, "sweep", erased)
		f.sweepClean = float64(erased) / (took + cleanUp(b, be.engine, sweepAdmin)).Seconds()
	}
	settle(b, be.engine, baseAdmin)
	settle(b, be.engine, sweepAdmin)
	if sweepFirst {
		timed()
		settle(b, be.engine, sweepAdmin)
		runBaseline()
	} else {
		runBaseline()
		settle(b, be.engine, baseAdmin)
		timed()
	}
	if erased != baseline || erased != int64(n/2) {
		b.Fatalf("the sweep erased %d, the baseline %d; want %d", erased, baseline, n/2)
	}
	assertSameRowsLeft(b, baseAdmin, sweepAdmin)
	var ledger int64
	if err := sweepAdmin.QueryRow("SELECT COUNT(*) FROM " + LedgerRowsSQL(be.engine)).Scan(&ledger); err != nil || ledger != erased {
		b.Fatalf("ledger rows %d (%v), want %d", ledger, err, erased)
	}
	b.Logf("%s, %d contacts, sweep first %v: baseline %.0f rows/s, sweep %.0f rows/s, ratio %.2f (with the clean-up: %.2f), longest transaction %v, peak RSS %.1f MiB, heap growth %.1f MiB, CPU per 1,000 contacts: baseline %v, sweep %v",
		be.name, n, sweepFirst, f.baseRate, f.sweepRate, f.sweepRate/f.baseRate, f.sweepClean/f.baseClean, f.longest, f.peakRSS, f.heapGrowth, f.baseCPU, f.sweepCPU)
	return f
}

// cpuNow is the processor time used so far by the database server (nil for SQLite) and by
// this process, in milliseconds: a variant's difference between two readings is the work
// it cost on the machine.
func cpuNow(b testing.TB, srv *testdb.Server) cpuTime {
	b.Helper()
	own, err := testdb.ProcessCPUTime()
	if err != nil {
		b.Fatal(err)
	}
	var server time.Duration
	if srv != nil {
		if server, err = srv.CPUTime(); err != nil {
			b.Fatal(err)
		}
	}
	return cpuTime{server: float64(server.Milliseconds()), process: float64(own.Milliseconds())}
}

// per1000 is the time spent since start, per 1,000 of n.
func (c cpuTime) per1000(start cpuTime, n int64) cpuTime {
	k := 1000 / float64(max(n, 1))
	return cpuTime{server: (c.server - start.server) * k, process: (c.process - start.process) * k}
}

// cleanUp waits until the engine has finished the work a variant's deletes left it and
// returns how long that took: on MariaDB until InnoDB has purged the deleted rows from the
// tables and their indexes (which it does in the background once a transaction commits:
// during the sweep for its earlier batches, only after the baseline's single commit); on
// PostgreSQL a VACUUM of the erased tables (the sweep's later batches already prune some of
// the earlier ones' dead rows as they read their pages). SQLite deletes in place: nothing.
// The rates counting it compare the whole work each variant costs the server.
func cleanUp(b testing.TB, e crm.Engine, admin *sql.DB) time.Duration {
	b.Helper()
	start := time.Now()
	switch e {
	case crm.EnginePostgres:
		execAll(b, admin, "VACUUM contacts, interactions, notes, deals")
	case crm.EngineMySQL:
		execAll(b, admin, "SET GLOBAL innodb_max_purge_lag_wait = 0")
	}
	return time.Since(start)
}

// settle finishes, untimed, the background work a load or a mass delete leaves behind, so
// that the variant timed next does not pay for the one before: both databases live on one
// server. PostgreSQL: VACUUM (which also keeps autovacuum from starting on them), then a
// CHECKPOINT, so that neither variant pays for writing the other's dirty buffers; MariaDB:
// wait until InnoDB has purged every row version the deletes left
// (innodb_max_purge_lag_wait = 0 returns once the history list is empty), then until the
// buffer pool has no dirty page left (innodb_max_dirty_pages_pct = 0 for the time of the
// wait). SQLite has no background work: the load ends with a WAL checkpoint.
func settle(b testing.TB, e crm.Engine, admin *sql.DB) {
	b.Helper()
	switch e {
	case crm.EnginePostgres:
		execAll(b, admin, "VACUUM", "CHECKPOINT")
	case crm.EngineMySQL:
		execAll(b, admin, "SET GLOBAL innodb_max_purge_lag_wait = 0")
		flushDirtyPages(b, admin)
	}
}

func execAll(b testing.TB, db *sql.DB, stmts ...string) {
	b.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			b.Fatalf("%s: %v", s, err)
		}
	}
}

// flushDirtyPages waits (up to a minute) until InnoDB has written every dirty page of its
// buffer pool, with innodb_max_dirty_pages_pct at 0 for the time of the wait.
func flushDirtyPages(b testing.TB, db *sql.DB) {
	b.Helper()
	var pct string
	if err := db.QueryRow("SELECT @@GLOBAL.innodb_max_dirty_pages_pct").Scan(&pct); err != nil {
		b.Fatal(err)
	}
	execAll(b, db, "SET GLOBAL innodb_max_dirty_pages_pct = 0")
	defer execAll(b, db, "SET GLOBAL innodb_max_dirty_pages_pct = "+pct)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var name string
		var dirty int64
		if err := db.QueryRow("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'").Scan(&name, &dirty); err != nil {
			b.Fatal(err)
		}
		if dirty == 0 {
			return
		}
	}
	b.Logf("InnoDB still had dirty pages after a minute; timing anyway")
}

func openBenchCRM(b testing.TB, tdb *testdb.Database) *crm.Database {
	db, err := crm.Open(crmtest.ConnConfig(tdb))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	db.SetOperatorKeys(crmtest.TestOperatorKeys)
	return db
}

// timedSweep runs the sweep to its end on BENCH_WORKERS workers and returns the contacts
// erased, the longest transaction, the process's peak RSS while it ran (VmHWM after
// resetting it) and the largest growth of the Go heap in use, sampled after batches.
func timedSweep(b *testing.B, db *crm.Database, m crm.Mapping, plan RetentionPlan, run SweepRun) (int64, time.Duration, float64, float64) {
	ctx := context.Background()
	resetPeakRSS()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap0, heapMax := ms.HeapInuse, ms.HeapInuse
	var erased int64
	var longest time.Duration
	batches := 0
	outcome, err := Sweep(ctx, db, m, plan, run, SweepOptions{Workers: benchWorkers(b), Budget: math.MaxInt64,
		OnBatch: func(res BatchResult) {
			erased += res.Erased
			longest = max(longest, res.Duration)
			if batches++; batches%20 == 0 {
				runtime.ReadMemStats(&ms)
				heapMax = max(heapMax, ms.HeapInuse)
			}
		}})
	if err != nil || outcome != SweepDone {
		b.Fatalf("sweep: %v, %v", outcome, err)
	}
	return erased, longest, peakRSSMiB(b), float64(heapMax-heap0) / (1 << 20)
}

// benchWorkers is BENCH_WORKERS: the workers the sweep asks for (SQLite always runs one).
func benchWorkers(b *testing.B) int {
	return envInts(b, envWorkers, []int{2})[0]
}

// assertSameRowsLeft fails when the two databases do not hold the same number of rows in
// each table the erasure touches.
func assertSameRowsLeft(b testing.TB, base, sweep *sql.DB) {
	for _, q := range []string{
		"SELECT COUNT(*) FROM contacts", "SELECT COUNT(*) FROM interactions", "SELECT COUNT(*) FROM notes",
		"SELECT COUNT(*) FROM deals WHERE contact_id IS NULL", "SELECT COALESCE(SUM(id), 0) FROM contacts",
	} {
		var x, y int64
		if err := base.QueryRow(q).Scan(&x); err != nil {
			b.Fatal(err)
		}
		if err := sweep.QueryRow(q).Scan(&y); err != nil {
			b.Fatal(err)
		}
		if x != y {
			b.Fatalf("%s: the baseline leaves %d, the sweep %d", q, x, y)
		}
	}
}

func benchPlan() RetentionPlan {
	return RetentionPlan{Rules: []RetentionRule{{
		Name: "prospects", Selector: crm.Selector{{Field: crm.FieldLifecycleStage, Operator: crm.OpIn, Values: []string{"prospect"}}},
		Cutoff: time.Now().AddDate(-2, 0, 0), RenewKinds: []string{"call"}, Action: ActionDeleteContact,
	}}}
}

// loadGeneric creates the generic schema of the engine, then runs the statements.
func loadGeneric(b testing.TB, admin *sql.DB, e crm.Engine, n int, stmts ...string) {
	b.Helper()
	b.Logf("generating %d contacts (%s)", n, e)
	text, err := os.ReadFile(filepath.Join(crmtest.SamplesDir(), crmtest.GenericSample(e)))
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range append(testdb.SplitSQL(string(text)), stmts...) {
		if _, err := admin.Exec(s); err != nil {
			b.Fatalf("%s: %v", s, err)
		}
	}
}

// The generated data: n contacts (odd ids expired), two interactions each (an email at
// the last contact, a call a month before) and a note.

func generatePostgres(b testing.TB, admin *sql.DB, n int) {
	loadGeneric(b, admin, crm.EnginePostgres, n,
		fmt.Sprintf(`INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at)
			SELECT g, 'p' || g || '@example.test', 'B2B', 'prospect', now() - interval '4 years',
			       CASE WHEN g %% 2 = 1 THEN now() - interval '3 years' ELSE now() - interval '1 month' END
			FROM generate_series(1, %d) g`, n),
		`INSERT INTO interactions (contact_id, occurred_at, kind, direction)
			SELECT id, last_contact_at, 'email', 'outbound' FROM contacts`,
		`INSERT INTO interactions (contact_id, occurred_at, kind, direction)
			SELECT id, last_contact_at - interval '30 days', 'call', 'inbound' FROM contacts`,
		`INSERT INTO notes (contact_id, body) SELECT id, 'met at a fair' FROM contacts`,
		"VACUUM ANALYZE")
}

func generateMariaDB(b testing.TB, admin *sql.DB, n int) {
	loadGeneric(b, admin, crm.EngineMySQL, n,
		fmt.Sprintf(`INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at)
			SELECT seq, CONCAT('p', seq, '@example.test'), 'B2B', 'prospect', UTC_TIMESTAMP(6) - INTERVAL 4 YEAR,
			       CASE WHEN seq %% 2 = 1 THEN UTC_TIMESTAMP(6) - INTERVAL 3 YEAR ELSE UTC_TIMESTAMP(6) - INTERVAL 1 MONTH END
			FROM seq_1_to_%d`, n),
		`INSERT INTO interactions (contact_id, occurred_at, kind, direction)
			SELECT id, last_contact_at, 'email', 'outbound' FROM contacts`,
		`INSERT INTO interactions (contact_id, occurred_at, kind, direction)
			SELECT id, last_contact_at - INTERVAL 30 DAY, 'call', 'inbound' FROM contacts`,
		`INSERT INTO notes (contact_id, body) SELECT id, 'met at a fair' FROM contacts`,
		"ANALYZE TABLE contacts, interactions, notes, deals")
}

func generateSQLite(b testing.TB, admin *sql.DB, n int) {
	const ts = `strftime('%Y-%m-%d %H:%M:%S+00:00', `
	loadGeneric(b, admin, crm.EngineSQLite, n,
		fmt.Sprintf(`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %d)
			INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at)
			SELECT x, 'p' || x || '@example.test', 'B2B', 'prospect', %s'now', '-4 years'),
			       CASE WHEN x %% 2 = 1 THEN %s'now', '-3 years') ELSE %s'now', '-1 month') END
			FROM g`, n, ts, ts, ts),
		`INSERT INTO interactions (contact_id, occurred_at, kind, direction)
			SELECT id, last_contact_at, 'email', 'outbound' FROM contacts`,
		`INSERT INTO interactions (contact_id, occurred_at, kind, direction)
			SELECT id, `+ts+`last_contact_at, '-30 days'), 'call', 'inbound' FROM contacts`,
		`INSERT INTO notes (contact_id, body) SELECT id, 'met at a fair' FROM contacts`,
		"ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)")
}

// The hand-written predicate of benchPlan, per engine: a prospect whose last contact is
// before the cutoff, with no call since, and no legal hold.
const (
	postgresDoomed = `SELECT c.id FROM contacts c
		WHERE c.lifecycle_stage = 'prospect' AND c.last_contact_at < $1 AND NOT c.legal_hold
		  AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.contact_id = c.id AND i.occurred_at >= $1 AND lower(i.kind) = 'call')`
	mariadbDoomed = `SELECT c.id FROM contacts c
		WHERE c.lifecycle_stage = 'prospect' AND c.last_contact_at < ? AND NOT c.legal_hold
		  AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.contact_id = c.id AND i.occurred_at >= ? AND lower(i.kind) = 'call')`
	sqliteDoomed = `SELECT c.id FROM contacts c
		WHERE c.lifecycle_stage = 'prospect' AND c.last_contact_at < ?1 AND NOT c.legal_hold
		  AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.contact_id = c.id AND i.occurred_at >= ?1 AND lower(i.kind) = 'call')`

	postgresCount = `SELECT count(*) FROM (` + postgresDoomed + `) d`
	mariadbCount  = `SELECT count(*) FROM (` + mariadbDoomed + `) d`
	sqliteCount   = `SELECT count(*) FROM (` + sqliteDoomed + `) d`
)

// countArgs binds the cutoff of a hand-written predicate.
func countArgs(e crm.Engine, cutoff time.Time) []any {
	switch e {
	case crm.EngineMySQL:
		return []any{cutoff.UTC(), cutoff.UTC()}
	case crm.EngineSQLite:
		return []any{crm.BindTime(crm.EngineSQLite, cutoff)}
	default:
		return []any{cutoff}
	}
}

// postgresBaseline returns the PostgreSQL baseline BENCH_PG_BASELINE names.
func postgresBaseline(b *testing.B) func(testing.TB, *sql.DB, time.Time) int64 {
	switch v := os.Getenv(envPGBaseline); v {
	case "", "using":
		return postgresUsingBaseline
	case "cte":
		return postgresCTEBaseline
	default:
		b.Fatalf("%s: unknown variant %q (using, cte)", envPGBaseline, v)
		return nil
	}
}

// postgresUsingBaseline: the doomed keys into a temporary table with a primary key,
// analysed, then DELETE … USING (UPDATE … FROM) per table, in one transaction.
func postgresUsingBaseline(b testing.TB, db *sql.DB, cutoff time.Time) int64 {
	return runBaseline(b, db, []string{
		"CREATE TEMP TABLE doomed (id bigint PRIMARY KEY) ON COMMIT DROP",
		"INSERT INTO doomed " + postgresDoomed,
		"ANALYZE doomed",
		"DELETE FROM interactions i USING doomed d WHERE i.contact_id = d.id",
		"DELETE FROM notes n USING doomed d WHERE n.contact_id = d.id",
		"UPDATE deals x SET contact_id = NULL FROM doomed d WHERE x.contact_id = d.id",
	}, "DELETE FROM contacts c USING doomed d WHERE c.id = d.id", []any{cutoff})
}

// postgresCTEBaseline: one statement, a chain of data-modifying CTEs over the doomed keys.
func postgresCTEBaseline(b testing.TB, db *sql.DB, cutoff time.Time) int64 {
	return runBaseline(b, db, nil, `WITH doomed AS MATERIALIZED (`+postgresDoomed+`),
		i AS (DELETE FROM interactions i USING doomed d WHERE i.contact_id = d.id),
		n AS (DELETE FROM notes n USING doomed d WHERE n.contact_id = d.id),
		x AS (UPDATE deals x SET contact_id = NULL FROM doomed d WHERE x.contact_id = d.id)
		DELETE FROM contacts c USING doomed d WHERE c.id = d.id`, []any{cutoff})
}

// mariadbBaseline: the doomed keys into a temporary table with a primary key, then a
// multi-table DELETE … JOIN (UPDATE … JOIN) per table, in one transaction.
func mariadbBaseline(b testing.TB, db *sql.DB, cutoff time.Time) int64 {
	return runBaseline(b, db, []string{
		"CREATE TEMPORARY TABLE doomed (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB",
		"INSERT INTO doomed " + mariadbDoomed,
		"DELETE i FROM interactions i JOIN doomed d ON i.contact_id = d.id",
		"DELETE n FROM notes n JOIN doomed d ON n.contact_id = d.id",
		"UPDATE deals x JOIN doomed d ON x.contact_id = d.id SET x.contact_id = NULL",
	}, "DELETE c FROM contacts c JOIN doomed d ON c.id = d.id", countArgs(crm.EngineMySQL, cutoff))
}

// sqliteBaseline: the doomed keys into a temporary table, then DELETE … WHERE id IN
// (SELECT …) per table, in one transaction.
func sqliteBaseline(b testing.TB, db *sql.DB, cutoff time.Time) int64 {
	return runBaseline(b, db, []string{
		"CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY)",
		"DELETE FROM doomed",
		"INSERT INTO doomed " + sqliteDoomed,
		"DELETE FROM interactions WHERE contact_id IN (SELECT id FROM doomed)",
		"DELETE FROM notes WHERE contact_id IN (SELECT id FROM doomed)",
		"UPDATE deals SET contact_id = NULL WHERE contact_id IN (SELECT id FROM doomed)",
	}, "DELETE FROM contacts WHERE id IN (SELECT id FROM doomed)", countArgs(crm.EngineSQLite, cutoff))
}

// runBaseline runs the statements (args go to those that use them: the ones that select
// the doomed keys) and then last, in one transaction, and returns the rows last affected.
// It logs how long each statement and the commit took, per 1,000 contacts erased, to set
// beside the trace of one sweep batch.
func runBaseline(b testing.TB, db *sql.DB, stmts []string, last string, args []any) int64 {
	b.Helper()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	argsOf := func(s string) []any {
		if strings.Contains(s, "lifecycle_stage") {
			return args
		}
		return nil
	}
	var steps []traceStep
	exec := func(s string) sql.Result {
		start := time.Now()
		res, err := tx.Exec(s, argsOf(s)...)
		if err != nil {
			b.Fatalf("%s: %v", s, err)
		}
		steps = append(steps, traceStep{label: label(s, argsOf(s)), took: time.Since(start)})
		return res
	}
	for _, s := range stmts {
		exec(s)
	}
	n, _ := exec(last).RowsAffected()
	start := time.Now()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	steps = append(steps, traceStep{label: "COMMIT", took: time.Since(start)})
	logBaselineSteps(b, steps, n)
	return n
}

// logBaselineSteps logs the baseline's statements with their time per 1,000 contacts.
func logBaselineSteps(b testing.TB, steps []traceStep, erased int64) {
	b.Helper()
	var w strings.Builder
	fmt.Fprintf(&w, "the baseline's statements (%d erased), time per 1,000 contacts:\n", erased)
	for _, s := range steps {
		per := time.Duration(0)
		if erased > 0 {
			per = s.took * 1000 / time.Duration(erased)
		}
		fmt.Fprintf(&w, "  %9v  %s\n", per.Round(time.Microsecond), s.label)
	}
	b.Log(w.String())
}

// resetPeakRSS resets the process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0), so
// that peakRSSMiB reports the peak since. Where it cannot, the peak covers the process's
// whole life, data generation included.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMiB reads the process's peak resident set size (VmHWM).
func peakRSSMiB(b testing.TB) float64 {
	text, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(text), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkPostgresBaselines measures the PostgreSQL baseline variants side by side, each
// on its own fresh load of the same data (BENCH_CONTACTS), alternating which runs first,
// so that BenchmarkSweepVsSetDelete compares the sweep with the fastest (see
// BENCH_PG_BASELINE). Reported: each variant's rate.
func BenchmarkPostgresBaselines(b *testing.B) {
	variants := []struct {
		name string
		run  func(testing.TB, *sql.DB, time.Time) int64
	}{{"using", postgresUsingBaseline}, {"cte", postgresCTEBaseline}}
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cutoff := benchPlan().Rules[0].Cutoff
				order := []int{0, 1}
				if i%2 == 1 {
					order = []int{1, 0}
				}
				for _, v := range order {
					tdb := testdb.Postgres(b)
					admin := tdb.Open(b)
					generatePostgres(b, admin, n)
					start := time.Now()
					if got := variants[v].run(b, admin, cutoff); got != int64(n/2) {
						b.Fatalf("%s erased %d, want %d", variants[v].name, got, n/2)
					}
					b.ReportMetric(float64(n/2)/time.Since(start).Seconds(), variants[v].name+"_rows/s")
				}
			}
		})
	}
}
