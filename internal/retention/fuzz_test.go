package retention

import (
	"testing"
	"time"
)

// FuzzParseTerm: any input is either rejected or gives a term that prints back to an
// input that parses to the same term, with a cutoff in the past.
func FuzzParseTerm(f *testing.F) {
	for _, s := range []string{"30d", "24m", "10y", "0d", "-1y", "99999999999y", "1y;DROP", " 5d", "5D", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		term, err := ParseTerm(s)
		if err != nil {
			return
		}
		again, err := ParseTerm(term.String())
		if err != nil || again != term {
			t.Fatalf("%q parsed to %v, which prints as %q and parses to %v (%v)", s, term, term.String(), again, err)
		}
		if c := term.Cutoff(now); !c.Before(now) && term.Count > 0 {
			t.Fatalf("%q: cutoff %s is not before now", s, c)
		}
	})
}

// FuzzParseSchedule: any cron expression and zone is either rejected or gives a schedule
// whose decision never runs more than once for any gap.
func FuzzParseSchedule(f *testing.F) {
	f.Add("0 3 * * *", "Europe/Paris")
	f.Add("@daily", "")
	f.Add("* * * * *", "UTC")
	f.Add("61 * * * *", "Mars/Olympus")
	f.Add("*/0 * * * *", "")
	f.Fuzz(func(t *testing.T, expr, tz string) {
		s, err := ParseSchedule(expr, tz)
		if err != nil {
			return
		}
		last := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		now := last.Add(90 * 24 * time.Hour)
		d := s.Decide(last, now)
		if d.Due && (d.ScheduledAt.After(now) || !d.ScheduledAt.After(last)) {
			t.Fatalf("%q: due run at %s outside (%s, %s]", expr, d.ScheduledAt, last, now)
		}
		if !d.NextAt.IsZero() && !d.NextAt.After(now) {
			t.Fatalf("%q: next run %s is not after now", expr, d.NextAt)
		}
	})
}
