package controllers_test

import (
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// The four request types, the legal hold, the approval and the deadline on MariaDB and
// SQLite, as on PostgreSQL (TestDataSubjectRequestPostgres), asserting each database.

func TestDataSubjectRequestMariaDB(t *testing.T) {
	tdb := testdb.MariaDB(t)
	f := newRequestFixture(t, tdb, "generic-mysql.sql", "", "crm_privacy.crm_privacy_erasure_ledger")
	testRequestsOnAllTypes(t, f)
	assertNoIdentityLeaks(t, f.ns, append([]string{"nobody.at.all@example.com"}, dsrPeople...))
}

func TestDataSubjectRequestSQLite(t *testing.T) {
	tdb := testdb.SQLite(t)
	f := newRequestFixture(t, tdb, "generic-sqlite.sql", "", "crm_privacy_erasure_ledger")
	testRequestsOnAllTypes(t, f)
	assertNoIdentityLeaks(t, f.ns, append([]string{"nobody.at.all@example.com"}, dsrPeople...))
}
