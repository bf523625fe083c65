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
		{in: "36500d", want: Term{36500, 'd'}},
		{in: "1200m", want: Term{1200, 'm'}},
		{in: "100y", want: Term{100, 'y'}},
		{in: "36501d", wantErr: true},
		{in: "1201m", wantErr: true},
		{in: "101y", wantErr: true},
		{in: "9999y", wantErr: true},
		{in: "0d", wantErr: true},
		{in: "100000d", wantErr: true},
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
	const run, hash = "20261122T100000Z-abcd1234", "1111111111111111111111111111111111111111111111111111111111111111"
	approve := func(runID, specHash string, maxDeletions int64) *Approval {
		return &Approval{RunID: runID, SpecHash: specHash, MaxDeletions: maxDeletions}
	}
	for _, tc := range []struct {
		name                  string
		budget                Budget
		approval              *Approval
		pending, total, spent int64
		wantAllowed           bool
		wantOver              bool
		wantApproved          bool
		wantLimit, wantCap    int64
		wantReasonParts       []string
	}{
		{name: "within percent", budget: Budget{MaxDeletionPercent: 10}, pending: 100, total: 1000,
			wantAllowed: true, wantLimit: 100, wantCap: 100},
		{name: "over percent, no approval", budget: Budget{MaxDeletionPercent: 10}, pending: 101, total: 1000,
			wantOver: true, wantLimit: 100, wantReasonParts: []string{"101", "100", "runID " + run, "specHash " + hash, "maxDeletions at least 101"}},
		{name: "absolute cap is tighter", budget: Budget{MaxDeletionPercent: 50, MaxDeletionsPerRun: 20}, pending: 21, total: 1000,
			wantOver: true, wantLimit: 20},
		{name: "the cap is the budget, not the plan", budget: Budget{MaxDeletionPercent: 50, MaxDeletionsPerRun: 20}, pending: 3, total: 1000,
			wantAllowed: true, wantLimit: 20, wantCap: 20},
		{name: "approval covers the plan", budget: Budget{MaxDeletionPercent: 10}, approval: approve(run, hash, 500), pending: 500, total: 1000,
			wantAllowed: true, wantOver: true, wantApproved: true, wantLimit: 100, wantCap: 500},
		{name: "approval too small", budget: Budget{MaxDeletionPercent: 10}, approval: approve(run, hash, 400), pending: 500, total: 1000,
			wantOver: true, wantLimit: 100, wantReasonParts: []string{"covers only 400"}},
		{name: "approval of another run", budget: Budget{MaxDeletionPercent: 10}, approval: approve("20261121T100000Z-abcd1234", hash, 500), pending: 500, total: 1000,
			wantOver: true, wantLimit: 100, wantReasonParts: []string{"approval is for run 20261121T100000Z-abcd1234, not for run " + run}},
		{name: "approval of another spec", budget: Budget{MaxDeletionPercent: 10}, approval: approve(run, "2222222222222222222222222222222222222222222222222222222222222222", 500), pending: 500, total: 1000,
			wantOver: true, wantLimit: 100, wantReasonParts: []string{"approval was given for another spec"}},
		{name: "spent budget counts", budget: Budget{MaxDeletionPercent: 10}, pending: 60, total: 1000, spent: 50,
			wantOver: true, wantLimit: 100, wantReasonParts: []string{"50 of it already used"}},
		{name: "what is left of the budget", budget: Budget{MaxDeletionPercent: 10}, pending: 40, total: 1000, spent: 50,
			wantAllowed: true, wantLimit: 100, wantCap: 50},
		{name: "zero percent allows nothing", budget: Budget{MaxDeletionPercent: 0}, pending: 1, total: 1000,
			wantOver: true, wantLimit: 0},
		{name: "nothing pending", budget: Budget{MaxDeletionPercent: 0}, pending: 0, total: 0,
			wantAllowed: true, wantLimit: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Check(tc.budget, tc.approval, Plan{RunID: run, SpecHash: hash, Pending: tc.pending, Total: tc.total, Spent: tc.spent})
			if v.Allowed != tc.wantAllowed || v.OverBudget != tc.wantOver || v.Approved != tc.wantApproved || v.Limit != tc.wantLimit || v.Cap != tc.wantCap {
				t.Fatalf("got %+v, want Allowed=%v OverBudget=%v Approved=%v Limit=%d Cap=%d", v, tc.wantAllowed, tc.wantOver, tc.wantApproved, tc.wantLimit, tc.wantCap)
			}
			for _, part := range tc.wantReasonParts {
				if !strings.Contains(v.Reason, part) {
					t.Fatalf("reason %q does not mention %q", v.Reason, part)
				}
			}
		})
	}
}

// TestBudgetReasonNamesTheCapOnlyWhenSet: with no absolute cap (MaxDeletionsPerRun 0) the
// reason used to say "cap 0", which reads as a cap of zero (issue 15, point 8).
func TestBudgetReasonNamesTheCapOnlyWhenSet(t *testing.T) {
	const run, hash = "20261122T100000Z-abcd1234", "1111111111111111111111111111111111111111111111111111111111111111"
	const approve = "; set spec.approval with runID " + run + ", specHash " + hash + " and maxDeletions at least 10 to let it run"
	for _, tc := range []struct {
		name   string
		budget Budget
		spent  int64
		want   string
	}{
		{"no cap", Budget{MaxDeletionPercent: 10},
			0, "plan of 10 erasures exceeds the budget of 2 (10% of 20 contacts)" + approve},
		{"a cap above the percentage", Budget{MaxDeletionPercent: 10, MaxDeletionsPerRun: 5},
			0, "plan of 10 erasures exceeds the budget of 2 (10% of 20 contacts, cap 5)" + approve},
		{"a cap below the percentage", Budget{MaxDeletionPercent: 50, MaxDeletionsPerRun: 5},
			0, "plan of 10 erasures exceeds the budget of 5 (50% of 20 contacts, cap 5)" + approve},
		{"no cap, part spent", Budget{MaxDeletionPercent: 10},
			1, "plan of 10 erasures exceeds the budget of 2 (10% of 20 contacts; 1 of it already used by a stopped run of the same scheduled time)" + approve},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Check(tc.budget, nil, Plan{RunID: run, SpecHash: hash, Pending: 10, Total: 20, Spent: tc.spent})
			if v.Reason != tc.want {
				t.Errorf("reason\n  %q\nwant\n  %q", v.Reason, tc.want)
			}
		})
	}
}
