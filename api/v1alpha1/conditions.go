package v1alpha1

// Condition types. Every kind carries a Ready condition that sums up the others; the other
// types belong to the kinds named in their comment. A condition is set with
// meta.SetStatusCondition and carries the observedGeneration of the spec it describes.
const (
	// TypeReady is True when the operator reconciled the object's current generation and
	// its spec is in effect: the database is reachable and its mapping valid, the policy is
	// scheduled, the grants are applied, the activity is scanned, the request is carried
	// out. Findings about the data or about what the DPO must still do (contacts that are
	// not compliant, a run waiting for an approval, an LIA due for review, a deadline
	// passed) do not make it False: they have their own conditions (Compliant, Approved,
	// MembersDesignated, Overdue, AuthorityNotificationDue…), and Ready's message names
	// them. False means the operator could not reconcile the object; then either
	// Reconciling (it retries) or Stalled (a person must change something) is True with
	// the same reason. See docs/gitops.md. Every kind.
	TypeReady = "Ready"

	// TypeConnected is True when the operator could open a connection to the CRM database
	// with the credentials of the connection Secret and read its server version.
	// CRMDatabase.
	TypeConnected = "Connected"

	// TypeSchemaValid is True when every table and column of the mapping (after the preset
	// is applied) exists with a fitting type. No erasure runs on a database whose mapping is
	// not valid; status.schemaProblems lists what is wrong. CRMDatabase.
	TypeSchemaValid = "SchemaValid"

	// TypeLedgerReady is True when the erasure ledger table exists in the CRM database and
	// its HMAC key could be read, or when the ledger is disabled. CRMDatabase.
	TypeLedgerReady = "LedgerReady"

	// TypeApproved is True when a person's approval is recorded: on a RetentionPolicy, an
	// approval in spec.approval that covers the current plan beyond the budget; on a
	// LegitimateInterestAssessment, a decision with outcome Approved that is not past its
	// review date. RetentionPolicy, LegitimateInterestAssessment.
	TypeApproved = "Approved"

	// TypeScheduled is True when the policy's schedule and time zone are valid and the next
	// run time is known (status.nextRunAt). False with reason Suspended when spec.suspend is
	// set. RetentionPolicy.
	TypeScheduled = "Scheduled"

	// TypeInSync is True when the privileges the database role holds are exactly the ones
	// declared (nothing missing, nothing extra). AccessRole.
	TypeInSync = "InSync"

	// TypeMembersDesignated is True when every member has a designation record that is
	// current (instructed, not past validUntil). Members without one hold no access.
	// AccessRole.
	TypeMembersDesignated = "MembersDesignated"

	// TypeLegalBasisValid is True when the declared legal basis is usable: for
	// LegitimateInterests the referenced LIA exists, is approved, not expired and covers the
	// activity; for Consent the databases map the consent evidence (consentAt and
	// consentMethod). ProcessingActivity.
	TypeLegalBasisValid = "LegalBasisValid"

	// TypeDPIAInPlace is True when no DPIA is needed, or one is recorded as completed (a
	// reference and a completion date). ProcessingActivity.
	TypeDPIAInPlace = "DPIAInPlace"

	// TypeRetentionDefined is True when the activity has erasure time limits: every
	// referenced RetentionPolicy exists, or limits are described in words.
	// ProcessingActivity.
	TypeRetentionDefined = "RetentionDefined"

	// TypeProcessorsCovered is True when every processor has an Art. 28 contract that is
	// signed and not expired. ProcessingActivity.
	TypeProcessorsCovered = "ProcessorsCovered"

	// TypeCompliant is True when the last compliance scan of the contacts in scope found
	// nothing wrong (see status.compliance). ProcessingActivity.
	TypeCompliant = "Compliant"

	// TypeVerified is True when the revision's snapshot matches its content hash and its
	// previous hash matches the revision before it. RegisterRevision.
	TypeVerified = "Verified"

	// TypeRegistered is False when the register records the object by name and hash only,
	// not its content, because the object is too large for it (reason TooLargeForRegister).
	// Set True again (reason Recorded) once the object fits. Absent on objects that always
	// fitted. ProcessingActivity, LegitimateInterestAssessment, RetentionPolicy, AccessRole,
	// CRMDatabase.
	TypeRegistered = "Registered"

	// TypeAuthorityNotificationDue is True while the supervisory authority must be notified
	// of a breach (risk Risk or HighRisk) and neither a notification nor a reason for not
	// notifying is recorded; its message gives status.authorityDeadline (awareAt + 72 h).
	// Reason NotificationDue before the deadline, DeadlinePassed after it. False with
	// AuthorityNotified, NotifiedLate, NotNotified or NotificationNotRequired. DataBreach.
	TypeAuthorityNotificationDue = "AuthorityNotificationDue"

	// TypeOverdue is True when a deadline the GDPR sets has passed. DataBreach: the 72 hours
	// of Art. 33(1) have passed and the authority has not been notified (reason
	// DeadlinePassed); the operator emits a Warning event once. DataSubjectRequest: the
	// request is not completed and its deadline (status.dueAt) has passed, or it was
	// completed after it.
	TypeOverdue = "Overdue"

	// TypeDataSubjectNotificationDue is True while a HighRisk breach has neither a
	// communication to the people affected nor a reason for not making one (Art. 34),
	// reason NotificationDue. False with DataSubjectsNotified, NotNotified or
	// NotificationNotRequired. DataBreach.
	TypeDataSubjectNotificationDue = "DataSubjectNotificationDue"

	// TypeAffectedCounted is True when the affected contacts of every database of
	// databaseRefs were counted (status.affected). DataBreach.
	TypeAffectedCounted = "AffectedCounted"

	// TypeCompleted is True when a DataSubjectRequest was carried out on every database it
	// applies to (or found no data held). DataSubjectRequest. On a ChangePreview, True once
	// the operator answered (reason Answered) or found that the candidate cannot be answered
	// (the reason says why).
	TypeCompleted = "Completed"

	// TypeRunRequested is True when the last request for a run outside the schedule (the
	// privacy.crmoperator.io/run-requested-at annotation) was answered by a run, False when
	// it was refused (status.lastRunRequest says why). Absent until a run is requested; it
	// never changes Ready. RetentionPolicy.
	TypeRunRequested = "RunRequested"
	// TypeReconciling is True, following the kstatus conventions
	// (sigs.k8s.io/cli-utils/pkg/kstatus), while the operator is still working towards the
	// declared state and will retry by itself: a database not reachable yet, a referenced
	// object that does not exist yet, a run that failed and resumes. Its reason and message
	// are Ready's. Absent when Ready is True or when Stalled is True. Every kind.
	TypeReconciling = "Reconciling"

	// TypeStalled is True, following the kstatus conventions, when the operator cannot
	// reconcile the object until a person changes something: an invalid spec or mapping, an
	// engine that cannot do what the spec asks, a role or checkpoint the operator may not
	// touch. Its reason and message are Ready's. kstatus reads it as Failed and Argo CD as
	// Degraded. Absent otherwise. Every kind.
	TypeStalled = "Stalled"
)

// Condition reasons. A reason is a CamelCase word that programs can match; the condition's
// message says the same for people, with names and counts but never personal data.
const (
	// ReasonReconciled: everything the condition covers was checked and is as declared.
	ReasonReconciled = "Reconciled"
	// ReasonProgressing: the operator is still working towards the declared state (first
	// connection, a run in progress); look again shortly.
	ReasonProgressing = "Progressing"
	// ReasonInvalidSpec: the spec passed the API server's validation but the operator cannot
	// act on it (for example a selector naming a logical field the database does not map);
	// the message says what to change.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonUnsupported: the engine cannot do what the spec asks (row filters on MySQL,
	// roles on SQLite); nothing is applied for that part.
	ReasonUnsupported = "Unsupported"

	// ReasonDatabaseNotFound: the referenced CRMDatabase does not exist in the namespace.
	ReasonDatabaseNotFound = "DatabaseNotFound"
	// ReasonDatabaseNotReady: the referenced CRMDatabase exists but is not Ready, so nothing
	// is read from or written to it.
	ReasonDatabaseNotReady = "DatabaseNotReady"
	// ReasonSecretNotFound: a referenced Secret does not exist in the namespace.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonSecretKeyMissing: a referenced Secret exists but lacks a key the operator needs
	// (for example neither `dsn` nor `host` in the connection Secret).
	ReasonSecretKeyMissing = "SecretKeyMissing"
	// ReasonConnectionFailed: the database could not be reached or refused the credentials.
	ReasonConnectionFailed = "ConnectionFailed"
	// ReasonUnreachable: no server answers at the configured address (connection refused,
	// no route, unknown host). Connected=False; the operator retries with backoff.
	ReasonUnreachable = "Unreachable"
	// ReasonTimeout: the server did not answer in time.
	ReasonTimeout = "Timeout"
	// ReasonAuthenticationFailed: the server refused the user or password from the Secret.
	ReasonAuthenticationFailed = "AuthenticationFailed"
	// ReasonDatabaseMissing: the server has no database of the configured name (or the
	// SQLite file does not exist).
	ReasonDatabaseMissing = "DatabaseMissing"
	// ReasonTLSError: TLS could not be negotiated or the server certificate was rejected.
	ReasonTLSError = "TLSError"
	// ReasonServerUnavailable: the server is starting up or shutting down.
	ReasonServerUnavailable = "ServerUnavailable"
	// ReasonUnsupportedOption: the connection Secret's `dsn` holds an option the operator
	// refuses (one that reads files of the operator's pod, such as MySQL's allowAllFiles or
	// PostgreSQL's passfile or sslrootcert, or any option outside the documented list). The
	// message names the option, never its value; nothing was dialled.
	ReasonUnsupportedOption = "UnsupportedOption"
	// ReasonHostNotAllowed: the database host is outside the manager's
	// --allowed-database-hosts (Helm value manager.allowedDatabaseHosts); nothing was dialled.
	ReasonHostNotAllowed = "HostNotAllowed"
	// ReasonSchemaInvalid: the mapping names a table or column that is missing or of an
	// unfitting type; status.schemaProblems has the details.
	ReasonSchemaInvalid = "SchemaInvalid"
	// ReasonLedgerDisabled: spec.ledger.enabled is false; erasures leave no proof.
	ReasonLedgerDisabled = "LedgerDisabled"
	// ReasonLedgerFailed: the ledger table could not be created or checked.
	ReasonLedgerFailed = "LedgerFailed"

	// ReasonScheduled: the policy runs on its schedule; status.nextRunAt says when.
	ReasonScheduled = "Scheduled"
	// ReasonInvalidSchedule: the cron expression or the time zone cannot be parsed.
	ReasonInvalidSchedule = "InvalidSchedule"
	// ReasonSuspended: spec.suspend is true; no run starts until it is cleared.
	ReasonSuspended = "Suspended"
	// ReasonDryRun: the policy is in DryRun mode; it counts what it would erase
	// (status.pending) and erases nothing.
	ReasonDryRun = "DryRun"
	// ReasonBudgetExceeded: the plan exceeds the safety budget and no approval covers it;
	// nothing was erased. Record an approval in spec.approval or widen the budget.
	ReasonBudgetExceeded = "BudgetExceeded"
	// ReasonApprovalCovers: the plan exceeds the budget and spec.approval covers it.
	ReasonApprovalCovers = "ApprovalCovers"
	// ReasonRunSucceeded: the last run processed every selected contact.
	ReasonRunSucceeded = "RunSucceeded"
	// ReasonRunFailed: the last run stopped on an error; the next run resumes from the
	// checkpoint.
	ReasonRunFailed = "RunFailed"
	// ReasonBudgetReached: the run erased or anonymised as many contacts as its budget or
	// approval allows and stopped; the contacts still selected wait for the next run.
	ReasonBudgetReached = "BudgetReached"
	// ReasonRunStopped: the run in progress stopped because the rules, legal holds, database
	// or budget changed, or the mode was set to DryRun; the rest needs a new plan and budget
	// check.
	ReasonRunStopped = "RunStopped"
	// ReasonCheckpointNotRecorded: the CRM database holds a sweep checkpoint of the policy
	// that does not match the run the operator recorded in status.currentRun (another run
	// id, or a rule position the run never reached). It is not acted on: no run starts or
	// resumes from it, and nothing is erased until it is removed.
	ReasonCheckpointNotRecorded = "CheckpointNotRecorded"
	// ReasonActivityNotFound: the referenced ProcessingActivity does not exist.
	ReasonActivityNotFound = "ActivityNotFound"
	// ReasonPolicyNotFound: a referenced RetentionPolicy does not exist.
	ReasonPolicyNotFound = "PolicyNotFound"

	// ReasonDriftCorrected: privileges granted out of band were revoked, or missing ones
	// granted, to match the spec.
	ReasonDriftCorrected = "DriftCorrected"
	// ReasonGrantFailed: the privileges could not be applied; the transaction was rolled
	// back and the database is as it was.
	ReasonGrantFailed = "GrantFailed"
	// ReasonDesignationMissing: a member has no designation record and was given no access.
	ReasonDesignationMissing = "DesignationMissing"
	// ReasonDesignationExpired: a member's designation is past its validUntil; the member's
	// access was removed.
	ReasonDesignationExpired = "DesignationExpired"
	// ReasonExpired: the object is past its own validUntil or review date (an AccessRole
	// whose grants were revoked, an LIA that needs review).
	ReasonExpired = "Expired"

	// ReasonLIANotFound: the referenced LegitimateInterestAssessment does not exist.
	ReasonLIANotFound = "LIANotFound"
	// ReasonLIANotApproved: the referenced LIA has no Approved decision (draft or rejected).
	ReasonLIANotApproved = "LIANotApproved"
	// ReasonConsentEvidenceMissing: the legal basis is Consent but a database in scope does
	// not map both consentAt and consentMethod, so consent cannot be shown.
	ReasonConsentEvidenceMissing = "ConsentEvidenceMissing"
	// ReasonDPIARequired: the activity meets two or more WP248 criteria or profiles people,
	// and no completed DPIA is recorded.
	ReasonDPIARequired = "DPIARequired"
	// ReasonNotRequired: the check does not apply (no DPIA needed, no processors).
	ReasonNotRequired = "NotRequired"
	// ReasonRetentionMissing: the activity declares no erasure time limit, or references a
	// RetentionPolicy that does not exist.
	ReasonRetentionMissing = "RetentionMissing"
	// ReasonContractMissing: a processor has no Art. 28 contract recorded.
	ReasonContractMissing = "ContractMissing"
	// ReasonContractExpired: a processor's Art. 28 contract is past its expiry date.
	ReasonContractExpired = "ContractExpired"
	// ReasonNonCompliantContacts: the compliance scan found contacts in scope that break a
	// rule (no legal basis, consent without evidence, opted out, restricted fields filled…).
	ReasonNonCompliantContacts = "NonCompliantContacts"
	// ReasonScanFailed: the compliance scan of a database could not run.
	ReasonScanFailed = "ScanFailed"

	// ReasonDraft: the LIA has no decision yet.
	ReasonDraft = "Draft"
	// ReasonApproved: the LIA's decision is Approved and current.
	ReasonApproved = "Approved"
	// ReasonRejected: the LIA's decision is Rejected; activities cannot rely on it.
	ReasonRejected = "Rejected"

	// ReasonChainVerified: the revision's hashes check out against its snapshot and its
	// predecessor.
	ReasonChainVerified = "ChainVerified"

	// Reasons of the LIA, ProcessingActivity and register controllers (issue 6).

	// ReasonReviewDue: the LIA is approved and its review date is less than 30 days away;
	// review it before activities relying on it lose their legal basis.
	ReasonReviewDue = "ReviewDue"
	// ReasonLIAOutOfScope: the activity reaches people the referenced LIA does not cover
	// (its contactSelector or data-subject categories name contact types or job roles
	// outside the LIA's scope).
	ReasonLIAOutOfScope = "LIAOutOfScope"
	// ReasonContractExpiring: a processor's Art. 28 contract expires within 30 days.
	ReasonContractExpiring = "ContractExpiring"
	// ReasonTransferWithoutSafeguard: a processor processes the data outside the EEA and no
	// transfer to its country is recorded with a safeguard, or a transfer relies on an
	// adequacy decision the country does not have.
	ReasonTransferWithoutSafeguard = "TransferWithoutSafeguard"
	// ReasonPolicyForOtherActivity: a referenced RetentionPolicy implements the erasure time
	// limits of another activity (its processingActivityRef names another one).
	ReasonPolicyForOtherActivity = "PolicyForOtherActivity"
	// ReasonNotCheckable: a compliance check could not run on a database because its mapping
	// lacks a logical field the check needs; its count is unknown, not zero.
	ReasonNotCheckable = "NotCheckable"
	// ReasonDirectMarketingUndeclared: spec.directMarketing is not set and a purpose reads
	// like direct marketing; set it to true or false (a Warning finding, no check changes).
	ReasonDirectMarketingUndeclared = "DirectMarketingUndeclared"
	// ReasonPartialAdequacy: a transfer relies on an adequacy decision that covers only some
	// recipients in the country (United States: organisations certified under the EU-US
	// Data Privacy Framework; Canada: organisations subject to PIPEDA); say in its details
	// why the recipient is covered.
	ReasonPartialAdequacy = "PartialAdequacy"
	// ReasonRevisionCreated: the register's content changed and a new RegisterRevision was
	// written.
	ReasonRevisionCreated = "RevisionCreated"
	// ReasonTooLargeForRegister: the object's spec takes more of the register than one object
	// may (64 KiB of canonical JSON), or the register as a whole would exceed the 1 MiB a
	// revision holds and this object is among the largest. The register records its kind,
	// namespace, name and the SHA-256 of its spec, not its content; every other object is
	// recorded as usual. Shorten the spec (split it into several objects).
	ReasonTooLargeForRegister = "TooLargeForRegister"
	// ReasonRecorded: the register records the object's spec in full.
	ReasonRecorded = "Recorded"

	// Reasons of the AccessRole controller (issue 7).

	// ReasonRoleNotManaged: the database role already exists and does not carry the marker
	// of this AccessRole (created by hand, or managed by another AccessRole); the operator
	// leaves it alone. See docs/accessrole.md to adopt it.
	ReasonRoleNotManaged = "RoleNotManaged"
	// ReasonUserNotFound: a member's database user does not exist and the operator does not
	// manage it (no passwordSecretRef); the member holds no access until it is created.
	ReasonUserNotFound = "UserNotFound"
	// ReasonUserNotManaged: a member has a passwordSecretRef but the user exists and was not
	// created by the operator; its password and login are not touched and it is not given
	// the role.
	ReasonUserNotManaged = "UserNotManaged"
	// ReasonDesignationPending: a member's designation or instruction date is in the
	// future; the member gets the role at that time.
	ReasonDesignationPending = "DesignationPending"
	// ReasonCleanupFailed: the AccessRole is being deleted and the role could not be
	// stripped or dropped (it owns objects, or the database cannot be used); the
	// finalizer stays and the operator retries. The message says what blocks it.
	ReasonCleanupFailed = "CleanupFailed"

	// Reasons of the AccessRole trust boundary (issue 14).

	// ReasonUserOwnedElsewhere: a member has a passwordSecretRef but its login was created
	// by the operator for another AccessRole; only that AccessRole may change its password
	// or LOGIN, and it is not given this role.
	ReasonUserOwnedElsewhere = "UserOwnedElsewhere"
	// ReasonUserNotLogin: a member without passwordSecretRef names a role that cannot log
	// in (a group role: every member of it would inherit the role); it is not given the
	// role.
	ReasonUserNotLogin = "UserNotLogin"
	// ReasonUserPrivileged: a member's user holds administrative attributes (superuser,
	// CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS); the operator neither gives it the role
	// nor manages its login.
	ReasonUserPrivileged = "UserPrivileged"
	// ReasonViewBypassesRowFilter: a grant names a view that reads the row-filtered contacts
	// table with its owner's rights (not security_invoker, or a materialized view): it would
	// show every row, so it is not granted.
	ReasonViewBypassesRowFilter = "ViewBypassesRowFilter"
	// ReasonPasswordWithheld: a member's password was not sent, because the database server
	// logs statements and the operator may not switch that off for its own (the verifier
	// would reach the server log).
	ReasonPasswordWithheld = "PasswordWithheld"
	// ReasonLoginsLocked: an AccessRole let go with skip-cleanup: its logins were locked and
	// their sessions ended; its role and privileges were left in the database.
	ReasonLoginsLocked = "LoginsLocked"
	// ReasonMarkerNotVerified: the marker on the database role, or on a member's login,
	// names an AccessRole but its MAC does not verify under the operator's key (written by
	// someone else, copied from another role, or altered); the role or login is left alone.
	// See docs/accessrole.md#which-roles-the-operator-touches.
	ReasonMarkerNotVerified = "MarkerNotVerified"
	// ReasonPasswordUnavailable: a member's login had to be created but the pass had no
	// password for it (its Secret was already sent once, and the login has since been
	// dropped); no login is created without its password, and the operator sends the
	// password again at the next pass.
	ReasonPasswordUnavailable = "PasswordUnavailable"
	// ReasonDeletionNotRecorded: an AccessRole being deleted left its role (or its logins)
	// in the database, and the register did not record that deletion within the time the
	// operator waits for it (status.deletion says what was left); the object was let go.
	ReasonDeletionNotRecorded = "DeletionNotRecorded"
	// ReasonDeletionRecorded: an AccessRole being deleted waits until a RegisterRevision
	// records what its deletion left in the database (status.deletion).
	ReasonDeletionRecorded = "DeletionRecorded"

	// Reasons of the DataBreach controller (issue 20).

	// ReasonNotificationDue: a notification is required and not yet recorded; for the
	// authority, the 72 hours have not passed.
	ReasonNotificationDue = "NotificationDue"
	// ReasonDeadlinePassed: a deadline passed with the duty unmet. DataBreach: the 72 hours
	// after awareAt have passed and the authority has not been notified. DataSubjectRequest:
	// status.dueAt passed before the request was completed.
	ReasonDeadlinePassed = "DeadlinePassed"
	// ReasonAuthorityNotified: the authority was notified within the 72 hours.
	ReasonAuthorityNotified = "AuthorityNotified"
	// ReasonNotifiedLate: the authority was notified after the 72 hours, with the reasons
	// for the delay recorded.
	ReasonNotifiedLate = "NotifiedLate"
	// ReasonNotNotified: the breach records why a notification is not made (an Art. 34(3)
	// exemption for the people affected).
	ReasonNotNotified = "NotNotified"
	// ReasonNotificationNotRequired: the risk assessed does not call for the notification
	// (risk None for the authority; below HighRisk for the people affected).
	ReasonNotificationNotRequired = "NotificationNotRequired"
	// ReasonDataSubjectsNotified: the people affected were notified.
	ReasonDataSubjectsNotified = "DataSubjectsNotified"
	// ReasonNotifyListTooLarge: the list of contacts to notify does not fit in one Secret
	// (1 MiB); no list was written.
	ReasonNotifyListTooLarge = "NotifyListTooLarge"
	// ReasonNotifyListWritten: the list of contacts to notify was written into its Secret.
	ReasonNotifyListWritten = "NotifyListWritten"
	// ReasonNotifyListDeleted: the Secret holding the list of contacts to notify was
	// deleted at the end of its retention.
	ReasonNotifyListDeleted = "NotifyListDeleted"

	// Reasons of the DataSubjectRequest controller (issue 17).

	// ReasonRequestCompleted: the request was carried out on every database; the status
	// counts what was done.
	ReasonRequestCompleted = "RequestCompleted"
	// ReasonNoDataHeld: no database holds a contact with the identity: the request is
	// complete, and "no data held" is the answer the person is given.
	ReasonNoDataHeld = "NoDataHeld"
	// ReasonTooManyMatches: a database holds more matching contacts than spec.maxMatches;
	// nothing was changed until spec.approval covers them (status.awaitingApproval).
	ReasonTooManyMatches = "TooManyMatches"
	// ReasonLegalHold: an Erasure kept some matching contacts because a legal hold applies
	// to them; status.databases[].held counts them. They were not erased.
	ReasonLegalHold = "LegalHold"
	// ReasonIdentityInvalid: the identity Secret holds no usable value for identityField
	// (missing, empty, or not a valid value once normalised), or a Rectification holds no
	// `set.<field>` value or one for a field the database does not map.
	ReasonIdentityInvalid = "IdentityInvalid"
	// ReasonWithinDeadline: the request is not past its deadline (or was completed by it).
	ReasonWithinDeadline = "WithinDeadline"
	// ReasonLookupNotIndexed: the column the identity field maps to has no index that
	// starts with it: each lookup reads the whole contacts table. The request is still
	// carried out; create the index docs/datasubjectrequest.md names.
	ReasonLookupNotIndexed = "LookupNotIndexed"
	// ReasonExportDeleted: the Access export Secret was deleted after spec.exportRetentionHours.
	ReasonExportDeleted = "ExportDeleted"
	// ReasonRequestFailed: the request could not be carried out on a database (the
	// transaction was rolled back); it is retried with backoff.
	ReasonRequestFailed = "RequestFailed"
	// ReasonIdentitySecretKept: the request completed but its identity Secret was not
	// deleted, because it does not carry the label privacy.crmoperator.io/datasubjectrequest
	// with the request's name (the operator deletes only a Secret marked as the request's
	// identity). Delete it by hand.
	ReasonIdentitySecretKept = "IdentitySecretKept"
	// ReasonActivityScopeUnevaluated: a ProcessingActivity's spec.contactSelector could not
	// be evaluated on a database an Access request searched (an unmapped field, a value
	// that does not fit the column): the activity is listed in the export as applying to
	// the person rather than left out. Fix the selector (the activity reports it too).
	ReasonActivityScopeUnevaluated = "ActivityScopeUnevaluated"
	// ReasonRunRequested: a run outside the schedule was asked for (kubectl gdpr run) and a
	// run answers it (status.lastRunRequest.runID).
	ReasonRunRequested = "RunRequested"
	// ReasonInvalidRunRequest: the run-requested-at annotation is not an RFC 3339 time, is
	// not later than the last request answered, or lies more than an hour ahead of the
	// operator's clock: no run starts.
	ReasonInvalidRunRequest = "InvalidRunRequest"
	// ReasonRunRequestRefused: a valid request for a run was refused because the policy is
	// suspended (spec.suspend).
	ReasonRunRequestRefused = "RunRequestRefused"
	// ReasonFindingsExported: the contact keys of a compliance finding were written to the
	// Secret status.findingsExport.secretName.
	ReasonFindingsExported = "FindingsExported"
	// ReasonFindingsExportRefused: a request for a findings export was refused (unknown or
	// inapplicable check, too many keys, a database not ready); nothing was exported.
	ReasonFindingsExportRefused = "FindingsExportRefused"
	// ReasonFindingsExportExpired: the findings export Secret was deleted at the end of its
	// retention.
	ReasonFindingsExportExpired = "FindingsExportExpired"
	// ReasonAnswered: the ChangePreview's status holds the operator's answer; the preview is
	// deleted spec.ttlSecondsAfterAnswered later.
	ReasonAnswered = "Answered"
	// ReasonCountFailed: the database could not count a ChangePreview's plan (connection
	// lost, timeout); the operator retries with backoff and answers nothing meanwhile.
	ReasonCountFailed = "CountFailed"
)
