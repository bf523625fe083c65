package crm

import (
	"context"
	"fmt"
	"strconv"
)

// checkRelated checks each related table: it exists, its key and contact column join to
// the contacts table, its link table joins both, its matches fit their columns.
func (v *validator) checkRelated(ctx context.Context) error {
	v.related = map[string]*Table{}
	for i, r := range v.m.Related {
		path := func(leaf string) string { return pathRelated(i, r, leaf) }
		tbl, err := v.table(ctx, path("table"), r.Table)
		if err != nil {
			return err
		}
		if tbl == nil {
			continue
		}
		v.related[r.Name] = tbl
		v.column(path("softDeleteColumn"), tbl, r.SoftDeleteColumn, RoleSoftDelete, "the soft-delete marker")
		if err := v.matches(ctx, path("match"), tbl, r.Match); err != nil {
			return err
		}
		if r.Link != nil {
			key := v.column(path("key"), tbl, r.Key, RoleKey, "the related table's key")
			if err := v.checkRelatedLink(ctx, i, r, key); err != nil {
				return err
			}
			continue
		}
		if r.ContactColumn == "" {
			key := v.reference(path("key"), tbl, r.Key)
			if key != nil && r.Base {
				if err := v.requireUnique(ctx, path("key"), tbl, key.Name, "a base table has one row per contact"); err != nil {
					return err
				}
			}
			continue
		}
		key := v.column(path("key"), tbl, r.Key, RoleKey, "the related table's key")
		if v.contacts == nil {
			continue
		}
		cc := v.column(path("contactColumn"), v.contacts, r.ContactColumn, RoleKey, "the contacts column the related key matches")
		if key != nil && cc != nil && !referenceCompatible(v.engine(), cc.Class, key.Class) {
			v.ps.add(path("key"), "column %s.%s has type %s, but %s.%s is %s: the types must match to join them",
				tbl.Name, key.Name, key.DataType, v.contacts.Name, cc.Name, cc.DataType)
		}
	}
	return nil
}

func (v *validator) checkRelatedLink(ctx context.Context, i int, r RelatedTable, relatedKey *Column) error {
	path := func(leaf string) string { return pathRelated(i, r, leaf) }
	tbl, err := v.table(ctx, path("link.table"), r.Link.Table)
	if err != nil || tbl == nil {
		return err
	}
	v.reference(path("link.contactKey"), tbl, r.Link.ContactKey)
	col := v.column(path("link.relatedKey"), tbl, r.Link.RelatedKey, RoleKey, "the link to the related table")
	if col != nil && relatedKey != nil && !referenceCompatible(v.engine(), relatedKey.Class, col.Class) {
		v.ps.add(path("link.relatedKey"), "column %s.%s has type %s, but the related key %s.%s is %s: the types must match to join them",
			tbl.Name, col.Name, col.DataType, r.Table, relatedKey.Name, relatedKey.DataType)
	}
	v.column(path("link.softDeleteColumn"), tbl, r.Link.SoftDeleteColumn, RoleSoftDelete, "the soft-delete marker")
	v.column(path("link.primaryColumn"), tbl, r.Link.PrimaryColumn, RoleFlag, "the primary-link flag")
	if err := v.matches(ctx, path("link.match"), tbl, r.Link.Match); err != nil {
		return err
	}
	return nil
}

// checkContactsSoftDelete checks a soft-delete flag kept in a related table.
func (v *validator) checkContactsSoftDelete(context.Context) error {
	c := v.m.Contacts
	if c.SoftDeleteRelated == "" || c.SoftDeleteColumn == "" {
		return nil
	}
	if tbl := v.related[c.SoftDeleteRelated]; tbl != nil {
		v.column(pathContacts("softDeleteColumn"), tbl, c.SoftDeleteColumn, RoleSoftDelete, "the soft-delete marker")
	}
	return nil
}

// matches checks that each matched column exists in tbl and that its value can be
// compared with the column's type without a conversion the engines disagree on; for a
// lookup, that the column joins to the lookup table's key and the value fits the lookup
// column.
func (v *validator) matches(ctx context.Context, path string, tbl *Table, ms []Match) error {
	for j, m := range ms {
		at := fmt.Sprintf("%s[%d]", path, j)
		if m.Lookup != nil {
			if err := v.lookupMatch(ctx, at, tbl, m); err != nil {
				return err
			}
			continue
		}
		// Text, integer and boolean columns, the types a flag may have, can be matched.
		col := v.column(at+".column", tbl, m.Column, RoleFlag, "a match")
		if col == nil {
			continue
		}
		v.matchValue(at, tbl, col, m.Value)
	}
	return nil
}

// lookupMatch checks a match through a lookup table: the lookup table and its key exist,
// the matched column joins to that key without a cast, and the value fits the lookup
// column.
func (v *validator) lookupMatch(ctx context.Context, at string, tbl *Table, m Match) error {
	col := v.column(at+".column", tbl, m.Column, RoleKey, "a reference to the lookup table's key")
	lt, err := v.table(ctx, at+".lookup.table", m.Lookup.Table)
	if err != nil || lt == nil {
		return err
	}
	key := v.column(at+".lookup.key", lt, m.Lookup.Key, RoleKey, "the lookup key")
	if col != nil && key != nil && !referenceCompatible(v.engine(), key.Class, col.Class) {
		v.ps.add(at+".column", "column %s.%s has type %s, but the lookup key %s.%s is %s: they must join without a cast",
			tbl.Name, col.Name, col.DataType, lt.Name, key.Name, key.DataType)
	}
	if lc := v.column(at+".lookup.column", lt, m.Lookup.Column, RoleFlag, "a match"); lc != nil {
		v.matchValue(at, lt, lc, m.Value)
	}
	return nil
}

// matchValue reports at path when value cannot be compared with col of tbl.
func (v *validator) matchValue(at string, tbl *Table, col *Column, value string) {
	if msg := matchValueProblem(v.engine(), col.Class, value); msg != "" {
		v.ps.add(at+".value", "column %s.%s has type %s: %s", tbl.Name, col.Name, col.DataType, msg)
	}
}

// matchValueProblem says why value cannot be matched against a column of class ("" when
// it can).
func matchValueProblem(e Engine, class TypeClass, value string) string {
	switch class {
	case ClassInteger:
		if _, err := strconv.ParseInt(value, 10, 64); err != nil {
			return fmt.Sprintf("the value must be a whole number, not %q", value)
		}
	case ClassBoolean:
		if value == "0" || value == "1" || (e == EnginePostgres && (value == "true" || value == "false")) {
			return ""
		}
		return fmt.Sprintf("the value must be 0 or 1%s, not %q", map[bool]string{true: " (or true, false)"}[e == EnginePostgres], value)
	}
	return ""
}

// interactionReference checks an interaction's column that ties it to contacts: a
// reference to the contact key, or, for an interaction that reaches contacts through a
// related table (Interaction.Related), a column that joins to that related table's key.
func (v *validator) interactionReference(path string, tbl *Table, name, related string) {
	if related == "" {
		v.reference(path, tbl, name)
		return
	}
	col := v.column(path, tbl, name, RoleKey, "a reference to the related table's key")
	rel, ok := v.m.RelatedByName(related)
	relTbl := v.related[related]
	if col == nil || !ok || relTbl == nil {
		return
	}
	key, ok := relTbl.Column(v.db.dialect, rel.Key)
	if !ok {
		return
	}
	if !referenceCompatible(v.engine(), key.Class, col.Class) {
		v.ps.add(path, "column %s.%s has type %s, but the key %s.%s of related table %s is %s: the types must match to join them",
			tbl.Name, col.Name, col.DataType, relTbl.Name, key.Name, related, key.DataType)
	}
}
