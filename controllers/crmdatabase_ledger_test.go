package controllers_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// A login that may only read (a DryRun deployment) cannot install the ledger: LedgerReady
// names the missing privilege and the database stays Ready, so dry runs work.
func TestCRMDatabaseWithAReadOnlyLoginStaysReadyForDryRuns(t *testing.T) {
	t.Parallel()
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	b, err := os.ReadFile(sampleSchema("operator-grants-postgres.sql"))
	if err != nil {
		t.Fatal(err)
	}
	grants, _, found := strings.Cut(string(b), "-- @enforce")
	if !found {
		t.Fatal("operator-grants-postgres.sql has no -- @enforce marker")
	}
	grants = strings.ReplaceAll(grants, `"crm"`, `"`+tdb.Name+`"`)
	grants = strings.ReplaceAll(grants, "crm_privacy_operator", "ro_"+strings.ToLower(tdb.Name))
	tdb.Exec(t, testdb.SplitSQL(grants)...)
	ro := *tdb
	ro.User, ro.Password = "ro_"+strings.ToLower(tdb.Name), "change-me-example-only"

	db := newCRMDatabase(t, newNamespace(t), &ro, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	cond := waitDatabase(t, db, privacyv1alpha1.TypeLedgerReady, metav1.ConditionFalse, privacyv1alpha1.ReasonLedgerFailed)
	if !strings.Contains(cond.Message, "lacks CREATE on database") || !strings.Contains(cond.Message, "dry runs work") {
		t.Errorf("LedgerReady does not name the missing privilege: %s", cond.Message)
	}
	waitDatabaseReady(t, db)
}

// spec.ledger.retainFor deletes the ledger rows older than the term at the database check.
func TestCRMDatabaseDeletesLedgerRowsPastTheirRetention(t *testing.T) {
	t.Parallel()
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	db := newCRMDatabase(t, newNamespace(t), tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)
	admin := tdb.Open(t)
	for _, at := range []string{"2001-01-01", "2002-01-01", time.Now().UTC().Format("2006-01-02")} {
		if _, err := admin.Exec("INSERT INTO crm_privacy.crm_privacy_erasure_ledger (crm_database, run_id, policy, rule, action, erased_at, subject_hmac) VALUES ('', $1, 'ns/p', 'r', 'Delete', $2, $3)",
			"run-"+at, at, erasure.SubjectHMAC([]byte("k"), at)); err != nil {
			t.Fatal(err)
		}
	}
	db.Spec.Ledger.RetainFor = "10y"
	if err := k8s.Update(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the old ledger rows to be deleted", func() (bool, error) {
		var n int
		err := admin.QueryRow("SELECT COUNT(*) FROM " + erasure.LedgerRowsSQL(crm.EnginePostgres)).Scan(&n)
		return err == nil && n == 1, err
	})
}
