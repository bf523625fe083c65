package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultPreviewTTLSeconds is how long an answered ChangePreview is kept when
// spec.ttlSecondsAfterAnswered is not set.
const DefaultPreviewTTLSeconds = 600

// ChangePreviewSpec carries one candidate object: the RetentionPolicy or AccessRole a change
// (a pull request) would apply. The API server validates the candidate's spec with the same
// rules as the real kind.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:XValidation:rule="[has(self.retentionPolicy), has(self.accessRole)].exists_one(x, x)",message="set exactly one of retentionPolicy and accessRole: a preview answers for one candidate object",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable: a preview answers one question; create another ChangePreview for another candidate"
type ChangePreviewSpec struct {
	// retentionPolicy is the candidate RetentionPolicy: the operator counts, per rule, the
	// contacts it would erase or anonymise now and those a legal hold keeps, beside the
	// same figures for the live RetentionPolicy of that name in this namespace.
	// +optional
	RetentionPolicy *RetentionPolicyCandidate `json:"retentionPolicy,omitempty"`

	// accessRole is the candidate AccessRole: the operator lists the privileges and members
	// it would grant that the live AccessRole of that name does not (gained), and those it
	// would no longer grant (lost). Nothing is granted.
	// +optional
	AccessRole *AccessRoleCandidate `json:"accessRole,omitempty"`

	// ttlSecondsAfterAnswered is how long the preview is kept once answered; the operator
	// then deletes it, so that abandoned previews never pile up. A preview never answered
	// (its database not ready) is deleted that long after its creation, and not before 600
	// seconds. Between 0 and 86400 (one day); 600 when omitted.
	// +optional
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	TTLSecondsAfterAnswered *int32 `json:"ttlSecondsAfterAnswered,omitempty"`
}

// RetentionPolicyCandidate is a RetentionPolicy as a change would apply it.
type RetentionPolicyCandidate struct {
	// name is the RetentionPolicy's name: the live policy of this name in the preview's
	// namespace, if any, is counted beside the candidate.
	// +required
	Name ObjectName `json:"name"`

	// spec is the candidate's spec, validated as a RetentionPolicy's.
	// +required
	Spec RetentionPolicySpec `json:"spec"`
}

// AccessRoleCandidate is an AccessRole as a change would apply it.
type AccessRoleCandidate struct {
	// name is the AccessRole's name: the live AccessRole of this name in the preview's
	// namespace, if any, is what the candidate is compared with.
	// +required
	Name ObjectName `json:"name"`

	// spec is the candidate's spec, validated as an AccessRole's.
	// +required
	Spec AccessRoleSpec `json:"spec"`
}

// ChangePreviewStatus is the operator's answer. It holds counts and names of database
// privileges and users, never a contact's data.
type ChangePreviewStatus struct {
	// observedGeneration is the metadata.generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Completed (the operator answered, or found that the candidate cannot
	// be answered) and Ready (the answer holds every figure).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// answeredAt is when the operator answered; the preview is deleted
	// spec.ttlSecondsAfterAnswered later.
	// +optional
	AnsweredAt *metav1.Time `json:"answeredAt,omitempty"`

	// retentionPolicy is the answer for a candidate RetentionPolicy.
	// +optional
	RetentionPolicy *RetentionPreview `json:"retentionPolicy,omitempty"`

	// accessRole is the answer for a candidate AccessRole.
	// +optional
	AccessRole *AccessPreview `json:"accessRole,omitempty"`
}

// RetentionPreview compares what a candidate RetentionPolicy and the live one would erase
// now. Both are counted from one snapshot of the database (one read-only transaction on
// PostgreSQL) with the same cutoffs, by the count a policy's plan (status.pending) uses.
type RetentionPreview struct {
	// liveExists says whether a RetentionPolicy of the candidate's name exists in the
	// namespace.
	// +optional
	LiveExists bool `json:"liveExists,omitempty"`

	// liveCounted says whether the live policy's figures were counted: false when there is
	// no live policy, or when it cannot be counted (liveMessage says why).
	// +optional
	LiveCounted bool `json:"liveCounted,omitempty"`

	// liveMessage says why the live policy was not counted, when it exists.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	LiveMessage string `json:"liveMessage,omitempty"`

	// mode is the candidate's mode: in DryRun it would count and erase nothing.
	// +optional
	Mode RetentionMode `json:"mode,omitempty"`

	// liveMode is the live policy's mode.
	// +optional
	LiveMode RetentionMode `json:"liveMode,omitempty"`

	// totalContacts is the number of contacts in the candidate's database.
	// +optional
	TotalContacts *int64 `json:"totalContacts,omitempty"`

	// rules are the candidate's rules in order, then the live policy's rules the candidate
	// removes.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Rules []RulePreview `json:"rules,omitempty"`
}

// RulePreview is one rule's figures in the candidate and in the live policy.
type RulePreview struct {
	// name is the rule's name.
	// +required
	Name ItemName `json:"name"`

	// action is the rule's action in the candidate (in the live policy for a removed rule).
	// +optional
	Action RetentionAction `json:"action,omitempty"`

	// pending is how many contacts the candidate rule would erase or anonymise now; absent
	// when the candidate has no such rule.
	// +optional
	Pending *int64 `json:"pending,omitempty"`

	// held is how many contacts the candidate rule selects that a legal hold keeps.
	// +optional
	Held *int64 `json:"held,omitempty"`

	// livePending is how many contacts the live policy's rule of this name would erase or
	// anonymise now; absent when the live policy has no such rule or was not counted.
	// +optional
	LivePending *int64 `json:"livePending,omitempty"`

	// liveHeld is how many contacts the live rule selects that a legal hold keeps.
	// +optional
	LiveHeld *int64 `json:"liveHeld,omitempty"`

	// liveAction is the live rule's action, when the live policy has a rule of this name.
	// +optional
	LiveAction RetentionAction `json:"liveAction,omitempty"`

	// comparable is true when the candidate and the live rule of this name take the same
	// action on contacts picked by the same criteria (selector, since, renewedBy, minimize),
	// differing at most in their term: then the difference of the two counts is what the
	// change itself adds or removes. False when either side lacks the rule or the criteria
	// differ: the two counts may then be of different contacts.
	// +optional
	Comparable bool `json:"comparable,omitempty"`
}

// RowFilterChange says how a candidate AccessRole changes the row filter.
// +kubebuilder:validation:Enum=Unchanged;Added;Removed;Changed
type RowFilterChange string

const (
	// RowFilterUnchanged: the candidate keeps the live row filter (or neither has one).
	RowFilterUnchanged RowFilterChange = "Unchanged"
	// RowFilterAdded: the candidate filters rows that the live role sees unfiltered.
	RowFilterAdded RowFilterChange = "Added"
	// RowFilterRemoved: the candidate sees every row that the live role sees filtered.
	RowFilterRemoved RowFilterChange = "Removed"
	// RowFilterChanged: both filter rows, differently; the candidate may see rows the live
	// role does not.
	RowFilterChanged RowFilterChange = "Changed"
)

// AccessPreview is the difference between the desired state of the live AccessRole and the
// candidate's, as the operator would apply them now (members whose designation is missing,
// pending or expired hold nothing; a role past its validUntil holds no privilege).
type AccessPreview struct {
	// liveExists says whether an AccessRole of the candidate's name exists in the namespace.
	// +optional
	LiveExists bool `json:"liveExists,omitempty"`

	// privilegesGained are privileges the candidate grants that the live role does not (at
	// most 64 tables of 64 columns with 3 column privileges and DELETE each).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=12352
	PrivilegesGained []PrivilegePreview `json:"privilegesGained,omitempty"`

	// privilegesLost are privileges the live role grants that the candidate does not.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=12352
	PrivilegesLost []PrivilegePreview `json:"privilegesLost,omitempty"`

	// membersGained are database users who would hold the role and do not now.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	MembersGained []string `json:"membersGained,omitempty"`

	// membersLost are database users who hold the role now and would no longer.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	MembersLost []string `json:"membersLost,omitempty"`

	// rowFilter says how the candidate changes the row filter on the contacts table.
	// +optional
	RowFilter RowFilterChange `json:"rowFilter,omitempty"`
}

// PrivilegePreview is one table or column privilege, as declared (table and column names
// as written in the AccessRole).
type PrivilegePreview struct {
	// table is the table or view.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Table string `json:"table"`

	// column is the column of a column privilege; empty for a privilege on the whole table.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Column string `json:"column,omitempty"`

	// privilege is SELECT, INSERT, UPDATE or DELETE.
	// +required
	Privilege Privilege `json:"privilege"`
}

// ChangePreview asks the operator what a change to a RetentionPolicy or an AccessRole would
// do, without applying it: `kubectl gdpr preview` creates one per candidate object, waits
// for the answer in its status, and deletes it. The operator only reads: counts run in a
// read-only transaction, nothing is granted, and the preview is deleted
// spec.ttlSecondsAfterAnswered after it is answered.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=cpv,categories=crmprivacy
// +kubebuilder:printcolumn:name="Policy",type=string,JSONPath=`.spec.retentionPolicy.name`
// +kubebuilder:printcolumn:name="Access role",type=string,JSONPath=`.spec.accessRole.name`
// +kubebuilder:printcolumn:name="Completed",type=string,JSONPath=`.status.conditions[?(@.type=="Completed")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Answered",type=date,JSONPath=`.status.answeredAt`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ChangePreview struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the candidate object.
	// +required
	Spec ChangePreviewSpec `json:"spec"`

	// status is the operator's answer.
	// Until the operator's first pass it holds only observedGeneration 0, so that kstatus
	// (Flux) and Argo CD read a new object as in progress rather than as current.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status ChangePreviewStatus `json:"status,omitempty,omitzero"`
}

// ChangePreviewList is a list of ChangePreviews.
// +kubebuilder:object:root=true
type ChangePreviewList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ChangePreview `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ChangePreview{}, &ChangePreviewList{})
}
