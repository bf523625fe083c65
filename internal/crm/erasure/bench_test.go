package erasure

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

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// BenchmarkSweepVsSetDelete compares the operator's sweep (keyset batches, one
// transaction each, ledger on) with a hand-written set-based DELETE of the same contacts
// on identical PostgreSQL data: N contacts, half expired, 2N interactions, N notes.
// Reported: both rates, their ratio, the longest batch, and the process's peak RSS.
func BenchmarkSweepVsSetDelete(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchmarkSweep(b, n)
			}
		})
	}
}

func benchmarkSweep(b *testing.B, n int) {
	b.StopTimer()
	ctx := context.Background()
	baseDB, sweepDB := testdb.Postgres(b), testdb.Postgres(b)
	for _, tdb := range []*testdb.Database{baseDB, sweepDB} {
		generateContacts(b, tdb, n)
	}
	plan := benchPlan()

	// Baseline: one set-based statement per table, in one transaction.
	admin := baseDB.Open(b)
	start := time.Now()
	baseline := setBasedDelete(b, admin, plan.Rules[0].Cutoff)
	baseElapsed := time.Since(start)

	// The operator's sweep.
	db, err := crm.Open(crm.ConnConfig{Engine: crm.EnginePostgres, Host: sweepDB.Host, Port: sweepDB.Port, User: sweepDB.User,
		Password: sweepDB.Password, Database: sweepDB.Name, TLSMode: crm.TLSDisable})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := EnsureLedger(ctx, db); err != nil {
		b.Fatal(err)
	}
	m, _ := crm.Preset(crm.PresetGeneric)
	batch := 2000
	if s := os.Getenv("SWEEP_BATCH"); s != "" {
		batch, _ = strconv.Atoi(s)
	}
	run := SweepRun{Policy: "bench/prospects", RunID: "bench", BatchSize: batch, Ledger: true, HMACKey: testKey, Now: time.Now()}
	b.StartTimer()
	start = time.Now()
	var erased int64
	var longest time.Duration
	for {
		res, err := SweepBatch(ctx, db, m, plan, run)
		if err != nil {
			b.Fatal(err)
		}
		erased += res.Erased
		longest = max(longest, res.Duration)
		if res.Done {
			break
		}
	}
	sweepElapsed := time.Since(start)
	b.StopTimer()

	if erased != baseline || erased != int64(n/2) {
		b.Fatalf("the sweep erased %d, the baseline %d; want %d", erased, baseline, n/2)
	}
	sweepAdmin := sweepDB.Open(b)
	for _, q := range []string{"SELECT COUNT(*) FROM contacts", "SELECT COUNT(*) FROM interactions", "SELECT COUNT(*) FROM notes"} {
		var x, y int64
		if err := admin.QueryRow(q).Scan(&x); err != nil {
			b.Fatal(err)
		}
		if err := sweepAdmin.QueryRow(q).Scan(&y); err != nil {
			b.Fatal(err)
		}
		if x != y {
			b.Fatalf("%s: baseline leaves %d, the sweep %d", q, x, y)
		}
	}
	var ledger int64
	if err := sweepAdmin.QueryRow("SELECT COUNT(*) FROM crm_privacy_erasure_ledger").Scan(&ledger); err != nil || ledger != erased {
		b.Fatalf("ledger rows %d (%v), want %d", ledger, err, erased)
	}
	baseRate := float64(baseline) / baseElapsed.Seconds()
	sweepRate := float64(erased) / sweepElapsed.Seconds()
	b.ReportMetric(baseRate, "baseline_rows/s")
	b.ReportMetric(sweepRate, "sweep_rows/s")
	b.ReportMetric(sweepRate/baseRate, "ratio")
	b.ReportMetric(float64(longest.Milliseconds()), "max_batch_ms")
	b.ReportMetric(float64(batch), "batch_size")
	b.ReportMetric(peakRSSMiB(b), "peak_rss_MiB")
}

func benchPlan() RetentionPlan {
	return RetentionPlan{Rules: []RetentionRule{{
		Name: "prospects", Selector: crm.Selector{{Field: crm.FieldLifecycleStage, Operator: crm.OpIn, Values: []string{"prospect"}}},
		Cutoff: time.Now().AddDate(-2, 0, 0), RenewKinds: []string{"call"}, Action: ActionDeleteContact,
	}}}
}

// generateContacts loads the generic schema with n contacts (odd ids expired), two
// interactions each (an email at the last contact, a call a month before) and a note.
func generateContacts(b testing.TB, tdb *testdb.Database, n int) {
	b.Helper()
	b.Logf("generating %d contacts in %s", n, tdb.Name)
	text, err := os.ReadFile(filepath.Join(crmtest.SamplesDir(), "generic-postgres.sql"))
	if err != nil {
		b.Fatal(err)
	}
	stmts := testdb.SplitSQL(string(text))
	stmts = append(stmts,
		fmt.Sprintf(`INSERT INTO contacts (id, email, contact_type, lifecycle_stage, created_at, last_contact_at)
			SELECT g, 'p' || g || '@example.test', 'B2B', 'prospect', now() - interval '4 years',
			       CASE WHEN g %% 2 = 1 THEN now() - interval '3 years' ELSE now() - interval '1 month' END
			FROM generate_series(1, %d) g`, n),
		`INSERT INTO interactions (contact_id, occurred_at, kind, direction)
			SELECT id, last_contact_at, 'email', 'outbound' FROM contacts`,
		`INSERT INTO interactions (contact_id, occurred_at, kind, direction)
			SELECT id, last_contact_at - interval '30 days', 'call', 'inbound' FROM contacts`,
		`INSERT INTO notes (contact_id, body) SELECT id, 'met at a fair' FROM contacts`,
		"ANALYZE",
	)
	tdb.Exec(b, stmts...)
}

// setBasedDelete is what a DBA would write by hand: the doomed keys once, then one DELETE
// per table, in one transaction. It returns the contacts deleted.
func setBasedDelete(b *testing.B, db *sql.DB, cutoff time.Time) int64 {
	b.Helper()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	stmts := []string{
		`CREATE TEMP TABLE doomed ON COMMIT DROP AS
			SELECT c.id FROM contacts c
			WHERE c.lifecycle_stage = 'prospect' AND c.last_contact_at < $1
			  AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.contact_id = c.id AND i.occurred_at >= $1 AND lower(i.kind) = 'call')`,
		"DELETE FROM interactions WHERE contact_id IN (SELECT id FROM doomed)",
		"DELETE FROM notes WHERE contact_id IN (SELECT id FROM doomed)",
		"UPDATE deals SET contact_id = NULL WHERE contact_id IN (SELECT id FROM doomed)",
	}
	for i, s := range stmts {
		var args []any
		if i == 0 {
			args = []any{cutoff}
		}
		if _, err := tx.Exec(s, args...); err != nil {
			b.Fatalf("%s: %v", s, err)
		}
	}
	res, err := tx.Exec("DELETE FROM contacts WHERE id IN (SELECT id FROM doomed)")
	if err != nil {
		b.Fatal(err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return n
}

// peakRSSMiB reads the process's peak resident set size (VmHWM).
func peakRSSMiB(b *testing.B) float64 {
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
