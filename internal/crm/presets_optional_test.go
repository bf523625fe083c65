package crm

import (
	"slices"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// Odoo releases after 18.0 have no res_partner.mobile: ResolveFor unmaps the preset's
// mobilePhone there (and drops it from personalFields), so the preset validates clean; an
// explicit mapping of mobilePhone is never dropped.
func TestOdooWithoutMobileColumn(t *testing.T) {
	tdb := testdb.Postgres(t)
	admin := tdb.Open(t)
	loadSample(t, admin, "odoo-postgres.sql")
	execAll(t, admin, "ALTER TABLE res_partner DROP COLUMN mobile")
	crm := openCRM(t, tdb)
	ctx := testContext(t)

	plain, _ := Resolve(PresetOdoo, Mapping{})
	ps, err := Validate(ctx, crm, plain)
	if err != nil {
		t.Fatal(err)
	}
	if got := fieldsOf(ps); !slices.Contains(got, "mapping.fields[mobilePhone].column") {
		t.Errorf("Resolve + Validate problems = %v, want the missing mobile column reported", got)
	}

	m, err := ResolveFor(ctx, crm, PresetOdoo, Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := m.Fields["mobilePhone"]; ok {
		t.Errorf("mobilePhone still mapped to %q", f.Column)
	}
	if slices.Contains(m.PersonalFields, "mobilePhone") {
		t.Errorf("personalFields still list mobilePhone: %v", m.PersonalFields)
	}
	if m.Fields[FieldPhone].Column != "phone" {
		t.Errorf("phone mapped to %q, want phone", m.Fields[FieldPhone].Column)
	}
	if ps, err = Validate(ctx, crm, m); err != nil {
		t.Fatal(err)
	} else if len(ps) > 0 {
		t.Errorf("problems after ResolveFor:\n%s", problemsText(ps))
	}

	explicit := Mapping{Fields: map[string]Field{"mobilePhone": {Column: "x_mobile"}}}
	m, err = ResolveFor(ctx, crm, PresetOdoo, explicit)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Fields["mobilePhone"].Column; got != "x_mobile" {
		t.Errorf("explicit mobilePhone column = %q, want x_mobile kept", got)
	}
	if !slices.Contains(m.PersonalFields, "mobilePhone") {
		t.Errorf("personalFields lost the explicit mobilePhone: %v", m.PersonalFields)
	}
}
