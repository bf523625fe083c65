package register

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// jsonInt makes a JSON tree number from an integer.
func jsonInt(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }

// field returns the first of the named members that obj holds with a non-empty value;
// names may be dot paths ("contract.expiresAt").
func field(obj map[string]any, names ...string) any {
	for _, name := range names {
		if v, ok := at(obj, name); ok && !isEmpty(v) {
			return v
		}
	}
	return nil
}

// at follows a dot path through nested objects.
func at(obj map[string]any, path string) (any, bool) {
	var cur any = obj
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// isEmpty tells whether a value says nothing: null, "", [] or {}.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	default:
		return false
	}
}

// object returns v as an object, or nil.
func object(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// list returns v as a list; a single value becomes a list of one.
func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		return []any{v}
	}
}

// texts renders each item of a list (or a single value) as text, skipping empty ones.
func texts(v any) []string {
	var out []string
	for _, item := range list(v) {
		if s := text(item); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// text renders any JSON tree value as one line for people: strings as they are, booleans as
// yes/no, lists joined by "; ", objects as "name (key: value, …)" with the name first.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case json.Number:
		return v.String()
	case []any:
		return strings.Join(texts(v), "; ")
	case map[string]any:
		return objectText(v)
	default:
		b, _ := CanonicalValue(v)
		return string(b)
	}
}

// objectText renders an object: its name (or ref name) first, the other members after it.
func objectText(m map[string]any) string {
	head := field(m, "name", "displayName", "title")
	rest := restText(m, "name", "displayName", "title")
	switch {
	case head == nil:
		return rest
	case rest == "":
		return text(head)
	default:
		return text(head) + " (" + rest + ")"
	}
}

// restText renders the members of m other than skip, sorted by name, as "key: value, …".
func restText(m map[string]any, skip ...string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		if contains(skip, k) || isEmpty(m[k]) {
			continue
		}
		parts = append(parts, humanize(k)+": "+text(m[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// humanize turns a camelCase member name into words: "expiresAt" → "expires at",
// "privacyNoticeURI" → "privacy notice URI"; acronyms keep their capitals.
func humanize(name string) string {
	var words []string
	runes := []rune(name)
	start := 0
	for i := 1; i < len(runes); i++ {
		prevUpper, upper := isUpper(runes[i-1]), isUpper(runes[i])
		nextLower := i+1 < len(runes) && !isUpper(runes[i+1])
		if upper && (!prevUpper || nextLower) {
			words = append(words, string(runes[start:i]))
			start = i
		}
	}
	words = append(words, string(runes[start:]))
	for i, w := range words {
		if len(w) == 1 || !isUpper([]rune(w)[1]) {
			words[i] = strings.ToLower(w)
		}
	}
	return strings.Join(words, " ")
}

func isUpper(r rune) bool { return r >= 'A' && r <= 'Z' }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// capitalize upper-cases the first letter of an ASCII label.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
