package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
)

func init() { subcommands = append(subcommands, newLIACommand) }

const day = 24 * time.Hour

// liaRow is one legitimate interests assessment in the review listing.
type liaRow struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Outcome is spec.decision.outcome; empty for a draft.
	Outcome string `json:"outcome,omitempty"`
	// Phase and Reason are computed at the time of the listing with the operator's rules
	// (Reason ReviewDue: approved, and the review date is within the operator's window).
	Phase     string `json:"phase"`
	Reason    string `json:"reason"`
	DecidedBy string `json:"decidedBy,omitempty"`
	DecidedAt string `json:"decidedAt,omitempty"`
	ReviewBy  string `json:"reviewBy,omitempty"`
	// DaysLeft is the number of calendar days (UTC) until reviewBy, negative once it has
	// passed; null for a draft or a rejected assessment, whose review date has no effect.
	DaysLeft *int `json:"daysLeft"`
	// UsedBy are the ProcessingActivities relying on the assessment (status.usedBy).
	UsedBy []string `json:"usedBy"`
	// Message is the operator's explanation of the phase, with the dates.
	Message string `json:"message"`
}

// liaFilter selects the rows of the listing.
type liaFilter struct {
	// due lists only the assessments that need attention within the window.
	due    bool
	window time.Duration
}

func newLIACommand(opts *globalOptions) *cobra.Command {
	var output string
	var allNamespaces bool
	cmd := &cobra.Command{
		Use:   "lia [ASSESSMENT]",
		Short: "Review the legitimate interests assessments: which are expired or due for review",
		Long: `lia lists the LegitimateInterestAssessments (or the one named), sorted by review date,
the soonest first (drafts last), with:

  NAMESPACE   with -A only; NAME the assessment's name
  OUTCOME     spec.decision.outcome: Approved or Rejected; "-" for a draft
  PHASE       Draft, Approved, Rejected or Expired, computed now with the operator's rules
              (an approved assessment is Expired from its review date on)
  DECIDED BY  spec.decision.decidedBy, and DECIDED AT its date (UTC)
  REVIEW BY   spec.decision.reviewBy (UTC)
  DAYS LEFT   calendar days (UTC) from today to the review date: 0 when it is due today,
              negative when it is overdue (exactly when the phase is Expired); "-" for a
              draft or a rejected assessment, whose review date has no effect
  USED BY     the ProcessingActivities relying on it, as the operator records them in
              status.usedBy

Below the table, each assessment that needs attention is explained: expired, due for
review within the window, or draft or rejected while activities rely on it.

With --due, only those are listed. The window is --within (default 30d, the window in
which the operator reports an assessment ReviewDue); setting --within implies --due.

Exit codes: 0 when no listed assessment is a problem now, 2 when one is Expired, or
Rejected or Draft while activities rely on it (they have no valid legal basis), 1 on
errors. An assessment merely due for review exits 0.`,
		Example: `  kubectl gdpr lia -n sales
  kubectl gdpr lia -A --due
  kubectl gdpr lia -A --within 90d -o json
  kubectl gdpr lia prospecting-b2b -n sales`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, tableStructuredOrName...); err != nil {
				return err
			}
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			if allNamespaces {
				if len(args) > 0 {
					return fmt.Errorf("name an assessment with -n, not with --all-namespaces")
				}
				ns = ""
			}
			return runLIA(cmd.Context(), c, cmd.OutOrStdout(), ns, args, output, allNamespaces, liaFilterOf(cmd), time.Now())
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputTable, outputUsage(tableStructuredOrName...))
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "show the assessments of every namespace")
	cmd.Flags().Bool("due", false, "list only the assessments expired, due for review within --within, or draft or rejected while relied on")
	cmd.Flags().Var(&windowFlag{d: gdpr.LIAReviewWarning}, "within", "the review window of --due, in days (30d) or as a Go duration (720h); implies --due")
	return cmd
}

// liaFilterOf reads --due and --within of the lia command: setting --within implies --due.
func liaFilterOf(cmd *cobra.Command) liaFilter {
	due, _ := cmd.Flags().GetBool("due")
	within := cmd.Flags().Lookup("within")
	return liaFilter{due: due || within.Changed, window: within.Value.(*windowFlag).d}
}

func runLIA(ctx context.Context, c client.Reader, w io.Writer, ns string, names []string, output string, allNamespaces bool, filter liaFilter, now time.Time) error {
	done := progress("reading legitimate interests assessments")
	lias, err := listLIAs(ctx, c, ns, names)
	done()
	if err != nil {
		return err
	}
	rows := liaRows(lias, filter, now)
	if output != outputTable {
		if err := printStructured(w, output, rows); err != nil {
			return err
		}
	} else if err := printLIATable(w, rows, allNamespaces, filter); err != nil {
		return err
	}
	return liaFindings(rows)
}

func listLIAs(ctx context.Context, c client.Reader, ns string, names []string) ([]privacyv1alpha1.LegitimateInterestAssessment, error) {
	if len(names) == 1 {
		lia := privacyv1alpha1.LegitimateInterestAssessment{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: names[0]}, &lia); err != nil {
			return nil, fmt.Errorf("while reading LegitimateInterestAssessment %s: %w", names[0], err)
		}
		return []privacyv1alpha1.LegitimateInterestAssessment{lia}, nil
	}
	var list privacyv1alpha1.LegitimateInterestAssessmentList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("while listing the legitimate interests assessments: %w", err)
	}
	return list.Items, nil
}

// liaRows computes each assessment's state at now, keeps those the filter selects and
// sorts them by review date, the soonest first, drafts last, then by namespace and name.
func liaRows(lias []privacyv1alpha1.LegitimateInterestAssessment, filter liaFilter, now time.Time) []liaRow {
	sorted := make([]*privacyv1alpha1.LegitimateInterestAssessment, len(lias))
	for i := range lias {
		sorted[i] = &lias[i]
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if (a.Spec.Decision == nil) != (b.Spec.Decision == nil) {
			return b.Spec.Decision == nil
		}
		if a.Spec.Decision != nil && !a.Spec.Decision.ReviewBy.Equal(&b.Spec.Decision.ReviewBy) {
			return a.Spec.Decision.ReviewBy.Before(&b.Spec.Decision.ReviewBy)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	rows := []liaRow{}
	for _, lia := range sorted {
		row := liaRowOf(lia, now)
		if filter.due && !needsAttention(lia, row, filter.window, now) {
			continue
		}
		rows = append(rows, row)
	}
	return rows
}

func liaRowOf(lia *privacyv1alpha1.LegitimateInterestAssessment, now time.Time) liaRow {
	state := gdpr.LIAStateAt(&lia.Spec, now)
	row := liaRow{Namespace: lia.Namespace, Name: lia.Name, Phase: string(state.Phase), Reason: state.Reason,
		UsedBy: append([]string{}, lia.Status.UsedBy...), Message: state.Message}
	if d := lia.Spec.Decision; d != nil {
		row.Outcome = string(d.Outcome)
		row.DecidedBy = string(d.DecidedBy)
		row.DecidedAt = d.DecidedAt.UTC().Format(time.RFC3339)
		row.ReviewBy = d.ReviewBy.UTC().Format(time.RFC3339)
		if d.Outcome == privacyv1alpha1.OutcomeApproved {
			n := daysLeft(d.ReviewBy.Time, now)
			row.DaysLeft = &n
		}
	}
	return row
}

// daysLeft counts the calendar days (UTC) from now to reviewBy, as the table shows them
// and the operator's ReviewDue message counts them (gdpr.DaysLeft).
func daysLeft(reviewBy, now time.Time) int { return gdpr.DaysLeft(now, reviewBy) }

// utcDate is the midnight (UTC) that starts t's day.
func utcDate(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// needsAttention reports whether the assessment is expired, approved with its review
// date within window (with the operator's window, exactly when its reason is ReviewDue),
// or a draft or rejected while activities rely on it.
func needsAttention(lia *privacyv1alpha1.LegitimateInterestAssessment, row liaRow, window time.Duration, now time.Time) bool {
	switch privacyv1alpha1.LIAPhase(row.Phase) {
	case privacyv1alpha1.PhaseExpired:
		return true
	case privacyv1alpha1.PhaseApproved:
		return !now.Before(lia.Spec.Decision.ReviewBy.Add(-window))
	default:
		return len(row.UsedBy) > 0
	}
}

// liaProblem says why an assessment is a finding (exit code 2), or "" when it is not:
// activities relying on it have no valid legal basis, or it has expired.
func liaProblem(r liaRow) string {
	switch privacyv1alpha1.LIAPhase(r.Phase) {
	case privacyv1alpha1.PhaseExpired:
		if len(r.UsedBy) > 0 {
			return "Expired, relied on by " + strings.Join(r.UsedBy, ", ")
		}
		return "Expired"
	case privacyv1alpha1.PhaseDraft, privacyv1alpha1.PhaseRejected:
		if len(r.UsedBy) > 0 {
			return r.Phase + " but relied on by " + strings.Join(r.UsedBy, ", ")
		}
	}
	return ""
}

// liaFindings returns a findings error when a listed assessment is a problem now.
func liaFindings(rows []liaRow) error {
	var problems []string
	for _, r := range rows {
		if p := liaProblem(r); p != "" {
			problems = append(problems, fmt.Sprintf("%s/%s (%s)", r.Namespace, r.Name, p))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &findingsError{msg: fmt.Sprintf("%d legitimate interests assessment(s) to act on: %s", len(problems), strings.Join(problems, "; "))}
}

// usedByShown is how many activity names a table cell shows; -o json lists them all.
const usedByShown = 3

func printLIATable(w io.Writer, rows []liaRow, allNamespaces bool, filter liaFilter) error {
	if len(rows) == 0 {
		msg := "No legitimate interests assessment found."
		if filter.due {
			msg = fmt.Sprintf("No legitimate interests assessment is expired, due for review within %s, or draft or rejected while relied on.", windowFlag{d: filter.window}.String())
		}
		_, err := fmt.Fprintln(w, msg)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "NAME\tOUTCOME\tPHASE\tDECIDED BY\tDECIDED AT\tREVIEW BY\tDAYS LEFT\tUSED BY"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(tw, header)
	var notes []string
	for _, r := range rows {
		days := "-"
		if r.DaysLeft != nil {
			days = strconv.Itoa(*r.DaysLeft)
		}
		cols := []string{r.Name, orDash(r.Outcome), r.Phase, orDash(r.DecidedBy), calendarDate(r.DecidedAt), calendarDate(r.ReviewBy), days, usedByText(r.UsedBy)}
		if allNamespaces {
			cols = append([]string{r.Namespace}, cols...)
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
		if note := liaNote(r); note != "" {
			notes = append(notes, fmt.Sprintf("%s/%s: %s", r.Namespace, r.Name, note))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range notes {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

// liaNote explains an assessment that needs attention; "" for one that does not.
func liaNote(r liaRow) string {
	switch {
	case r.Reason == privacyv1alpha1.ReasonExpired || r.Reason == privacyv1alpha1.ReasonReviewDue:
		return r.Message
	case liaProblem(r) != "":
		return "relied on by " + strings.Join(r.UsedBy, ", ") + "; " + r.Message
	}
	return ""
}

func usedByText(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	if len(names) > usedByShown {
		return strings.Join(names[:usedByShown], ",") + fmt.Sprintf(" +%d more", len(names)-usedByShown)
	}
	return strings.Join(names, ",")
}

// calendarDate shows an RFC 3339 time of the listing as its UTC date; "-" when empty.
func calendarDate(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return orDash(rfc3339)
	}
	return t.UTC().Format(time.DateOnly)
}

// maxWindowDays bounds --within in days (a century), far below a time.Duration's range.
const maxWindowDays = 36500

// windowFlag is a duration flag that also takes whole days ("30d"), as review windows are
// counted in days.
type windowFlag struct{ d time.Duration }

func (f windowFlag) String() string {
	if f.d%day == 0 {
		return fmt.Sprintf("%dd", f.d/day)
	}
	return f.d.String()
}

func (f *windowFlag) Set(s string) error {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days > maxWindowDays {
			return fmt.Errorf("%q is not a number of days such as 30d", s)
		}
		d = time.Duration(days) * day
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("%q is neither a number of days such as 30d nor a duration such as 720h", s)
		}
	}
	if d < 0 {
		return fmt.Errorf("%q is negative", s)
	}
	f.d = d
	return nil
}

func (f *windowFlag) Type() string { return "days" }
