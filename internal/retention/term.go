package retention

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Term is a retention term: a count of days, months or years.
type Term struct {
	Count int
	Unit  byte // 'd', 'm' or 'y'
}

var termPattern = regexp.MustCompile(`^([1-9][0-9]{0,4})([dmy])$`)

// MaxTermYears bounds a retention term: 100 years, 1200 months or 36500 days. A cutoff
// further back is beyond what some engines store (MySQL DATETIME starts in year 1000,
// PostgreSQL's timestamp arithmetic overflows far earlier than 9999 years back) and no
// retention schedule needs it. The CRD enforces the same bound.
const MaxTermYears = 100

// maxCount is the largest count of each unit.
var maxCount = map[byte]int{'d': MaxTermYears * 365, 'm': MaxTermYears * 12, 'y': MaxTermYears}

// ParseTerm reads a retention term such as "30d", "24m" or "10y", at most 100 years.
func ParseTerm(s string) (Term, error) {
	m := termPattern.FindStringSubmatch(s)
	if m == nil {
		return Term{}, fmt.Errorf("retention term %q: want a number and a unit d (days), m (months) or y (years), such as 24m or 10y", s)
	}
	n, _ := strconv.Atoi(m[1])
	t := Term{Count: n, Unit: m[2][0]}
	if n > maxCount[t.Unit] {
		return Term{}, fmt.Errorf("retention term %q: at most %d years (%dy, %dm or %dd)", s, MaxTermYears, maxCount['y'], maxCount['m'], maxCount['d'])
	}
	return t, nil
}

// Cutoff is the moment before which a reference time is past the term, seen from now:
// a contact whose reference time is strictly before Cutoff(now) has outlived the term.
// Months and years follow the calendar (24m before 2026-03-31 is 2024-03-31), in UTC.
func (t Term) Cutoff(now time.Time) time.Time {
	now = now.UTC()
	switch t.Unit {
	case 'd':
		return now.AddDate(0, 0, -t.Count)
	case 'm':
		return now.AddDate(0, -t.Count, 0)
	default:
		return now.AddDate(-t.Count, 0, 0)
	}
}

// String gives the term back in its short form.
func (t Term) String() string { return strconv.Itoa(t.Count) + string(t.Unit) }

// Human gives the term in words, for reports: "24 months".
func (t Term) Human() string {
	unit := map[byte]string{'d': "day", 'm': "month", 'y': "year"}[t.Unit]
	if t.Count != 1 {
		unit += "s"
	}
	return strconv.Itoa(t.Count) + " " + unit
}
