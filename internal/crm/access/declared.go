package access

import (
	"reflect"
	"sort"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// This file holds the declared state of a Spec, compared without a database: what a
// ChangePreview reports for a candidate AccessRole (privileges and members gained and lost).

// Declared is the state a Spec declares, with table and column names as written (before the
// catalog resolves them): the privileges a pass would grant, expanded as a pass expands them
// (tableGrants), the members who would hold the role, and the row filter.
type Declared struct {
	// Privileges are sorted by table, column and privilege.
	Privileges []DeclaredPrivilege
	// Members are the active members' users, sorted.
	Members []string
	// RowFilter is the spec's row filter, nil when none.
	RowFilter *crm.Selector
}

// DeclaredPrivilege is one privilege on a table, or on one of its columns when Column is
// set.
type DeclaredPrivilege struct {
	Table, Column, Privilege string
}

// RowFilterChange says how a row filter changes from one declared state to another.
type RowFilterChange string

// How a row filter changes.
const (
	// RowFilterUnchanged: the same filter, or none on either side.
	RowFilterUnchanged RowFilterChange = "Unchanged"
	// RowFilterAdded: rows are filtered where they were not.
	RowFilterAdded RowFilterChange = "Added"
	// RowFilterRemoved: every row is seen where rows were filtered.
	RowFilterRemoved RowFilterChange = "Removed"
	// RowFilterChanged: both filter rows, differently.
	RowFilterChanged RowFilterChange = "Changed"
)

// DeclaredDiff is what changes from one declared state to another.
type DeclaredDiff struct {
	// PrivilegesGained and PrivilegesLost are sorted as Declared.Privileges.
	PrivilegesGained, PrivilegesLost []DeclaredPrivilege
	// MembersGained and MembersLost are sorted.
	MembersGained, MembersLost []string
	RowFilter                  RowFilterChange
}

// Widens says whether the change may let someone see or do more: a privilege or a member
// gained, or a row filter removed or changed (a changed filter may let other rows through).
func (d DeclaredDiff) Widens() bool {
	return len(d.PrivilegesGained) > 0 || len(d.MembersGained) > 0 ||
		d.RowFilter == RowFilterRemoved || d.RowFilter == RowFilterChanged
}

// Declared returns the state the spec declares. A spec without grants (an expired
// AccessRole's) declares no privilege.
func (s Spec) Declared() Declared {
	grants := make([]resolvedGrant, 0, len(s.Grants))
	for _, g := range s.Grants {
		grants = append(grants, resolvedGrant{table: g.Table, privileges: g.Privileges, columns: g.Columns})
	}
	d := Declared{Privileges: declaredPrivileges(tableGrants(grants)), RowFilter: s.RowFilter}
	for _, m := range s.Members {
		if m.Active {
			d.Members = append(d.Members, m.User)
		}
	}
	sort.Strings(d.Members)
	return d
}

// DiffDeclared compares the declared state of the live spec with a candidate's, with the
// diff a pass makes between wanted and held privileges.
func DiffDeclared(live, candidate Declared) DeclaredDiff {
	gd := diffGrants(grantKeys(candidate.Privileges), grantKeys(live.Privileges), false)
	return DeclaredDiff{
		PrivilegesGained: declaredPrivileges(gd.grant),
		PrivilegesLost:   declaredPrivileges(gd.revoke),
		MembersGained:    missingFrom(candidate.Members, live.Members),
		MembersLost:      missingFrom(live.Members, candidate.Members),
		RowFilter:        rowFilterChange(live.RowFilter, candidate.RowFilter),
	}
}

func declaredPrivileges(keys []grantKey) []DeclaredPrivilege {
	sortKeys(keys)
	var out []DeclaredPrivilege
	for _, k := range keys {
		out = append(out, DeclaredPrivilege{Table: k.Table, Column: k.Column, Privilege: k.Privilege})
	}
	return out
}

func grantKeys(ps []DeclaredPrivilege) []grantKey {
	out := make([]grantKey, 0, len(ps))
	for _, p := range ps {
		kind := objTable
		if p.Column != "" {
			kind = objColumn
		}
		out = append(out, grantKey{Kind: kind, Table: p.Table, Column: p.Column, Privilege: p.Privilege})
	}
	return out
}

// missingFrom returns the elements of a that b lacks, in a's order.
func missingFrom(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

func rowFilterChange(live, candidate *crm.Selector) RowFilterChange {
	switch {
	case live == nil && candidate == nil:
		return RowFilterUnchanged
	case live == nil:
		return RowFilterAdded
	case candidate == nil:
		return RowFilterRemoved
	case reflect.DeepEqual(normalSelector(*live), normalSelector(*candidate)):
		return RowFilterUnchanged
	}
	return RowFilterChanged
}

// normalSelector makes an empty selector and a nil one alike, and a requirement's nil and
// empty values alike.
func normalSelector(s crm.Selector) crm.Selector {
	out := crm.Selector{}
	for _, r := range s {
		if len(r.Values) == 0 {
			r.Values = nil
		}
		out = append(out, r)
	}
	return out
}
