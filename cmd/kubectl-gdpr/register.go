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
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

func init() { subcommands = append(subcommands, newRegisterCommand) }

func newRegisterCommand(opts *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Read, export, compare and verify the record of processing activities",
		Long: `register reads the RegisterRevisions the operator writes: each is one version of the
whole register (processing activities, legitimate interests assessments, retention terms,
access roles, CRM databases) with its content hash, chained to the revision before.

Exit codes: 0 on success, 2 when the register's hash chain does not verify (a revision
was altered, removed or reordered out of band), 1 on errors.`,
	}
	cmd.AddCommand(newRegisterListCommand(opts), newRegisterExportCommand(opts),
		newRegisterDiffCommand(opts), newRegisterVerifyCommand(opts))
	return cmd
}

func newRegisterListCommand(opts *globalOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the register revisions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, tableOrStructured...); err != nil {
				return err
			}
			c, _, err := opts.client()
			if err != nil {
				return err
			}
			return runRegisterList(cmd.Context(), c, cmd.OutOrStdout(), output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputTable, outputUsage(tableOrStructured...))
	return cmd
}

func newRegisterExportCommand(opts *globalOptions) *cobra.Command {
	var format string
	var revision int64
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export a register revision as an Art. 30 record with the register of assessments",
		Long: `export writes one revision of the register (the latest by default) as a GDPR Art. 30(1)
record of processing activities followed by the register of assessments (LIAs, DPIAs),
the retention terms and the access roles. The snapshot is checked against its content
hash first: a snapshot altered after it was written is refused (exit code 2).`,
		Example: `  kubectl gdpr register export --format markdown > register.md
  kubectl gdpr register export --format html --revision 12 > register-12.html
  kubectl gdpr register export --format csv > activities.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := opts.client()
			if err != nil {
				return err
			}
			return runRegisterExport(cmd.Context(), c, cmd.OutOrStdout(), format, revision)
		},
	}
	cmd.Flags().StringVar(&format, "format", register.FormatMarkdown, "export format: "+strings.Join(register.Formats, ", "))
	cmd.Flags().Int64Var(&revision, "revision", 0, "revision number to export (default: the latest)")
	return cmd
}

func newRegisterDiffCommand(opts *globalOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Show what changed in the register between two revisions",
		Long: `diff compares the snapshots of two revisions (numbers such as 3, or names such as
register-000003) and lists the objects added, removed and modified, with the spec fields
that changed.`,
		Example: `  kubectl gdpr register diff 3 7`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, tableOrStructured...); err != nil {
				return err
			}
			a, err := parseRevisionArg(args[0])
			if err != nil {
				return err
			}
			b, err := parseRevisionArg(args[1])
			if err != nil {
				return err
			}
			c, _, err := opts.client()
			if err != nil {
				return err
			}
			return runRegisterDiff(cmd.Context(), c, cmd.OutOrStdout(), a, b, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputTable, outputUsage(tableOrStructured...))
	return cmd
}

func newRegisterVerifyCommand(opts *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Recompute every content hash and the hash chain of the register",
		Long: `verify decodes every revision's snapshot, recomputes its content hash, checks that each
previous hash is the chain hash of the revision before, that the numbers are consecutive,
and that each revision's list of changes is the difference of the two snapshots. It exits
with code 2, naming the revisions, when anything was altered. When the operator's history
limit pruned old revisions, the oldest one kept is the anchor of the chain; the latest
revision records how far the operator may prune (spec.historyStart), and revisions missing
before that point, or at the start of a register without a history limit, were deleted by
someone else: verify reports them as HistoryMissing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := opts.client()
			if err != nil {
				return err
			}
			return runRegisterVerify(cmd.Context(), c, cmd.OutOrStdout())
		},
	}
}

// parseRevisionArg reads "3" or "register-000003".
func parseRevisionArg(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "register-"), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("revision %q: give a revision number (3) or a RegisterRevision name (register-000003)", s)
	}
	return n, nil
}

// loadRevisions reads every RegisterRevision, sorted by number.
func loadRevisions(ctx context.Context, c client.Reader) ([]register.Revision, error) {
	done := progress("reading the register revisions")
	defer done()
	var list privacyv1alpha1.RegisterRevisionList
	if err := c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("while listing the register revisions: %w", err)
	}
	revs := make([]register.Revision, len(list.Items))
	for i := range list.Items {
		revs[i] = register.FromRegisterRevision(&list.Items[i])
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].Number < revs[j].Number })
	return revs, nil
}

// pickRevision returns revision n, or the latest when n is 0.
func pickRevision(revs []register.Revision, n int64) (register.Revision, error) {
	if len(revs) == 0 {
		return register.Revision{}, fmt.Errorf("the register has no revision yet: the operator writes the first one when it finds a ProcessingActivity, LegitimateInterestAssessment, RetentionPolicy, AccessRole or CRMDatabase")
	}
	if n == 0 {
		return revs[len(revs)-1], nil
	}
	for _, r := range revs {
		if r.Number == n {
			return r, nil
		}
	}
	return register.Revision{}, fmt.Errorf("register revision %d does not exist (revisions %d to %d are kept)", n, revs[0].Number, revs[len(revs)-1].Number)
}

// checkSnapshot refuses a revision whose snapshot does not match its content hash.
func checkSnapshot(r register.Revision) error {
	if _, err := r.Document(); err != nil {
		return &findingsError{msg: err.Error()}
	}
	return nil
}

// revisionRow is one line of `register list`.
type revisionRow struct {
	Revision       int64  `json:"revision"`
	CreatedAt      string `json:"createdAt"`
	Changes        int64  `json:"changes"`
	SourceRevision string `json:"sourceRevision,omitempty"`
	ContentHash    string `json:"contentHash"`
	PreviousHash   string `json:"previousHash,omitempty"`
}

func runRegisterList(ctx context.Context, c client.Reader, w io.Writer, output string) error {
	revs, err := loadRevisions(ctx, c)
	if err != nil {
		return err
	}
	rows := make([]revisionRow, len(revs))
	for i, r := range revs {
		rows[i] = revisionRow{Revision: r.Number, CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339), Changes: r.ChangeCount,
			SourceRevision: r.SourceRevision, ContentHash: r.ContentHash, PreviousHash: r.PreviousHash}
	}
	if output != outputTable {
		return printStructured(w, output, rows)
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "The register has no revision yet.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REVISION\tCREATED\tCHANGES\tSOURCE\tCONTENT HASH")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", r.Revision, r.CreatedAt, r.Changes, regDash(r.SourceRevision), regShortHash(r.ContentHash))
	}
	return tw.Flush()
}

func regShortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func regDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runRegisterExport(ctx context.Context, c client.Reader, w io.Writer, format string, n int64) error {
	if !regContains(register.Formats, format) {
		return fmt.Errorf("unknown export format %q: use one of %s", format, strings.Join(register.Formats, ", "))
	}
	revs, err := loadRevisions(ctx, c)
	if err != nil {
		return err
	}
	rev, err := pickRevision(revs, n)
	if err != nil {
		return err
	}
	if err := checkSnapshot(rev); err != nil {
		return err
	}
	return register.ExportRevision(w, rev, format)
}

func regContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// changeRow is one line of `register diff`.
type changeRow struct {
	Type      string   `json:"type"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Fields    []string `json:"fields,omitempty"`
}

func runRegisterDiff(ctx context.Context, c client.Reader, w io.Writer, a, b int64, output string) error {
	revs, err := loadRevisions(ctx, c)
	if err != nil {
		return err
	}
	ra, err := pickRevision(revs, a)
	if err != nil {
		return err
	}
	rb, err := pickRevision(revs, b)
	if err != nil {
		return err
	}
	for _, r := range []register.Revision{ra, rb} {
		if err := checkSnapshot(r); err != nil {
			return err
		}
	}
	changes, err := register.DiffRevisions(ra, rb)
	if err != nil {
		return err
	}
	rows := changeRows(changes)
	if output != outputTable {
		return printStructured(w, output, rows)
	}
	fmt.Fprintf(w, "Register revision %d → %d: %d changes\n", a, b, len(rows))
	return writeChangeLines(w, rows)
}

// changeRows are the rows `register diff` prints for a list of changes.
func changeRows(changes []register.Change) []changeRow {
	rows := make([]changeRow, len(changes))
	for i, ch := range changes {
		rows[i] = changeRow{Type: string(ch.Type), Kind: ch.Kind, Namespace: ch.Namespace, Name: ch.Name, Fields: ch.Fields}
	}
	return rows
}

// writeChangeLines writes one line per change, as `register diff` does: a mark (+ added,
// - removed, ~ modified), the type, the object and the spec fields that changed.
func writeChangeLines(w io.Writer, rows []changeRow) error {
	marks := map[string]string{string(register.Added): "+", string(register.Removed): "-", string(register.Modified): "~"}
	for _, r := range rows {
		line := fmt.Sprintf("%s %s %s/%s/%s", marks[r.Type], r.Type, r.Kind, r.Namespace, r.Name)
		if len(r.Fields) > 0 {
			line += ": " + strings.Join(r.Fields, ", ")
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

func runRegisterVerify(ctx context.Context, c client.Reader, w io.Writer) error {
	revs, err := loadRevisions(ctx, c)
	if err != nil {
		return err
	}
	if len(revs) == 0 {
		_, err := fmt.Fprintln(w, "The register has no revision yet: nothing to verify.")
		return err
	}
	first, last := revs[0], revs[len(revs)-1]
	problems := register.Verify(revs)
	if len(problems) == 0 {
		fmt.Fprintf(w, "The register verifies: %d revisions (%d to %d), every content hash and every link of the chain recomputed.\n", len(revs), first.Number, last.Number)
		if first.Number > 1 {
			fmt.Fprintf(w, "Revisions before %d were pruned by the history limit (revision %d lets the operator prune those before %d): revision %d is the anchor of the chain.\n",
				first.Number, last.Number, last.Start(), first.Number)
		}
		_, err := fmt.Fprintf(w, "Latest revision %d, content hash %s, chain hash %s.\n", last.Number, last.ContentHash, last.ChainHash())
		return err
	}
	var names []string
	for _, p := range problems {
		fmt.Fprintln(w, p.String())
		if n := strconv.FormatInt(p.Revision, 10); !regContains(names, n) {
			names = append(names, n)
		}
	}
	return &findingsError{msg: fmt.Sprintf("the register does not verify: revision %s altered, removed or reordered out of band (%d problems)", strings.Join(names, ", "), len(problems))}
}
