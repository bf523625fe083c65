package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func init() { subcommands = append(subcommands, newScanCommand) }

// scanRow is the last compliance scan of one activity on one database. A count is null
// (JSON) or "-" (table) when the check did not run; unchecked says why (the status's own
// list: the plugin reads fields, never messages).
type scanRow struct {
	Namespace                    string                           `json:"namespace"`
	Activity                     string                           `json:"activity"`
	Database                     string                           `json:"database"`
	ScannedAt                    string                           `json:"scannedAt,omitempty"`
	ContactsInScope              *int64                           `json:"contactsInScope"`
	NoLegalBasis                 *int64                           `json:"noLegalBasis"`
	ConsentWithoutEvidence       *int64                           `json:"consentWithoutEvidence"`
	LegitimateInterestOutOfScope *int64                           `json:"legitimateInterestOutOfScope"`
	OptedOutInScope              *int64                           `json:"optedOutInScope"`
	RestrictedFieldsFilled       *int64                           `json:"restrictedFieldsFilled"`
	Unchecked                    []privacyv1alpha1.UncheckedCheck `json:"unchecked,omitempty"`
	// Reason is set when the latest scan attempt did not run (DatabaseNotReady, ScanFailed…).
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

func newScanCommand(opts *globalOptions) *cobra.Command {
	var output string
	var allNamespaces bool
	exp := &exportOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "scan [ACTIVITY]",
		Short: "Show the last compliance scan of the contacts in scope of each processing activity",
		Long: `scan prints, for each ProcessingActivity (or the one named) and each CRM database it
covers, the counts of its last compliance scan (status.compliance): contacts in scope, and
among them contacts without a legal basis, on consent without evidence, on legitimate
interests outside the LIA's scope, opted out (on consent, legitimate interests or direct
marketing), and with restricted private fields filled in. The operator counts them in the
database; no contact data leaves it. A check that did not run (it does not apply to the
activity, or the database's mapping lacks its fields) is shown as "-", not 0; with -o json
its count is null and "unchecked" says why.

With --export CHECK, scan asks the operator for the keys of the contacts of ACTIVITY that
fail one check (one of noLegalBasis, consentWithoutEvidence, legitimateInterestOutOfScope,
optedOutInScope, restrictedFieldsFilled), so that you can fix them with the CRM's bulk
edit. The operator lists them with the same condition the scan counts with, into a Secret
owned by the activity (keys only, no other field; deleted after the manager's
--findings-export-retention, 24h by default); scan waits for it (--timeout) and writes the
keys as CSV — a header "key" and one key per line — to -o FILE (default
ACTIVITY-CHECK.csv, "-" for standard output), readable by you only (mode 0600). With several
databases, --database picks one. An export over 25,000 keys is refused, not cut. Reading the
Secret needs the right to get Secrets in the namespace.

Exit codes: 0 when no contact breaks a rule (with --export: the file was written), 2 when
some do, 1 on errors (with --export: a refused export).`,
		Example: `  kubectl gdpr scan -n sales
  kubectl gdpr scan newsletter -n sales -o json
  kubectl gdpr scan -A
  kubectl gdpr scan sales-prospecting -n sales --export legitimateInterestOutOfScope -o out-of-scope.csv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if exp.check != "" {
				if len(args) != 1 || allNamespaces {
					return fmt.Errorf("--export needs one ACTIVITY (and no -A)")
				}
				c, ns, err := opts.client()
				if err != nil {
					return err
				}
				exp.file = output
				return exportFindings(cmd.Context(), c, cmd.ErrOrStderr(), cmd.OutOrStdout(), ns, args[0], exp)
			}
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
			return runScan(cmd.Context(), c, cmd.OutOrStdout(), ns, args, output, allNamespaces)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputTable, outputUsage(tableStructuredOrName...)+"; with --export, the CSV file to write (default ACTIVITY-CHECK.csv, - for standard output)")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "show the activities of every namespace")
	cmd.Flags().StringVar(&exp.check, "export", "", "export the keys of the contacts failing this check, as CSV")
	cmd.Flags().StringVar(&exp.database, "database", "", "with --export: the CRMDatabase whose keys to write, when the activity covers several")
	cmd.Flags().DurationVar(&exp.timeout, "timeout", 5*time.Minute, "with --export: how long to wait for the operator")
	return cmd
}

func runScan(ctx context.Context, c client.Reader, w io.Writer, ns string, names []string, output string, allNamespaces bool) error {
	done := progress("reading processing activities")
	var list privacyv1alpha1.ProcessingActivityList
	err := c.List(ctx, &list, client.InNamespace(ns))
	done()
	if err != nil {
		return fmt.Errorf("while listing the processing activities: %w", err)
	}
	var rows []scanRow
	for _, pa := range list.Items {
		if len(names) > 0 && pa.Name != names[0] {
			continue
		}
		rows = append(rows, scanRows(&pa)...)
	}
	if len(names) > 0 && len(rows) == 0 {
		return fmt.Errorf("ProcessingActivity %s has no compliance scan: it does not exist or covers no database", names[0])
	}
	if output != outputTable {
		if rows == nil {
			rows = []scanRow{}
		}
		if err := printStructured(w, output, rows); err != nil {
			return err
		}
	} else if err := printScanTable(w, rows, allNamespaces); err != nil {
		return err
	}
	return scanFindings(rows)
}

// scanRows turns an activity's status.compliance into rows, one per covered database; a
// covered database without a scan yet gets a row that says so.
func scanRows(pa *privacyv1alpha1.ProcessingActivity) []scanRow {
	byDB := map[string]privacyv1alpha1.DatabaseCompliance{}
	for _, e := range pa.Status.Compliance {
		byDB[string(e.Database)] = e
	}
	var rows []scanRow
	for _, ref := range pa.Spec.DatabaseRefs {
		e, ok := byDB[string(ref.Name)]
		if !ok {
			rows = append(rows, scanRow{Namespace: pa.Namespace, Activity: pa.Name, Database: string(ref.Name), Message: "not scanned yet",
				Unchecked: notScanned()})
			continue
		}
		rows = append(rows, scanRowOf(pa, e))
	}
	return rows
}

func scanRowOf(pa *privacyv1alpha1.ProcessingActivity, e privacyv1alpha1.DatabaseCompliance) scanRow {
	row := scanRow{Namespace: pa.Namespace, Activity: pa.Name, Database: string(e.Database), ContactsInScope: e.ContactsInScope,
		Unchecked: e.Unchecked, Reason: e.Reason, Message: e.Message,
		NoLegalBasis:                 e.Count(privacyv1alpha1.CheckNoLegalBasis),
		ConsentWithoutEvidence:       e.Count(privacyv1alpha1.CheckConsentWithoutEvidence),
		LegitimateInterestOutOfScope: e.Count(privacyv1alpha1.CheckLegitimateInterestOutOfScope),
		OptedOutInScope:              e.Count(privacyv1alpha1.CheckOptedOutInScope),
		RestrictedFieldsFilled:       e.Count(privacyv1alpha1.CheckRestrictedFieldsFilled),
	}
	if e.ScannedAt != nil {
		row.ScannedAt = e.ScannedAt.UTC().Format(time.RFC3339)
	}
	return row
}

// notScanned lists every check as not scanned, for a database the status has no entry for.
func notScanned() []privacyv1alpha1.UncheckedCheck {
	var out []privacyv1alpha1.UncheckedCheck
	for _, c := range privacyv1alpha1.ComplianceChecks() {
		out = append(out, privacyv1alpha1.UncheckedCheck{Check: c, Reason: privacyv1alpha1.UncheckedNotScanned})
	}
	return out
}

func (r scanRow) counts() []*int64 {
	return []*int64{r.NoLegalBasis, r.ConsentWithoutEvidence, r.LegitimateInterestOutOfScope, r.OptedOutInScope, r.RestrictedFieldsFilled}
}

func printScanTable(w io.Writer, rows []scanRow, allNamespaces bool) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No processing activity covers a CRM database.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "ACTIVITY\tDATABASE\tIN SCOPE\tNO BASIS\tCONSENT NO EVIDENCE\tLI OUT OF SCOPE\tOPTED OUT\tRESTRICTED FILLED\tSCANNED"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(tw, header)
	var notes []string
	for _, r := range rows {
		cols := []string{r.Activity, r.Database, countText(r.ContactsInScope)}
		for _, n := range r.counts() {
			cols = append(cols, countText(n))
		}
		cols = append(cols, regDash(r.ScannedAt))
		if allNamespaces {
			cols = append([]string{r.Namespace}, cols...)
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
		if r.Message != "" {
			notes = append(notes, fmt.Sprintf("%s/%s on %s: %s", r.Namespace, r.Activity, r.Database, r.Message))
		}
		if mapped := uncheckedNames(r.Unchecked, privacyv1alpha1.UncheckedNotMapped); len(mapped) > 0 {
			notes = append(notes, fmt.Sprintf("%s/%s on %s: not checkable, the mapping lacks their fields: %s", r.Namespace, r.Activity, r.Database, strings.Join(mapped, ", ")))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

// uncheckedNames lists the checks unchecked for the reason.
func uncheckedNames(us []privacyv1alpha1.UncheckedCheck, reason privacyv1alpha1.UncheckedReason) []string {
	var out []string
	for _, u := range us {
		if u.Reason == reason {
			out = append(out, string(u.Check))
		}
	}
	return out
}

func countText(n *int64) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

// scanFindings returns a findings error when a contact in scope breaks a rule.
func scanFindings(rows []scanRow) error {
	var total int64
	var where []string
	for _, r := range rows {
		var n int64
		for _, c := range r.counts() {
			if c != nil {
				n += *c
			}
		}
		if n > 0 {
			total += n
			where = append(where, r.Namespace+"/"+r.Activity+" on "+r.Database)
		}
	}
	if total == 0 {
		return nil
	}
	return &findingsError{msg: fmt.Sprintf("%d findings about contacts in scope: %s", total, strings.Join(where, ", "))}
}
