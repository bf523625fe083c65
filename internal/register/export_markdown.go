package register

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// exportMarkdown writes the record as CommonMark. Every value from a spec is escaped, so
// that a value cannot open a link, an HTML tag, emphasis or a table cell, nor break a list.
func exportMarkdown(buf *bytes.Buffer, rec Record) error {
	buf.WriteString("# Register of processing activities and assessments\n\n")
	for _, r := range headerRows(rec.Revision) {
		writeMarkdownRow(buf, r)
	}
	for _, p := range parts(rec) {
		fmt.Fprintf(buf, "\n## %s\n", mdEscape(p.Title))
		if len(p.Entries) == 0 {
			fmt.Fprintf(buf, "\n%s\n", mdEscape(p.Empty))
		}
		for _, s := range p.Entries {
			fmt.Fprintf(buf, "\n### %s\n\n", mdEscape(s.Title))
			for _, r := range s.Rows {
				writeMarkdownRow(buf, r)
			}
		}
	}
	return nil
}

// writeMarkdownRow writes "- **Label:** value", or the values as a nested list.
func writeMarkdownRow(buf *bytes.Buffer, r row) {
	fmt.Fprintf(buf, "- **%s:**", mdEscape(r.Label))
	switch {
	case len(r.Values) == 0:
		buf.WriteString(" —\n")
	case !r.List:
		fmt.Fprintf(buf, " %s\n", mdEscape(r.Values[0]))
	default:
		buf.WriteByte('\n')
		for _, v := range r.Values {
			fmt.Fprintf(buf, "  - %s\n", mdEscape(v))
		}
	}
}

// mdEscaper backslash-escapes the ASCII punctuation that CommonMark gives a meaning inline,
// turns line breaks into spaces and writes '&' as an entity so no entity is decoded.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`,
	`|`, `\|`, `#`, `\#`, `!`, `\!`, `~`, `\~`, `&`, `&amp;`, "\r\n", " ", "\n", " ", "\r", " ",
)

// mdListMarker matches a value that would start a list of its own where it is written: at the
// start of a list item, "- x", "+ x" and "1. x" open a nested list.
var mdListMarker = regexp.MustCompile(`^([-+]|[0-9]{1,9}[.)])`)

// EscapeMarkdown escapes s for Markdown text or a table cell, as the register's Markdown
// export does, so that a value is shown as written and never read as markup.
func EscapeMarkdown(s string) string { return mdEscape(s) }

// mdEscape makes a value safe to write inline, at the start of a list item included.
func mdEscape(s string) string {
	s = mdEscaper.Replace(s)
	if m := mdListMarker.FindString(s); m != "" {
		s = m[:len(m)-1] + `\` + s[len(m)-1:]
	}
	return s
}
