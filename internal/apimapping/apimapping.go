package apimapping

import (
	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// FromAPI converts a CRMDatabase's spec.mapping (nil: no explicit mapping) into the CRM
// layer's Mapping, before any preset is merged in (see mapping.Resolve). Every part of the
// API mapping is carried over: tables and their soft-delete columns, fields with their
// source, interactions with their link tables, dependents with their action, personal and
// restricted fields.
func FromAPI(sm *privacyv1alpha1.SchemaMapping) mapping.Mapping {
	m := mapping.Mapping{Fields: map[string]mapping.Field{}}
	if sm == nil {
		return m
	}
	if c := sm.Contacts; c != nil {
		m.Contacts = mapping.ContactsTable{Table: string(c.Table), Key: string(c.Key), SoftDeleteColumn: string(c.SoftDeleteColumn)}
	}
	if e := sm.Extension; e != nil {
		m.Extension = &mapping.ExtensionTable{Table: string(e.Table), Key: string(e.Key)}
	}
	for _, f := range sm.Fields {
		m.Fields[string(f.Name)] = mapping.Field{Column: string(f.Column), Source: source(f.Source)}
	}
	for _, ia := range sm.Interactions {
		m.Interactions = append(m.Interactions, interaction(ia))
	}
	for _, d := range sm.Dependents {
		m.Dependents = append(m.Dependents, mapping.Dependent{Table: string(d.Table), Column: string(d.Column), Action: dependentAction(d.Action)})
	}
	for _, p := range sm.PersonalFields {
		m.PersonalFields = append(m.PersonalFields, string(p))
	}
	for _, r := range sm.RestrictedFields {
		m.RestrictedFields = append(m.RestrictedFields, mapping.RestrictedField{Name: string(r.Name), Column: string(r.Column), Source: source(r.Source)})
	}
	return m
}

func interaction(ia privacyv1alpha1.InteractionSource) mapping.Interaction {
	out := mapping.Interaction{
		Name: string(ia.Name), Table: string(ia.Table), Key: string(ia.Key), ContactKey: string(ia.ContactKey),
		Time: string(ia.Time), Kind: string(ia.Kind), FixedKind: ia.FixedKind, Direction: string(ia.Direction),
		SoftDeleteColumn: string(ia.SoftDeleteColumn),
	}
	if l := ia.Link; l != nil {
		out.Link = &mapping.InteractionLink{Table: string(l.Table), InteractionKey: string(l.InteractionKey),
			ContactKey: string(l.ContactKey), SoftDeleteColumn: string(l.SoftDeleteColumn)}
	}
	return out
}

func source(s privacyv1alpha1.FieldSource) mapping.Source {
	if s == privacyv1alpha1.SourceExtension {
		return mapping.SourceExtension
	}
	return mapping.SourceContacts
}

func dependentAction(a privacyv1alpha1.DependentAction) mapping.DependentAction {
	if a == privacyv1alpha1.DependentNullify {
		return mapping.ActionNullify
	}
	return mapping.ActionDelete
}
