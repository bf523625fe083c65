package access

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr"
)

// TestObjectionHidesThePersonFromAMarketingRowFilter shows an objection taking effect at
// once (GDPR Art. 21(3)): a member of a marketing role whose row filter excludes opted-out
// contacts sees the person until the Objection commits, and no longer in the very next
// query of the same session — the row filter and the objection read the optOut flag
// through the one selector compiler.
func TestObjectionHidesThePersonFromAMarketingRowFilter(t *testing.T) {
	f := newPgAccessFixture(t)
	role, member := uniqueName("crm_marketing"), uniqueName("marketer")
	dropRoles(t, f.admin, role, member)
	spec := Spec{Role: role, Owner: "marketing/newsletter",
		Grants:    []TableGrant{{Table: "contacts", Privileges: []string{PrivSelect}, Columns: []string{"id", "email"}}},
		RowFilter: &crm.Selector{{Field: crm.FieldOptOut, Operator: crm.OpIn, Values: []string{"false"}}},
		Members:   []Member{{User: member, Active: true, ManageLogin: true, Password: "marketer-pw"}}}
	f.apply(t, spec)
	memberDB, err := f.loginAs(t, member, "marketer-pw")
	if err != nil {
		t.Fatal(err)
	}
	seen := func() []string {
		t.Helper()
		out, err := queryStrings(crmtest.TestContext(t), memberDB, "SELECT email FROM contacts ORDER BY email")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if diff := cmp.Diff([]string{"a@b2b.example", "b@b2c.example", "c@b2b.example"}, seen()); diff != "" {
		t.Fatalf("before the objection the member sees (-want +got):\n%s", diff)
	}

	ctx := crmtest.TestContext(t)
	identity, err := dsr.NormalizeIdentity(crm.FieldEmail, " A@B2B.example ")
	if err != nil {
		t.Fatal(err)
	}
	match, err := dsr.Find(ctx, f.crm, f.m, crm.FieldEmail, identity)
	if err != nil || match.Count() != 1 {
		t.Fatalf("Find = %v, %v", match, err)
	}
	req := dsr.Request{ID: "3d0c8f5e-0000-4000-8000-0000000000aa", Name: "marketing/alice-objects", Type: dsr.TypeObjection, Now: time.Now()}
	if res, err := dsr.Object(ctx, f.crm, f.m, match.Keys, req); err != nil || res.Objected != 1 {
		t.Fatalf("Object = %+v, %v", res, err)
	}
	if diff := cmp.Diff([]string{"b@b2c.example", "c@b2b.example"}, seen()); diff != "" {
		t.Errorf("right after the objection the member sees (-want +got):\n%s", diff)
	}
}
