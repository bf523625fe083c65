package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DataSubjectRequestType is the right a data subject exercises.
// +kubebuilder:validation:Enum=Objection;Erasure;Access;Rectification
type DataSubjectRequestType string

const (
	// RequestObjection (GDPR Art. 21) sets the mapped `optOut` field of every matching
	// contact to true, and the mapped `optOutAt` field (when mapped) to the time of the
	// objection: the person is no longer processed for direct marketing, at once.
	RequestObjection DataSubjectRequestType = "Objection"
	// RequestErasure (GDPR Art. 17) deletes every matching contact as a RetentionPolicy's
	// Delete action would (extension row, dependents as mapped, interaction links), with a
	// ledger row carrying the request's id. Contacts under a legal hold are kept and
	// reported as held.
	RequestErasure DataSubjectRequestType = "Erasure"
	// RequestAccess (GDPR Art. 15) exports everything mapped about the person (contact row,
	// extension row, interactions, dependents) and, from the register, the purposes, legal
	// bases, recipients, retention and source that apply, into a Secret owned by the
	// request (status.exportSecretName).
	RequestAccess DataSubjectRequestType = "Access"
	// RequestRectification (GDPR Art. 16) sets mapped fields of every matching contact to
	// the values the identity Secret holds under `set.<field>` keys.
	RequestRectification DataSubjectRequestType = "Rectification"
)

// DataSubjectRequestPhase is where a request stands.
// +kubebuilder:validation:Enum=Pending;AwaitingApproval;Completed
type DataSubjectRequestPhase string

const (
	// RequestPending: the request has not been carried out yet (its database is not ready,
	// its identity Secret is missing, or a database error is being retried).
	RequestPending DataSubjectRequestPhase = "Pending"
	// RequestAwaitingApproval: a database holds more matching contacts than spec.maxMatches
	// allows; nothing was changed, and the request waits for spec.approval.
	RequestAwaitingApproval DataSubjectRequestPhase = "AwaitingApproval"
	// RequestCompleted: the request was carried out on every database (or found no data
	// held); status.completedAt says when. A completed request is never carried out again.
	RequestCompleted DataSubjectRequestPhase = "Completed"
)

// IdentitySecretPrefixSet is the prefix of the identity Secret's keys that hold the
// rectified values of a Rectification: key `set.phone` holds the new value of the logical
// field `phone`.
const IdentitySecretPrefixSet = "set."

// DataSubjectRequestSpec says who asks for what, where, and by when.
// +kubebuilder:validation:XValidation:rule="has(self.databaseRef) != (has(self.allDatabases) && self.allDatabases)",message="set exactly one of databaseRef (one CRMDatabase) or allDatabases: true (every CRMDatabase of the namespace)",fieldPath=".databaseRef",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="has(oldSelf.databaseRef) == has(self.databaseRef) && (!has(self.databaseRef) || self.databaseRef == oldSelf.databaseRef)",message="databaseRef is immutable: create another request for another database",fieldPath=".databaseRef",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="(has(oldSelf.allDatabases) && oldSelf.allDatabases) == (has(self.allDatabases) && self.allDatabases)",message="allDatabases is immutable: create another request",fieldPath=".allDatabases",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.receivedAt) || (has(self.receivedAt) && self.receivedAt == oldSelf.receivedAt)",message="receivedAt is immutable once set: the deadline counts from it",fieldPath=".receivedAt",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.approval) || self.approval.maxMatches > (has(self.maxMatches) ? self.maxMatches : 1)",message="approval.maxMatches must be above maxMatches: an approval is only needed for more matches than the request allows",fieldPath=".approval.maxMatches",reason=FieldValueInvalid
type DataSubjectRequestSpec struct {
	// type is the right exercised: `Objection` (Art. 21, opt out), `Erasure` (Art. 17),
	// `Access` (Art. 15, export) or `Rectification` (Art. 16). Immutable.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="type is immutable: create another request for another right"
	Type DataSubjectRequestType `json:"type"`

	// databaseRef names the one CRMDatabase, in this namespace, the request applies to. Set
	// it, or allDatabases, not both. Immutable.
	// +optional
	DatabaseRef *LocalObjectReference `json:"databaseRef,omitempty"`

	// allDatabases applies the request, when true, to every CRMDatabase of the namespace
	// that exists when it is carried out: a person usually asks the organisation, not one
	// database. Set it, or databaseRef, not both. Immutable.
	// +optional
	AllDatabases *bool `json:"allDatabases,omitempty"`

	// identitySecretRef names the Secret, in this namespace, that holds the person's
	// identity: the value of identityField under the key of the same name (for example
	// `email: jane@example.com`), and for a Rectification the new values under
	// `set.<field>` keys (for example `set.phone: +33 1 23 45 67 89`). Nothing of it is
	// copied into the cluster's state: the status holds a keyed hash only. The operator
	// deletes the Secret when the request completes, unless keepIdentitySecret is true, and
	// only when the Secret carries the label `privacy.crmoperator.io/datasubjectrequest`
	// with the request's name (so that no other Secret is deleted by naming it here).
	// Immutable.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="identitySecretRef is immutable: create another request for another person"
	IdentitySecretRef SecretReference `json:"identitySecretRef"`

	// identityField is the logical field the person is found by, as the CRMDatabases map
	// it (default `email`). Its value is normalised before the lookup: surrounding spaces
	// removed, Unicode NFC, and for `email` lower-cased (docs/datasubjectrequest.md,
	// "Identity"). The lookup needs an index on the mapped column. Immutable.
	// +optional
	// +kubebuilder:default=email
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="identityField is immutable: create another request"
	IdentityField LogicalFieldName `json:"identityField,omitempty"`

	// keepIdentitySecret leaves, when true, the identity Secret in place after completion
	// (for example when another system deletes it). By default the operator deletes it.
	// +optional
	KeepIdentitySecret *bool `json:"keepIdentitySecret,omitempty"`

	// maxMatches is the most contacts one database may hold for this identity before the
	// request waits for an approval (default 1): more matches usually mean duplicates, or a
	// shared address that reaches other people.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxMatches *int32 `json:"maxMatches,omitempty"`

	// approval records a person's go-ahead for more matches than maxMatches, as
	// status.awaitingApproval describes them: copy its specHash, and set maxMatches to at
	// least its matched count. A changed identity, type or database set needs a new one.
	// +optional
	Approval *RequestApproval `json:"approval,omitempty"`

	// receivedAt is when the organisation received the request (RFC 3339); the one-month
	// deadline of GDPR Art. 12(3) counts from it. When omitted, the request's creation.
	// Immutable once set.
	// +optional
	ReceivedAt *metav1.Time `json:"receivedAt,omitempty"`

	// extension extends the deadline by one or two months, with the reason the person was
	// told (Art. 12(3): complex or numerous requests).
	// +optional
	Extension *DeadlineExtension `json:"extension,omitempty"`

	// exportRetentionHours is how many hours the Secret holding an Access export is kept
	// after the request completes (default 720, 30 days): long enough to send it, short
	// enough not to become another copy of the data. It is then deleted. From 1 to 2160
	// (90 days).
	// +optional
	// +kubebuilder:default=720
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=2160
	ExportRetentionHours *int32 `json:"exportRetentionHours,omitempty"`
}

// RequestApproval is a person's recorded go-ahead for a request that matches more
// contacts than spec.maxMatches.
type RequestApproval struct {
	// approvedBy is who approved (name or user name), for accountability.
	// +required
	ApprovedBy Person `json:"approvedBy"`

	// approvedAt is when the approval was given (RFC 3339).
	// +required
	ApprovedAt metav1.Time `json:"approvedAt"`

	// specHash is the status.awaitingApproval.specHash of the matches approved: a hash of
	// the type, the databases and the keyed identity hash. When any of them changes, the
	// approval no longer applies.
	// +required
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-f]{64}$')",message="must be the 64 lowercase hexadecimal digits of status.awaitingApproval.specHash",reason=FieldValueInvalid
	SpecHash string `json:"specHash"`

	// maxMatches is the most contacts per database the approval covers; compare with
	// status.awaitingApproval.matched before approving.
	// +required
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=100000
	MaxMatches int32 `json:"maxMatches"`

	// reason says why acting on several contacts is right (known duplicates). No personal
	// data.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason,omitempty"`
}

// DeadlineExtension extends a request's deadline (GDPR Art. 12(3)).
type DeadlineExtension struct {
	// months is the extension, 1 or 2 calendar months.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=2
	Months int32 `json:"months"`

	// reason is why the request needs longer (its complexity, the number of requests), as
	// the person was told within the first month. No personal data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason"`
}

// DataSubjectRequestStatus is what the operator did with a request: counts, times and a
// keyed hash, never the identity.
type DataSubjectRequestStatus struct {
	// observedGeneration is the metadata.generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Completed, Overdue, Approved and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// phase is `Pending`, `AwaitingApproval` or `Completed`.
	// +optional
	Phase DataSubjectRequestPhase `json:"phase,omitempty"`

	// receivedAt is the time the deadline counts from: spec.receivedAt, or the creation.
	// +optional
	ReceivedAt *metav1.Time `json:"receivedAt,omitempty"`

	// dueAt is the deadline: receivedAt plus one calendar month, plus the extension's
	// months (a deadline falling on a day the month does not have is the month's last day).
	// +optional
	DueAt *metav1.Time `json:"dueAt,omitempty"`

	// completedAt is when the request was carried out on every database.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`

	// onTime is set on completion: true when completedAt is not after dueAt.
	// +optional
	OnTime *bool `json:"onTime,omitempty"`

	// identityHash is a keyed hash (HMAC-SHA-256 under a key derived from the operator's
	// key, hex) of the normalised identity: it tells whether two requests concern the same
	// person without revealing who.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	IdentityHash string `json:"identityHash,omitempty"`

	// specHash is the hash an approval names: type, databases and identity hash.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SpecHash string `json:"specHash,omitempty"`

	// awaitingApproval says how many contacts matched beyond maxMatches, and what an
	// approval must name. Cleared once the request goes on.
	// +optional
	AwaitingApproval *RequestApprovalRequest `json:"awaitingApproval,omitempty"`

	// databases gives, per CRMDatabase, what the request found and did: counts only.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=256
	Databases []RequestDatabaseResult `json:"databases,omitempty"`

	// exportSecretName is the Secret, in this namespace and owned by the request, that
	// holds an Access export: `export.json` for machines and `export.md` (Markdown) for the person.
	// `kubectl gdpr request export NAME` writes it to a file.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ExportSecretName string `json:"exportSecretName,omitempty"`

	// exportExpiresAt is when the export Secret is deleted (completion plus
	// spec.exportRetentionHours).
	// +optional
	ExportExpiresAt *metav1.Time `json:"exportExpiresAt,omitempty"`

	// identitySecretDeleted is true once the operator deleted the identity Secret.
	// +optional
	IdentitySecretDeleted bool `json:"identitySecretDeleted,omitempty"`
}

// RequestApprovalRequest is a request waiting for an approval of its matches.
type RequestApprovalRequest struct {
	// specHash is the hash to copy into spec.approval.specHash.
	// +required
	// +kubebuilder:validation:MaxLength=64
	SpecHash string `json:"specHash"`

	// matched is the largest number of matching contacts in one database:
	// spec.approval.maxMatches must be at least this.
	// +required
	// +kubebuilder:validation:Minimum=0
	Matched int64 `json:"matched"`
}

// RequestDatabaseResult is what a request found and did in one CRMDatabase: counts only.
type RequestDatabaseResult struct {
	// name is the CRMDatabase.
	// +required
	Name ObjectName `json:"name"`

	// matched is the number of contacts whose identity field holds the identity.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Matched int64 `json:"matched"`

	// objected is the number of contacts an Objection opted out (those already opted out
	// included).
	// +optional
	// +kubebuilder:validation:Minimum=0
	Objected int64 `json:"objected,omitempty"`

	// erased is the number of contacts an Erasure deleted.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Erased int64 `json:"erased,omitempty"`

	// held is the number of matching contacts an Erasure kept because of a legal hold (a
	// RetentionPolicy's legalHolds on this database, or the mapped `legalHold` field).
	// +optional
	// +kubebuilder:validation:Minimum=0
	Held int64 `json:"held,omitempty"`

	// rectified is the number of contacts a Rectification updated.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Rectified int64 `json:"rectified,omitempty"`

	// exported is the number of contacts an Access export holds.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Exported int64 `json:"exported,omitempty"`

	// completedAt is when the request was carried out on this database.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`
}

// DataSubjectRequest is one person's request — objection, erasure, access or rectification
// — against one CRMDatabase or every CRMDatabase of its namespace. The person's identity
// stays in a Secret the request references and that the operator deletes on completion;
// the request's status holds counts, times and a keyed hash, and the one-month deadline.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=dsr,categories=crmprivacy
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Database",type=string,JSONPath=`.spec.databaseRef.name`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Due",type=string,JSONPath=`.status.dueAt`
// +kubebuilder:printcolumn:name="Overdue",type=string,JSONPath=`.status.conditions[?(@.type=="Overdue")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="All",type=boolean,JSONPath=`.spec.allDatabases`,priority=1
// +kubebuilder:printcolumn:name="Completed",type=date,JSONPath=`.status.completedAt`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DataSubjectRequest struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata. Do not put personal data in its name,
	// labels or annotations.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the request: the right, the databases, the identity Secret, the deadline.
	// +required
	Spec DataSubjectRequestSpec `json:"spec"`

	// status is what the operator did: counts, times, a keyed hash.
	// Until the operator's first pass it holds only observedGeneration 0, so that kstatus
	// (Flux) and Argo CD read a new object as in progress rather than as current.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status DataSubjectRequestStatus `json:"status,omitempty,omitzero"`
}

// DataSubjectRequestList is a list of DataSubjectRequests.
// +kubebuilder:object:root=true
type DataSubjectRequestList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's standard metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the DataSubjectRequests.
	Items []DataSubjectRequest `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DataSubjectRequest{}, &DataSubjectRequestList{})
}
