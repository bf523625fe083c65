package crm

import (
	"errors"
	"fmt"
	"strings"
)

// problemList collects problems in the order they are found.
type problemList []Problem

func (ps *problemList) add(field, format string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Message: fmt.Sprintf(format, args...), Kind: ProblemInvalid})
}

// addKind adds p, with its message.
func (ps *problemList) addKind(p Problem, format string, args ...any) {
	p.Message = fmt.Sprintf(format, args...)
	*ps = append(*ps, p)
}

// ident checks an identifier setting: present when required, and valid when present. It
// reports whether name can be used in a statement.
func (ps *problemList) ident(field, name string, required bool) bool {
	if name == "" {
		if required {
			ps.add(field, "is required")
		}
		return false
	}
	if _, err := ParseIdent(name); err != nil {
		var ie *InvalidIdentError
		if errors.As(err, &ie) {
			ps.add(field, "%s is not a valid SQL identifier: %s (allowed: %s)", printableName(name), ie.Reason, IdentPattern)
		} else {
			ps.add(field, "%v", err)
		}
		return false
	}
	return true
}

// source checks a Source setting (related: the name of a related table of m).
func (ps *problemList) source(field string, s Source, related string, m Mapping) {
	switch s.Normal() {
	case SourceContacts:
	case SourceRelated:
		if _, ok := m.RelatedByName(related); !ok {
			ps.add(field, "is related, but no entry of mapping.related is named %s: add it, or use source contacts or extension", printableName(related))
		}
	case SourceExtension:
		if m.Extension == nil {
			ps.add(field, "is extension, but the mapping has no extension table: set mapping.extension or use source contacts")
		}
	default:
		ps.add(field, "%q is not a source: use contacts, extension or related", string(s))
	}
}

// Check reports what is wrong with mapping m itself, without looking at a database:
// missing or invalid names, unknown sources and actions, inconsistent interactions,
// duplicates. Validate runs it first.
func Check(m Mapping) []Problem {
	var ps problemList
	checkContacts(m, &ps)
	checkExtension(m, &ps)
	checkFields(m, &ps)
	checkInteractions(m, &ps)
	checkDependents(m, &ps)
	checkRestricted(m, &ps)
	checkPersonal(m, &ps)
	checkRelated(m, &ps)
	return ps
}

func checkContacts(m Mapping, ps *problemList) {
	ps.ident(pathContacts("table"), m.Contacts.Table, true)
	ps.ident(pathContacts("key"), m.Contacts.Key, true)
	ps.ident(pathContacts("softDeleteColumn"), m.Contacts.SoftDeleteColumn, false)
	if name := m.Contacts.SoftDeleteRelated; name != "" {
		rel, ok := m.RelatedByName(name)
		switch {
		case !ok:
			ps.add(pathContacts("softDeleteRelated"), "no entry of mapping.related is named %s", printableName(name))
		case rel.Link != nil || rel.ContactColumn != "":
			ps.add(pathContacts("softDeleteRelated"), "related table %s is not keyed by the contact key: the soft-delete flag must be in a 1:1 table sharing the key", name)
		}
		if m.Contacts.SoftDeleteColumn == "" {
			ps.add(pathContacts("softDeleteColumn"), "is required with softDeleteRelated: it names the flag's column in the related table")
		}
	}
}

func checkExtension(m Mapping, ps *problemList) {
	if m.Extension == nil {
		return
	}
	if ps.ident(pathExtension("table"), m.Extension.Table, true) && strings.EqualFold(m.Extension.Table, m.Contacts.Table) {
		ps.add(pathExtension("table"), "is the contacts table: the extension must be a separate 1:1 table (or remove mapping.extension)")
	}
	ps.ident(pathExtension("key"), m.Extension.Key, true)
}

func checkFields(m Mapping, ps *problemList) {
	for _, name := range m.FieldNames() {
		f := m.Fields[name]
		if !fieldNameRE.MatchString(name) {
			ps.add(fmt.Sprintf("%s.fields[%q]", pathRoot, name), "field name must match %s", FieldNamePattern)
			continue
		}
		ps.ident(PathField(name, "column"), f.Column, true)
		ps.source(PathField(name, "source"), f.Source, f.Related, m)
	}
}

func checkInteractions(m Mapping, ps *problemList) {
	seen := map[string]bool{}
	for i, ia := range m.Interactions {
		path := func(leaf string) string { return pathInteraction(i, ia, leaf) }
		switch {
		case ia.Name == "":
			ps.add(path("name"), "is required")
		case !interactionNameRE.MatchString(ia.Name):
			ps.add(path("name"), "%s must match %s", printableName(ia.Name), InteractionNamePattern)
		case seen[ia.Name]:
			ps.add(path("name"), "another interaction source has the same name")
		}
		seen[ia.Name] = true
		ps.ident(path("table"), ia.Table, true)
		ps.ident(path("time"), ia.Time, true)
		ps.ident(path("key"), ia.Key, ia.Link != nil)
		ps.ident(path("kind"), ia.Kind, false)
		ps.ident(path("direction"), ia.Direction, false)
		ps.ident(path("softDeleteColumn"), ia.SoftDeleteColumn, false)
		if ia.Kind != "" && ia.FixedKind != "" {
			ps.add(path("fixedKind"), "is set together with kind: use kind when the table has a kind column, fixedKind when it has none")
		}
		if ia.FixedKind != "" && !interactionNameRE.MatchString(ia.FixedKind) {
			ps.add(path("fixedKind"), "%s must match %s", printableName(ia.FixedKind), InteractionNamePattern)
		}
		checkInteractionLink(m, ps, i, ia)
		checkInteractionRelated(m, ps, i, ia)
		checkInteractionSoftDeleteTable(ps, i, ia)
		ps.matches(path("match"), ia.Match)
	}
}

// checkInteractionRelated checks an interaction's related: it names a related table of
// the mapping that has a link table, through which the interaction reaches its contacts.
func checkInteractionRelated(m Mapping, ps *problemList, i int, ia Interaction) {
	if ia.Related == "" {
		return
	}
	path := pathInteraction(i, ia, "related")
	rel, ok := m.RelatedByName(ia.Related)
	switch {
	case !ok:
		ps.add(path, "names related table %s, which mapping.related does not have", printableName(ia.Related))
	case rel.Link == nil:
		ps.add(path, "names related table %s, which has no link table: an interaction reaches contacts only through a related table's link to them", printableName(ia.Related))
	}
}

func checkInteractionLink(m Mapping, ps *problemList, i int, ia Interaction) {
	path := func(leaf string) string { return pathInteraction(i, ia, leaf) }
	if ia.Link == nil {
		ps.ident(path("contactKey"), ia.ContactKey, true)
		return
	}
	if ia.ContactKey != "" {
		ps.add(path("contactKey"), "is set together with link: with a link table the contact key is link.contactKey")
	}
	ps.ident(path("link.table"), ia.Link.Table, true)
	ps.ident(path("link.interactionKey"), ia.Link.InteractionKey, true)
	ps.ident(path("link.contactKey"), ia.Link.ContactKey, true)
	ps.ident(path("link.softDeleteColumn"), ia.Link.SoftDeleteColumn, false)
	ps.matches(path("link.match"), ia.Link.Match)
}

func checkDependents(m Mapping, ps *problemList) {
	type ref struct{ table, column string }
	seen := map[ref]bool{}
	for i, d := range m.Dependents {
		okTable := ps.ident(pathDependent(i, "table"), d.Table, true)
		okColumn := ps.ident(pathDependent(i, "column"), d.Column, true)
		ps.matches(pathDependent(i, "match"), d.Match)
		switch d.Action.Normal() {
		case ActionDelete, ActionNullify, ActionHold:
		case "":
			ps.add(pathDependent(i, "action"), "is required: delete, nullify or hold")
		default:
			ps.add(pathDependent(i, "action"), "%q is not an action: use delete, nullify or hold", string(d.Action))
		}
		if !okTable || !okColumn {
			continue
		}
		r := ref{strings.ToLower(d.Table), strings.ToLower(d.Column) + matchKey(d.Match)}
		if seen[r] {
			ps.add(pathDependent(i, "column"), "%s.%s is listed twice", d.Table, d.Column)
		}
		seen[r] = true
		if strings.EqualFold(d.Table, m.Contacts.Table) && strings.EqualFold(d.Column, m.Contacts.Key) {
			ps.add(pathDependent(i, "column"), "is the contact key itself: a dependent is another column referencing it")
		}
	}
}

func checkRestricted(m Mapping, ps *problemList) {
	seen := map[string]bool{}
	for i, r := range m.RestrictedFields {
		path := func(leaf string) string { return PathRestricted(i, r, leaf) }
		switch {
		case !fieldNameRE.MatchString(r.Name):
			ps.add(path("name"), "%s must match %s", printableName(r.Name), FieldNamePattern)
		case seen[r.Name]:
			ps.add(path("name"), "another restricted field has the same name")
		}
		seen[r.Name] = true
		ps.ident(path("column"), r.Column, true)
		ps.source(path("source"), r.Source, r.Related, m)
		if f, ok := m.Fields[r.Name]; ok && (f.Column != r.Column || f.Source.Normal() != r.Source.Normal() || f.Related != r.Related) {
			ps.add(path("column"), "fields[%s] maps the same name to another column: give the restricted field the same column or another name", r.Name)
		}
	}
}

func checkPersonal(m Mapping, ps *problemList) {
	known := map[string]bool{}
	for n := range m.Fields {
		known[n] = true
	}
	for _, r := range m.RestrictedFields {
		known[r.Name] = true
	}
	seen := map[string]bool{}
	for i, name := range m.PersonalFields {
		switch {
		case !known[name]:
			ps.add(pathPersonal(i), "%s is not a mapped field: add it to mapping.fields or mapping.restrictedFields", printableName(name))
		case seen[name]:
			ps.add(pathPersonal(i), "%s is listed twice", name)
		}
		seen[name] = true
	}
}

// checkInteractionSoftDeleteTable checks an interaction whose soft-delete flag lives in a
// base table: the table, its key column, the flag and the interaction key are all named.
func checkInteractionSoftDeleteTable(ps *problemList, i int, ia Interaction) {
	path := func(leaf string) string { return pathInteraction(i, ia, leaf) }
	if ia.SoftDeleteTable == "" {
		if ia.SoftDeleteKey != "" {
			ps.add(path("softDeleteKey"), "is set without softDeleteTable: it names the column of that table holding the interaction key")
		}
		return
	}
	ps.ident(path("softDeleteTable"), ia.SoftDeleteTable, true)
	ps.ident(path("softDeleteKey"), ia.SoftDeleteKey, true)
	if ia.SoftDeleteColumn == "" {
		ps.add(path("softDeleteColumn"), "is required with softDeleteTable: it is the flag of that table marking a deleted interaction")
	}
	if ia.Key == "" {
		ps.add(path("key"), "is required with softDeleteTable: softDeleteKey references it")
	}
}
