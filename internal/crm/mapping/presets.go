package mapping

import (
	"fmt"
	"sort"
)

// Preset names.
const (
	// PresetNone is no preset: the explicit mapping is the whole mapping.
	PresetNone = ""
	// PresetGeneric is the project's reference schema (config/samples/crm/generic-*.sql).
	PresetGeneric = "generic"
	// PresetSuiteCRM is SuiteCRM 7 (contacts, contacts_cstm, calls, calls_contacts).
	PresetSuiteCRM = "suitecrm"
)

// preset is a known schema: its mapping, and for some fields other places the same field
// is found in real installations, tried in order by ResolveFor when the first is missing;
// optional names the fields some releases of the CRM do not have at all, which ResolveFor
// unmaps when their column is missing.
type preset struct {
	mapping      func() Mapping
	alternatives map[string][]Field
	optional     []string
}

var presets = map[string]preset{
	PresetGeneric:  {mapping: genericMapping},
	PresetSuiteCRM: {mapping: suiteCRMMapping, alternatives: suiteCRMAlternatives},
}

// Presets returns the names of the known presets, sorted.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns the mapping of a named preset (a fresh copy).
func Preset(name string) (Mapping, bool) {
	p, ok := presets[name]
	if !ok {
		return Mapping{}, false
	}
	return p.mapping(), true
}

// genericMapping maps the reference schema of config/samples/crm/generic-*.sql.
func genericMapping() Mapping {
	return Mapping{
		Contacts: ContactsTable{Table: "contacts", Key: "id"},
		Fields: map[string]Field{
			FieldEmail:          {Column: "email"},
			FieldFirstName:      {Column: "first_name"},
			FieldLastName:       {Column: "last_name"},
			FieldPhone:          {Column: "phone"},
			FieldCompany:        {Column: "company"},
			FieldContactType:    {Column: "contact_type"},
			FieldJobRole:        {Column: "job_role"},
			FieldLegalBasis:     {Column: "legal_basis"},
			FieldConsentAt:      {Column: "consent_at"},
			FieldConsentMethod:  {Column: "consent_method"},
			FieldOptOut:         {Column: "opt_out"},
			FieldLegalHold:      {Column: "legal_hold"},
			FieldLifecycleStage: {Column: "lifecycle_stage"},
			FieldCreatedAt:      {Column: "created_at"},
			FieldLastContactAt:  {Column: "last_contact_at"},
			FieldBirthDate:      {Column: "birth_date"},
		},
		Interactions: []Interaction{{
			Name: "interactions", Table: "interactions", Key: "id", ContactKey: "contact_id",
			Time: "occurred_at", Kind: "kind", Direction: "direction",
		}},
		Dependents: []Dependent{
			{Table: "interactions", Column: "contact_id", Action: ActionDelete},
			{Table: "notes", Column: "contact_id", Action: ActionDelete},
			{Table: "deals", Column: "contact_id", Action: ActionNullify},
		},
		PersonalFields: []string{
			FieldEmail, FieldFirstName, FieldLastName, FieldPhone, FieldBirthDate,
			"personalPhone", "spouseName", "childrenNames", "personalInterests",
		},
		RestrictedFields: []RestrictedField{
			{Name: FieldBirthDate, Column: "birth_date"},
			{Name: "personalPhone", Column: "personal_phone"},
			{Name: "spouseName", Column: "spouse_name"},
			{Name: "childrenNames", Column: "children_names"},
			{Name: "personalInterests", Column: "personal_interests"},
		},
	}
}

// suiteCRMMapping maps SuiteCRM 7. Column names follow its vardefs: the Person template
// (first_name, last_name, title, do_not_call, phone_*, lawful_basis, lawful_basis_source,
// date_reviewed), Contacts (birthdate), SugarBasic (id, date_entered, date_modified,
// deleted); custom fields live in contacts_cstm keyed by id_c; calls and meetings link to
// contacts through calls_contacts and meetings_contacts (…, contact_id, deleted); calls,
// meetings, notes and tasks also name a parent (parent_type Contacts, parent_id); notes and
// tasks have a contact_id; accounts and opportunities link through accounts_contacts and
// opportunities_contacts. E-mails (modules/Emails/vardefs.php: emails.date_sent_received,
// deleted) link to contacts through emails_beans (email_id, bean_id, bean_module Contacts,
// deleted; metadata/emails_beansMetaData.php) and may also name the contact as parent:
// both renew the term. On erasure notes, tasks and links (emails_beans included) go;
// calls, meetings and e-mails whose parent is the contact are detached and kept for their
// other participants.
//
// SuiteCRM keeps e-mail addresses in email_addresses, linked through email_addr_bean_rel
// (bean_module Contacts, primary_address): the email field and the address's opt_out
// (emailOptOut) are read there, and a deleted contact's addresses go with it unless
// another record uses them. contactType, legalHold and lifecycleStage have no SuiteCRM
// column: map them to custom fields of contacts_cstm in the explicit mapping. SuiteCRM's
// soft-deleted contacts (deleted = 1) are not counted.
func suiteCRMMapping() Mapping {
	return Mapping{
		Contacts:  ContactsTable{Table: "contacts", Key: "id", SoftDeleteColumn: "deleted"},
		Extension: &ExtensionTable{Table: "contacts_cstm", Key: "id_c"},
		Fields: map[string]Field{
			FieldFirstName:     {Column: "first_name"},
			FieldLastName:      {Column: "last_name"},
			FieldPhone:         {Column: "phone_work"},
			FieldJobRole:       {Column: "title"},
			FieldLegalBasis:    {Column: "lawful_basis"},
			FieldConsentMethod: {Column: "lawful_basis_source"},
			FieldConsentAt:     {Column: "date_reviewed"},
			FieldOptOut:        {Column: "do_not_call"},
			FieldCreatedAt:     {Column: "date_entered"},
			FieldBirthDate:     {Column: "birthdate"},
			"modifiedAt":       {Column: "date_modified"},
			"mobilePhone":      {Column: "phone_mobile"},
			"homePhone":        {Column: "phone_home"},
			"otherPhone":       {Column: "phone_other"},
			"fax":              {Column: "phone_fax"},
			"department":       {Column: "department"},
			FieldEmail:         {Column: "email_address", Source: SourceRelated, Related: "email-addresses"},
			"emailOptOut":      {Column: "opt_out", Source: SourceRelated, Related: "email-addresses"},
		},
		Related: []RelatedTable{{
			Name: "email-addresses", Table: "email_addresses", Key: "id", SoftDeleteColumn: "deleted", Erase: RelatedDelete,
			Link: &RelatedLink{Table: "email_addr_bean_rel", ContactKey: "bean_id", RelatedKey: "email_address_id",
				Match: []Match{{Column: "bean_module", Value: "Contacts"}}, SoftDeleteColumn: "deleted", PrimaryColumn: "primary_address"},
		}},
		Interactions: []Interaction{
			{
				Name: "calls", Table: "calls", Key: "id", Time: "date_start", FixedKind: "call",
				Direction: "direction", SoftDeleteColumn: "deleted",
				Link: &InteractionLink{Table: "calls_contacts", InteractionKey: "call_id", ContactKey: "contact_id", SoftDeleteColumn: "deleted"},
			},
			{
				Name: "meetings", Table: "meetings", Key: "id", Time: "date_start", FixedKind: "meeting", SoftDeleteColumn: "deleted",
				Link: &InteractionLink{Table: "meetings_contacts", InteractionKey: "meeting_id", ContactKey: "contact_id", SoftDeleteColumn: "deleted"},
			},
			{
				Name: "emails", Table: "emails", Key: "id", Time: "date_sent_received", FixedKind: "email", SoftDeleteColumn: "deleted",
				Link: &InteractionLink{Table: "emails_beans", InteractionKey: "email_id", ContactKey: "bean_id", SoftDeleteColumn: "deleted",
					Match: suiteCRMBeanContacts()},
			},
			{
				Name: "email-parents", Table: "emails", Key: "id", ContactKey: "parent_id", Time: "date_sent_received", FixedKind: "email",
				SoftDeleteColumn: "deleted", Match: suiteCRMContacts(),
			},
		},
		Dependents: []Dependent{
			{Table: "calls_contacts", Column: "contact_id", Action: ActionDelete},
			{Table: "meetings_contacts", Column: "contact_id", Action: ActionDelete},
			{Table: "calls", Column: "parent_id", Action: ActionNullify, Match: suiteCRMContacts()},
			{Table: "meetings", Column: "parent_id", Action: ActionNullify, Match: suiteCRMContacts()},
			{Table: "emails_beans", Column: "bean_id", Action: ActionDelete, Match: suiteCRMBeanContacts()},
			{Table: "emails", Column: "parent_id", Action: ActionNullify, Match: suiteCRMContacts()},
			{Table: "notes", Column: "contact_id", Action: ActionDelete},
			{Table: "notes", Column: "parent_id", Action: ActionDelete, Match: suiteCRMContacts()},
			{Table: "tasks", Column: "contact_id", Action: ActionDelete},
			{Table: "tasks", Column: "parent_id", Action: ActionDelete, Match: suiteCRMContacts()},
			{Table: "accounts_contacts", Column: "contact_id", Action: ActionDelete},
			{Table: "opportunities_contacts", Column: "contact_id", Action: ActionDelete},
		},
		PersonalFields: []string{
			FieldFirstName, FieldLastName, FieldPhone, FieldBirthDate,
			"mobilePhone", "homePhone", "otherPhone", "fax", FieldEmail,
		},
		RestrictedFields: []RestrictedField{
			{Name: FieldBirthDate, Column: "birthdate"},
			{Name: "homePhone", Column: "phone_home"},
		},
	}
}

// suiteCRMContacts marks the rows of SuiteCRM's polymorphic parent columns that are about
// contacts (a fresh slice each time: a preset shares nothing with its callers).
func suiteCRMContacts() []Match { return []Match{{Column: "parent_type", Value: "Contacts"}} }

// suiteCRMBeanContacts marks the rows of SuiteCRM's emails_beans link that are about
// contacts (its relationship role column bean_module; a fresh slice each time).
func suiteCRMBeanContacts() []Match { return []Match{{Column: "bean_module", Value: "Contacts"}} }

// suiteCRMAlternatives: SuiteCRM 7.10 added the GDPR fields to the contacts table; older
// installations added them in Studio as custom fields of contacts_cstm (with Studio's
// "_c" suffix, or without it when created by hand).
var suiteCRMAlternatives = map[string][]Field{
	FieldLegalBasis: {
		{Column: "lawful_basis", Source: SourceExtension},
		{Column: "lawful_basis_c", Source: SourceExtension},
	},
	FieldConsentMethod: {
		{Column: "lawful_basis_source", Source: SourceExtension},
		{Column: "lawful_basis_source_c", Source: SourceExtension},
	},
	FieldConsentAt: {
		{Column: "date_reviewed", Source: SourceExtension},
		{Column: "date_reviewed_c", Source: SourceExtension},
	},
}

// Resolve merges an explicit mapping over a preset, field by field:
//
//   - contacts.table, contacts.key, contacts.softDeleteColumn, extension.table and
//     extension.key: each non-empty override replaces the preset's value;
//   - fields and restrictedFields: an override replaces the preset's entry of the same
//     name; an override field with an empty column removes the preset's field;
//   - interactions: an override replaces the preset's source of the same name, others are
//     added; dependents: an override replaces the preset's entry for the same table and
//     column, others are added;
//   - personalFields: the union, preset's first.
//
// An empty preset name returns the overrides alone.
func Resolve(presetName string, overrides Mapping) (Mapping, error) {
	if presetName == PresetNone {
		m := overrides.Clone()
		dropUnmappedFields(&m)
		return m, nil
	}
	p, ok := presets[presetName]
	if !ok {
		return Mapping{}, fmt.Errorf("unknown mapping preset %q: use one of %v", presetName, Presets())
	}
	m := p.mapping()
	mergeTables(&m, overrides)
	mergeFields(&m, overrides)
	mergeInteractions(&m, overrides)
	mergeDependents(&m, overrides)
	mergePersonal(&m, overrides)
	mergeRestricted(&m, overrides)
	mergeRelated(&m, overrides)
	return m, nil
}

func mergeTables(m *Mapping, o Mapping) {
	setIf(&m.Contacts.Table, o.Contacts.Table)
	setIf(&m.Contacts.Key, o.Contacts.Key)
	setIf(&m.Contacts.SoftDeleteColumn, o.Contacts.SoftDeleteColumn)
	setIf(&m.Contacts.SoftDeleteRelated, o.Contacts.SoftDeleteRelated)
	if o.Extension == nil {
		return
	}
	if m.Extension == nil {
		m.Extension = &ExtensionTable{}
	}
	setIf(&m.Extension.Table, o.Extension.Table)
	setIf(&m.Extension.Key, o.Extension.Key)
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func mergeFields(m *Mapping, o Mapping) {
	if m.Fields == nil {
		m.Fields = map[string]Field{}
	}
	for name, f := range o.Fields {
		m.Fields[name] = f
	}
	dropUnmappedFields(m)
}

// dropUnmappedFields removes fields with an empty column (the way to unmap a preset field).
func dropUnmappedFields(m *Mapping) {
	for name, f := range m.Fields {
		if f.Column == "" {
			delete(m.Fields, name)
		}
	}
}

func mergeInteractions(m *Mapping, o Mapping) {
	for _, ia := range o.Interactions {
		ia = cloneInteraction(ia)
		replaced := false
		for i := range m.Interactions {
			if m.Interactions[i].Name == ia.Name {
				m.Interactions[i], replaced = ia, true
				break
			}
		}
		if !replaced {
			m.Interactions = append(m.Interactions, ia)
		}
	}
}

func mergeDependents(m *Mapping, o Mapping) {
	for _, d := range o.Dependents {
		d.Match = cloneMatches(d.Match)
		replaced := false
		for i := range m.Dependents {
			if m.Dependents[i].Table == d.Table && m.Dependents[i].Column == d.Column {
				m.Dependents[i], replaced = d, true
				break
			}
		}
		if !replaced {
			m.Dependents = append(m.Dependents, d)
		}
	}
}

func mergePersonal(m *Mapping, o Mapping) {
	seen := map[string]bool{}
	for _, n := range m.PersonalFields {
		seen[n] = true
	}
	for _, n := range o.PersonalFields {
		if !seen[n] {
			m.PersonalFields = append(m.PersonalFields, n)
			seen[n] = true
		}
	}
}

func mergeRestricted(m *Mapping, o Mapping) {
	for _, r := range o.RestrictedFields {
		replaced := false
		for i := range m.RestrictedFields {
			if m.RestrictedFields[i].Name == r.Name {
				m.RestrictedFields[i], replaced = r, true
				break
			}
		}
		if !replaced {
			m.RestrictedFields = append(m.RestrictedFields, r)
		}
	}
}

// Optional returns the fields of a preset that some releases of the CRM lack (Odoo's
// mobilePhone: releases after Odoo 17 dropped res_partner.mobile); nil for an unknown
// preset or one without.
func Optional(presetName string) []string {
	return append([]string(nil), presets[presetName].optional...)
}

// Alternatives returns, for a preset, the other places some of its fields are found in
// real installations, in the order to try them (nil for an unknown preset or one without).
func Alternatives(presetName string) map[string][]Field {
	alts := presets[presetName].alternatives
	if alts == nil {
		return nil
	}
	out := make(map[string][]Field, len(alts))
	for k, v := range alts {
		out[k] = append([]Field(nil), v...)
	}
	return out
}
