package erasure

import (
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// On SQLite a sweep batch's ledger rows go in through json_each; rows of several runs
// through VALUES lists. Both must write the same rows and skip replays alike.
func TestLedgerSQLiteJSONAndValuesWriteTheSameRows(t *testing.T) {
	tdb := testdb.SQLite(t)
	admin := tdb.Open(t)
	cdb := crmtest.OpenCRM(t, tdb)
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
	write := []struct {
		name   string
		insert func() (int64, error)
		want   int64
	}{
		{"json_each", func() (int64, error) {
			return insertLedgerSQLiteJSON(ctx, cdb, cdb.DB(), keys.LedgerRowKey(), scope, ledgerEntries("run-json", 1, 300, at))
		}, 300},
		{"VALUES", func() (int64, error) {
			return insertLedgerChunk(ctx, cdb, cdb.DB(), keys.LedgerRowKey(), scope, ledgerEntries("run-values", 1, 300, at))
		}, 300},
		{"json_each replayed", func() (int64, error) {
			return insertLedgerSQLiteJSON(ctx, cdb, cdb.DB(), keys.LedgerRowKey(), scope, ledgerEntries("run-json", 251, 100, at))
		}, 50},
		{"VALUES replayed", func() (int64, error) {
			return insertLedgerChunk(ctx, cdb, cdb.DB(), keys.LedgerRowKey(), scope, ledgerEntries("run-values", 251, 100, at))
		}, 50},
	}
	for _, w := range write {
		n, err := w.insert()
		if err != nil || n != w.want {
			t.Fatalf("%s = %d, %v; want %d rows", w.name, n, err, w.want)
		}
	}
	// The same rows but for the run id (and so the row MAC): compare everything else.
	rows := func(run string) string {
		r, err := admin.QueryContext(ctx, "SELECT crm_database || '|' || policy || '|' || rule || '|' || action || '|' || erased_at || '|' || subject_hmac || '|' || key_id || '|' || length(row_mac) FROM crm_privacy_erasure_ledger WHERE run_id = ? ORDER BY subject_hmac", run)
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
	jsonRows, valuesRows := rows("run-json"), rows("run-values")
	if jsonRows != valuesRows || strings.Count(jsonRows, "\n") != 349 {
		t.Errorf("json_each wrote\n%.400s\nVALUES wrote\n%.400s", jsonRows, valuesRows)
	}
	// Every row's MAC verifies under the operator key: LedgerCount counts only such rows.
	for _, run := range []string{"run-json", "run-values"} {
		if n, err := LedgerCount(ctx, cdb, "sales/b2c-retention", run); err != nil || n != 350 {
			t.Errorf("%s: %d verified rows (%v), want 350", run, n, err)
		}
	}
}
