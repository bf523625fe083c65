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

// The checks of the compliance scan, as the status and the operator name them.
var scanCheckNames = []string{"noLegalBasis", "consentWithoutEvidence", "legitimateInterestOutOfScope", "optedOutInScope", "restrictedFieldsFilled"}

// notCheckablePrefix starts the status.compliance[].message of a scan that could not run
// some checks: "not checkable: consentWithoutEvidence (…); restrictedFieldsFilled (…)".
const notCheckablePrefix = "not checkable: "

// scanRow is the last compliance scan of one activity on one database. A count is null
// (JSON) or "-" (table) when the check could not run on that database.
type scanRow struct {
	Namespace                    string   `json:"namespace"`
	Activity                     string   `json:"activity"`
	Database                     string   `json:"database"`
	ScannedAt                    string   `json:"scannedAt,omitempty"`
	ContactsInScope              int64    `json:"contactsInScope"`
	NoLegalBasis                 *int64   `json:"noLegalBasis"`
	ConsentWithoutEvidence       *int64   `json:"consentWithoutEvidence"`
	LegitimateInterestOutOfScope *int64   `json:"legitimateInterestOutOfScope"`
	OptedOutInScope              *int64   `json:"optedOutInScope"`
	RestrictedFieldsFilled       *int64   `json:"restrictedFieldsFilled"`
	NotCheckable                 []string `json:"notCheckable,omitempty"`
	Message                      string   `json:"message,omitempty"`
}

func newScanCommand(opts *globalOptions) *cobra.Command {
	var output string
	var allNamespaces bool
	cmd := &cobra.Command{
		Use:   "scan [ACTIVITY]",
		Short: "Show the last compliance scan of the contacts in scope of each processing activity",
		Long: `scan prints, for each ProcessingActivity (or the one named) and each CRM database it
covers, the counts of its last compliance scan (status.compliance): contacts in scope, and
among them contacts without a legal basis, on consent without evidence, on legitimate
interests outside the LIA's scope, opted out (for marketing activities), and with
restricted private fields filled in. The operator counts them in the database; no contact
data leaves it. A check the database's mapping cannot run is shown as "-", not 0.

Exit codes: 0 when no contact breaks a rule, 2 when some do, 1 on errors.`,
		Example: `  kubectl gdpr scan -n sales
  kubectl gdpr scan newsletter -n sales -o json
  kubectl gdpr scan -A`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, outputTable, outputJSON, outputYAML); err != nil {
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
	cmd.Flags().StringVarP(&output, "output", "o", outputTable, "output format: table, json or yaml")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "show the activities of every namespace")
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
			rows = append(rows, scanRow{Namespace: pa.Namespace, Activity: pa.Name, Database: string(ref.Name), Message: "not scanned yet"})
			continue
		}
		rows = append(rows, scanRowOf(pa, e))
	}
	return rows
}

func scanRowOf(pa *privacyv1alpha1.ProcessingActivity, e privacyv1alpha1.DatabaseCompliance) scanRow {
	row := scanRow{Namespace: pa.Namespace, Activity: pa.Name, Database: string(e.Database), ContactsInScope: e.ContactsInScope, Message: e.Message}
	if e.ScannedAt != nil {
		row.ScannedAt = e.ScannedAt.UTC().Format(time.RFC3339)
	} else {
		return row // never scanned: every count unknown
	}
	row.NotCheckable = notCheckable(e.Message)
	count := func(check string, n int64) *int64 {
		if regContains(row.NotCheckable, check) {
			return nil
		}
		return &n
	}
	row.NoLegalBasis = count("noLegalBasis", e.NoLegalBasis)
	row.ConsentWithoutEvidence = count("consentWithoutEvidence", e.ConsentWithoutEvidence)
	row.LegitimateInterestOutOfScope = count("legitimateInterestOutOfScope", e.LegitimateInterestOutOfScope)
	row.OptedOutInScope = count("optedOutInScope", e.OptedOutInScope)
	row.RestrictedFieldsFilled = count("restrictedFieldsFilled", e.RestrictedFieldsFilled)
	return row
}

// notCheckable reads the checks named in a "not checkable: a (why); b (why)" message.
func notCheckable(msg string) []string {
	if !strings.HasPrefix(msg, notCheckablePrefix) {
		return nil
	}
	var out []string
	for _, part := range strings.Split(strings.TrimPrefix(msg, notCheckablePrefix), "; ") {
		name, _, _ := strings.Cut(part, " (")
		if regContains(scanCheckNames, name) {
			out = append(out, name)
		}
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
		cols := []string{r.Activity, r.Database, fmt.Sprint(r.ContactsInScope)}
		if r.ScannedAt == "" {
			cols[2] = "-"
		}
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
