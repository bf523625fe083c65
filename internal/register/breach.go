package register

import (
	"encoding/csv"
	"strings"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
)

// KindDataBreach is the kind of the personal data breaches in the register: the
// documentation of every breach that Art. 33(5) asks the controller to keep.
const KindDataBreach = "DataBreach"

// breachEntries makes the register entries of the breaches: the spec whole, the facts, the
// effects, the remedial action and the notifications, but not spec.notifyList, an
// operational request (asking for a list of contacts to notify is not part of the record,
// and the list itself is never in the register).
func breachEntries(breaches []v1alpha1.DataBreach) ([]Entry, error) {
	out := make([]Entry, 0, len(breaches))
	for i := range breaches {
		o := &breaches[i]
		spec := o.Spec.DeepCopy()
		spec.NotifyList = nil
		e, err := NewEntry(KindDataBreach, o.Namespace, o.Name, spec)
		if err != nil {
			return nil, err
		}
		e.SourceRevision = o.Annotations[v1alpha1.AnnotationSourceRevision]
		out = append(out, e)
	}
	return out, nil
}

// BreachRecord is one personal data breach as the register documents it (Art. 33(5)).
type BreachRecord struct {
	Namespace, Name string
	OccurredAt      string
	DetectedAt      string
	AwareAt         string
	// AuthorityDeadline is awareAt plus 72 elapsed hours (Art. 33(1)), in UTC.
	AuthorityDeadline string
	Nature            string
	DataSubjects      string
	PersonalData      string
	Consequences      []string
	MeasuresTaken     []string
	MeasuresProposed  []string
	Activities        []string
	Databases         []string
	// AffectedScope is the contact selector in words.
	AffectedScope string
	Risk          string
	// Authority is the notification to the supervisory authority, or why there is none.
	Authority string
	// DataSubjectsNotified is the communication to the people affected, or why there is
	// none.
	DataSubjectsNotified string
	Other                []Detail
}

// breach lays out one breach entry.
func breach(e Entry) BreachRecord {
	p := newPicker(e.Spec)
	r := BreachRecord{Namespace: e.Namespace, Name: e.Name}
	r.OccurredAt = p.str("occurredAt")
	r.DetectedAt = p.str("detectedAt")
	r.AwareAt = p.str("awareAt")
	if aware, err := time.Parse(time.RFC3339, r.AwareAt); err == nil {
		r.AuthorityDeadline = gdpr.FormatInstant(gdpr.AuthorityDeadline(aware))
	}
	nature := p.sub("nature")
	r.Nature = nature.restText(joinNonEmpty(": ", strings.Join(nature.strs("types"), ", "), nature.str("description")))
	subjects := p.sub("dataSubjects")
	r.DataSubjects = subjects.restText(withApproximate(strings.Join(subjects.strs("categories"), ", "), subjects.str("approximateNumber"), "people"))
	data := p.sub("personalData")
	pd := strings.Join(data.strs("categories"), ", ")
	if sc := data.strs("specialCategories"); len(sc) > 0 {
		pd += "; special categories (Art. 9): " + strings.Join(sc, ", ")
	}
	r.PersonalData = data.restText(withApproximate(pd, data.str("approximateRecords"), "records"))
	r.Consequences = p.strs("likelyConsequences")
	measures := p.sub("measures")
	r.MeasuresTaken = measures.strs("taken")
	r.MeasuresProposed = measures.strs("proposed")
	for _, ref := range list(p.get("processingActivityRefs")) {
		r.Activities = append(r.Activities, refName(ref))
	}
	for _, ref := range list(p.get("databaseRefs")) {
		r.Databases = append(r.Databases, refName(ref))
	}
	if p.has("contactSelector") {
		r.AffectedScope = selectorText(p.sub("contactSelector"))
	} else if len(r.Databases) > 0 {
		r.AffectedScope = "every contact of the databases"
	}
	risk := p.sub("riskAssessment")
	r.Risk = risk.restText(joinNonEmpty(": ", risk.str("level"), risk.str("reasoning")))
	n := p.sub("notifications")
	level := risk.str("level")
	r.Authority = authorityText(n.sub("authority"), r.AuthorityDeadline, level)
	r.DataSubjectsNotified = dataSubjectsText(n.sub("dataSubjects"), level)
	r.Other = p.rest()
	return r
}

// withApproximate appends "(about N unit)" when the number is known.
func withApproximate(s, n, unit string) string {
	if n == "" {
		return s
	}
	return joinNonEmpty(" ", s, "(about "+n+" "+unit+")")
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

// authorityText words the notification to the authority.
func authorityText(a *picker, deadline, risk string) string {
	if at := a.str("notifiedAt"); at != "" {
		s := "notified " + joinNonEmpty(" ", a.str("authorityName"), "at "+at)
		if ref := a.str("caseNumber"); ref != "" {
			s += ", case number " + ref
		}
		if late := a.str("lateNotificationReason"); late != "" {
			s += "; late (deadline " + deadline + "): " + late
		}
		return a.restText(s)
	}
	if why := a.str("notNotifiedReason"); why != "" {
		return a.restText("not notified: " + why)
	}
	if risk == string(v1alpha1.RiskNone) {
		return a.restText("not required: risk assessed as None (Art. 33(1))")
	}
	return a.restText("not recorded: due by " + deadline)
}

// dataSubjectsText words the communication to the people affected.
func dataSubjectsText(d *picker, risk string) string {
	if at := d.str("notifiedAt"); at != "" {
		return d.restText(joinNonEmpty(", ", "notified at "+at, d.str("method")))
	}
	if why := d.str("notNotifiedReason"); why != "" {
		s := "not notified"
		if ex := d.str("exemption"); ex != "" {
			s += " (Art. 34(3) exemption " + ex + ")"
		}
		return d.restText(s + ": " + why)
	}
	if risk != string(v1alpha1.RiskHigh) {
		return d.restText("not required: risk below HighRisk (Art. 34(1))")
	}
	return d.restText("not recorded: due without undue delay (Art. 34(1))")
}

// breachRows lays out a breach in the order of Art. 33(3) and 33(5): facts, effects,
// remedial action, then the notifications. The CSV columns are these labels.
func breachRows(r BreachRecord) []row {
	return []row{
		one("Occurred at", r.OccurredAt),
		one("Detected at", r.DetectedAt),
		one("Controller aware at", r.AwareAt),
		one("Authority deadline (aware + 72 h)", r.AuthorityDeadline),
		one("Nature of the breach", r.Nature),
		one("Data subjects concerned", r.DataSubjects),
		one("Personal data concerned", r.PersonalData),
		many("Likely consequences", r.Consequences),
		many("Measures taken", r.MeasuresTaken),
		many("Measures proposed", r.MeasuresProposed),
		many("Processing activities", r.Activities),
		many("CRM databases", r.Databases),
		one("Contacts affected", r.AffectedScope),
		one("Risk assessment", r.Risk),
		one("Notification to the supervisory authority (Art. 33)", r.Authority),
		one("Communication to the data subjects (Art. 34)", r.DataSubjectsNotified),
	}
}

// breachPart is the register's chapter of personal data breaches.
func breachPart(rec Record) part {
	p := part{Title: "Personal data breaches (GDPR Art. 33(5))", Empty: "No personal data breach is recorded."}
	for _, b := range rec.Breaches {
		p.Entries = append(p.Entries, section{Title: b.Namespace + "/" + b.Name, Rows: append(breachRows(b), detailRows(b.Other)...)})
	}
	return p
}

// writeBreachesCSV writes the breaches as a second table after the activities, separated
// by an empty line, with its own header row; nothing when no breach is recorded, so that a
// register without breaches keeps one table.
func writeBreachesCSV(w *csv.Writer, rec Record) error {
	if len(rec.Breaches) == 0 {
		return nil
	}
	w.Flush()
	if err := w.Write(nil); err != nil {
		return err
	}
	table := csvTable{namespace: "Breach namespace", name: "Breach name", labels: breachRows(BreachRecord{})}
	for _, b := range rec.Breaches {
		table.entries = append(table.entries, csvEntry{b.Namespace, b.Name, breachRows(b), b.Other})
	}
	return table.write(w, rec.Revision)
}
