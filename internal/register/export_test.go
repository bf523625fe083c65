package register

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current exports")

func TestExportGolden(t *testing.T) {
	doc, rev := fixture(t)
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var got bytes.Buffer
			if err := Export(&got, doc, rev, format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "register."+format+".golden")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/register/ -run TestExportGolden -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("%s export differs from %s (-want +got); if the change is intended, rerun with -update:\n%s", format, path, diff)
			}
		})
	}
}

func TestExportUnknownFormat(t *testing.T) {
	doc, rev := fixture(t)
	if err := Export(&bytes.Buffer{}, doc, rev, "pdf"); err == nil || !strings.Contains(err.Error(), "markdown") {
		t.Errorf("Export(pdf) error = %v, want one listing the formats", err)
	}
}

// The JSON export carries the canonical document byte for byte, so it hashes to the
// revision's content hash.
func TestExportJSONHashesToContentHash(t *testing.T) {
	doc, rev := fixture(t)
	var out bytes.Buffer
	if err := Export(&out, doc, rev, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Register json.RawMessage `json:"register"`
		Revision struct {
			Revision    int64  `json:"revision"`
			ContentHash string `json:"contentHash"`
		} `json:"revision"`
	}
	if err := json.Unmarshal(out.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	if got := HashBytes(parsed.Register); got != rev.ContentHash || parsed.Revision.ContentHash != rev.ContentHash {
		t.Errorf("register member hashes to %s, header says %s, want %s", got, parsed.Revision.ContentHash, rev.ContentHash)
	}
	if parsed.Revision.Revision != rev.Number {
		t.Errorf("revision = %d, want %d", parsed.Revision.Revision, rev.Number)
	}
}

func TestExportCSVShape(t *testing.T) {
	doc, rev := fixture(t)
	var out bytes.Buffer
	if err := Export(&out, doc, rev, FormatCSV); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out.Bytes(), []byte("\r\n")) {
		t.Errorf("CSV lines must end with CRLF")
	}
	records, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1+len(doc.OfKind(KindProcessingActivity)) {
		t.Fatalf("got %d CSV records, want a header and one per activity", len(records))
	}
	for i, r := range records {
		if len(r) != len(records[0]) {
			t.Errorf("record %d has %d cells, header has %d", i, len(r), len(records[0]))
		}
	}
}

// hostileDocument holds values that try to inject markup into each format.
func hostileDocument(t *testing.T) *Document {
	return mustDocument(t, mustEntry(t, KindProcessingActivity, "ns", "evil", `{
		"purposes": ["<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>", "[click](javascript:alert(3))", "- nested", "12. ordered", "+ plus"],
		"description": "line one\n# heading\n| a | b |\n<b>bold</b> &lt;entity&gt;",
		"recipients": ["=HYPERLINK(\"http://evil.example\")", "+cmd", "@SUM(A1)", "-2+3"],
		"privacyNoticeURI": "@SUM(A1)",
		"profiling": "-2+3",
		"controller": {"name": "</td></tr></table><script>alert(4)</script>"}
	}`))
}

func TestExportEscapesHostileValues(t *testing.T) {
	doc := hostileDocument(t)
	export := func(format string) string {
		var out bytes.Buffer
		if err := Export(&out, doc, RevisionInfo{Number: 1}, format); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	tests := []struct {
		format    string
		forbidden []string // regular expressions
		required  []string
	}{
		{FormatHTML,
			[]string{`<script`, `<img`, `</td></tr></table><`, `<b>bold`},
			[]string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;", "&amp;lt;entity&amp;gt;"}},
		{FormatMarkdown,
			[]string{`[^\\][<>]`, `[^\\]\]\(`, `\n#+ heading`, `[^\\]\| a`, `[^;]&lt;`, `\n +- (- |\+ |[0-9]+\. )`},
			[]string{"  - \\- nested\n", "  - 12\\. ordered\n", "  - \\+ plus\n", `\<script\>alert(1)\</script\>`, `\[click\](javascript:alert(3))`, `line one \# heading \| a \| b \| \<b\>bold\</b\> &amp;lt;entity&amp;gt;`}},
		{FormatCSV,
			[]string{`(^|\n|,)"?[=+@-]`},
			[]string{`'=HYPERLINK(""http://evil.example"")`, `,'@SUM(A1),`, `,'-2+3,`}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			out := export(tt.format)
			for _, f := range tt.forbidden {
				if loc := regexp.MustCompile(f).FindStringIndex(out); loc != nil {
					t.Errorf("%s export matches %s at %q:\n%s", tt.format, f, out[loc[0]:loc[1]], out)
				}
			}
			for _, r := range tt.required {
				if !strings.Contains(out, r) {
					t.Errorf("%s export lacks %q:\n%s", tt.format, r, out)
				}
			}
		})
	}
}
