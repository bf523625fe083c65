// Package erasure carries out retention policies on a CRM database and keeps the proof.
//
// It owns:
//
//   - the plan (plan.go): a RetentionPlan of rules (who expired, by which selector, since
//     creation or since the last interaction, except legal holds) compiled to SQL over the
//     mapping, and CountPlan, which counts what each rule would erase now;
//   - the sweep (sweep.go): SweepBatch erases or anonymises the next batch of one rule in
//     one transaction — dependents first, as the mapping says — in keyset order on the
//     contact key, re-checking the rule inside the transaction;
//   - the checkpoint (checkpoint.go): where a run stopped, written in the batch's
//     transaction and carrying a MAC under the operator key, so that a run resumes exactly
//     after a crash and never from a row the operator did not write (StoredCheckpoint,
//     FinishSweep); LockSweep keeps two replicas from running the same policy at once;
//   - the erasure ledger (ledger.go): one row per erased contact holding a keyed hash of
//     its key (SubjectHMAC), written in the same transaction, unique per (policy, run,
//     subject) and MAC'd, so that a contact is never counted twice and a forged row is
//     never counted (EnsureLedger, InsertLedger, LedgerCount, LedgerRunCounts, PruneLedger).
//
// The ledger and checkpoint tables live in the operator's own schema (package crm's
// operator schema: crm_privacy), out of reach of CRM users. Every function takes a
// *crm.Database; the RetentionPolicy and CRMDatabase controllers call them and build no
// SQL. Nothing here logs or returns a row value: errors carry table and column names,
// counts and identifiers only.
package erasure
