package erasure

import (
	"testing"

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
	assertLedgerFormsAgree(t, admin, cdb,
		ledgerForm{"JSON_TABLE", insertLedgerJSON}, ledgerForm{"UNION ALL", insertLedgerUnion},
		"SELECT CONCAT_WS('|', crm_database, policy, rule, action, erased_at, subject_hmac, key_id, LENGTH(row_mac)) FROM crm_privacy.crm_privacy_erasure_ledger WHERE run_id = ? ORDER BY subject_hmac")

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
