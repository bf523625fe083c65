package gdpr

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// Outcome is what one rule found: the status, reason and message of the condition it
// decides, the findings that explain it field by field, and when it changes next.
type Outcome struct {
	// Status is True when the rule holds, False when it is broken, Unknown when it could
	// not be checked.
	Status metav1.ConditionStatus
	// Reason is the condition reason, a constant of api/v1alpha1.
	Reason string
	// Message says the same for people.
	Message string
	// Findings point at the spec fields that need attention.
	Findings []privacyv1alpha1.Finding
	// Next is the earliest time at which the outcome changes without any edit (an LIA's
	// review date, a contract's expiry); zero when it never does.
	Next time.Time
}

func (o *Outcome) find(code string, severity privacyv1alpha1.FindingSeverity, field, format string, args ...any) {
	o.Findings = append(o.Findings, privacyv1alpha1.Finding{Code: code, Severity: severity, Field: field, Message: fmt.Sprintf(format, args...)})
}

// wakeAt records a future moment at which the outcome changes.
func (o *Outcome) wakeAt(now, t time.Time) {
	if t.After(now) && (o.Next.IsZero() || t.Before(o.Next)) {
		o.Next = t
	}
}

func holds(reason, format string, args ...any) Outcome {
	return Outcome{Status: metav1.ConditionTrue, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

func broken(reason, format string, args ...any) Outcome {
	return Outcome{Status: metav1.ConditionFalse, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// CalendarDay formats a time as a calendar date (UTC), as messages show dates.
func CalendarDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }
