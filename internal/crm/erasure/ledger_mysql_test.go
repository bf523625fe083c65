package erasure

import (
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// On MySQL/MariaDB a batch's ledger rows go in through JSON_TABLE; a server without it
// (MariaDB before 10.6) gets the UNION ALL form instead. Both write the same rows, skip
// the rows already recorded alike, and the server's refusal of a construct it lacks is
// what IsSyntaxUnsupported recognises (and nothing else).
func TestLedgerJSONAndUnionWriteTheSameRows(t *testing.T) {
	tdb := testdb.MariaDB(t)
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
		{"JSON_TABLE", func() (int64, error) {
			return insertLedgerJSON(ctx, cdb, cdb.DB(), keys.LedgerRowKey(), scope, ledgerEntries("run-json", 1, 300, at))
		}, 300},
		{"UNION ALL", func() (int64, error) {
			return insertLedgerUnion(ctx, cdb, cdb.DB(), keys.LedgerRowKey(), scope, ledgerEntries("run-union", 1, 300, at))
		}, 300},
		{"JSON_TABLE replayed", func() (int64, error) {
			return insertLedgerJSON(ctx, cdb, cdb.DB(), keys.LedgerRowKey(), scope, ledgerEntries("run-json", 251, 100, at))
		}, 50},
		{"UNION ALL replayed", func() (int64, error) {
			return insertLedgerUnion(ctx, cdb, cdb.DB(), keys.LedgerRowKey(), scope, ledgerEntries("run-union", 251, 100, at))
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
		r, err := admin.QueryContext(ctx, "SELECT CONCAT_WS('|', crm_database, policy, rule, action, erased_at, subject_hmac, key_id, LENGTH(row_mac)) FROM crm_privacy.crm_privacy_erasure_ledger WHERE run_id = ? ORDER BY subject_hmac", run)
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
	if j, u := rows("run-json"), rows("run-union"); j != u || j == "" {
		t.Errorf("the two forms wrote different rows:\nJSON_TABLE:\n%.400s\nUNION ALL:\n%.400s", j, u)
	}
	for _, run := range []string{"run-json", "run-union"} {
		if n, err := LedgerCount(ctx, cdb, "sales/b2c-retention", run); err != nil || n != 350 {
			t.Errorf("LedgerCount(%s) = %d, %v; want 350 rows that verify", run, n, err)
		}
	}

	for _, c := range []struct {
		query string
		want  bool
	}{
		{"SELECT * FROM JSON_TABLEX('[]', '$[*]' COLUMNS (a INT PATH '$')) AS u", true}, // parse error (1064)
		{"SELECT no_such_function(1)", true},                                            // unknown function (1305)
		{"SELECT * FROM no_such_table", false},                                          // 1146
	} {
		_, err := cdb.DB().ExecContext(ctx, c.query)
		if err == nil {
			t.Fatalf("%s succeeded", c.query)
		}
		if got := crm.IsSyntaxUnsupported(err); got != c.want {
			t.Errorf("IsSyntaxUnsupported(%v) = %v, want %v", err, got, c.want)
		}
	}
}
