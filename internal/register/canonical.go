package register

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxExponentDigits bounds the exponent of a number literal: 1e999999999 is accepted, a
// literal whose exponent alone has more digits is refused rather than expanded.
const maxExponentDigits = 9

// Canonical returns the canonical JSON bytes of the document (see the package documentation).
// It fails when the document is not valid: entries unsorted or repeated, or a spec value that
// is not a JSON tree.
func Canonical(doc *Document) ([]byte, error) {
	if doc == nil {
		doc = &Document{}
	}
	if err := doc.validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"entries":[`)
	for i, e := range doc.Entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"kind":`)
		writeString(&b, e.Kind)
		b.WriteString(`,"name":`)
		writeString(&b, e.Name)
		b.WriteString(`,"namespace":`)
		writeString(&b, e.Namespace)
		b.WriteString(`,"spec":`)
		if err := writeValue(&b, e.Spec); err != nil {
			return nil, fmt.Errorf("spec of %s: %w", e.Key(), err)
		}
		b.WriteByte('}')
	}
	b.WriteString(`],"format":`)
	writeString(&b, Format)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// CanonicalValue returns the canonical JSON of one JSON tree value (as NewEntry makes them).
func CanonicalValue(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := writeValue(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Parse reads canonical document bytes back into a Document. It accepts any JSON layout of
// the same document (whitespace, key order), checks the format and the entries, and does not
// require the bytes to be canonical: hash the bytes themselves to check them.
func Parse(data []byte) (*Document, error) {
	top, err := decodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("register document: %w", err)
	}
	if f, _ := top["format"].(string); f != Format {
		return nil, fmt.Errorf("register document: format %q, want %q", top["format"], Format)
	}
	for k := range top {
		if k != "format" && k != "entries" {
			return nil, fmt.Errorf("register document: unknown member %q", k)
		}
	}
	list, ok := top["entries"].([]any)
	if !ok && top["entries"] != nil {
		return nil, fmt.Errorf("register document: entries is not a list")
	}
	entries := make([]Entry, 0, len(list))
	for i, item := range list {
		e, err := parseEntry(item)
		if err != nil {
			return nil, fmt.Errorf("register document: entry %d: %w", i, err)
		}
		entries = append(entries, e)
	}
	doc := &Document{Entries: entries}
	if err := doc.validate(); err != nil {
		return nil, fmt.Errorf("register document: %w", err)
	}
	return doc, nil
}

// parseEntry reads one {"kind","name","namespace","spec"} object.
func parseEntry(item any) (Entry, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return Entry{}, fmt.Errorf("not an object")
	}
	var e Entry
	for k, v := range obj {
		var ok bool
		switch k {
		case "kind":
			e.Kind, ok = v.(string)
		case "namespace":
			e.Namespace, ok = v.(string)
		case "name":
			e.Name, ok = v.(string)
		case "spec":
			e.Spec, ok = v.(map[string]any)
		default:
			return Entry{}, fmt.Errorf("unknown member %q", k)
		}
		if !ok {
			return Entry{}, fmt.Errorf("member %q has the wrong type", k)
		}
	}
	if e.Spec == nil {
		e.Spec = map[string]any{}
	}
	return e, nil
}

// writeValue writes one JSON tree value in canonical form.
func writeValue(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case string:
		writeString(b, v)
	case json.Number:
		n, err := canonicalNumber(string(v))
		if err != nil {
			return err
		}
		b.WriteString(n)
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, x); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		return writeObject(b, v)
	default:
		return fmt.Errorf("value of type %T is not a JSON tree value", v)
	}
	return nil
}

// writeObject writes the members of an object sorted by the UTF-16 code units of their
// names, leaving out members whose value is null.
func writeObject(b *bytes.Buffer, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != nil {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, k)
		b.WriteByte(':')
		if err := writeValue(b, m[k]); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

// lessUTF16 orders strings by their UTF-16 code units, as RFC 8785 sorts member names.
// UTF-8 byte order is code point order, which differs from UTF-16 order only between a
// character above U+FFFF (a surrogate pair, D800–DFFF) and one in E000–FFFF.
func lessUTF16(a, b string) bool {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := firstUTF16Unit(ra), firstUTF16Unit(rb)
			if ua != ub {
				return ua < ub
			}
			return ra < rb
		}
		a, b = a[na:], b[nb:]
	}
	return a == "" && b != ""
}

// firstUTF16Unit is the first code unit of the UTF-16 encoding of r.
func firstUTF16Unit(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

// writeString writes a JSON string the way RFC 8785 does.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			writeASCII(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
}

// writeASCII writes one ASCII character of a string, escaped when JSON requires it.
func writeASCII(b *bytes.Buffer, c byte) {
	const hex = "0123456789abcdef"
	switch c {
	case '"':
		b.WriteString(`\"`)
	case '\\':
		b.WriteString(`\\`)
	case '\b':
		b.WriteString(`\b`)
	case '\t':
		b.WriteString(`\t`)
	case '\n':
		b.WriteString(`\n`)
	case '\f':
		b.WriteString(`\f`)
	case '\r':
		b.WriteString(`\r`)
	default:
		if c < 0x20 {
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
			return
		}
		b.WriteByte(c)
	}
}

// canonicalNumber rewrites a JSON number literal in the ECMAScript layout of its exact
// decimal value: shortest digits, plain notation for decimal exponents from -6 to 20, and
// d[.ddd]e±n otherwise.
func canonicalNumber(lit string) (string, error) {
	neg, digits, exp, err := splitNumber(lit)
	if err != nil {
		return "", err
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "0", nil
	}
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	digits = trimmed
	// The value is 0.d1…dk × 10^n.
	k := len(digits)
	n := exp + k
	var s string
	switch {
	case k <= n && n <= 21:
		s = digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		s = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		s = "0." + strings.Repeat("0", -n) + digits
	default:
		mant := digits[:1]
		if k > 1 {
			mant += "." + digits[1:]
		}
		e := n - 1
		sign := "+"
		if e < 0 {
			sign, e = "-", -e
		}
		s = mant + "e" + sign + strconv.Itoa(e)
	}
	if neg {
		s = "-" + s
	}
	return s, nil
}

// splitNumber splits a JSON number literal into its sign, its significant digits (integer
// and fraction together) and the power of ten that scales them.
func splitNumber(lit string) (neg bool, digits string, exp int, err error) {
	bad := func() (bool, string, int, error) {
		return false, "", 0, fmt.Errorf("%q is not a JSON number", lit)
	}
	s := lit
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	intPart, rest := leadingDigits(s)
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return bad()
	}
	var frac string
	if strings.HasPrefix(rest, ".") {
		frac, rest = leadingDigits(rest[1:])
		if frac == "" {
			return bad()
		}
	}
	if rest != "" {
		if rest[0] != 'e' && rest[0] != 'E' {
			return bad()
		}
		rest = rest[1:]
		eneg := false
		if rest != "" && (rest[0] == '+' || rest[0] == '-') {
			eneg, rest = rest[0] == '-', rest[1:]
		}
		ed, tail := leadingDigits(rest)
		ed = strings.TrimLeft(ed, "0")
		if tail != "" || rest == "" {
			return bad()
		}
		if len(ed) > maxExponentDigits {
			return false, "", 0, fmt.Errorf("number %q: exponent out of range", lit)
		}
		if ed != "" {
			exp, _ = strconv.Atoi(ed)
		}
		if eneg {
			exp = -exp
		}
	}
	return neg, intPart + frac, exp - len(frac), nil
}

// leadingDigits splits s after its leading ASCII digits.
func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}
