package gdpr

import (
	"time"
)

// RequestMonths is the time a controller has to answer a data subject's request: one
// month from its receipt (GDPR Art. 12(3)).
const RequestMonths = 1

// MaxExtensionMonths is the most a request's deadline may be extended, with reasons given
// to the person within the first month (Art. 12(3)).
const MaxExtensionMonths = 2

// AddCalendarMonths adds months to t as EU law counts a period expressed in months
// (Regulation 1182/71, Art. 3(2)(c)): the period ends on the same day of the month, and
// when that month has no such day, on its last day. 31 January plus one month is
// 28 (or 29) February, not 3 March as time.AddDate would give. The time of day is kept; t
// is read in UTC.
func AddCalendarMonths(t time.Time, months int) time.Time {
	t = t.UTC()
	firstOfTarget := time.Date(t.Year(), t.Month()+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	lastDay := firstOfTarget.AddDate(0, 1, -1).Day()
	day := min(t.Day(), lastDay)
	return time.Date(firstOfTarget.Year(), firstOfTarget.Month(), day, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// RequestDueAt is the deadline of a request received at receivedAt whose deadline was
// extended by extensionMonths (0 when not extended; more than MaxExtensionMonths counts
// as MaxExtensionMonths, fewer than zero as zero).
func RequestDueAt(receivedAt time.Time, extensionMonths int) time.Time {
	ext := min(max(extensionMonths, 0), MaxExtensionMonths)
	return AddCalendarMonths(receivedAt, RequestMonths+ext)
}

// RequestTiming is where a request stands against its deadline.
type RequestTiming struct {
	// Overdue is true when the request was not completed by its deadline: still open
	// after it, or completed after it.
	Overdue bool
	// OnTime is set for a completed request: true when it was completed by its deadline.
	OnTime *bool
	// Until is how long until the deadline from now (zero or less when it passed); a
	// controller wakes the request then to raise Overdue.
	Until time.Duration
}

// RequestTimingAt says where a request with deadline dueAt stands at now, given when it
// was completed (nil when it is not).
func RequestTimingAt(dueAt, now time.Time, completedAt *time.Time) RequestTiming {
	if completedAt != nil {
		onTime := !completedAt.After(dueAt)
		return RequestTiming{Overdue: !onTime, OnTime: &onTime, Until: dueAt.Sub(now)}
	}
	return RequestTiming{Overdue: now.After(dueAt), Until: dueAt.Sub(now)}
}
