package dsr

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// TestUUIDKeysOnPostgres runs requests on a contacts table keyed by a native uuid, with a
// dependent referencing it: keys travel as their canonical text and back.
func TestUUIDKeysOnPostgres(t *testing.T) {
	tdb := testdb.Postgres(t)
	admin := tdb.Open(t)
	const k1, k2 = "0a4b7e2c-1d3f-4a5b-8c6d-7e8f9a0b1c2d", "1b5c8f3d-2e4a-4b6c-9d7e-8f9a0b1c2d3e"
	crmtest.ExecAll(t, admin,
		"CREATE TABLE persons (id uuid PRIMARY KEY, email text, opt_out boolean NOT NULL DEFAULT false)",
		"CREATE TABLE memos (id serial PRIMARY KEY, person_id uuid REFERENCES persons (id), body text)",
		"INSERT INTO persons (id, email) VALUES ('"+k1+"', 'Uma@Example.org'), ('"+k2+"', 'vic@example.org')",
		"INSERT INTO memos (person_id, body) VALUES ('"+k1+"', 'uma memo'), ('"+k2+"', 'vic memo')",
	)
	m := crm.Mapping{
		Contacts:   crm.ContactsTable{Table: "persons", Key: "id"},
		Fields:     map[string]crm.Field{crm.FieldEmail: {Column: "email"}, crm.FieldOptOut: {Column: "opt_out"}},
		Dependents: []crm.Dependent{{Table: "memos", Column: "person_id", Action: crm.ActionDelete}},
	}
	db := crmtest.OpenCRM(t, tdb)
	ctx := crmtest.TestContext(t)
	match, err := Find(ctx, db, m, crm.FieldEmail, "uma@example.org")
	if err != nil || !cmp.Equal(match.Keys, []string{k1}) {
		t.Fatalf("Find = %v, %v; want the canonical uuid", match.Keys, err)
	}
	e, err := Export(ctx, db, m, match.Keys)
	if err != nil || len(e.Contacts) != 1 || e.Contacts[0].Key != k1 || tableRows(e.Contacts[0].Dependents, "memos") != 1 {
		t.Fatalf("Export = %+v, %v", e, err)
	}
	if res, err := Object(ctx, db, m, match.Keys, request(TypeObjection)); err != nil || res.Objected != 1 {
		t.Fatalf("Object = %+v, %v", res, err)
	}
	res, err := Erase(ctx, db, m, match.Keys, nil, request(TypeErasure))
	if err != nil || res.Erased != 1 {
		t.Fatalf("Erase = %+v, %v", res, err)
	}
	if n := countWhere(t, admin, "persons", "1=1"); n != 1 || countWhere(t, admin, "memos", "1=1") != 1 {
		t.Errorf("%d persons left; want Vic and his memo only", n)
	}
	want := [][5]string{{request(TypeErasure).ID, request(TypeErasure).Name, "DataSubjectRequest/Erasure", "Delete", subjectOf(k1)}}
	if diff := cmp.Diff(want, ledgerRows(t, admin, crm.EnginePostgres)); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
}
