package access

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

func TestDiffDeclared(t *testing.T) {
	b2b := crm.Selector{{Field: "contactType", Operator: "In", Values: []string{"B2B"}}}
	b2c := crm.Selector{{Field: "contactType", Operator: "In", Values: []string{"B2C"}}}
	live := Spec{
		Grants: []TableGrant{
			{Table: "contacts", Privileges: []string{PrivSelect, PrivUpdate}, Columns: []string{"email", "phone"}},
			{Table: "notes", Privileges: []string{PrivSelect, PrivDelete}},
		},
		Members:   []Member{{User: "alice", Active: true}, {User: "bob", Active: true}, {User: "carol"}},
		RowFilter: &b2b,
	}
	for _, tc := range []struct {
		name      string
		candidate Spec
		want      DeclaredDiff
		widens    bool
	}{
		{"same spec", live, DeclaredDiff{RowFilter: RowFilterUnchanged}, false},
		{"a column and a member added, a table privilege and the filter dropped", Spec{
			Grants: []TableGrant{
				{Table: "contacts", Privileges: []string{PrivSelect, PrivUpdate}, Columns: []string{"email", "phone", "birth_date"}},
				{Table: "notes", Privileges: []string{PrivSelect}},
			},
			Members: []Member{{User: "alice", Active: true}, {User: "bob", Active: true}, {User: "carol", Active: true}},
		}, DeclaredDiff{
			PrivilegesGained: []DeclaredPrivilege{
				{Table: "contacts", Column: "birth_date", Privilege: PrivSelect},
				{Table: "contacts", Column: "birth_date", Privilege: PrivUpdate},
			},
			PrivilegesLost: []DeclaredPrivilege{{Table: "notes", Privilege: PrivDelete}},
			MembersGained:  []string{"carol"},
			RowFilter:      RowFilterRemoved,
		}, true},
		{"narrowed: whole table to columns, a member suspended", Spec{
			Grants: []TableGrant{
				{Table: "contacts", Privileges: []string{PrivSelect, PrivUpdate}, Columns: []string{"email", "phone"}},
				{Table: "notes", Privileges: []string{PrivSelect, PrivDelete}, Columns: []string{"body"}},
			},
			Members:   []Member{{User: "alice", Active: true}, {User: "bob"}},
			RowFilter: &b2b,
		}, DeclaredDiff{
			PrivilegesGained: []DeclaredPrivilege{{Table: "notes", Column: "body", Privilege: PrivSelect}},
			PrivilegesLost:   []DeclaredPrivilege{{Table: "notes", Privilege: PrivSelect}},
			MembersLost:      []string{"bob"},
			RowFilter:        RowFilterUnchanged,
		}, true},
		{"only the filter changes", Spec{Grants: live.Grants, Members: live.Members, RowFilter: &b2c},
			DeclaredDiff{RowFilter: RowFilterChanged}, true},
		{"an expired role grants nothing", Spec{Members: live.Members, RowFilter: &b2b}, DeclaredDiff{
			PrivilegesLost: []DeclaredPrivilege{
				{Table: "contacts", Column: "email", Privilege: PrivSelect},
				{Table: "contacts", Column: "email", Privilege: PrivUpdate},
				{Table: "contacts", Column: "phone", Privilege: PrivSelect},
				{Table: "contacts", Column: "phone", Privilege: PrivUpdate},
				{Table: "notes", Privilege: PrivDelete},
				{Table: "notes", Privilege: PrivSelect},
			},
			RowFilter: RowFilterUnchanged,
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DiffDeclared(live.Declared(), tc.candidate.Declared())
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("diff (-want +got):\n%s", d)
			}
			if got.Widens() != tc.widens {
				t.Errorf("Widens() = %v, want %v", got.Widens(), tc.widens)
			}
		})
	}
}

func TestDiffDeclaredFromNothing(t *testing.T) {
	sel := crm.Selector{}
	got := DiffDeclared(Declared{}, Spec{Grants: []TableGrant{{Table: "contacts", Privileges: []string{PrivSelect}}},
		Members: []Member{{User: "dave", Active: true}}, RowFilter: &sel}.Declared())
	want := DeclaredDiff{PrivilegesGained: []DeclaredPrivilege{{Table: "contacts", Privilege: PrivSelect}},
		MembersGained: []string{"dave"}, RowFilter: RowFilterAdded}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("diff (-want +got):\n%s", d)
	}
}
