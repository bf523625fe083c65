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
	header := []string{"Namespace", "Name"}
	for _, r := range art30Rows(ActivityRecord{}) {
		header = append(header, r.Label)
	}
	header = append(header, "Other details", "Register revision", "Register content hash")
	if err := w.Write(header); err != nil {
		return err
	}
	for _, a := range rec.Activities {
		cells := []string{a.Namespace, a.Name}
		for _, r := range art30Rows(a) {
			cells = append(cells, strings.Join(r.Values, csvListSeparator))
		}
		var other []string
		for _, d := range a.Other {
			other = append(other, d.Label+": "+d.Value)
		}
		cells = append(cells, strings.Join(other, csvListSeparator), revisionNumber(rec.Revision.Number), rec.Revision.ContentHash)
		for i := range cells {
			cells[i] = csvSafe(cells[i])
		}
		if err := w.Write(cells); err != nil {
			return err
		}
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
