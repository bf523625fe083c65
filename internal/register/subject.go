package register

import (
	"strings"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
)

// SubjectActivities is what the register says, in words, about the processing activities
// of objs, for the answer to an Access request (GDPR Art. 15(1)(a)–(h)): purposes, legal
// basis, data categories, recipients (processors included), third-country transfers,
// retention, the sources of the data (Art. 15(1)(g)), and whether profiling takes place. objs holds the activities that apply to the
// person, with the assessments and retention policies they refer to; at is the time
// contract and assessment states are read at. The activities come in the register's order.
// Source is the activity's spec.dataSources; the export's contact rows show, besides, what
// the CRM records of it per contact (for example consentMethod).
func SubjectActivities(objs Objects, at time.Time) ([]subject.Activity, error) {
	doc, err := FromObjects(objs)
	if err != nil {
		return nil, err
	}
	rec := BuildRecord(doc, RevisionInfo{CreatedAt: at})
	out := make([]subject.Activity, 0, len(rec.Activities))
	for _, a := range rec.Activities {
		out = append(out, subjectActivity(a))
	}
	return out, nil
}

// subjectActivity picks from one Art. 30 entry what Art. 15(1) tells the person.
func subjectActivity(a ActivityRecord) subject.Activity {
	legal := a.LegalBasis
	if a.LIA != "" {
		legal += " (" + a.LIA + ")"
	}
	recipients := append(append([]string{}, a.Recipients...), a.Processors...)
	return subject.Activity{
		Name:               a.Name,
		Purposes:           a.Purposes,
		LegalBasis:         legal,
		DataCategories:     a.DataCategories,
		Recipients:         recipients,
		Transfers:          a.Transfers,
		Retention:          strings.Join(a.ErasureTimeLimits, "; "),
		Source:             strings.Join(a.DataSources, "; "),
		AutomatedDecisions: a.Profiling,
	}
}
