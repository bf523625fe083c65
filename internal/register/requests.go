package register

import (
	"fmt"
	"sort"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// KindRequestSummary is the register entry that accounts for a namespace's data-subject
// requests (GDPR Art. 5(2), accountability): counts per month of receipt and type, never
// an identity, a request's name or a contact. One entry per namespace, named
// RequestSummaryName.
const KindRequestSummary = "DataSubjectRequestSummary"

// RequestSummaryName is the name of a namespace's request summary entry.
const RequestSummaryName = "data-subject-requests"

// RequestCounts are the requests of one type received in one month (UTC).
type RequestCounts struct {
	// Month is the month of receipt, YYYY-MM (UTC).
	Month string `json:"month"`
	// Type is the request type.
	Type string `json:"type"`
	// Received is how many were received.
	Received int64 `json:"received"`
	// CompletedOnTime is how many were completed by their deadline.
	CompletedOnTime int64 `json:"completedOnTime"`
	// CompletedLate is how many were completed after their deadline.
	CompletedLate int64 `json:"completedLate"`
	// Open is how many are not completed yet.
	Open int64 `json:"open"`
}

// requestSummary is the spec of a request summary entry.
type requestSummary struct {
	Months []RequestCounts `json:"months"`
}

// RequestSummaries counts the requests of each namespace by month of receipt and type,
// sorted by month then type. Only status.receivedAt (or, before the operator set it,
// spec.receivedAt or the creation time), the type, the phase and status.onTime are read:
// nothing else of a request reaches the register.
func RequestSummaries(reqs []v1alpha1.DataSubjectRequest) map[string][]RequestCounts {
	type key struct{ ns, month, typ string }
	counts := map[key]*RequestCounts{}
	for i := range reqs {
		q := &reqs[i]
		received := q.CreationTimestamp.Time
		switch {
		case q.Status.ReceivedAt != nil:
			received = q.Status.ReceivedAt.Time
		case q.Spec.ReceivedAt != nil:
			received = q.Spec.ReceivedAt.Time
		}
		k := key{q.Namespace, received.UTC().Format("2006-01"), string(q.Spec.Type)}
		c := counts[k]
		if c == nil {
			c = &RequestCounts{Month: k.month, Type: k.typ}
			counts[k] = c
		}
		c.Received++
		switch {
		case q.Status.Phase != v1alpha1.RequestCompleted:
			c.Open++
		case q.Status.OnTime != nil && !*q.Status.OnTime:
			c.CompletedLate++
		default:
			c.CompletedOnTime++
		}
	}
	out := map[string][]RequestCounts{}
	for k, c := range counts {
		out[k.ns] = append(out[k.ns], *c)
	}
	for _, l := range out {
		sort.Slice(l, func(i, j int) bool {
			if l[i].Month != l[j].Month {
				return l[i].Month < l[j].Month
			}
			return l[i].Type < l[j].Type
		})
	}
	return out
}

// requestSummaryEntries are the register entries of the requests.
func requestSummaryEntries(reqs []v1alpha1.DataSubjectRequest) ([]Entry, error) {
	var entries []Entry
	for ns, months := range RequestSummaries(reqs) {
		e, err := NewEntry(KindRequestSummary, ns, RequestSummaryName, requestSummary{Months: months})
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// RequestSummaryRecord is a namespace's data-subject requests, as the register lays them
// out: one line per month and type.
type RequestSummaryRecord struct {
	Namespace string
	Lines     []string
}

// requestSummaryRecord lays out a request summary entry.
func requestSummaryRecord(e Entry) RequestSummaryRecord {
	rec := RequestSummaryRecord{Namespace: e.Namespace}
	for _, m := range list(e.Spec["months"]) {
		p := newPicker(object(m))
		n := func(name string) string { return p.str(name) }
		rec.Lines = append(rec.Lines, fmt.Sprintf("%s %s: %s received, %s completed on time, %s completed late, %s open",
			n("month"), n("type"), n("received"), n("completedOnTime"), n("completedLate"), n("open")))
	}
	return rec
}

// requestRows are the export rows of a request summary.
func requestRows(r RequestSummaryRecord) []row {
	return []row{many("Requests by month of receipt and type", r.Lines)}
}

// requestsPart is the export chapter of the data-subject requests; nil when there are none.
func requestsPart(rec Record) *part {
	if len(rec.Requests) == 0 {
		return nil
	}
	p := part{Title: "Data-subject requests (GDPR Arts. 12 and 15–21): counts only",
		Intro: "Requests received, by month of receipt (UTC) and type, and whether they were answered within the deadline of Art. 12(3). No identity is recorded."}
	for _, r := range rec.Requests {
		p.Entries = append(p.Entries, section{Title: r.Namespace, Rows: requestRows(r)})
	}
	return &p
}
