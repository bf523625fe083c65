package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BreachType is which security property a personal data breach broke (the three kinds of
// breach of the EDPB guidelines 9/2022 on personal data breach notification).
// +kubebuilder:validation:Enum=Confidentiality;Integrity;Availability
type BreachType string

const (
	// BreachConfidentiality is an unauthorised or accidental disclosure of, or access to,
	// personal data (a leaked export, a stolen laptop, an email sent to the wrong people).
	BreachConfidentiality BreachType = "Confidentiality"
	// BreachIntegrity is an unauthorised or accidental alteration of personal data.
	BreachIntegrity BreachType = "Integrity"
	// BreachAvailability is an accidental or unauthorised loss of access to, or destruction
	// of, personal data (ransomware, a lost backup).
	BreachAvailability BreachType = "Availability"
)

// BreachRisk is the controller's assessment of the risk the breach poses to people's rights
// and freedoms, which decides whom it must notify (Art. 33(1) and 34(1)).
// +kubebuilder:validation:Enum=None;Risk;HighRisk
type BreachRisk string

const (
	// RiskNone: the breach is unlikely to result in a risk to people's rights and freedoms.
	// The authority need not be notified (Art. 33(1)), but the breach is documented
	// (Art. 33(5)) with the reasoning.
	RiskNone BreachRisk = "None"
	// RiskRisk: the breach is likely to result in a risk. The supervisory authority must be
	// notified without undue delay and, where feasible, within 72 hours of awareness.
	RiskRisk BreachRisk = "Risk"
	// RiskHigh: the breach is likely to result in a high risk. The authority is notified as
	// for Risk, and the people affected without undue delay (Art. 34(1)), unless an
	// Art. 34(3) exemption applies.
	RiskHigh BreachRisk = "HighRisk"
)

// DataSubjectExemption is the Art. 34(3) condition under which the people affected by a
// high-risk breach need not be told individually.
// +kubebuilder:validation:Enum=DataUnintelligible;RiskNoLongerLikely;DisproportionateEffort
type DataSubjectExemption string

const (
	// ExemptionDataUnintelligible is Art. 34(3)(a): the data was protected so that it is
	// unintelligible to anyone not authorised to access it (encryption with a key that was
	// not compromised).
	ExemptionDataUnintelligible DataSubjectExemption = "DataUnintelligible"
	// ExemptionRiskNoLongerLikely is Art. 34(3)(b): measures taken since ensure the high risk
	// is no longer likely to materialise.
	ExemptionRiskNoLongerLikely DataSubjectExemption = "RiskNoLongerLikely"
	// ExemptionDisproportionateEffort is Art. 34(3)(c): telling each person would involve
	// disproportionate effort; a public communication informs them instead (say which in
	// notNotifiedReason).
	ExemptionDisproportionateEffort DataSubjectExemption = "DisproportionateEffort"
)

// BreachState sums up where the breach stands with the supervisory authority.
// +kubebuilder:validation:Enum=Due;Overdue;Notified;NotifiedLate;NotNotified;NotRequired
type BreachState string

const (
	// BreachStateDue: the authority must be notified and has not been yet; the 72 hours
	// (status.authorityDeadline) have not passed.
	BreachStateDue BreachState = "Due"
	// BreachStateOverdue: the authority must be notified, has not been, and the 72 hours
	// have passed.
	BreachStateOverdue BreachState = "Overdue"
	// BreachStateNotified: the authority was notified within the 72 hours.
	BreachStateNotified BreachState = "Notified"
	// BreachStateNotifiedLate: the authority was notified after the 72 hours; the reasons
	// for the delay are recorded (Art. 33(1)).
	BreachStateNotifiedLate BreachState = "NotifiedLate"
	// BreachStateNotNotified: the controller recorded why it does not notify the authority
	// (notifications.authority.notNotifiedReason).
	BreachStateNotNotified BreachState = "NotNotified"
	// BreachStateNotRequired: the risk is assessed as None, so no notification is required
	// (Art. 33(1)); the reasoning is in spec.riskAssessment.
	BreachStateNotRequired BreachState = "NotRequired"
)

// DataBreachSpec is the Art. 33(5) record of one personal data breach: the facts, its
// effects and the remedial action taken, and the notifications made or the reasons for not
// making them.
// +kubebuilder:validation:XValidation:rule="self.awareAt >= self.detectedAt",message="awareAt must not be before detectedAt: the controller becomes aware of a breach at or after its detection",fieldPath=".awareAt",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="!has(self.occurredAt) || self.occurredAt <= self.detectedAt",message="occurredAt must not be after detectedAt",fieldPath=".occurredAt",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="!has(self.notifications) || !has(self.notifications.authority) || !has(self.notifications.authority.notifiedAt) || self.notifications.authority.notifiedAt >= self.awareAt",message="the authority cannot have been notified before the controller became aware of the breach (awareAt)",fieldPath=".notifications.authority.notifiedAt",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="!has(self.notifications) || !has(self.notifications.dataSubjects) || !has(self.notifications.dataSubjects.notifiedAt) || self.notifications.dataSubjects.notifiedAt >= self.awareAt",message="the data subjects cannot have been notified before the controller became aware of the breach (awareAt)",fieldPath=".notifications.dataSubjects.notifiedAt",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="!has(self.notifications) || !has(self.notifications.authority) || !has(self.notifications.authority.notifiedAt) || self.notifications.authority.notifiedAt <= self.awareAt + duration('72h') || has(self.notifications.authority.lateNotificationReason)",message="the authority was notified more than 72 hours after awareAt: record the reasons for the delay in lateNotificationReason (Art. 33(1))",fieldPath=".notifications.authority.lateNotificationReason",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="has(self.measures) && ((has(self.measures.taken) && size(self.measures.taken) > 0) || (has(self.measures.proposed) && size(self.measures.proposed) > 0))",message="record at least one measure taken or proposed (Art. 33(3)(d))",fieldPath=".measures",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.notifyList) || !self.notifyList.export || self.riskAssessment.level == 'HighRisk'",message="a notify list is produced only for a HighRisk breach (Art. 34(1)): set riskAssessment.level to HighRisk or notifyList.export to false",fieldPath=".notifyList.export",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.notifyList) || !self.notifyList.export || (has(self.databaseRefs) && size(self.databaseRefs) > 0)",message="a notify list needs the databases involved: list them in databaseRefs",fieldPath=".databaseRefs",reason=FieldValueRequired
type DataBreachSpec struct {
	// occurredAt is when the breach happened or started, when it is known.
	// +optional
	OccurredAt *metav1.Time `json:"occurredAt,omitempty"`

	// detectedAt is when the breach was first detected (by anyone: staff, a processor, a
	// monitoring system), as an RFC 3339 instant with its offset, for example
	// `2026-03-28T10:00:00+01:00`.
	// +required
	DetectedAt metav1.Time `json:"detectedAt"`

	// awareAt is when the controller became aware of the breach: when it had a reasonable
	// degree of certainty that a security incident compromised personal data (EDPB
	// guidelines 9/2022). The 72 hours of Art. 33(1) run from this instant:
	// status.authorityDeadline is awareAt plus 72 elapsed hours. Not before detectedAt.
	// +required
	AwareAt metav1.Time `json:"awareAt"`

	// nature says what happened (Art. 33(3)(a)): which security property was broken, and
	// how.
	// +required
	Nature BreachNature `json:"nature"`

	// dataSubjects are the categories and the approximate number of people concerned
	// (Art. 33(3)(a)).
	// +required
	DataSubjects BreachDataSubjects `json:"dataSubjects"`

	// personalData are the categories and the approximate number of personal data records
	// concerned (Art. 33(3)(a)).
	// +required
	PersonalData BreachPersonalData `json:"personalData"`

	// likelyConsequences are the likely consequences of the breach for the people concerned
	// (Art. 33(3)(c)), each in a sentence, for example "phishing emails to the contacts".
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	LikelyConsequences []string `json:"likelyConsequences"`

	// measures are the measures taken or proposed to address the breach and mitigate its
	// effects (Art. 33(3)(d)); at least one is required.
	// +optional
	Measures *BreachMeasures `json:"measures,omitempty"`

	// processingActivityRefs name the ProcessingActivities, in this namespace, whose data
	// the breach concerns.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	ProcessingActivityRefs []LocalObjectReference `json:"processingActivityRefs,omitempty"`

	// databaseRefs name the CRMDatabases, in this namespace, whose contacts the breach
	// concerns. The operator counts the contacts affected in each (status.affected).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	DatabaseRefs []LocalObjectReference `json:"databaseRefs,omitempty"`

	// contactSelector picks, by logical fields, the contacts of databaseRefs that the
	// breach affects (for example `lifecycleStage In [customer]` when only the customers'
	// table leaked). It is the selector of retention rules and activity scopes, compiled by
	// the same compiler. When omitted, every (not soft-deleted) contact of the databases
	// is affected.
	// +optional
	ContactSelector *ContactSelector `json:"contactSelector,omitempty"`

	// riskAssessment is the controller's assessment of the risk to people's rights and
	// freedoms, with its reasoning. It decides which notifications are due.
	// +required
	RiskAssessment BreachRiskAssessment `json:"riskAssessment"`

	// notifications record the notifications made to the supervisory authority and to the
	// people affected, or the reasons for not making them.
	// +optional
	Notifications *BreachNotifications `json:"notifications,omitempty"`

	// notifyList asks the operator for the list of contacts to notify of a HighRisk breach,
	// written into a Secret owned by the breach and deleted after retainFor.
	// +optional
	NotifyList *BreachNotifyList `json:"notifyList,omitempty"`
}

// BreachNature says what happened.
type BreachNature struct {
	// types are the security properties broken: `Confidentiality`, `Integrity`,
	// `Availability` (one breach may be several).
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=3
	Types []BreachType `json:"types"`

	// description says what happened, how it was discovered and what it reached, for
	// example "A CRM export was sent by mistake to an external mailing list".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Description string `json:"description"`
}

// BreachDataSubjects are the people concerned by a breach.
type BreachDataSubjects struct {
	// categories are the categories of people concerned, for example "customer contacts",
	// "B2B prospects".
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Categories []string `json:"categories"`

	// approximateNumber is the approximate number of people concerned, when known. The
	// operator's own count of the affected contacts is in status.affected.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ApproximateNumber *int64 `json:"approximateNumber,omitempty"`
}

// BreachPersonalData are the personal data concerned by a breach.
type BreachPersonalData struct {
	// categories are the categories of personal data concerned, for example "identity",
	// "professional contact details".
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Categories []string `json:"categories"`

	// specialCategories are the special categories of data (Art. 9) concerned, if any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	SpecialCategories []SpecialCategory `json:"specialCategories,omitempty"`

	// approximateRecords is the approximate number of personal data records concerned,
	// when known.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ApproximateRecords *int64 `json:"approximateRecords,omitempty"`
}

// BreachMeasures are the measures taken or proposed to address a breach.
type BreachMeasures struct {
	// taken are the measures already taken, each in a sentence, for example "the export
	// link was revoked".
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	Taken []string `json:"taken,omitempty"`

	// proposed are the measures proposed and not yet taken.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	Proposed []string `json:"proposed,omitempty"`
}

// BreachRiskAssessment is the assessment of the risk a breach poses.
type BreachRiskAssessment struct {
	// level is `None` (unlikely to result in a risk: no notification required), `Risk`
	// (notify the authority within 72 hours) or `HighRisk` (notify the authority and the
	// people affected).
	// +required
	Level BreachRisk `json:"level"`

	// reasoning explains the level: the nature, sensitivity and volume of the data, how
	// easily people can be identified, the severity of the consequences. Required for every
	// level: a breach not notified is still documented with why (Art. 33(5)).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Reasoning string `json:"reasoning"`

	// assessedBy is who assessed the risk (the DPO, the security officer).
	// +optional
	AssessedBy Person `json:"assessedBy,omitempty"`

	// assessedAt is when the risk was assessed.
	// +optional
	AssessedAt *metav1.Time `json:"assessedAt,omitempty"`
}

// BreachNotifications are the notifications of a breach.
type BreachNotifications struct {
	// authority is the notification to the supervisory authority (Art. 33), or why there
	// is none.
	// +optional
	Authority *AuthorityNotification `json:"authority,omitempty"`

	// dataSubjects is the communication to the people affected (Art. 34), or why there is
	// none.
	// +optional
	DataSubjects *DataSubjectNotification `json:"dataSubjects,omitempty"`
}

// AuthorityNotification is the notification of a breach to the supervisory authority, or
// the recorded reason for not notifying it. Omit it while the notification is pending: the
// AuthorityNotificationDue condition then counts down to status.authorityDeadline.
// +kubebuilder:validation:XValidation:rule="has(self.notifiedAt) != has(self.notNotifiedReason)",message="give either notifiedAt (the authority was notified) or notNotifiedReason (why it is not), not both",fieldPath=".notifiedAt",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="!has(self.notifiedAt) || has(self.authorityName)",message="name the supervisory authority that was notified (authorityName)",fieldPath=".authorityName",reason=FieldValueRequired
type AuthorityNotification struct {
	// notifiedAt is when the authority was notified (the first, possibly partial,
	// notification: Art. 33(4) allows the information in phases). Not before awareAt; when
	// later than awareAt plus 72 hours, lateNotificationReason is required.
	// +optional
	NotifiedAt *metav1.Time `json:"notifiedAt,omitempty"`

	// authorityName is the supervisory authority notified, for example "CNIL" or "ICO".
	// Required with notifiedAt.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	AuthorityName string `json:"authorityName,omitempty"`

	// caseNumber is the authority's number for the notification (its case or receipt
	// number).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	CaseNumber string `json:"caseNumber,omitempty"`

	// lateNotificationReason gives the reasons for the delay when the authority was notified
	// more than 72 hours after awareAt (Art. 33(1)).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	LateNotificationReason string `json:"lateNotificationReason,omitempty"`

	// notNotifiedReason records why the authority is not notified, for example "the leaked
	// file was encrypted and the key was not compromised". It closes the 72-hour deadline.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	NotNotifiedReason string `json:"notNotifiedReason,omitempty"`
}

// DataSubjectNotification is the communication of a breach to the people affected, or the
// recorded reason for not making it.
// +kubebuilder:validation:XValidation:rule="has(self.notifiedAt) != has(self.notNotifiedReason)",message="give either notifiedAt (the people were notified) or notNotifiedReason (why they are not), not both",fieldPath=".notifiedAt",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="!has(self.notifiedAt) || has(self.method)",message="say how the people were notified (method)",fieldPath=".method",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.exemption) || has(self.notNotifiedReason)",message="an Art. 34(3) exemption needs notNotifiedReason saying why it applies",fieldPath=".notNotifiedReason",reason=FieldValueRequired
type DataSubjectNotification struct {
	// notifiedAt is when the people affected were notified. Not before awareAt.
	// +optional
	NotifiedAt *metav1.Time `json:"notifiedAt,omitempty"`

	// method says how they were notified, for example "email to each contact" or "letter".
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Method string `json:"method,omitempty"`

	// exemption is the Art. 34(3) condition relied on when the people are not told
	// individually: `DataUnintelligible`, `RiskNoLongerLikely` or `DisproportionateEffort`.
	// +optional
	Exemption DataSubjectExemption `json:"exemption,omitempty"`

	// notNotifiedReason records why the people affected are not notified.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	NotNotifiedReason string `json:"notNotifiedReason,omitempty"`
}

// BreachNotifyList asks for the list of contacts to notify of a HighRisk breach.
type BreachNotifyList struct {
	// export makes the operator, when true, write the notification channels (the mapped
	// `email` and `phone` fields, nothing else) of the affected contacts of each database
	// into a Secret owned by the breach (status.notifyList.secretName). Only for a
	// HighRisk breach with databaseRefs.
	// +required
	Export bool `json:"export"`

	// retainForHours is how long, in hours, the Secret is kept after it is written; the
	// operator deletes it then. Default 168 (7 days), at most 2160 (90 days).
	// +optional
	// +kubebuilder:default=168
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=2160
	RetainForHours *int32 `json:"retainForHours,omitempty"`

	// requestedAt identifies the request, when set: setting a later time asks for a fresh
	// list after the previous one was deleted or when the affected contacts changed.
	// +optional
	RequestedAt *metav1.Time `json:"requestedAt,omitempty"`
}

// DataBreachStatus is what the operator knows of the breach's deadlines and scope.
type DataBreachStatus struct {
	// observedGeneration is the metadata.generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are AuthorityNotificationDue, Overdue, DataSubjectNotificationDue,
	// AffectedCounted and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// state sums up the notification to the authority: `Due`, `Overdue`, `Notified`,
	// `NotifiedLate`, `NotNotified` or `NotRequired`.
	// +optional
	State BreachState `json:"state,omitempty"`

	// authorityDeadline is awareAt plus 72 elapsed hours: the instant by which the
	// authority must be notified (Art. 33(1)). It is an instant, shown in UTC; time zones
	// and daylight-saving changes do not move it.
	// +optional
	AuthorityDeadline *metav1.Time `json:"authorityDeadline,omitempty"`

	// affected gives, for each database of databaseRefs, the number of contacts the
	// contactSelector selects. Counts only, never contacts.
	// +optional
	// +listType=map
	// +listMapKey=database
	// +kubebuilder:validation:MaxItems=16
	Affected []BreachAffectedDatabase `json:"affected,omitempty"`

	// affectedContacts is the sum of status.affected[].contacts over the databases
	// counted; absent until one is.
	// +optional
	// +kubebuilder:validation:Minimum=0
	AffectedContacts *int64 `json:"affectedContacts,omitempty"`

	// notifyList describes the Secret holding the list of contacts to notify, when one was
	// asked for.
	// +optional
	NotifyList *BreachNotifyListStatus `json:"notifyList,omitempty"`
}

// BreachAffectedDatabase is the count of affected contacts in one database.
type BreachAffectedDatabase struct {
	// database is the name of the CRMDatabase.
	// +required
	Database ObjectName `json:"database"`

	// contacts is the number of (not soft-deleted) contacts the contactSelector selects;
	// absent when the database could not be counted (see reason).
	// +optional
	// +kubebuilder:validation:Minimum=0
	Contacts *int64 `json:"contacts,omitempty"`

	// countedAt is when the count was taken.
	// +optional
	CountedAt *metav1.Time `json:"countedAt,omitempty"`

	// reason is set when the latest count could not run: `DatabaseNotFound`,
	// `DatabaseNotReady`, `InvalidSpec` or `ScanFailed`. The count, if any, is then that of
	// countedAt.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]*$`
	Reason string `json:"reason,omitempty"`

	// message says why the count could not run.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// BreachNotifyListStatus describes the Secret holding the list of contacts to notify.
type BreachNotifyListStatus struct {
	// secretName is the Secret, in the breach's namespace, that holds the list: one key per
	// database, `<database>.csv`, with the header `email,phone`.
	// +optional
	SecretName ObjectName `json:"secretName,omitempty"`

	// contacts is how many contacts the list holds, over every database.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Contacts int64 `json:"contacts,omitempty"`

	// unreachable is how many affected contacts have neither an email nor a phone and are
	// not in the list.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Unreachable int64 `json:"unreachable,omitempty"`

	// requestedAt echoes spec.notifyList.requestedAt of the request the list answers.
	// +optional
	RequestedAt *metav1.Time `json:"requestedAt,omitempty"`

	// createdAt is when the Secret was written.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`

	// expiresAt is when the operator deletes the Secret (createdAt plus retainFor).
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// deletedAt is when the operator deleted the Secret.
	// +optional
	DeletedAt *metav1.Time `json:"deletedAt,omitempty"`

	// reason is set when no list could be written: `DatabaseNotReady`, `InvalidSpec`,
	// `ScanFailed` or `NotifyListTooLarge`.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]*$`
	Reason string `json:"reason,omitempty"`

	// message says why no list could be written.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// DataBreach is the record of one personal data breach (GDPR Art. 33(5)): what happened,
// when the controller became aware, whom and which data it concerns, the risk, the
// measures, and the notifications made. The operator computes the 72-hour deadline of
// Art. 33(1) as conditions, counts the affected contacts of the CRM databases, can write
// the list of contacts to notify into a Secret, and adds the breach to the register.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=breach,categories=crmprivacy
// +kubebuilder:printcolumn:name="Risk",type=string,JSONPath=`.spec.riskAssessment.level`
// +kubebuilder:printcolumn:name="Deadline",type=string,JSONPath=`.status.authorityDeadline`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Affected",type=integer,JSONPath=`.status.affectedContacts`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Subjects",type=string,JSONPath=`.status.conditions[?(@.type=="DataSubjectNotificationDue")].reason`,priority=1
// +kubebuilder:printcolumn:name="Aware",type=date,JSONPath=`.spec.awareAt`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DataBreach struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the Art. 33(5) record.
	// +required
	Spec DataBreachSpec `json:"spec"`

	// status is what the operator computed and counted.
	// Until the operator's first pass it holds only observedGeneration 0, so that kstatus
	// (Flux) and Argo CD read a new object as in progress rather than as current.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status DataBreachStatus `json:"status,omitempty,omitzero"`
}

// DataBreachList is a list of DataBreaches.
// +kubebuilder:object:root=true
type DataBreachList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's standard metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the DataBreaches.
	Items []DataBreach `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DataBreach{}, &DataBreachList{})
}
