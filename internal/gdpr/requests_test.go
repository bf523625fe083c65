package gdpr

import (
	"testing"
	"time"
)

func TestRequestDueAt(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name     string
		received string
		ext      int
		want     string
	}{
		{"same day next month", "2026-03-15T10:30:00Z", 0, "2026-04-15T10:30:00Z"},
		{"31 January ends on 28 February", "2026-01-31T09:00:00Z", 0, "2026-02-28T09:00:00Z"},
		{"31 January of a leap year ends on 29 February", "2028-01-31T09:00:00Z", 0, "2028-02-29T09:00:00Z"},
		{"31 March ends on 30 April", "2026-03-31T23:59:00Z", 0, "2026-04-30T23:59:00Z"},
		{"December rolls into January", "2026-12-20T00:00:00Z", 0, "2027-01-20T00:00:00Z"},
		{"extended by two months", "2026-01-31T09:00:00Z", 2, "2026-04-30T09:00:00Z"},
		{"extended by one month", "2026-11-30T12:00:00Z", 1, "2027-01-30T12:00:00Z"},
		{"an extension beyond two months counts as two", "2026-01-10T00:00:00Z", 5, "2026-04-10T00:00:00Z"},
		{"a negative extension counts as none", "2026-01-10T00:00:00Z", -1, "2026-02-10T00:00:00Z"},
		{"read in UTC: 1 February in UTC", "2026-01-31T23:30:00-02:00", 0, "2026-03-01T01:30:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := RequestDueAt(at(tc.received), tc.ext); !got.Equal(at(tc.want)) {
				t.Errorf("RequestDueAt(%s, %d) = %s, want %s", tc.received, tc.ext, got.Format(time.RFC3339), tc.want)
			}
		})
	}
}

func TestRequestTimingAt(t *testing.T) {
	due := time.Date(2026, 2, 28, 9, 0, 0, 0, time.UTC)
	ptr := func(t time.Time) *time.Time { return &t }
	cases := []struct {
		name        string
		now         time.Time
		completed   *time.Time
		wantOverdue bool
		wantOnTime  *bool
	}{
		{"open before the deadline", due.Add(-time.Hour), nil, false, nil},
		{"open at the deadline", due, nil, false, nil},
		{"open after the deadline", due.Add(time.Second), nil, true, nil},
		{"completed at the deadline", due.Add(time.Hour), ptr(due), false, ptr2(true)},
		{"completed late", due.Add(time.Hour), ptr(due.Add(time.Minute)), true, ptr2(false)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := RequestTimingAt(due, tc.now, tc.completed)
			if got.Overdue != tc.wantOverdue {
				t.Errorf("Overdue = %v, want %v", got.Overdue, tc.wantOverdue)
			}
			switch {
			case (got.OnTime == nil) != (tc.wantOnTime == nil):
				t.Errorf("OnTime = %v, want %v", got.OnTime, tc.wantOnTime)
			case got.OnTime != nil && *got.OnTime != *tc.wantOnTime:
				t.Errorf("OnTime = %v, want %v", *got.OnTime, *tc.wantOnTime)
			}
			if got.Until != due.Sub(tc.now) {
				t.Errorf("Until = %s, want %s", got.Until, due.Sub(tc.now))
			}
		})
	}
}

func ptr2(b bool) *bool { return &b }
