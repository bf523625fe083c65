package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LIAOutcome is the decision of a legitimate interests assessment.
// +kubebuilder:validation:Enum=Approved;Rejected
type LIAOutcome string

const (
	// OutcomeApproved: the three tests are passed; the processing may rely on legitimate
	// interests within the scope, until the review date.
	OutcomeApproved LIAOutcome = "Approved"
	// OutcomeRejected: legitimate interests cannot be relied on; use another basis (usually
	// consent).
	OutcomeRejected LIAOutcome = "Rejected"
)

// LIAPhase is where an assessment stands.
// +kubebuilder:validation:Enum=Draft;Approved;Rejected;Expired
type LIAPhase string

const (
	// PhaseDraft: no decision is recorded yet.
	PhaseDraft LIAPhase = "Draft"
	// PhaseApproved: the decision is Approved and the review date is ahead.
	PhaseApproved LIAPhase = "Approved"
	// PhaseRejected: the decision is Rejected.
	PhaseRejected LIAPhase = "Rejected"
	// PhaseExpired: the decision was Approved but the review date has passed; activities
	// relying on it are no longer valid until it is reviewed.
	PhaseExpired LIAPhase = "Expired"
)

// ImpactLevel is how strongly a processing may affect people.
// +kubebuilder:validation:Enum=Low;Medium;High
type ImpactLevel string

const (
	// ImpactLow: minor inconvenience at most (an unwanted but relevant business email).
	ImpactLow ImpactLevel = "Low"
	// ImpactMedium: noticeable effects that people can easily avoid or undo.
	ImpactMedium ImpactLevel = "Medium"
	// ImpactHigh: significant effects on people; legitimate interest is unlikely to hold.
	ImpactHigh ImpactLevel = "High"
)

// LegitimateInterestAssessmentSpec is a legitimate interests assessment in three parts, after
// the ICO's template: the purpose test, the necessity test and the balancing test, with its
// scope and the decision.
// +kubebuilder:validation:XValidation:rule="!has(self.decision) || self.decision.outcome != 'Approved' || !has(self.scope.contactTypes) || !('B2C' in self.scope.contactTypes)",message="an approved LIA cannot cover B2C contacts: consumers need consent",fieldPath=".scope.contactTypes",reason=FieldValueForbidden
type LegitimateInterestAssessmentSpec struct {
	// purposeTest answers: is there a legitimate interest behind the processing?
	// +required
	PurposeTest PurposeTest `json:"purposeTest"`

	// necessityTest answers: is the processing necessary for that purpose?
	// +required
	NecessityTest NecessityTest `json:"necessityTest"`

	// balancingTest answers: do the person's interests override the legitimate interest?
	// +required
	BalancingTest BalancingTest `json:"balancingTest"`

	// scope is what the assessment covers: which contacts, in which job roles, which data.
	// Contacts outside it cannot be processed on legitimate interests; the operator counts
	// them in the compliance scan of the activities that rely on this LIA.
	// +required
	Scope LIAScope `json:"scope"`

	// dpiaReference identifies the DPIA done with the DPO for this processing, when there is
	// one (a URI or an internal reference).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	DPIAReference string `json:"dpiaReference,omitempty"`

	// decision is the outcome of the assessment. While omitted, the assessment is a draft
	// and no activity can rely on it.
	// +optional
	Decision *LIADecision `json:"decision,omitempty"`
}

// PurposeTest is the first part of an LIA.
type PurposeTest struct {
	// interest is the legitimate interest pursued, for example "prospecting companies that
	// may need our software".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Interest string `json:"interest"`

	// benefits says what the processing brings to the organisation.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Benefits string `json:"benefits,omitempty"`

	// thirdPartyBenefits says what it brings to others (the people contacted, customers,
	// the public).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ThirdPartyBenefits string `json:"thirdPartyBenefits,omitempty"`

	// impactIfNotProcessed says what would happen if the processing did not take place.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ImpactIfNotProcessed string `json:"impactIfNotProcessed,omitempty"`

	// rulesAndGuidance names the rules, industry guidance or codes of conduct that apply and
	// how they are complied with (for example the ePrivacy rules on B2B email).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	RulesAndGuidance string `json:"rulesAndGuidance,omitempty"`

	// ethicalIssues notes anything about the processing that could be unethical or
	// unlawful, or states that none was found.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	EthicalIssues string `json:"ethicalIssues,omitempty"`
}

// NecessityTest is the second part of an LIA.
type NecessityTest struct {
	// howItHelps says how the processing achieves the purpose.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	HowItHelps string `json:"howItHelps"`

	// proportionate is true when the processing is proportionate to the purpose.
	// +required
	Proportionate bool `json:"proportionate"`

	// lessIntrusiveAlternatives says whether the purpose could be achieved with less data or
	// in a less intrusive way, and why those ways were not chosen.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	LessIntrusiveAlternatives string `json:"lessIntrusiveAlternatives"`
}

// BalancingTest is the third part of an LIA.
type BalancingTest struct {
	// natureOfData describes the data: its sensitivity and whether people would consider it
	// private.
	// +required
	NatureOfData NatureOfData `json:"natureOfData"`

	// reasonableExpectations says whether the people would expect the processing.
	// +required
	ReasonableExpectations ReasonableExpectations `json:"reasonableExpectations"`

	// likelyImpact says what effect the processing may have on the people.
	// +required
	LikelyImpact LikelyImpact `json:"likelyImpact"`

	// safeguards are the measures that reduce the impact (for example "opt-out link in every
	// message", "no data bought from brokers", "24-month retention").
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	Safeguards []string `json:"safeguards,omitempty"`

	// optOutOffered is true when the people can object at any time, free of charge, and
	// their objection stops the processing (GDPR Art. 21).
	// +required
	OptOutOffered bool `json:"optOutOffered"`
}

// NatureOfData describes the data processed under an LIA.
type NatureOfData struct {
	// specialCategories is true when special category data (Art. 9) or criminal offence data
	// (Art. 10) is processed.
	// +required
	SpecialCategories bool `json:"specialCategories"`

	// vulnerablePeople is true when the data concerns children or other vulnerable people.
	// +required
	VulnerablePeople bool `json:"vulnerablePeople"`

	// description describes the data in a few sentences, for example "professional contact
	// details and job title".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Description string `json:"description"`
}

// ReasonableExpectations records whether people expect the processing.
type ReasonableExpectations struct {
	// existingRelationship describes the relationship with the people, if any (customer,
	// prospect met at a trade show, none).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ExistingRelationship string `json:"existingRelationship,omitempty"`

	// expected is true when the people would reasonably expect the processing.
	// +required
	Expected bool `json:"expected"`

	// description explains why they would or would not expect it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Description string `json:"description"`
}

// LikelyImpact records the effect the processing may have on people.
type LikelyImpact struct {
	// level is `Low`, `Medium` or `High`.
	// +required
	Level ImpactLevel `json:"level"`

	// description explains the possible impact.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Description string `json:"description"`
}

// LIAScope is what an LIA covers.
type LIAScope struct {
	// contactTypes are the contact types covered. Legitimate interest fits business
	// contacts (`B2B`); an approved LIA cannot list `B2C`.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=2
	ContactTypes []ContactType `json:"contactTypes"`

	// jobRoles are the values of the `jobRole` field that reasonably expect commercial
	// contact (for example `board`, `sales`, `technical-manager`, `purchasing`). Contacts in
	// other roles need consent.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	JobRoles []string `json:"jobRoles"`

	// dataCategories are the categories of data the LIA covers, for example "professional
	// contact details".
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	DataCategories []string `json:"dataCategories,omitempty"`
}

// LIADecision is the outcome of an LIA.
// +kubebuilder:validation:XValidation:rule="self.reviewBy > self.decidedAt",message="reviewBy must be after decidedAt",fieldPath=".reviewBy",reason=FieldValueInvalid
type LIADecision struct {
	// outcome is `Approved` or `Rejected`.
	// +required
	Outcome LIAOutcome `json:"outcome"`

	// decidedBy is who took the decision (typically the controller's representative, on the
	// DPO's advice).
	// +required
	DecidedBy Person `json:"decidedBy"`

	// decidedAt is when the decision was taken.
	// +required
	DecidedAt metav1.Time `json:"decidedAt"`

	// reviewBy is when the assessment must be reviewed; after it, an approved LIA is
	// Expired and activities relying on it lose their legal basis until it is reviewed.
	// +required
	ReviewBy metav1.Time `json:"reviewBy"`

	// rationale sums up why.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Rationale string `json:"rationale,omitempty"`
}

// LegitimateInterestAssessmentStatus is where the assessment stands.
type LegitimateInterestAssessmentStatus struct {
	// observedGeneration is the metadata.generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Approved and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// phase is `Draft`, `Approved`, `Rejected` or `Expired` (approved but past reviewBy).
	// +optional
	Phase LIAPhase `json:"phase,omitempty"`

	// usedBy are the names of the ProcessingActivities in this namespace that rely on this
	// assessment.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=253
	UsedBy []string `json:"usedBy,omitempty"`
}

// LegitimateInterestAssessment is a legitimate interests assessment (the ICO's three-part
// test) that a ProcessingActivity with the LegitimateInterests basis relies on. With the
// DPIAs referenced by activities, these make up the register of assessments.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=lia,categories=crmprivacy
// +kubebuilder:printcolumn:name="Outcome",type=string,JSONPath=`.spec.decision.outcome`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Review by",type=string,JSONPath=`.spec.decision.reviewBy`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Decided by",type=string,JSONPath=`.spec.decision.decidedBy`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type LegitimateInterestAssessment struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the assessment.
	// +required
	Spec LegitimateInterestAssessmentSpec `json:"spec"`

	// status is where the assessment stands.
	// Until the operator's first pass it holds only observedGeneration 0, so that kstatus
	// (Flux) and Argo CD read a new object as in progress rather than as current.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status LegitimateInterestAssessmentStatus `json:"status,omitempty,omitzero"`
}

// LegitimateInterestAssessmentList is a list of LegitimateInterestAssessments.
// +kubebuilder:object:root=true
type LegitimateInterestAssessmentList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's standard metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the LegitimateInterestAssessments.
	Items []LegitimateInterestAssessment `json:"items"`
}

func init() {
	SchemeBuilder.Register(&LegitimateInterestAssessment{}, &LegitimateInterestAssessmentList{})
}
