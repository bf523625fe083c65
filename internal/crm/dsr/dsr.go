package dsr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
)

// Type is the kind of a data-subject request; the values are those of the
// DataSubjectRequest API's spec.type.
type Type string

const (
	// TypeObjection is an objection to processing (GDPR Art. 21): Object.
	TypeObjection Type = "Objection"
	// TypeErasure is a request for erasure (Art. 17): Erase.
	TypeErasure Type = "Erasure"
	// TypeAccess is a request for access (Art. 15): Export.
	TypeAccess Type = "Access"
	// TypeRectification is a request for rectification (Art. 16): Rectify.
	TypeRectification Type = "Rectification"
)

// Ledger actions of request rows (the sweep's are erasure.ActionDeleteContact and
// erasure.ActionAnonymizeContact).
const (
	// LedgerActionDelete records a contact erased by an Erasure request.
	LedgerActionDelete = erasure.ActionDeleteContact
	// LedgerActionRectify records a contact rectified by a Rectification request.
	LedgerActionRectify = "Rectify"
)

// LedgerRulePrefix starts the rule column of every ledger row a request writes: the rule
// is LedgerRulePrefix + the request's type ("DataSubjectRequest/Erasure"). A
// RetentionPolicy's rule names are DNS labels, so a request row is never taken for a
// policy's, and the run id (the request's UID) is no policy run's either: LedgerRunCounts
// of a policy never counts a request's rows.
const LedgerRulePrefix = "DataSubjectRequest/"

// MaxMatches bounds the contacts one lookup returns: an identity that matches more is
// refused (*TooManyMatchesError) rather than acted on.
const MaxMatches = 1000

// Request is what the CRM layer needs to know about a DataSubjectRequest.
type Request struct {
	// ID is the request's UID: the ledger's run id (at most 64 bytes).
	ID string
	// Name is the request, "namespace/name": the ledger's policy column.
	Name string
	// Type is the request's type: the ledger's rule is LedgerRulePrefix + Type.
	Type Type
	// Now is the time recorded: the objection time (optOutAt) and the ledger's erased_at.
	Now time.Time
	// HMACKey is the target CRMDatabase's ledger secret. With a key, Erase and Rectify
	// write one ledger row per contact (in their own transaction); without one (the
	// CRMDatabase keeps no ledger) they write none.
	HMACKey []byte
}

// Match is the contacts an identity matched in one database: their keys in canonical
// text form (erasure.KeyText), sorted in key order. The keys identify people: keep them
// in memory only, never in status, events or logs.
type Match struct {
	Keys []string
}

// Count is the number of contacts matched.
func (m Match) Count() int { return len(m.Keys) }

// ObjectResult is what Object did.
type ObjectResult struct {
	// Objected is how many contacts it set as opted out.
	Objected int64
	// AlreadyOptedOut is how many were opted out already (left as they were, their
	// objection time included).
	AlreadyOptedOut int64
}

// EraseResult is what Erase did.
type EraseResult struct {
	// Erased is how many contacts it deleted (with their dependents and extension rows).
	Erased int64
	// Held is how many matched contacts a legal hold kept: they are left untouched.
	Held int64
}

// RectifyResult is what Rectify did.
type RectifyResult struct {
	// Rectified is how many contacts it updated.
	Rectified int64
	// Fields are the logical fields it set, sorted.
	Fields []string
}

// TooManyMatchesError says that an identity matched more than MaxMatches contacts.
type TooManyMatchesError struct {
	Field string
}

func (e *TooManyMatchesError) Error() string {
	return fmt.Sprintf("the identity matches more than %d contacts by field %s: refine it", MaxMatches, e.Field)
}

// FieldError is a field of a request that cannot be used: not mapped, not writable, or a
// value that does not fit its column. It names the field, never the value.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return "field " + e.Field + ": " + e.Message }

// ErrNoOptOutField is returned by Object when the mapping has no optOut field.
var ErrNoOptOutField = errors.New("the mapping has no optOut field: map fields[optOut] to record an objection")

// Identity normalisation and hashing live in the driver-free package subject, so that the
// plugin and the controllers use the same rule.
var (
	// NormalizeIdentity is subject.NormalizeIdentity.
	NormalizeIdentity = subject.NormalizeIdentity
	// IdentityHash is subject.IdentityHash.
	IdentityHash = subject.IdentityHash
)

// Recorded returns the ledger rows of the request in db, counted by action: after a crash
// between the commit of an Erase or Rectify and the status update, they are the request's
// true result (the rows were written in the same transaction). Only rows whose MAC
// verifies are counted.
func Recorded(ctx context.Context, db *crm.Database, req Request) (map[string]int64, error) {
	counts, err := erasure.LedgerRunCounts(ctx, db, req.Name, req.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, c := range counts {
		if c.Rule == LedgerRulePrefix+string(req.Type) {
			out[c.Action] += c.Count
		}
	}
	return out, nil
}

func (r Request) check() error {
	switch {
	case r.ID == "":
		return errors.New("the request has no id")
	case r.Name == "":
		return errors.New("the request has no name")
	case r.Now.IsZero():
		return errors.New("the request has no time")
	}
	return nil
}

// ledgerEntries returns one ledger entry per key for the request.
func (r Request) ledgerEntries(action string, keys []any) []erasure.LedgerEntry {
	subjectKey := erasure.LedgerSubjectKey(r.HMACKey)
	keyID := crm.KeyID(subjectKey)
	out := make([]erasure.LedgerEntry, len(keys))
	for i, k := range keys {
		out[i] = erasure.LedgerEntry{RunID: r.ID, Policy: r.Name, Rule: LedgerRulePrefix + string(r.Type), Action: action,
			ErasedAt: r.Now, SubjectHMAC: erasure.SubjectHMAC(subjectKey, erasure.KeyText(k)), KeyID: keyID}
	}
	return out
}
