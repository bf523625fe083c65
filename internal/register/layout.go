package register

// row is one labelled line of a section: a single value or a list.
type row struct {
	Label  string
	Values []string
	List   bool
}

func one(label, value string) row            { return row{Label: label, Values: nonEmpty(value)} }
func many(label string, values []string) row { return row{Label: label, Values: values, List: true} }

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func detailRows(ds []Detail) []row {
	out := make([]row, 0, len(ds))
	for _, d := range ds {
		out = append(out, one(d.Label, d.Value))
	}
	return out
}

// activityRows lays out an activity: the Art. 30 rows, then the other details.
func activityRows(a ActivityRecord) []row {
	return append(art30Rows(a), detailRows(a.Other)...)
}

// art30Rows lays out an activity in the order of Art. 30(1) (a) to (g), then what the
// operator adds (databases, scope). The CSV columns are these labels.
func art30Rows(a ActivityRecord) []row {
	return []row{
		one("Description", a.Description),
		one("Controller", a.Controller),
		many("Joint controllers", a.JointControllers),
		one("Representative in the Union", a.Representative),
		one("Data protection officer", a.DPO),
		many("Purposes", a.Purposes),
		one("Legal basis", a.LegalBasis),
		one("Legitimate interests assessment", a.LIA),
		many("Categories of data subjects", a.DataSubjects),
		many("Categories of personal data", a.DataCategories),
		many("Sources of the data (Art. 14(2)(f))", a.DataSources),
		many("Special categories (Art. 9)", a.SpecialCategories),
		many("Recipients", a.Recipients),
		many("Processors (Art. 28)", a.Processors),
		many("Transfers to third countries", a.Transfers),
		many("Erasure time limits", a.ErasureTimeLimits),
		many("Security measures (Art. 32)", a.SecurityMeasures),
		one("DPIA (Art. 35)", a.DPIA),
		one("Profiling", a.Profiling),
		one("Direct marketing (an opt-out stops it)", a.DirectMarketing),
		one("Privacy notice", a.PrivacyNotice),
		many("CRM databases", a.Databases),
		one("Contacts in scope", a.ContactScope),
	}
}

func assessmentRows(a AssessmentRecord) []row {
	rows := []row{
		one("Status", a.Status),
		one("Purpose (legitimate interest)", a.Purpose),
		one("Necessity", a.Necessity),
		one("Balancing", a.Balancing),
		one("Scope", a.Scope),
		one("Outcome", a.Outcome),
		one("Decided by", a.DecidedBy),
		one("Decided at", a.DecidedAt),
		one("Review by", a.ReviewBy),
		one("Rationale", a.Rationale),
		one("DPIA", a.DPIA),
		many("Relied on by", a.UsedBy),
	}
	return append(rows, detailRows(a.Other)...)
}

func retentionRows(r RetentionRecord) []row {
	rows := []row{
		one("Processing activity", r.Activity),
		one("CRM database", r.Database),
		one("Mode", r.Mode),
		many("Rules", r.Rules),
		many("Legal holds", r.LegalHolds),
	}
	return append(rows, detailRows(r.Other)...)
}

func accessRoleRows(r AccessRoleRecord) []row {
	rows := []row{
		one("Processing activity (purpose)", r.Activity),
		one("CRM database", r.Database),
		one("Database role", r.Role),
		many("Privileges", r.Grants),
		one("Rows", r.RowFilter),
		many("Members (designation)", r.Members),
		one("Valid until", r.ValidUntil),
	}
	if r.Deletion != "" {
		rows = append(rows, one("Deletion", r.Deletion))
	}
	return append(rows, detailRows(r.Other)...)
}

func dpiaRows(d DPIARecord) []row {
	return []row{
		one("Status", d.Status),
		many("WP248 criteria met", d.Criteria),
		many("Referenced by", d.ReferencedBy),
	}
}

// section is one titled block of rows: an activity, an assessment, a policy…
type section struct {
	Title string
	Rows  []row
}

// part is one chapter of an export.
type part struct {
	Title   string
	Intro   string
	Empty   string
	Entries []section
}

// parts lays the whole record out in the order the exports print it.
func parts(rec Record) []part {
	var ps []part
	activities := part{Title: "Record of processing activities (GDPR Art. 30(1))", Empty: "No processing activity is declared."}
	for _, a := range rec.Activities {
		activities.Entries = append(activities.Entries, section{Title: a.Namespace + "/" + a.Name, Rows: activityRows(a)})
	}
	lias := part{Title: "Register of assessments: legitimate interests assessments", Empty: "No legitimate interests assessment is recorded."}
	for _, a := range rec.Assessments {
		lias.Entries = append(lias.Entries, section{Title: a.Namespace + "/" + a.Name, Rows: assessmentRows(a)})
	}
	dpias := part{Title: "Register of assessments: data protection impact assessments", Empty: "No DPIA is referenced."}
	for _, d := range rec.DPIAs {
		title := d.Reference
		if title == "" {
			title = "(no reference)"
		}
		dpias.Entries = append(dpias.Entries, section{Title: title, Rows: dpiaRows(d)})
	}
	retention := part{Title: "Retention policies", Empty: "No retention policy is declared."}
	for _, r := range rec.Retention {
		retention.Entries = append(retention.Entries, section{Title: r.Namespace + "/" + r.Name, Rows: retentionRows(r)})
	}
	access := part{Title: "Access roles", Empty: "No access role is declared."}
	for _, r := range rec.AccessRoles {
		access.Entries = append(access.Entries, section{Title: r.Namespace + "/" + r.Name, Rows: accessRoleRows(r)})
	}
	dbs := part{Title: "CRM databases", Empty: "No CRM database is declared."}
	for _, d := range rec.Databases {
		dbs.Entries = append(dbs.Entries, section{Title: d.Namespace + "/" + d.Name, Rows: detailRows(d.Details)})
	}
	ps = append(ps, activities, lias, dpias, retention, access, dbs, breachPart(rec))
	if requests := requestsPart(rec); requests != nil {
		ps = append(ps, *requests)
	}
	return ps
}

// headerRows are the revision header lines.
func headerRows(rev RevisionInfo) []row {
	return []row{
		one("Register revision", revisionNumber(rev.Number)),
		one("Created at", formatTime(rev.CreatedAt)),
		one("Source revision", rev.SourceRevision),
		one("Content hash (SHA-256)", rev.ContentHash),
		one("Previous hash", rev.PreviousHash),
	}
}

func revisionNumber(n int64) string {
	if n == 0 {
		return "not recorded yet"
	}
	return itoa(n)
}
