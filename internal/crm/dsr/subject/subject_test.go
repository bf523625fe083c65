package subject

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeIdentity(t *testing.T) {
	long := strings.Repeat("a", MaxIdentityBytes) + "@x"
	cases := []struct {
		name, field, in, want string
		wantErr               bool
	}{
		{"email is trimmed and lowercased", "email", "  Alice.Martin@Example.COM\n", "alice.martin@example.com", false},
		{"non-ASCII letters are lowercased too", "email", "JOSÉ@Example.com", "josé@example.com", false},
		{"an email needs an @", "email", "alice.example.com", "", true},
		{"an email needs one @", "email", "a@b@c", "", true},
		{"an email needs a domain", "email", "alice@", "", true},
		{"an email has no inner space", "email", "alice @example.com", "", true},
		{"other fields are only trimmed", "phone", "  +33 1 23 45 67 89 ", "+33 1 23 45 67 89", false},
		{"other fields keep their case", "customerId", "AbC-12", "AbC-12", false},
		{"empty", "email", "   ", "", true},
		{"NUL", "phone", "12\x0034", "", true},
		{"invalid UTF-8", "phone", "\xff\xfe", "", true},
		{"too long", "email", long, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeIdentity(c.field, c.in)
			if (err != nil) != c.wantErr {
				t.Fatalf("NormalizeIdentity(%q) error = %v, want error %v", c.field, err, c.wantErr)
			}
			if got != c.want {
				t.Errorf("NormalizeIdentity = %q, want %q", got, c.want)
			}
			if err != nil && c.in != "" && strings.TrimSpace(c.in) != "" && strings.Contains(err.Error(), strings.TrimSpace(c.in)) {
				t.Errorf("the error quotes the identity: %v", err)
			}
		})
	}
	if _, err := NormalizeIdentity("email", ""); !errors.Is(err, ErrEmptyIdentity) {
		t.Errorf("empty identity: %v, want ErrEmptyIdentity", err)
	}
}

func TestIdentityHash(t *testing.T) {
	k1, k2 := []byte("key-one-0123456789abcdef0123456789"), []byte("key-two-0123456789abcdef0123456789")
	h := IdentityHash(k1, "email", "alice@example.com")
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("hash %q is not 64 lowercase hex digits", h)
	}
	if h != IdentityHash(k1, "email", "alice@example.com") {
		t.Error("the hash is not deterministic")
	}
	for name, other := range map[string]string{
		"another key":          IdentityHash(k2, "email", "alice@example.com"),
		"another field":        IdentityHash(k1, "phone", "alice@example.com"),
		"another value":        IdentityHash(k1, "email", "bob@example.com"),
		"field/value boundary": IdentityHash(k1, "emai", "lalice@example.com"),
	} {
		if other == h {
			t.Errorf("%s gives the same hash", name)
		}
	}
	if strings.Contains(h, "alice") {
		t.Error("the hash shows the identity")
	}
}

func ptr(s string) *string { return &s }

func TestRenderMarkdown(t *testing.T) {
	doc := Document{
		Request:     "privacy/alice-access",
		GeneratedAt: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC),
		Databases: []Export{{Database: "sales/crm", Contacts: []Contact{{
			Key:          "1",
			Fields:       []Field{{Name: "email", Table: "contacts", Column: "email", Value: ptr("alice@example.com")}, {Name: "phone", Table: "contacts", Column: "phone"}},
			Row:          Table{Name: "contacts", Table: "contacts", Columns: []string{"id", "email"}, Rows: [][]*string{{ptr("1"), ptr("alice@example.com")}}},
			Interactions: []Table{{Name: "calls", Table: "calls", Columns: []string{"at"}, Rows: [][]*string{}}},
			Dependents:   []Table{{Name: "notes", Table: "notes", Columns: []string{"body"}, Rows: [][]*string{{ptr("line one\nline | two")}}}},
		}}}},
		Register: []Activity{{Name: "newsletter", Purposes: []string{"direct marketing"}, LegalBasis: "Consent", Recipients: []string{"Mailer Ltd (processor)"}, Retention: "3 years after the last contact", Source: "web form; trade fair"}},
	}
	md := RenderMarkdown(doc)
	for _, want := range []string{
		"privacy/alice-access", "We found one record about you.", "## Record 1 (sales/crm)",
		"| email | alice@example.com |", "| phone |  |", "### Interactions: calls\n\nNone.",
		`| line one line \| two |`, "### newsletter", "- Legal basis: Consent", "- How long we keep it: 3 years after the last contact",
		"- Where it comes from: web form; trade fair",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the document lacks %q:\n%s", want, md)
		}
	}
	empty := RenderMarkdown(Document{Request: "privacy/x", GeneratedAt: doc.GeneratedAt})
	if !strings.Contains(empty, "We hold no personal data about you") || !strings.Contains(empty, "No processing activity") {
		t.Errorf("the no-data document:\n%s", empty)
	}
	b, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(b), `"phone",`) || !strings.Contains(string(b), `"value": null`) {
		t.Errorf("NULL is not written as null:\n%s", b)
	}
}
