package erasure

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// On SQLite a sweep batch's ledger rows go in through json_each; rows of several runs
// through VALUES lists. Both must write the same rows and skip replays alike.
func TestLedgerSQLiteJSONAndValuesWriteTheSameRows(t *testing.T) {
	tdb := testdb.SQLite(t)
	admin := tdb.Open(t) // also creates the SQLite file
	cdb := crmtest.OpenCRM(t, tdb)
	assertLedgerFormsAgree(t, admin, cdb,
		ledgerForm{"json_each", insertLedgerSQLiteJSON}, ledgerForm{"VALUES", insertLedgerChunk},
		"SELECT crm_database || '|' || policy || '|' || rule || '|' || action || '|' || erased_at || '|' || subject_hmac || '|' || key_id || '|' || length(row_mac) FROM crm_privacy_erasure_ledger WHERE run_id = ? ORDER BY subject_hmac")
}

// ledgerForm is one way of writing a batch's ledger rows.
type ledgerForm struct {
	name   string
	insert func(ctx context.Context, db *crm.Database, q crm.Querier, key []byte, scope string, entries []LedgerEntry) (int64, error)
}

// assertLedgerFormsAgree writes 300 rows with each form, then 100 of which 50 are already
// recorded, and checks that both wrote the same rows (but for the run id and so the row
// MAC: rowsSQL renders everything else of one run's rows) and that every row verifies.
func assertLedgerFormsAgree(t *testing.T, admin *sql.DB, cdb *crm.Database, a, b ledgerForm, rowsSQL string) {
	t.Helper()
	ctx := crmtest.TestContext(t)
	if err := EnsureLedger(ctx, cdb); err != nil {
		t.Fatal(err)
	}
	keys, err := cdb.OperatorKeys()
	if err != nil {
		t.Fatal(err)
	}
	scope, err := cdb.Scope(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
	runs := []string{"run-a", "run-b"}
	for i, f := range []ledgerForm{a, b} {
		for _, w := range []struct {
			first, n int
			want     int64
		}{{1, 300, 300}, {251, 100, 50}} {
			n, err := f.insert(ctx, cdb, cdb.DB(), keys.LedgerRowKey(), scope, ledgerEntries(runs[i], w.first, w.n, at))
			if err != nil || n != w.want {
				t.Fatalf("%s of rows %d..%d = %d, %v; want %d new rows", f.name, w.first, w.first+w.n-1, n, err, w.want)
			}
		}
	}
	rows := func(run string) string {
		r, err := admin.QueryContext(ctx, rowsSQL, run)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = r.Close() }()
		var out []string
		for r.Next() {
			var line string
			if err := r.Scan(&line); err != nil {
				t.Fatal(err)
			}
			out = append(out, line)
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "\n")
	}
	if x, y := rows(runs[0]), rows(runs[1]); x != y || strings.Count(x, "\n") != 349 {
		t.Errorf("the two forms wrote different rows:\n%s:\n%.400s\n%s:\n%.400s", a.name, x, b.name, y)
	}
	// LedgerCount counts only rows whose MAC verifies under the operator key.
	for _, run := range runs {
		if n, err := LedgerCount(ctx, cdb, "sales/b2c-retention", run); err != nil || n != 350 {
			t.Errorf("LedgerCount(%s) = %d, %v; want 350 rows that verify", run, n, err)
		}
	}
}
