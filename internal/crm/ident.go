package crm

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// IdentPattern is the shape every table, column and role name must have before it is put
// in a statement: a letter or underscore, then letters, digits, underscores or dollar
// signs, 63 characters at most (PostgreSQL's limit; MySQL allows 64).
const IdentPattern = `^[A-Za-z_][A-Za-z0-9_$]{0,62}$`

// MaxIdentLength is the longest identifier IdentPattern accepts.
const MaxIdentLength = 63

var identRE = regexp.MustCompile(IdentPattern)

// Ident is a validated SQL identifier. The only way to make a non-zero Ident is ParseIdent,
// so a Dialect quoting an Ident always quotes a name that matched IdentPattern.
type Ident struct{ name string }

// ParseIdent validates name against IdentPattern and returns it as an Ident. The error says
// what is wrong with the name, so that it can be shown to the user as is.
func ParseIdent(name string) (Ident, error) {
	if identRE.MatchString(name) {
		return Ident{name: name}, nil
	}
	return Ident{}, &InvalidIdentError{Name: name, Reason: identProblem(name)}
}

// MustIdent is ParseIdent for names written in the code; it panics on an invalid name.
func MustIdent(name string) Ident {
	id, err := ParseIdent(name)
	if err != nil {
		panic(err)
	}
	return id
}

// String returns the identifier unquoted.
func (i Ident) String() string { return i.name }

// IsZero reports whether i is the zero Ident (no name).
func (i Ident) IsZero() bool { return i.name == "" }

// InvalidIdentError is returned for a name that does not match IdentPattern.
type InvalidIdentError struct {
	// Name is the rejected name.
	Name string
	// Reason says what is wrong with it.
	Reason string
}

func (e *InvalidIdentError) Error() string {
	return fmt.Sprintf("invalid SQL identifier %s: %s", printableName(e.Name), e.Reason)
}

// identProblem explains why name does not match IdentPattern.
func identProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case !utf8.ValidString(name):
		return "it is not valid UTF-8"
	case utf8.RuneCountInString(name) > MaxIdentLength:
		return fmt.Sprintf("it has %d characters, at most %d are allowed", utf8.RuneCountInString(name), MaxIdentLength)
	}
	for i, r := range name {
		switch {
		case r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z'):
			continue
		case i > 0 && (r == '$' || (r >= '0' && r <= '9')):
			continue
		case i == 0:
			return fmt.Sprintf("it must start with a letter or an underscore, not %q", r)
		default:
			return fmt.Sprintf("character %q is not allowed: use only ASCII letters, digits, _ and $", r)
		}
	}
	return "it does not match " + IdentPattern
}

// printableName quotes a rejected name for an error message, shortened so that a hostile
// megabyte-long name does not end up in a status condition.
func printableName(name string) string {
	const maxShown = 80
	if utf8.RuneCountInString(name) > maxShown {
		runes := []rune(name)
		return fmt.Sprintf("%q… (%d characters)", string(runes[:maxShown]), len(runes))
	}
	return fmt.Sprintf("%q", name)
}

// QuoteWith encloses name in quote characters, doubling any quote character inside, which
// is how both the SQL standard ("x") and MySQL (`x`) escape delimited identifiers.
// Validated identifiers never contain a quote; the doubling is a second line of defence.
func QuoteWith(name string, quote byte) string {
	q := string(quote)
	var b strings.Builder
	b.Grow(len(name) + 2)
	b.WriteString(q)
	b.WriteString(strings.ReplaceAll(name, q, q+q))
	b.WriteString(q)
	return b.String()
}
