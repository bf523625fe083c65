package dsr

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// relatedCase is a CRM preset whose logical fields are partly kept in related tables, run
// on its own fixture and engine: two contacts, Ann and Bob, each with an e-mail address.
type relatedCase struct {
	name, preset, sample string
	open                 func(testing.TB) *testdb.Database
	seed                 []string
	ann, bob             string
	// annEmail is Ann's address as a request gives it (normalised: lowercase); the CRM
	// stores it with capitals.
	annEmail string
	// fields are logical fields of Ann's export: name → table, value.
	fields map[string][2]string
	// objectRefused is the related table an objection must refuse to write ("" when the
	// preset's optOut is a contacts column and the objection is applied).
	objectRefused string
	// unchanged are counts an objection or rectification refused must leave as they are,
	// objected counts that an applied objection must give.
	unchanged, objected []check
	// erased are counts after Ann's erasure.
	erased []check
}

type check struct {
	q    string
	want int64
}

// presetDB is a preset's fixture loaded on its engine, seeded, with the preset's mapping
// resolved against it.
type presetDB struct {
	ctx   context.Context
	db    *crm.Database
	admin *sql.DB
	m     crm.Mapping
}

// openPreset loads sample into a fresh server from open, runs seed and resolves preset.
func openPreset(t *testing.T, open func(testing.TB) *testdb.Database, sample, preset string, seed ...string) presetDB {
	t.Helper()
	tdb := open(t)
	admin := tdb.Open(t)
	crmtest.LoadSample(t, admin, sample)
	crmtest.ExecAll(t, admin, seed...)
	db := crmtest.OpenCRM(t, tdb)
	ctx := crmtest.TestContext(t)
	m, err := crm.ResolveFor(ctx, db, preset, crm.Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	return presetDB{ctx: ctx, db: db, admin: admin, m: m}
}

func relatedCases() []relatedCase {
	return []relatedCase{
		{
			name: "espocrm", preset: crm.PresetEspoCRM, sample: "espocrm-mysql.sql", open: testdb.MariaDB,
			ann: "a0000000000000ann", bob: "b0000000000000bob", annEmail: "ann@example.test",
			seed: []string{
				"INSERT INTO contact (id, first_name, last_name) VALUES ('a0000000000000ann', 'Ann', 'A'), ('b0000000000000bob', 'Bob', 'B')",
				"INSERT INTO email_address (id, name, `lower`) VALUES ('ea0000000000000a1', 'Ann@Example.test', 'ann@example.test'), " +
					"('ea0000000000000a2', 'ann.old@example.test', 'ann.old@example.test'), ('ea0000000000000b1', 'bob@example.test', 'bob@example.test')",
				"INSERT INTO entity_email_address (entity_id, email_address_id, entity_type, `primary`) VALUES " +
					"('a0000000000000ann', 'ea0000000000000a2', 'Contact', 0), ('a0000000000000ann', 'ea0000000000000a1', 'Contact', 1), " +
					"('b0000000000000bob', 'ea0000000000000b1', 'Contact', 1)",
			},
			fields:        map[string][2]string{crm.FieldEmail: {"email_address", "Ann@Example.test"}, crm.FieldOptOut: {"email_address", "0"}},
			objectRefused: "email_address",
			unchanged:     []check{{"SELECT COUNT(*) FROM email_address WHERE opt_out = 1", 0}},
			erased: []check{
				{"SELECT COUNT(*) FROM contact WHERE id = 'a0000000000000ann'", 0},
				{"SELECT COUNT(*) FROM entity_email_address WHERE entity_id = 'a0000000000000ann'", 0},
				{"SELECT COUNT(*) FROM email_address WHERE id IN ('ea0000000000000a1', 'ea0000000000000a2')", 0},
				{"SELECT COUNT(*) FROM contact WHERE id = 'b0000000000000bob'", 1},
				{"SELECT COUNT(*) FROM email_address WHERE id = 'ea0000000000000b1'", 1},
			},
		},
		{
			name: "suitecrm", preset: crm.PresetSuiteCRM, sample: "suitecrm-mysql.sql", open: testdb.MariaDB,
			ann: "a0000000-0000-0000-0000-000000000ann", bob: "b0000000-0000-0000-0000-000000000bob", annEmail: "ann@example.test",
			seed: []string{
				"INSERT INTO contacts (id, first_name, last_name) VALUES ('a0000000-0000-0000-0000-000000000ann', 'Ann', 'A'), ('b0000000-0000-0000-0000-000000000bob', 'Bob', 'B')",
				"INSERT INTO email_addresses (id, email_address, email_address_caps, opt_out) VALUES " +
					"('ea1', 'Ann@Example.test', 'ANN@EXAMPLE.TEST', 1), ('ea2', 'ann.old@example.test', 'ANN.OLD@EXAMPLE.TEST', 0), ('eb1', 'bob@example.test', 'BOB@EXAMPLE.TEST', 0)",
				"INSERT INTO email_addr_bean_rel (id, email_address_id, bean_id, bean_module, primary_address) VALUES " +
					"('r1', 'ea2', 'a0000000-0000-0000-0000-000000000ann', 'Contacts', 0), ('r2', 'ea1', 'a0000000-0000-0000-0000-000000000ann', 'Contacts', 1), " +
					"('r3', 'eb1', 'b0000000-0000-0000-0000-000000000bob', 'Contacts', 1)",
			},
			fields: map[string][2]string{crm.FieldEmail: {"email_addresses", "Ann@Example.test"}, "emailOptOut": {"email_addresses", "1"},
				crm.FieldOptOut: {"contacts", "0"}},
			objected: []check{
				{"SELECT COUNT(*) FROM contacts WHERE id = 'a0000000-0000-0000-0000-000000000ann' AND do_not_call = 1", 1},
				{"SELECT COUNT(*) FROM contacts WHERE id = 'b0000000-0000-0000-0000-000000000bob' AND do_not_call = 0", 1},
			},
			unchanged: []check{{"SELECT COUNT(*) FROM email_addresses WHERE opt_out = 1", 1}},
			erased: []check{
				{"SELECT COUNT(*) FROM contacts WHERE id = 'a0000000-0000-0000-0000-000000000ann'", 0},
				{"SELECT COUNT(*) FROM email_addr_bean_rel WHERE bean_id = 'a0000000-0000-0000-0000-000000000ann'", 0},
				{"SELECT COUNT(*) FROM email_addresses WHERE id IN ('ea1', 'ea2')", 0},
				{"SELECT COUNT(*) FROM contacts WHERE id = 'b0000000-0000-0000-0000-000000000bob'", 1},
				{"SELECT COUNT(*) FROM email_addresses WHERE id = 'eb1'", 1},
			},
		},
		{
			name: "odoo", preset: crm.PresetOdoo, sample: "odoo-postgres.sql", open: testdb.Postgres,
			ann: "1", bob: "2", annEmail: "ann@example.test",
			seed: []string{
				"INSERT INTO res_partner (id, name, email, email_normalized, active, is_company) VALUES " +
					"(1, 'Ann A', 'Ann@Example.test', 'ann@example.test', true, false), (2, 'Bob B', 'bob@example.test', 'bob@example.test', true, false)",
				"INSERT INTO mail_blacklist (email, active) VALUES ('ann@example.test', true)",
			},
			fields:        map[string][2]string{crm.FieldEmail: {"res_partner", "Ann@Example.test"}, crm.FieldOptOut: {"mail_blacklist", "true"}},
			objectRefused: "mail_blacklist",
			unchanged:     []check{{"SELECT COUNT(*) FROM mail_blacklist", 1}},
			erased: []check{
				{"SELECT COUNT(*) FROM res_partner WHERE id = 1", 0},
				{"SELECT COUNT(*) FROM res_partner WHERE id = 2", 1},
				// The blacklist is kept (Erase: keep): it is what stops the address being mailed.
				{"SELECT COUNT(*) FROM mail_blacklist WHERE email = 'ann@example.test'", 1},
			},
		},
	}
}

// On the presets that keep the e-mail address and opt-out flags in related tables, the
// data-subject requests read them through the selector compiler's field resolver: Find by
// address finds the contact (the primary address, case-insensitively), the export lists
// the related fields with their values, an objection or rectification of a related field
// is refused and changes nothing, and an erasure removes the contact and its related rows
// as the preset says.
func TestRequestsOnRelatedFields(t *testing.T) {
	for _, tc := range relatedCases() {
		t.Run(tc.name, func(t *testing.T) {
			p := openPreset(t, tc.open, tc.sample, tc.preset, tc.seed...)
			ctx, db, m, admin := p.ctx, p.db, p.m, p.admin

			match, err := Find(ctx, db, m, subject.FieldEmail, tc.annEmail)
			if err != nil || len(match.Keys) != 1 || match.Keys[0] != tc.ann {
				t.Fatalf("Find(email) = %v, %v; want Ann's key only", match.Keys, err)
			}

			e, err := Export(ctx, db, m, []string{tc.ann})
			if err != nil {
				t.Fatalf("Export: %v", err)
			}
			assertFields(t, e, tc.fields)

			_, err = Object(ctx, db, m, []string{tc.ann}, request(TypeObjection))
			assertObjection(t, tc, err, admin)

			_, err = Rectify(ctx, db, m, []string{tc.ann}, map[string]string{subject.FieldEmail: "new@example.test"}, request(TypeRectification))
			if m.Fields[crm.FieldEmail].Source.Normal() == crm.SourceRelated {
				assertRefused(t, err, subject.FieldEmail, tc.fields[crm.FieldEmail][0])
			} else if err != nil {
				t.Errorf("Rectify(email) on a contacts column: %v", err)
			}
			assertCounts(t, admin, tc.unchanged)

			res, err := Erase(ctx, db, m, []string{tc.ann}, nil, request(TypeErasure))
			if err != nil || res.Erased != 1 {
				t.Fatalf("Erase = %+v, %v; want 1 erased", res, err)
			}
			assertCounts(t, admin, tc.erased)
		})
	}
}

// assertFields checks the export of one contact lists fields with their table and value.
func assertFields(t *testing.T, e subject.Export, want map[string][2]string) {
	t.Helper()
	if len(e.Contacts) != 1 {
		t.Fatalf("exported %d contacts, want 1", len(e.Contacts))
	}
	got := map[string][2]string{}
	for _, f := range e.Contacts[0].Fields {
		v := "<null>"
		if f.Value != nil {
			v = *f.Value
		}
		got[f.Name] = [2]string{f.Table, v}
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("exported field %s = %q, want %q", name, got[name], w)
		}
	}
}

// assertObjection checks an objection was refused naming optOut and its related table, or
// applied as tc.objected says.
func assertObjection(t *testing.T, tc relatedCase, err error, admin *sql.DB) {
	t.Helper()
	if tc.objectRefused != "" {
		assertRefused(t, err, crm.FieldOptOut, tc.objectRefused)
		return
	}
	if err != nil {
		t.Fatalf("Object: %v", err)
	}
	assertCounts(t, admin, tc.objected)
}

// assertRefused checks err is a *FieldError on field that names the related table.
func assertRefused(t *testing.T, err error, field, table string) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != field || !strings.Contains(fe.Error(), "related table "+table) {
		t.Errorf("error = %v; want a field error on %s naming related table %s", err, field, table)
	}
}

func assertCounts(t *testing.T, admin *sql.DB, checks []check) {
	t.Helper()
	for _, c := range checks {
		if n := crmtest.QueryInt(t, admin, c.q); n != c.want {
			t.Errorf("%s = %d, want %d", c.q, n, c.want)
		}
	}
}

// On EspoCRM the address is email_address.name, reached through entity_email_address: the
// lookup index to ask for is on that column, and once it exists the planner uses it for
// Find (through the candidate subquery on the related table).
func TestCheckLookupIndexEspoCRMRelatedEmail(t *testing.T) {
	p := openPreset(t, testdb.MariaDB, "espocrm-mysql.sql", crm.PresetEspoCRM)
	ctx, db, m, admin := p.ctx, p.db, p.m, p.admin
	li, err := CheckLookupIndex(ctx, db, m, subject.FieldEmail)
	if err != nil {
		t.Fatal(err)
	}
	const want = "CREATE INDEX email_address_name_idx ON `email_address` (`name`)"
	if li.Usable || li.Want != want {
		t.Fatalf("before the index: usable %v, want %q; expected not usable, %q (plan:\n%s)", li.Usable, li.Want, want, li.Plan)
	}
	crmtest.ExecAll(t, admin, want)
	if li, err = CheckLookupIndex(ctx, db, m, subject.FieldEmail); err != nil {
		t.Fatal(err)
	}
	if !li.Usable || li.Index != "email_address_name_idx" {
		t.Errorf("after the index: usable %v, index %q; want usable, email_address_name_idx (plan:\n%s)", li.Usable, li.Index, li.Plan)
	}
}

// On SuiteCRM's PostgreSQL rendering the address is email_addresses.email_address through
// email_addr_bean_rel: the index to ask for is on lower() of that column; once it exists
// (and the table's statistics are read) the planner uses it, and Find still finds the contact by its primary address.
func TestCheckLookupIndexSuiteCRMPostgresRelatedEmail(t *testing.T) {
	p := openPreset(t, testdb.Postgres, "suitecrm-postgres.sql", crm.PresetSuiteCRM,
		"INSERT INTO contacts (id, first_name, last_name) VALUES ('a0000000-0000-0000-0000-000000000ann', 'Ann', 'A')",
		"INSERT INTO email_addresses (id, email_address) VALUES ('ea1', 'Ann@Example.test')",
		// Enough other addresses that an index probe is cheaper than reading them all.
		"INSERT INTO email_addresses (id, email_address) SELECT 'x' || g, 'x' || g || '@example.test' FROM generate_series(1, 2000) g",
		"INSERT INTO email_addr_bean_rel (id, email_address_id, bean_id, bean_module, primary_address) VALUES ('r1', 'ea1', 'a0000000-0000-0000-0000-000000000ann', 'Contacts', true)",
	)
	ctx, db, m, admin := p.ctx, p.db, p.m, p.admin
	li, err := CheckLookupIndex(ctx, db, m, subject.FieldEmail)
	if err != nil {
		t.Fatal(err)
	}
	const want = `CREATE INDEX email_addresses_lower_email_address_idx ON "email_addresses" (lower("email_address"))`
	if li.Usable || li.Want != want {
		t.Fatalf("before the index: usable %v, want %q; expected not usable, %q (plan:\n%s)", li.Usable, li.Want, want, li.Plan)
	}
	crmtest.ExecAll(t, admin, want, "ANALYZE email_addresses")
	if li, err = CheckLookupIndex(ctx, db, m, subject.FieldEmail); err != nil {
		t.Fatal(err)
	}
	if !li.Usable || li.Index != "email_addresses_lower_email_address_idx" {
		t.Errorf("after the index: usable %v, index %q; want usable (plan:\n%s)", li.Usable, li.Index, li.Plan)
	}
	match, err := Find(ctx, db, m, subject.FieldEmail, "ann@example.test")
	if err != nil || len(match.Keys) != 1 || match.Keys[0] != "a0000000-0000-0000-0000-000000000ann" {
		t.Errorf("Find(email) = %v, %v; want Ann's key", match.Keys, err)
	}
}

// pgIndexFor takes the index whose condition names the column on the lookup's table: not
// an index on another table, not one whose condition names a longer column.
func TestPgIndexFor(t *testing.T) {
	plan := strings.Join([]string{
		"Nested Loop",
		"  ->  Index Scan using email_addresses_pkey on email_addresses fr  (cost=0.12..8.14 rows=1 width=37)",
		"        Filter: (lower((email_address)::text) = 'x'::text)",
		"  ->  Index Scan using idx_email_address_id on email_addr_bean_rel fl  (cost=0.14..8.16 rows=1 width=296)",
		"        Index Cond: (email_address_id = fr.id)",
		"  ->  Index Scan using contacts_email_idx on contacts c  (cost=0.14..8.16 rows=1 width=296)",
		"        Index Cond: (email_address = 'x'::text)",
		"  ->  Bitmap Index Scan on lower_email_idx  (cost=0.00..4.29 rows=1 width=0)",
		"        Index Cond: (lower((email_address)::text) = 'x'::text)",
	}, "\n")
	for _, tc := range []struct {
		alias, want string
		ok          bool
	}{
		{"fr", "lower_email_idx", true},
		{"c", "contacts_email_idx", true},
		{"fl", "lower_email_idx", true},
	} {
		if got, ok := pgIndexFor(plan, tc.alias, "email_address"); got != tc.want || ok != tc.ok {
			t.Errorf("pgIndexFor(%s) = %q, %v; want %q, %v", tc.alias, got, ok, tc.want, tc.ok)
		}
	}
	joinOnly, _, _ := strings.Cut(plan, "  ->  Index Scan using contacts")
	if got, ok := pgIndexFor(joinOnly, "fl", "email_address"); ok {
		t.Errorf("pgIndexFor(fl) on the join's index = %q; want none", got)
	}
}
