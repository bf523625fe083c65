package e2e

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// TestPreviewOfAPullRequest: a change set with a stricter enforced policy, a widened
// AccessRole and an edited activity, previewed with the built plugin against the built
// manager and a real PostgreSQL: the operator's counts, the access gained, the register diff,
// exit code 2, no ChangePreview left behind and the CRM database untouched.
func TestPreviewOfAPullRequest(t *testing.T) {
	const ns = "e2e-preview"
	tdb := testdb.Postgres(t)
	seed(t, tdb, 30, 10)
	startManager(t)
	applyCRM(t, ns, tdb)

	// Live: the policy keeps prospects 48 months and only counts; the role reads four columns.
	live := strings.Replace(strings.Replace(scheduledPolicy(50, "@yearly"), "retainFor: 24m", "retainFor: 48m", 1), "mode: Enforce", "mode: DryRun", 1)
	mustKubectl(t, live, "apply", "-n", ns, "-f", "-")
	mustKubectl(t, accessRole("crm_preview_sales", false, nil), "apply", "-n", ns, "-f", "-")

	db := tdb.Open(t)
	rowsBefore := queryInt(t, db, "SELECT COUNT(*) FROM contacts")
	sumBefore := queryText(t, db, "SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM contacts c")

	// The pull request: 24 months, enforced; one more column and a member; one more purpose.
	dir := t.TempDir()
	widened := strings.Replace(accessRole("crm_preview_sales", false, nil), "columns: [id, email, company, contact_type]", "columns: [id, email, company, contact_type, phone]", 1) +
		`    - user: bruno
      designation: {designatedBy: Head of Sales, designatedAt: "2026-01-05T09:00:00Z", instructedAt: "2026-01-05T11:00:00Z"}
`
	sample, err := os.ReadFile(filepath.Join(cluster.root, "config", "samples", "privacy_v1alpha1_processingactivity.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const purpose = "    - Following up on quotes and product demonstrations\n"
	activity := strings.Replace(string(sample), purpose, purpose+"    - Inviting prospects to the annual user conference\n", 1)
	for name, data := range map[string]string{
		"retention/prospects.yaml": scheduledPolicy(50, "@yearly"),
		"access/sales.yaml":        widened,
		"activities.yaml":          activity,
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	out, err := kubectl(t, "", "gdpr", "preview", "-n", ns, "-f", dir, "--format", "markdown", "--timeout", "90s")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("kubectl gdpr preview: %v, want exit code 2\n%s", err, out)
	}
	for _, want := range []string{
		"would erase 30 and anonymise 0 contact(s) now that the live policies would not",
		"widens access in AccessRole " + ns + "/sales",
		"| prospects | Delete | 30 | 0 | 0 | 0 |",
		"| gained | SELECT (phone) on contacts |",
		"| gained | member bruno |",
		"~ Modified ProcessingActivity/" + ns + "/sales-prospecting: spec.purposes",
		"~ Modified RetentionPolicy/" + ns + "/prospects: spec.mode, spec.rules[0].retainFor\n",
		"~ Modified AccessRole/" + ns + "/sales:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the comment lacks %q:\n%s", want, out)
		}
	}
	if left := mustKubectl(t, "", "get", "changepreviews", "-n", ns, "-o", "name"); strings.TrimSpace(left) != "" {
		t.Errorf("ChangePreviews left behind:\n%s", left)
	}
	if n, sum := queryInt(t, db, "SELECT COUNT(*) FROM contacts"), queryText(t, db, "SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM contacts c"); n != rowsBefore || sum != sumBefore {
		t.Errorf("the preview changed the contacts: %d rows (md5 %s), before %d (md5 %s)", n, sum, rowsBefore, sumBefore)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM crm_privacy.crm_privacy_erasure_ledger"); n != 0 {
		t.Errorf("the preview wrote %d ledger rows", n)
	}
}

func queryText(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	var s string
	if err := db.QueryRowContext(context.Background(), q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}
