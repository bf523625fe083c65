package subject

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// FieldEmail is the logical field of an email address (as internal/crm/mapping names it).
const FieldEmail = "email"

// MaxIdentityBytes bounds an identity value.
const MaxIdentityBytes = 1024

// ErrEmptyIdentity is returned for an identity that is empty once trimmed.
var ErrEmptyIdentity = errors.New("the identity is empty")

// NormalizeIdentity returns the identity value a request names in the form the database
// is searched with and the identity hash is computed from:
//
//   - every field: leading and trailing white space removed; the value must then be
//     non-empty, valid UTF-8 without NUL characters, and at most MaxIdentityBytes long;
//   - email: also lowercased (Unicode simple case folding to lower case, strings.ToLower),
//     and it must contain one "@" with text on both sides. Email addresses are matched
//     without regard to case (see internal/crm/dsr.Find): "Alice@Example.COM" and
//     "alice@example.com" are the same person.
//
// Other fields (a phone number, a customer number, any custom field) are compared
// exactly, so only trimmed. Errors name the field, never the value.
func NormalizeIdentity(field, value string) (string, error) {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		return "", fmt.Errorf("field %s: %w", field, ErrEmptyIdentity)
	case !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0:
		return "", fmt.Errorf("field %s: the identity must be UTF-8 text without NUL characters", field)
	case len(v) > MaxIdentityBytes:
		return "", fmt.Errorf("field %s: the identity has %d bytes, at most %d are accepted", field, len(v), MaxIdentityBytes)
	}
	if field != FieldEmail {
		return v, nil
	}
	v = strings.ToLower(v)
	at := strings.IndexByte(v, '@')
	if at <= 0 || at == len(v)-1 || strings.Count(v, "@") != 1 || strings.ContainsAny(v, " \t\r\n") {
		return "", fmt.Errorf("field %s: the identity is not an email address (one @ with text on both sides, no spaces)", field)
	}
	return v, nil
}

// IdentityHash returns the keyed hash of an identity that status and events may carry:
// the hex HMAC-SHA-256, under key, of the field name, a NUL byte and the normalised value
// (NormalizeIdentity). Whoever holds the key and an identity can tell whether a request
// was about it; nobody else learns anything from the hash. key should be derived for this
// purpose alone: crm.DeriveKey(secret, crm.PurposeRequestIdentity).
func IdentityHash(key []byte, field, normalized string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(field))
	mac.Write([]byte{0})
	mac.Write([]byte(normalized))
	return hex.EncodeToString(mac.Sum(nil))
}
