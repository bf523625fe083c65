package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
)

// liaNow is the fixed clock of the lia tests.
var liaNow = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

// reviewLIA is an assessment in namespace sales; outcome "" makes a draft. It was decided a
// year before its review date.
func reviewLIA(name string, outcome privacyv1alpha1.LIAOutcome, reviewBy time.Time, usedBy ...string) *privacyv1alpha1.LegitimateInterestAssessment {
	lia := &privacyv1alpha1.LegitimateInterestAssessment{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: name}}
	lia.Spec.PurposeTest.Interest = "prospecting companies that may need our software"
	lia.Spec.Scope = privacyv1alpha1.LIAScope{ContactTypes: []privacyv1alpha1.ContactType{"B2B"}, JobRoles: []string{"purchasing"}}
	if outcome != "" {
		lia.Spec.Decision = &privacyv1alpha1.LIADecision{Outcome: outcome, DecidedBy: "Head of Sales",
			DecidedAt: metav1.NewTime(reviewBy.AddDate(-1, 0, 0)), ReviewBy: metav1.NewTime(reviewBy)}
	}
	lia.Status.UsedBy = usedBy
	return lia
}

// inDays is midnight (UTC), n days after liaNow's day: review dates are usually dates.
func inDays(n int) time.Time { return utcDate(liaNow).AddDate(0, 0, n) }

// after is liaNow shifted by d, for the boundaries.
func after(d time.Duration) time.Time { return liaNow.Add(d) }

// draft is the (unused) review date of a draft.
var draft = time.Time{}

// reviewRegister is a namespace's assessments in every situation the listing tells apart,
// in no particular order.
func reviewRegister() []*privacyv1alpha1.LegitimateInterestAssessment {
	renewals := reviewLIA("renewals", privacyv1alpha1.OutcomeApproved, inDays(10), "renewal-reminders")
	renewals.Namespace = "support"
	return []*privacyv1alpha1.LegitimateInterestAssessment{
		reviewLIA("upsell", "", draft, "upsell-campaign"),                                // draft, relied on
		reviewLIA("events", privacyv1alpha1.OutcomeApproved, inDays(200), "trade-shows"), // approved, far
		reviewLIA("webinars", privacyv1alpha1.OutcomeRejected, inDays(50)),               // rejected, unused
		renewals, // review due, other namespace
		reviewLIA("prospecting", privacyv1alpha1.OutcomeApproved, inDays(10), "prospecting-b2b", "partners"), // review due
		reviewLIA("new-segment", "", draft),                                                       // draft, unused
		reviewLIA("quarterly", privacyv1alpha1.OutcomeApproved, inDays(45), "quarterly-report"),   // due within 60 days
		reviewLIA("cold-calls", privacyv1alpha1.OutcomeRejected, inDays(100), "cold-calling"),     // rejected, relied on
		reviewLIA("old-partners", privacyv1alpha1.OutcomeApproved, inDays(-3), "partner-mailing"), // expired
	}
}

func liaValues(ptrs []*privacyv1alpha1.LegitimateInterestAssessment) []privacyv1alpha1.LegitimateInterestAssessment {
	out := make([]privacyv1alpha1.LegitimateInterestAssessment, len(ptrs))
	for i, p := range ptrs {
		out[i] = *p
	}
	return out
}

func liaObjects(ptrs []*privacyv1alpha1.LegitimateInterestAssessment) []client.Object {
	out := make([]client.Object, len(ptrs))
	for i, p := range ptrs {
		out[i] = p
	}
	return out
}

// rowSummary is "namespace/name phase days-left" for comparing listings.
func rowSummary(rows []liaRow) []string {
	var out []string
	for _, r := range rows {
		days := "-"
		if r.DaysLeft != nil {
			days = fmt.Sprint(*r.DaysLeft)
		}
		out = append(out, fmt.Sprintf("%s/%s %s %s", r.Namespace, r.Name, r.Phase, days))
	}
	return out
}

func TestLIARowsAreSortedByReviewDate(t *testing.T) {
	rows := liaRows(liaValues(reviewRegister()), liaFilter{}, liaNow)
	want := []string{
		"sales/old-partners Expired -3",
		"sales/prospecting Approved 10",
		"support/renewals Approved 10", // same review date: by namespace
		"sales/quarterly Approved 45",
		"sales/webinars Rejected -",
		"sales/cold-calls Rejected -",
		"sales/events Approved 200",
		"sales/new-segment Draft -", // drafts last, by name
		"sales/upsell Draft -",
	}
	if diff := cmp.Diff(want, rowSummary(rows)); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
	got := rows[1]
	wantRow := liaRow{Namespace: "sales", Name: "prospecting", Outcome: "Approved", Phase: "Approved", Reason: privacyv1alpha1.ReasonReviewDue,
		DecidedBy: "Head of Sales", DecidedAt: "2025-04-11T00:00:00Z", ReviewBy: "2026-04-11T00:00:00Z", DaysLeft: got.DaysLeft,
		UsedBy: []string{"prospecting-b2b", "partners"}, Message: gdpr.LIAStateAt(&reviewLIA("prospecting", privacyv1alpha1.OutcomeApproved, inDays(10)).Spec, liaNow).Message}
	if diff := cmp.Diff(wantRow, got); diff != "" {
		t.Errorf("row of prospecting (-want +got):\n%s", diff)
	}
	if !strings.Contains(got.Message, "review is due by 2026-04-11") {
		t.Errorf("message of prospecting is not the operator's ReviewDue message: %q", got.Message)
	}
}

func TestLIADaysLeft(t *testing.T) {
	// liaNow is 2026-04-01T12:00:00Z.
	tests := []struct {
		reviewBy string
		want     int
	}{
		{"2027-04-01T00:00:00Z", 365},
		{"2026-04-11T23:59:59Z", 10},
		{"2026-04-11T00:00:00Z", 10},
		{"2026-04-02T00:00:00Z", 1},
		{"2026-04-01T23:59:59Z", 0}, // due today, not expired yet
		{"2026-04-01T12:00:01Z", 0},
		{"2026-04-01T12:00:00Z", -1}, // the operator's Expired starts at the review date itself
		{"2026-04-01T00:00:00Z", -1},
		{"2026-03-31T23:59:59Z", -1},
		{"2026-03-31T00:00:00Z", -1},
		{"2026-03-30T23:59:59Z", -2},
		{"2026-03-29T00:00:00Z", -3},
		{"2026-04-11T02:00:00+03:00", 9}, // 2026-04-10T23:00:00Z: dates are UTC
	}
	for _, tt := range tests {
		t.Run(tt.reviewBy, func(t *testing.T) {
			reviewBy, err := time.Parse(time.RFC3339, tt.reviewBy)
			if err != nil {
				t.Fatal(err)
			}
			got := daysLeft(reviewBy, liaNow)
			if got != tt.want {
				t.Errorf("daysLeft = %d, want %d", got, tt.want)
			}
			lia := reviewLIA("x", privacyv1alpha1.OutcomeApproved, reviewBy)
			expired := gdpr.LIAStateAt(&lia.Spec, liaNow).Phase == privacyv1alpha1.PhaseExpired
			if (got < 0) != expired {
				t.Errorf("daysLeft = %d but the operator's phase Expired is %v", got, expired)
			}
			if row := liaRowOf(lia, liaNow); row.DaysLeft == nil || *row.DaysLeft != tt.want {
				t.Errorf("row.DaysLeft = %v, want %d", row.DaysLeft, tt.want)
			}
		})
	}
}

// For a review date at midnight, the listing counts the days as the operator's ReviewDue
// message does, at any time of the day, midnight itself included (the operator once said
// "within 31 days" exactly 30 days out).
func TestLIADaysLeftAgreesWithTheOperatorsMessage(t *testing.T) {
	for _, now := range []time.Time{liaNow, utcDate(liaNow), utcDate(liaNow).Add(time.Second), utcDate(liaNow).Add(day - time.Second)} {
		for n := 1; n <= 30; n++ {
			lia := reviewLIA("x", privacyv1alpha1.OutcomeApproved, utcDate(now).AddDate(0, 0, n))
			state := gdpr.LIAStateAt(&lia.Spec, now)
			if state.Reason != privacyv1alpha1.ReasonReviewDue {
				t.Fatalf("at %s, review in %d days: reason %s, want ReviewDue", now, n, state.Reason)
			}
			want := fmt.Sprintf("(within %d days)", daysLeft(lia.Spec.Decision.ReviewBy.Time, now))
			if n == 1 {
				want = "(within 1 day)"
			}
			if daysLeft(lia.Spec.Decision.ReviewBy.Time, now) != n {
				t.Errorf("at %s, review in %d days: the listing counts %d", now.Format(time.RFC3339), n, daysLeft(lia.Spec.Decision.ReviewBy.Time, now))
			}
			if !strings.Contains(state.Message, want) {
				t.Errorf("at %s, review in %d days: the operator says %q, the listing %s", now.Format(time.RFC3339), n, state.Message, want)
			}
		}
	}
}

func TestLIAWindowFilter(t *testing.T) {
	tests := []struct {
		name   string
		filter liaFilter
		want   []string
	}{
		{"all by default", liaFilter{window: 30 * day}, []string{"old-partners", "prospecting", "renewals", "quarterly", "webinars", "cold-calls", "events", "new-segment", "upsell"}},
		{"due within the operator's 30 days", liaFilter{due: true, window: gdpr.LIAReviewWarning}, []string{"old-partners", "prospecting", "renewals", "cold-calls", "upsell"}},
		{"due within 60 days", liaFilter{due: true, window: 60 * day}, []string{"old-partners", "prospecting", "renewals", "quarterly", "cold-calls", "upsell"}},
		{"due within 10 days, the review date included", liaFilter{due: true, window: 10 * day}, []string{"old-partners", "prospecting", "renewals", "cold-calls", "upsell"}},
		{"due now", liaFilter{due: true}, []string{"old-partners", "cold-calls", "upsell"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range liaRows(liaValues(reviewRegister()), tt.filter, liaNow) {
				got = append(got, r.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("listed (-want +got):\n%s", diff)
			}
		})
	}
}

// With the default window, --due lists an approved assessment exactly when the operator
// reports it ReviewDue or Expired.
func TestLIADueFilterMatchesTheOperatorsReviewWindow(t *testing.T) {
	tests := []struct {
		reviewIn time.Duration
		listed   bool
	}{
		{gdpr.LIAReviewWarning + time.Second, false},
		{gdpr.LIAReviewWarning, true},
		{gdpr.LIAReviewWarning - time.Second, true},
		{time.Second, true},
		{0, true},
		{-time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.reviewIn.String(), func(t *testing.T) {
			lia := reviewLIA("x", privacyv1alpha1.OutcomeApproved, after(tt.reviewIn))
			rows := liaRows([]privacyv1alpha1.LegitimateInterestAssessment{*lia}, liaFilter{due: true, window: gdpr.LIAReviewWarning}, liaNow)
			if got := len(rows) == 1; got != tt.listed {
				t.Errorf("listed = %v, want %v", got, tt.listed)
			}
			reason := gdpr.LIAStateAt(&lia.Spec, liaNow).Reason
			operatorWarns := reason == privacyv1alpha1.ReasonReviewDue || reason == privacyv1alpha1.ReasonExpired
			if operatorWarns != tt.listed {
				t.Errorf("the operator's reason is %s, but the listing says listed=%v", reason, tt.listed)
			}
		})
	}
}

func TestLIAFindings(t *testing.T) {
	tests := []struct {
		name string
		lia  *privacyv1alpha1.LegitimateInterestAssessment
		// want is the findings message; "" for exit code 0.
		want string
	}{
		{"approved", reviewLIA("a", privacyv1alpha1.OutcomeApproved, inDays(90), "pa"), ""},
		{"approved, review due", reviewLIA("a", privacyv1alpha1.OutcomeApproved, inDays(5), "pa"), ""},
		{"expired and relied on", reviewLIA("a", privacyv1alpha1.OutcomeApproved, after(-time.Hour), "pa", "pb"),
			"1 legitimate interests assessment(s) to act on: sales/a (Expired, relied on by pa, pb)"},
		{"expired, unused", reviewLIA("a", privacyv1alpha1.OutcomeApproved, inDays(-400)), "1 legitimate interests assessment(s) to act on: sales/a (Expired)"},
		{"rejected, relied on", reviewLIA("a", privacyv1alpha1.OutcomeRejected, inDays(-90), "pa"),
			"1 legitimate interests assessment(s) to act on: sales/a (Rejected but relied on by pa)"},
		{"rejected, unused", reviewLIA("a", privacyv1alpha1.OutcomeRejected, inDays(-90)), ""},
		{"draft, relied on", reviewLIA("a", "", draft, "pa"), "1 legitimate interests assessment(s) to act on: sales/a (Draft but relied on by pa)"},
		{"draft, unused", reviewLIA("a", "", draft), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runLIA(context.Background(), fakePluginClient(t, tt.lia), &out, "sales", nil, outputTable, false, liaFilter{}, liaNow)
			var fe *findingsError
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("want exit code 0, got %v", err)
			case tt.want != "" && !errors.As(err, &fe):
				t.Errorf("want a findings error (exit code 2), got %v", err)
			case tt.want != "" && fe.msg != tt.want:
				t.Errorf("findings:\n got %q\nwant %q", fe.msg, tt.want)
			}
		})
	}
}

func TestLIAListingOfANamespace(t *testing.T) {
	c := fakePluginClient(t, liaObjects(reviewRegister())...)
	ctx := context.Background()
	var out bytes.Buffer
	err := runLIA(ctx, c, &out, "", nil, outputTable, true, liaFilter{}, liaNow)
	golden(t, "lia-table.golden", out.String())
	var fe *findingsError
	want := "3 legitimate interests assessment(s) to act on: sales/old-partners (Expired, relied on by partner-mailing); " +
		"sales/cold-calls (Rejected but relied on by cold-calling); sales/upsell (Draft but relied on by upsell-campaign)"
	if !errors.As(err, &fe) || fe.msg != want {
		t.Errorf("lia -A: %v, want the findings error %q", err, want)
	}

	// An assessment due for review is listed and explained, but is no finding.
	out.Reset()
	if err := runLIA(ctx, c, &out, "support", nil, outputTable, false, liaFilter{due: true, window: 30 * day}, liaNow); err != nil {
		t.Errorf("lia -n support --due: %v, want exit code 0", err)
	}
	if !strings.Contains(out.String(), "renewals") || !strings.Contains(out.String(), "support/renewals: approved on 2025-04-11; the review is due by 2026-04-11") {
		t.Errorf("lia -n support --due:\n%s", out.String())
	}

	out.Reset()
	if err := runLIA(ctx, c, &out, "sales", []string{"events"}, outputTable, false, liaFilter{}, liaNow); err != nil || !strings.Contains(out.String(), "events") {
		t.Errorf("lia events: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := runLIA(ctx, c, &out, "sales", []string{"events"}, outputTable, false, liaFilter{due: true, window: 30 * day}, liaNow); err != nil ||
		out.String() != "No legitimate interests assessment is expired, due for review within 30d, or draft or rejected while relied on.\n" {
		t.Errorf("lia events --due: %v\n%s", err, out.String())
	}
	if err := runLIA(ctx, c, &out, "sales", []string{"nothing"}, outputTable, false, liaFilter{}, liaNow); err == nil || errors.As(err, &fe) {
		t.Errorf("lia of a missing assessment: %v, want an error (exit code 1)", err)
	}
}

func TestLIAJSONOutput(t *testing.T) {
	c := fakePluginClient(t, liaObjects(reviewRegister())...)
	var out bytes.Buffer
	_ = runLIA(context.Background(), c, &out, "sales", nil, outputJSON, false, liaFilter{due: true, window: 30 * day}, liaNow)
	golden(t, "lia-sales-due.json.golden", out.String())

	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	byName := map[string]map[string]any{}
	for _, r := range rows {
		byName[r["name"].(string)] = r
	}
	// daysLeft is always present: a number, or null where the review date has no effect.
	for name, want := range map[string]any{"old-partners": -3.0, "prospecting": 10.0, "cold-calls": nil, "upsell": nil} {
		got, ok := byName[name]["daysLeft"]
		if !ok || got != want {
			t.Errorf("%s: daysLeft = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if _, ok := byName["upsell"]["reviewBy"]; ok {
		t.Errorf("a draft has a reviewBy: %v", byName["upsell"])
	}

	// No assessment selected: an empty list, not null.
	out.Reset()
	if err := runLIA(context.Background(), c, &out, "elsewhere", nil, outputJSON, false, liaFilter{}, liaNow); err != nil || out.String() != "[]\n" {
		t.Errorf("lia -n elsewhere -o json: %v %q", err, out.String())
	}
	// An unused assessment lists usedBy as [].
	out.Reset()
	_ = runLIA(context.Background(), c, &out, "sales", []string{"webinars"}, outputJSON, false, liaFilter{}, liaNow)
	if !strings.Contains(out.String(), `"usedBy": []`) {
		t.Errorf("usedBy of an unused assessment:\n%s", out.String())
	}
}

func TestWindowFlag(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * day, "0d": 0, "720h": 30 * day, "36h": 36 * time.Hour, "36500d": 36500 * day} {
		var f windowFlag
		if err := f.Set(in); err != nil || f.d != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, f.d, err, want)
		}
	}
	for _, in := range []string{"", "d", "30", "thirty days", "-1d", "-5h", "1.5d", "36501d"} {
		var f windowFlag
		if err := f.Set(in); err == nil {
			t.Errorf("Set(%q) accepted: %v", in, f.d)
		}
	}
	for d, want := range map[time.Duration]string{30 * day: "30d", 0: "0d", 36 * time.Hour: "36h0m0s"} {
		if got := (windowFlag{d: d}).String(); got != want {
			t.Errorf("String(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestLIACommandFlags(t *testing.T) {
	tests := []struct {
		args []string
		want liaFilter
	}{
		{nil, liaFilter{window: gdpr.LIAReviewWarning}},
		{[]string{"--due"}, liaFilter{due: true, window: gdpr.LIAReviewWarning}},
		{[]string{"--within", "90d"}, liaFilter{due: true, window: 90 * day}},
		{[]string{"--due", "--within=72h"}, liaFilter{due: true, window: 72 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			root := newRootCommand()
			cmd, _, err := root.Find([]string{"lia"})
			if err != nil || cmd.Name() != "lia" {
				t.Fatalf("kubectl gdpr lia is not registered: %v", err)
			}
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			if got := liaFilterOf(cmd); got != tt.want {
				t.Errorf("filter = %+v, want %+v", got, tt.want)
			}
		})
	}
	if err := newLIACommand(&globalOptions{}).ParseFlags([]string{"--within", "soon"}); err == nil {
		t.Error("--within soon accepted")
	}
}

// The help explains every column the table prints, and the exit codes.
func TestLIAHelpExplainsTheColumns(t *testing.T) {
	var out bytes.Buffer
	rows := liaRows(liaValues(reviewRegister()), liaFilter{}, liaNow)
	if err := printLIATable(&out, rows, true, liaFilter{}); err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(out.String(), "\n")
	columns := []string{"NAMESPACE", "NAME", "OUTCOME", "PHASE", "DECIDED BY", "DECIDED AT", "REVIEW BY", "DAYS LEFT", "USED BY"}
	if got, want := strings.Join(strings.Fields(header), " "), strings.Join(columns, " "); got != want {
		t.Fatalf("table columns %q, want %q", got, want)
	}
	long := strings.Join(strings.Fields(newLIACommand(&globalOptions{}).Long), " ")
	for _, col := range columns {
		// Each column is named at the start of its explanation, in capitals.
		if !strings.Contains(long, " "+col+" ") {
			t.Errorf("--help does not explain column %s", col)
		}
	}
	for _, s := range []string{"Exit codes: 0 when", "2 when one is Expired", "1 on errors"} {
		if !strings.Contains(long, s) {
			t.Errorf("--help lacks %q:\n%s", s, long)
		}
	}
}
