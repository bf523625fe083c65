package crm

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseIdent(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         string
		wantReason string // empty: valid
	}{
		{name: "plain", in: "contacts"},
		{name: "underscore first", in: "_private"},
		{name: "dollar inside", in: "a$b"},
		{name: "mixed case", in: "MixedCase"},
		{name: "digits inside", in: "t2_v3"},
		{name: "63 characters", in: strings.Repeat("a", 63)},
		{name: "reserved word is fine, it is quoted", in: "order"},
		{name: "empty", in: "", wantReason: "it is empty"},
		{name: "statement injection", in: "contacts; DROP TABLE x", wantReason: `character ';' is not allowed`},
		{name: "double quote", in: `a"b`, wantReason: `character '"' is not allowed`},
		{name: "backtick", in: "a`b", wantReason: "character '`' is not allowed"},
		{name: "single quote", in: "a'b", wantReason: `character '\'' is not allowed`},
		{name: "space", in: "a b", wantReason: "character ' ' is not allowed"},
		{name: "schema qualified", in: "public.contacts", wantReason: "character '.' is not allowed"},
		{name: "comment", in: "a--b", wantReason: "character '-' is not allowed"},
		{name: "trailing newline", in: "contacts\n", wantReason: `character '\n' is not allowed`},
		{name: "NUL byte", in: "a\x00b", wantReason: `character '\x00' is not allowed`},
		{name: "unicode letter", in: "kontakté", wantReason: "character 'é' is not allowed"},
		{name: "unicode lookalike", in: "соntacts", wantReason: "must start with a letter or an underscore"},
		{name: "digit first", in: "1abc", wantReason: "must start with a letter or an underscore"},
		{name: "dollar first", in: "$a", wantReason: "must start with a letter or an underscore"},
		{name: "64 characters", in: strings.Repeat("a", 64), wantReason: "it has 64 characters, at most 63"},
		{name: "invalid UTF-8", in: "a\xffb", wantReason: "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := ParseIdent(tc.in)
			if tc.wantReason == "" {
				if err != nil {
					t.Fatalf("ParseIdent(%q) = %v, want valid", tc.in, err)
				}
				if id.String() != tc.in {
					t.Fatalf("ParseIdent(%q).String() = %q", tc.in, id.String())
				}
				return
			}
			var ie *InvalidIdentError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseIdent(%q) error = %v, want *InvalidIdentError", tc.in, err)
			}
			if !strings.Contains(ie.Reason, tc.wantReason) {
				t.Fatalf("ParseIdent(%q) reason = %q, want it to contain %q", tc.in, ie.Reason, tc.wantReason)
			}
			if !id.IsZero() {
				t.Fatalf("ParseIdent(%q) returned a non-zero Ident with an error", tc.in)
			}
		})
	}
}

func TestInvalidIdentErrorShortensLongNames(t *testing.T) {
	_, err := ParseIdent(strings.Repeat("x", 10000))
	if err == nil {
		t.Fatal("a 10000-character name was accepted")
	}
	if len(err.Error()) > 300 {
		t.Fatalf("error message has %d bytes; a hostile name must not be echoed whole", len(err.Error()))
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		engine Engine
		name   string
		want   string
	}{
		{EnginePostgres, "contacts", `"contacts"`},
		{EnginePostgres, "MixedCase", `"MixedCase"`},
		{EnginePostgres, "order", `"order"`},
		{EngineMySQL, "contacts", "`contacts`"},
		{EngineMySQL, "a$b", "`a$b`"},
		{EngineSQLite, "contacts", `"contacts"`},
	} {
		t.Run(string(tc.engine)+"/"+tc.name, func(t *testing.T) {
			d, err := DialectFor(tc.engine)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Quote(MustIdent(tc.name)); got != tc.want {
				t.Errorf("Quote(%s) = %s, want %s", tc.name, got, tc.want)
			}
			got, err := d.QuoteIdent(tc.name)
			if err != nil || got != tc.want {
				t.Errorf("QuoteIdent(%s) = %s, %v; want %s", tc.name, got, err, tc.want)
			}
		})
	}
}

func TestQuoteIdentRejectsHostileNames(t *testing.T) {
	hostile := []string{"contacts; DROP TABLE x", `a"b`, "a`b", "kontakté", strings.Repeat("a", 64), "", `x" OR "1"="1`}
	for _, e := range Engines() {
		d, _ := DialectFor(e)
		for _, name := range hostile {
			if q, err := d.QuoteIdent(name); err == nil {
				t.Errorf("%s: QuoteIdent(%q) = %s, want an error", e, name, q)
			}
		}
	}
}

// quoteWith is the defence in depth under validation: it must double embedded quotes.
func TestQuoteWithDoublesQuotes(t *testing.T) {
	for _, tc := range []struct {
		in    string
		quote byte
		want  string
	}{
		{`a"b`, '"', `"a""b"`},
		{`"`, '"', `""""`},
		{"a`b", '`', "`a``b`"},
		{"``", '`', "``````"},
		{`a"b`, '`', "`a\"b`"},
	} {
		if got := QuoteWith(tc.in, tc.quote); got != tc.want {
			t.Errorf("quoteWith(%q, %q) = %s, want %s", tc.in, tc.quote, got, tc.want)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	got := map[Engine][]string{}
	for _, e := range Engines() {
		d, _ := DialectFor(e)
		got[e] = []string{d.Placeholder(1), d.Placeholder(2), d.Placeholder(10)}
	}
	want := map[Engine][]string{
		EnginePostgres: {"$1", "$2", "$10"},
		EngineMySQL:    {"?", "?", "?"},
		EngineSQLite:   {"?", "?", "?"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("placeholders (-want +got):\n%s", diff)
	}
}

func TestDialectFor(t *testing.T) {
	for _, e := range Engines() {
		d, err := DialectFor(e)
		if err != nil || d.Engine() != e {
			t.Errorf("DialectFor(%s) = %v, %v", e, d, err)
		}
	}
	if _, err := DialectFor("oracle"); err == nil || !strings.Contains(err.Error(), "postgres, mysql") {
		t.Errorf("DialectFor(oracle) error = %v, want one naming the supported engines", err)
	}
}

// FuzzQuoteIdent: any name is either rejected or quoted as exactly itself between the
// dialect's quotes, with no quote character inside.
func FuzzQuoteIdent(f *testing.F) {
	for _, seed := range []string{"contacts", "a\"b", "contacts; DROP TABLE x", "`x`", "x\x00", "Ünïcode", "_a$1", strings.Repeat("a", 64), ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, e := range Engines() {
			d, err := DialectFor(e)
			if err != nil {
				t.Fatal(err)
			}
			q, err := d.QuoteIdent(name)
			if err != nil {
				var ie *InvalidIdentError
				if !errors.As(err, &ie) {
					t.Fatalf("%s: rejection of %q is not an InvalidIdentError: %v", e, name, err)
				}
				continue
			}
			quote := q[:1]
			if q != quote+name+quote || strings.ContainsAny(name, "\"`'\x00;") {
				t.Fatalf("%s: %q quoted as %q", e, name, q)
			}
		}
	})
}
