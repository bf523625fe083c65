package access

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest/agreement"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// TestRowFilterAgreesWithReference: a member whose AccessRole has a row filter sees,
// through PostgreSQL row-level security, exactly the contacts the reference evaluator
// selects (see internal/crm/crmtest/agreement); a selector the reference refuses is
// refused as an SpecError. MySQL and SQLite have no row-level security: there the
// row filter is the compiled WHERE, which internal/crm/selector_agreement_test.go checks.
func TestRowFilterAgreesWithReference(t *testing.T) {
	f := newPgAccessFixture(t)
	agreement.Load(t, testdb.EnginePostgres, f.admin)
	f.ownTables(t)
	role, member := uniqueName("crm_sel"), uniqueName("sel_member")
	dropRoles(t, f.admin, role, member)
	var memberDB *sql.DB
	var memberT *testing.T // the login is closed when the subtest that opened it ends
	for _, optColumn := range []string{"opt_native", "opt_int"} {
		t.Run(optColumn, func(t *testing.T) {
			m := agreement.Mapping(optColumn)
			f.m = m
			rows := agreement.ReadRows(t, testdb.EnginePostgres, f.admin, optColumn)
			for i, sel := range agreement.Selectors {
				name := fmt.Sprintf("%d:%s", i, agreement.String(sel))
				want, _, _, err := agreement.Expect(sel, rows)
				if err != nil {
					t.Fatalf("%s: reference: %v", name, err)
				}
				f.apply(t, Spec{Role: role, Owner: "sel/agree",
					Grants:    []TableGrant{{Table: "sel_contacts", Privileges: []string{PrivSelect}}},
					RowFilter: &sel,
					Members:   []Member{{User: member, Active: true, ManageLogin: true, Password: "member-pw"}}})
				if memberDB == nil || memberT != t {
					memberT = t
					if memberDB, err = f.loginAs(t, member, "member-pw"); err != nil {
						t.Fatal(err)
					}
				}
				got := agreement.QueryKeys(t, memberDB, "SELECT id FROM sel_contacts ORDER BY id")
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: the member's row-filtered login sees (-reference +sql):\n%s", name, diff)
				}
			}
			contacts, err := f.crm.DescribeTable(crmtest.TestContext(t), "sel_contacts")
			if err != nil {
				t.Fatal(err)
			}
			for _, sel := range agreement.Invalid {
				var ae *SpecError
				if _, err := compileRowFilter(f.crm.Dialect(), m, contacts, sel, "sel/agree"); !errors.As(err, &ae) {
					t.Errorf("%s: row filter error = %v, want an AccessSpecError", agreement.String(sel), err)
				}
			}
		})
	}
}
