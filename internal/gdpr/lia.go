package gdpr

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// LIAReviewWarning is how long before its review date an approved LIA is reported as due
// for review (condition reason ReviewDue and a Warning event).
const LIAReviewWarning = 30 * 24 * time.Hour

// LIAState is where a legitimate interests assessment stands at a given time.
type LIAState struct {
	// Phase is Draft, Approved, Rejected or Expired.
	Phase privacyv1alpha1.LIAPhase
	// Reason is the reason of the Approved condition: Draft, Rejected, Expired, ReviewDue
	// (approved, review date within LIAReviewWarning) or Approved.
	Reason string
	// Message says the same for people, with the dates.
	Message string
	// NextChange is when the state changes next without any edit (the start of the review
	// window, the review date); zero when it never does.
	NextChange time.Time
}

// Usable reports whether activities can rely on the assessment.
func (s LIAState) Usable() bool { return s.Phase == privacyv1alpha1.PhaseApproved }

// LIAStateAt computes an assessment's state from its decision and the time: Draft without a
// decision, Rejected, Expired once the review date is reached, Approved before (reason
// ReviewDue from LIAReviewWarning before it).
func LIAStateAt(spec *privacyv1alpha1.LegitimateInterestAssessmentSpec, now time.Time) LIAState {
	d := spec.Decision
	switch {
	case d == nil:
		return LIAState{Phase: privacyv1alpha1.PhaseDraft, Reason: privacyv1alpha1.ReasonDraft,
			Message: "no decision is recorded: the assessment is a draft and no activity can rely on it; record spec.decision"}
	case d.Outcome == privacyv1alpha1.OutcomeRejected:
		return LIAState{Phase: privacyv1alpha1.PhaseRejected, Reason: privacyv1alpha1.ReasonRejected,
			Message: fmt.Sprintf("rejected on %s: activities cannot rely on legitimate interests for this processing; use another basis (usually consent)", CalendarDay(d.DecidedAt.Time))}
	}
	reviewBy := d.ReviewBy.Time
	if !now.Before(reviewBy) {
		return LIAState{Phase: privacyv1alpha1.PhaseExpired, Reason: privacyv1alpha1.ReasonExpired,
			Message: fmt.Sprintf("approved on %s, but the review date %s has passed: review the assessment and record a new decision with a later reviewBy", CalendarDay(d.DecidedAt.Time), CalendarDay(reviewBy))}
	}
	warnFrom := reviewBy.Add(-LIAReviewWarning)
	if !now.Before(warnFrom) {
		return LIAState{Phase: privacyv1alpha1.PhaseApproved, Reason: privacyv1alpha1.ReasonReviewDue, NextChange: reviewBy,
			Message: fmt.Sprintf("approved on %s; the review is due by %s (%s): review it before activities relying on it lose their legal basis", CalendarDay(d.DecidedAt.Time), CalendarDay(reviewBy), daysText(DaysLeft(now, reviewBy)))}
	}
	return LIAState{Phase: privacyv1alpha1.PhaseApproved, Reason: privacyv1alpha1.ReasonApproved, NextChange: warnFrom,
		Message: fmt.Sprintf("approved on %s; review by %s", CalendarDay(d.DecidedAt.Time), CalendarDay(reviewBy))}
}

// DaysLeft counts the calendar days (UTC) from now to t, as people count them: 0 when t
// is later today, 1 tomorrow, 30 when t is at midnight 30 days on (not 31), and -1 once t
// has passed today (negative exactly when an LIA whose review date is t is Expired).
func DaysLeft(now, t time.Time) int {
	n := int(utcDate(t).Sub(utcDate(now)) / (24 * time.Hour))
	if n == 0 && !now.Before(t) {
		return -1
	}
	return n
}

// utcDate is the midnight (UTC) that starts t's day.
func utcDate(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysText words a number of days left for a message.
func daysText(n int) string {
	switch {
	case n <= 0:
		return "today"
	case n == 1:
		return "within 1 day"
	}
	return fmt.Sprintf("within %d days", n)
}

// LegitimateInterestContactTypes are the contact types legitimate interests can cover:
// business contacts only. Consumers (B2C) need consent, whatever an LIA lists.
var LegitimateInterestContactTypes = []privacyv1alpha1.ContactType{privacyv1alpha1.ContactTypeB2B}

const liaRefField = "spec.legalBasis.legitimateInterestAssessmentRef"

// CheckLegitimateInterests decides the LegalBasisValid condition of an activity on
// legitimate interests: its LIA (lia, nil when it does not exist) must be approved and
// current at now, and cover the activity (see LIAScopeProblems).
func CheckLegitimateInterests(pa *privacyv1alpha1.ProcessingActivity, lia *privacyv1alpha1.LegitimateInterestAssessment, now time.Time) Outcome {
	ref := pa.Spec.LegalBasis.LegitimateInterestAssessmentRef
	if ref == nil {
		return broken(privacyv1alpha1.ReasonLIANotFound, "legitimate interests needs an approved LegitimateInterestAssessment: set %s", liaRefField)
	}
	if lia == nil {
		o := broken(privacyv1alpha1.ReasonLIANotFound, "LegitimateInterestAssessment %s does not exist in namespace %s: create it, or rely on another legal basis (usually consent)", ref.Name, pa.Namespace)
		o.find(o.Reason, privacyv1alpha1.SeverityViolation, liaRefField, "%s", o.Message)
		return o
	}
	state := LIAStateAt(&lia.Spec, now)
	if !state.Usable() {
		reason := privacyv1alpha1.ReasonLIANotApproved
		if state.Phase == privacyv1alpha1.PhaseExpired {
			reason = privacyv1alpha1.ReasonExpired
		}
		o := broken(reason, "LegitimateInterestAssessment %s is %s: %s", lia.Name, state.Phase, state.Message)
		o.find(reason, privacyv1alpha1.SeverityViolation, liaRefField, "%s", o.Message)
		return o
	}
	var o Outcome
	if problems := LIAScopeProblems(&pa.Spec, &lia.Spec); len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Message
		}
		o = broken(privacyv1alpha1.ReasonLIAOutOfScope,
			"LegitimateInterestAssessment %s does not cover the activity: %s; narrow the activity or widen the LIA's scope (B2C contacts and other job roles need consent)", lia.Name, strings.Join(msgs, "; "))
		o.Findings = problems
	} else {
		if state.Reason == privacyv1alpha1.ReasonReviewDue {
			o.find(privacyv1alpha1.ReasonReviewDue, privacyv1alpha1.SeverityWarning, liaRefField, "LegitimateInterestAssessment %s: %s", lia.Name, state.Message)
		}
		types := make([]string, 0, len(lia.Spec.Scope.ContactTypes))
		for _, t := range allowedContactTypes(&lia.Spec) {
			types = append(types, string(t))
		}
		ok := holds(privacyv1alpha1.ReasonReconciled, "LegitimateInterestAssessment %s is approved until %s and covers the activity (contact types %s, %d job roles)",
			lia.Name, CalendarDay(lia.Spec.Decision.ReviewBy.Time), strings.Join(types, ", "), len(lia.Spec.Scope.JobRoles))
		ok.Findings = o.Findings
		o = ok
	}
	o.wakeAt(now, lia.Spec.Decision.ReviewBy.Add(-LIAReviewWarning))
	o.wakeAt(now, lia.Spec.Decision.ReviewBy.Time)
	return o
}

// consumerWords are words of a data-subject category that name consumers, whom legitimate
// interests cannot cover. The categories are free text for the register; this only catches
// a declaration that contradicts itself. The contacts themselves are held to the scope by
// their contactType (ContactRulesFor).
var consumerWords = regexp.MustCompile(`(?i)\b(b2c|consumers?|private (individuals?|persons?|customers?))\b`)

// LIAScopeProblems lists where an activity reaches beyond its LIA's scope: contact types
// or job roles its contactSelector selects (with In) that the LIA does not allow (a B2C
// contact type never is), and data-subject categories that name consumers. Values compare
// without regard to case or surrounding spaces.
func LIAScopeProblems(pa *privacyv1alpha1.ProcessingActivitySpec, lia *privacyv1alpha1.LegitimateInterestAssessmentSpec) []privacyv1alpha1.Finding {
	var out []privacyv1alpha1.Finding
	problem := func(field, format string, args ...any) {
		out = append(out, privacyv1alpha1.Finding{Code: privacyv1alpha1.ReasonLIAOutOfScope, Severity: privacyv1alpha1.SeverityViolation,
			Field: field, Message: fmt.Sprintf(format, args...)})
	}
	allowed := map[privacyv1alpha1.LogicalFieldName][]string{
		privacyv1alpha1.FieldContactType: contactTypeStrings(allowedContactTypes(lia)),
		privacyv1alpha1.FieldJobRole:     lia.Scope.JobRoles,
	}
	if sel := pa.ContactSelector; sel != nil {
		for i, req := range sel.MatchExpressions {
			scope, ok := allowed[req.Field]
			if !ok || req.Operator != privacyv1alpha1.SelectorOpIn {
				continue
			}
			for _, v := range req.Values {
				if !containsFold(scope, v) {
					problem(fmt.Sprintf("spec.contactSelector.matchExpressions[%d]", i),
						"the contactSelector selects %s %q, which the LIA's scope does not list", req.Field, v)
				}
			}
		}
	}
	for i, cat := range pa.DataSubjectCategories {
		if consumerWords.MatchString(cat) {
			problem(fmt.Sprintf("spec.dataSubjectCategories[%d]", i), "the data-subject category %q names consumers", cat)
		}
	}
	return out
}

// allowedContactTypes are the LIA's contact types that legitimate interests can cover.
func allowedContactTypes(lia *privacyv1alpha1.LegitimateInterestAssessmentSpec) []privacyv1alpha1.ContactType {
	var out []privacyv1alpha1.ContactType
	for _, t := range lia.Scope.ContactTypes {
		for _, ok := range LegitimateInterestContactTypes {
			if strings.EqualFold(string(t), string(ok)) {
				out = append(out, ok)
			}
		}
	}
	return out
}

func contactTypeStrings(ts []privacyv1alpha1.ContactType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}
