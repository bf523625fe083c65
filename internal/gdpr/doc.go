// Package gdpr holds the GDPR rules the operator applies to the record of processing
// activities, as pure functions of the specs and the time: no Kubernetes client, no SQL,
// no clock of its own. Controllers read the objects, call these rules and write the
// outcome into conditions and findings; the kubectl plugin calls the same rules, so the
// two cannot disagree. Each rule is table-tested.
//
// It owns:
//
//   - Legitimate interests (Art. 6(1)(f)): the state of an assessment at a given time
//     (LIAStateAt: draft, approved, review due within LIAReviewWarning, expired, rejected),
//     whether it covers an activity (CheckLegitimateInterests), and the scope the contacts
//     on legitimate interests must fall within (ContactRulesFor: business contacts only,
//     in the job roles the LIA allows, and only while it is approved and current).
//   - Consent evidence (Art. 7(1)): the fields a database must map to show when and how
//     consent was given (CheckConsentEvidence).
//   - Objection and opt-out (Art. 7(3), Art. 21): which activities an opt-out stops
//     (OptOutApplies), with direct marketing declared in spec.directMarketing rather than
//     guessed from the purposes (MarketingHint only suggests declaring it).
//   - DPIA (Art. 35, EDPB WP248 rev.01): when one is needed (AssessDPIA, CheckDPIA).
//   - Processors and transfers (Art. 28, Chapter V): every processor needs a current
//     Art. 28 contract; processing outside the EEA needs a recorded transfer; a transfer
//     needs an adequacy decision for its country or another safeguard (CheckProcessors,
//     InEEA, Adequacy).
//
// Every outcome names fields and counts, never personal data.
package gdpr
