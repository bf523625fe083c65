package controllers_test

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// TestDataSubjectRequestAllDatabases: an Erasure with allDatabases erases the person from
// every CRMDatabase of the namespace (here a PostgreSQL and a SQLite one), each in its own
// transaction with its own ledger row, and leaves everyone else in both.
func TestDataSubjectRequestAllDatabases(t *testing.T) {
	f := newRequestFixture(t, testdb.Postgres(t), "generic-postgres.sql", "", "crm_privacy.crm_privacy_erasure_ledger")
	lite := testdb.SQLite(t)
	seedRequestPeople(t, lite, "generic-sqlite.sql", "")
	g := &requestFixture{tdb: lite, admin: lite.Open(t), ns: f.ns, ledger: "crm_privacy_erasure_ledger",
		db: newCRMDatabase(t, f.ns, lite, crmDatabaseOptions{name: "crm-archive", preset: privacyv1alpha1.PresetGeneric})}
	waitDatabaseReady(t, g.db)

	yes := true
	q := f.request(t, "erasure-everywhere", privacyv1alpha1.RequestErasure, map[string]string{"email": "JANE.doe@example.com"},
		func(s *privacyv1alpha1.DataSubjectRequestSpec) { s.DatabaseRef, s.AllDatabases = nil, &yes })
	waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonRequestCompleted)

	for _, db := range []*requestFixture{f, g} {
		db.assertErased(t, 1)
		if n := db.ledgerRows(t, q, "Delete"); n != 1 {
			t.Errorf("CRMDatabase %s: %d ledger rows of the erasure, want 1", db.db.Name, n)
		}
	}
	erased := map[string]int64{}
	for _, r := range q.Status.Databases {
		erased[string(r.Name)] = r.Erased
	}
	if want := map[string]int64{f.db.Name: 1, g.db.Name: 1}; fmt.Sprint(erased) != fmt.Sprint(want) {
		t.Errorf("status.databases erased %v, want %v", erased, want)
	}
	identityGone(t, q)
	assertNoIdentityLeaks(t, f.ns, dsrPeople)
}
