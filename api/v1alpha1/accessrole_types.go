package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Privilege is a table privilege the operator grants.
// +kubebuilder:validation:Enum=SELECT;INSERT;UPDATE;DELETE
type Privilege string

const (
	// PrivilegeSelect lets the role read rows (`GRANT SELECT`).
	PrivilegeSelect Privilege = "SELECT"
	// PrivilegeInsert lets the role add rows (`GRANT INSERT`).
	PrivilegeInsert Privilege = "INSERT"
	// PrivilegeUpdate lets the role change rows (`GRANT UPDATE`).
	PrivilegeUpdate Privilege = "UPDATE"
	// PrivilegeDelete lets the role delete rows (`GRANT DELETE`); always on whole rows.
	PrivilegeDelete Privilege = "DELETE"
)

// ReclaimPolicy says what happens to the database role when the AccessRole is deleted.
// +kubebuilder:validation:Enum=Retain;Delete
type ReclaimPolicy string

const (
	// ReclaimRetain revokes every privilege and membership the operator granted and keeps
	// the (then empty) role, so that objects it owns and audit trails that name it survive.
	// The default.
	ReclaimRetain ReclaimPolicy = "Retain"
	// ReclaimDelete revokes everything and drops the role. Member users are not dropped.
	ReclaimDelete ReclaimPolicy = "Delete"
)

// MemberState is whether a member currently holds the role.
// +kubebuilder:validation:Enum=Active;Suspended
type MemberState string

const (
	// MemberActive: the member is designated and holds the role.
	MemberActive MemberState = "Active"
	// MemberSuspended: the member does not hold the role (no designation, designation
	// expired, password Secret missing); the reason says which.
	MemberSuspended MemberState = "Suspended"
)

// AccessRoleSpec declares a CRM job function's access to the database.
type AccessRoleSpec struct {
	// databaseRef names the CRMDatabase, in this namespace, where the role lives. It cannot
	// be changed: create another AccessRole for another database.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="databaseRef is immutable: create another AccessRole for another database"
	DatabaseRef LocalObjectReference `json:"databaseRef"`

	// roleName is the database role (group role) the operator manages, for example
	// `crm_sales`. The operator creates it without LOGIN and owns its privileges: any
	// privilege on it that the spec does not declare is revoked. It cannot be changed.
	// Reserved names are refused on every engine, since the engine is not known at
	// admission: `public`, `postgres`, `root`, `none`, `current_user`, `session_user`,
	// `current_role`, PostgreSQL's predefined roles `pg_*` and the operator's own
	// `crm_privacy_*` (in any case); MySQL/MariaDB's system accounts (`mysql.*`,
	// `mariadb.sys`) cannot be written as an identifier.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="roleName is immutable: create another AccessRole for another role"
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii() in ['public', 'postgres', 'root', 'none', 'current_user', 'session_user', 'current_role'])",message="roleName is a reserved role or account name (public, postgres, root, none, current_user, session_user, current_role): choose a name of your own"
	// +kubebuilder:validation:XValidation:rule="!self.lowerAscii().startsWith('pg_') && !self.lowerAscii().startsWith('crm_privacy_')",message="roleName may not start with pg_ (PostgreSQL's predefined roles) or crm_privacy_ (the operator's own objects)"
	RoleName SQLIdentifier `json:"roleName"`

	// processingActivityRef names the ProcessingActivity, in this namespace, that is the
	// purpose of this access (need to know).
	// +required
	ProcessingActivityRef LocalObjectReference `json:"processingActivityRef"`

	// grants are the table privileges of the role.
	// +required
	// +listType=map
	// +listMapKey=table
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Grants []TableGrant `json:"grants"`

	// rowFilter restricts the rows of the contacts table the role sees, by logical fields
	// (for example `contactType In [B2B]`). On PostgreSQL it becomes a row-level security
	// policy; MySQL/MariaDB have no row-level security, and the Ready condition says
	// `Unsupported` there (nothing is granted on the contacts table until the filter is
	// removed).
	// +optional
	RowFilter *ContactSelector `json:"rowFilter,omitempty"`

	// members are the database users who hold the role, each with their designation
	// record. A member without a current designation does not hold the role.
	// +optional
	// +listType=map
	// +listMapKey=user
	// +kubebuilder:validation:MaxItems=64
	Members []RoleMember `json:"members,omitempty"`

	// validUntil is when the whole role stops: after it, every member loses the role and
	// the privileges are revoked (for example a temporary mission).
	// +optional
	ValidUntil *metav1.Time `json:"validUntil,omitempty"`

	// reclaimPolicy says what happens to the database role when this object is deleted:
	// `Retain` (the default: revoke everything, keep the empty role) or `Delete` (revoke and
	// drop the role).
	// +optional
	// +kubebuilder:default=Retain
	ReclaimPolicy ReclaimPolicy `json:"reclaimPolicy,omitempty"`
}

// TableGrant is the privileges of the role on one table.
type TableGrant struct {
	// table is the table, for example `contacts`. The operator's own tables
	// (`crm_privacy_*`, in any case) cannot be granted.
	// +required
	// +kubebuilder:validation:XValidation:rule="!self.lowerAscii().startsWith('crm_privacy_')",message="table: crm_privacy_* tables are the operator's own objects (erasure ledger, checkpoints, markers) and cannot be granted"
	Table SQLIdentifier `json:"table"`

	// privileges are the privileges on the table: `SELECT`, `INSERT`, `UPDATE`, `DELETE`.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=4
	Privileges []Privilege `json:"privileges"`

	// columns restricts SELECT, INSERT and UPDATE to these columns (column privileges), for
	// example to keep a sales assistant away from notes. When omitted, they apply to the
	// whole table. DELETE always applies to whole rows.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Columns []SQLIdentifier `json:"columns,omitempty"`
}

// RoleMember is a database user who holds the role.
type RoleMember struct {
	// user is the database user (login role). On MySQL/MariaDB the account is
	// `'user'@'%'`. The reserved names refused for roleName are refused here too.
	// +required
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii() in ['public', 'postgres', 'root', 'none', 'current_user', 'session_user', 'current_role'])",message="user is a reserved role or account name (public, postgres, root, none, current_user, session_user, current_role): the operator never grants roles to or manages these accounts"
	// +kubebuilder:validation:XValidation:rule="!self.lowerAscii().startsWith('pg_') && !self.lowerAscii().startsWith('crm_privacy_')",message="user may not start with pg_ (PostgreSQL's predefined roles) or crm_privacy_ (the operator's own objects)"
	User SQLIdentifier `json:"user"`

	// passwordSecretRef names the Secret key holding the user's password. When set, the
	// operator creates the user (`CREATE ROLE … LOGIN PASSWORD`), marks it as this
	// AccessRole's, and keeps the password in step with the Secret; a user that exists and
	// is not this AccessRole's (another AccessRole's, or created by someone else) is never
	// changed. When omitted, the user must already exist as a login (managed elsewhere, for
	// example by LDAP); the operator only grants it the role.
	// +optional
	PasswordSecretRef *SecretKeySelector `json:"passwordSecretRef,omitempty"`

	// designation records that the person behind the user was authorised, instructed and
	// designated for this access. Without it, the member does not hold the role.
	// +optional
	Designation *Designation `json:"designation,omitempty"`
}

// Designation is the record that a member of staff was authorised and instructed to access
// the CRM for a purpose.
// +kubebuilder:validation:XValidation:rule="!has(self.validUntil) || self.validUntil > self.designatedAt",message="validUntil must be after designatedAt",fieldPath=".validUntil",reason=FieldValueInvalid
type Designation struct {
	// designatedBy is who designated the member (their manager, the controller's
	// representative).
	// +required
	DesignatedBy Person `json:"designatedBy"`

	// designatedAt is when the member was designated.
	// +required
	DesignatedAt metav1.Time `json:"designatedAt"`

	// instructedAt is when the member received the instructions on processing the data
	// (GDPR Art. 29, Art. 32(4)).
	// +required
	InstructedAt metav1.Time `json:"instructedAt"`

	// validUntil is when the designation ends; the member loses the role then.
	// +optional
	ValidUntil *metav1.Time `json:"validUntil,omitempty"`

	// documentURI is where the signed designation is kept.
	// +optional
	DocumentURI URI `json:"documentURI,omitempty"`
}

// AccessRoleStatus is what the operator found and did in the database.
type AccessRoleStatus struct {
	// observedGeneration is the metadata.generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are InSync, MembersDesignated and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// granted is the number of privileges (table or column) the role held after the last
	// sync.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Granted int32 `json:"granted,omitempty"`

	// revoked is the number of privileges the last sync revoked: drift granted out of band,
	// or privileges removed from the spec.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Revoked int32 `json:"revoked,omitempty"`

	// activeMembers is the number of members who hold the role.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ActiveMembers int32 `json:"activeMembers,omitempty"`

	// members gives each member's state.
	// +optional
	// +listType=map
	// +listMapKey=user
	// +kubebuilder:validation:MaxItems=64
	Members []MemberStatus `json:"members,omitempty"`

	// lastAuditAt is when a comparison of the privileges with the database's catalog last
	// found something different. A recheck that finds the role as it was does not write the
	// status; the crm_privacy_access_last_audit_timestamp_seconds metric follows every audit.
	// +optional
	LastAuditAt *metav1.Time `json:"lastAuditAt,omitempty"`

	// deletion is set once the AccessRole is being deleted and its cleanup ran: what the
	// deletion did in the database and what it left there. The register records it (the
	// AccessRole's entry gains a `deletion` member), and the object goes only once a
	// RegisterRevision records it (see docs/accessrole.md#deletion).
	// +optional
	Deletion *AccessRoleDeletion `json:"deletion,omitempty"`
}

// DeletionCleanup says what the deletion of an AccessRole did to its database role.
// +kubebuilder:validation:Enum=Dropped;RoleRetained;Skipped;NoRole
type DeletionCleanup string

const (
	// CleanupDropped: the role was stripped and dropped (reclaimPolicy Delete); nothing of
	// the AccessRole is left in the database but locked logins.
	CleanupDropped DeletionCleanup = "Dropped"
	// CleanupRoleRetained: the role was stripped of every privilege and member and left in
	// the database (reclaimPolicy Retain).
	CleanupRoleRetained DeletionCleanup = "RoleRetained"
	// CleanupSkipped: the skip-cleanup annotation let the AccessRole go without touching
	// its role: the role, its privileges and its memberships are left in the database as
	// they were. The logins the AccessRole owns were locked (loginsLocked), unless
	// loginsNotLocked says why not.
	CleanupSkipped DeletionCleanup = "Skipped"
	// CleanupNoRole: the role did not exist, or was not the operator's: nothing was
	// stripped; the AccessRole's logins were locked.
	CleanupNoRole DeletionCleanup = "NoRole"
)

// AccessRoleDeletion is what the deletion of an AccessRole did in the database.
type AccessRoleDeletion struct {
	// cleanup says what happened to the database role: Dropped, RoleRetained, Skipped or
	// NoRole.
	// +required
	Cleanup DeletionCleanup `json:"cleanup"`

	// loginsLocked is the number of logins of the AccessRole that the deletion locked
	// (NOLOGIN, ACCOUNT LOCK) when it ran.
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginsLocked int32 `json:"loginsLocked,omitempty"`

	// sessionsEnded is the number of open sessions of those logins the deletion ended.
	// +optional
	// +kubebuilder:validation:Minimum=0
	SessionsEnded int32 `json:"sessionsEnded,omitempty"`

	// loginsNotLocked says, when set, why the AccessRole's logins could not be locked (the
	// CRMDatabase is gone, or the engine cannot); they must be locked by hand.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	LoginsNotLocked string `json:"loginsNotLocked,omitempty"`

	// at is when the cleanup ran.
	// +required
	At metav1.Time `json:"at"`
}

// MemberStatus is the state of one member.
type MemberStatus struct {
	// user is the member's database user.
	// +required
	User SQLIdentifier `json:"user"`

	// state is `Active` or `Suspended`.
	// +required
	State MemberState `json:"state"`

	// reason says why a member is suspended, as a condition reason (for example
	// `DesignationExpired`).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Reason string `json:"reason,omitempty"`

	// message explains it in a sentence.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`

	// since is when the member entered this state.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
}

// AccessRole is a CRM job function's access to a CRMDatabase: one database role with
// declared table and column privileges, an optional row filter, and its members, each
// designated. The operator makes the database match it both ways: missing privileges are
// granted, extra ones revoked.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=ar,categories=crmprivacy
// +kubebuilder:printcolumn:name="Database",type=string,JSONPath=`.spec.databaseRef.name`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.roleName`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.activeMembers`
// +kubebuilder:printcolumn:name="In sync",type=string,JSONPath=`.status.conditions[?(@.type=="InSync")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Purpose",type=string,JSONPath=`.spec.processingActivityRef.name`,priority=1
// +kubebuilder:printcolumn:name="Valid until",type=string,JSONPath=`.spec.validUntil`,priority=1
// +kubebuilder:printcolumn:name="Audited",type=date,JSONPath=`.status.lastAuditAt`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AccessRole struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the declared access.
	// +required
	Spec AccessRoleSpec `json:"spec"`

	// status is what the operator found and did.
	// Until the operator's first pass it holds only observedGeneration 0, so that kstatus
	// (Flux) and Argo CD read a new object as in progress rather than as current.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status AccessRoleStatus `json:"status,omitempty,omitzero"`
}

// AccessRoleList is a list of AccessRoles.
// +kubebuilder:object:root=true
type AccessRoleList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's standard metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the AccessRoles.
	Items []AccessRole `json:"items"`
}

func init() {
	SchemeBuilder.Register(&AccessRole{}, &AccessRoleList{})
}
