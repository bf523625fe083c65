package crm

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// This file holds the operator's keys: one secret is never used for two purposes. A
// configured secret (a tenant's ledger key, the operator's own key) is stretched with
// HKDF-SHA-256 into one key per purpose, so that a value computed for one purpose (a
// ledger HMAC, a Hash anonymisation, a row MAC) can never be replayed as another.

// KeyPurpose names what a derived key is for. It is part of the HKDF info string: changing
// one changes every key derived for it.
type KeyPurpose string

// Key purposes.
const (
	// PurposeLedgerSubject keys the erasure ledger's subject HMACs (from the CRMDatabase's
	// ledger secret).
	PurposeLedgerSubject KeyPurpose = "ledger-subject-hmac"
	// PurposeAnonymiseHash keys the Hash anonymisation strategy (from the CRMDatabase's
	// ledger secret).
	PurposeAnonymiseHash KeyPurpose = "anonymise-hash"
	// PurposeCheckpointMAC authenticates sweep checkpoint rows (from the operator key).
	PurposeCheckpointMAC KeyPurpose = "checkpoint-row-mac"
	// PurposeMarkerMAC authenticates the markers of the roles and logins the operator
	// manages (from the operator key).
	PurposeMarkerMAC KeyPurpose = "marker-row-mac"
	// PurposeLedgerRowMAC authenticates erasure ledger rows (from the operator key).
	PurposeLedgerRowMAC KeyPurpose = "ledger-row-mac"
	// PurposeRequestIdentity keys the identity hash a data-subject request's status
	// carries instead of the identity (internal/crm/dsr/subject.IdentityHash).
	PurposeRequestIdentity KeyPurpose = "request-identity-hmac"
)

// MinSecretBytes is the shortest secret keys are derived from.
const MinSecretBytes = 32

// derivedKeyBytes is the length of every derived key (SHA-256's block output).
const derivedKeyBytes = 32

// DeriveKey returns the key for purpose derived from secret (HKDF-SHA-256, no salt: the
// secret is already uniformly random, and the purpose separates the keys).
func DeriveKey(secret []byte, purpose KeyPurpose) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, "crm-privacy-operator/v1/"+string(purpose), derivedKeyBytes)
	if err != nil {
		// hkdf.Key fails only for an output longer than 255 hash blocks.
		panic(fmt.Sprintf("crm: deriving a %d-byte key: %v", derivedKeyBytes, err))
	}
	return k
}

// KeyID names a key without revealing it: the first 16 hex digits of an HMAC of a fixed
// label under the key. It is stored beside what the key produced (ledger rows), so that a
// rotated key is told apart from the one before it.
func KeyID(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("crm-privacy-operator key id"))
	return hex.EncodeToString(mac.Sum(nil))[:16]
}

// RowMAC authenticates a row the operator wrote in a CRM database: the hex HMAC-SHA-256,
// under key, of the fields, each prefixed by its length so that no two field lists share
// an encoding ("ab","c" differs from "a","bc").
func RowMAC(key []byte, fields ...string) string {
	mac := hmac.New(sha256.New, key)
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		mac.Write(n[:])
		mac.Write([]byte(f))
	}
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyRowMAC reports, in constant time, whether got is RowMAC(key, fields...). An empty
// key verifies nothing.
func VerifyRowMAC(key []byte, got string, fields ...string) bool {
	if len(key) == 0 {
		return false
	}
	return hmac.Equal([]byte(got), []byte(RowMAC(key, fields...)))
}

// ErrNoOperatorKey is returned when an operation must authenticate rows (checkpoints,
// markers) and the Database has no operator key: the rows are not trusted, nothing is done.
var ErrNoOperatorKey = errors.New("the operator key is not configured: rows the operator keeps in CRM databases cannot be authenticated, so none is acted on")

// OperatorKeys are the keys derived from the operator's own secret, which only the
// operator holds (a Secret in its own namespace): neither a tenant nor a CRM user can
// compute them, so a row in a CRM database that carries a valid MAC was written by the
// operator.
type OperatorKeys struct {
	checkpoint []byte
	marker     []byte
	ledgerRow  []byte
}

// NewOperatorKeys derives the operator's keys from its secret, which must have at least
// MinSecretBytes bytes.
func NewOperatorKeys(secret []byte) (OperatorKeys, error) {
	if len(secret) < MinSecretBytes {
		return OperatorKeys{}, fmt.Errorf("the operator key has %d bytes: it needs at least %d random bytes", len(secret), MinSecretBytes)
	}
	return OperatorKeys{checkpoint: DeriveKey(secret, PurposeCheckpointMAC), marker: DeriveKey(secret, PurposeMarkerMAC),
		ledgerRow: DeriveKey(secret, PurposeLedgerRowMAC)}, nil
}

// Configured reports whether the keys were derived from a secret.
func (k OperatorKeys) Configured() bool { return len(k.checkpoint) > 0 }

// CheckpointKey is the key of sweep checkpoint row MACs.
func (k OperatorKeys) CheckpointKey() []byte { return k.checkpoint }

// LedgerRowKey is the key of erasure ledger row MACs.
func (k OperatorKeys) LedgerRowKey() []byte { return k.ledgerRow }

// MarkerKey is the key of the MACs of role and login markers.
func (k OperatorKeys) MarkerKey() []byte { return k.marker }

// SetOperatorKeys sets the keys the Database authenticates its operator rows with.
func (db *Database) SetOperatorKeys(k OperatorKeys) { db.opKeys = k }

// OperatorKeys returns the Database's operator keys, or ErrNoOperatorKey.
func (db *Database) OperatorKeys() (OperatorKeys, error) {
	if !db.opKeys.Configured() {
		return OperatorKeys{}, ErrNoOperatorKey
	}
	return db.opKeys, nil
}
