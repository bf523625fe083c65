package crm

import (
	"fmt"
	"sort"
	"strings"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// MatchValuePattern is the shape of a fixed value of a match (see internal/crm/mapping).
const MatchValuePattern = mapping.MatchValuePattern

func pathRelated(i int, r RelatedTable, leaf string) string {
	id := r.Name
	if id == "" || !interactionNameRE.MatchString(id) {
		id = fmt.Sprint(i)
	}
	return fmt.Sprintf("%s.related[%s].%s", pathRoot, id, leaf)
}

// matches checks the matches of a table: valid columns and values, each column once.
func (ps *problemList) matches(path string, ms []Match) {
	seen := map[string]bool{}
	for j, m := range ms {
		at := fmt.Sprintf("%s[%d]", path, j)
		if ps.ident(at+".column", m.Column, true) {
			if seen[strings.ToLower(m.Column)] {
				ps.add(at+".column", "%s is matched twice", m.Column)
			}
			seen[strings.ToLower(m.Column)] = true
		}
		if !mapping.ValidMatchValue(m.Value) {
			ps.add(at+".value", "%s must match %s", printableName(m.Value), MatchValuePattern)
		}
		if l := m.Lookup; l != nil {
			ps.ident(at+".lookup.table", l.Table, true)
			ps.ident(at+".lookup.key", l.Key, true)
			ps.ident(at+".lookup.column", l.Column, true)
		}
	}
}

// matchKey renders matches in a canonical form, to tell apart two dependents on the same
// column of a polymorphic table (mail_message.res_id where model is res.partner, and where
// it is crm.lead).
func matchKey(ms []Match) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = strings.ToLower(m.Column) + "=" + m.Value
		if l := m.Lookup; l != nil {
			parts[i] = strings.ToLower(m.Column) + "->" + strings.ToLower(l.Table) + "." + strings.ToLower(l.Key) + ":" + strings.ToLower(l.Column) + "=" + m.Value
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return ""
	}
	return "|" + strings.Join(parts, "|")
}

// checkRelated checks the related tables: names, identifiers, link, matches, erasure.
func checkRelated(m Mapping, ps *problemList) {
	seen := map[string]bool{}
	for i, r := range m.Related {
		path := func(leaf string) string { return pathRelated(i, r, leaf) }
		switch {
		case r.Name == "":
			ps.add(path("name"), "is required")
		case !interactionNameRE.MatchString(r.Name):
			ps.add(path("name"), "%s must match %s", printableName(r.Name), InteractionNamePattern)
		case seen[r.Name]:
			ps.add(path("name"), "another related table has the same name")
		}
		seen[r.Name] = true
		if ps.ident(path("table"), r.Table, true) && strings.EqualFold(r.Table, m.Contacts.Table) {
			ps.add(path("table"), "is the contacts table: a related table is another table")
		}
		ps.ident(path("key"), r.Key, true)
		ps.ident(path("contactColumn"), r.ContactColumn, false)
		ps.ident(path("softDeleteColumn"), r.SoftDeleteColumn, false)
		ps.matches(path("match"), r.Match)
		switch r.Erase.Normal() {
		case RelatedKeep, RelatedDelete:
		default:
			ps.add(path("erase"), "%q is not an erasure: use keep or delete", string(r.Erase))
		}
		if r.Base && (r.Link != nil || r.ContactColumn != "") {
			ps.add(path("base"), "a base table shares the contact key: it takes no link and no contactColumn")
		}
		if r.ContactColumn != "" && r.Erase.Normal() == RelatedDelete {
			ps.add(path("erase"), "delete needs a table keyed by the contact key or a link table: rows matched on contactColumn %s may belong to others", r.ContactColumn)
		}
		if l := r.Link; l != nil {
			if r.ContactColumn != "" {
				ps.add(path("contactColumn"), "is set together with link: with a link table the contact key is link.contactKey")
			}
			ps.ident(path("link.table"), l.Table, true)
			ps.ident(path("link.contactKey"), l.ContactKey, true)
			ps.ident(path("link.relatedKey"), l.RelatedKey, true)
			ps.ident(path("link.softDeleteColumn"), l.SoftDeleteColumn, false)
			ps.ident(path("link.primaryColumn"), l.PrimaryColumn, false)
			ps.matches(path("link.match"), l.Match)
		}
	}
}
