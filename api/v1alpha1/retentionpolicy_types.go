package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RetentionMode says whether a policy only counts or also erases.
// +kubebuilder:validation:Enum=DryRun;Enforce
type RetentionMode string

const (
	// ModeDryRun counts, on schedule, the contacts each rule would erase (status.pending)
	// and erases nothing. The default: review the plan before enforcing.
	ModeDryRun RetentionMode = "DryRun"
	// ModeEnforce erases or anonymises the selected contacts on schedule, within the safety
	// budget or an approval.
	ModeEnforce RetentionMode = "Enforce"
)

// RetentionSince is the moment a retention term counts from.
// +kubebuilder:validation:Enum=LastContact;Created
type RetentionSince string

const (
	// SinceLastContact counts from the last contact: the later of the mapped
	// `lastContactAt` field and the latest interaction that renews the term (renewedBy).
	// A contact never in touch counts from its creation.
	SinceLastContact RetentionSince = "LastContact"
	// SinceCreated counts from the contact's creation (the mapped `createdAt` field),
	// whatever happened since.
	SinceCreated RetentionSince = "Created"
)

// InteractionDirection says who initiated an interaction.
// +kubebuilder:validation:Enum=Any;Inbound;Outbound
type InteractionDirection string

const (
	// DirectionAny counts interactions whoever initiated them, and those of unknown
	// direction.
	DirectionAny InteractionDirection = "Any"
	// DirectionInbound counts only interactions that came from the person (a call they
	// made, an email they sent): what some regulators require for the term to be renewed.
	DirectionInbound InteractionDirection = "Inbound"
	// DirectionOutbound counts only interactions that came from the company.
	DirectionOutbound InteractionDirection = "Outbound"
)

// RetentionAction is what happens to a contact whose term has run out.
// +kubebuilder:validation:Enum=Delete;Anonymize
type RetentionAction string

const (
	// ActionDelete deletes the contact, its extension row, its dependent rows (as the
	// CRMDatabase's dependents say) and its interaction links.
	ActionDelete RetentionAction = "Delete"
	// ActionAnonymize keeps the contact row (for statistics) and overwrites the listed
	// fields so that the person can no longer be identified.
	ActionAnonymize RetentionAction = "Anonymize"
)

// AnonymizeStrategy is how one field is overwritten when a contact is anonymised.
// +kubebuilder:validation:Enum=Null;Redact;Hash
type AnonymizeStrategy string

const (
	// StrategyNull sets the field to NULL.
	StrategyNull AnonymizeStrategy = "Null"
	// StrategyRedact replaces a text field with a fixed placeholder (`REDACTED`), for
	// columns that do not accept NULL.
	StrategyRedact AnonymizeStrategy = "Redact"
	// StrategyHash replaces the value with a keyed hash (HMAC-SHA-256 with the ledger key,
	// hex): equal values stay equal, for counting duplicates, without revealing them. This is
	// pseudonymisation, not anonymisation, while the key exists.
	StrategyHash AnonymizeStrategy = "Hash"
)

// RunResult is how a retention run ended.
// +kubebuilder:validation:Enum=Succeeded;Failed;BudgetExceeded;DryRun;LimitReached;Stopped
type RunResult string

const (
	// RunSucceeded: every selected contact was processed (or held).
	RunSucceeded RunResult = "Succeeded"
	// RunFailed: the run stopped on an error; the checkpoint lets the next run resume.
	RunFailed RunResult = "Failed"
	// RunBudgetExceeded: the plan was larger than the budget and no approval covered it;
	// nothing was erased.
	RunBudgetExceeded RunResult = "BudgetExceeded"
	// RunDryRun: the policy is in DryRun mode; the run only counted.
	RunDryRun RunResult = "DryRun"
	// RunLimitReached: the run erased or anonymised as many contacts as its budget (or the
	// approval that let it run) allows, and stopped although more were selected; they wait
	// for the next scheduled run, which is checked against the budget again.
	RunLimitReached RunResult = "LimitReached"
	// RunStopped: the run stopped before its end because the rules, legal holds, database or
	// budget changed, or the mode was set to DryRun. What it did stays done; the rest needs
	// a new plan and budget check (see status.currentRun).
	RunStopped RunResult = "Stopped"
)

// AnnotationRunRequestedAt asks for one run of a RetentionPolicy outside its schedule
// (`kubectl gdpr run`). Its value is an RFC 3339 time; the operator answers each new value
// once, in status.lastRunRequest, when it is later than the last one answered.
const AnnotationRunRequestedAt = "privacy.crmoperator.io/run-requested-at"

// RunTrigger says what started a run.
// +kubebuilder:validation:Enum=Schedule;Manual
type RunTrigger string

const (
	// TriggerSchedule: a scheduled time of spec.schedule came.
	TriggerSchedule RunTrigger = "Schedule"
	// TriggerManual: a person asked for the run with the run-requested-at annotation
	// (`kubectl gdpr run`).
	TriggerManual RunTrigger = "Manual"
)

// RunRequestResult is how the operator answered a request for a run.
// +kubebuilder:validation:Enum=Started;DryRun;InProgress;AwaitingApproval;Refused
type RunRequestResult string

const (
	// RunRequestStarted: a run started for the request (runID), or the scheduled run that
	// was due at the same time answered it.
	RunRequestStarted RunRequestResult = "Started"
	// RunRequestDryRun: the policy is in DryRun mode; a dry run counted what an enforced
	// run would erase, and erased nothing.
	RunRequestDryRun RunRequestResult = "DryRun"
	// RunRequestInProgress: a run was already in progress; it answers the request and no
	// second run starts.
	RunRequestInProgress RunRequestResult = "InProgress"
	// RunRequestAwaitingApproval: the run's plan exceeds the safety budget; nothing was
	// erased and the run (runID) waits for spec.approval, as a scheduled run does.
	RunRequestAwaitingApproval RunRequestResult = "AwaitingApproval"
	// RunRequestRefused: no run starts: the annotation is not an RFC 3339 time, is not later
	// than the last request answered, lies too far in the future, or the policy is
	// suspended. message says which.
	RunRequestRefused RunRequestResult = "Refused"
)

// RetentionPolicySpec declares how long contacts are kept and what happens after.
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'Enforce' || !has(self.budget) || !has(self.budget.maxDeletionPercent) || self.budget.maxDeletionPercent > 0",message="mode Enforce needs a budget above zero: a zero maxDeletionPercent would block every run; keep DryRun or raise the budget",fieldPath=".budget.maxDeletionPercent",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="self.rules.map(r, has(r.minimize) && r.minimize ? 1 : 0).isSorted()",message="minimize rules come after every rule with a retainFor: a contact that a minimize rule selects is never seen by the rules after it",fieldPath=".rules",reason=FieldValueInvalid
type RetentionPolicySpec struct {
	// databaseRef names the CRMDatabase, in this namespace, whose contacts the policy
	// applies to.
	// +required
	DatabaseRef LocalObjectReference `json:"databaseRef"`

	// processingActivityRef names the ProcessingActivity, in this namespace, whose erasure
	// time limit (GDPR Art. 30(1)(f)) this policy implements. The register lists the
	// policy's terms under that activity.
	// +required
	ProcessingActivityRef LocalObjectReference `json:"processingActivityRef"`

	// schedule is when the policy runs, as a five-field cron expression (minute, hour, day of
	// month, month, day of week), for example `0 3 * * *` for 03:00 every day, or one of
	// `@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`. Runs
	// missed while the operator was down collapse into one catch-up run.
	// +required
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="self.matches('^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*,/?-]+( +[0-9A-Za-z*,/?-]+){4})$')",message="must be a five-field cron expression (minute hour day-of-month month day-of-week), such as 0 3 * * *, or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually",reason=FieldValueInvalid
	Schedule string `json:"schedule"`

	// timeZone is the IANA time zone the schedule is read in, for example `Europe/Paris`.
	// When omitted, UTC.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+/-]*$`
	TimeZone string `json:"timeZone,omitempty"`

	// mode is `DryRun` (the default: count what would be erased, erase nothing) or
	// `Enforce` (erase on schedule, within the budget).
	// +optional
	// +kubebuilder:default=DryRun
	Mode RetentionMode `json:"mode,omitempty"`

	// suspend stops new runs while true; a run in progress finishes its current batch and
	// stops. Counting (status.pending) goes on.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// rules are the retention rules, evaluated in order. A rule selects the contacts its
	// selector matches whose term has run out (a `minimize` rule: every contact its selector
	// matches); a contact is acted on by the first rule that selects it, and the ledger
	// records that rule. Put narrow rules (prospects: 24 months) before broad ones (everyone
	// else: 10 years), and `minimize` rules last.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	Rules []RetentionRule `json:"rules"`

	// legalHolds exclude contacts from every rule, whatever their term: a dispute, an audit,
	// a claim. Contacts whose mapped `legalHold` field is true are always excluded too.
	// Held contacts are counted in the run's `held` figure.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	LegalHolds []LegalHold `json:"legalHolds,omitempty"`

	// batchSize is how many contacts, in key order, each transaction examines (a window of
	// the next batchSize contact keys; a contact the CRM inserts inside the window while the
	// batch runs is examined too): it erases the ones a rule selects among them, at most
	// batchSize. Smaller batches hold locks for less time; each batch is one short
	// transaction.
	// +optional
	// +kubebuilder:default=500
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	BatchSize *int32 `json:"batchSize,omitempty"`

	// workers is how many batches of a run erase at once, each in its own transaction on
	// its own connection and its own share of the contacts (blocks of 128
	// consecutive contact keys, dealt out in turn), so that a run uses several of the database server's cores. At most the
	// CRMDatabase's maxOpenConns less one (the sweep's lock holds a connection). SQLite
	// (one writer at a time) and contacts with text keys always use one. A run keeps the
	// number it started with; a change applies from the next run.
	// +optional
	// +kubebuilder:default=2
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=8
	Workers *int32 `json:"workers,omitempty"`

	// budget is the safety budget: a run that would erase more than it allows erases nothing
	// and waits for an approval (spec.approval).
	// +optional
	// +kubebuilder:default={}
	Budget *RetentionBudget `json:"budget,omitempty"`

	// approval records a person's go-ahead for one plan larger than the budget: the run
	// named by approval.runID, planned with the spec whose hash is approval.specHash, up to
	// approval.maxDeletions contacts. Copy runID and specHash from status.awaitingApproval.
	// A later run, a changed spec (rules, legal holds, database, budget) or a larger plan
	// needs a new approval.
	// +optional
	Approval *RetentionApproval `json:"approval,omitempty"`
}

// RetentionRule is one retention term for the contacts its selector matches.
// +kubebuilder:validation:XValidation:rule="self.action != 'Anonymize' || (has(self.anonymize) && size(self.anonymize) > 0)",message="action Anonymize needs at least one field in anonymize",fieldPath=".anonymize",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.action != 'Delete' || !has(self.anonymize) || size(self.anonymize) == 0",message="anonymize is only used with action Anonymize",fieldPath=".anonymize",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.renewedBy) || !has(self.since) || self.since == 'LastContact'",message="renewedBy only applies to terms counted since LastContact",fieldPath=".renewedBy",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="has(self.retainFor) || (has(self.minimize) && self.minimize)",message="retainFor is required, unless minimize is true (clear the anonymize fields of every contact the selector matches, now)",fieldPath=".retainFor",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.minimize) || !self.minimize || !has(self.retainFor)",message="a minimize rule has no term: it clears the fields of every contact the selector matches, whatever its last contact; remove retainFor or minimize",fieldPath=".retainFor",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.minimize) || !self.minimize || self.action == 'Anonymize'",message="minimize clears fields: it needs action Anonymize; deleting contacts needs a retainFor",fieldPath=".action",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="!has(self.minimize) || !self.minimize || (!has(self.renewedBy) && (!has(self.since) || self.since == 'LastContact'))",message="since and renewedBy do not apply to a minimize rule, which has no term",fieldPath=".minimize",reason=FieldValueForbidden
type RetentionRule struct {
	// name identifies the rule in status, metrics and the erasure ledger, for example
	// `prospects`.
	// +required
	Name ItemName `json:"name"`

	// selector picks the contacts the rule applies to, by logical fields. When omitted, the
	// rule applies to every contact.
	// +optional
	Selector *ContactSelector `json:"selector,omitempty"`

	// retainFor is how long a contact is kept after the `since` moment: a number and a unit,
	// `d` (days), `m` (months) or `y` (years), for example `24m` or `10y`. Required, except
	// in a `minimize` rule, which has none.
	// +optional
	RetainFor RetentionTerm `json:"retainFor,omitempty"`

	// minimize makes the rule, when true, a data minimisation rule: it clears the fields
	// listed in `anonymize` on every contact the selector matches, now, whatever its last
	// contact, and has no `retainFor`. Only with action `Anonymize`; the contact's
	// dependents are left as they are. Contacts whose listed fields are already cleared are
	// not selected again. Minimize rules come after every rule with a term: they never hide a
	// contact from a retention rule.
	// +optional
	Minimize *bool `json:"minimize,omitempty"`

	// since is the moment the term counts from: `LastContact` (the default: the last
	// interaction that renews the term, or the mapped lastContactAt) or `Created`.
	// +optional
	// +kubebuilder:default=LastContact
	Since RetentionSince `json:"since,omitempty"`

	// renewedBy says which interactions renew the term. When omitted, every interaction of
	// every source, in either direction, renews it.
	// +optional
	RenewedBy *RenewalSpec `json:"renewedBy,omitempty"`

	// action is what happens when the term has run out: `Delete` or `Anonymize`.
	// +required
	Action RetentionAction `json:"action"`

	// anonymize lists the fields overwritten by `Anonymize`, each with its strategy.
	// Required for `Anonymize`, not allowed for `Delete`. Fields that hold personal data and
	// are left out keep their value: list every personal field.
	// +optional
	// +listType=map
	// +listMapKey=field
	// +kubebuilder:validation:MaxItems=64
	Anonymize []AnonymizeField `json:"anonymize,omitempty"`
}

// RenewalSpec says which interactions renew a retention term.
type RenewalSpec struct {
	// kinds are the interaction kinds that renew the term, as the interaction sources name
	// them (their kind column or fixedKind), for example `call`. When empty, any kind does.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=64
	Kinds []string `json:"kinds,omitempty"`

	// direction is `Any` (the default), `Inbound` (only contact initiated by the person) or
	// `Outbound`.
	// +optional
	// +kubebuilder:default=Any
	Direction InteractionDirection `json:"direction,omitempty"`
}

// AnonymizeField is one field overwritten by anonymisation.
type AnonymizeField struct {
	// field is the logical field overwritten, for example `email`.
	// +required
	Field LogicalFieldName `json:"field"`

	// strategy is `Null` (set to NULL), `Redact` (a fixed placeholder) or `Hash` (a keyed
	// hash of the value).
	// +required
	Strategy AnonymizeStrategy `json:"strategy"`
}

// LegalHold excludes contacts from erasure.
type LegalHold struct {
	// name identifies the hold, for example `dispute-2026-014`.
	// +required
	Name ItemName `json:"name"`

	// reason says why the contacts are held, for the record (a case number, an authority's
	// request). Do not put personal data here.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason"`

	// selector picks the held contacts by logical fields.
	// +required
	Selector ContactSelector `json:"selector"`
}

// RetentionBudget bounds what one run may erase without an approval.
type RetentionBudget struct {
	// maxDeletionPercent is the share of the database's contacts one run may erase or
	// anonymise, from 0 to 100 (default 10). 0 means every run needs an approval, which
	// mode Enforce does not allow.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MaxDeletionPercent *int32 `json:"maxDeletionPercent,omitempty"`

	// maxDeletionsPerRun is an absolute cap on the contacts one run may erase or anonymise,
	// applied on top of maxDeletionPercent. When omitted, only the percentage applies.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000000
	MaxDeletionsPerRun *int64 `json:"maxDeletionsPerRun,omitempty"`
}

// RetentionApproval is a person's recorded go-ahead for a plan beyond the budget.
type RetentionApproval struct {
	// approvedBy is who approved (name or user name), for accountability.
	// +required
	ApprovedBy Person `json:"approvedBy"`

	// approvedAt is when the approval was given (RFC 3339, for example
	// `2026-11-20T09:30:00Z`).
	// +required
	ApprovedAt metav1.Time `json:"approvedAt"`

	// runID is the run the approval is for, as status.awaitingApproval.runID gives it. The
	// approval lets that run go, and no other: the next scheduled run is checked against the
	// budget again.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	RunID string `json:"runID"`

	// specHash is the status.awaitingApproval.specHash of the plan approved: a hash of the
	// rules, legal holds, database and budget it was counted with. When any of them changes,
	// the approval no longer applies.
	// +required
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-f]{64}$')",message="must be the 64 lowercase hexadecimal digits of status.awaitingApproval.specHash",reason=FieldValueInvalid
	SpecHash string `json:"specHash"`

	// maxDeletions is the plan size the approval covers: the approved run may erase or
	// anonymise up to this many contacts, and stops there. Compare with
	// status.awaitingApproval.planned before approving.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000000
	MaxDeletions int64 `json:"maxDeletions"`

	// reason says why the larger erasure is right (a first clean-up of years of backlog).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason,omitempty"`
}

// RetentionPolicyStatus is what the policy found and did.
type RetentionPolicyStatus struct {
	// observedGeneration is the metadata.generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Scheduled, Approved and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// totalContacts is the number of contacts in the database at the last count, the base of
	// maxDeletionPercent.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TotalContacts *int64 `json:"totalContacts,omitempty"`

	// pending is the number of contacts the rules select now, after legal holds: what the
	// next run would erase or anonymise.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Pending *int64 `json:"pending,omitempty"`

	// held is the number of contacts the rules select now that a legal hold or a `Hold`
	// dependent keeps (the sum of rules[].held).
	// +optional
	// +kubebuilder:validation:Minimum=0
	Held *int64 `json:"held,omitempty"`

	// rules gives the pending and held counts of each rule.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Rules []RulePending `json:"rules,omitempty"`

	// lastScheduledAt is the scheduled time the last run stood for; runs missed before it are
	// not run again.
	// +optional
	LastScheduledAt *metav1.Time `json:"lastScheduledAt,omitempty"`

	// nextRunAt is when the next run is scheduled.
	// +optional
	NextRunAt *metav1.Time `json:"nextRunAt,omitempty"`

	// lastRun is the outcome of the last run, rule by rule.
	// +optional
	LastRun *RetentionRun `json:"lastRun,omitempty"`

	// history holds the last 10 runs, newest first.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	History []RunRecord `json:"history,omitempty"`

	// checkpoint is where an interrupted run resumes: the next run continues after lastKey
	// in that rule instead of starting over, so no contact is counted twice.
	// +optional
	Checkpoint *SweepCheckpoint `json:"checkpoint,omitempty"`

	// specHash is a hash (SHA-256, hex) of what decides what a run erases: the database, the
	// rules, the legal holds and the budget (not the schedule, mode, batch size or
	// approval). A run records the hash it started with and stops when it changes; an
	// approval names the hash of the plan it approves.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SpecHash string `json:"specHash,omitempty"`

	// awaitingApproval is the due run that the budget stopped, with what an approval must
	// name to let it go. It stays until that run starts.
	// +optional
	AwaitingApproval *ApprovalRequest `json:"awaitingApproval,omitempty"`

	// currentRun is the run the operator started and has not finished: the only run it
	// resumes. A sweep checkpoint in the CRM database that names another run is reported
	// and left alone.
	// +optional
	CurrentRun *CurrentRun `json:"currentRun,omitempty"`

	// lastRunRequest is the operator's answer to the last request for a run outside the
	// schedule (the privacy.crmoperator.io/run-requested-at annotation, set by
	// `kubectl gdpr run`).
	// +optional
	LastRunRequest *RunRequestStatus `json:"lastRunRequest,omitempty"`
}

// RunRequestStatus is how the operator answered a request for a run.
type RunRequestStatus struct {
	// requestedAt is the annotation's value as it was read: a new value is a new request.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	RequestedAt string `json:"requestedAt"`

	// answeredAt is when the operator answered it.
	// +required
	AnsweredAt metav1.Time `json:"answeredAt"`

	// result is `Started`, `DryRun`, `InProgress`, `AwaitingApproval` or `Refused`.
	// +required
	Result RunRequestResult `json:"result"`

	// runID is the run that answers the request (empty when refused). Its outcome is in
	// status.lastRun and status.history once it ends.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	RunID string `json:"runID,omitempty"`

	// message explains the answer in a sentence.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// ApprovalRequest is a due run that waits for an approval.
type ApprovalRequest struct {
	// runID is the run waiting; copy it into spec.approval.runID.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	RunID string `json:"runID"`

	// scheduledAt is the scheduled time the run stands for; the rules' cutoffs are counted
	// back from it.
	// +required
	ScheduledAt metav1.Time `json:"scheduledAt"`

	// specHash is the hash of the spec the plan was counted with; copy it into
	// spec.approval.specHash.
	// +required
	// +kubebuilder:validation:MaxLength=64
	SpecHash string `json:"specHash"`

	// planned is the number of contacts the rules select now: spec.approval.maxDeletions
	// must be at least this.
	// +required
	// +kubebuilder:validation:Minimum=0
	Planned int64 `json:"planned"`

	// limit is the largest plan the budget allows without an approval.
	// +required
	// +kubebuilder:validation:Minimum=0
	Limit int64 `json:"limit"`

	// trigger is what asked for the waiting run: `Schedule` or `Manual`. A manual run waits
	// like a scheduled one, and starts once spec.approval covers it.
	// +optional
	Trigger RunTrigger `json:"trigger,omitempty"`
}

// CurrentRun is the operator's record of the run it started: what it was started with and
// how far it may go. Runs start only on schedule, within the budget or an approval; this
// record, not the checkpoint kept in the CRM database, says which run may be resumed and
// with which cutoffs.
type CurrentRun struct {
	// runID is the run in progress; the sweep checkpoint in the database must name it. It is
	// empty after a run stopped on a change (result Stopped), until a new run takes over the
	// same scheduled time.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	RunID string `json:"runID,omitempty"`

	// attempt numbers the runs of one scheduled time: 1 for the first, 2 for the run that
	// takes over after a stop, and so on. Run ids after the first end in `-<attempt>`.
	// +required
	// +kubebuilder:validation:Minimum=1
	Attempt int32 `json:"attempt"`

	// scheduledAt is the scheduled time the run stands for. Each rule's cutoff is
	// scheduledAt minus its retainFor, never a later time.
	// +required
	ScheduledAt metav1.Time `json:"scheduledAt"`

	// startedAt is when the run started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`

	// mode is the mode the run was started in (Enforce).
	// +optional
	Mode RetentionMode `json:"mode,omitempty"`

	// trigger is what started the run: `Schedule` or `Manual`. A run that takes over after
	// a stop keeps it.
	// +optional
	Trigger RunTrigger `json:"trigger,omitempty"`

	// specHash is status.specHash when the run started. A run whose spec hash changes stops.
	// +required
	// +kubebuilder:validation:MaxLength=64
	SpecHash string `json:"specHash"`

	// rules are the names of the rules the run was started with, in order.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Rules []ItemName `json:"rules,omitempty"`

	// limit is the most contacts the run may erase or anonymise: what the budget allowed
	// when it started, or the maxDeletions of the approval that let it run. The run stops
	// there, however many contacts become eligible meanwhile.
	// +required
	// +kubebuilder:validation:Minimum=0
	Limit int64 `json:"limit"`

	// approved is true when spec.approval let the run start.
	// +optional
	Approved bool `json:"approved,omitempty"`

	// spent is the number of contacts erased or anonymised, for the same scheduled time, by
	// earlier runs that stopped on a change. They count against the budget of the runs that
	// take over.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Spent int64 `json:"spent,omitempty"`
}

// RulePending is the pending count of one rule.
type RulePending struct {
	// name is the rule's name.
	// +required
	Name ItemName `json:"name"`

	// pending is the number of contacts the rule selects now.
	// +required
	// +kubebuilder:validation:Minimum=0
	Pending int64 `json:"pending"`

	// held is the number of contacts the rule selects now that are kept instead: a legal
	// hold (the mapped legalHold field or an entry of spec.legalHolds) or a row of a
	// dependent table the CRMDatabase maps with onDelete `Hold` applies to them. They are
	// not in pending.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Held int64 `json:"held,omitempty"`
}

// RunRecord sums up one run.
type RunRecord struct {
	// runID identifies the run; the erasure ledger rows of the run carry it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	RunID string `json:"runID"`

	// mode is the mode the run ran in.
	// +optional
	Mode RetentionMode `json:"mode,omitempty"`

	// trigger is what started the run: `Schedule` or `Manual` (`kubectl gdpr run`). Empty
	// in records written before the field existed: those were scheduled.
	// +optional
	Trigger RunTrigger `json:"trigger,omitempty"`

	// result is how the run ended: `Succeeded`, `Failed`, `BudgetExceeded` or `DryRun`.
	// +optional
	Result RunResult `json:"result,omitempty"`

	// startedAt is when the run started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`

	// finishedAt is when the run ended.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`

	// planned is the number of contacts the rules selected when the run started.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Planned int64 `json:"planned,omitempty"`

	// erased is the number of contacts deleted.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Erased int64 `json:"erased,omitempty"`

	// anonymized is the number of contacts anonymised.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Anonymized int64 `json:"anonymized,omitempty"`

	// held is the number of contacts skipped because of a legal hold.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Held int64 `json:"held,omitempty"`

	// failed is the number of contacts that could not be processed.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Failed int64 `json:"failed,omitempty"`

	// message explains the result in a sentence, with counts only.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// RetentionRun is the outcome of a run with its per-rule figures.
type RetentionRun struct {
	// RunRecord gives the run's identity, outcome and totals, as in status.history.
	RunRecord `json:",inline"`

	// rules gives the figures of each rule.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Rules []RuleRunCounts `json:"rules,omitempty"`
}

// RuleRunCounts is what one rule did in a run.
type RuleRunCounts struct {
	// name is the rule's name.
	// +required
	Name ItemName `json:"name"`

	// erased is the number of contacts the rule deleted.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Erased int64 `json:"erased,omitempty"`

	// anonymized is the number of contacts the rule anonymised.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Anonymized int64 `json:"anonymized,omitempty"`

	// held is the number of contacts the rule selected that a legal hold kept.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Held int64 `json:"held,omitempty"`

	// failed is the number of contacts the rule could not process.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Failed int64 `json:"failed,omitempty"`
}

// SweepCheckpoint is how far an interrupted run got.
type SweepCheckpoint struct {
	// runID is the run the checkpoint belongs to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	RunID string `json:"runID"`

	// rule is the rule in progress.
	// +required
	Rule ItemName `json:"rule"`

	// lastKey is the contact key of the last contact committed, as text. A run with several
	// workers keeps one position per worker: "workers:" and the positions, comma-separated
	// ("" before a worker's first batch, "*" once it has finished its share of the rule).
	// Keys are pseudonymous identifiers; map a column that carries no personal data as the
	// key.
	// +required
	// +kubebuilder:validation:MaxLength=256
	LastKey string `json:"lastKey"`

	// updatedAt is when the checkpoint was written.
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
}

// RetentionPolicy deletes or anonymises the contacts of a CRMDatabase whose retention term
// has run out, on a schedule, in DryRun mode until told to enforce, within a safety budget.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=rp,categories=crmprivacy
// +kubebuilder:printcolumn:name="Database",type=string,JSONPath=`.spec.databaseRef.name`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
// +kubebuilder:printcolumn:name="Last run",type=date,JSONPath=`.status.lastRun.finishedAt`
// +kubebuilder:printcolumn:name="Erased",type=integer,JSONPath=`.status.lastRun.erased`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pending`
// +kubebuilder:printcolumn:name="Next run",type=string,JSONPath=`.status.nextRunAt`
// +kubebuilder:printcolumn:name="Approved",type=string,JSONPath=`.status.conditions[?(@.type=="Approved")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Activity",type=string,JSONPath=`.spec.processingActivityRef.name`,priority=1
// +kubebuilder:printcolumn:name="Schedule",type=string,JSONPath=`.spec.schedule`,priority=1
// +kubebuilder:printcolumn:name="Suspended",type=boolean,JSONPath=`.spec.suspend`,priority=1
// +kubebuilder:printcolumn:name="Anonymized",type=integer,JSONPath=`.status.lastRun.anonymized`,priority=1
// +kubebuilder:printcolumn:name="Held",type=integer,JSONPath=`.status.held`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RetentionPolicy struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the policy: rules, schedule, mode, safety budget.
	// +required
	Spec RetentionPolicySpec `json:"spec"`

	// status is what the policy found and did.
	// Until the operator's first pass it holds only observedGeneration 0, so that kstatus
	// (Flux) and Argo CD read a new object as in progress rather than as current.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status RetentionPolicyStatus `json:"status,omitempty,omitzero"`
}

// RetentionPolicyList is a list of RetentionPolicies.
// +kubebuilder:object:root=true
type RetentionPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's standard metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the RetentionPolicies.
	Items []RetentionPolicy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&RetentionPolicy{}, &RetentionPolicyList{})
}
