package subject

import (
	"fmt"
	"strings"
	"time"
)

// RenderMarkdown renders the document for the person: what each database holds about
// them, table by table, then what is done with it (the register's activities). Values are
// written as they are stored; NULL is an empty cell. The output is Markdown that reads as
// plain text.
func RenderMarkdown(d Document) string {
	var b strings.Builder
	b.WriteString("# Your personal data\n\n")
	fmt.Fprintf(&b, "This is a copy of the personal data we hold about you (GDPR Article 15), prepared on %s for request %s.\n\n",
		d.GeneratedAt.UTC().Format(time.RFC1123), d.Request)
	n := d.ContactCount()
	switch n {
	case 0:
		b.WriteString("We hold no personal data about you in the systems searched.\n\n")
	case 1:
		b.WriteString("We found one record about you.\n\n")
	default:
		fmt.Fprintf(&b, "We found %d records about you.\n\n", n)
	}
	for _, e := range d.Databases {
		for i, c := range e.Contacts {
			renderContact(&b, e.Database, i+1, c)
		}
	}
	renderRegister(&b, d.Register)
	return b.String()
}

func renderContact(b *strings.Builder, database string, n int, c Contact) {
	fmt.Fprintf(b, "## Record %d (%s)\n\n", n, database)
	b.WriteString("### Main details\n\n")
	b.WriteString("| Field | Value |\n|---|---|\n")
	for _, f := range c.Fields {
		fmt.Fprintf(b, "| %s | %s |\n", escapeCell(f.Name), value(f.Value))
	}
	b.WriteString("\n")
	renderTable(b, "Everything in the record", c.Row)
	if c.Extension != nil {
		renderTable(b, "Additional fields", *c.Extension)
	}
	for _, t := range c.Interactions {
		renderTable(b, "Interactions: "+t.Name, t)
	}
	for _, t := range c.Dependents {
		renderTable(b, "Related records: "+t.Name, t)
	}
}

// renderTable writes one table; a table without rows is one line.
func renderTable(b *strings.Builder, title string, t Table) {
	fmt.Fprintf(b, "### %s\n\n", escapeCell(title))
	if len(t.Rows) == 0 {
		b.WriteString("None.\n\n")
		return
	}
	b.WriteString("|")
	for _, c := range t.Columns {
		fmt.Fprintf(b, " %s |", escapeCell(c))
	}
	b.WriteString("\n|")
	for range t.Columns {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		b.WriteString("|")
		for _, v := range r {
			fmt.Fprintf(b, " %s |", value(v))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func renderRegister(b *strings.Builder, acts []Activity) {
	b.WriteString("## What we do with your data\n\n")
	if len(acts) == 0 {
		b.WriteString("No processing activity of our register applies to the records above.\n")
		return
	}
	for _, a := range acts {
		fmt.Fprintf(b, "### %s\n\n", escapeCell(a.Name))
		item := func(label, v string) {
			if v != "" {
				fmt.Fprintf(b, "- %s: %s\n", label, v)
			}
		}
		item("Purposes", strings.Join(a.Purposes, "; "))
		item("Legal basis", a.LegalBasis)
		item("Categories of data", strings.Join(a.DataCategories, "; "))
		item("Recipients", strings.Join(a.Recipients, "; "))
		item("Transfers outside the EEA", strings.Join(a.Transfers, "; "))
		item("How long we keep it", a.Retention)
		item("Where it comes from", a.Source)
		item("Automated decisions and profiling", a.AutomatedDecisions)
		b.WriteString("\n")
	}
}

func value(v *string) string {
	if v == nil {
		return ""
	}
	return escapeCell(*v)
}

// escapeCell keeps a value on one table cell: pipes escaped, line breaks as spaces.
func escapeCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r\n", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "\r", " ")
}
