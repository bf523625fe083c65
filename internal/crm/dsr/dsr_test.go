package dsr

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
)

var testLedgerSecret = []byte("dsr-test-ledger-secret-0123456789abcdef")

// now is the requests' time, to the second so that every engine stores it exactly.
var now = time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)

func request(t Type) Request {
	return Request{ID: "0f6c1f9e-1111-4222-8333-444455556666", Name: "privacy/req-" + strings.ToLower(string(t)),
		Type: t, Now: now, HMACKey: testLedgerSecret}
}

// genericMapping is the generic preset with the objection time mapped.
func genericMapping() crm.Mapping {
	m := crmtest.GenericMapping()
	m.Fields[crm.FieldOptOutAt] = crm.Field{Column: "opt_out_at"}
	return m
}

// seedGeneric loads the generic schema and:
//
//	1 Alice@Example.COM  prospect, 2 notes, 2 interactions, 1 deal
//	2 bob@example.com    legal_hold set, 1 note
//	3 carol@example.com  customer (held by the test's hold selector), 1 note
//	4 dave@example.com   opted out already (objected 2025-01-01), 1 note, 1 interaction, 1 deal
//	5 alice@example.com  a second contact with Alice's address, other case
//	6 josé@example.com   an accented address
func seedGeneric(t *testing.T, admin *sql.DB) {
	t.Helper()
	crmtest.ExecAll(t, admin,
		`INSERT INTO contacts (id, email, first_name, last_name, phone, lifecycle_stage, contact_type, created_at, legal_hold, opt_out, opt_out_at, birth_date) VALUES
		 (1, 'Alice@Example.COM', 'Alice', 'Martin', '+33 1 23 45 67 89', 'prospect', 'B2B', '2020-01-01 09:00:00', FALSE, FALSE, NULL, '1980-05-17'),
		 (2, 'bob@example.com', 'Bob', 'Durand', NULL, 'prospect', 'B2B', '2020-01-02 09:00:00', TRUE, FALSE, NULL, NULL),
		 (3, 'carol@example.com', 'Carol', 'Petit', NULL, 'customer', 'B2C', '2020-01-03 09:00:00', FALSE, FALSE, NULL, NULL),
		 (4, 'dave@example.com', 'Dave', 'Roux', NULL, 'prospect', 'B2B', '2020-01-04 09:00:00', FALSE, TRUE, '2025-01-01 00:00:00', NULL),
		 (5, 'alice@example.com', 'Alice', 'Martin-2', NULL, 'lead', 'B2B', '2020-01-05 09:00:00', FALSE, FALSE, NULL, NULL),
		 (6, 'josé@example.com', 'José', 'Garcia', NULL, 'lead', 'B2C', '2020-01-06 09:00:00', FALSE, FALSE, NULL, NULL)`,
		`INSERT INTO notes (contact_id, body) VALUES (1, 'met at a fair'), (1, 'wants a demo | soon'), (2, 'bob note'), (3, 'carol note'), (4, 'dave note')`,
		`INSERT INTO interactions (contact_id, occurred_at, kind, direction) VALUES
		 (1, '2024-03-01 10:00:00', 'call', 'inbound'), (1, '2024-04-01 10:00:00', 'email', 'outbound'), (4, '2024-05-01 10:00:00', 'call', 'outbound')`,
		`INSERT INTO deals (contact_id, title, amount) VALUES (1, 'alice deal', 1200.50), (4, 'dave deal', 99)`,
	)
}

// countWhere counts the rows of table matching cond (literal SQL).
func countWhere(t *testing.T, admin *sql.DB, table, cond string) int64 {
	t.Helper()
	return crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+table+" WHERE "+cond)
}

func normalized(t *testing.T, field, v string) string {
	t.Helper()
	n, err := NormalizeIdentity(field, v)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFind(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		seedGeneric(t, admin)
		m := genericMapping()
		ctx := crmtest.TestContext(t)
		cases := []struct {
			name, field, value string
			want               []string
		}{
			{"both contacts with the address, whatever its case", crm.FieldEmail, "  ALICE@example.com ", []string{"1", "5"}},
			{"one contact", crm.FieldEmail, "bob@example.com", []string{"2"}},
			{"no contact", crm.FieldEmail, "nobody@example.com", nil},
			{"an accent is not ignored", crm.FieldEmail, "jose@example.com", nil},
			{"the accented address", crm.FieldEmail, "JOSÉ@example.com", []string{"6"}},
			{"another field, exactly", crm.FieldPhone, "+33 1 23 45 67 89", []string{"1"}},
			{"another field is case-sensitive", crm.FieldLastName, "martin", nil},
			{"another field, exact case", crm.FieldLastName, "Martin", []string{"1"}},
		}
		for _, c := range cases {
			got, err := Find(ctx, db, m, c.field, normalized(t, c.field, c.value))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if diff := cmp.Diff(c.want, got.Keys, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: keys (-want +got):\n%s", c.name, diff)
			}
		}
		if ec.Engine == crm.EngineMySQL {
			// Under a case-sensitive collation the lookup still ignores case, without an index.
			crmtest.ExecAll(t, admin, "ALTER TABLE contacts MODIFY email VARCHAR(320) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
			got, err := Find(ctx, db, m, crm.FieldEmail, "alice@example.com")
			if err != nil || !cmp.Equal(got.Keys, []string{"1", "5"}) {
				t.Errorf("Find under utf8mb4_bin = %v, %v; want 1 and 5", got.Keys, err)
			}
			li, err := CheckLookupIndex(ctx, db, m, crm.FieldEmail)
			if err != nil || li.Usable || !strings.Contains(li.Want, "case-insensitive collation") {
				t.Errorf("CheckLookupIndex under utf8mb4_bin = %+v, %v; want unusable, and why", li, err)
			}
		}
		_, err := Find(ctx, db, m, "shoeSize", "42")
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "shoeSize" {
			t.Errorf("an unmapped field: %v, want a FieldError naming it", err)
		}
	})
}

func TestFindRefusesTooManyMatches(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		var rows []string
		for i := 1; i <= MaxMatches+1; i++ {
			rows = append(rows, fmt.Sprintf("(%d, 'same@example.com')", i))
		}
		crmtest.ExecAll(t, admin, "INSERT INTO contacts (id, email) VALUES "+strings.Join(rows, ", "))
		_, err := Find(crmtest.TestContext(t), db, genericMapping(), crm.FieldEmail, "same@example.com")
		var tm *TooManyMatchesError
		if !errors.As(err, &tm) {
			t.Fatalf("Find = %v, want a TooManyMatchesError", err)
		}
		if strings.Contains(err.Error(), "same@") {
			t.Errorf("the error quotes the identity: %v", err)
		}
	})
}

func TestCheckLookupIndex(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		seedGeneric(t, admin)
		m := genericMapping()
		ctx := crmtest.TestContext(t)
		li, err := CheckLookupIndex(ctx, db, m, crm.FieldEmail)
		if err != nil {
			t.Fatal(err)
		}
		wantIndex := "contacts_lower_email_idx"
		if ec.Engine == crm.EngineMySQL {
			wantIndex = "contacts_email_idx"
		}
		if !li.Usable || li.Index != wantIndex {
			t.Errorf("with the sample's index: %+v, want usable through %s", li, wantIndex)
		}
		drop := "DROP INDEX " + wantIndex
		if ec.Engine == crm.EngineMySQL {
			drop += " ON contacts"
		}
		crmtest.ExecAll(t, admin, drop)
		li, err = CheckLookupIndex(ctx, db, m, crm.FieldEmail)
		if err != nil {
			t.Fatal(err)
		}
		if li.Usable || li.Index != "" || !strings.Contains(li.Want, "CREATE INDEX") {
			t.Errorf("without the index: %+v, want unusable and the statement that creates it", li)
		}
		crmtest.ExecAll(t, admin, li.Want)
		if li, err = CheckLookupIndex(ctx, db, m, crm.FieldEmail); err != nil || !li.Usable {
			t.Errorf("after creating the index it asks for: %+v, %v; want usable", li, err)
		}
		// Lookups still answer without an index.
		if got, err := Find(ctx, db, m, crm.FieldLastName, "Roux"); err != nil || len(got.Keys) != 1 {
			t.Errorf("Find by an unindexed field = %v, %v", got, err)
		}
		li, err = CheckLookupIndex(ctx, db, m, crm.FieldLastName)
		if err != nil || li.Usable || !strings.Contains(li.Want, "last_name") {
			t.Errorf("unindexed lastName: %+v, %v; want unusable with a statement for last_name", li, err)
		}
	})
}

// optedOut counts the contacts an opted-out selector selects, through the one selector
// compiler, as a scan or a row filter would.
func optedOut(t *testing.T, db *crm.Database, m crm.Mapping, cond string) int64 {
	t.Helper()
	ctx := crmtest.TestContext(t)
	r := crm.NewFieldResolver(db.Dialect(), db.DB(), m, "", "")
	if err := r.ResolveAll(ctx); err != nil {
		t.Fatal(err)
	}
	s := &crm.SQLText{}
	s.W("SELECT COUNT(*) FROM contacts WHERE ")
	if err := r.Compile(s, "test", crm.Selector{{Field: crm.FieldOptOut, Operator: crm.OpIn, Values: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	s.W(" AND " + cond)
	var n int64
	if err := db.DB().QueryRowContext(ctx, s.Query(db.Dialect()), s.Args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// timeOf reads a time column of one row as UTC.
func timeOf(t *testing.T, admin *sql.DB, e crm.Engine, query string) sql.NullTime {
	t.Helper()
	if e == crm.EngineSQLite {
		var s sql.NullString
		if err := admin.QueryRow(query).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if !s.Valid {
			return sql.NullTime{}
		}
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05", time.RFC3339Nano, time.DateOnly} {
			if v, err := time.Parse(layout, s.String); err == nil {
				return sql.NullTime{Time: v.UTC(), Valid: true}
			}
		}
		t.Fatalf("%s: unreadable time", query)
	}
	var v sql.NullTime
	if err := admin.QueryRow(query).Scan(&v); err != nil {
		t.Fatal(err)
	}
	v.Time = v.Time.UTC()
	return v
}

func TestObject(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		seedGeneric(t, admin)
		m := genericMapping()
		ctx := crmtest.TestContext(t)
		before := optedOut(t, db, m, "1=1")
		match, err := Find(ctx, db, m, crm.FieldEmail, normalized(t, crm.FieldEmail, "alice@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Object(ctx, db, m, append(match.Keys, "4"), request(TypeObjection))
		if err != nil {
			t.Fatal(err)
		}
		if res != (ObjectResult{Objected: 2, AlreadyOptedOut: 1}) {
			t.Errorf("Object = %+v, want 2 objected and 1 already opted out", res)
		}
		if n := optedOut(t, db, m, "id IN (1, 5, 4)"); n != 3 {
			t.Errorf("%d of contacts 1, 4, 5 are opted out for the selectors, want 3", n)
		}
		if n := optedOut(t, db, m, "1=1"); n != before+2 {
			t.Errorf("%d contacts opted out, want %d: others changed", n, before+2)
		}
		if at := timeOf(t, admin, ec.Engine, "SELECT opt_out_at FROM contacts WHERE id = 1"); !at.Valid || !at.Time.Equal(now) {
			t.Errorf("contact 1 objected at %v, want %v", at, now)
		}
		first := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		if at := timeOf(t, admin, ec.Engine, "SELECT opt_out_at FROM contacts WHERE id = 4"); !at.Valid || !at.Time.Equal(first) {
			t.Errorf("contact 4's first objection time became %v, want %v kept", at, first)
		}
		if n := countWhere(t, admin, "contacts", "opt_out_at IS NOT NULL"); n != 3 {
			t.Errorf("%d contacts have an objection time, want 3", n)
		}
		// An objection writes no ledger row; a second one changes nothing.
		if res, err = Object(ctx, db, m, match.Keys, request(TypeObjection)); err != nil || res != (ObjectResult{AlreadyOptedOut: 2}) {
			t.Errorf("second Object = %+v, %v; want 2 already opted out", res, err)
		}
		if res, err = Object(ctx, db, m, nil, request(TypeObjection)); err != nil || res != (ObjectResult{}) {
			t.Errorf("Object of no contact = %+v, %v", res, err)
		}
		// Without optOutAt mapped only the flag is set.
		m2 := crmtest.GenericMapping()
		if _, err := Object(ctx, db, m2, []string{"6"}, request(TypeObjection)); err != nil {
			t.Fatal(err)
		}
		if n := optedOut(t, db, m2, "id = 6"); n != 1 || countWhere(t, admin, "contacts", "id = 6 AND opt_out_at IS NULL") != 1 {
			t.Errorf("contact 6: opted out %d, or an objection time was set without the mapping", n)
		}
		delete(m2.Fields, crm.FieldOptOut)
		if _, err := Object(ctx, db, m2, []string{"3"}, request(TypeObjection)); !errors.Is(err, ErrNoOptOutField) {
			t.Errorf("without optOut mapped: %v, want ErrNoOptOutField", err)
		}
	})
}

// ledgerRows reads the ledger rows of the test database: run, policy, rule, action and
// subject hash.
func ledgerRows(t *testing.T, admin *sql.DB, e crm.Engine) [][5]string {
	t.Helper()
	rows, err := admin.Query("SELECT run_id, policy, rule, action, subject_hmac FROM " + erasure.LedgerRowsSQL(e) + " ORDER BY ledger_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][5]string
	for rows.Next() {
		var r [5]string
		if err := rows.Scan(&r[0], &r[1], &r[2], &r[3], &r[4]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func subjectOf(key string) string {
	return erasure.SubjectHMAC(erasure.LedgerSubjectKey(testLedgerSecret), key)
}

func TestErase(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		seedGeneric(t, admin)
		m := genericMapping()
		ctx := crmtest.TestContext(t)
		holds := []crm.Selector{{{Field: crm.FieldLifecycleStage, Operator: crm.OpIn, Values: []string{"customer"}}}}
		req := request(TypeErasure)
		res, err := Erase(ctx, db, m, []string{"1", "2", "3", "99"}, holds, req)
		if err != nil {
			t.Fatal(err)
		}
		if res != (EraseResult{Erased: 1, Held: 2}) {
			t.Errorf("Erase = %+v, want 1 erased and 2 held", res)
		}
		checks := []struct {
			what  string
			table string
			cond  string
			want  int64
		}{
			{"the erased contact", "contacts", "id = 1", 0},
			{"its notes", "notes", "contact_id = 1", 0},
			{"its interactions", "interactions", "contact_id = 1", 0},
			{"its deal, unlinked", "deals", "title = 'alice deal' AND contact_id IS NULL", 1},
			{"the held contacts", "contacts", "id IN (2, 3)", 2},
			{"the held contacts' notes", "notes", "contact_id IN (2, 3)", 2},
			{"the other contacts", "contacts", "id IN (4, 5, 6)", 3},
			{"the other contacts' rows", "notes", "contact_id = 4", 1},
			{"the other contacts' interactions", "interactions", "contact_id = 4", 1},
			{"the other contacts' deals", "deals", "contact_id = 4", 1},
		}
		for _, c := range checks {
			if n := countWhere(t, admin, c.table, c.cond); n != c.want {
				t.Errorf("%s: %d rows of %s WHERE %s, want %d", c.what, n, c.table, c.cond, c.want)
			}
		}
		want := [][5]string{{req.ID, req.Name, "DataSubjectRequest/Erasure", "Delete", subjectOf("1")}}
		if diff := cmp.Diff(want, ledgerRows(t, admin, ec.Engine)); diff != "" {
			t.Errorf("ledger (-want +got):\n%s", diff)
		}
		rec, err := Recorded(ctx, db, req)
		if err != nil || rec["Delete"] != 1 {
			t.Errorf("Recorded = %v, %v; want 1 Delete", rec, err)
		}
		// The request's rows are no policy's: a policy of the same name counts nothing.
		if n, err := erasure.LedgerCount(ctx, db, req.Name, "run-1"); err != nil || n != 0 {
			t.Errorf("a policy's run counts %d request rows (%v)", n, err)
		}
		// Erasing again (a retry after a crash) finds nothing left and writes nothing.
		if res, err := Erase(ctx, db, m, []string{"1"}, holds, req); err != nil || res != (EraseResult{}) {
			t.Errorf("second Erase = %+v, %v; want nothing", res, err)
		}
		if n := len(ledgerRows(t, admin, ec.Engine)); n != 1 {
			t.Errorf("%d ledger rows after the retry, want 1", n)
		}
		// Several contacts of one identity are erased together.
		res, err = Erase(ctx, db, m, []string{"4", "5"}, nil, request(TypeErasure))
		if err != nil || res != (EraseResult{Erased: 2}) {
			t.Errorf("Erase of 4 and 5 = %+v, %v", res, err)
		}
		if n := countWhere(t, admin, "contacts", "1=1"); n != 3 {
			t.Errorf("%d contacts left, want 3 (2, 3, 6)", n)
		}
	})
}

func TestEraseIsAllOrNothing(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		seedGeneric(t, admin)
		m := genericMapping()
		// The mapping forgets deals: deleting contact 4 breaks the deal's foreign key after
		// contact 5 (no deal) and 4's notes were handled.
		var deps []crm.Dependent
		for _, d := range m.Dependents {
			if d.Table != "deals" {
				deps = append(deps, d)
			}
		}
		m.Dependents = deps
		if _, err := Erase(crmtest.TestContext(t), db, m, []string{"4", "5"}, nil, request(TypeErasure)); err == nil {
			t.Fatal("Erase succeeded although a foreign key refers to the contact")
		}
		for _, c := range []struct{ table, cond string }{{"contacts", "id IN (4, 5)"}, {"notes", "contact_id = 4"}, {"interactions", "contact_id = 4"}} {
			if n := countWhere(t, admin, c.table, c.cond); n == 0 {
				t.Errorf("%s WHERE %s: rows deleted by a failed erasure", c.table, c.cond)
			}
		}
		if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+erasure.LedgerRowsSQL(ec.Engine)); n != 0 {
			t.Errorf("%d ledger rows after a failed erasure", n)
		}
	})
}

func TestRectify(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		seedGeneric(t, admin)
		boolType := "boolean"
		if ec.Engine == crm.EngineMySQL {
			boolType = "BOOLEAN"
		}
		crmtest.ExecAll(t, admin, "ALTER TABLE contacts ADD COLUMN score integer", "ALTER TABLE contacts ADD COLUMN vip "+boolType)
		m := genericMapping()
		m.Fields["score"] = crm.Field{Column: "score"}
		m.Fields["vip"] = crm.Field{Column: "vip"}
		ctx := crmtest.TestContext(t)
		req := request(TypeRectification)
		values := map[string]string{
			crm.FieldFirstName: "Alicia", crm.FieldPhone: "", crm.FieldBirthDate: "1981-06-18",
			crm.FieldConsentAt: "2026-11-30T08:15:00+01:00", "personalInterests": "sailing; chess",
			"score": "42", "vip": "true",
		}
		res, err := Rectify(ctx, db, m, []string{"1", "5"}, values, req)
		if err != nil {
			t.Fatal(err)
		}
		wantFields := []string{"birthDate", "consentAt", "firstName", "personalInterests", "phone", "score", "vip"}
		if res.Rectified != 2 || !cmp.Equal(res.Fields, wantFields) {
			t.Errorf("Rectify = %+v, want 2 contacts and fields %v", res, wantFields)
		}
		vipTrue := "vip IS TRUE"
		if ec.Engine != crm.EnginePostgres {
			vipTrue = "vip = 1"
		}
		if n := countWhere(t, admin, "contacts", "id IN (1, 5) AND first_name = 'Alicia' AND phone IS NULL AND personal_interests = 'sailing; chess' AND score = 42 AND "+vipTrue); n != 2 {
			t.Errorf("%d of the 2 contacts hold the new text, number and flag values", n)
		}
		if at := timeOf(t, admin, ec.Engine, "SELECT consent_at FROM contacts WHERE id = 5"); !at.Valid || !at.Time.Equal(time.Date(2026, 11, 30, 7, 15, 0, 0, time.UTC)) {
			t.Errorf("consent_at = %v, want 2026-11-30 07:15 UTC", at)
		}
		if bd := timeOf(t, admin, ec.Engine, "SELECT birth_date FROM contacts WHERE id = 1"); !bd.Valid || bd.Time.Format(time.DateOnly) != "1981-06-18" {
			t.Errorf("birth_date = %v, want 1981-06-18", bd)
		}
		// A number is an identity too, bound as the column's type.
		if got, err := Find(ctx, db, m, "score", "42"); err != nil || !cmp.Equal(got.Keys, []string{"1", "5"}) {
			t.Errorf("Find by an integer field = %v, %v; want 1 and 5", got.Keys, err)
		}
		if _, err := Find(ctx, db, m, "score", "forty-two"); err == nil {
			t.Error("Find by an integer field accepted a word")
		}
		if n := countWhere(t, admin, "contacts", "id NOT IN (1, 5) AND first_name = 'Alicia'"); n != 0 {
			t.Errorf("%d other contacts rectified", n)
		}
		want := [][5]string{
			{req.ID, req.Name, "DataSubjectRequest/Rectification", "Rectify", subjectOf("1")},
			{req.ID, req.Name, "DataSubjectRequest/Rectification", "Rectify", subjectOf("5")},
		}
		if diff := cmp.Diff(want, ledgerRows(t, admin, ec.Engine)); diff != "" {
			t.Errorf("ledger (-want +got):\n%s", diff)
		}

		const secret = "s3cr3t-v4lue"
		refusals := []struct {
			name   string
			values map[string]string
			field  string
		}{
			{"an unmapped field", map[string]string{"shoeSize": secret}, "shoeSize"},
			{"a legal hold", map[string]string{crm.FieldLegalHold: "false"}, crm.FieldLegalHold},
			{"the opt-out", map[string]string{crm.FieldOptOut: "false"}, crm.FieldOptOut},
			{"a retention time", map[string]string{crm.FieldLastContactAt: "2026-01-01T00:00:00Z"}, crm.FieldLastContactAt},
			{"a number that is not", map[string]string{"score": secret}, "score"},
			{"a flag that is not", map[string]string{"vip": secret}, "vip"},
			{"a date that is not", map[string]string{crm.FieldBirthDate: secret}, crm.FieldBirthDate},
			{"a time that is not", map[string]string{crm.FieldConsentAt: secret}, crm.FieldConsentAt},
			{"NULL in a NOT NULL column", map[string]string{crm.FieldFirstName: "x", crm.FieldCreatedAt: ""}, crm.FieldCreatedAt},
		}
		for _, r := range refusals {
			_, err := Rectify(ctx, db, m, []string{"2"}, r.values, request(TypeRectification))
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != r.field {
				t.Errorf("%s: %v, want a FieldError on %s", r.name, err, r.field)
				continue
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error quotes the value: %v", r.name, err)
			}
			if err := CheckRectification(ctx, db, m, r.values); !errors.As(err, &fe) {
				t.Errorf("%s: CheckRectification = %v, want the same refusal", r.name, err)
			}
		}
		// The database's own refusal quotes no value either (MySQL: "Duplicate entry '…'").
		crmtest.ExecAll(t, admin, "CREATE UNIQUE INDEX contacts_last_name_unique ON contacts (last_name)")
		_, err = Rectify(ctx, db, m, []string{"2"}, map[string]string{crm.FieldLastName: "Petit"}, request(TypeRectification))
		if err == nil || strings.Contains(err.Error(), "Petit") {
			t.Errorf("a rectification a unique index refuses: %v; want an error that quotes no value", err)
		}
		// A key column mapped as a field is refused too.
		m.Fields["contactId"] = crm.Field{Column: "id"}
		if _, err := Rectify(ctx, db, m, []string{"2"}, map[string]string{"contactId": "7"}, req); err == nil || !strings.Contains(err.Error(), "contactId") {
			t.Errorf("rectifying the key: %v", err)
		}
		if n := countWhere(t, admin, "contacts", "id = 2 AND first_name = 'Bob' AND legal_hold = "+map[bool]string{true: "TRUE", false: "1"}[ec.Engine == crm.EnginePostgres]); n != 1 {
			t.Error("a refused rectification changed contact 2")
		}
		if n := len(ledgerRows(t, admin, ec.Engine)); n != 2 {
			t.Errorf("%d ledger rows after refusals, want 2", n)
		}
	})
}

// tableRows counts the rows of an export table.
func tableRows(ts []subject.Table, name string) int {
	for _, t := range ts {
		if t.Name == name {
			return len(t.Rows)
		}
	}
	return -1
}

// cellOf is the value of column in the first row of the named export table.
func cellOf(ts []subject.Table, name, column string) string {
	for _, t := range ts {
		if t.Name != name || len(t.Rows) == 0 {
			continue
		}
		for i, c := range t.Columns {
			if c == column && t.Rows[0][i] != nil {
				return *t.Rows[0][i]
			}
		}
	}
	return "<none>"
}

func TestExport(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		seedGeneric(t, admin)
		m := genericMapping()
		ctx := crmtest.TestContext(t)
		match, err := Find(ctx, db, m, crm.FieldEmail, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		e, err := Export(ctx, db, m, match.Keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Contacts) != 2 || e.Contacts[0].Key != "1" || e.Contacts[1].Key != "5" {
			t.Fatalf("exported contacts %+v, want 1 and 5", e.Contacts)
		}
		c := e.Contacts[0]
		contactCols, err := db.DescribeTable(ctx, "contacts")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(contactCols.ColumnNames(), c.Row.Columns); diff != "" {
			t.Errorf("the contact row's columns (-catalog +export):\n%s", diff)
		}
		if len(c.Row.Rows) != 1 {
			t.Fatalf("contact row: %d rows", len(c.Row.Rows))
		}
		// Every value of the contact row, as the database holds it.
		for i, col := range c.Row.Columns {
			var v sql.NullString
			if err := admin.QueryRow("SELECT " + crmtest.Q(t, ec.Engine, col) + " FROM contacts WHERE id = 1").Scan(&v); err != nil {
				t.Fatal(err)
			}
			got := c.Row.Rows[0][i]
			if v.Valid != (got != nil) {
				t.Errorf("column %s: null in the database %v, in the export %v", col, !v.Valid, got == nil)
			}
		}
		fields := map[string]string{}
		for _, f := range c.Fields {
			if f.Value != nil {
				fields[f.Name] = *f.Value
			}
		}
		for name, want := range map[string]string{crm.FieldEmail: "Alice@Example.COM", crm.FieldFirstName: "Alice", crm.FieldLastName: "Martin", crm.FieldLifecycleStage: "prospect"} {
			if fields[name] != want {
				t.Errorf("field %s = %q, want %q", name, fields[name], want)
			}
		}
		if !strings.HasPrefix(fields[crm.FieldBirthDate], "1980-05-17") {
			t.Errorf("birthDate = %q", fields[crm.FieldBirthDate])
		}
		if len(c.Fields) != len(m.FieldNames())+4 { // the restricted fields not also in fields
			t.Errorf("%d fields exported, want every mapped and restricted field", len(c.Fields))
		}
		// Related rows, against the database.
		for _, r := range []struct {
			section []subject.Table
			name    string
			query   string
		}{
			{c.Interactions, "interactions", "SELECT COUNT(*) FROM interactions WHERE contact_id = 1"},
			{c.Dependents, "notes", "SELECT COUNT(*) FROM notes WHERE contact_id = 1"},
			{c.Dependents, "deals", "SELECT COUNT(*) FROM deals WHERE contact_id = 1"},
		} {
			if got, want := tableRows(r.section, r.name), crmtest.QueryInt(t, admin, r.query); int64(got) != want || want == 0 {
				t.Errorf("%s: %d rows exported, %d in the database", r.name, got, want)
			}
		}
		// Values as text: a decimal as its digits, a time in RFC 3339 UTC.
		if v := cellOf(c.Dependents, "deals", "amount"); !strings.HasPrefix(v, "1200.5") {
			t.Errorf("deal amount exported as %q", v)
		}
		if v := cellOf(c.Interactions, "interactions", "occurred_at"); v != "2024-03-01T10:00:00Z" {
			t.Errorf("first interaction time exported as %q, want 2024-03-01T10:00:00Z", v)
		}
		if tableRows(c.Dependents, "interactions") != -1 {
			t.Error("interactions are listed twice (as a dependent too)")
		}
		if n := tableRows(e.Contacts[1].Dependents, "notes"); n != 0 {
			t.Errorf("contact 5 shows %d notes, want none (others' rows leak)", n)
		}
		// Deterministic: the same data gives the same export.
		again, err := Export(ctx, db, m, []string{"5", "1"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(e, again); diff != "" {
			t.Errorf("a second export differs:\n%s", diff)
		}
		doc := subject.Document{Request: "privacy/req-access", GeneratedAt: now, Databases: []subject.Export{e}}
		b, err := doc.JSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := subject.ParseDocument(b)
		if err != nil || !cmp.Equal(doc, back) {
			t.Errorf("JSON round trip differs (%v)", err)
		}
		md := subject.RenderMarkdown(doc)
		for _, want := range []string{"Alice@Example.COM", "met at a fair", `wants a demo \| soon`, "alice deal", "We found 2 records"} {
			if !strings.Contains(md, want) {
				t.Errorf("the document lacks %q", want)
			}
		}
		if e, err := Export(ctx, db, m, nil); err != nil || len(e.Contacts) != 0 {
			t.Errorf("Export of nobody = %+v, %v", e, err)
		}
	})
}
