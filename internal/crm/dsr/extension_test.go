package dsr

import (
	"database/sql"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
)

// The key of each person of the extension schema.
const (
	keyAnna  = "6f1c2a4e-0000-4000-8000-000000000001" // an extension row, two calls
	keyBen   = "6f1c2a4e-0000-4000-8000-000000000002" // no extension row
	keyCleo  = "6f1c2a4e-0000-4000-8000-000000000003" // held by the extension's flag
	keyDan   = "6f1c2a4e-0000-4000-8000-000000000004" // soft-deleted by the CRM
	keyOther = "6f1c2a4e-0000-4000-8000-000000000005" // shares a call with Anna
)

// loadExtensionSchema creates a SuiteCRM-like schema on any engine: text keys, a soft-delete
// flag, a text opt-out flag on the contact, the objection date and the legal hold in a 1:1
// extension table, calls linked through a link table.
func loadExtensionSchema(t *testing.T, e crm.Engine, admin *sql.DB) crm.Mapping {
	t.Helper()
	suffix := ""
	if e == crm.EngineMySQL {
		suffix = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	}
	ts := "timestamp"
	if e == crm.EngineMySQL {
		ts = "DATETIME(6)"
	}
	crmtest.ExecAll(t, admin,
		"CREATE TABLE people (pid varchar(36) PRIMARY KEY, mail varchar(200), given varchar(100), nope varchar(5), deleted integer DEFAULT 0)"+suffix,
		"CREATE TABLE people_x (pid_x varchar(36) PRIMARY KEY, objected_on date, hold integer DEFAULT 0, nickname varchar(50))"+suffix,
		"CREATE TABLE calls (cid integer PRIMARY KEY, started "+ts+", subject varchar(100))"+suffix,
		"CREATE TABLE call_people (cid integer NOT NULL, pid varchar(36) NOT NULL)"+suffix,
		`INSERT INTO people (pid, mail, given, nope, deleted) VALUES
		 ('`+keyAnna+`', 'anna@example.org', 'Anna', 'no', 0),
		 ('`+keyBen+`', 'ben@example.org', 'Ben', NULL, 0),
		 ('`+keyCleo+`', 'cleo@example.org', 'Cleo', 'no', 0),
		 ('`+keyDan+`', 'dan@example.org', 'Dan', 'no', 1),
		 ('`+keyOther+`', 'other@example.org', 'Otto', 'no', 0)`,
		`INSERT INTO people_x (pid_x, objected_on, hold, nickname) VALUES
		 ('`+keyAnna+`', NULL, 0, 'annie'), ('`+keyCleo+`', NULL, 1, NULL), ('`+keyDan+`', NULL, 0, NULL), ('`+keyOther+`', NULL, 0, NULL)`,
		"INSERT INTO calls (cid, started, subject) VALUES (1, '2024-01-01 10:00:00', 'intro'), (2, '2024-02-01 10:00:00', 'follow-up'), (3, '2024-03-01 10:00:00', 'dan call')",
		"INSERT INTO call_people (cid, pid) VALUES (1, '"+keyAnna+"'), (2, '"+keyAnna+"'), (2, '"+keyOther+"'), (3, '"+keyDan+"')",
	)
	return crm.Mapping{
		Contacts:  crm.ContactsTable{Table: "people", Key: "pid", SoftDeleteColumn: "deleted"},
		Extension: &crm.ExtensionTable{Table: "people_x", Key: "pid_x"},
		Fields: map[string]crm.Field{
			crm.FieldEmail:     {Column: "mail"},
			crm.FieldFirstName: {Column: "given"},
			crm.FieldOptOut:    {Column: "nope"},
			crm.FieldOptOutAt:  {Column: "objected_on", Source: crm.SourceExtension},
			crm.FieldLegalHold: {Column: "hold", Source: crm.SourceExtension},
			"nickname":         {Column: "nickname", Source: crm.SourceExtension},
		},
		Interactions: []crm.Interaction{{Name: "calls", Table: "calls", Key: "cid", Time: "started", FixedKind: "call",
			Link: &crm.InteractionLink{Table: "call_people", InteractionKey: "cid", ContactKey: "pid"}}},
		Dependents: []crm.Dependent{{Table: "call_people", Column: "pid", Action: crm.ActionDelete}},
	}
}

func TestRequestsOnAnExtensionSchema(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		m := loadExtensionSchema(t, ec.Engine, admin)
		ctx := crmtest.TestContext(t)

		// A soft-deleted contact is still found: its data is still held.
		match, err := Find(ctx, db, m, crm.FieldEmail, "dan@example.org")
		if err != nil || !cmp.Equal(match.Keys, []string{keyDan}) {
			t.Errorf("Find of a soft-deleted contact = %v, %v", match.Keys, err)
		}

		// A field of the extension table can be the identity too.
		if match, err := Find(ctx, db, m, "nickname", "annie"); err != nil || !cmp.Equal(match.Keys, []string{keyAnna}) {
			t.Errorf("Find by an extension field = %v, %v", match.Keys, err)
		}

		// Objection: the text flag becomes "1"; the objection date goes to the extension
		// row, created for Ben who had none.
		res, err := Object(ctx, db, m, []string{keyAnna, keyBen}, request(TypeObjection))
		if err != nil || res != (ObjectResult{Objected: 2}) {
			t.Fatalf("Object = %+v, %v", res, err)
		}
		if n := countWhere(t, admin, "people", "nope = '1' AND pid IN ('"+keyAnna+"', '"+keyBen+"')"); n != 2 {
			t.Errorf("%d of Anna and Ben have the flag set", n)
		}
		for _, k := range []string{keyAnna, keyBen} {
			d := timeOf(t, admin, ec.Engine, "SELECT objected_on FROM people_x WHERE pid_x = '"+k+"'")
			if !d.Valid || d.Time.Format(time.DateOnly) != now.Format(time.DateOnly) {
				t.Errorf("objection date of %s = %v, want %s", k, d, now.Format(time.DateOnly))
			}
		}
		if n := countWhere(t, admin, "people_x", "nickname = 'annie'"); n != 1 {
			t.Error("Anna's other extension fields changed")
		}
		if n := countWhere(t, admin, "people", "nope = '1'"); n != 2 {
			t.Errorf("%d contacts opted out, want only Anna and Ben", n)
		}

		// Access: extension row, calls through the link table, link rows as dependents.
		e, err := Export(ctx, db, m, []string{keyAnna})
		if err != nil {
			t.Fatal(err)
		}
		c := e.Contacts[0]
		if c.Extension == nil || len(c.Extension.Rows) != 1 {
			t.Fatalf("Anna's extension row is missing: %+v", c.Extension)
		}
		if got := tableRows(c.Interactions, "calls"); got != 2 {
			t.Errorf("%d calls exported for Anna, want 2", got)
		}
		if got := tableRows(c.Dependents, "call_people"); got != 2 {
			t.Errorf("%d link rows exported for Anna, want 2", got)
		}
		var nick string
		for _, f := range c.Fields {
			if f.Name == "nickname" && f.Value != nil {
				nick = *f.Value
			}
		}
		if nick != "annie" {
			t.Errorf("nickname from the extension = %q", nick)
		}

		// Rectification of an extension field for a contact without an extension row
		// creates it; a contact field is updated in place.
		if _, err := Rectify(ctx, db, m, []string{keyOther}, map[string]string{"nickname": "otto", crm.FieldFirstName: "Otto B."}, request(TypeRectification)); err != nil {
			t.Fatal(err)
		}
		if n := countWhere(t, admin, "people p JOIN people_x x ON x.pid_x = p.pid", "p.pid = '"+keyOther+"' AND x.nickname = 'otto' AND p.given = 'Otto B.'"); n != 1 {
			t.Error("the rectification of Otto is not in the database")
		}

		// Erasure: Cleo is held by the extension's flag; Anna's link rows and extension
		// row go, the calls themselves stay (interactions are not dependents here), and
		// the soft-deleted Dan is erased too.
		er, err := Erase(ctx, db, m, []string{keyAnna, keyCleo, keyDan}, nil, request(TypeErasure))
		if err != nil || er != (EraseResult{Erased: 2, Held: 1}) {
			t.Fatalf("Erase = %+v, %v; want 2 erased, 1 held", er, err)
		}
		for _, c := range []struct {
			table, cond string
			want        int64
		}{
			{"people", "pid IN ('" + keyAnna + "', '" + keyDan + "')", 0},
			{"people_x", "pid_x IN ('" + keyAnna + "', '" + keyDan + "')", 0},
			{"call_people", "pid IN ('" + keyAnna + "', '" + keyDan + "')", 0},
			{"people", "pid = '" + keyCleo + "'", 1},
			{"people_x", "pid_x = '" + keyCleo + "'", 1},
			{"call_people", "pid = '" + keyOther + "'", 1},
			{"calls", "1=1", 3},
		} {
			if n := countWhere(t, admin, c.table, c.cond); n != c.want {
				t.Errorf("%s WHERE %s: %d rows, want %d", c.table, c.cond, n, c.want)
			}
		}
		rows := ledgerRows(t, admin, ec.Engine)
		var erased []string
		for _, r := range rows {
			if r[3] == "Delete" {
				erased = append(erased, r[4])
			}
		}
		if want := []string{subjectOf(keyAnna), subjectOf(keyDan)}; !cmp.Equal(erased, want) {
			t.Errorf("ledger subjects %v, want Anna's and Dan's", erased)
		}
	})
}
