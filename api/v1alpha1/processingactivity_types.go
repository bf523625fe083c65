package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LegalBasisType is one of the six legal bases of GDPR Art. 6(1).
// +kubebuilder:validation:Enum=Consent;Contract;LegalObligation;VitalInterests;PublicTask;LegitimateInterests
type LegalBasisType string

const (
	// BasisConsent is Art. 6(1)(a): the person consented to the processing for this
	// purpose. The controller must be able to show the consent (when and how it was given):
	// the databases in scope must map the `consentAt` and `consentMethod` fields.
	BasisConsent LegalBasisType = "Consent"
	// BasisContract is Art. 6(1)(b): the processing is needed for a contract with the
	// person, or for steps they asked for before entering into one (a quote).
	BasisContract LegalBasisType = "Contract"
	// BasisLegalObligation is Art. 6(1)(c): a law requires the processing (keeping invoices).
	BasisLegalObligation LegalBasisType = "LegalObligation"
	// BasisVitalInterests is Art. 6(1)(d): the processing protects someone's life.
	BasisVitalInterests LegalBasisType = "VitalInterests"
	// BasisPublicTask is Art. 6(1)(e): a task in the public interest or official authority.
	BasisPublicTask LegalBasisType = "PublicTask"
	// BasisLegitimateInterests is Art. 6(1)(f): the controller's legitimate interests,
	// balanced against the person's rights. A last resort, only with an approved
	// LegitimateInterestAssessment (legitimateInterestAssessmentRef).
	BasisLegitimateInterests LegalBasisType = "LegitimateInterests"
)

// SpecialCategory is a special category of personal data (GDPR Art. 9(1)).
// +kubebuilder:validation:Enum=RacialOrEthnicOrigin;PoliticalOpinions;ReligiousOrPhilosophicalBeliefs;TradeUnionMembership;GeneticData;BiometricData;Health;SexLifeOrSexualOrientation
type SpecialCategory string

const (
	// CategoryRacialOrEthnicOrigin is data revealing racial or ethnic origin.
	CategoryRacialOrEthnicOrigin SpecialCategory = "RacialOrEthnicOrigin"
	// CategoryPoliticalOpinions is data revealing political opinions.
	CategoryPoliticalOpinions SpecialCategory = "PoliticalOpinions"
	// CategoryReligiousOrPhilosophicalBeliefs is data revealing religious or philosophical
	// beliefs.
	CategoryReligiousOrPhilosophicalBeliefs SpecialCategory = "ReligiousOrPhilosophicalBeliefs"
	// CategoryTradeUnionMembership is data revealing trade union membership.
	CategoryTradeUnionMembership SpecialCategory = "TradeUnionMembership"
	// CategoryGeneticData is genetic data.
	CategoryGeneticData SpecialCategory = "GeneticData"
	// CategoryBiometricData is biometric data used to identify a person.
	CategoryBiometricData SpecialCategory = "BiometricData"
	// CategoryHealth is data concerning health.
	CategoryHealth SpecialCategory = "Health"
	// CategorySexLifeOrSexualOrientation is data concerning sex life or sexual orientation.
	CategorySexLifeOrSexualOrientation SpecialCategory = "SexLifeOrSexualOrientation"
)

// SpecialCategoryCondition is the Art. 9(2) condition that lifts the ban on processing a
// special category.
// +kubebuilder:validation:Enum=ExplicitConsent;EmploymentAndSocialSecurity;VitalInterests;NotForProfitBody;MadePublicByDataSubject;LegalClaims;SubstantialPublicInterest;HealthOrSocialCare;PublicHealth;ArchivingResearchOrStatistics
type SpecialCategoryCondition string

const (
	// ConditionExplicitConsent is Art. 9(2)(a).
	ConditionExplicitConsent SpecialCategoryCondition = "ExplicitConsent"
	// ConditionEmploymentAndSocialSecurity is Art. 9(2)(b).
	ConditionEmploymentAndSocialSecurity SpecialCategoryCondition = "EmploymentAndSocialSecurity"
	// ConditionVitalInterests is Art. 9(2)(c).
	ConditionVitalInterests SpecialCategoryCondition = "VitalInterests"
	// ConditionNotForProfitBody is Art. 9(2)(d).
	ConditionNotForProfitBody SpecialCategoryCondition = "NotForProfitBody"
	// ConditionMadePublicByDataSubject is Art. 9(2)(e).
	ConditionMadePublicByDataSubject SpecialCategoryCondition = "MadePublicByDataSubject"
	// ConditionLegalClaims is Art. 9(2)(f).
	ConditionLegalClaims SpecialCategoryCondition = "LegalClaims"
	// ConditionSubstantialPublicInterest is Art. 9(2)(g).
	ConditionSubstantialPublicInterest SpecialCategoryCondition = "SubstantialPublicInterest"
	// ConditionHealthOrSocialCare is Art. 9(2)(h).
	ConditionHealthOrSocialCare SpecialCategoryCondition = "HealthOrSocialCare"
	// ConditionPublicHealth is Art. 9(2)(i).
	ConditionPublicHealth SpecialCategoryCondition = "PublicHealth"
	// ConditionArchivingResearchOrStatistics is Art. 9(2)(j).
	ConditionArchivingResearchOrStatistics SpecialCategoryCondition = "ArchivingResearchOrStatistics"
)

// TransferSafeguard is the ground for a transfer of personal data outside the EEA
// (GDPR Chapter V).
// +kubebuilder:validation:Enum=Adequacy;SCC;BCR;Derogation
type TransferSafeguard string

const (
	// SafeguardAdequacy is an adequacy decision of the European Commission (Art. 45).
	SafeguardAdequacy TransferSafeguard = "Adequacy"
	// SafeguardSCC is the Commission's standard contractual clauses (Art. 46(2)(c)).
	SafeguardSCC TransferSafeguard = "SCC"
	// SafeguardBCR is binding corporate rules (Art. 47).
	SafeguardBCR TransferSafeguard = "BCR"
	// SafeguardDerogation is a derogation for a specific situation (Art. 49); the details
	// must say which one, and Art. 30(1)(e) asks for the suitable safeguards documented.
	SafeguardDerogation TransferSafeguard = "Derogation"
)

// WP248Criterion is one of the nine criteria of the EDPB guidelines on DPIA (WP248 rev.01)
// that make a processing likely to be high risk. Meeting two or more generally calls for a
// DPIA.
// +kubebuilder:validation:Enum=EvaluationOrScoring;AutomatedDecisionWithLegalEffect;SystematicMonitoring;SensitiveData;LargeScale;MatchingOrCombiningDatasets;VulnerableDataSubjects;InnovativeTechnology;PreventsExerciseOfRights
type WP248Criterion string

const (
	// CriterionEvaluationOrScoring is evaluation or scoring, including profiling and
	// predicting.
	CriterionEvaluationOrScoring WP248Criterion = "EvaluationOrScoring"
	// CriterionAutomatedDecisionWithLegalEffect is automated decision-making with legal or
	// similarly significant effect.
	CriterionAutomatedDecisionWithLegalEffect WP248Criterion = "AutomatedDecisionWithLegalEffect"
	// CriterionSystematicMonitoring is systematic monitoring of people.
	CriterionSystematicMonitoring WP248Criterion = "SystematicMonitoring"
	// CriterionSensitiveData is sensitive data or data of a highly personal nature.
	CriterionSensitiveData WP248Criterion = "SensitiveData"
	// CriterionLargeScale is data processed on a large scale.
	CriterionLargeScale WP248Criterion = "LargeScale"
	// CriterionMatchingOrCombiningDatasets is matching or combining datasets.
	CriterionMatchingOrCombiningDatasets WP248Criterion = "MatchingOrCombiningDatasets"
	// CriterionVulnerableDataSubjects is data concerning vulnerable people.
	CriterionVulnerableDataSubjects WP248Criterion = "VulnerableDataSubjects"
	// CriterionInnovativeTechnology is innovative use or new technological solutions.
	CriterionInnovativeTechnology WP248Criterion = "InnovativeTechnology"
	// CriterionPreventsExerciseOfRights is processing that prevents people from exercising
	// a right or using a service or contract.
	CriterionPreventsExerciseOfRights WP248Criterion = "PreventsExerciseOfRights"
)

// FindingSeverity says how serious a finding is.
// +kubebuilder:validation:Enum=Info;Warning;Violation
type FindingSeverity string

const (
	// SeverityInfo is worth knowing and needs no action.
	SeverityInfo FindingSeverity = "Info"
	// SeverityWarning should be looked at (a contract expiring soon, a review due).
	SeverityWarning FindingSeverity = "Warning"
	// SeverityViolation breaks a rule of the register or of the GDPR and needs action.
	SeverityViolation FindingSeverity = "Violation"
)

// ProcessingActivitySpec is one entry of the record of processing activities
// (GDPR Art. 30(1)).
type ProcessingActivitySpec struct {
	// description says in a few sentences what the processing is, for the register.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Description string `json:"description,omitempty"`

	// controller is the controller (the organisation that decides the purposes and means),
	// with its contact details and, where applicable, its representative in the Union
	// (Art. 30(1)(a)).
	// +required
	Controller ControllerParty `json:"controller"`

	// dpo is the data protection officer and how to reach them (Art. 30(1)(a)).
	// +optional
	DPO *Party `json:"dpo,omitempty"`

	// jointControllers are the other controllers who decide the purposes and means together
	// with this one (Art. 26), with their share of the responsibilities.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	JointControllers []JointController `json:"jointControllers,omitempty"`

	// purposes are the purposes of the processing (Art. 30(1)(b)), each in a sentence, for
	// example "Prospecting companies for the sale of our software".
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	Purposes []string `json:"purposes"`

	// legalBasis is the legal basis of the processing (Art. 6(1)).
	// +required
	LegalBasis LegalBasis `json:"legalBasis"`

	// specialCategories are the special categories of data processed (Art. 9), each with the
	// Art. 9(2) condition that allows it. Leave empty when none are: a sales CRM should hold
	// none.
	// +optional
	// +listType=map
	// +listMapKey=category
	// +kubebuilder:validation:MaxItems=8
	SpecialCategories []SpecialCategoryUse `json:"specialCategories,omitempty"`

	// dataSubjectCategories are the categories of people whose data is processed
	// (Art. 30(1)(c)), for example "B2B prospects", "customer contacts".
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	DataSubjectCategories []string `json:"dataSubjectCategories"`

	// personalDataCategories are the categories of personal data processed (Art. 30(1)(c)),
	// for example "identity", "professional contact details", "interaction history".
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	PersonalDataCategories []string `json:"personalDataCategories"`

	// dataSources say where the personal data come from (Art. 14(2)(f), Art. 15(1)(g)):
	// for example "web form", "trade fair", "purchased list from …", "the person". An
	// Access request's answer (DataSubjectRequest) tells the person these sources.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	DataSources []string `json:"dataSources,omitempty"`

	// recipients are the categories of recipients to whom the data is disclosed
	// (Art. 30(1)(d)), for example "sales team", "CRM vendor (processor)".
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Recipients []string `json:"recipients,omitempty"`

	// processors are the processors that handle the data on the controller's behalf (the CRM
	// vendor, the hosting provider), each with its Art. 28 contract. The operator reports a
	// processor without a current contract in the ProcessorsCovered condition.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Processors []Processor `json:"processors,omitempty"`

	// transfers are the transfers of data to third countries or international organisations,
	// with their safeguard (Art. 30(1)(e)): cloud data centres outside the EEA included.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Transfers []Transfer `json:"transfers,omitempty"`

	// retentionPolicyRefs name the RetentionPolicies, in this namespace, that enforce the
	// erasure time limits of this activity (Art. 30(1)(f)).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	RetentionPolicyRefs []LocalObjectReference `json:"retentionPolicyRefs,omitempty"`

	// erasureTimeLimits describes in words the time limits that no RetentionPolicy enforces
	// (for example "invoices: 10 years in the accounting system").
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ErasureTimeLimits string `json:"erasureTimeLimits,omitempty"`

	// securityMeasures describe the technical and organisational security measures
	// (Art. 30(1)(g), Art. 32), for example "TLS to the database", "role-based access".
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	SecurityMeasures []string `json:"securityMeasures,omitempty"`

	// dpia records whether a data protection impact assessment (Art. 35) is needed and where
	// it is.
	// +optional
	DPIA *DPIA `json:"dpia,omitempty"`

	// profiling is true when the processing profiles people (Art. 4(4)): scoring leads,
	// segmenting by behaviour.
	// +optional
	Profiling bool `json:"profiling,omitempty"`

	// directMarketing is true when the activity is direct marketing: prospecting, newsletters,
	// campaigns, promotions sent to the people concerned. Anyone may object to direct
	// marketing at any time and the objection stops it whatever the legal basis
	// (Art. 21(2) and (3)), so the compliance scan then counts opted-out contacts in scope
	// (status.compliance[].optedOutInScope). On `Consent` and `LegitimateInterests` an
	// opt-out stops the activity anyway and they are counted whatever this says. When
	// omitted, the operator does not guess from the purposes' wording: it adds a Warning
	// finding (DirectMarketingUndeclared) when a purpose reads like marketing, asking to set
	// it to true or false.
	// +optional
	DirectMarketing *bool `json:"directMarketing,omitempty"`

	// privacyNoticeURI is where the people concerned are informed (Art. 13 and 14).
	// +optional
	PrivacyNoticeURI URI `json:"privacyNoticeURI,omitempty"`

	// databaseRefs name the CRMDatabases, in this namespace, that hold the data of this
	// activity. The operator scans their contacts in scope for compliance.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	DatabaseRefs []LocalObjectReference `json:"databaseRefs,omitempty"`

	// contactSelector picks, by logical fields, the contacts of the databases that this
	// activity processes (for example `legalBasis In [Consent]` for newsletter marketing).
	// When omitted, every contact is in scope.
	// +optional
	ContactSelector *ContactSelector `json:"contactSelector,omitempty"`
}

// Party is a person or organisation with contact details.
// +kubebuilder:validation:XValidation:rule="has(self.email) || has(self.phone) || has(self.address)",message="give at least one of email, phone or address"
type Party struct {
	// name is the person's or organisation's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// email is an email address, for example `dpo@example.com`.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[^@\s]+@[^@\s]+$`
	Email string `json:"email,omitempty"`

	// phone is a phone number, for example `+33 1 23 45 67 89`.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^\+?[0-9 ().-]{3,31}$`
	Phone string `json:"phone,omitempty"`

	// address is a postal address.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Address string `json:"address,omitempty"`
}

// ControllerParty is the controller, with its representative when it has one.
// +kubebuilder:validation:XValidation:rule="has(self.email) || has(self.phone) || has(self.address)",message="give at least one of email, phone or address"
type ControllerParty struct {
	// name is the controller's legal name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// email is the controller's contact email address for data protection matters.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[^@\s]+@[^@\s]+$`
	Email string `json:"email,omitempty"`

	// phone is the controller's phone number.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^\+?[0-9 ().-]{3,31}$`
	Phone string `json:"phone,omitempty"`

	// address is the controller's postal address.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Address string `json:"address,omitempty"`

	// representative is the controller's representative in the Union (Art. 27), for a
	// controller established outside it.
	// +optional
	Representative *Party `json:"representative,omitempty"`
}

// JointController is another controller of the processing.
// +kubebuilder:validation:XValidation:rule="has(self.email) || has(self.phone) || has(self.address)",message="give at least one of email, phone or address"
type JointController struct {
	// name is the joint controller's legal name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// email is the joint controller's contact email address.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[^@\s]+@[^@\s]+$`
	Email string `json:"email,omitempty"`

	// phone is the joint controller's phone number.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^\+?[0-9 ().-]{3,31}$`
	Phone string `json:"phone,omitempty"`

	// address is the joint controller's postal address.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Address string `json:"address,omitempty"`

	// responsibilities says how the controllers share their duties (Art. 26(1)), for
	// example who answers requests from the people concerned.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Responsibilities string `json:"responsibilities,omitempty"`
}

// LegalBasis is the legal basis of a processing.
// +kubebuilder:validation:XValidation:rule="self.basis != 'LegitimateInterests' || has(self.legitimateInterestAssessmentRef)",message="legitimateInterestAssessmentRef is required when the basis is LegitimateInterests: legitimate interest needs an approved LegitimateInterestAssessment",fieldPath=".legitimateInterestAssessmentRef",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.basis == 'LegitimateInterests' || !has(self.legitimateInterestAssessmentRef)",message="legitimateInterestAssessmentRef is only used with the LegitimateInterests basis",fieldPath=".legitimateInterestAssessmentRef",reason=FieldValueForbidden
type LegalBasis struct {
	// basis is one of the six legal bases of Art. 6(1): `Consent`, `Contract`,
	// `LegalObligation`, `VitalInterests`, `PublicTask` or `LegitimateInterests`.
	// For `Consent`, the databases in scope must map the consent evidence (the `consentAt`
	// and `consentMethod` fields). The API server cannot see other objects, so the operator
	// checks this and reports it in the LegalBasisValid condition.
	// +required
	Basis LegalBasisType `json:"basis"`

	// legitimateInterestAssessmentRef names the LegitimateInterestAssessment, in this
	// namespace, that supports the `LegitimateInterests` basis. Required for that basis and
	// not allowed for the others. The operator checks that the LIA is approved and current.
	// +optional
	LegitimateInterestAssessmentRef *LocalObjectReference `json:"legitimateInterestAssessmentRef,omitempty"`

	// details says more about the basis: the law for `LegalObligation` (for example
	// "French Commercial Code, art. L123-22"), the contract for `Contract`.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Details string `json:"details,omitempty"`
}

// SpecialCategoryUse is one special category of data and the condition that allows it.
type SpecialCategoryUse struct {
	// category is the special category of data (Art. 9(1)).
	// +required
	Category SpecialCategory `json:"category"`

	// condition is the Art. 9(2) condition that allows processing it.
	// +required
	Condition SpecialCategoryCondition `json:"condition"`
}

// Processor is a processor of the data (Art. 28).
type Processor struct {
	// name is the processor's legal name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// role says what the processor does with the data, for example "maintains the CRM
	// software", "hosts the database".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Role string `json:"role"`

	// country is where the processor processes the data, as an ISO 3166-1 alpha-2 code
	// (for example `FR`, `US`).
	// +optional
	// +kubebuilder:validation:MaxLength=2
	// +kubebuilder:validation:Pattern=`^[A-Z]{2}$`
	Country string `json:"country,omitempty"`

	// contract is the Art. 28 contract (data processing agreement) with the processor.
	// Without one, the ProcessorsCovered condition is False.
	// +optional
	Contract *ProcessorContract `json:"contract,omitempty"`
}

// ProcessorContract is an Art. 28 data processing agreement.
// +kubebuilder:validation:XValidation:rule="!has(self.expiresAt) || self.expiresAt > self.signedAt",message="expiresAt must be after signedAt",fieldPath=".expiresAt",reason=FieldValueInvalid
type ProcessorContract struct {
	// signedAt is when the contract was signed.
	// +required
	SignedAt metav1.Time `json:"signedAt"`

	// expiresAt is when the contract ends. When omitted, it runs until terminated.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// documentURI is where the signed contract is kept.
	// +optional
	DocumentURI URI `json:"documentURI,omitempty"`

	// subProcessorsAllowed is true when the contract gives the processor a general
	// authorisation to engage sub-processors (Art. 28(2)).
	// +optional
	SubProcessorsAllowed bool `json:"subProcessorsAllowed,omitempty"`
}

// Transfer is a transfer of personal data outside the EEA.
// +kubebuilder:validation:XValidation:rule="self.safeguard != 'Derogation' || has(self.details)",message="details must say which Art. 49 derogation applies",fieldPath=".details",reason=FieldValueRequired
type Transfer struct {
	// country is the destination, as an ISO 3166-1 alpha-2 code (for example `US`).
	// +required
	// +kubebuilder:validation:MaxLength=2
	// +kubebuilder:validation:Pattern=`^[A-Z]{2}$`
	Country string `json:"country"`

	// recipient is who receives the data there, for example "CRM vendor's support team".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Recipient string `json:"recipient"`

	// safeguard is the ground for the transfer: `Adequacy` (an adequacy decision), `SCC`
	// (standard contractual clauses), `BCR` (binding corporate rules) or `Derogation`
	// (Art. 49).
	// +required
	Safeguard TransferSafeguard `json:"safeguard"`

	// details says more: the adequacy decision, the SCC module, the derogation relied on.
	// Required for `Derogation`.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Details string `json:"details,omitempty"`
}

// DPIA records a data protection impact assessment.
// +kubebuilder:validation:XValidation:rule="!has(self.completedAt) || has(self.reference)",message="a completed DPIA needs its reference",fieldPath=".reference",reason=FieldValueRequired
type DPIA struct {
	// required is true when the processing needs a DPIA (Art. 35). The operator also
	// reports one as needed, in the DPIAInPlace condition, when two or more WP248 criteria
	// are met or the activity profiles people.
	// +optional
	Required bool `json:"required,omitempty"`

	// criteriaMet are the WP248 criteria the processing meets.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=9
	CriteriaMet []WP248Criterion `json:"criteriaMet,omitempty"`

	// reference identifies the DPIA document (a URI or an internal reference).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Reference string `json:"reference,omitempty"`

	// completedAt is when the DPIA was completed, with the DPO's advice.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`
}

// ProcessingActivityStatus is what the operator found about the activity.
type ProcessingActivityStatus struct {
	// observedGeneration is the metadata.generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are LegalBasisValid, DPIAInPlace, RetentionDefined, ProcessorsCovered,
	// Compliant and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// findings list what needs attention in the declaration (at most 32, most serious
	// first).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Findings []Finding `json:"findings,omitempty"`

	// compliance gives the last compliance scan of each database: how many contacts in scope
	// break a rule. Counts only, never contacts.
	// +optional
	// +listType=map
	// +listMapKey=database
	// +kubebuilder:validation:MaxItems=16
	Compliance []DatabaseCompliance `json:"compliance,omitempty"`

	// findingsExport is the operator's answer to the last request for the contact keys of
	// one compliance check (the privacy.crmoperator.io/export-findings annotation, set by
	// `kubectl gdpr scan ACTIVITY --export CHECK`): the Secret that holds them, their
	// count per database, and when the Secret is deleted. Counts and names only.
	// +optional
	FindingsExport *FindingsExport `json:"findingsExport,omitempty"`
}

// AnnotationExportFindings asks the operator for the contact keys of the contacts that
// fail one compliance check, as `<check>@<RFC 3339 time>` (for example
// `legitimateInterestOutOfScope@2026-12-02T10:00:00Z`). Each new value is answered once,
// in status.findingsExport.
const AnnotationExportFindings = "privacy.crmoperator.io/export-findings"

// FindingsExportResult is how the operator answered a request for a findings export.
// +kubebuilder:validation:Enum=Exported;Refused;Expired
type FindingsExportResult string

const (
	// FindingsExported: the keys are in the Secret secretName until expiresAt.
	FindingsExported FindingsExportResult = "Exported"
	// FindingsExportRefused: nothing was exported; message says why (an unknown check, a
	// check that does not apply or cannot run, more keys than the cap, a database that is
	// not ready).
	FindingsExportRefused FindingsExportResult = "Refused"
	// FindingsExportExpired: the Secret was deleted at expiresAt.
	FindingsExportExpired FindingsExportResult = "Expired"
)

// FindingsExport describes the Secret holding the contact keys of one compliance finding.
type FindingsExport struct {
	// requestedAt is the annotation's value as it was read (`<check>@<time>`): a new value
	// is a new request.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	RequestedAt string `json:"requestedAt"`

	// check is the compliance check whose failing contacts were exported; empty when the
	// request named no valid check.
	// +optional
	Check ComplianceCheck `json:"check,omitempty"`

	// result is `Exported`, `Refused` or `Expired`.
	// +required
	Result FindingsExportResult `json:"result"`

	// answeredAt is when the operator answered the request.
	// +required
	AnsweredAt metav1.Time `json:"answeredAt"`

	// secretName is the Secret, owned by the activity and labelled
	// privacy.crmoperator.io/findings-export=<activity>, that holds one key `<database>.csv`
	// per covered database: a header line `key` and one contact key per line. Nothing but
	// keys. Empty once the Secret is deleted.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`

	// expiresAt is when the operator deletes the Secret (the manager's
	// --findings-export-retention after answeredAt).
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// databases gives the number of keys exported from each database: the contacts that
	// failed the check when the export ran, the same count as the scan's.
	// +optional
	// +listType=map
	// +listMapKey=database
	// +kubebuilder:validation:MaxItems=16
	Databases []FindingsExportDatabase `json:"databases,omitempty"`

	// message explains the answer in a sentence, with counts only.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// FindingsExportDatabase is the number of keys exported from one database.
type FindingsExportDatabase struct {
	// database is the CRMDatabase.
	// +required
	Database ObjectName `json:"database"`

	// keys is the number of contact keys exported from it.
	// +required
	// +kubebuilder:validation:Minimum=0
	Keys int64 `json:"keys"`
}

// Finding is one thing that needs attention.
type Finding struct {
	// code is a CamelCase identifier of the finding, for example `ContractExpired`; the
	// condition reasons of this API.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]*$`
	Code string `json:"code"`

	// severity is `Info`, `Warning` or `Violation`.
	// +required
	Severity FindingSeverity `json:"severity"`

	// field is the spec path the finding is about, for example `spec.processors[0].contract`.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Field string `json:"field,omitempty"`

	// message explains the finding and what to do.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message"`
}

// ComplianceCheck names a check of the compliance scan, as the status.compliance field
// holding its count.
// +kubebuilder:validation:Enum=noLegalBasis;consentWithoutEvidence;legitimateInterestOutOfScope;optedOutInScope;restrictedFieldsFilled
type ComplianceCheck string

const (
	// CheckNoLegalBasis counts contacts in scope whose legalBasis records none of the six
	// bases. It applies to every activity.
	CheckNoLegalBasis ComplianceCheck = "noLegalBasis"
	// CheckConsentWithoutEvidence counts contacts on consent whose consentAt or
	// consentMethod is empty. It applies to every activity.
	CheckConsentWithoutEvidence ComplianceCheck = "consentWithoutEvidence"
	// CheckLegitimateInterestOutOfScope counts contacts on legitimate interests outside
	// the LIA's scope. It applies to activities on legitimate interests.
	CheckLegitimateInterestOutOfScope ComplianceCheck = "legitimateInterestOutOfScope"
	// CheckOptedOutInScope counts contacts in scope who opted out. It applies to activities
	// on consent or legitimate interests, and to direct marketing (spec.directMarketing).
	CheckOptedOutInScope ComplianceCheck = "optedOutInScope"
	// CheckRestrictedFieldsFilled counts contacts with a restricted field filled in. It
	// applies to every activity.
	CheckRestrictedFieldsFilled ComplianceCheck = "restrictedFieldsFilled"
)

// ComplianceChecks returns the checks of the compliance scan, in the order they are
// reported.
func ComplianceChecks() []ComplianceCheck {
	return []ComplianceCheck{CheckNoLegalBasis, CheckConsentWithoutEvidence, CheckLegitimateInterestOutOfScope,
		CheckOptedOutInScope, CheckRestrictedFieldsFilled}
}

// UncheckedReason says why a check of the compliance scan has no count.
// +kubebuilder:validation:Enum=NotApplicable;NotMapped;NotScanned
type UncheckedReason string

const (
	// UncheckedNotApplicable: the rule does not apply to the activity (an opt-out check on
	// an activity that is neither on consent or legitimate interests nor direct marketing;
	// the LIA scope check on an activity on another basis).
	UncheckedNotApplicable UncheckedReason = "NotApplicable"
	// UncheckedNotMapped: the rule applies but the database's mapping lacks a logical field
	// it needs; map the field to run it. The count is unknown, not zero.
	UncheckedNotMapped UncheckedReason = "NotMapped"
	// UncheckedNotScanned: the database has not been scanned yet (it is not ready, or the
	// scan failed); reason and message of the entry say why.
	UncheckedNotScanned UncheckedReason = "NotScanned"
)

// UncheckedCheck is a check of the compliance scan that has no count, and why.
type UncheckedCheck struct {
	// check is the check, named as the field that would hold its count.
	// +required
	Check ComplianceCheck `json:"check"`

	// reason is `NotApplicable`, `NotMapped` or `NotScanned`.
	// +required
	Reason UncheckedReason `json:"reason"`

	// message says the same for people, for example which fields the mapping lacks.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Message string `json:"message,omitempty"`
}

// DatabaseCompliance is the result of a compliance scan of one database. Each check has
// either a count or an entry in unchecked, never both: a count that is absent is unknown,
// not zero.
type DatabaseCompliance struct {
	// database is the name of the scanned CRMDatabase.
	// +required
	Database ObjectName `json:"database"`

	// scannedAt is when the scan the counts come from ran; absent when the database has
	// not been scanned yet.
	// +optional
	ScannedAt *metav1.Time `json:"scannedAt,omitempty"`

	// contactsInScope is the number of contacts the activity's contactSelector selects;
	// absent when the database has not been scanned yet.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ContactsInScope *int64 `json:"contactsInScope,omitempty"`

	// noLegalBasis is the number of contacts in scope without a recorded legal basis;
	// absent when the check did not run (see unchecked).
	// +optional
	// +kubebuilder:validation:Minimum=0
	NoLegalBasis *int64 `json:"noLegalBasis,omitempty"`

	// consentWithoutEvidence is the number of contacts whose basis is consent but whose
	// consentAt or consentMethod is empty; absent when the check did not run.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ConsentWithoutEvidence *int64 `json:"consentWithoutEvidence,omitempty"`

	// legitimateInterestOutOfScope is the number of contacts whose basis is legitimate
	// interest but who fall outside the LIA's scope (a B2C contact, a job role the LIA does
	// not allow, any such contact while the LIA is not approved); absent when the check did
	// not run.
	// +optional
	// +kubebuilder:validation:Minimum=0
	LegitimateInterestOutOfScope *int64 `json:"legitimateInterestOutOfScope,omitempty"`

	// optedOutInScope is the number of contacts in scope who opted out (optOut true);
	// absent when the check did not run.
	// +optional
	// +kubebuilder:validation:Minimum=0
	OptedOutInScope *int64 `json:"optedOutInScope,omitempty"`

	// restrictedFieldsFilled is the number of contacts with at least one restricted field
	// filled in; absent when the check did not run.
	// +optional
	// +kubebuilder:validation:Minimum=0
	RestrictedFieldsFilled *int64 `json:"restrictedFieldsFilled,omitempty"`

	// unchecked lists the checks without a count, each with why.
	// +optional
	// +listType=map
	// +listMapKey=check
	// +kubebuilder:validation:MaxItems=5
	Unchecked []UncheckedCheck `json:"unchecked,omitempty"`

	// reason is set when the latest attempt to scan the database did not run: the
	// condition reason (`DatabaseNotFound`, `DatabaseNotReady`, `InvalidSpec`,
	// `ScanFailed`). The counts, if any, are then those of scannedAt.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]*$`
	Reason string `json:"reason,omitempty"`

	// message says why the scan could not run, when it could not, for people.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// Count returns the count of a check: nil when the check did not run (see Unchecked).
func (c *DatabaseCompliance) Count(check ComplianceCheck) *int64 {
	if p := c.countField(check); p != nil {
		return *p
	}
	return nil
}

// SetCount sets the count of a check (nil: the check did not run).
func (c *DatabaseCompliance) SetCount(check ComplianceCheck, n *int64) {
	if p := c.countField(check); p != nil {
		*p = n
	}
}

func (c *DatabaseCompliance) countField(check ComplianceCheck) **int64 {
	switch check {
	case CheckNoLegalBasis:
		return &c.NoLegalBasis
	case CheckConsentWithoutEvidence:
		return &c.ConsentWithoutEvidence
	case CheckLegitimateInterestOutOfScope:
		return &c.LegitimateInterestOutOfScope
	case CheckOptedOutInScope:
		return &c.OptedOutInScope
	case CheckRestrictedFieldsFilled:
		return &c.RestrictedFieldsFilled
	}
	return nil
}

// ProcessingActivity is one entry of the record of processing activities (GDPR Art. 30(1)):
// who processes which personal data of whom, why, on which legal basis, shared with whom,
// kept how long and protected how. The operator checks it against the LIA, the retention
// policies and the contacts in the CRM databases, and adds it to the register.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=pa,categories=crmprivacy
// +kubebuilder:printcolumn:name="Basis",type=string,JSONPath=`.spec.legalBasis.basis`
// +kubebuilder:printcolumn:name="LIA",type=string,JSONPath=`.spec.legalBasis.legitimateInterestAssessmentRef.name`
// +kubebuilder:printcolumn:name="Compliant",type=string,JSONPath=`.status.conditions[?(@.type=="Compliant")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="DPIA",type=string,JSONPath=`.status.conditions[?(@.type=="DPIAInPlace")].status`,priority=1
// +kubebuilder:printcolumn:name="Profiling",type=boolean,JSONPath=`.spec.profiling`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ProcessingActivity struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the Art. 30(1) entry.
	// +required
	Spec ProcessingActivitySpec `json:"spec"`

	// status is what the operator found.
	// Until the operator's first pass it holds only observedGeneration 0, so that kstatus
	// (Flux) and Argo CD read a new object as in progress rather than as current.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status ProcessingActivityStatus `json:"status,omitempty,omitzero"`
}

// ProcessingActivityList is a list of ProcessingActivities.
// +kubebuilder:object:root=true
type ProcessingActivityList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's standard metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the ProcessingActivities.
	Items []ProcessingActivity `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ProcessingActivity{}, &ProcessingActivityList{})
}
