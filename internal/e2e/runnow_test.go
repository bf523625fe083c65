package e2e

import (
	"strings"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// TestRunNowWithThePlugin: `kubectl gdpr run --wait`, the built plugin against the built
// manager, runs a yearly policy at once and prints its outcome; the database is as the run
// says.
func TestRunNowWithThePlugin(t *testing.T) {
	tdb := testdb.Postgres(t)
	seed(t, tdb, 30, 5)
	startManager(t)
	applyCRM(t, "e2e-runnow", tdb)
	mustKubectl(t, scheduledPolicy(10, "0 0 1 1 *"), "apply", "-n", "e2e-runnow", "-f", "-")
	mustKubectl(t, "", "wait", "-n", "e2e-runnow", "--for=jsonpath={.status.pending}=30", "retentionpolicy/prospects", "--timeout=60s")

	out := mustKubectl(t, "", "gdpr", "run", "prospects", "-n", "e2e-runnow", "--wait", "--timeout=120s")
	for _, want := range []string{"run requested at", "answered: Started", "(Enforce, Manual): Succeeded", "erased 30"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl gdpr run output lacks %q:\n%s", want, out)
		}
	}
	db := tdb.Open(t)
	if n := queryInt(t, db, "SELECT COUNT(*) FROM contacts"); n != 5 {
		t.Errorf("%d contacts left, want the 5 fresh ones", n)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger"); n != 30 {
		t.Errorf("%d ledger rows, want 30", n)
	}
}
