package gdpr

import (
	"testing"
	"time"
	_ "time/tzdata" // the DST cases load Europe/Paris and America/New_York

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestAuthorityDeadline proves the deadline is 72 elapsed hours after awareAt, whatever the
// offset awareAt is written with and across daylight-saving changes: the local wall-clock
// time of the deadline moves by the change, the instant does not.
func TestAuthorityDeadline(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		awareAt string
		want    string // the deadline, UTC
		loc     *time.Location
		wantLoc string // the deadline's wall-clock time in loc
	}{
		{"UTC, no change", "2026-06-10T08:30:00Z", "2026-06-13T08:30:00Z", time.UTC, "2026-06-13T08:30:00Z"},
		{"positive offset", "2026-06-10T10:30:00+02:00", "2026-06-13T08:30:00Z", paris, "2026-06-13T10:30:00+02:00"},
		{"negative offset", "2026-06-10T04:30:00-04:00", "2026-06-13T08:30:00Z", newYork, "2026-06-13T04:30:00-04:00"},
		// Paris springs forward on 29 March 2026 at 02:00 CET: 72 h after 10:00 CET on the
		// 28th is 11:00 CEST on the 31st, one hour later on the wall clock.
		{"Paris spring forward", "2026-03-28T10:00:00+01:00", "2026-03-31T09:00:00Z", paris, "2026-03-31T11:00:00+02:00"},
		// Paris falls back on 25 October 2026 at 03:00 CEST: 72 h after 10:00 CEST on the
		// 24th is 09:00 CET on the 27th, one hour earlier on the wall clock.
		{"Paris fall back", "2026-10-24T10:00:00+02:00", "2026-10-27T08:00:00Z", paris, "2026-10-27T09:00:00+01:00"},
		// Aware during the repeated hour of the fall-back night (the second 02:30, CET).
		{"aware in the repeated hour", "2026-10-25T02:30:00+01:00", "2026-10-28T01:30:00Z", paris, "2026-10-28T02:30:00+01:00"},
		// New York springs forward on 8 March 2026.
		{"New York spring forward", "2026-03-07T12:00:00-05:00", "2026-03-10T17:00:00Z", newYork, "2026-03-10T13:00:00-04:00"},
		{"across a year end", "2026-12-30T23:59:59+00:00", "2027-01-02T23:59:59Z", time.UTC, "2027-01-02T23:59:59Z"},
		{"leap day", "2028-02-27T12:00:00Z", "2028-03-01T12:00:00Z", time.UTC, "2028-03-01T12:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AuthorityDeadline(mustParse(t, tt.awareAt))
			if !got.Equal(mustParse(t, tt.want)) {
				t.Errorf("AuthorityDeadline(%s) = %s, want %s", tt.awareAt, FormatInstant(got), tt.want)
			}
			if local := got.In(tt.loc).Format(time.RFC3339); local != tt.wantLoc {
				t.Errorf("deadline in %s = %s, want %s", tt.loc, local, tt.wantLoc)
			}
			if d := got.Sub(mustParse(t, tt.awareAt)); d != 72*time.Hour {
				t.Errorf("deadline is %s after awareAt, want 72h", d)
			}
		})
	}
}

func TestNotifiedLate(t *testing.T) {
	aware := mustParse(t, "2026-03-28T10:00:00+01:00")
	tests := []struct {
		name     string
		notified string
		want     bool
	}{
		{"at awareness", "2026-03-28T10:00:00+01:00", false},
		{"one second before 72 h", "2026-03-31T08:59:59Z", false},
		{"exactly 72 h, in time", "2026-03-31T09:00:00Z", false},
		{"exactly 72 h written in CEST", "2026-03-31T11:00:00+02:00", false},
		{"one second after 72 h", "2026-03-31T09:00:01Z", true},
		// 10:30 local on the 31st looks late to someone adding 72 h to 10:00 on the wall
		// clock, but only 71.5 hours have elapsed across the spring-forward: in time.
		{"wall-clock trap across DST, in time", "2026-03-31T10:30:00+02:00", false},
		{"one second after 11:00 CEST", "2026-03-31T11:00:01+02:00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NotifiedLate(aware, mustParse(t, tt.notified)); got != tt.want {
				t.Errorf("NotifiedLate(%s) = %v, want %v", tt.notified, got, tt.want)
			}
		})
	}
}

func breachSpec(t *testing.T, risk v1.BreachRisk, aware string, n *v1.BreachNotifications) *v1.DataBreachSpec {
	a := metav1.NewTime(mustParse(t, aware))
	return &v1.DataBreachSpec{DetectedAt: a, AwareAt: a, RiskAssessment: v1.BreachRiskAssessment{Level: risk, Reasoning: "r"},
		Notifications: n}
}

func at(t *testing.T, s string) *metav1.Time {
	ts := metav1.NewTime(mustParse(t, s))
	return &ts
}

func TestBreachStateAt(t *testing.T) {
	const aware = "2026-10-24T10:00:00+02:00" // deadline 2026-10-27T08:00:00Z, across the fall-back
	deadline := mustParse(t, "2026-10-27T08:00:00Z")
	tests := []struct {
		name        string
		risk        v1.BreachRisk
		n           *v1.BreachNotifications
		now         string
		state       v1.BreachState
		reason      string
		overdue     bool
		subjectsDue bool
		subjects    string
		next        time.Time
	}{
		{name: "risk none needs nothing", risk: v1.RiskNone, now: "2026-11-30T00:00:00Z",
			state: v1.BreachStateNotRequired, reason: v1.ReasonNotificationNotRequired, subjects: v1.ReasonNotificationNotRequired},
		{name: "risk, just aware: due", risk: v1.RiskRisk, now: "2026-10-24T08:00:00Z",
			state: v1.BreachStateDue, reason: v1.ReasonNotificationDue, subjects: v1.ReasonNotificationNotRequired, next: deadline},
		{name: "risk, at the deadline: still due", risk: v1.RiskRisk, now: "2026-10-27T08:00:00Z",
			state: v1.BreachStateDue, reason: v1.ReasonNotificationDue, subjects: v1.ReasonNotificationNotRequired, next: deadline},
		{name: "risk, at the deadline in local time: still due", risk: v1.RiskRisk, now: "2026-10-27T09:00:00+01:00",
			state: v1.BreachStateDue, reason: v1.ReasonNotificationDue, subjects: v1.ReasonNotificationNotRequired, next: deadline},
		{name: "risk, one second after: overdue", risk: v1.RiskRisk, now: "2026-10-27T08:00:01Z",
			state: v1.BreachStateOverdue, reason: v1.ReasonDeadlinePassed, overdue: true, subjects: v1.ReasonNotificationNotRequired},
		{name: "risk, 10:00 local on day 3 is already overdue after fall-back", risk: v1.RiskRisk, now: "2026-10-27T10:00:00+01:00",
			state: v1.BreachStateOverdue, reason: v1.ReasonDeadlinePassed, overdue: true, subjects: v1.ReasonNotificationNotRequired},
		{name: "notified in time", risk: v1.RiskRisk, now: "2026-12-01T00:00:00Z",
			n:     &v1.BreachNotifications{Authority: &v1.AuthorityNotification{NotifiedAt: at(t, "2026-10-27T08:00:00Z"), AuthorityName: "CNIL"}},
			state: v1.BreachStateNotified, reason: v1.ReasonAuthorityNotified, subjects: v1.ReasonNotificationNotRequired},
		{name: "notified late", risk: v1.RiskRisk, now: "2026-12-01T00:00:00Z",
			n: &v1.BreachNotifications{Authority: &v1.AuthorityNotification{NotifiedAt: at(t, "2026-10-27T08:00:01Z"),
				AuthorityName: "CNIL", LateNotificationReason: "x"}},
			state: v1.BreachStateNotifiedLate, reason: v1.ReasonNotifiedLate, subjects: v1.ReasonNotificationNotRequired},
		{name: "not notified, reason recorded", risk: v1.RiskRisk, now: "2026-12-01T00:00:00Z",
			n:     &v1.BreachNotifications{Authority: &v1.AuthorityNotification{NotNotifiedReason: "encrypted"}},
			state: v1.BreachStateNotNotified, reason: v1.ReasonNotNotified, subjects: v1.ReasonNotificationNotRequired},
		{name: "high risk, nothing recorded: both due", risk: v1.RiskHigh, now: "2026-10-25T00:00:00Z",
			state: v1.BreachStateDue, reason: v1.ReasonNotificationDue, subjectsDue: true, subjects: v1.ReasonNotificationDue, next: deadline},
		{name: "high risk, people told, authority overdue", risk: v1.RiskHigh, now: "2026-10-28T00:00:00Z",
			n:     &v1.BreachNotifications{DataSubjects: &v1.DataSubjectNotification{NotifiedAt: at(t, "2026-10-25T00:00:00Z"), Method: "email"}},
			state: v1.BreachStateOverdue, reason: v1.ReasonDeadlinePassed, overdue: true, subjects: v1.ReasonDataSubjectsNotified},
		{name: "high risk, Art. 34(3) exemption", risk: v1.RiskHigh, now: "2026-10-25T00:00:00Z",
			n: &v1.BreachNotifications{
				Authority:    &v1.AuthorityNotification{NotifiedAt: at(t, "2026-10-25T00:00:00Z"), AuthorityName: "CNIL"},
				DataSubjects: &v1.DataSubjectNotification{Exemption: v1.ExemptionDataUnintelligible, NotNotifiedReason: "AES-256, key safe"}},
			state: v1.BreachStateNotified, reason: v1.ReasonAuthorityNotified, subjects: v1.ReasonNotNotified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := BreachStateAt(breachSpec(t, tt.risk, aware, tt.n), mustParse(t, tt.now))
			if !s.Deadline.Equal(deadline) {
				t.Errorf("Deadline = %s, want %s", FormatInstant(s.Deadline), FormatInstant(deadline))
			}
			if s.State != tt.state || s.AuthorityReason != tt.reason {
				t.Errorf("state %s/%s, want %s/%s (%s)", s.State, s.AuthorityReason, tt.state, tt.reason, s.AuthorityMessage)
			}
			wantDue := tt.state == v1.BreachStateDue || tt.state == v1.BreachStateOverdue
			if s.AuthorityDue != wantDue || s.Overdue != tt.overdue {
				t.Errorf("AuthorityDue=%v Overdue=%v, want %v %v", s.AuthorityDue, s.Overdue, wantDue, tt.overdue)
			}
			if s.SubjectsDue != tt.subjectsDue || s.SubjectsReason != tt.subjects {
				t.Errorf("subjects %v/%s, want %v/%s", s.SubjectsDue, s.SubjectsReason, tt.subjectsDue, tt.subjects)
			}
			if !s.NextChange.Equal(tt.next) {
				t.Errorf("NextChange = %v, want %v", s.NextChange, tt.next)
			}
			if s.Open() != (wantDue || tt.subjectsDue) {
				t.Errorf("Open() = %v", s.Open())
			}
		})
	}
}
