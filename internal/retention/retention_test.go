package retention

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTerm(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Term
		wantErr bool
	}{
		{in: "30d", want: Term{30, 'd'}},
		{in: "24m", want: Term{24, 'm'}},
		{in: "10y", want: Term{10, 'y'}},
		{in: "9999d", want: Term{9999, 'd'}},
		{in: "0d", wantErr: true},
		{in: "10000d", wantErr: true},
		{in: "24", wantErr: true},
		{in: "24w", wantErr: true},
		{in: "-1y", wantErr: true},
		{in: "1y; DROP TABLE contacts", wantErr: true},
		{in: "", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTerm(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseTerm(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("ParseTerm(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestTermCutoff(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		term string
		want time.Time
	}{
		{"30d", time.Date(2026, 10, 23, 10, 0, 0, 0, time.UTC)},
		{"24m", time.Date(2024, 11, 22, 10, 0, 0, 0, time.UTC)},
		{"10y", time.Date(2016, 11, 22, 10, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.term, func(t *testing.T) {
			term, err := ParseTerm(tc.term)
			if err != nil {
				t.Fatal(err)
			}
			if got := term.Cutoff(now); !got.Equal(tc.want) {
				t.Fatalf("Cutoff = %s, want %s", got, tc.want)
			}
		})
	}
	if got := (Term{24, 'm'}).Human(); got != "24 months" {
		t.Fatalf("Human = %q", got)
	}
	if got := (Term{1, 'y'}).Human(); got != "1 year" {
		t.Fatalf("Human = %q", got)
	}
}

func TestScheduleDecide(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name          string
		expr, tz      string
		last, now     string
		wantDue       bool
		wantScheduled string
		wantMissed    int
		wantNext      string
	}{
		{
			name: "not yet due", expr: "0 3 * * *",
			last: "2026-11-22T03:00:00Z", now: "2026-11-22T10:00:00Z",
			wantNext: "2026-11-23T03:00:00Z",
		},
		{
			name: "due on time", expr: "0 3 * * *",
			last: "2026-11-21T03:00:00Z", now: "2026-11-22T03:00:05Z",
			wantDue: true, wantScheduled: "2026-11-22T03:00:00Z", wantNext: "2026-11-23T03:00:00Z",
		},
		{
			name: "a week of downtime is one catch-up run", expr: "0 3 * * *",
			last: "2026-11-14T03:00:00Z", now: "2026-11-22T10:00:00Z",
			wantDue: true, wantScheduled: "2026-11-22T03:00:00Z", wantMissed: 7, wantNext: "2026-11-23T03:00:00Z",
		},
		{
			name: "time zone: 03:00 in Paris is 02:00 UTC in winter", expr: "0 3 * * *", tz: "Europe/Paris",
			last: "2026-11-21T02:00:00Z", now: "2026-11-22T02:30:00Z",
			wantDue: true, wantScheduled: "2026-11-22T02:00:00Z", wantNext: "2026-11-23T02:00:00Z",
		},
		{
			name: "clock set back: nothing due", expr: "0 3 * * *",
			last: "2026-11-22T03:00:00Z", now: "2026-11-20T12:00:00Z",
			wantNext: "2026-11-21T03:00:00Z",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSchedule(tc.expr, tc.tz)
			if err != nil {
				t.Fatal(err)
			}
			d := s.Decide(at(tc.last), at(tc.now))
			if d.Due != tc.wantDue || d.Missed != tc.wantMissed {
				t.Fatalf("Due=%v Missed=%d, want Due=%v Missed=%d", d.Due, d.Missed, tc.wantDue, tc.wantMissed)
			}
			if tc.wantDue && !d.ScheduledAt.Equal(at(tc.wantScheduled)) {
				t.Fatalf("ScheduledAt = %s, want %s", d.ScheduledAt.UTC(), tc.wantScheduled)
			}
			if !d.NextAt.Equal(at(tc.wantNext)) {
				t.Fatalf("NextAt = %s, want %s", d.NextAt.UTC(), tc.wantNext)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, tc := range []struct{ expr, tz, want string }{
		{"0 3 * *", "", "schedule"},
		{"61 * * * *", "", "schedule"},
		{"0 3 * * *", "Mars/Olympus", "time zone"},
		{"0 3 * * * *", "", "schedule"},
	} {
		t.Run(tc.expr+"/"+tc.tz, func(t *testing.T) {
			_, err := ParseSchedule(tc.expr, tc.tz)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one about %s", err, tc.want)
			}
		})
	}
}

func TestBudgetCheck(t *testing.T) {
	for _, tc := range []struct {
		name            string
		budget          Budget
		approval        *Approval
		pending, total  int64
		wantAllowed     bool
		wantOver        bool
		wantLimit       int64
		wantReasonParts []string
	}{
		{name: "within percent", budget: Budget{MaxDeletionPercent: 10}, pending: 100, total: 1000,
			wantAllowed: true, wantLimit: 100},
		{name: "over percent, no approval", budget: Budget{MaxDeletionPercent: 10}, pending: 101, total: 1000,
			wantOver: true, wantLimit: 100, wantReasonParts: []string{"101", "100", "spec.approval.maxDeletions"}},
		{name: "absolute cap is tighter", budget: Budget{MaxDeletionPercent: 50, MaxDeletionsPerRun: 20}, pending: 21, total: 1000,
			wantOver: true, wantLimit: 20},
		{name: "approval covers the plan", budget: Budget{MaxDeletionPercent: 10}, approval: &Approval{MaxDeletions: 500}, pending: 500, total: 1000,
			wantAllowed: true, wantOver: true, wantLimit: 100},
		{name: "approval too small", budget: Budget{MaxDeletionPercent: 10}, approval: &Approval{MaxDeletions: 400}, pending: 500, total: 1000,
			wantOver: true, wantLimit: 100, wantReasonParts: []string{"covers only 400"}},
		{name: "zero percent allows nothing", budget: Budget{MaxDeletionPercent: 0}, pending: 1, total: 1000,
			wantOver: true, wantLimit: 0},
		{name: "nothing pending", budget: Budget{MaxDeletionPercent: 0}, pending: 0, total: 0,
			wantAllowed: true, wantLimit: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Check(tc.budget, tc.approval, tc.pending, tc.total)
			if v.Allowed != tc.wantAllowed || v.OverBudget != tc.wantOver || v.Limit != tc.wantLimit {
				t.Fatalf("got %+v, want Allowed=%v OverBudget=%v Limit=%d", v, tc.wantAllowed, tc.wantOver, tc.wantLimit)
			}
			for _, part := range tc.wantReasonParts {
				if !strings.Contains(v.Reason, part) {
					t.Fatalf("reason %q does not mention %q", v.Reason, part)
				}
			}
		})
	}
}
