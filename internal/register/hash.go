package register

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// chainDomain separates chain hashes from any other SHA-256 use.
const chainDomain = "crm-privacy-register/chain/v1"

// Hash returns the content hash of the document: the lowercase hex SHA-256 of Canonical(doc).
func Hash(doc *Document) (string, error) {
	b, err := Canonical(doc)
	if err != nil {
		return "", err
	}
	return HashBytes(b), nil
}

// HashBytes returns the lowercase hex SHA-256 of b.
func HashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ChainHash is the hash that the next revision stores as its previous hash. It commits to the
// revision's number, creation time (RFC 3339, whole seconds, UTC — the precision the API
// keeps), source revision, content hash and previous hash, so each link covers the whole
// history before it. The fields are joined by newlines after a domain line; none of them can
// hold a newline (hashes are hex, the time is RFC 3339, the source revision is written as a
// Go-quoted string), so no value can pass for another field. A revision that records a
// history start above 1 adds it as a seventh line (see Revision.ChainHash).
func ChainHash(number int64, createdAt time.Time, sourceRevision, contentHash, previousHash string) string {
	return chainHash(number, createdAt, sourceRevision, contentHash, previousHash, 1)
}

// chainHash is ChainHash with the history start, written only when above 1 so that the
// revisions of a register without a history limit hash as they always did.
func chainHash(number int64, createdAt time.Time, sourceRevision, contentHash, previousHash string, historyStart int64) string {
	var b strings.Builder
	b.WriteString(chainDomain)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(number, 10))
	b.WriteByte('\n')
	b.WriteString(formatTime(createdAt))
	b.WriteByte('\n')
	b.WriteString(strconv.Quote(sourceRevision))
	b.WriteByte('\n')
	b.WriteString(contentHash)
	b.WriteByte('\n')
	b.WriteString(previousHash)
	if historyStart > 1 {
		b.WriteByte('\n')
		b.WriteString(strconv.FormatInt(historyStart, 10))
	}
	return HashBytes([]byte(b.String()))
}

// formatTime writes a time as the API stores it: RFC 3339 in UTC, whole seconds; the zero
// time is the empty string.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}
