package access

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
)

// An AccessRole on Odoo's own tables (config/samples/crm/odoo-postgres.sql): column
// privileges on res_partner, SELECT on mail_message, and a row filter on the preset's
// isCompany field, proved by a member who logs in and sees the companies only.
func TestAccessOdooTables(t *testing.T) {
	f := newPgAccessFixture(t)
	crmtest.LoadSample(t, f.admin, "odoo-postgres.sql")
	crmtest.ExecAll(t, f.admin,
		"INSERT INTO res_partner (id, name, is_company, email) VALUES (1, 'Acme', true, 'info@acme.test'), (2, 'Ann', false, 'ann@acme.test')")
	f.ownTables(t)
	m, _ := crm.Preset(crm.PresetOdoo)
	f.m = m
	role, user := uniqueName("odoo_purchasing"), uniqueName("odoo_buyer")
	dropRoles(t, f.admin, role, user)
	filter := crm.Selector{{Field: "isCompany", Operator: crm.OpIn, Values: []string{"true"}}}
	spec := Spec{Role: role, Owner: "erp/purchasing", RowFilter: &filter,
		Grants: []TableGrant{
			{Table: "res_partner", Privileges: []string{PrivSelect}, Columns: []string{"id", "name", "is_company", "email"}},
			{Table: "mail_message", Privileges: []string{PrivSelect}},
		},
		Members: []Member{{User: user, Active: true, ManageLogin: true, Password: "pw-" + user}}}
	f.apply(t, spec)
	want := []string{
		"mail_message:SELECT",
		"res_partner.email:SELECT", "res_partner.id:SELECT", "res_partner.is_company:SELECT", "res_partner.name:SELECT",
	}
	if diff := cmp.Diff(want, f.privileges(t, role)); diff != "" {
		t.Errorf("privileges (-want +got):\n%s", diff)
	}
	member, err := f.loginAs(t, user, "pw-"+user)
	if err != nil {
		t.Fatalf("member login: %v", err)
	}
	if n := crmtest.QueryInt(t, member, "SELECT COUNT(*) FROM res_partner"); n != 1 {
		t.Errorf("the member sees %d partners, want the one company", n)
	}
}

// AccessRoles on the tables of Dolibarr, EspoCRM and vtiger, as their fixtures define
// them, on MariaDB: the grants SHOW GRANTS reports (column lists sorted: MariaDB's order varies) are
// exactly the declared ones, reserved words (EspoCRM's `call`) included.
func TestAccessMariaDBCRMTables(t *testing.T) {
	f := newMyAccessFixture(t)
	for _, sample := range []string{"dolibarr-mysql.sql", "espocrm-mysql.sql", "vtiger-mysql.sql"} {
		crmtest.LoadSample(t, f.admin, sample)
	}
	for _, tc := range []struct {
		preset string
		grants []TableGrant
		want   func(role string) []string
	}{
		{crm.PresetDolibarr, []TableGrant{
			{Table: "llx_socpeople", Privileges: []string{PrivSelect, PrivUpdate}, Columns: []string{"rowid", "lastname", "email", "no_email"}},
			{Table: "llx_actioncomm", Privileges: []string{PrivSelect, PrivInsert}},
		}, func(role string) []string {
			return []string{
				"GRANT SELECT (`email`, `lastname`, `no_email`, `rowid`), UPDATE (`email`, `lastname`, `no_email`, `rowid`) ON DB.`llx_socpeople` TO `" + role + "`",
				"GRANT SELECT, INSERT ON DB.`llx_actioncomm` TO `" + role + "`",
			}
		}},
		{crm.PresetEspoCRM, []TableGrant{
			{Table: "contact", Privileges: []string{PrivSelect}, Columns: []string{"id", "first_name", "last_name"}},
			{Table: "call", Privileges: []string{PrivSelect}},
		}, func(role string) []string {
			return []string{
				"GRANT SELECT (`first_name`, `id`, `last_name`) ON DB.`contact` TO `" + role + "`",
				"GRANT SELECT ON DB.`call` TO `" + role + "`",
			}
		}},
		{crm.PresetVtiger, []TableGrant{
			{Table: "vtiger_contactdetails", Privileges: []string{PrivSelect}},
			{Table: "vtiger_crmentity", Privileges: []string{PrivSelect}, Columns: []string{"crmid", "deleted", "setype"}},
		}, func(role string) []string {
			return []string{
				"GRANT SELECT (`crmid`, `deleted`, `setype`) ON DB.`vtiger_crmentity` TO `" + role + "`",
				"GRANT SELECT ON DB.`vtiger_contactdetails` TO `" + role + "`",
			}
		}},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			m, _ := crm.Preset(tc.preset)
			f.m = m
			role := uniqueName(tc.preset)
			dropMyAccounts(t, f.admin, []string{role}, nil)
			f.apply(t, Spec{Role: role, Owner: "crm/" + tc.preset, Grants: tc.grants})
			if diff := cmp.Diff(tc.want(role), sortGrantColumns(f.grants(t, role))); diff != "" {
				t.Errorf("grants (-want +got):\n%s", diff)
			}
		})
	}
}

var grantColumnList = regexp.MustCompile("\\(`[^)]*`\\)")

// sortGrantColumns sorts the column list of each privilege in SHOW GRANTS lines.
func sortGrantColumns(grants []string) []string {
	out := make([]string, len(grants))
	for i, g := range grants {
		out[i] = grantColumnList.ReplaceAllStringFunc(g, func(list string) string {
			cols := strings.Split(strings.Trim(list, "()"), ", ")
			sort.Strings(cols)
			return "(" + strings.Join(cols, ", ") + ")"
		})
	}
	return out
}
