package register

import (
	"bytes"
	"encoding/csv"
	"strings"
)

// csvListSeparator joins the items of a list in one cell.
const csvListSeparator = "; "

// exportCSV writes one row per activity with fixed columns: namespace, name, the Art. 30
// fields of art30Rows, other details, and the revision number and content hash on every
// row so that a sheet copied out of context still says which revision it shows. Cells that a
// spreadsheet would read as a formula (starting with = + - @, tab or carriage return) get a
// leading apostrophe (OWASP's CSV injection advice). Lines end with CRLF (RFC 4180).
func exportCSV(buf *bytes.Buffer, rec Record) error {
	w := csv.NewWriter(buf)
	w.UseCRLF = true
	table := csvTable{namespace: "Namespace", name: "Name", labels: art30Rows(ActivityRecord{})}
	for _, a := range rec.Activities {
		table.entries = append(table.entries, csvEntry{a.Namespace, a.Name, art30Rows(a), a.Other})
	}
	if err := table.write(w, rec.Revision); err != nil {
		return err
	}
	if err := writeBreachesCSV(w, rec); err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

// csvSafe defuses a cell that a spreadsheet would evaluate as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvTable is one table of the CSV export: a header row, then one line per entry with its
// namespace, name, the cells of its labelled rows, its other details, and the revision.
type csvTable struct {
	namespace, name string
	// labels are the rows of an empty record: their labels are the header's columns.
	labels  []row
	entries []csvEntry
}

// csvEntry is one register entry of a csvTable.
type csvEntry struct {
	namespace, name string
	rows            []row
	other           []Detail
}

// write writes the header and the entries, each cell made safe for spreadsheets (csvSafe).
func (t csvTable) write(w *csv.Writer, rev RevisionInfo) error {
	header := []string{t.namespace, t.name}
	for _, r := range t.labels {
		header = append(header, r.Label)
	}
	header = append(header, "Other details", "Register revision", "Register content hash")
	if err := w.Write(header); err != nil {
		return err
	}
	for _, e := range t.entries {
		cells := []string{e.namespace, e.name}
		for _, r := range e.rows {
			cells = append(cells, strings.Join(r.Values, csvListSeparator))
		}
		var other []string
		for _, d := range e.other {
			other = append(other, d.Label+": "+d.Value)
		}
		cells = append(cells, strings.Join(other, csvListSeparator), revisionNumber(rev.Number), rev.ContentHash)
		for i := range cells {
			cells[i] = csvSafe(cells[i])
		}
		if err := w.Write(cells); err != nil {
			return err
		}
	}
	return nil
}
