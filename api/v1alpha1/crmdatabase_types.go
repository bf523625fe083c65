package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DatabaseEngine is the kind of SQL server that holds the CRM's data.
// +kubebuilder:validation:Enum=postgres;mysql;sqlite
type DatabaseEngine string

const (
	// EnginePostgres is PostgreSQL.
	EnginePostgres DatabaseEngine = "postgres"
	// EngineMySQL is MySQL or MariaDB.
	EngineMySQL DatabaseEngine = "mysql"
	// EngineSQLite is a SQLite database file that the operator can open (for small CRMs,
	// demos and tests). SQLite has no users or privileges: AccessRoles do not apply.
	EngineSQLite DatabaseEngine = "sqlite"
)

// TLSMode is how the connection to the database server is encrypted and checked. The
// names are PostgreSQL's sslmode values; on MySQL/MariaDB they map to the driver's TLS
// settings. SQLite files are opened locally and take no TLS settings.
// +kubebuilder:validation:Enum=disable;require;verify-ca;verify-full
type TLSMode string

const (
	// TLSDisable connects without TLS. Only for a database on the same host or a private,
	// trusted network: credentials and personal data then cross the network in clear.
	TLSDisable TLSMode = "disable"
	// TLSRequire encrypts the connection but does not check the server's certificate.
	TLSRequire TLSMode = "require"
	// TLSVerifyCA encrypts and checks that the server's certificate is signed by the CA
	// (caSecretRef, or the system's roots), without checking the host name.
	TLSVerifyCA TLSMode = "verify-ca"
	// TLSVerifyFull encrypts, checks the CA and checks that the certificate names the host.
	// The recommended mode across networks.
	TLSVerifyFull TLSMode = "verify-full"
)

// SchemaPreset names a known CRM schema whose mapping the operator ships.
// +kubebuilder:validation:Enum=generic;suitecrm;odoo;dolibarr;espocrm;vtiger
type SchemaPreset string

const (
	// PresetGeneric is the project's reference schema, shipped as DDL in
	// config/samples/crm: a contacts table, a generic interactions table and their
	// dependents. A CRM built on it, or close to it, needs little or no explicit mapping.
	PresetGeneric SchemaPreset = "generic"
	// PresetSuiteCRM is the SuiteCRM 7 schema: `contacts` keyed by `id` with the `deleted`
	// soft-delete flag, custom fields in `contacts_cstm` (keyed by `id_c`), and calls linked
	// to contacts through `calls_contacts` (kind `call`). SuiteCRM has no column for
	// `email`, `contactType`, `legalHold` or `lifecycleStage`: map them to custom fields of
	// the extension table in spec.mapping.fields.
	PresetSuiteCRM SchemaPreset = "suitecrm"
	// PresetOdoo is Odoo 17 on PostgreSQL: partners in `res_partner` (archived with
	// `active = false`), chatter messages in `mail_message` where `model` is
	// `res.partner`, activities in `mail_activity`, meetings through
	// `calendar_event_res_partner_rel`, the e-mail blacklist in `mail_blacklist`. See
	// docs/crms.md.
	PresetOdoo SchemaPreset = "odoo"
	// PresetDolibarr is Dolibarr 18 to 24 on MySQL/MariaDB: contacts in `llx_socpeople`, their
	// extra fields (with the GDPR module's `datapolicy_*`) in `llx_socpeople_extrafields`,
	// events in `llx_actioncomm`. See docs/crms.md.
	PresetDolibarr SchemaPreset = "dolibarr"
	// PresetEspoCRM is EspoCRM 8 on MySQL/MariaDB: `contact` with 17-character ids,
	// addresses in `email_address` through `entity_email_address`, calls and meetings
	// through `call_contact` and `contact_meeting`, e-mails by their parent. See
	// docs/crms.md.
	PresetEspoCRM SchemaPreset = "espocrm"
	// PresetVtiger is vtiger CRM 7/8 on MySQL/MariaDB: `vtiger_contactdetails` extending
	// `vtiger_crmentity` (deleted flag, times), activities through `vtiger_cntactivityrel`
	// and `vtiger_seactivityrel`. See docs/crms.md.
	PresetVtiger SchemaPreset = "vtiger"
)

// FieldSource says which table of the mapping a column belongs to.
// +kubebuilder:validation:Enum=Contacts;Extension;Related
type FieldSource string

const (
	// SourceContacts is the contacts table (spec.mapping.contacts.table).
	SourceContacts FieldSource = "Contacts"
	// SourceExtension is the 1:1 extension table (spec.mapping.extension.table).
	SourceExtension FieldSource = "Extension"
	// SourceRelated is a related table (spec.mapping.related), named by the field's
	// `related`.
	SourceRelated FieldSource = "Related"
)

// RelatedErase is what happens to a contact's rows in a related table when the contact is
// deleted.
// +kubebuilder:validation:Enum=Keep;Delete
type RelatedErase string

const (
	// RelatedKeep leaves the rows alone (a table shared by several records, such as a
	// blacklist keyed by e-mail address).
	RelatedKeep RelatedErase = "Keep"
	// RelatedDelete deletes them: a 1:1 table's row; through a link table, the contact's
	// link rows and then the related rows no other link references (an address no other
	// record uses).
	RelatedDelete RelatedErase = "Delete"
)

// MatchValue is a fixed value a column must hold: letters, digits, `_ . : / @ -` and
// inner spaces, 64 at most. It contains no quote or backslash, so it can be written into
// SQL (and into row-filter policies) as a constant.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_][A-Za-z0-9_.:/@ -]{0,63}$`
type MatchValue string

// ColumnMatch keeps the rows of a table whose column holds a fixed value: the type column
// of a polymorphic table.
type ColumnMatch struct {
	// column is the column to compare, for example Odoo's `model` or EspoCRM's
	// `parent_type`.
	// +required
	Column SQLIdentifier `json:"column"`

	// value is the value the column must hold, for example `res.partner` or `Contact`.
	// On a boolean column use `1` or `0` (also `true`, `false` on PostgreSQL); on an
	// integer column a whole number.
	// +required
	Value MatchValue `json:"value"`

	// lookup is optional: when set, it makes `column` a reference into another table (a code list) and
	// compares that table's row instead: the rows kept are those whose `column` equals
	// `lookup.key` of a `lookup.table` row whose `lookup.column` holds `value`. Dolibarr's
	// `llx_element_contact.fk_c_type_contact` references `llx_c_type_contact.rowid`, and
	// only roles whose `source` is `external` name a contact (an internal role's
	// `fk_socpeople` is a user id). Checked against the schema like every mapped column.
	// +optional
	Lookup *MatchLookup `json:"lookup,omitempty"`
}

// MatchLookup is the table a ColumnMatch's column references and the column compared
// there.
type MatchLookup struct {
	// table is the referenced table, for example `llx_c_type_contact`.
	// +required
	Table SQLIdentifier `json:"table"`

	// key is the column of `table` that the match's column references, for example
	// `rowid`.
	// +required
	Key SQLIdentifier `json:"key"`

	// column is the column of `table` compared with the match's value, for example
	// `source`.
	// +required
	Column SQLIdentifier `json:"column"`
}

// DependentAction is what happens to the rows of a dependent table when their contact is
// deleted.
// +kubebuilder:validation:Enum=Delete;Nullify;Hold
type DependentAction string

const (
	// DependentDelete deletes the dependent rows with the contact (notes, consents, tasks
	// about the person).
	DependentDelete DependentAction = "Delete"
	// DependentNullify sets the referencing column to NULL and keeps the rows (an order or an
	// invoice that must be kept for accounting, detached from the person).
	DependentNullify DependentAction = "Nullify"
	// DependentHold keeps the contact: a contact referenced by a row of the table is not
	// erased, and is counted as held, like a legal hold (a sales order whose NOT NULL
	// partner column the CRM forbids to detach, kept for accounting law). Anonymisation
	// stays possible for such contacts.
	DependentHold DependentAction = "Hold"
)

// CRMDatabaseSpec says how to reach one CRM database and how its schema maps to the
// logical fields of a contact.
// +kubebuilder:validation:XValidation:rule="has(self.preset) || (has(self.mapping) && has(self.mapping.contacts))",message="mapping.contacts is required when no preset is set",fieldPath=".mapping.contacts",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.mapping) || !has(self.mapping.fields) || !self.mapping.fields.exists(f, has(f.source) && f.source == 'Extension') || has(self.mapping.extension) || (has(self.preset) && self.preset in ['suitecrm', 'dolibarr', 'vtiger'])",message="fields with source Extension need mapping.extension (the preset has no extension table)",fieldPath=".mapping.extension",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.mapping) || !has(self.mapping.restrictedFields) || !self.mapping.restrictedFields.exists(f, has(f.source) && f.source == 'Extension') || has(self.mapping.extension) || (has(self.preset) && self.preset in ['suitecrm', 'dolibarr', 'vtiger'])",message="restricted fields with source Extension need mapping.extension (the preset has no extension table)",fieldPath=".mapping.extension",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.engine != 'sqlite' || !has(self.connection.tls)",message="tls does not apply to sqlite: the database file is opened locally",fieldPath=".connection.tls",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="self.engine == 'postgres' || !has(self.connection.schema)",message="schema only applies to postgres: on mysql the database is the schema, sqlite has none",fieldPath=".connection.schema",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="(has(self.ledger) && has(self.ledger.enabled) && !self.ledger.enabled) || (has(self.ledger) && has(self.ledger.hmacKeySecretRef))",message="ledger.hmacKeySecretRef is required while the erasure ledger is enabled (the default); set ledger.enabled to false to run without proof of erasure",fieldPath=".ledger.hmacKeySecretRef",reason=FieldValueRequired
type CRMDatabaseSpec struct {
	// engine is the database server: `postgres` (PostgreSQL), `mysql` (MySQL or MariaDB) or
	// `sqlite` (a database file). It cannot be changed once set: create a new CRMDatabase to
	// move to another engine.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="engine is immutable: create a new CRMDatabase for another engine"
	Engine DatabaseEngine `json:"engine"`

	// connection says where the credentials are and how to secure the connection. The
	// password never appears in the spec.
	// +required
	Connection ConnectionSpec `json:"connection"`

	// preset is a known CRM schema whose mapping the operator applies: `generic` (the
	// project's reference schema) or `suitecrm`. spec.mapping overrides the preset field by
	// field: a table, a column or a list entry given there wins over the preset's.
	// When omitted, spec.mapping must say everything, starting with mapping.contacts.
	// +optional
	Preset SchemaPreset `json:"preset,omitempty"`

	// mapping says where each logical field of a contact lives in this database: the
	// contacts table, an optional extension table, interactions, dependent tables, personal
	// and restricted fields.
	// +optional
	Mapping *SchemaMapping `json:"mapping,omitempty"`

	// ledger configures the erasure ledger: the table `crm_privacy.crm_privacy_erasure_ledger`
	// that the operator creates in its own schema (MySQL/MariaDB: database) `crm_privacy`,
	// out of reach of CRM users, and writes in the same transaction as each erasure, one row
	// per contact with a keyed hash (HMAC-SHA-256) of its key: proof of erasure, and
	// pseudonymous personal data for whoever holds the key. Required unless the ledger is
	// disabled.
	// +optional
	Ledger *LedgerSpec `json:"ledger,omitempty"`
}

// ConnectionSpec says how the operator connects to the database.
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || !has(self.tls.caSecretRef) || self.tls.mode in ['verify-ca', 'verify-full']",message="caSecretRef is only used with the verify-ca and verify-full modes",fieldPath=".tls.caSecretRef",reason=FieldValueForbidden
type ConnectionSpec struct {
	// secretRef names the Secret, in this namespace, that holds the connection settings.
	// Its keys are either `dsn` — a full connection string for the engine's driver
	// (`postgres://user:password@host:5432/crm`, `user:password@tcp(host:3306)/crm`) — or
	// `host`, `port` (optional: 5432 or 3306), `user`, `password` and `database`. For
	// sqlite, `path` (the database file, which must exist) or `dsn`. Give either `dsn` or
	// the separate keys, not both. A `dsn` is parsed by the operator and may hold only the
	// options docs/crmdatabase.md lists; options that read files of the operator's pod
	// (MySQL `allowAllFiles`, PostgreSQL `passfile`, `sslrootcert`…) are refused (reason
	// `UnsupportedOption`). The operator reads
	// the Secret at each connection and reconnects when it changes, so credentials can be
	// rotated without touching this object.
	// +required
	SecretRef SecretReference `json:"secretRef"`

	// tls sets how the connection is encrypted, for a Secret with host/port keys. When
	// omitted, the drivers' default applies: TLS when the server offers it, plaintext
	// otherwise (libpq's `prefer`). A `dsn` carries its own TLS settings and cannot be
	// combined with tls. Not allowed for sqlite.
	// +optional
	TLS *TLSSpec `json:"tls,omitempty"`

	// schema is the PostgreSQL schema that holds the mapped tables (set as the connection's
	// search_path), for example `crm`. When omitted, the server's default search_path
	// applies. PostgreSQL only: on MySQL/MariaDB the database is the schema.
	// +optional
	Schema SQLIdentifier `json:"schema,omitempty"`

	// maxOpenConns is the most connections the operator opens to this database at once,
	// shared by every policy and role that uses it. At least 2: a sweep holds one
	// connection for its lock (PostgreSQL advisory lock, MySQL GET_LOCK) and runs its
	// batches on another.
	// +optional
	// +kubebuilder:default=4
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=64
	MaxOpenConns *int32 `json:"maxOpenConns,omitempty"`
}

// TLSSpec sets TLS for the database connection.
type TLSSpec struct {
	// mode is `disable`, `require`, `verify-ca` or `verify-full` (PostgreSQL's sslmode
	// names, also applied to MySQL/MariaDB). Use `verify-full` across networks.
	// +required
	Mode TLSMode `json:"mode"`

	// caSecretRef names the Secret key holding the PEM-encoded CA certificate that signs the
	// server's certificate (for example key `ca.crt`), for `verify-ca` and `verify-full`.
	// When omitted, the system's trusted roots are used.
	// +optional
	CASecretRef *SecretKeySelector `json:"caSecretRef,omitempty"`
}

// SchemaMapping maps the logical fields of a contact to the CRM's tables and columns.
// +kubebuilder:validation:XValidation:rule="!has(self.fields) || self.fields.all(f, !has(f.related) || (has(self.related) && self.related.exists(r, r.name == f.related)))",message="a field's related must name an entry of mapping.related",fieldPath=".related",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.contacts) || !has(self.contacts.softDeleteRelated) || (has(self.related) && self.related.exists(r, r.name == self.contacts.softDeleteRelated))",message="contacts.softDeleteRelated must name an entry of mapping.related",fieldPath=".contacts.softDeleteRelated",reason=FieldValueRequired
type SchemaMapping struct {
	// contacts is the table with one row per contact (person) and its key. Required unless a
	// preset provides it.
	// +optional
	Contacts *ContactsMapping `json:"contacts,omitempty"`

	// extension is an optional 1:1 table of custom fields beside the contacts table, such as
	// SuiteCRM's `contacts_cstm` or Dolibarr's `*_extrafields`. Its rows are deleted with
	// their contact.
	// +optional
	Extension *ExtensionMapping `json:"extension,omitempty"`

	// fields maps logical field names to columns. The well-known names are `email`,
	// `firstName`, `lastName`, `phone`, `company`, `contactType` (values `B2B` or `B2C`),
	// `jobRole`, `legalBasis` (values `Consent`, `Contract`, `LegalObligation`,
	// `VitalInterests`, `PublicTask`, `LegitimateInterests`), `consentAt` and `consentMethod`
	// (the consent evidence), `optOut` and `legalHold` (yes/no), `lifecycleStage`,
	// `createdAt`, `lastContactAt` and `birthDate`. Any other camelCase name is a custom
	// field that selectors can use.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Fields []FieldMapping `json:"fields,omitempty"`

	// interactions are the tables that record contact with a person (calls, meetings,
	// emails). The latest interaction that a retention rule counts (see renewedBy) renews
	// its term.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	Interactions []InteractionSource `json:"interactions,omitempty"`

	// dependents are the tables whose rows reference a contact and must be handled before
	// the contact is deleted (foreign keys): each is deleted or detached (set to NULL) in the
	// same transaction. Anonymisation keeps the contact row and leaves dependents alone.
	// +optional
	// +listType=map
	// +listMapKey=table
	// +listMapKey=column
	// +kubebuilder:validation:MaxItems=32
	Dependents []DependentTable `json:"dependents,omitempty"`

	// personalFields lists the logical fields that hold personal data. They are what audits
	// report as personal columns and what anonymisation may target. Each must be mapped in
	// fields (or by the preset); the operator reports unmapped names in
	// status.schemaProblems.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	PersonalFields []LogicalFieldName `json:"personalFields,omitempty"`

	// restrictedFields are private fields that the purposes of the CRM do not need (birth
	// date, personal phone, spouse, children, personal interests) and that must stay empty
	// (data minimisation, GDPR Art. 5(1)(c)). Compliance scans count contacts where any is
	// filled in.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	RestrictedFields []RestrictedField `json:"restrictedFields,omitempty"`

	// related are other tables that hold facts about a contact, which fields with source
	// `Related` read: a 1:1 table sharing the contact key (vtiger's `vtiger_crmentity`), a
	// table reached through a link table (EspoCRM's and SuiteCRM's e-mail addresses), a
	// table keyed by another column of the contact (Odoo's `mail_blacklist`).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	Related []RelatedTable `json:"related,omitempty"`
}

// ContactsMapping names the contacts table.
type ContactsMapping struct {
	// table is the table with one row per contact, for example `contacts`.
	// +required
	Table SQLIdentifier `json:"table"`

	// key is the column that identifies a contact: the primary key or another unique,
	// non-null column (integer, text or UUID). Sweeps page through contacts in key order.
	// +required
	Key SQLIdentifier `json:"key"`

	// softDeleteColumn is a column that marks a contact as deleted without removing the row:
	// a yes/no or integer flag (SuiteCRM's `deleted = 1`) or a timestamp (`deleted_at` set).
	// Soft-deleted rows are not counted as contacts (status.contacts, the base of the
	// retention budget) nor scanned; retention rules still select them, since their
	// personal data is still stored (see docs/crms.md).
	// +optional
	SoftDeleteColumn SQLIdentifier `json:"softDeleteColumn,omitempty"`

	// softDeleteRelated names the 1:1 entry of mapping.related that holds
	// softDeleteColumn, when the CRM keeps the deleted flag outside the contacts table
	// (vtiger's `vtiger_crmentity.deleted`).
	// +optional
	SoftDeleteRelated ItemName `json:"softDeleteRelated,omitempty"`
}

// ExtensionMapping names a 1:1 custom-field table.
type ExtensionMapping struct {
	// table is the extension table, for example `contacts_cstm`.
	// +required
	Table SQLIdentifier `json:"table"`

	// key is the column of the extension table that holds the contact key (SuiteCRM's
	// `id_c`); at most one row per contact.
	// +required
	Key SQLIdentifier `json:"key"`
}

// FieldMapping maps one logical field to a column.
// +kubebuilder:validation:XValidation:rule="has(self.related) == (has(self.source) && self.source == 'Related')",message="related is set exactly when source is Related",fieldPath=".related",reason=FieldValueInvalid
type FieldMapping struct {
	// name is the logical field, for example `email`, `contactType` or a custom name such as
	// `newsletterSegment`.
	// +required
	Name LogicalFieldName `json:"name"`

	// column is the column that holds the field's value.
	// +required
	Column SQLIdentifier `json:"column"`

	// source is the table of the column: `Contacts` (the contacts table, the default),
	// `Extension` (the extension table) or `Related` (the related table named by related).
	// +optional
	// +kubebuilder:default=Contacts
	Source FieldSource `json:"source,omitempty"`

	// related names the entry of mapping.related that holds the column, with source
	// `Related`. The field's value is that of the contact's first related row (the
	// primary link first); a yes/no field with no related row is `false`.
	// +optional
	Related ItemName `json:"related,omitempty"`
}

// InteractionSource is one table of interactions (calls, meetings, emails) with contacts.
// An interaction belongs to a contact either through a contact-key column of its own table
// (contactKey) or through a many-to-many link table (link).
// +kubebuilder:validation:XValidation:rule="has(self.link) || has(self.contactKey)",message="contactKey is required unless a link table is given",fieldPath=".contactKey",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.link) || !has(self.contactKey)",message="contactKey must not be set with a link table: set link.contactKey instead",fieldPath=".contactKey",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.link) || has(self.key)",message="key (the interaction table's key, referenced by link.interactionKey) is required with a link table",fieldPath=".key",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.kind) || !has(self.fixedKind)",message="set either kind (a column) or fixedKind (a constant), not both",fieldPath=".fixedKind",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="has(self.softDeleteTable) == has(self.softDeleteKey)",message="softDeleteTable and softDeleteKey go together: the base table holding the flag and its column holding the interaction key",fieldPath=".softDeleteKey",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.softDeleteTable) || (has(self.softDeleteColumn) && has(self.key))",message="softDeleteTable needs softDeleteColumn (the flag in that table) and key (the interaction key softDeleteKey holds)",fieldPath=".softDeleteTable",reason=FieldValueRequired
type InteractionSource struct {
	// name identifies this source in status and reports, for example `calls`.
	// +required
	Name ItemName `json:"name"`

	// table is the interactions table, for example `interactions` or SuiteCRM's `calls`.
	// +required
	Table SQLIdentifier `json:"table"`

	// key is the interaction table's own key column, which link.interactionKey references.
	// Required with link.
	// +optional
	Key SQLIdentifier `json:"key,omitempty"`

	// contactKey is the column of the interaction table that holds the contact key.
	// Required unless link is set.
	// +optional
	ContactKey SQLIdentifier `json:"contactKey,omitempty"`

	// time is the column that holds when the interaction happened (a date or timestamp).
	// +required
	Time SQLIdentifier `json:"time"`

	// kind is the column that says what sort of interaction a row is (`call`, `meeting`,
	// `email`…), compared with a retention rule's renewedBy.kinds.
	// +optional
	Kind SQLIdentifier `json:"kind,omitempty"`

	// fixedKind is the kind of every row of this table, for a table that holds one sort of
	// interaction and has no kind column (SuiteCRM's `calls` is `call`).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	FixedKind string `json:"fixedKind,omitempty"`

	// softDeleteColumn is a column that marks an interaction as deleted (SuiteCRM's
	// `deleted`); such rows do not renew a term.
	// +optional
	SoftDeleteColumn SQLIdentifier `json:"softDeleteColumn,omitempty"`

	// softDeleteTable is the table that holds softDeleteColumn when the interaction table
	// does not: a base table sharing the interaction key, as vtiger keeps an activity's
	// `deleted` flag in its `vtiger_crmentity` row. An interaction is ignored only when its
	// row there is marked deleted. Requires softDeleteKey, softDeleteColumn and key.
	// +optional
	SoftDeleteTable SQLIdentifier `json:"softDeleteTable,omitempty"`

	// softDeleteKey is the column of softDeleteTable that holds the interaction key, for
	// example vtiger's `crmid`.
	// +optional
	SoftDeleteKey SQLIdentifier `json:"softDeleteKey,omitempty"`

	// direction is the column that says who initiated the interaction. Values `Inbound`
	// (from the person) and `Outbound` (from the company) are recognised without regard to
	// case; any other value, or no direction column, only matches renewedBy.direction `Any`.
	// +optional
	Direction SQLIdentifier `json:"direction,omitempty"`

	// link is a many-to-many link table between interactions and contacts (SuiteCRM's
	// `calls_contacts`), for interactions that involve several contacts.
	// +optional
	Link *InteractionLink `json:"link,omitempty"`

	// match keeps only the rows of a polymorphic table that concern contacts, for example
	// Odoo's `mail_message` rows whose `model` is `res.partner` (their `res_id` is then a
	// partner id), or EspoCRM's e-mails whose `parent_type` is `Contact`.
	// +optional
	// +listType=map
	// +listMapKey=column
	// +kubebuilder:validation:MaxItems=4
	Match []ColumnMatch `json:"match,omitempty"`

	// related names an entry of mapping.related that has a link table, for interactions
	// that reach a contact through one of its related rows rather than by the contact key:
	// contactKey (or link.contactKey) then holds that related table's key, and the
	// interaction belongs to every contact the related table's link rows (those holding
	// their match values) tie to the row. EspoCRM's e-mails reach a contact by address:
	// `email.from_email_address_id` and `email_email_address.email_address_id` hold
	// e-mail address ids, which `entity_email_address` ties to contacts. The related link's
	// softDeleteColumn is not read: an e-mail to an address the contact has since dropped
	// still reached the person.
	// +optional
	Related ItemName `json:"related,omitempty"`
}

// InteractionLink is a many-to-many table linking interactions to contacts.
type InteractionLink struct {
	// table is the link table, for example `calls_contacts`.
	// +required
	Table SQLIdentifier `json:"table"`

	// interactionKey is the column of the link table that references the interaction
	// table's key, for example `call_id`.
	// +required
	InteractionKey SQLIdentifier `json:"interactionKey"`

	// contactKey is the column of the link table that references the contact key, for
	// example `contact_id`.
	// +required
	ContactKey SQLIdentifier `json:"contactKey"`

	// softDeleteColumn is a column that marks a link as deleted (SuiteCRM's `deleted`);
	// such links are ignored.
	// +optional
	SoftDeleteColumn SQLIdentifier `json:"softDeleteColumn,omitempty"`

	// match keeps only the link rows that hold these values, for a link table shared by
	// several kinds of records (Dolibarr's `llx_actioncomm_resources` where `element_type`
	// is `socpeople`).
	// +optional
	// +listType=map
	// +listMapKey=column
	// +kubebuilder:validation:MaxItems=4
	Match []ColumnMatch `json:"match,omitempty"`
}

// DependentTable is a table whose rows reference a contact.
type DependentTable struct {
	// table is the dependent table, for example `notes`.
	// +required
	Table SQLIdentifier `json:"table"`

	// column is the column of the dependent table that references the contact key (the
	// foreign key).
	// +required
	Column SQLIdentifier `json:"column"`

	// action is what happens to the dependent rows when their contact is deleted: `Delete`
	// removes them, `Nullify` sets column to NULL and keeps them, `Hold` keeps them and
	// their contact (a contact referenced by a row of the table is not erased; it is
	// counted as held, like a legal hold).
	// +required
	Action DependentAction `json:"action"`

	// match restricts the rows handled to those that hold these values: in a polymorphic
	// table (Odoo's `mail_message`, EspoCRM's `note`), column holds a contact key only
	// where the type column names contacts; other rows are left alone.
	// +optional
	// +listType=map
	// +listMapKey=column
	// +kubebuilder:validation:MaxItems=4
	Match []ColumnMatch `json:"match,omitempty"`
}

// RelatedTable is another table that holds facts about a contact: 1:1 (its key is the
// contact key, or matches contactColumn) or through a link table.
// +kubebuilder:validation:XValidation:rule="!has(self.link) || !has(self.contactColumn)",message="contactColumn must not be set with a link table: set link.contactKey instead",fieldPath=".contactColumn",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!(has(self.base) && self.base) || (!has(self.link) && !has(self.contactColumn))",message="a base table shares the contact key: it takes no link and no contactColumn",fieldPath=".base",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.contactColumn) || !has(self.erase) || self.erase == 'Keep'",message="erase Delete needs a table keyed by the contact key or a link table: rows matched on contactColumn may belong to others",fieldPath=".erase",reason=FieldValueForbidden
type RelatedTable struct {
	// name identifies the related table in fields[].related, for example
	// `email-addresses`.
	// +required
	Name ItemName `json:"name"`

	// table is the related table, for example EspoCRM's `email_address` or vtiger's
	// `vtiger_crmentity`.
	// +required
	Table SQLIdentifier `json:"table"`

	// key is the related table's key: the column holding the contact key for a 1:1 table
	// (`crmid`), the column link.relatedKey references otherwise (`id`).
	// +required
	Key SQLIdentifier `json:"key"`

	// contactColumn is the column of the contacts table that key matches, when it is not
	// the contact key: Odoo's `mail_blacklist.email` matches `res_partner.email_normalized`.
	// Not with link.
	// +optional
	ContactColumn SQLIdentifier `json:"contactColumn,omitempty"`

	// link is the link table between contacts and the related table, for example EspoCRM's
	// `entity_email_address`.
	// +optional
	Link *RelatedLink `json:"link,omitempty"`

	// match keeps only the related rows that hold these values, for example
	// `setype = Contacts` in vtiger_crmentity.
	// +optional
	// +listType=map
	// +listMapKey=column
	// +kubebuilder:validation:MaxItems=4
	Match []ColumnMatch `json:"match,omitempty"`

	// softDeleteColumn marks related rows the CRM has soft-deleted; they are ignored.
	// +optional
	SoftDeleteColumn SQLIdentifier `json:"softDeleteColumn,omitempty"`

	// base says that the contacts table extends this table and shares its key, as vtiger's
	// `vtiger_contactdetails` extends `vtiger_crmentity`: with erase `Delete`, the contact's
	// row here is deleted after the contact's own row (foreign keys point this way).
	// +optional
	Base bool `json:"base,omitempty"`

	// erase is what happens to the contact's related rows when the contact is deleted:
	// `Keep` (the default) or `Delete`.
	// +optional
	// +kubebuilder:default=Keep
	Erase RelatedErase `json:"erase,omitempty"`
}

// RelatedLink is a link table between contacts and a related table.
type RelatedLink struct {
	// table is the link table, for example `entity_email_address`.
	// +required
	Table SQLIdentifier `json:"table"`

	// contactKey is the column of the link table that references the contact key, for
	// example `entity_id`.
	// +required
	ContactKey SQLIdentifier `json:"contactKey"`

	// relatedKey is the column of the link table that references the related table's key,
	// for example `email_address_id`.
	// +required
	RelatedKey SQLIdentifier `json:"relatedKey"`

	// match keeps only the link rows that hold these values, for example
	// `entity_type = Contact`.
	// +optional
	// +listType=map
	// +listMapKey=column
	// +kubebuilder:validation:MaxItems=4
	Match []ColumnMatch `json:"match,omitempty"`

	// softDeleteColumn marks link rows the CRM has soft-deleted; they are ignored.
	// +optional
	SoftDeleteColumn SQLIdentifier `json:"softDeleteColumn,omitempty"`

	// primaryColumn is a yes/no column of the link rows marking the contact's primary row
	// (EspoCRM's `primary`): fields read the primary row first.
	// +optional
	PrimaryColumn SQLIdentifier `json:"primaryColumn,omitempty"`
}

// RestrictedField is a private field that must stay empty.
// +kubebuilder:validation:XValidation:rule="has(self.related) == (has(self.source) && self.source == 'Related')",message="related is set exactly when source is Related",fieldPath=".related",reason=FieldValueInvalid
type RestrictedField struct {
	// name is the logical name of the field, for example `birthDate`, `personalPhone`,
	// `spouse`, `children` or `interests`.
	// +required
	Name LogicalFieldName `json:"name"`

	// column is the column that holds the field.
	// +required
	Column SQLIdentifier `json:"column"`

	// source is the table of the column: `Contacts` (the default), `Extension` or
	// `Related`.
	// +optional
	// +kubebuilder:default=Contacts
	Source FieldSource `json:"source,omitempty"`

	// related names the entry of mapping.related that holds the column, with source
	// `Related`.
	// +optional
	Related ItemName `json:"related,omitempty"`
}

// LedgerSpec configures the erasure ledger.
type LedgerSpec struct {
	// enabled writes a ledger row for every erased or anonymised contact. Disabling it
	// removes the proof of erasure; leave it on unless another system keeps that proof.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// hmacKeySecretRef names the Secret key holding the ledger secret (at least 32 random
	// bytes; the sample key of the documentation is refused). The operator derives from it
	// one key for the ledger's HMACs of contact keys and another for the `Hash`
	// anonymisation strategy. Keep it apart from the connection Secret: whoever holds it can
	// test whether a given key was erased.
	// +optional
	HMACKeySecretRef *SecretKeySelector `json:"hmacKeySecretRef,omitempty"`

	// retainFor is how long ledger rows are kept after the erasure they prove, e.g. `10y`
	// (the limitation period in which an erasure may have to be proven). The ledger is
	// pseudonymous personal data: whoever holds the HMAC key can tell which contact a row is
	// about. Rows older than this are deleted at each check of the database. Unset keeps
	// every row for as long as the database exists: set it to what your retention schedule
	// says. The register shows the value.
	// +optional
	RetainFor RetentionTerm `json:"retainFor,omitempty"`
}

// CRMDatabaseStatus is what the operator observed about the database.
type CRMDatabaseStatus struct {
	// observedGeneration is the metadata.generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Connected, SchemaValid, LedgerReady and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// engine is the engine the operator connected to, as in the spec.
	// +optional
	Engine DatabaseEngine `json:"engine,omitempty"`

	// serverVersion is the version the database server reports, for example `16.4` or
	// `10.11.6-MariaDB`.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ServerVersion string `json:"serverVersion,omitempty"`

	// contacts is the number of rows of the contacts table at the last check.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Contacts *int64 `json:"contacts,omitempty"`

	// lastCheckedAt is when a check of the connection, schema and ledger last found
	// something different. A recheck that finds the database as it was does not write the
	// status; the crm_privacy_database_ready metric follows every check.
	// +optional
	LastCheckedAt *metav1.Time `json:"lastCheckedAt,omitempty"`

	// schemaProblems lists what is wrong with the mapping against the real schema (at most
	// 32; the SchemaValid condition gives the total).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	SchemaProblems []SchemaProblem `json:"schemaProblems,omitempty"`
}

// SchemaProblem is one mismatch between the mapping and the database schema.
type SchemaProblem struct {
	// field is the mapping path of the problem, for example `mapping.fields[email].column`
	// or `mapping.interactions[calls].time`.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Field string `json:"field"`

	// message says what is wrong, for example "column last_contact_at does not exist in
	// table contacts".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message"`

	// kind is the sort of problem, for programs: `MissingTable`, `MissingColumn`,
	// `WrongType`, `NotUnique` or `Invalid` (anything else).
	// +optional
	Kind SchemaProblemKind `json:"kind,omitempty"`

	// table is the table the problem is about, when there is one.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Table string `json:"table,omitempty"`

	// column is the column the problem is about, when there is one.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Column string `json:"column,omitempty"`

	// actualType is the column's type in the database, for a WrongType problem.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ActualType string `json:"actualType,omitempty"`

	// expectedTypes says which types fit the column's use, for a WrongType problem.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ExpectedTypes string `json:"expectedTypes,omitempty"`
}

// SchemaProblemKind is the sort of a schema problem.
// +kubebuilder:validation:Enum=MissingTable;MissingColumn;WrongType;NotUnique;Invalid
type SchemaProblemKind string

const (
	// ProblemMissingTable: a mapped table does not exist.
	ProblemMissingTable SchemaProblemKind = "MissingTable"
	// ProblemMissingColumn: a mapped column does not exist in its table.
	ProblemMissingColumn SchemaProblemKind = "MissingColumn"
	// ProblemWrongType: a mapped column's type does not fit its use.
	ProblemWrongType SchemaProblemKind = "WrongType"
	// ProblemNotUnique: a key column is not unique.
	ProblemNotUnique SchemaProblemKind = "NotUnique"
	// ProblemInvalid: anything else wrong with the mapping.
	ProblemInvalid SchemaProblemKind = "Invalid"
)

// CRMDatabase is one CRM's SQL database: how to reach it (credentials from a Secret) and how
// its schema maps to the logical fields of a contact. RetentionPolicies, AccessRoles and
// ProcessingActivities in the same namespace refer to it by name.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=crmdb,categories=crmprivacy
// +kubebuilder:printcolumn:name="Engine",type=string,JSONPath=`.spec.engine`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.serverVersion`
// +kubebuilder:printcolumn:name="Contacts",type=integer,JSONPath=`.status.contacts`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Preset",type=string,JSONPath=`.spec.preset`,priority=1
// +kubebuilder:printcolumn:name="Checked",type=date,JSONPath=`.status.lastCheckedAt`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type CRMDatabase struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the database's connection and schema mapping.
	// +required
	Spec CRMDatabaseSpec `json:"spec"`

	// status is what the operator observed.
	// Until the operator's first pass it holds only observedGeneration 0, so that kstatus
	// (Flux) and Argo CD read a new object as in progress rather than as current.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status CRMDatabaseStatus `json:"status,omitempty,omitzero"`
}

// CRMDatabaseList is a list of CRMDatabases.
// +kubebuilder:object:root=true
type CRMDatabaseList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's standard metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the CRMDatabases.
	Items []CRMDatabase `json:"items"`
}

func init() {
	SchemeBuilder.Register(&CRMDatabase{}, &CRMDatabaseList{})
}
