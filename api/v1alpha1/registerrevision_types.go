package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ChangeType is what happened to an object between two register revisions.
// +kubebuilder:validation:Enum=Added;Modified;Removed
type ChangeType string

const (
	// ChangeAdded: the object is new in this revision.
	ChangeAdded ChangeType = "Added"
	// ChangeModified: the object's spec changed.
	ChangeModified ChangeType = "Modified"
	// ChangeRemoved: the object is gone in this revision.
	ChangeRemoved ChangeType = "Removed"
)

// SnapshotEncoding is how a register snapshot is stored.
// +kubebuilder:validation:Enum=json;"gzip+base64"
type SnapshotEncoding string

const (
	// EncodingJSON: the data is the canonical JSON document itself.
	EncodingJSON SnapshotEncoding = "json"
	// EncodingGzipBase64: the data is the standard base64 encoding of the gzip of the
	// canonical JSON document (for large registers).
	EncodingGzipBase64 SnapshotEncoding = "gzip+base64"
)

// MaxChanges is the most changes a RegisterRevision lists; spec.changeCount gives the true
// number when there were more.
const MaxChanges = 1000

// RegisterRevisionSpec is one version of the register. It is written once, by the operator,
// and cannot be changed afterwards.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a RegisterRevision is immutable: the register changes by adding a new revision"
// +kubebuilder:validation:XValidation:rule="self.revision == 1 || has(self.previousHash)",message="previousHash is required from revision 2 on: it chains the revision to the one before",fieldPath=".previousHash",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.revision > 1 || !has(self.previousHash)",message="revision 1 has no previous revision: previousHash must be empty",fieldPath=".previousHash",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.historyStart) || self.historyStart <= self.revision",message="historyStart cannot be above the revision itself",fieldPath=".historyStart",reason=FieldValueInvalid
type RegisterRevisionSpec struct {
	// revision is the revision number, 1 for the first and one more for each change of the
	// register.
	// +required
	// +kubebuilder:validation:Minimum=1
	Revision int64 `json:"revision"`

	// createdAt is when the operator computed the revision. It enters the hash chain.
	// +required
	CreatedAt metav1.Time `json:"createdAt"`

	// contentHash is the SHA-256 of the canonical JSON document of the register, in lowercase
	// hex: `sha256sum` over the decoded snapshot gives the same value.
	// +required
	// +kubebuilder:validation:MinLength=64
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-f0-9]{64}$`
	ContentHash string `json:"contentHash"`

	// previousHash is the chain hash of the revision before (over its number, creation time,
	// source revision, content hash and previous hash), in lowercase hex. Empty for revision
	// 1. A revision altered, removed or reordered out of band breaks the chain.
	// +optional
	// +kubebuilder:validation:MinLength=64
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-f0-9]{64}$`
	PreviousHash string `json:"previousHash,omitempty"`

	// historyStart is the oldest revision the operator keeps once this one is written: with
	// a history limit (the manager's --register-history-limit) it deletes the revisions
	// before it. Absent when the whole history is kept. It never decreases from one revision
	// to the next and enters the chain hash, so `kubectl gdpr register verify` can tell
	// revisions pruned by the limit from revisions deleted by someone else: a chain starting
	// after the latest revision's historyStart does not verify.
	// +optional
	// +kubebuilder:validation:Minimum=2
	HistoryStart int64 `json:"historyStart,omitempty"`

	// sourceRevision is the git revision the change came from, when the objects carry the
	// privacy.crmoperator.io/source-revision annotation (set by a GitOps pipeline).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	SourceRevision string `json:"sourceRevision,omitempty"`

	// changeCount is the number of objects that changed since the previous revision, even
	// when changes lists fewer.
	// +required
	// +kubebuilder:validation:Minimum=0
	ChangeCount int64 `json:"changeCount"`

	// changes lists what changed since the previous revision, sorted by kind, namespace and
	// name; the first 1000 when there were more (see changeCount).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1000
	Changes []RegisterChange `json:"changes,omitempty"`

	// snapshot is the whole register at this revision.
	// +required
	Snapshot RegisterSnapshot `json:"snapshot"`
}

// RegisterChange is what happened to one object of the register.
type RegisterChange struct {
	// kind is the object's kind, for example `ProcessingActivity`.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]*$`
	Kind string `json:"kind"`

	// namespace is the object's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// name is the object's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// type is `Added`, `Modified` or `Removed`.
	// +required
	Type ChangeType `json:"type"`

	// fields are the spec paths that changed in a Modified object, for example
	// `spec.purposes` or `spec.processors[1].contract.expiresAt`; at most 32, the last one
	// saying how many more there were.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=128
	Fields []string `json:"fields,omitempty"`
}

// RegisterSnapshot is the register's canonical JSON document, stored as it is or compressed.
type RegisterSnapshot struct {
	// encoding is `json` (data is the canonical JSON) or `gzip+base64` (data is the base64
	// of its gzip, for registers above 64 KiB).
	// +required
	Encoding SnapshotEncoding `json:"encoding"`

	// data is the document, encoded as encoding says. At most 1 MiB, so that the object
	// stays under etcd's request size limit with its list of changes.
	// +required
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=1048576
	Data string `json:"data"`
}

// RegisterRevisionStatus is the result of the operator's checks of the revision.
type RegisterRevisionStatus struct {
	// observedGeneration is the metadata.generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Verified and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// RegisterRevision is one immutable version of the whole register: the record of processing
// activities with the assessments, retention terms, processors and access roles, as a
// snapshot with its content hash, chained to the revision before by a previous hash. The
// operator writes one whenever the register's content changes, and never otherwise; people
// only read them. Cluster-scoped: the register covers every namespace.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=regrev,categories=crmprivacy
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.spec.revision`
// +kubebuilder:printcolumn:name="Hash",type=string,JSONPath=`.spec.contentHash`
// +kubebuilder:printcolumn:name="Changes",type=integer,JSONPath=`.spec.changeCount`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.spec.sourceRevision`,priority=1
// +kubebuilder:printcolumn:name="Previous",type=string,JSONPath=`.spec.previousHash`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RegisterRevision struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata. The operator names revisions
	// `register-` and the zero-padded revision number, for example `register-000042`.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the revision. It cannot be changed once created.
	// +required
	Spec RegisterRevisionSpec `json:"spec"`

	// status is the result of the operator's checks.
	// Until the operator's first pass it holds only observedGeneration 0, so that kstatus
	// (Flux) and Argo CD read a new object as in progress rather than as current.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status RegisterRevisionStatus `json:"status,omitempty,omitzero"`
}

// RegisterRevisionList is a list of RegisterRevisions.
// +kubebuilder:object:root=true
type RegisterRevisionList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's standard metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the RegisterRevisions.
	Items []RegisterRevision `json:"items"`
}

func init() {
	SchemeBuilder.Register(&RegisterRevision{}, &RegisterRevisionList{})
}
