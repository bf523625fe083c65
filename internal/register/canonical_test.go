package register

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustEntry(t testing.TB, kind, namespace, name, spec string) Entry {
	t.Helper()
	tree, err := decodeObject([]byte(spec))
	if err != nil {
		t.Fatalf("spec of %s/%s: %v", kind, name, err)
	}
	return Entry{Kind: kind, Namespace: namespace, Name: name, Spec: tree}
}

func mustDocument(t testing.TB, entries ...Entry) *Document {
	t.Helper()
	doc, err := NewDocument(entries...)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestCanonicalNumber(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"0", "0"},
		{"-0", "0"},
		{"0.000", "0"},
		{"1", "1"},
		{"-1", "-1"},
		{"1.0", "1"},
		{"1.50", "1.5"},
		{"1E3", "1000"},
		{"1e+3", "1000"},
		{"12.5e-1", "1.25"},
		{"100", "100"},
		{"123456789012345678901", "123456789012345678901"},
		{"1e21", "1e+21"},
		{"1234567890123456789012", "1.234567890123456789012e+21"},
		{"12345678901234567890", "12345678901234567890"},
		{"0.000001", "0.000001"},
		{"0.0000001", "1e-7"},
		{"-0.00000012", "-1.2e-7"},
		{"3.14159", "3.14159"},
		{"5e-324", "5e-324"},
		{"1.7976931348623157e308", "1.7976931348623157e+308"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := canonicalNumber(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("canonicalNumber(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCanonicalNumberRejects(t *testing.T) {
	for _, in := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "0x10", "1e1234567890", "NaN", "1 "} {
		t.Run(in, func(t *testing.T) {
			if got, err := canonicalNumber(in); err == nil {
				t.Errorf("canonicalNumber(%q) = %q, want an error", in, got)
			}
		})
	}
}

func TestCanonicalValue(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"keys sorted at every level", `{"b":1,"a":{"z":true,"y":null,"x":[{"d":1,"c":2}]}}`, `{"a":{"x":[{"c":2,"d":1}],"z":true},"b":1}`},
		{"null members left out, nulls in lists kept", `{"a":null,"b":[null,1],"c":{"d":null}}`, `{"b":[null,1],"c":{}}`},
		{"whitespace dropped", "{ \"a\" :\n [ 1 , 2 ] }", `{"a":[1,2]}`},
		{"list order kept", `{"a":[3,1,2]}`, `{"a":[3,1,2]}`},
		{"html characters not escaped", `{"a":"<b>&amp;</b>"}`, `{"a":"<b>&amp;</b>"}`},
		{"escapes as RFC 8785", `{"a":"q\" b\\ \b\f\n\r\t \u0001 \u001f \u007f é \u2028"}`, "{\"a\":\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001 \\u001f \u007f é \u2028\"}"},
		{"unicode escapes decoded", `{"a":"\u00e9\ud83d\ude00"}`, "{\"a\":\"é😀\"}"},
		{"numbers normalised", `{"a":1.0,"b":1e2,"c":-0,"d":0.5}`, `{"a":1,"b":100,"c":0,"d":0.5}`},
		{"big integer exact", `{"a":123456789012345678901234}`, `{"a":1.23456789012345678901234e+23}`},
		// RFC 8785 §3.2.3: sorted by UTF-16 code units, so U+1F600 (D83D …) sorts before U+FB33.
		{"UTF-16 key order", "{\"\ufb33\":1,\"\U0001F600\":2,\"a\":3,\"\u00e9\":4}", "{\"a\":3,\"\u00e9\":4,\"\U0001F600\":2,\"\ufb33\":1}"},
		{"empty containers", `{"a":{},"b":[]}`, `{"a":{},"b":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := decodeObject([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := CanonicalValue(tree)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("canonical form (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanonicalInvalidUTF8(t *testing.T) {
	got, err := CanonicalValue(map[string]any{"a": "x\xffy"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"a\":\"x\ufffdy\"}"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCanonicalDocument(t *testing.T) {
	doc := mustDocument(t,
		mustEntry(t, KindRetentionPolicy, "sales", "contacts", `{"rules":[{"name":"prospects","term":"24m"}]}`),
		mustEntry(t, KindProcessingActivity, "sales", "b-activity", `{"purposes":["b"]}`),
		mustEntry(t, KindProcessingActivity, "marketing", "z", `{}`),
		mustEntry(t, KindProcessingActivity, "sales", "a-activity", `{"purposes":["a"]}`),
	)
	got, err := Canonical(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"entries":[` +
		`{"kind":"ProcessingActivity","name":"z","namespace":"marketing","spec":{}},` +
		`{"kind":"ProcessingActivity","name":"a-activity","namespace":"sales","spec":{"purposes":["a"]}},` +
		`{"kind":"ProcessingActivity","name":"b-activity","namespace":"sales","spec":{"purposes":["b"]}},` +
		`{"kind":"RetentionPolicy","name":"contacts","namespace":"sales","spec":{"rules":[{"name":"prospects","term":"24m"}]}}` +
		`],"format":"crm-privacy-register/v1"}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("canonical document (-want +got):\n%s", diff)
	}

	back, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Canonical(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(got) {
		t.Errorf("Parse then Canonical changed the bytes:\n%s\n%s", got, again)
	}
}

// The hash must not depend on the order the objects were listed in, nor on the key order or
// number spelling of their specs; it must depend on any value and on the entry identity.
func TestHashStability(t *testing.T) {
	base := func(t *testing.T) *Document {
		return mustDocument(t,
			mustEntry(t, KindProcessingActivity, "sales", "leads", `{"purposes":["lead qualification"],"retention":{"months":24}}`),
			mustEntry(t, KindLegitimateInterestAssessment, "sales", "b2b", `{"decision":{"outcome":"Approved"}}`),
		)
	}
	baseHash, err := Hash(base(t))
	if err != nil {
		t.Fatal(err)
	}
	if !isHexHash(baseHash) {
		t.Fatalf("Hash = %q, want lowercase hex SHA-256", baseHash)
	}
	tests := []struct {
		name string
		doc  func(t *testing.T) *Document
		same bool
	}{
		{"same content, other order and spelling", func(t *testing.T) *Document {
			return mustDocument(t,
				mustEntry(t, KindLegitimateInterestAssessment, "sales", "b2b", `{ "decision" : { "outcome" : "Approved" } }`),
				mustEntry(t, KindProcessingActivity, "sales", "leads", `{"retention":{"months":24.0},"purposes":["lead qualification"]}`),
			)
		}, true},
		{"a value changed", func(t *testing.T) *Document {
			return mustDocument(t,
				mustEntry(t, KindLegitimateInterestAssessment, "sales", "b2b", `{"decision":{"outcome":"Approved"}}`),
				mustEntry(t, KindProcessingActivity, "sales", "leads", `{"purposes":["lead qualification"],"retention":{"months":25}}`),
			)
		}, false},
		{"list order changed", func(t *testing.T) *Document {
			return mustDocument(t,
				mustEntry(t, KindLegitimateInterestAssessment, "sales", "b2b", `{"decision":{"outcome":"Approved"}}`),
				mustEntry(t, KindProcessingActivity, "sales", "leads", `{"purposes":["lead qualification"],"retention":{"months":24}}`),
				mustEntry(t, KindAccessRole, "sales", "reps", `{}`),
			)
		}, false},
		{"moved to another namespace", func(t *testing.T) *Document {
			return mustDocument(t,
				mustEntry(t, KindLegitimateInterestAssessment, "sales", "b2b", `{"decision":{"outcome":"Approved"}}`),
				mustEntry(t, KindProcessingActivity, "crm", "leads", `{"purposes":["lead qualification"],"retention":{"months":24}}`),
			)
		}, false},
		{"source revision is not hashed", func(t *testing.T) *Document {
			d := base(t)
			d.Entries[0].SourceRevision = "0123abc"
			return d
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Hash(tt.doc(t))
			if err != nil {
				t.Fatal(err)
			}
			if (got == baseHash) != tt.same {
				t.Errorf("hash %s, base %s: same = %v, want %v", got, baseHash, got == baseHash, tt.same)
			}
		})
	}
}

func TestDocumentValidation(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		wantErr string
	}{
		{"duplicate", []Entry{{Kind: KindAccessRole, Namespace: "a", Name: "x"}, {Kind: KindAccessRole, Namespace: "a", Name: "x"}}, "appears twice"},
		{"no name", []Entry{{Kind: KindAccessRole, Namespace: "a"}}, "no kind or no name"},
		{"not a JSON tree", []Entry{{Kind: KindAccessRole, Namespace: "a", Name: "x", Spec: map[string]any{"n": 3}}}, "not a JSON tree value"},
		{"bad number", []Entry{{Kind: KindAccessRole, Namespace: "a", Name: "x", Spec: map[string]any{"n": json.Number("1e")}}}, "not a JSON number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDocument(tt.entries...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewDocument error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	t.Run("unsorted document refused by Canonical", func(t *testing.T) {
		doc := &Document{Entries: []Entry{{Kind: KindRetentionPolicy, Name: "b"}, {Kind: KindAccessRole, Name: "a"}}}
		if _, err := Canonical(doc); err == nil || !strings.Contains(err.Error(), "not sorted") {
			t.Errorf("Canonical error = %v, want not sorted", err)
		}
	})
}

func TestNewEntryFromStruct(t *testing.T) {
	type contract struct {
		Reference string `json:"reference"`
		Months    int64  `json:"months"`
	}
	type spec struct {
		Purposes []string  `json:"purposes"`
		Contract *contract `json:"contract,omitempty"`
		Profiled bool      `json:"profiled"`
	}
	e, err := NewEntry(KindProcessingActivity, "sales", "leads", spec{Purposes: []string{"a"}, Contract: &contract{Reference: "DPA-1", Months: 9007199254740993}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"purposes": []any{"a"},
		"contract": map[string]any{"reference": "DPA-1", "months": json.Number("9007199254740993")},
		"profiled": false,
	}
	if diff := cmp.Diff(want, e.Spec); diff != "" {
		t.Errorf("spec tree (-want +got):\n%s", diff)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not JSON", `{`},
		{"wrong format", `{"entries":[],"format":"other/v9"}`},
		{"unknown member", `{"entries":[],"format":"crm-privacy-register/v1","extra":1}`},
		{"entry not object", `{"entries":[1],"format":"crm-privacy-register/v1"}`},
		{"entry unknown member", `{"entries":[{"kind":"A","name":"n","namespace":"","spec":{},"status":{}}],"format":"crm-privacy-register/v1"}`},
		{"trailing data", `{"entries":[],"format":"crm-privacy-register/v1"} {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.in)); err == nil {
				t.Errorf("Parse(%s) succeeded, want an error", tt.in)
			}
		})
	}
}

// isHexHash tells whether s looks like a lowercase hex SHA-256.
func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
