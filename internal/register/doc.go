// Package register renders the register-relevant specs of a cluster (processing activities,
// legitimate interests assessments, retention terms, access roles, CRM databases) into one
// canonical JSON document, hashes it, chains the hashes of successive register revisions,
// diffs two documents, packs a document into a snapshot that fits a Kubernetes object, and
// exports it as a GDPR Art. 30(1) record of processing activities with the register of
// assessments (Markdown, CSV, JSON, HTML).
//
// # Document
//
// A Document is a sorted list of Entries, each the spec of one object (kind, namespace, name,
// spec as a JSON tree). FromObjects builds it from the API objects. Only specs enter a
// document — never status nor metadata other than the namespace and name — so a status-only
// change, a new resourceVersion or an operator restart yields the same document and the same
// hash. ProcessingActivities and LegitimateInterestAssessments enter whole; RetentionPolicies,
// AccessRoles and CRMDatabases with what the register records of them (terms, grants and
// designations, fields), so that a schedule, a batch size or a password Secret makes no
// revision. The privacy.crmoperator.io/source-revision annotation is carried beside the
// entry, unhashed, for SourceRevision.
//
// # Canonical form
//
// Canonical gives the bytes that are hashed and stored. They follow RFC 8785 (JSON
// Canonicalization Scheme) with two deliberate differences, for nulls and numbers:
//
//   - no insignificant whitespace;
//   - object members sorted by the UTF-16 code units of their names, at every level;
//   - object members whose value is null left out, as Kubernetes treats a null field as an
//     absent one (a deviation from RFC 8785; nulls inside lists are kept);
//   - strings as UTF-8, escaping only '"', '\\' and the control characters below U+0020
//     (\b \t \n \f \r, others as \u00xx in lowercase hex); '<', '>', '&', U+2028 and U+2029
//     are written as they are; invalid UTF-8 becomes U+FFFD;
//   - numbers keep their exact decimal value (specs are decoded with json.Decoder.UseNumber,
//     never through float64) and are written in the ECMAScript Number-to-String layout that
//     RFC 8785 uses: "1.50" → "1.5", "1E3" → "1000", "-0" → "0", "1e21" → "1e+21",
//     "0.0000001" → "1e-7". Unlike RFC 8785 the digits are never rounded to a float64, so
//     an integer such as 12345678901234567890 keeps all its digits;
//   - the document is {"entries":[…],"format":"crm-privacy-register/v1"}, each entry
//     {"kind","name","namespace","spec"}, entries sorted by kind, then namespace, then name.
//
// Hash is the lowercase hex SHA-256 of these bytes, and is what a RegisterRevision calls its
// content hash: `sha256sum` over a decoded snapshot gives the same value.
//
// # Hash chain
//
// Each revision stores the content hash of its snapshot and a previous hash. The previous hash
// of revision 1 is empty; the previous hash of revision N+1 is ChainHash of revision N, the
// SHA-256 of revision N's number, creation time (RFC 3339, seconds, UTC), source revision,
// content hash and previous hash. Each previous hash therefore commits to the whole history
// before it. A revision written under a history limit also records its history start, the
// oldest revision the operator may keep (HistoryStart), which enters its chain hash when above
// 1; the operator prunes only below the latest revision's, so revisions missing before it are
// pruning and revisions missing after it were deleted by someone else (HistoryMissing).
// Verify finds a snapshot edited out of band (content hash mismatch), a revision
// removed, reordered or renumbered, or whose previous hash, creation time or source revision
// was edited (chain break), revision numbers that are not consecutive, and a list of changes
// that does not match the two snapshots it sits between. The oldest revision kept is the
// anchor: when a history limit pruned older ones its previous hash cannot be checked. Like any
// hash chain without an outside anchor, it cannot tell a rewrite of the latest revision
// together with its hashes from a genuine one; the revisions are immutable in the API, and a
// copy of the latest hash kept elsewhere (in git, in a DPO's report) closes that gap.
//
// # Bounds
//
// Fit bounds what each object contributes, so that one namespace cannot make every snapshot
// too large for a RegisterRevision: a spec above MaxEntrySize of canonical JSON, and then the
// largest ones while the encoded document exceeds MaxSnapshotData, are replaced by placeholder
// entries (ExcludedMember: reason, size and SHA-256 of the canonical spec).
//
// # Revisions, diffs, snapshots
//
// Next computes the revision that follows the latest one, or none when the content hash is
// unchanged. Diff lists Added, Modified and Removed entries with the spec paths that changed
// (at most MaxChangedFields per entry, MaxChanges per revision, the count kept). Encode stores
// the canonical JSON as it is up to SnapshotCompressThreshold bytes and as base64 of its gzip
// above; the content hash is always over the canonical JSON.
//
// # Exports
//
// Export and ExportRevision write the record of processing activities (Art. 30(1)) and the
// register of assessments as Markdown, CSV, JSON or HTML. BuildRecord resolves references
// (an activity's LIA, the retention rules that implement its erasure time limits, the DPIAs)
// and words every value; a spec member the layout does not know is printed under "Other
// details", never dropped.
package register
