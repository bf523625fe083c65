package apimapping

import (
	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// FromAPI converts a CRMDatabase's spec.mapping (nil: no explicit mapping) into the CRM
// layer's Mapping, before any preset is merged in (see mapping.Resolve). Every part of the
// API mapping is carried over: tables and their soft-delete columns, fields with their
// source, interactions with their link tables and matches, dependents with their action
// and matches, personal and restricted fields, related tables.
func FromAPI(sm *privacyv1alpha1.SchemaMapping) mapping.Mapping {
	m := mapping.Mapping{Fields: map[string]mapping.Field{}}
	if sm == nil {
		return m
	}
	if c := sm.Contacts; c != nil {
		m.Contacts = mapping.ContactsTable{Table: string(c.Table), Key: string(c.Key), SoftDeleteColumn: string(c.SoftDeleteColumn),
			SoftDeleteRelated: string(c.SoftDeleteRelated)}
	}
	if e := sm.Extension; e != nil {
		m.Extension = &mapping.ExtensionTable{Table: string(e.Table), Key: string(e.Key)}
	}
	for _, f := range sm.Fields {
		m.Fields[string(f.Name)] = mapping.Field{Column: string(f.Column), Source: source(f.Source), Related: string(f.Related)}
	}
	for _, ia := range sm.Interactions {
		m.Interactions = append(m.Interactions, interaction(ia))
	}
	for _, d := range sm.Dependents {
		m.Dependents = append(m.Dependents, mapping.Dependent{Table: string(d.Table), Column: string(d.Column), Action: dependentAction(d.Action),
			Match: matches(d.Match)})
	}
	for _, p := range sm.PersonalFields {
		m.PersonalFields = append(m.PersonalFields, string(p))
	}
	for _, r := range sm.RestrictedFields {
		m.RestrictedFields = append(m.RestrictedFields, mapping.RestrictedField{Name: string(r.Name), Column: string(r.Column), Source: source(r.Source),
			Related: string(r.Related)})
	}
	for _, r := range sm.Related {
		m.Related = append(m.Related, related(r))
	}
	return m
}

func interaction(ia privacyv1alpha1.InteractionSource) mapping.Interaction {
	out := mapping.Interaction{
		Name: string(ia.Name), Table: string(ia.Table), Key: string(ia.Key), ContactKey: string(ia.ContactKey),
		Time: string(ia.Time), Kind: string(ia.Kind), FixedKind: ia.FixedKind, Direction: string(ia.Direction),
		SoftDeleteColumn: string(ia.SoftDeleteColumn), SoftDeleteTable: string(ia.SoftDeleteTable), SoftDeleteKey: string(ia.SoftDeleteKey),
		Match: matches(ia.Match), Related: string(ia.Related),
	}
	if l := ia.Link; l != nil {
		out.Link = &mapping.InteractionLink{Table: string(l.Table), InteractionKey: string(l.InteractionKey),
			ContactKey: string(l.ContactKey), SoftDeleteColumn: string(l.SoftDeleteColumn), Match: matches(l.Match)}
	}
	return out
}

func source(s privacyv1alpha1.FieldSource) mapping.Source {
	switch s {
	case privacyv1alpha1.SourceExtension:
		return mapping.SourceExtension
	case privacyv1alpha1.SourceRelated:
		return mapping.SourceRelated
	}
	return mapping.SourceContacts
}

func matches(ms []privacyv1alpha1.ColumnMatch) []mapping.Match {
	var out []mapping.Match
	for _, m := range ms {
		mm := mapping.Match{Column: string(m.Column), Value: string(m.Value)}
		if l := m.Lookup; l != nil {
			mm.Lookup = &mapping.MatchLookup{Table: string(l.Table), Key: string(l.Key), Column: string(l.Column)}
		}
		out = append(out, mm)
	}
	return out
}

func related(r privacyv1alpha1.RelatedTable) mapping.RelatedTable {
	out := mapping.RelatedTable{
		Name: string(r.Name), Table: string(r.Table), Key: string(r.Key), ContactColumn: string(r.ContactColumn),
		Match: matches(r.Match), SoftDeleteColumn: string(r.SoftDeleteColumn), Base: r.Base, Erase: mapping.RelatedKeep,
	}
	if r.Erase == privacyv1alpha1.RelatedDelete {
		out.Erase = mapping.RelatedDelete
	}
	if l := r.Link; l != nil {
		out.Link = &mapping.RelatedLink{Table: string(l.Table), ContactKey: string(l.ContactKey), RelatedKey: string(l.RelatedKey),
			Match: matches(l.Match), SoftDeleteColumn: string(l.SoftDeleteColumn), PrimaryColumn: string(l.PrimaryColumn)}
	}
	return out
}

func dependentAction(a privacyv1alpha1.DependentAction) mapping.DependentAction {
	switch a {
	case privacyv1alpha1.DependentNullify:
		return mapping.ActionNullify
	case privacyv1alpha1.DependentHold:
		return mapping.ActionHold
	}
	return mapping.ActionDelete
}
