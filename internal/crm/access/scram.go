package access

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // mysql_native_password is defined with SHA-1.
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// Passwords of the users the operator manages are hashed here, so that the cleartext never
// reaches the server, its logs or pg_stat_statements: PostgreSQL gets a SCRAM-SHA-256
// verifier (RFC 5802, RFC 7677, in the format of PostgreSQL's pg_authid), MySQL/MariaDB a
// mysql_native_password hash.

// ScramIterations is the PBKDF2 iteration count of the verifiers (PostgreSQL's default).
const ScramIterations = 4096

// scramSaltLength is the length of the random salt (PostgreSQL's default).
const scramSaltLength = 16

var scramVerifierRE = regexp.MustCompile(`^SCRAM-SHA-256\$([0-9]{1,9}):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$`)

// NewScramVerifier returns a SCRAM-SHA-256 verifier for password with a random salt.
func NewScramVerifier(password string) (string, error) {
	salt := make([]byte, scramSaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("while drawing a salt: %w", err)
	}
	return ScramVerifier(password, salt, ScramIterations)
}

// ScramVerifier computes the verifier PostgreSQL stores for password:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, with
// SaltedPassword = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, iterations),
// StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key")) and
// ServerKey = HMAC(SaltedPassword, "Server Key").
func ScramVerifier(password string, salt []byte, iterations int) (string, error) {
	if iterations < 1 || len(salt) == 0 {
		return "", fmt.Errorf("a SCRAM verifier needs a salt and at least one iteration")
	}
	salted, err := pbkdf2.Key(sha256.New, SASLprep(password), salt, iterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("while deriving the SCRAM key: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	serverKey := hmacSHA256(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(storedKey[:]), b64(serverKey)), nil
}

// ScramVerifierMatches reports whether verifier (as stored in pg_authid) was computed
// from password.
func ScramVerifierMatches(verifier, password string) bool {
	m := scramVerifierRE.FindStringSubmatch(verifier)
	if m == nil {
		return false
	}
	iterations, err := strconv.Atoi(m[1])
	if err != nil {
		return false
	}
	salt, err := base64.StdEncoding.DecodeString(m[2])
	if err != nil {
		return false
	}
	want, err := ScramVerifier(password, salt, iterations)
	return err == nil && hmac.Equal([]byte(want), []byte(verifier))
}

// validScramVerifier reports whether v has the exact shape of a verifier, so that it can
// be written between quotes in a statement.
func validScramVerifier(v string) bool { return scramVerifierRE.MatchString(v) }

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// MySQLNativePassword returns the mysql_native_password hash of password:
// "*" followed by the upper-case hex of SHA-1(SHA-1(password)).
func MySQLNativePassword(password string) string {
	first := sha1.Sum([]byte(password)) //nolint:gosec // the format is SHA-1.
	second := sha1.Sum(first[:])        //nolint:gosec // the format is SHA-1.
	return "*" + strings.ToUpper(hex.EncodeToString(second[:]))
}

var mysqlNativeRE = regexp.MustCompile(`^\*[0-9A-F]{40}$`)

// SASLprep prepares a password as PostgreSQL does before SCRAM (RFC 4013, SASLprep):
// an ASCII password is used as is; otherwise non-ASCII spaces are mapped to a space,
// characters "commonly mapped to nothing" are removed and the result is normalised to
// NFKC. When the input is not valid UTF-8 or the prepared string would contain a
// prohibited character or break the bidirectional rule, the password is used as it was
// given — PostgreSQL does the same, so that any password still works.
//
// The character tables are those of RFC 3454; code points unassigned in Unicode 3.2 but
// assigned since are treated as assigned (PostgreSQL treats them as prohibited, which
// makes a difference only for a password that mixes them with characters that
// normalisation changes).
func SASLprep(password string) string {
	if isASCII(password) || !utf8.ValidString(password) {
		return password
	}
	var b strings.Builder
	for _, r := range password {
		switch {
		case mappedToNothing(r):
		case nonASCIISpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	prepared := norm.NFKC.String(b.String())
	if prepared == "" || prohibitedString(prepared) || !bidiOK(prepared) {
		return password
	}
	return prepared
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// mappedToNothing is RFC 3454 table B.1.
func mappedToNothing(r rune) bool {
	switch r {
	case 0x00AD, 0x034F, 0x1806, 0x180B, 0x180C, 0x180D, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF:
		return true
	}
	return r >= 0xFE00 && r <= 0xFE0F
}

// nonASCIISpace is RFC 3454 table C.1.2.
func nonASCIISpace(r rune) bool {
	switch r {
	case 0x00A0, 0x1680, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200B
}

// prohibitedString reports whether s holds a character of RFC 4013 section 2.3.
func prohibitedString(s string) bool {
	for _, r := range s {
		if prohibited(r) {
			return true
		}
	}
	return false
}

func prohibited(r rune) bool {
	type span struct{ lo, hi rune }
	spans := []span{
		{0x0000, 0x001F}, {0x007F, 0x009F}, // C.2.1, C.2.2 controls
		{0x0340, 0x0341}, {0x06DD, 0x06DD}, {0x070F, 0x070F}, {0x1680, 0x1680}, {0x180E, 0x180E},
		{0x2000, 0x200F}, {0x2028, 0x202F}, {0x205F, 0x2063}, {0x206A, 0x206F}, // C.1.2, C.2.2, C.8
		{0x2FF0, 0x2FFB}, {0x3000, 0x3000}, {0xD800, 0xDFFF}, {0xE000, 0xF8FF}, // C.7, C.1.2, C.5, C.3
		{0xFDD0, 0xFDEF}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFF}, // C.4, C.2.2, C.6
		{0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, // C.2.2, C.9
		{0xF0000, 0xFFFFD}, {0x100000, 0x10FFFD}, // C.3
	}
	if r == 0x00A0 {
		return true // C.1.2
	}
	for _, s := range spans {
		if r >= s.lo && r <= s.hi {
			return true
		}
	}
	if r&0xFFFE == 0xFFFE { // C.4: U+nFFFE and U+nFFFF
		return true
	}
	return !unicode.Is(unicode.L, r) && !unicode.Is(unicode.M, r) && !unicode.Is(unicode.N, r) &&
		!unicode.Is(unicode.P, r) && !unicode.Is(unicode.S, r) && !unicode.Is(unicode.Zs, r) // A.1: unassigned
}

// bidiOK applies RFC 3454 section 6: a string with right-to-left characters must not
// contain left-to-right ones and must start and end with a right-to-left character.
func bidiOK(s string) bool {
	hasRAL, hasL := false, false
	for _, r := range s {
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.R, bidi.AL:
			hasRAL = true
		case bidi.L:
			hasL = true
		}
	}
	if !hasRAL {
		return true
	}
	if hasL {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	isRAL := func(r rune) bool {
		p, _ := bidi.LookupRune(r)
		return p.Class() == bidi.R || p.Class() == bidi.AL
	}
	return isRAL(first) && isRAL(last)
}
