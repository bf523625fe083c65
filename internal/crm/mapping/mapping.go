package mapping

import (
	"fmt"
	"sort"
	"strings"
)

// Source says which table a logical field lives in.
type Source string

const (
	// SourceContacts is the contacts table (the default when empty).
	SourceContacts Source = "contacts"
	// SourceExtension is the 1:1 extension table.
	SourceExtension Source = "extension"
)

// Normal returns the source in canonical form: lowercase, and contacts when empty. Sources
// are compared case-insensitively ("Extension" is extension), so that names spelt as in
// the Kubernetes API work as is.
func (s Source) Normal() Source {
	if s == "" {
		return SourceContacts
	}
	return Source(strings.ToLower(string(s)))
}

// DependentAction is what happens to a dependent row when its contact is erased.
type DependentAction string

const (
	// ActionDelete deletes the dependent rows (notes, interactions, link rows).
	ActionDelete DependentAction = "delete"
	// ActionNullify sets the referencing column to NULL (deals keep their amounts but lose
	// the person); the column must be nullable.
	ActionNullify DependentAction = "nullify"
	// ActionHold keeps the contact: a contact referenced by a row of the table is not
	// erased but counted as held, like a legal hold (a sales order whose NOT NULL partner
	// column the CRM forbids to detach, and that accounting law keeps).
	ActionHold DependentAction = "hold"
)

// Normal returns the action in canonical form (lowercase: "Nullify" is nullify).
func (a DependentAction) Normal() DependentAction {
	return DependentAction(strings.ToLower(string(a)))
}

// Well-known logical fields. Selectors and the sweep refer to them by these names; a
// mapping may add custom fields named after FieldNamePattern.
const (
	FieldEmail          = "email"
	FieldFirstName      = "firstName"
	FieldLastName       = "lastName"
	FieldPhone          = "phone"
	FieldCompany        = "company"
	FieldContactType    = "contactType" // B2B or B2C
	FieldJobRole        = "jobRole"
	FieldLegalBasis     = "legalBasis"
	FieldConsentAt      = "consentAt"
	FieldConsentMethod  = "consentMethod"
	FieldOptOut         = "optOut"
	FieldOptOutAt       = "optOutAt" // when the person objected (set by an Objection request)
	FieldLegalHold      = "legalHold"
	FieldLifecycleStage = "lifecycleStage"
	FieldCreatedAt      = "createdAt"
	FieldLastContactAt  = "lastContactAt"
	FieldBirthDate      = "birthDate"
)

// FieldNamePattern is the shape of a logical field name (well-known or custom).
const FieldNamePattern = `^[a-z][A-Za-z0-9]{0,62}$`

// InteractionNamePattern is the shape of an interaction source name and of a fixed kind.
const InteractionNamePattern = `^[A-Za-z][A-Za-z0-9_-]{0,62}$`

// Mapping says where a CRM keeps what the operator needs to know about a contact. It is
// independent of the Kubernetes API types: internal/apimapping converts a CRMDatabase
// spec.mapping into it, in one place for the operator and the kubectl plugin.
type Mapping struct {
	// Contacts is the table with one row per contact.
	Contacts ContactsTable
	// Extension is an optional 1:1 table of extra columns (SuiteCRM contacts_cstm,
	// Dolibarr *_extrafields), joined on Extension.Key = Contacts.Key.
	Extension *ExtensionTable
	// Fields maps logical field names to columns.
	Fields map[string]Field
	// Interactions are the tables whose rows count as contact with a person (calls,
	// meetings, emails) and can renew the retention term.
	Interactions []Interaction
	// Dependents are the tables referencing the contact key, handled when a contact is
	// erased. The extension row is always deleted with its contact and need not be listed.
	Dependents []Dependent
	// PersonalFields are the logical fields (of Fields or RestrictedFields) that hold
	// personal data, cleared when a contact is anonymised.
	PersonalFields []string
	// RestrictedFields are private columns that data minimisation says must stay empty
	// (birth date, personal phone, spouse, children, interests).
	RestrictedFields []RestrictedField
	// Related are other tables holding facts about a contact, 1:1 or through a link table
	// (e-mail addresses, a base table sharing the contact key, a blacklist).
	Related []RelatedTable
}

// ContactsTable is the contacts table.
type ContactsTable struct {
	// Table name.
	Table string
	// Key is the column that identifies a contact; it must be unique.
	Key string
	// SoftDeleteColumn, when set, marks rows the CRM has soft-deleted: a boolean/integer
	// flag (deleted = 1) or a timestamp (deleted_at IS NOT NULL). Such rows are not counted
	// as contacts.
	SoftDeleteColumn string
	// SoftDeleteRelated, when set, names the 1:1 related table that holds
	// SoftDeleteColumn instead of the contacts table (vtiger keeps the deleted flag of a
	// contact in vtiger_crmentity).
	SoftDeleteRelated string
}

// ExtensionTable is a 1:1 table of extra contact columns.
type ExtensionTable struct {
	// Table name.
	Table string
	// Key is the column holding the contact key (SuiteCRM id_c); it must be unique.
	Key string
}

// Field is where a logical field lives.
type Field struct {
	// Column name.
	Column string
	// Source is the table: contacts (default when empty), extension or related.
	Source Source
	// Related names the related table (Mapping.Related) when Source is related.
	Related string
}

// Interaction is one source of contact events.
type Interaction struct {
	// Name identifies the source in the mapping (e.g. "calls").
	Name string
	// Table holding one row per interaction.
	Table string
	// Key of the interaction row; required with Link.
	Key string
	// ContactKey is the column of Table referencing the contact key; empty with Link.
	ContactKey string
	// Time is when the interaction happened.
	Time string
	// Kind is the column holding the kind of interaction ("call", "email"…), if any.
	Kind string
	// FixedKind is the kind of every row when there is no Kind column (e.g. "call").
	FixedKind string
	// Direction is the column telling inbound from outbound, if any.
	Direction string
	// SoftDeleteColumn marks interactions the CRM has soft-deleted, which renew nothing.
	SoftDeleteColumn string
	// SoftDeleteTable, when set, is the table that holds SoftDeleteColumn instead of Table:
	// a base table sharing the interaction key (vtiger keeps an activity's deleted flag in
	// its vtiger_crmentity row), whose SoftDeleteKey column equals Key. An interaction is
	// ignored only when its row there is marked deleted; one without a row there counts.
	SoftDeleteTable string
	// SoftDeleteKey is the column of SoftDeleteTable that holds the interaction key.
	SoftDeleteKey string
	// Link is a many-to-many link table between interactions and contacts (SuiteCRM
	// calls_contacts); when set, ContactKey is empty.
	Link *InteractionLink
	// Match keeps only the rows of Table with these fixed values: a polymorphic table's
	// rows about contacts (Odoo mail_message.model = 'res.partner').
	Match []Match
	// Related, when set, names a related table reached through a link table (Mapping.Related
	// with a Link): ContactKey, or Link.ContactKey, then holds a key of that related table
	// rather than a contact key, and the interaction belongs to every contact the related
	// table's link rows (those holding its link's Match values) tie to that row. EspoCRM's
	// e-mails reach a contact by address: email.from_email_address_id and
	// email_email_address.email_address_id hold e-mail address ids, which
	// entity_email_address ties to contacts. The related link's soft-delete marker is not
	// read: an e-mail to an address the contact has since dropped still reached the person.
	Related string
}

// InteractionLink is a link table between interactions and contacts.
type InteractionLink struct {
	// Table name.
	Table string
	// InteractionKey references Interaction.Key.
	InteractionKey string
	// ContactKey references the contact key.
	ContactKey string
	// SoftDeleteColumn marks link rows the CRM has soft-deleted.
	SoftDeleteColumn string
	// Match keeps only the link rows with these fixed values.
	Match []Match
}

// Dependent is a table referencing the contact key.
type Dependent struct {
	// Table name.
	Table string
	// Column referencing the contact key.
	Column string
	// Action on erasure: delete, nullify or hold.
	Action DependentAction
	// Match restricts the rows handled to those with these fixed values: in a polymorphic
	// table, Column holds a contact key only where the type column names contacts.
	Match []Match
}

// RestrictedField is a private column that should stay empty.
type RestrictedField struct {
	// Name is the logical name (FieldNamePattern).
	Name string
	// Column name.
	Column string
	// Source is the table: contacts (default when empty), extension or related.
	Source Source
	// Related names the related table when Source is related.
	Related string
}

// Problem is one thing wrong with a mapping.
type Problem struct {
	// Field is the mapping path, e.g. "mapping.fields[email].column".
	Field string
	// Message says what is wrong and what to do.
	Message string
	// Kind is the sort of problem, for programs (ProblemInvalid when empty).
	Kind ProblemKind
	// Table and Column are what the problem is about, when known.
	Table, Column string
	// ActualType is the column's type and Expected the types its use accepts, for
	// ProblemWrongType.
	ActualType, Expected string
}

// ProblemKind is the sort of a Problem.
type ProblemKind string

// Problem kinds.
const (
	// ProblemInvalid is anything wrong with the mapping that is not one of the others.
	ProblemInvalid ProblemKind = "Invalid"
	// ProblemMissingTable is a mapped table that does not exist.
	ProblemMissingTable ProblemKind = "MissingTable"
	// ProblemMissingColumn is a mapped column that does not exist in its table.
	ProblemMissingColumn ProblemKind = "MissingColumn"
	// ProblemWrongType is a mapped column whose type does not fit its use.
	ProblemWrongType ProblemKind = "WrongType"
	// ProblemNotUnique is a key column that is not unique.
	ProblemNotUnique ProblemKind = "NotUnique"
)

// String renders "field: message".
func (p Problem) String() string { return p.Field + ": " + p.Message }

// ProblemsMessage renders problems as one message for a status condition: "field:
// message" joined by "; ", cut after limit bytes (0: no limit) with a count of the
// problems left out.
func ProblemsMessage(ps []Problem, limit int) string {
	var b strings.Builder
	for i, p := range ps {
		part := p.String()
		if i > 0 {
			part = "; " + part
		}
		if limit > 0 && b.Len()+len(part) > limit {
			if i == 0 {
				fmt.Fprintf(&b, "%d problems in the mapping", len(ps))
			} else {
				fmt.Fprintf(&b, "; and %d more", len(ps)-i)
			}
			break
		}
		b.WriteString(part)
	}
	return b.String()
}

// SourceTable returns the table of a source in this mapping ("" for the extension when
// there is none, or for an unknown source).
func (m Mapping) SourceTable(s Source) string {
	switch s.Normal() {
	case SourceExtension:
		if m.Extension == nil {
			return ""
		}
		return m.Extension.Table
	case SourceContacts:
		return m.Contacts.Table
	}
	return ""
}

// FieldTable returns the table a field's column is in ("" when its source has none).
func (m Mapping) FieldTable(f Field) string {
	if f.Source.Normal() == SourceRelated {
		r, ok := m.RelatedByName(f.Related)
		if !ok {
			return ""
		}
		return r.Table
	}
	return m.SourceTable(f.Source)
}

// FieldNames returns the names of the mapped fields, sorted.
func (m Mapping) FieldNames() []string {
	names := make([]string, 0, len(m.Fields))
	for n := range m.Fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Clone returns a deep copy of m.
func (m Mapping) Clone() Mapping {
	out := m
	if m.Extension != nil {
		ext := *m.Extension
		out.Extension = &ext
	}
	if m.Fields != nil {
		out.Fields = make(map[string]Field, len(m.Fields))
		for k, v := range m.Fields {
			out.Fields[k] = v
		}
	}
	out.Interactions = nil
	for _, ia := range m.Interactions {
		out.Interactions = append(out.Interactions, cloneInteraction(ia))
	}
	out.Dependents = nil
	for _, d := range m.Dependents {
		d.Match = cloneMatches(d.Match)
		out.Dependents = append(out.Dependents, d)
	}
	out.Related = nil
	for _, r := range m.Related {
		out.Related = append(out.Related, cloneRelated(r))
	}
	out.PersonalFields = append([]string(nil), m.PersonalFields...)
	out.RestrictedFields = append([]RestrictedField(nil), m.RestrictedFields...)
	return out
}

// AllDependents returns the dependents to handle before a contact is deleted, in order:
// the listed ones, the extension row (deleted by its key), then the rows of 1:1 related
// tables to delete that are not base tables. Actions are in Normal form. Hold dependents
// are not among them (see HoldDependents): they keep their contact.
func (m Mapping) AllDependents() []Dependent {
	var deps []Dependent
	for _, d := range m.Dependents {
		d.Action = d.Action.Normal()
		if d.Action != ActionHold {
			deps = append(deps, d)
		}
	}
	if m.Extension != nil {
		deps = append(deps, Dependent{Table: m.Extension.Table, Column: m.Extension.Key, Action: ActionDelete})
	}
	for _, r := range m.Related {
		if r.Erase.Normal() == RelatedDelete && r.Link == nil && r.ContactColumn == "" && !r.Base {
			deps = append(deps, Dependent{Table: r.Table, Column: r.Key, Action: ActionDelete, Match: cloneMatches(r.Match)})
		}
	}
	return deps
}

// HoldDependents returns the dependents whose rows keep their contact (action hold), in
// Normal form.
func (m Mapping) HoldDependents() []Dependent {
	var deps []Dependent
	for _, d := range m.Dependents {
		if d.Action.Normal() == ActionHold {
			d.Action = ActionHold
			deps = append(deps, d)
		}
	}
	return deps
}

// Lookup returns where a logical field lives: a mapped field, or else a restricted field
// of that name. A field is mapped everywhere it is named (selectors, anonymisation, the
// scan) or nowhere.
func (m Mapping) Lookup(name string) (Field, bool) {
	if f, ok := m.Fields[name]; ok && f.Column != "" {
		return f, true
	}
	for _, r := range m.RestrictedFields {
		if r.Name == name && r.Column != "" {
			return Field{Column: r.Column, Source: r.Source, Related: r.Related}, true
		}
	}
	return Field{}, false
}

// cloneInteraction returns a deep copy of ia.
func cloneInteraction(ia Interaction) Interaction {
	ia.Match = cloneMatches(ia.Match)
	if ia.Link != nil {
		link := *ia.Link
		link.Match = cloneMatches(link.Match)
		ia.Link = &link
	}
	return ia
}
