package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/apimapping"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

func init() { subcommands = append(subcommands, newAuditCommand) }

// accessRow is what one managed role may read of a CRM database's personal data, as the
// AccessRole declares it and the operator last verified it (status.lastAuditAt).
type accessRow struct {
	Namespace  string `json:"namespace"`
	Database   string `json:"database"`
	AccessRole string `json:"accessRole"`
	Role       string `json:"role"`
	// Managed is always true: the operator records only the roles it manages.
	Managed bool   `json:"managed"`
	InSync  string `json:"inSync"`
	// RowFilter is true when the role sees only the contacts its filter selects.
	RowFilter     bool   `json:"rowFilter"`
	ActiveMembers int32  `json:"activeMembers"`
	AuditedAt     string `json:"auditedAt,omitempty"`
	// PersonalColumns are the personal columns the role may SELECT: "table.column (field)".
	PersonalColumns []string `json:"personalColumns"`
	// RestrictedColumns are, among them, the private fields data minimisation restricts.
	RestrictedColumns []string `json:"restrictedColumns,omitempty"`
}

func newAuditCommand(opts *globalOptions) *cobra.Command {
	audit := &cobra.Command{Use: "audit", Short: "Audit who can access the CRM's personal data"}
	var output, database string
	access := &cobra.Command{
		Use:   "access",
		Short: "Show which database roles can read which personal columns of a CRM database",
		Long: `audit access lists, for the CRMDatabase given with --database, every database role an
AccessRole manages there and the personal columns (the mapping's personalFields and
restrictedFields) it may read, with whether the operator found the database in line with
the spec at its last audit (status.lastAuditAt), the row filter and the active members.

It reads what the operator recorded in the cluster and needs no database credentials.
Roles that no AccessRole manages are not listed: the operator does not record them yet.

Exit codes: 0 when every role is in sync and none reads a restricted field, 2 otherwise,
1 on errors.`,
		Example: `  kubectl gdpr audit access --database crm -n sales
  kubectl gdpr audit access --database crm -n sales -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, tableStructuredOrName...); err != nil {
				return err
			}
			if database == "" {
				return fmt.Errorf("--database is required")
			}
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			return runAuditAccess(cmd.Context(), c, cmd.OutOrStdout(), ns, database, output)
		},
	}
	access.Flags().StringVarP(&output, "output", "o", outputTable, outputUsage(tableStructuredOrName...))
	access.Flags().StringVar(&database, "database", "", "the CRMDatabase to audit")
	audit.AddCommand(access)
	return audit
}

func runAuditAccess(ctx context.Context, c client.Reader, w io.Writer, ns, database, output string) error {
	done := progress("reading access roles")
	db := &privacyv1alpha1.CRMDatabase{}
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: database}, db)
	var list privacyv1alpha1.AccessRoleList
	if err == nil {
		err = c.List(ctx, &list, client.InNamespace(ns))
	}
	done()
	if err != nil {
		return fmt.Errorf("while reading CRMDatabase %s and its AccessRoles: %w", database, err)
	}
	personal, err := personalColumns(db)
	if err != nil {
		return err
	}
	rows := []accessRow{}
	for i := range list.Items {
		if ar := &list.Items[i]; string(ar.Spec.DatabaseRef.Name) == database {
			rows = append(rows, accessRowOf(ar, personal))
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Role < rows[j].Role })
	if output != outputTable {
		if err := printStructured(w, output, rows); err != nil {
			return err
		}
	} else if err := printAccessTable(w, rows); err != nil {
		return err
	}
	return accessFindings(rows)
}

// personalColumn is a personal field's table and column.
type personalColumn struct {
	field, table, column string
	restricted           bool
}

// personalColumns resolves the CRMDatabase's mapping (preset and overrides) into the
// personal and restricted columns.
func personalColumns(db *privacyv1alpha1.CRMDatabase) ([]personalColumn, error) {
	m, err := mapping.Resolve(string(db.Spec.Preset), apimapping.FromAPI(db.Spec.Mapping))
	if err != nil {
		return nil, fmt.Errorf("while resolving the mapping of CRMDatabase %s: %w", db.Name, err)
	}
	restricted := map[string]mapping.RestrictedField{}
	for _, r := range m.RestrictedFields {
		restricted[r.Name] = r
	}
	var out []personalColumn
	seen := map[string]bool{}
	add := func(field string, f mapping.Field, isRestricted bool) {
		if f.Column == "" || seen[field] {
			return
		}
		seen[field] = true
		out = append(out, personalColumn{field: field, table: m.SourceTable(f.Source), column: f.Column, restricted: isRestricted})
	}
	for _, name := range m.PersonalFields {
		if r, ok := restricted[name]; ok {
			add(name, mapping.Field{Column: r.Column, Source: r.Source}, true)
		} else {
			add(name, m.Fields[name], false)
		}
	}
	for _, r := range m.RestrictedFields {
		add(r.Name, mapping.Field{Column: r.Column, Source: r.Source}, true)
	}
	return out, nil
}

// accessRowOf lists the personal columns an AccessRole's grants let its role SELECT. An
// expired role reads nothing.
func accessRowOf(ar *privacyv1alpha1.AccessRole, personal []personalColumn) accessRow {
	row := accessRow{Namespace: ar.Namespace, Database: string(ar.Spec.DatabaseRef.Name), AccessRole: ar.Name,
		Role: string(ar.Spec.RoleName), Managed: true, InSync: "Unknown", RowFilter: ar.Spec.RowFilter != nil,
		ActiveMembers: ar.Status.ActiveMembers, PersonalColumns: []string{}}
	if c := meta.FindStatusCondition(ar.Status.Conditions, privacyv1alpha1.TypeInSync); c != nil {
		row.InSync = string(c.Status)
	}
	if ar.Status.LastAuditAt != nil {
		row.AuditedAt = ar.Status.LastAuditAt.UTC().Format(time.RFC3339)
	}
	if ar.Spec.ValidUntil != nil && ar.Status.LastAuditAt != nil && !ar.Status.LastAuditAt.Before(ar.Spec.ValidUntil) {
		return row
	}
	for _, pc := range personal {
		if !canSelect(ar.Spec.Grants, pc) {
			continue
		}
		col := fmt.Sprintf("%s.%s (%s)", pc.table, pc.column, pc.field)
		row.PersonalColumns = append(row.PersonalColumns, col)
		if pc.restricted {
			row.RestrictedColumns = append(row.RestrictedColumns, col)
		}
	}
	return row
}

// canSelect reports whether the grants give SELECT on the column (table names compared
// without regard to case, as MySQL does; PostgreSQL mappings use the catalog's case).
func canSelect(grants []privacyv1alpha1.TableGrant, pc personalColumn) bool {
	for _, g := range grants {
		if !strings.EqualFold(string(g.Table), pc.table) {
			continue
		}
		hasSelect := false
		for _, p := range g.Privileges {
			hasSelect = hasSelect || p == privacyv1alpha1.PrivilegeSelect
		}
		if !hasSelect {
			continue
		}
		if len(g.Columns) == 0 {
			return true
		}
		for _, c := range g.Columns {
			if strings.EqualFold(string(c), pc.column) {
				return true
			}
		}
	}
	return false
}

func printAccessTable(w io.Writer, rows []accessRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tACCESSROLE\tIN SYNC\tMEMBERS\tROW FILTER\tPERSONAL COLUMNS\tRESTRICTED\tAUDITED")
	for _, r := range rows {
		cols := strings.Join(r.PersonalColumns, ", ")
		if cols == "" {
			cols = "-"
		}
		filter := "no"
		if r.RowFilter {
			filter = "yes"
		}
		audited := r.AuditedAt
		if audited == "" {
			audited = "never"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\n", r.Role, r.AccessRole, r.InSync, r.ActiveMembers, filter, cols, len(r.RestrictedColumns), audited)
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "(no AccessRole manages a role on this database)")
	}
	return tw.Flush()
}

// accessFindings returns a findingsError when a role is not in sync or reads restricted
// fields.
func accessFindings(rows []accessRow) error {
	var out []string
	for _, r := range rows {
		if r.InSync != "True" {
			out = append(out, fmt.Sprintf("role %s is not in sync", r.Role))
		}
		if len(r.RestrictedColumns) > 0 {
			out = append(out, fmt.Sprintf("role %s reads %d restricted field(s)", r.Role, len(r.RestrictedColumns)))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &findingsError{msg: strings.Join(out, "; ")}
}
