package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func init() { subcommands = append(subcommands, newPlanCommand) }

// planRow is one rule of one policy in the plan.
type planRow struct {
	Namespace string `json:"namespace"`
	Policy    string `json:"policy"`
	Database  string `json:"database"`
	Mode      string `json:"mode"`
	Rule      string `json:"rule"`
	Pending   int64  `json:"pending"`
	// Held is how many contacts the rule selects that a legal hold or a Hold dependent
	// keeps (status.rules[].held): not in Pending.
	Held int64 `json:"held"`
	// Approved is the Approved condition: whether the plan fits the budget or an approval.
	Approved string `json:"approved"`
	NextRun  string `json:"nextRun,omitempty"`
	// Message explains a blocked or not ready policy.
	Message string `json:"message,omitempty"`
}

func newPlanCommand(opts *globalOptions) *cobra.Command {
	var output string
	var allNamespaces bool
	cmd := &cobra.Command{
		Use:   "plan [POLICY]",
		Short: "Show how many contacts each retention rule would erase now",
		Long: `plan prints, for each RetentionPolicy (or the one named), how many contacts each rule
selects now (status.rules[].pending, counted by the operator on the database), how many of
the contacts it selects are held instead (status.rules[].held: a legal hold, or a row of a
dependent table the CRMDatabase maps with onDelete Hold, keeps them), the mode, whether the
plan fits the safety budget, and the next run.

Exit codes: 0 when every plan fits its budget or approval, 2 when a policy in Enforce mode
is blocked by its budget (it needs spec.approval), 1 on errors.`,
		Example: `  kubectl gdpr plan -n sales
  kubectl gdpr plan prospects -n sales -o json
  kubectl gdpr plan -A`,
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
				ns = ""
			}
			done := progress("reading retention policies")
			policies, err := listPolicies(cmd.Context(), c, ns, args)
			done()
			if err != nil {
				return err
			}
			rows := planRows(policies)
			if output != outputTable {
				if err := printStructured(cmd.OutOrStdout(), output, rows); err != nil {
					return err
				}
			} else if err := printPlanTable(cmd.OutOrStdout(), rows, allNamespaces); err != nil {
				return err
			}
			return blockedPolicies(policies)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputTable, outputUsage(tableStructuredOrName...))
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "show the policies of every namespace")
	return cmd
}

func listPolicies(ctx context.Context, c client.Client, ns string, names []string) ([]privacyv1alpha1.RetentionPolicy, error) {
	if len(names) == 1 {
		p := privacyv1alpha1.RetentionPolicy{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: names[0]}, &p); err != nil {
			return nil, fmt.Errorf("while reading RetentionPolicy %s: %w", names[0], err)
		}
		return []privacyv1alpha1.RetentionPolicy{p}, nil
	}
	list := &privacyv1alpha1.RetentionPolicyList{}
	if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("while listing RetentionPolicies: %w", err)
	}
	return list.Items, nil
}

// planRows flattens the policies' status into one row per rule (one row for a policy the
// operator has not counted yet).
func planRows(policies []privacyv1alpha1.RetentionPolicy) []planRow {
	rows := []planRow{}
	for _, p := range policies {
		base := planRow{Namespace: p.Namespace, Policy: p.Name, Database: string(p.Spec.DatabaseRef.Name), Mode: string(p.Spec.Mode), Approved: "Unknown"}
		if base.Mode == "" {
			base.Mode = string(privacyv1alpha1.ModeDryRun)
		}
		if c := meta.FindStatusCondition(p.Status.Conditions, privacyv1alpha1.TypeApproved); c != nil {
			base.Approved = string(c.Status)
			if c.Status != "True" {
				base.Message = c.Message
			}
		}
		if c := meta.FindStatusCondition(p.Status.Conditions, privacyv1alpha1.TypeReady); c != nil && c.Status != "True" && base.Message == "" {
			base.Message = c.Message
		}
		if p.Status.NextRunAt != nil {
			base.NextRun = p.Status.NextRunAt.UTC().Format(time.RFC3339)
		}
		if len(p.Status.Rules) == 0 {
			base.Rule, base.Pending = "-", 0
			rows = append(rows, base)
			continue
		}
		for _, r := range p.Status.Rules {
			row := base
			row.Rule, row.Pending, row.Held = string(r.Name), r.Pending, r.Held
			rows = append(rows, row)
		}
	}
	return rows
}

func printPlanTable(w io.Writer, rows []planRow, withNamespace bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "POLICY\tDATABASE\tMODE\tRULE\tPENDING\tHELD\tAPPROVED\tNEXT RUN"
	if withNamespace {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(tw, header)
	var total, held int64
	for _, r := range rows {
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Policy, r.Database, r.Mode, r.Rule, strconv.FormatInt(r.Pending, 10),
			strconv.FormatInt(r.Held, 10), r.Approved, orDash(r.NextRun))
		if withNamespace {
			line = r.Namespace + "\t" + line
		}
		fmt.Fprintln(tw, line)
		total += r.Pending
		held += r.Held
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d contact(s) pending in total, %d held by a legal hold or a dependent row.\n", total, held)
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Message != "" && !seen[r.Namespace+"/"+r.Policy] {
			seen[r.Namespace+"/"+r.Policy] = true
			fmt.Fprintf(w, "%s: %s\n", r.Policy, r.Message)
		}
	}
	return nil
}

// blockedPolicies returns a findingsError when an enforced policy waits for an approval.
func blockedPolicies(policies []privacyv1alpha1.RetentionPolicy) error {
	var blocked []string
	for _, p := range policies {
		c := meta.FindStatusCondition(p.Status.Conditions, privacyv1alpha1.TypeApproved)
		if p.Spec.Mode == privacyv1alpha1.ModeEnforce && c != nil && c.Status == "False" {
			blocked = append(blocked, p.Name)
		}
	}
	if len(blocked) > 0 {
		return &findingsError{msg: fmt.Sprintf("%d enforced polic(ies) blocked by their budget: %v", len(blocked), blocked)}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
