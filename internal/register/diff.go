package register

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
)

// ChangeType says what happened to an entry between two documents.
type ChangeType string

const (
	// Added: the entry is in the new document only.
	Added ChangeType = "Added"
	// Modified: the entry is in both documents with different specs.
	Modified ChangeType = "Modified"
	// Removed: the entry is in the old document only.
	Removed ChangeType = "Removed"
)

// MaxChangedFields bounds Change.Fields. When more paths changed, Fields holds the first
// MaxChangedFields-1 of them in order followed by "…and N more".
const MaxChangedFields = 32

// MaxFieldPathLength bounds one path of Change.Fields; a longer one is cut and ends with "…".
const MaxFieldPathLength = 128

// Change is what happened to one entry between two documents.
type Change struct {
	Kind      string     `json:"kind"`
	Namespace string     `json:"namespace"`
	Name      string     `json:"name"`
	Type      ChangeType `json:"type"`
	// Fields are the paths that changed in a Modified entry, sorted: `spec.purposes`,
	// `spec.processors[1].contract.expiresAt`. A list of scalars, or a list whose length
	// changed, is one path; lists of objects of the same length are compared item by item.
	Fields []string `json:"fields,omitempty"`
}

// Key returns the kind, namespace and name of the changed entry.
func (c Change) Key() Key { return Key{Kind: c.Kind, Namespace: c.Namespace, Name: c.Name} }

// Diff lists what changed from older to newer, sorted by kind, namespace and name. A nil
// document is empty: Diff(nil, doc) lists every entry of doc as Added.
func Diff(older, newer *Document) []Change {
	var oldEntries, newEntries []Entry
	if older != nil {
		oldEntries = older.Entries
	}
	if newer != nil {
		newEntries = newer.Entries
	}
	byKey := make(map[Key]Entry, len(oldEntries))
	for _, e := range oldEntries {
		byKey[e.Key()] = e
	}
	var changes []Change
	for _, e := range newEntries {
		k := e.Key()
		prev, ok := byKey[k]
		delete(byKey, k)
		if !ok {
			changes = append(changes, newChange(k, Added, nil))
			continue
		}
		if fields := changedPaths("spec", prev.Spec, e.Spec, nil); len(fields) > 0 {
			changes = append(changes, newChange(k, Modified, capFields(fields)))
		}
	}
	for k := range byKey {
		changes = append(changes, newChange(k, Removed, nil))
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Key().less(changes[j].Key()) })
	return changes
}

func newChange(k Key, t ChangeType, fields []string) Change {
	return Change{Kind: k.Kind, Namespace: k.Namespace, Name: k.Name, Type: t, Fields: fields}
}

// changedPaths appends the paths under path where a and b differ. A member whose value is
// null counts as absent, as in the canonical form.
func changedPaths(path string, a, b any, out []string) []string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return append(out, path)
		}
		for _, k := range unionKeys(av, bv) {
			x, y := av[k], bv[k]
			if (x == nil) != (y == nil) {
				out = append(out, memberPath(path, k))
				continue
			}
			out = changedPaths(memberPath(path, k), x, y, out)
		}
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) || !allObjects(av) || !allObjects(bv) {
			if !sameValue(a, b) {
				out = append(out, path)
			}
			return out
		}
		for i := range av {
			out = changedPaths(path+"["+strconv.Itoa(i)+"]", av[i], bv[i], out)
		}
		return out
	default:
		if !sameValue(a, b) {
			out = append(out, path)
		}
		return out
	}
}

// unionKeys returns the member names of both objects, sorted.
func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// allObjects tells whether every item of a list is a JSON object.
func allObjects(l []any) bool {
	for _, x := range l {
		if _, ok := x.(map[string]any); !ok {
			return false
		}
	}
	return true
}

var plainMember = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// memberPath appends a member name to a path: .name when it is an identifier, ["name"]
// otherwise (annotations, names with dots or dashes).
func memberPath(path, name string) string {
	if plainMember.MatchString(name) {
		return path + "." + name
	}
	return path + "[" + strconv.Quote(name) + "]"
}

// sameValue compares two JSON tree values, numbers by their canonical form.
func sameValue(a, b any) bool {
	return reflect.DeepEqual(normalise(a), normalise(b))
}

// normalise rewrites numbers in canonical form so that 1.0 and 1 compare equal.
func normalise(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := canonicalNumber(string(v)); err == nil {
			return json.Number(n)
		}
		return v
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalise(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalise(x)
		}
		return out
	default:
		return v
	}
}

// capFields sorts the paths and bounds them to MaxChangedFields.
func capFields(fields []string) []string {
	for i, f := range fields {
		fields[i] = truncate(f, MaxFieldPathLength)
	}
	sort.Strings(fields)
	if len(fields) <= MaxChangedFields {
		return fields
	}
	kept := append([]string(nil), fields[:MaxChangedFields-1]...)
	return append(kept, fmt.Sprintf("…and %d more", len(fields)-len(kept)))
}
