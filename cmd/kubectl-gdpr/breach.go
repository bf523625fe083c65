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

func init() { subcommands = append(subcommands, newBreachCommand) }

// breachRow is one personal data breach in the listing.
type breachRow struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Risk      string `json:"risk"`
	AwareAt   string `json:"awareAt"`
	// Deadline is awareAt + 72 h, the instant by which the authority must be notified.
	Deadline string `json:"authorityDeadline"`
	// State is Due, Overdue, Notified, NotifiedLate, NotNotified or NotRequired, computed
	// at the time of the listing with the operator's rules (gdpr.BreachStateAt).
	State string `json:"state"`
	// SecondsLeft is the time to the deadline while the authority is due (negative once
	// Overdue); null when nothing is due.
	SecondsLeft *int64 `json:"secondsLeft"`
	// DataSubjects is the reason of DataSubjectNotificationDue: NotificationDue,
	// DataSubjectsNotified, NotNotified or NotificationNotRequired.
	DataSubjects string `json:"dataSubjects"`
	// Open is true while a notification is still due (authority or people).
	Open bool `json:"open"`
	// AffectedContacts is the operator's count (status.affectedContacts); null until
	// counted.
	AffectedContacts *int64 `json:"affectedContacts"`
	// Message is the operator's explanation of the authority state.
	Message string `json:"message"`
	// DataSubjectsMessage is the operator's explanation of the people's notification.
	DataSubjectsMessage string `json:"dataSubjectsMessage"`
}

func newBreachCommand(opts *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "breach",
		Short: "Personal data breaches: the 72-hour deadlines and who is affected",
	}
	cmd.AddCommand(newBreachListCommand(opts), newBreachDescribeCommand(opts))
	return cmd
}

func newBreachListCommand(opts *globalOptions) *cobra.Command {
	var output string
	var allNamespaces, open bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the DataBreaches with their deadline and notification state",
		Long: `breach list lists the DataBreaches, the soonest authority deadline first, with:

  NAMESPACE  with -A only; NAME the breach's name
  RISK       spec.riskAssessment.level: None, Risk or HighRisk
  AWARE      spec.awareAt, when the controller became aware (UTC)
  DEADLINE   awareAt + 72 elapsed hours (UTC): the authority must be notified by then
             (GDPR Art. 33(1)); daylight-saving changes do not move it
  STATE      Due, Overdue, Notified, NotifiedLate, NotNotified or NotRequired, computed now
             with the operator's rules
  LEFT       time left to the deadline while the authority is due, negative once overdue
  SUBJECTS   the people affected: Due (HighRisk, nothing recorded), Notified, NotNotified
             (an Art. 34(3) reason is recorded) or NotRequired
  AFFECTED   the contacts the operator counted with the breach's selector (counts only)

With --open, only the breaches that still need a notification are listed.

Exit codes: 0 when no listed breach is overdue, 2 when one is (the deadline passed and
the authority's notification is not recorded), 1 on errors.`,
		Example: `  kubectl gdpr breach list -n sales
  kubectl gdpr breach list -A --open
  kubectl gdpr breach list -A -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, tableStructuredOrName...); err != nil {
				return err
			}
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			if allNamespaces {
				ns = ""
			}
			return runBreachList(cmd.Context(), c, cmd.OutOrStdout(), ns, output, allNamespaces, open, time.Now())
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputTable, outputUsage(tableStructuredOrName...))
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "show the breaches of every namespace")
	cmd.Flags().BoolVar(&open, "open", false, "list only the breaches that still need a notification (authority or people)")
	return cmd
}

func runBreachList(ctx context.Context, c client.Reader, w io.Writer, ns, output string, allNamespaces, open bool, now time.Time) error {
	done := progress("reading data breaches")
	var list privacyv1alpha1.DataBreachList
	err := c.List(ctx, &list, client.InNamespace(ns))
	done()
	if err != nil {
		return fmt.Errorf("while listing the data breaches: %w", err)
	}
	rows := breachRows(list.Items, open, now)
	if output != outputTable {
		if err := printStructured(w, output, rows); err != nil {
			return err
		}
	} else if err := printBreachTable(w, rows, allNamespaces, open); err != nil {
		return err
	}
	return breachFindings(rows)
}

// breachRows computes each breach's state at now, keeps the open ones when asked and sorts
// them by deadline, then by namespace and name.
func breachRows(items []privacyv1alpha1.DataBreach, open bool, now time.Time) []breachRow {
	rows := []breachRow{}
	for i := range items {
		r := breachRowOf(&items[i], now)
		if open && !r.Open {
			continue
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Deadline != rows[j].Deadline {
			return rows[i].Deadline < rows[j].Deadline // RFC 3339 in UTC sorts as time
		}
		if rows[i].Namespace != rows[j].Namespace {
			return rows[i].Namespace < rows[j].Namespace
		}
		return rows[i].Name < rows[j].Name
	})
	return rows
}

func breachRowOf(b *privacyv1alpha1.DataBreach, now time.Time) breachRow {
	s := gdpr.BreachStateAt(&b.Spec, now)
	r := breachRow{Namespace: b.Namespace, Name: b.Name, Risk: string(b.Spec.RiskAssessment.Level),
		AwareAt: gdpr.FormatInstant(b.Spec.AwareAt.Time), Deadline: gdpr.FormatInstant(s.Deadline), State: string(s.State),
		DataSubjects: s.SubjectsReason, Open: s.Open(), AffectedContacts: b.Status.AffectedContacts,
		Message: s.AuthorityMessage, DataSubjectsMessage: s.SubjectsMessage}
	if s.AuthorityDue {
		left := int64(s.Deadline.Sub(now) / time.Second)
		r.SecondsLeft = &left
	}
	return r
}

// breachFindings returns a findings error when a listed breach is overdue.
func breachFindings(rows []breachRow) error {
	var overdue []string
	for _, r := range rows {
		if r.State == string(privacyv1alpha1.BreachStateOverdue) {
			overdue = append(overdue, fmt.Sprintf("%s/%s (deadline %s)", r.Namespace, r.Name, r.Deadline))
		}
	}
	if len(overdue) == 0 {
		return nil
	}
	return &findingsError{msg: fmt.Sprintf("%d data breach(es) overdue: the supervisory authority had to be notified within 72 hours: %s",
		len(overdue), strings.Join(overdue, "; "))}
}

func printBreachTable(w io.Writer, rows []breachRow, allNamespaces, open bool) error {
	if len(rows) == 0 {
		msg := "No data breach found."
		if open {
			msg = "No data breach needs a notification."
		}
		_, err := fmt.Fprintln(w, msg)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "NAME\tRISK\tAWARE\tDEADLINE\tSTATE\tLEFT\tSUBJECTS\tAFFECTED"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		cols := []string{r.Name, r.Risk, r.AwareAt, r.Deadline, r.State, leftText(r.SecondsLeft), subjectsText(r.DataSubjects), countText(r.AffectedContacts)}
		if allNamespaces {
			cols = append([]string{r.Namespace}, cols...)
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	return tw.Flush()
}

// leftText shows the time left to the deadline to the minute, "-" when nothing is due.
func leftText(seconds *int64) string {
	if seconds == nil {
		return "-"
	}
	d := time.Duration(*seconds) * time.Second
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h := int64(d / time.Hour)
	m := int64(d % time.Hour / time.Minute)
	return sign + strconv.FormatInt(h, 10) + "h" + fmt.Sprintf("%02dm", m)
}

// subjectsText shortens the DataSubjectNotificationDue reason for the table.
func subjectsText(reason string) string {
	switch reason {
	case privacyv1alpha1.ReasonNotificationDue:
		return "Due"
	case privacyv1alpha1.ReasonDataSubjectsNotified:
		return "Notified"
	case privacyv1alpha1.ReasonNotNotified:
		return "NotNotified"
	case privacyv1alpha1.ReasonNotificationNotRequired:
		return "NotRequired"
	}
	return orDash(reason)
}

func newBreachDescribeCommand(opts *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "describe NAME",
		Short: "Show one DataBreach: deadline, notifications, affected contacts per database",
		Long: `breach describe shows one DataBreach as the DPO reads it: the facts, the risk, the
72-hour deadline and the state of the notifications computed now, the contacts the
operator counted in each database, and the notify list Secret, if any. It exits 2 when the
breach is overdue.`,
		Example: `  kubectl gdpr breach describe export-leak-2026-03 -n sales`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			return runBreachDescribe(cmd.Context(), c, cmd.OutOrStdout(), ns, args[0], time.Now())
		},
	}
}

func runBreachDescribe(ctx context.Context, c client.Reader, w io.Writer, ns, name string, now time.Time) error {
	var b privacyv1alpha1.DataBreach
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &b); err != nil {
		return fmt.Errorf("while reading DataBreach %s: %w", name, err)
	}
	r := breachRowOf(&b, now)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(label, value string) { fmt.Fprintf(tw, "%s:\t%s\n", label, orDash(value)) }
	line("Name", b.Namespace+"/"+b.Name)
	line("Nature", strings.Join(breachTypes(b.Spec.Nature.Types), ", ")+": "+b.Spec.Nature.Description)
	line("Detected at", gdpr.FormatInstant(b.Spec.DetectedAt.Time))
	line("Aware at", r.AwareAt)
	line("Authority deadline", r.Deadline+" (aware + 72 h)")
	line("Risk", r.Risk+": "+b.Spec.RiskAssessment.Reasoning)
	line("Authority", r.State+": "+r.Message)
	line("Data subjects", subjectsText(r.DataSubjects)+": "+r.DataSubjectsMessage)
	line("Affected contacts", countText(r.AffectedContacts))
	for _, a := range b.Status.Affected {
		v := countText(a.Contacts)
		if a.Reason != "" {
			v += " (" + a.Reason + ": " + a.Message + ")"
		}
		line("  in "+string(a.Database), v)
	}
	if nl := b.Status.NotifyList; nl != nil {
		line("Notify list", notifyListText(nl))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return breachFindings([]breachRow{r})
}

func breachTypes(ts []privacyv1alpha1.BreachType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

// notifyListText words the notify list's status: where it is, how many, until when.
func notifyListText(nl *privacyv1alpha1.BreachNotifyListStatus) string {
	switch {
	case nl.Reason != "":
		return "not written (" + nl.Reason + "): " + nl.Message
	case nl.DeletedAt != nil:
		return fmt.Sprintf("Secret %s deleted at %s", nl.SecretName, gdpr.FormatInstant(nl.DeletedAt.Time))
	case nl.CreatedAt != nil && nl.ExpiresAt != nil:
		return fmt.Sprintf("Secret %s: %d contacts (%d without email or phone left out), deleted at %s",
			nl.SecretName, nl.Contacts, nl.Unreachable, gdpr.FormatInstant(nl.ExpiresAt.Time))
	}
	return "pending"
}
