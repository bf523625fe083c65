package register

import (
	"bytes"
	_ "embed"
	"html/template"
)

//go:embed export.html.tmpl
var htmlTemplateText string

// htmlTemplate is parsed once; html/template escapes every value for its context, so a
// spec value such as `<script>` or `" onmouseover=` is printed, never run.
var htmlTemplate = template.Must(template.New("register").Parse(htmlTemplateText))

// htmlPage is what the template receives.
type htmlPage struct {
	Header []row
	Parts  []part
	Rev    RevisionInfo
}

// exportHTML writes one self-contained page (inline CSS, no script, no external resource)
// that prints well on A4.
func exportHTML(buf *bytes.Buffer, rec Record) error {
	return htmlTemplate.Execute(buf, htmlPage{Header: headerRows(rec.Revision), Parts: parts(rec), Rev: rec.Revision})
}
