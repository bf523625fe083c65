package register

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// The kinds whose specs make up the register.
const (
	KindAccessRole                   = "AccessRole"
	KindCRMDatabase                  = "CRMDatabase"
	KindLegitimateInterestAssessment = "LegitimateInterestAssessment"
	KindProcessingActivity           = "ProcessingActivity"
	KindRetentionPolicy              = "RetentionPolicy"
)

// Format names the layout of the canonical document; it is part of the hashed bytes, so a
// future layout can never share a hash with this one.
const Format = "crm-privacy-register/v1"

// Entry is the register-relevant spec of one object.
type Entry struct {
	Kind      string
	Namespace string
	Name      string
	// Spec is a JSON tree as NewEntry makes it: nil, bool, string, json.Number, []any and
	// map[string]any.
	Spec map[string]any
	// SourceRevision is the git revision a GitOps tool recorded on the object, if any. It is
	// not part of the canonical form: a new commit that leaves the spec alone changes nothing.
	SourceRevision string
}

// Document is the whole register: entries sorted by kind, namespace and name, unique.
type Document struct {
	Entries []Entry
}

// Key identifies an entry in a document.
type Key struct {
	Kind, Namespace, Name string
}

// Key returns the entry's kind, namespace and name.
func (e Entry) Key() Key { return Key{Kind: e.Kind, Namespace: e.Namespace, Name: e.Name} }

// String gives the key as kind/namespace/name.
func (k Key) String() string { return k.Kind + "/" + k.Namespace + "/" + k.Name }

func (k Key) less(o Key) bool {
	if k.Kind != o.Kind {
		return k.Kind < o.Kind
	}
	if k.Namespace != o.Namespace {
		return k.Namespace < o.Namespace
	}
	return k.Name < o.Name
}

// NewEntry makes an entry from any value that encoding/json can marshal to a JSON object,
// such as the Spec of an API object. Numbers keep their exact decimal form.
func NewEntry(kind, namespace, name string, spec any) (Entry, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return Entry{}, fmt.Errorf("while encoding the spec of %s/%s/%s: %w", kind, namespace, name, err)
	}
	tree, err := decodeObject(raw)
	if err != nil {
		return Entry{}, fmt.Errorf("while reading the spec of %s/%s/%s: %w", kind, namespace, name, err)
	}
	return Entry{Kind: kind, Namespace: namespace, Name: name, Spec: tree}, nil
}

// NewDocument sorts the entries into a document and checks them: each has a kind and a name,
// no two share kind, namespace and name, and every spec is a JSON tree.
func NewDocument(entries ...Entry) (*Document, error) {
	doc := &Document{Entries: append([]Entry(nil), entries...)}
	sort.SliceStable(doc.Entries, func(i, j int) bool { return doc.Entries[i].Key().less(doc.Entries[j].Key()) })
	if err := doc.validate(); err != nil {
		return nil, err
	}
	return doc, nil
}

// Lookup returns the entry with the given key, or false.
func (d *Document) Lookup(k Key) (Entry, bool) {
	if d == nil {
		return Entry{}, false
	}
	i := sort.Search(len(d.Entries), func(i int) bool { return !d.Entries[i].Key().less(k) })
	if i < len(d.Entries) && d.Entries[i].Key() == k {
		return d.Entries[i], true
	}
	return Entry{}, false
}

// OfKind returns the entries of one kind, in document order.
func (d *Document) OfKind(kind string) []Entry {
	if d == nil {
		return nil
	}
	var out []Entry
	for _, e := range d.Entries {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// validate checks that the entries are sorted, unique, named and hold JSON trees.
func (d *Document) validate() error {
	for i, e := range d.Entries {
		if e.Kind == "" || e.Name == "" {
			return fmt.Errorf("register entry %d (%s) has no kind or no name", i, e.Key())
		}
		if i > 0 && !d.Entries[i-1].Key().less(e.Key()) {
			if d.Entries[i-1].Key() == e.Key() {
				return fmt.Errorf("register entry %s appears twice", e.Key())
			}
			return fmt.Errorf("register entries are not sorted: %s before %s", d.Entries[i-1].Key(), e.Key())
		}
		if err := checkTree(e.Spec); err != nil {
			return fmt.Errorf("spec of %s: %w", e.Key(), err)
		}
	}
	return nil
}

// decodeObject reads one JSON object, numbers as json.Number, and refuses trailing data.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	if tree == nil {
		return map[string]any{}, nil
	}
	obj, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a JSON object, got %T", tree)
	}
	return obj, nil
}

// checkTree accepts the value types that decoding JSON with UseNumber produces.
func checkTree(v any) error {
	switch v := v.(type) {
	case nil, bool, string:
		return nil
	case json.Number:
		_, err := canonicalNumber(string(v))
		return err
	case []any:
		for _, x := range v {
			if err := checkTree(x); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, x := range v {
			if err := checkTree(x); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("value of type %T is not a JSON tree value", v)
	}
}
