package crm

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// The mapping types live in the driver-free package internal/crm/mapping, so that
// programs that only read mappings (the kubectl plugin) link no SQL driver. They are
// aliased here: for this package and its callers they are the same types.
type (
	// Source says which table a logical field lives in.
	Source = mapping.Source
	// DependentAction is what happens to a dependent row when its contact is erased.
	DependentAction = mapping.DependentAction
	// Mapping says where a CRM keeps what the operator needs to know about a contact.
	Mapping = mapping.Mapping
	// ContactsTable is the contacts table.
	ContactsTable = mapping.ContactsTable
	// ExtensionTable is a 1:1 table of extra contact columns.
	ExtensionTable = mapping.ExtensionTable
	// Field is where a logical field lives.
	Field = mapping.Field
	// Interaction is one source of contact events.
	Interaction = mapping.Interaction
	// InteractionLink is a link table between interactions and contacts.
	InteractionLink = mapping.InteractionLink
	// Dependent is a table referencing the contact key.
	Dependent = mapping.Dependent
	// RestrictedField is a private column that should stay empty.
	RestrictedField = mapping.RestrictedField
	// Problem is one thing wrong with a mapping.
	Problem = mapping.Problem
)

// Sources and dependent actions (see internal/crm/mapping).
const (
	SourceContacts  = mapping.SourceContacts
	SourceExtension = mapping.SourceExtension
	ActionDelete    = mapping.ActionDelete
	ActionNullify   = mapping.ActionNullify
	ActionHold      = mapping.ActionHold
)

// Well-known logical fields (see internal/crm/mapping).
const (
	FieldEmail          = mapping.FieldEmail
	FieldFirstName      = mapping.FieldFirstName
	FieldLastName       = mapping.FieldLastName
	FieldPhone          = mapping.FieldPhone
	FieldCompany        = mapping.FieldCompany
	FieldContactType    = mapping.FieldContactType
	FieldJobRole        = mapping.FieldJobRole
	FieldLegalBasis     = mapping.FieldLegalBasis
	FieldConsentAt      = mapping.FieldConsentAt
	FieldConsentMethod  = mapping.FieldConsentMethod
	FieldOptOut         = mapping.FieldOptOut
	FieldOptOutAt       = mapping.FieldOptOutAt
	FieldLegalHold      = mapping.FieldLegalHold
	FieldLifecycleStage = mapping.FieldLifecycleStage
	FieldCreatedAt      = mapping.FieldCreatedAt
	FieldLastContactAt  = mapping.FieldLastContactAt
	FieldBirthDate      = mapping.FieldBirthDate
)

// Name patterns (see internal/crm/mapping).
const (
	FieldNamePattern       = mapping.FieldNamePattern
	InteractionNamePattern = mapping.InteractionNamePattern
)

// ProblemsMessage renders problems as one message for a status condition (see
// mapping.ProblemsMessage).
func ProblemsMessage(ps []Problem, limit int) string { return mapping.ProblemsMessage(ps, limit) }

// wellKnownRoles gives the role, hence the accepted column types, of each well-known field.
var wellKnownRoles = map[string]Role{
	FieldEmail:          RoleText,
	FieldFirstName:      RoleText,
	FieldLastName:       RoleText,
	FieldPhone:          RoleText,
	FieldCompany:        RoleText,
	FieldContactType:    RoleCategory,
	FieldJobRole:        RoleCategory,
	FieldLegalBasis:     RoleCategory,
	FieldConsentAt:      RoleTime,
	FieldConsentMethod:  RoleCategory,
	FieldOptOut:         RoleFlag,
	FieldOptOutAt:       RoleTime,
	FieldLegalHold:      RoleFlag,
	FieldLifecycleStage: RoleCategory,
	FieldCreatedAt:      RoleTime,
	FieldLastContactAt:  RoleTime,
	FieldBirthDate:      RoleTime,
}

// WellKnownFields returns the names of the well-known logical fields, sorted.
func WellKnownFields() []string {
	names := make([]string, 0, len(wellKnownRoles))
	for n := range wellKnownRoles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FieldRole returns the role of a logical field: the well-known role, or RoleAny for a
// custom field.
func FieldRole(name string) Role {
	if r, ok := wellKnownRoles[name]; ok {
		return r
	}
	return RoleAny
}

var (
	fieldNameRE       = regexp.MustCompile(FieldNamePattern)
	interactionNameRE = regexp.MustCompile(InteractionNamePattern)
)

// Mapping paths, as they appear in Problem.Field.
const pathRoot = "mapping"

func pathContacts(leaf string) string  { return pathRoot + ".contacts." + leaf }
func pathExtension(leaf string) string { return pathRoot + ".extension." + leaf }

// PathField is the mapping path of a leaf of a field, for Problem.Field.
func PathField(name, leaf string) string {
	return fmt.Sprintf("%s.fields[%s].%s", pathRoot, name, leaf)
}

func pathInteraction(i int, ia Interaction, leaf string) string {
	id := ia.Name
	if id == "" || !interactionNameRE.MatchString(id) {
		id = fmt.Sprint(i)
	}
	p := fmt.Sprintf("%s.interactions[%s]", pathRoot, id)
	if leaf != "" {
		p += "." + leaf
	}
	return p
}

func pathDependent(i int, leaf string) string {
	return fmt.Sprintf("%s.dependents[%d].%s", pathRoot, i, leaf)
}

// PathRestricted is the mapping path of a leaf of the i-th restricted field.
func PathRestricted(i int, r RestrictedField, leaf string) string {
	id := r.Name
	if !fieldNameRE.MatchString(id) {
		id = fmt.Sprint(i)
	}
	return fmt.Sprintf("%s.restrictedFields[%s].%s", pathRoot, id, leaf)
}

func pathPersonal(i int) string { return fmt.Sprintf("%s.personalFields[%d]", pathRoot, i) }
