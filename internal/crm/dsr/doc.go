// Package dsr carries out data-subject requests on a CRM database: every SQL statement of
// an objection (GDPR Art. 21), an erasure (Art. 17), an access export (Art. 15) and a
// rectification (Art. 16). The DataSubjectRequest controller calls it and builds no SQL;
// the driver-free half (identity normalisation and hashing, the export document and its
// rendering) lives in internal/crm/dsr/subject, which the kubectl plugin uses too.
//
// A request runs in two steps on each database:
//
//  1. Find looks the identity up — the value of one mapped logical field, normalised by
//     NormalizeIdentity — and returns the matching contact keys (a Match, kept in memory
//     only; more than MaxMatches is refused). The controller compares the count with the
//     request's maxMatches before acting.
//  2. Object, Erase, Export or Rectify acts on those keys, each in one transaction.
//
// Operations:
//
//   - Object sets the mapped optOut flag (true, 1 or "1" per column type, the selectors'
//     truthiness) and the mapped optOutAt time (a well-known logical field: map it to
//     record when the person objected); contacts already opted out keep their first
//     objection time. No ledger row (the CRM's flag is the record).
//   - Erase erases as a RetentionPolicy's Delete rule does, with the sweep's own code
//     (internal/crm/erasure.ContactEraser): mapped dependents deleted or unlinked, the
//     extension row and the contact row deleted. Contacts held by the mapped legalHold
//     flag or by one of the legal holds passed in (the RetentionPolicies' spec.legalHolds,
//     the same selectors the sweep applies) are skipped and counted, never erased.
//   - Export returns every row the mapping relates to each contact (see Export); the
//     controller adds the register's facts (subject.Document.Register) and renders it
//     with subject.RenderMarkdown and Document.JSON.
//   - CountSelected counts the contacts of keys a selector selects (compiled by the
//     selector compiler, as the compliance scan compiles it): the controller tells the
//     person only the activities whose spec.contactSelector selects one of their contacts.
//   - Rectify sets mapped fields to given values, bound by column type; unknown and
//     protected fields (keys, soft-delete, optOut, optOutAt, legalHold, createdAt,
//     lastContactAt) are refused with a *FieldError naming the field, never the value
//     (CheckRectification runs the same checks without writing).
//
// The ledger: Erase and Rectify, given the CRMDatabase's ledger secret (Request.HMACKey),
// write one row per contact into internal/crm/erasure's ledger in their own transaction:
// run_id = the request's UID, policy = "namespace/name" of the request, rule =
// LedgerRulePrefix + type ("DataSubjectRequest/Erasure"), action "Delete" or "Rectify".
// Policy run ids never equal a request's UID and policy rule names are DNS labels, so a
// RetentionPolicy's counts (erasure.LedgerRunCounts) never include request rows;
// Recorded reads a request's own rows back (after a crash between commit and status).
//
// The index the lookup needs. Find compares, per field and engine:
//
//   - email on PostgreSQL and SQLite: lower(column) = lower(value). Needed index:
//     CREATE INDEX contacts_lower_email_idx ON contacts (lower(email));
//   - email on MySQL/MariaDB: column = value under the column's collation, which must be
//     case-insensitive (the default utf8mb4_*_ci), then an exact byte comparison of the
//     lowercased values. Needed index: CREATE INDEX contacts_email_idx ON contacts
//     (email) (a prefix index such as (email(191)) serves too);
//   - any other field: column = value, exactly. Needed index: ON table (column).
//
// Without the index Find still answers, by scanning the table. CheckLookupIndex asks the
// engine's planner (EXPLAIN) whether the lookup uses an index and returns the statement
// that creates the one needed (LookupIndex.Want), for a condition the DBA can act on. The
// reference schemas (config/samples/crm/generic-*.sql) carry the email index.
//
// Nothing here logs; errors carry table, column and field names and counts, never an
// identity, a key or a value.
package dsr
