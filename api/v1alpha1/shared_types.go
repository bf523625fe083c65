package v1alpha1

// This file holds the types that several kinds share: references to other objects and to
// Secrets, SQL identifiers, logical field names, contact selectors and retention terms.

// AnnotationSourceRevision is the annotation a GitOps pipeline may set on any object of this
// API to record the git revision it was applied from (for example a commit SHA). The
// operator copies it into RegisterRevision.spec.sourceRevision, so that an auditor can go
// from a register revision back to the commit that caused it.
const AnnotationSourceRevision = "privacy.crmoperator.io/source-revision"

// CategoryName is the kubectl category of every kind of this API:
// `kubectl get crmprivacy` lists them all.
const CategoryName = "crmprivacy"

// SQLIdentifier is the name of a table, column, role or user in the CRM database. It is
// written as a plain SQL identifier — a letter or underscore, then letters, digits,
// underscores or dollar signs, 63 characters at most — and the operator always quotes it for
// the engine, so it is case-sensitive on PostgreSQL. Schema-qualified names (`crm.contacts`)
// are not accepted: on PostgreSQL, set spec.connection.schema instead. A name such as
// `contacts; DROP TABLE x` or `a"b` is rejected by the API server.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z_][A-Za-z0-9_$]{0,62}$')",message="must be an SQL identifier: a letter or underscore, then letters, digits, underscores or dollar signs, at most 63 characters, such as contacts or first_name",reason=FieldValueInvalid
type SQLIdentifier string

// LogicalFieldName names a property of a contact independently of the CRM's schema, such as
// `email`, `contactType` or `lastContactAt`. A CRMDatabase maps each logical field to a
// column (spec.mapping.fields); selectors, anonymisation and audits name logical fields only,
// never columns, so a policy works the same on every CRM and cannot carry SQL.
// It is a camelCase identifier: a lowercase letter, then letters and digits, 63 at most.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^[a-z][A-Za-z0-9]{0,62}$`
type LogicalFieldName string

// The well-known logical fields. The operator gives them a meaning; any other name matching
// the LogicalFieldName pattern is a custom field that selectors and audits can use too.
const (
	// FieldEmail is the contact's email address (personal data).
	FieldEmail LogicalFieldName = "email"
	// FieldFirstName is the contact's first name (personal data).
	FieldFirstName LogicalFieldName = "firstName"
	// FieldLastName is the contact's last name (personal data).
	FieldLastName LogicalFieldName = "lastName"
	// FieldPhone is the contact's business phone number (personal data).
	FieldPhone LogicalFieldName = "phone"
	// FieldCompany is the name of the organisation the contact works for.
	FieldCompany LogicalFieldName = "company"
	// FieldContactType says whether the contact is a business contact or a consumer; its
	// values are `B2B` and `B2C` (see ContactType).
	FieldContactType LogicalFieldName = "contactType"
	// FieldJobRole is the contact's job function (for example `purchasing`, `board`, `sales`,
	// `technical-manager`); legitimate interest only covers the roles an LIA allows.
	FieldJobRole LogicalFieldName = "jobRole"
	// FieldLegalBasis is the legal basis recorded for the contact; its values are the names
	// of LegalBasisType (`Consent`, `Contract`, `LegitimateInterests`, …), compared without
	// regard to case.
	FieldLegalBasis LogicalFieldName = "legalBasis"
	// FieldConsentAt is when consent was given: with FieldConsentMethod, the consent
	// evidence that GDPR Art. 7(1) asks the controller to be able to show.
	FieldConsentAt LogicalFieldName = "consentAt"
	// FieldConsentMethod is how consent was acquired (web form, phone, email, in person…).
	FieldConsentMethod LogicalFieldName = "consentMethod"
	// FieldOptOut is true when the contact objected to the processing or opted out; an
	// opted-out contact must not be processed for direct marketing (GDPR Art. 21).
	FieldOptOut LogicalFieldName = "optOut"
	// FieldLegalHold is true when the contact must be kept whatever the retention term (a
	// dispute, an audit); retention never erases such a contact.
	FieldLegalHold LogicalFieldName = "legalHold"
	// FieldLifecycleStage is where the contact stands commercially (for example `prospect`,
	// `customer`, `former-customer`); retention terms often depend on it.
	FieldLifecycleStage LogicalFieldName = "lifecycleStage"
	// FieldCreatedAt is when the contact was created in the CRM; the reference time of
	// retention rules with `since: Created`.
	FieldCreatedAt LogicalFieldName = "createdAt"
	// FieldLastContactAt is when the contact was last in touch, as the CRM records it on the
	// contact itself; the operator takes the later of it and the latest renewing interaction.
	FieldLastContactAt LogicalFieldName = "lastContactAt"
	// FieldBirthDate is the contact's date of birth: private data that a B2B CRM rarely
	// needs, usually declared as a restricted field.
	FieldBirthDate LogicalFieldName = "birthDate"
)

// ObjectName is the name of a Kubernetes object (a DNS subdomain).
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
type ObjectName string

// ItemName is the name of an item in a list of this API (a rule, a legal hold, an
// interaction source): a DNS label, lowercase letters, digits and `-`, 63 at most.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
type ItemName string

// LocalObjectReference names another object of this API in the same namespace. References
// never cross namespaces: a namespace's policies can only act on that namespace's databases.
type LocalObjectReference struct {
	// name is the name of the referenced object, in the namespace of the referring object.
	// +required
	Name ObjectName `json:"name"`
}

// SecretReference names a Secret in the namespace of the referring object.
type SecretReference struct {
	// name is the name of the Secret, in the namespace of the referring object.
	// +required
	Name ObjectName `json:"name"`
}

// SecretKeySelector names one key of a Secret in the namespace of the referring object.
type SecretKeySelector struct {
	// name is the name of the Secret, in the namespace of the referring object.
	// +required
	Name ObjectName `json:"name"`

	// key is the key of the Secret's data that holds the value.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// ContactType says whether a contact is a business or a private person.
// +kubebuilder:validation:Enum=B2B;B2C
type ContactType string

const (
	// ContactTypeB2B is a person contacted in their professional capacity, at a company.
	ContactTypeB2B ContactType = "B2B"
	// ContactTypeB2C is a consumer, contacted as a private person.
	ContactTypeB2C ContactType = "B2C"
)

// SelectorOperator is how a field requirement compares a contact's field with its values.
// +kubebuilder:validation:Enum=In;NotIn;Exists;DoesNotExist
type SelectorOperator string

const (
	// SelectorOpIn selects contacts whose field equals one of the values.
	SelectorOpIn SelectorOperator = "In"
	// SelectorOpNotIn selects contacts whose field holds a value that is none of the values.
	// A contact whose field is empty (NULL) is not selected, flags included: combine with
	// DoesNotExist in a separate rule to reach those.
	SelectorOpNotIn SelectorOperator = "NotIn"
	// SelectorOpExists selects contacts whose field holds a value (is not NULL).
	SelectorOpExists SelectorOperator = "Exists"
	// SelectorOpDoesNotExist selects contacts whose field is empty (NULL).
	SelectorOpDoesNotExist SelectorOperator = "DoesNotExist"
)

// FieldRequirement is one condition on a logical field of a contact.
// +kubebuilder:validation:XValidation:rule="!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",message="values must list at least one value for the In and NotIn operators",fieldPath=".values",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",message="values must be empty for the Exists and DoesNotExist operators",fieldPath=".values",reason=FieldValueForbidden
type FieldRequirement struct {
	// field is the logical field compared, as mapped by the CRMDatabase (for example
	// `contactType`, `jobRole`, `lifecycleStage`, `optOut`, or a custom field).
	// +required
	Field LogicalFieldName `json:"field"`

	// operator is how the field is compared: `In`, `NotIn`, `Exists` or `DoesNotExist`.
	// +required
	Operator SelectorOperator `json:"operator"`

	// values are the values compared with `In` and `NotIn`; they must be empty for `Exists`
	// and `DoesNotExist`. How they compare depends on the field's kind, the same way on
	// every engine: text fields exactly (`B2B`, `prospect`: case and spaces count, also on
	// MySQL/MariaDB); yes/no flags (`optOut`, `legalHold`, custom fields on a boolean
	// column) only with `"true"` or `"false"`; number fields (custom fields and categories
	// on an integer or decimal column) numerically, with whole numbers such as `"3"`; time
	// fields take no values (use `Exists`/`DoesNotExist`). A value that does not fit its
	// field's kind stops the resource with `InvalidSpec`. The full grammar, with the truth
	// of a flag, is in docs/concepts.md ("Selectors"). Values are passed to the database as
	// bound parameters (as escaped constants in PostgreSQL row-level security policies),
	// never as SQL.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=256
	Values []string `json:"values,omitempty"`
}

// ContactSelector selects contacts by their logical fields. All requirements must hold
// (logical AND). An empty selector selects every contact. A field that is empty (NULL)
// matches neither `In` nor `NotIn`. Retention rules, legal holds, activity scopes and row
// filters are all compiled by one compiler: the same selector selects the same contacts
// in a plan, a compliance scan and a row filter (docs/concepts.md, "Selectors").
type ContactSelector struct {
	// matchExpressions are the conditions a contact must all meet to be selected.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	MatchExpressions []FieldRequirement `json:"matchExpressions,omitempty"`
}

// RetentionTerm is a length of time in days, months or years: a number followed by `d`
// (days), `m` (calendar months) or `y` (calendar years), such as `30d`, `24m` or `10y`, at
// most 100 years (`100y`, `1200m` or `36500d`), so that every engine can compute its
// cutoff. Months and years follow the calendar: 24m before 31 March 2026 is 31 March 2024.
// +kubebuilder:validation:MaxLength=16
// +kubebuilder:validation:XValidation:rule="self.matches('^[1-9][0-9]{0,4}[dmy]$') && int(self.substring(0, size(self) - 1)) <= (self.endsWith('d') ? 36500 : self.endsWith('m') ? 1200 : 100)",message="must be a number and a unit d, m or y, such as 24m or 10y, at most 100 years (100y, 1200m or 36500d)",reason=FieldValueInvalid
type RetentionTerm string

// URI is the address of a document: a URL (`https://intranet.example.com/dpia/42`) or any
// other absolute URI with a scheme (`urn:…`, `file:…`), without spaces.
// +kubebuilder:validation:MinLength=3
// +kubebuilder:validation:MaxLength=2048
// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$`
type URI string

// Person identifies who did something (approved, decided, designated): a name, an email
// address or a user name, as the organisation records it for accountability.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
type Person string
