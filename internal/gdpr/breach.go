package gdpr

import (
	"fmt"
	"time"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// AuthorityNotificationWindow is the time the controller has, from the moment it became
// aware of a personal data breach, to notify the supervisory authority (Art. 33(1): "where
// feasible, not later than 72 hours after having become aware of it"). It is 72 elapsed
// hours: a daylight-saving change in between moves the local wall-clock time of the
// deadline by an hour, never the instant.
const AuthorityNotificationWindow = 72 * time.Hour

// AuthorityDeadline is the instant by which the authority must be notified: awareAt plus
// 72 elapsed hours. Time zones do not enter: awareAt is an instant (an RFC 3339 time with
// its offset), and so is the deadline.
func AuthorityDeadline(awareAt time.Time) time.Time {
	return awareAt.Add(AuthorityNotificationWindow)
}

// NotifiedLate reports whether a notification at notifiedAt misses the deadline of a breach
// the controller became aware of at awareAt. A notification at exactly 72 hours is in time.
func NotifiedLate(awareAt, notifiedAt time.Time) bool {
	return notifiedAt.After(AuthorityDeadline(awareAt))
}

// AuthorityNotificationRequired reports whether the risk calls for notifying the
// authority: every risk but None (Art. 33(1)).
func AuthorityNotificationRequired(risk privacyv1alpha1.BreachRisk) bool {
	return risk != privacyv1alpha1.RiskNone
}

// DataSubjectNotificationRequired reports whether the risk calls for telling the people
// affected: a high risk only (Art. 34(1)).
func DataSubjectNotificationRequired(risk privacyv1alpha1.BreachRisk) bool {
	return risk == privacyv1alpha1.RiskHigh
}

// BreachState is where a breach stands at a given time.
type BreachState struct {
	// State sums up the notification to the authority.
	State privacyv1alpha1.BreachState
	// Deadline is awareAt plus 72 hours.
	Deadline time.Time
	// AuthorityDue is true while the authority must still be notified (State Due or
	// Overdue); AuthorityReason and AuthorityMessage are the condition's reason and message.
	AuthorityDue     bool
	AuthorityReason  string
	AuthorityMessage string
	// Overdue is true once the deadline passed without a notification.
	Overdue bool
	// SubjectsDue is true while the people affected by a HighRisk breach must still be
	// told; SubjectsReason and SubjectsMessage are the condition's reason and message.
	SubjectsDue     bool
	SubjectsReason  string
	SubjectsMessage string
	// NextChange is when the state changes next without an edit (the deadline while it is
	// due); zero when it never does.
	NextChange time.Time
}

// BreachStateAt computes a breach's notification state from its spec and the time.
//
//   - Risk None: nothing is due (NotRequired), the reasoning is in the risk assessment.
//   - Otherwise, with notifications.authority.notifiedAt: Notified, or NotifiedLate when
//     later than the deadline; with notNotifiedReason: NotNotified.
//   - Otherwise Due until the deadline (inclusive), Overdue after it.
//
// The people affected must be told when the risk is HighRisk, until notifications.
// dataSubjects records a communication or a reason for not making one.
func BreachStateAt(spec *privacyv1alpha1.DataBreachSpec, now time.Time) BreachState {
	s := BreachState{Deadline: AuthorityDeadline(spec.AwareAt.Time)}
	s.authority(spec, now)
	s.subjects(spec)
	return s
}

func (s *BreachState) authority(spec *privacyv1alpha1.DataBreachSpec, now time.Time) {
	deadline := FormatInstant(s.Deadline)
	var a *privacyv1alpha1.AuthorityNotification
	if spec.Notifications != nil {
		a = spec.Notifications.Authority
	}
	switch {
	case a != nil && a.NotifiedAt != nil && NotifiedLate(spec.AwareAt.Time, a.NotifiedAt.Time):
		s.State, s.AuthorityReason = privacyv1alpha1.BreachStateNotifiedLate, privacyv1alpha1.ReasonNotifiedLate
		s.AuthorityMessage = fmt.Sprintf("the authority was notified at %s, %s after the deadline %s; the reasons for the delay are recorded",
			FormatInstant(a.NotifiedAt.Time), a.NotifiedAt.Sub(s.Deadline).Round(time.Minute), deadline)
	case a != nil && a.NotifiedAt != nil:
		s.State, s.AuthorityReason = privacyv1alpha1.BreachStateNotified, privacyv1alpha1.ReasonAuthorityNotified
		s.AuthorityMessage = fmt.Sprintf("the authority was notified at %s, within the 72 hours (deadline %s)", FormatInstant(a.NotifiedAt.Time), deadline)
	case a != nil && a.NotNotifiedReason != "":
		s.State, s.AuthorityReason = privacyv1alpha1.BreachStateNotNotified, privacyv1alpha1.ReasonNotNotified
		s.AuthorityMessage = "the authority is not notified; the reason is recorded in spec.notifications.authority.notNotifiedReason"
	case !AuthorityNotificationRequired(spec.RiskAssessment.Level):
		s.State, s.AuthorityReason = privacyv1alpha1.BreachStateNotRequired, privacyv1alpha1.ReasonNotificationNotRequired
		s.AuthorityMessage = "the risk is assessed as None: no notification to the authority is required (Art. 33(1)); the breach is documented with the reasoning (Art. 33(5))"
	case now.After(s.Deadline):
		s.State, s.AuthorityReason, s.AuthorityDue, s.Overdue = privacyv1alpha1.BreachStateOverdue, privacyv1alpha1.ReasonDeadlinePassed, true, true
		s.AuthorityMessage = fmt.Sprintf("the authority had to be notified by %s (awareAt + 72 h), %s ago: notify it now and record the reasons for the delay in spec.notifications.authority.lateNotificationReason",
			deadline, now.Sub(s.Deadline).Round(time.Minute))
	default:
		s.State, s.AuthorityReason, s.AuthorityDue = privacyv1alpha1.BreachStateDue, privacyv1alpha1.ReasonNotificationDue, true
		s.NextChange = s.Deadline
		s.AuthorityMessage = fmt.Sprintf("notify the supervisory authority by %s (awareAt + 72 h, %s left) and record it in spec.notifications.authority",
			deadline, s.Deadline.Sub(now).Round(time.Minute))
	}
}

func (s *BreachState) subjects(spec *privacyv1alpha1.DataBreachSpec) {
	var d *privacyv1alpha1.DataSubjectNotification
	if spec.Notifications != nil {
		d = spec.Notifications.DataSubjects
	}
	switch {
	case d != nil && d.NotifiedAt != nil:
		s.SubjectsReason = privacyv1alpha1.ReasonDataSubjectsNotified
		s.SubjectsMessage = fmt.Sprintf("the people affected were notified at %s", FormatInstant(d.NotifiedAt.Time))
	case d != nil && d.NotNotifiedReason != "":
		s.SubjectsReason = privacyv1alpha1.ReasonNotNotified
		s.SubjectsMessage = "the people affected are not notified; the reason is recorded"
		if d.Exemption != "" {
			s.SubjectsMessage += fmt.Sprintf(" (Art. 34(3) exemption %s)", d.Exemption)
		}
	case !DataSubjectNotificationRequired(spec.RiskAssessment.Level):
		s.SubjectsReason = privacyv1alpha1.ReasonNotificationNotRequired
		s.SubjectsMessage = fmt.Sprintf("the risk is assessed as %s, not HighRisk: the people affected need not be told (Art. 34(1))", spec.RiskAssessment.Level)
	default:
		s.SubjectsDue, s.SubjectsReason = true, privacyv1alpha1.ReasonNotificationDue
		s.SubjectsMessage = "the risk is HighRisk: tell the people affected without undue delay (Art. 34(1)) and record it in spec.notifications.dataSubjects, or record an Art. 34(3) exemption"
	}
}

// Open reports whether the breach still needs a notification: to the authority, or to the
// people affected.
func (s BreachState) Open() bool { return s.AuthorityDue || s.SubjectsDue }

// FormatInstant writes an instant as people and programs read it in a message: RFC 3339 in
// UTC, to the second.
func FormatInstant(t time.Time) string { return t.UTC().Format(time.RFC3339) }
