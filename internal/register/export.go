package register

import (
	"bytes"
	"fmt"
	"io"
)

// Export formats.
const (
	FormatMarkdown = "markdown"
	FormatCSV      = "csv"
	FormatJSON     = "json"
	FormatHTML     = "html"
)

// Formats lists the export formats, for flags and help texts.
var Formats = []string{FormatMarkdown, FormatCSV, FormatJSON, FormatHTML}

// Export writes the register as a GDPR Art. 30(1) record of processing activities followed
// by the register of assessments, in one of Formats:
//
//   - markdown: one section per activity, then assessments, DPIAs, retention and access roles;
//   - csv: RFC 4180, a header row and one row per activity with fixed columns;
//   - json: the canonical document byte for byte under "register", with the revision header;
//   - html: one self-contained printable page, every value escaped by html/template.
func Export(w io.Writer, doc *Document, rev RevisionInfo, format string) error {
	var buf bytes.Buffer
	var err error
	switch format {
	case FormatJSON:
		err = exportJSON(&buf, doc, rev)
	case FormatMarkdown:
		err = exportMarkdown(&buf, BuildRecord(doc, rev))
	case FormatCSV:
		err = exportCSV(&buf, BuildRecord(doc, rev))
	case FormatHTML:
		err = exportHTML(&buf, BuildRecord(doc, rev))
	default:
		return fmt.Errorf("export format %q: want one of %v", format, Formats)
	}
	if err != nil {
		return fmt.Errorf("while exporting the register as %s: %w", format, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("while writing the %s export: %w", format, err)
	}
	return nil
}

// exportJSON writes {"register":<canonical document>,"revision":{…}} in canonical form, so
// that the export itself is deterministic and the register member hashes to the content hash.
func exportJSON(buf *bytes.Buffer, doc *Document, rev RevisionInfo) error {
	canonical, err := Canonical(doc)
	if err != nil {
		return err
	}
	buf.WriteString(`{"register":`)
	buf.Write(canonical)
	buf.WriteString(`,"revision":`)
	header := map[string]any{
		"contentHash":    rev.ContentHash,
		"createdAt":      formatTime(rev.CreatedAt),
		"previousHash":   rev.PreviousHash,
		"revision":       jsonInt(rev.Number),
		"sourceRevision": rev.SourceRevision,
	}
	if err := writeValue(buf, header); err != nil {
		return err
	}
	buf.WriteString("}\n")
	return nil
}
