package crm

import (
	"context"
	"fmt"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// Related tables and fixed-value matches (see internal/crm/mapping).
type (
	// Match restricts a table to the rows whose column holds a fixed value.
	Match = mapping.Match
	// RelatedTable is another table that holds facts about a contact.
	RelatedTable = mapping.RelatedTable
	// RelatedLink is a link table between contacts and a related table.
	RelatedLink = mapping.RelatedLink
	// ProblemKind is the sort of a mapping Problem.
	ProblemKind = mapping.ProblemKind
)

// Kinds of mapping problems (see internal/crm/mapping).
const (
	ProblemInvalid       = mapping.ProblemInvalid
	ProblemMissingTable  = mapping.ProblemMissingTable
	ProblemMissingColumn = mapping.ProblemMissingColumn
	ProblemWrongType     = mapping.ProblemWrongType
	ProblemNotUnique     = mapping.ProblemNotUnique
)

// Related sources and erasure (see internal/crm/mapping).
const (
	SourceRelated  = mapping.SourceRelated
	RelatedKeep    = mapping.RelatedKeep
	RelatedDelete  = mapping.RelatedDelete
	relatedAlias   = "r"
	relatedLinkAls = "rl"
)

// MatchSQL renders " AND alias.column = 'value'" for each match, or with a lookup
// " AND alias.column IN (SELECT key FROM table WHERE column = 'value')". Values are checked
// against mapping.MatchValuePattern (no quote, no backslash) and written as constants, so
// that the same text serves bound statements and row-filter policies; an invalid value is
// an error, never rendered.
func MatchSQL(d Dialect, alias string, ms []Match) (string, error) {
	out := ""
	for _, m := range ms {
		if !mapping.ValidMatchValue(m.Value) {
			return "", fmt.Errorf("match value %s must match %s", printableName(m.Value), mapping.MatchValuePattern)
		}
		col, err := d.QuoteIdent(m.Column)
		if err != nil {
			return "", err
		}
		if alias != "" {
			a, err := d.QuoteIdent(alias)
			if err != nil {
				return "", err
			}
			col = a + "." + col
		}
		if m.Lookup == nil {
			out += " AND " + col + " = '" + m.Value + "'"
			continue
		}
		lk, err := QuoteAll(d, m.Lookup.Table, m.Lookup.Key, m.Lookup.Column)
		if err != nil {
			return "", err
		}
		out += " AND " + col + " IN (SELECT " + lk[1] + " FROM " + lk[0] + " WHERE " + lk[2] + " = '" + m.Value + "')"
	}
	return out, nil
}

// RelatedValueSQL renders the value of column of a related table for the contact whose
// row is aliased contactsAlias (quoted): a correlated subquery returning the value of the
// first matching row (the primary link first, then in key order), NULL when there is none. Soft-deleted related and link
// rows are left out; their columns' types are read through tables.
func RelatedValueSQL(ctx context.Context, d Dialect, tables func(context.Context, string) (*Table, error), m Mapping, rel RelatedTable, column, contactsAlias string) (string, error) {
	q := func(names ...string) ([]string, error) { return QuoteAll(d, names...) }
	r, err := d.QuoteIdent(relatedAlias)
	if err != nil {
		return "", err
	}
	cols, err := q(rel.Table, rel.Key, column)
	if err != nil {
		return "", err
	}
	s := "(SELECT " + r + "." + cols[2] + " FROM " + cols[0] + " " + r
	order := r + "." + cols[1]
	if l := rel.Link; l != nil {
		la, _ := d.QuoteIdent(relatedLinkAls)
		lc, err := q(l.Table, l.ContactKey, l.RelatedKey, m.Contacts.Key)
		if err != nil {
			return "", err
		}
		s += " JOIN " + lc[0] + " " + la + " ON " + la + "." + lc[2] + " = " + r + "." + cols[1] +
			" WHERE " + la + "." + lc[1] + " = " + contactsAlias + "." + lc[3]
		match, err := MatchSQL(d, relatedLinkAls, l.Match)
		if err != nil {
			return "", err
		}
		s += match
		if s, err = andNotDeleted(ctx, d, tables, s, l.Table, relatedLinkAls, l.SoftDeleteColumn); err != nil {
			return "", err
		}
		if l.PrimaryColumn != "" {
			pc, err := d.QuoteIdent(l.PrimaryColumn)
			if err != nil {
				return "", err
			}
			order = la + "." + pc + " DESC, " + order
		}
	} else {
		contactCol := rel.ContactColumn
		if contactCol == "" {
			contactCol = m.Contacts.Key
		}
		cc, err := d.QuoteIdent(contactCol)
		if err != nil {
			return "", err
		}
		s += " WHERE " + r + "." + cols[1] + " = " + contactsAlias + "." + cc
	}
	match, err := MatchSQL(d, relatedAlias, rel.Match)
	if err != nil {
		return "", err
	}
	s += match
	if s, err = andNotDeleted(ctx, d, tables, s, rel.Table, relatedAlias, rel.SoftDeleteColumn); err != nil {
		return "", err
	}
	return s + " ORDER BY " + order + " LIMIT 1)", nil
}

// andNotDeleted appends " AND <not soft-deleted>" for a soft-delete column of table.
func andNotDeleted(ctx context.Context, d Dialect, tables func(context.Context, string) (*Table, error), s, table, alias, column string) (string, error) {
	if column == "" {
		return s, nil
	}
	t, err := tables(ctx, table)
	if err != nil {
		return "", err
	}
	info, ok := t.Column(d, column)
	if !ok {
		return "", fmt.Errorf("soft-delete column %s does not exist in table %s", column, table)
	}
	cols, err := QuoteAll(d, alias, column)
	if err != nil {
		return "", err
	}
	cond, err := SoftDeleteCondition(d.Engine(), cols[0]+"."+cols[1], info.Class)
	if err != nil {
		return "", err
	}
	return s + " AND " + cond, nil
}

// falseFor is the constant "not set" of a flag column's class, for a related flag with
// no row.
func falseFor(e Engine, class TypeClass) string {
	switch {
	case class == ClassBoolean && e == EnginePostgres:
		return "false"
	case class == ClassText:
		return "'0'"
	}
	return "0"
}

// RelatedJoin is how an interaction whose reference column holds a related table's key
// (Interaction.Related) reaches its contacts: Join ties the related table's link rows to
// the reference, Contact is the link's contact column to compare with a contact key, and
// Match restricts the link rows to the related link's fixed values.
type RelatedJoin struct {
	Join, Contact, Match string
}

// RelatedJoinSQL renders the RelatedJoin of related table rel for the quoted reference
// column ref, with the link table aliased alias. rel must have a link table (the mapping
// check refuses any other). The link's soft-delete marker is not read: an interaction with
// an address the contact has since dropped still involved the person (see
// mapping.Interaction.Related).
func RelatedJoinSQL(d Dialect, rel RelatedTable, alias, ref string) (RelatedJoin, error) {
	l := rel.Link
	if l == nil {
		return RelatedJoin{}, fmt.Errorf("related table %s has no link table: an interaction can only reach contacts through a related link table", printableName(rel.Name))
	}
	names, err := QuoteAll(d, alias, l.Table, l.RelatedKey, l.ContactKey)
	if err != nil {
		return RelatedJoin{}, err
	}
	match, err := MatchSQL(d, alias, l.Match)
	if err != nil {
		return RelatedJoin{}, err
	}
	return RelatedJoin{
		Join:    " JOIN " + names[1] + " " + names[0] + " ON " + names[0] + "." + names[2] + " = " + ref,
		Contact: names[0] + "." + names[3],
		Match:   match,
	}, nil
}
