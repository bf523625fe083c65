package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// TestDataSubjectRequestsWithThePlugin drives data-subject requests the way a DPO does:
// the built plugin creates each request and its identity Secret with the identity on
// standard input, the built manager carries them out on PostgreSQL, the plugin lists them
// and writes the access export to a file. Then the database is checked, and nothing of the
// identities may be found in the requests, the events or the manager's log.
func TestDataSubjectRequestsWithThePlugin(t *testing.T) {
	const ns = "e2e-dsr"
	tdb := testdb.Postgres(t)
	seed(t, tdb, 0, 20)
	m := startManager(t)
	applyCRM(t, ns, tdb)
	db := tdb.Open(t)

	// Erasure of contact 5, its identity typed with capitals and spaces.
	mustKubectl(t, "  P5@Example.TEST \n", "gdpr", "request", "create", "erasure", "--database", "crm-db", "-n", ns, "--name", "erase-p5")
	mustKubectl(t, "", "wait", "-n", ns, "--for=condition=Completed", "dsr/erase-p5", "--timeout=120s")
	uid := strings.TrimSpace(mustKubectl(t, "", "get", "dsr", "-n", ns, "erase-p5", "-o", "jsonpath={.metadata.uid}"))
	for q, want := range map[string]int{
		"SELECT COUNT(*) FROM contacts WHERE id = 5":                                                       0,
		"SELECT COUNT(*) FROM notes WHERE contact_id = 5":                                                  0,
		"SELECT COUNT(*) FROM contacts":                                                                    19,
		"SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger WHERE run_id = '" + uid + "'":         1,
		"SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger WHERE policy = '" + ns + "/erase-p5'": 1,
	} {
		if n := queryInt(t, db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}

	// Objection of contact 6 and access for contact 7.
	mustKubectl(t, "p6@example.test\n", "gdpr", "request", "create", "objection", "--database", "crm-db", "-n", ns, "--name", "object-p6")
	mustKubectl(t, "p7@example.test\n", "gdpr", "request", "create", "access", "--all-databases", "-n", ns, "--name", "access-p7")
	mustKubectl(t, "", "wait", "-n", ns, "--for=condition=Completed", "dsr/object-p6", "dsr/access-p7", "--timeout=120s")
	if n := queryInt(t, db, "SELECT COUNT(*) FROM contacts WHERE opt_out"); n != 1 || queryInt(t, db, "SELECT COUNT(*) FROM contacts WHERE id = 6 AND opt_out") != 1 {
		t.Errorf("%d contacts opted out, want contact 6 only", n)
	}
	file := filepath.Join(t.TempDir(), "answer.md")
	mustKubectl(t, "", "gdpr", "request", "export", "access-p7", "-n", ns, "-o", file)
	answer, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(answer), "p7@example.test") || strings.Contains(string(answer), "p8@example.test") {
		t.Errorf("the export does not hold contact 7's data, or holds another's:\n%.1500s", answer)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the export file's mode is %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	jsonOut := mustKubectl(t, "", "gdpr", "request", "export", "access-p7", "-n", ns, "--format", "json")
	if !strings.Contains(jsonOut, `"contacts"`) || !strings.Contains(jsonOut, "sales-prospecting") {
		t.Errorf("the JSON export lacks the contacts or the register's activity:\n%.1500s", jsonOut)
	}

	out := mustKubectl(t, "", "gdpr", "request", "list", "-n", ns)
	for _, name := range []string{"erase-p5", "object-p6", "access-p7"} {
		if !strings.Contains(out, name) {
			t.Errorf("request list lacks %s:\n%s", name, out)
		}
	}
	if out := mustKubectl(t, "", "gdpr", "request", "describe", "erase-p5", "-n", ns); !strings.Contains(out, "(deleted)") {
		t.Errorf("describe does not say the identity Secret was deleted:\n%s", out)
	}

	// Nothing of the identities in the cluster's state or the operator's log.
	state := mustKubectl(t, "", "get", "dsr,events", "-n", ns, "-o", "yaml") +
		mustKubectl(t, "", "get", "registerrevisions", "-o", "yaml") + m.log.String()
	for _, id := range []string{"p5@", "p6@", "p7@"} {
		if strings.Contains(strings.ToLower(state), id) {
			t.Errorf("the requests, events, register or manager log hold %q", id)
		}
	}
	secrets := mustKubectl(t, "", "get", "secrets", "-n", ns, "-o", "name")
	if strings.Contains(secrets, "-identity") {
		t.Errorf("identity Secrets left after completion:\n%s", secrets)
	}
}
