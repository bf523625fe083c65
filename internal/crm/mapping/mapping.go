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
	// Source is the table: contacts (default when empty) or extension.
	Source Source
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
	// Link is a many-to-many link table between interactions and contacts (SuiteCRM
	// calls_contacts); when set, ContactKey is empty.
	Link *InteractionLink
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
}

// Dependent is a table referencing the contact key.
type Dependent struct {
	// Table name.
	Table string
	// Column referencing the contact key.
	Column string
	// Action on erasure: delete or nullify.
	Action DependentAction
}

// RestrictedField is a private column that should stay empty.
type RestrictedField struct {
	// Name is the logical name (FieldNamePattern).
	Name string
	// Column name.
	Column string
	// Source is the table: contacts (default when empty) or extension.
	Source Source
}

// Problem is one thing wrong with a mapping.
type Problem struct {
	// Field is the mapping path, e.g. "mapping.fields[email].column".
	Field string
	// Message says what is wrong and what to do.
	Message string
}

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
		if ia.Link != nil {
			link := *ia.Link
			ia.Link = &link
		}
		out.Interactions = append(out.Interactions, ia)
	}
	out.Dependents = append([]Dependent(nil), m.Dependents...)
	out.PersonalFields = append([]string(nil), m.PersonalFields...)
	out.RestrictedFields = append([]RestrictedField(nil), m.RestrictedFields...)
	return out
}

// AllDependents returns the dependents to handle when a contact is deleted, in order: the
// listed ones, then the extension row (deleted by its key). Actions are in Normal form.
func (m Mapping) AllDependents() []Dependent {
	deps := append([]Dependent(nil), m.Dependents...)
	for i := range deps {
		deps[i].Action = deps[i].Action.Normal()
	}
	if m.Extension != nil {
		deps = append(deps, Dependent{Table: m.Extension.Table, Column: m.Extension.Key, Action: ActionDelete})
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
			return Field{Column: r.Column, Source: r.Source}, true
		}
	}
	return Field{}, false
}
