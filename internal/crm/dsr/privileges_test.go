package dsr

import (
	"database/sql"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
)

// TestRequestsWithTheDocumentedGrants runs every kind of request as a login holding only
// the Enforce privileges of config/samples/crm/operator-grants-*.sql: what the documentation
// tells a DBA to grant is enough.
func TestRequestsWithTheDocumentedGrants(t *testing.T) {
	for _, ec := range crmtest.EngineCases[:2] {
		t.Run(ec.Name, func(t *testing.T) {
			tdb := ec.Open(t)
			admin := tdb.Open(t)
			crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
			seedGeneric(t, admin)
			login := crmtest.RandomLogin("dsr_")
			crmtest.ExecAll(t, admin, crmtest.DocumentedGrants(t, ec.Engine, login, tdb.Name, true)...)
			db := crmtest.OpenCRM(t, crmtest.LoginAs(tdb, login))
			runEveryRequest(t, db, admin)
		})
	}
}

func runEveryRequest(t *testing.T, db *crm.Database, admin *sql.DB) {
	t.Helper()
	ctx := crmtest.TestContext(t)
	m := genericMapping()
	if _, err := CheckLookupIndex(ctx, db, m, crm.FieldEmail); err != nil {
		t.Errorf("CheckLookupIndex: %v", err)
	}
	match, err := Find(ctx, db, m, crm.FieldEmail, "alice@example.com")
	if err != nil || match.Count() != 2 {
		t.Fatalf("Find = %v, %v", match, err)
	}
	if _, err := Export(ctx, db, m, match.Keys); err != nil {
		t.Errorf("Export: %v", err)
	}
	if res, err := Object(ctx, db, m, match.Keys, request(TypeObjection)); err != nil || res.Objected != 2 {
		t.Errorf("Object = %+v, %v", res, err)
	}
	if res, err := Rectify(ctx, db, m, []string{"5"}, map[string]string{crm.FieldFirstName: "Alicia", crm.FieldEmail: "alicia@example.com"}, request(TypeRectification)); err != nil || res.Rectified != 1 {
		t.Errorf("Rectify = %+v, %v", res, err)
	}
	if res, err := Erase(ctx, db, m, []string{"1", "2"}, nil, request(TypeErasure)); err != nil || res != (EraseResult{Erased: 1, Held: 1}) {
		t.Errorf("Erase = %+v, %v", res, err)
	}
	if n := countWhere(t, admin, "contacts", "id IN (1, 5)"); n != 1 {
		t.Errorf("%d of contacts 1 and 5 left, want 5 only", n)
	}
}
