package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/apimapping"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

func init() { subcommands = append(subcommands, newMappingCommand) }

// mappingReport is a CRMDatabase's resolved mapping (preset plus overrides, as the
// operator resolves it) and the problems the operator's last schema check published.
type mappingReport struct {
	Namespace string `json:"namespace"`
	Database  string `json:"database"`
	Preset    string `json:"preset,omitempty"`
	Engine    string `json:"engine"`
	// Checked says whether status.schemaProblems describes the current spec: "current",
	// "outdated" (the spec changed since the check) or "never".
	Checked      string            `json:"checked"`
	Contacts     mappingContacts   `json:"contacts"`
	Fields       []mappingFieldRow `json:"fields"`
	Interactions []mappingRow      `json:"interactions,omitempty"`
	Dependents   []mappingRow      `json:"dependents,omitempty"`
	Related      []mappingRow      `json:"related,omitempty"`
	Problems     []mappingProblem  `json:"problems"`
}

type mappingContacts struct {
	Table      string `json:"table"`
	Key        string `json:"key"`
	SoftDelete string `json:"softDelete,omitempty"`
	Extension  string `json:"extension,omitempty"`
}

// mappingFieldRow is one logical field: where it lives and what the check found there.
type mappingFieldRow struct {
	Field      string `json:"field"`
	Table      string `json:"table"`
	Column     string `json:"column"`
	Source     string `json:"source"`
	Restricted bool   `json:"restricted,omitempty"`
	Personal   bool   `json:"personal,omitempty"`
	// Status is "ok", a problem kind (MissingColumn, WrongType…) or "unchecked".
	Status string `json:"status"`
}

// mappingRow is one interaction source, dependent or related table, summarised.
type mappingRow struct {
	Name   string `json:"name"`
	Detail string `json:"detail"`
	Status string `json:"status"`
}

// mappingProblem is one entry of status.schemaProblems, as published.
type mappingProblem struct {
	Field      string `json:"field"`
	Kind       string `json:"kind,omitempty"`
	Table      string `json:"table,omitempty"`
	Column     string `json:"column,omitempty"`
	ActualType string `json:"actualType,omitempty"`
	Expected   string `json:"expectedTypes,omitempty"`
	Message    string `json:"message"`
}

func newMappingCommand(opts *globalOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "mapping NAME",
		Short: "Show a CRMDatabase's resolved mapping and the mapped columns its schema lacks",
		Long: `mapping prints the mapping the operator applies to a CRMDatabase: its preset merged with
spec.mapping, field by field (which table and column holds each logical field, which
fields are personal or restricted), the interaction sources, dependents and related
tables; and, from the operator's last check of the schema (status.schemaProblems), which
mapped tables and columns are missing or of the wrong type, with the type found and the
types expected. It is the starting point for adapting a preset to a customised CRM: fix
each problem with an override in spec.mapping.

The plugin reads the cluster only: it never connects to the database. Where the operator
moved a preset field to an alternative column that exists (SuiteCRM's legacy custom
fields), the preset's first choice is shown.

Exit codes: 0 when the last check found no problem, 2 when it found some, 1 on errors.`,
		Example: `  kubectl gdpr mapping crm -n sales
  kubectl gdpr mapping crm -n sales -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, tableOrStructured...); err != nil {
				return err
			}
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			return runMapping(cmd.Context(), c, cmd.OutOrStdout(), ns, args[0], output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputTable, outputUsage(tableOrStructured...))
	return cmd
}

func runMapping(ctx context.Context, c client.Reader, w io.Writer, ns, name, output string) error {
	var db privacyv1alpha1.CRMDatabase
	done := progress("reading CRMDatabase %s", name)
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &db)
	done()
	if err != nil {
		return fmt.Errorf("while reading CRMDatabase %s/%s: %w", ns, name, err)
	}
	rep, err := buildMappingReport(&db)
	if err != nil {
		return err
	}
	if output != outputTable {
		err = printStructured(w, output, rep)
	} else {
		err = printMappingTable(w, rep)
	}
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return &findingsError{msg: fmt.Sprintf("%d problem(s) in the mapping of %s/%s against its database", len(rep.Problems), ns, name)}
	}
	return nil
}

// buildMappingReport resolves the mapping as the operator does (apimapping.FromAPI, then
// mapping.Resolve) and matches each part with the published problems by mapping path.
func buildMappingReport(db *privacyv1alpha1.CRMDatabase) (mappingReport, error) {
	m, err := mapping.Resolve(string(db.Spec.Preset), apimapping.FromAPI(db.Spec.Mapping))
	if err != nil {
		return mappingReport{}, err
	}
	rep := mappingReport{Namespace: db.Namespace, Database: db.Name, Preset: string(db.Spec.Preset), Engine: string(db.Spec.Engine),
		Checked: checkState(db), Problems: []mappingProblem{}}
	for _, p := range db.Status.SchemaProblems {
		rep.Problems = append(rep.Problems, mappingProblem{Field: p.Field, Kind: string(p.Kind), Table: p.Table, Column: p.Column,
			ActualType: p.ActualType, Expected: p.ExpectedTypes, Message: p.Message})
	}
	// status is the kind of the first published problem at or under one of the paths.
	status := func(paths ...string) string {
		if rep.Checked == "never" {
			return "unchecked"
		}
		for _, path := range paths {
			for _, p := range db.Status.SchemaProblems {
				if p.Field == path || strings.HasPrefix(p.Field, path+".") || strings.HasPrefix(p.Field, path+"[") {
					if p.Kind == "" {
						return string(privacyv1alpha1.ProblemInvalid)
					}
					return string(p.Kind)
				}
			}
		}
		return "ok"
	}
	rep.Contacts = mappingContacts{Table: m.Contacts.Table, Key: m.Contacts.Key, SoftDelete: m.Contacts.SoftDeleteColumn}
	if m.Contacts.SoftDeleteRelated != "" {
		rep.Contacts.SoftDelete += " (in related " + m.Contacts.SoftDeleteRelated + ")"
	}
	if m.Extension != nil {
		rep.Contacts.Extension = m.Extension.Table + " (key " + m.Extension.Key + ")"
	}
	rep.Fields = fieldRows(m, status)
	for _, ia := range m.Interactions {
		rep.Interactions = append(rep.Interactions, mappingRow{Name: ia.Name, Detail: interactionDetail(ia),
			Status: status(fmt.Sprintf("mapping.interactions[%s]", ia.Name))})
	}
	for i, d := range m.Dependents {
		rep.Dependents = append(rep.Dependents, mappingRow{Name: d.Table + "." + d.Column,
			Detail: string(d.Action.Normal()) + matchText(d.Match), Status: status(fmt.Sprintf("mapping.dependents[%d]", i))})
	}
	for _, r := range m.Related {
		rep.Related = append(rep.Related, mappingRow{Name: r.Name, Detail: relatedDetail(r, m),
			Status: status(fmt.Sprintf("mapping.related[%s]", r.Name))})
	}
	return rep, nil
}

// checkState says whether the status's schema check describes the current spec.
func checkState(db *privacyv1alpha1.CRMDatabase) string {
	cond := meta.FindStatusCondition(db.Status.Conditions, privacyv1alpha1.TypeSchemaValid)
	switch {
	case cond == nil:
		return "never"
	case cond.ObservedGeneration != db.Generation:
		return "outdated"
	}
	return "current"
}

func fieldRows(m mapping.Mapping, status func(...string) string) []mappingFieldRow {
	personal := map[string]bool{}
	for _, p := range m.PersonalFields {
		personal[p] = true
	}
	var rows []mappingFieldRow
	seen := map[string]bool{}
	for _, name := range m.FieldNames() {
		f := m.Fields[name]
		rows = append(rows, mappingFieldRow{Field: name, Table: m.FieldTable(f), Column: f.Column, Source: sourceText(f.Source, f.Related),
			Personal: personal[name], Status: status(fmt.Sprintf("mapping.fields[%s]", name), relatedPath(f.Source, f.Related))})
		seen[name] = true
	}
	for _, r := range m.RestrictedFields {
		path := fmt.Sprintf("mapping.restrictedFields[%s]", r.Name)
		if seen[r.Name] {
			for j := range rows {
				if rows[j].Field == r.Name {
					rows[j].Restricted = true
				}
			}
			continue
		}
		f := mapping.Field{Column: r.Column, Source: r.Source, Related: r.Related}
		rows = append(rows, mappingFieldRow{Field: r.Name, Table: m.FieldTable(f), Column: r.Column, Source: sourceText(r.Source, r.Related),
			Restricted: true, Personal: personal[r.Name], Status: status(path, relatedPath(r.Source, r.Related))})
	}
	sort.SliceStable(rows, func(a, b int) bool { return rows[a].Field < rows[b].Field })
	return rows
}

// relatedPath is the mapping path of a field's related table; for other sources, a path no
// problem has.
func relatedPath(s mapping.Source, related string) string {
	if s.Normal() != mapping.SourceRelated {
		return "\x00"
	}
	return fmt.Sprintf("mapping.related[%s]", related)
}

func sourceText(s mapping.Source, related string) string {
	if s.Normal() == mapping.SourceRelated {
		return "related:" + related
	}
	return string(s.Normal())
}

func matchText(ms []mapping.Match) string {
	var parts []string
	for _, m := range ms {
		if l := m.Lookup; l != nil {
			parts = append(parts, m.Column+" → "+l.Table+"."+l.Key+" whose "+l.Column+"="+m.Value)
			continue
		}
		parts = append(parts, m.Column+"="+m.Value)
	}
	if len(parts) == 0 {
		return ""
	}
	return " where " + strings.Join(parts, " and ")
}

func interactionDetail(ia mapping.Interaction) string {
	var b strings.Builder
	b.WriteString(ia.Table + "." + ia.Time)
	if ia.Link != nil {
		fmt.Fprintf(&b, " via %s.%s", ia.Link.Table, ia.Link.ContactKey)
	} else {
		fmt.Fprintf(&b, " by %s", ia.ContactKey)
	}
	if ia.Related != "" {
		fmt.Fprintf(&b, " of related %s", ia.Related)
	}
	switch {
	case ia.Kind != "":
		fmt.Fprintf(&b, ", kind %s", ia.Kind)
	case ia.FixedKind != "":
		fmt.Fprintf(&b, ", kind %q", ia.FixedKind)
	}
	if ia.Direction != "" {
		fmt.Fprintf(&b, ", direction %s", ia.Direction)
	}
	b.WriteString(matchText(ia.Match))
	return b.String()
}

func relatedDetail(r mapping.RelatedTable, m mapping.Mapping) string {
	var b strings.Builder
	b.WriteString(r.Table + "." + r.Key)
	switch {
	case r.Link != nil:
		fmt.Fprintf(&b, " via %s(%s → %s)%s", r.Link.Table, r.Link.ContactKey, r.Link.RelatedKey, matchText(r.Link.Match))
	case r.ContactColumn != "":
		fmt.Fprintf(&b, " = %s.%s", m.Contacts.Table, r.ContactColumn)
	default:
		fmt.Fprintf(&b, " = %s.%s", m.Contacts.Table, m.Contacts.Key)
	}
	b.WriteString(matchText(r.Match))
	if r.Base {
		b.WriteString(", base table")
	}
	fmt.Fprintf(&b, ", on erasure %s", r.Erase.Normal())
	return b.String()
}

func printMappingTable(w io.Writer, rep mappingReport) error {
	preset := rep.Preset
	if preset == "" {
		preset = "(none)"
	}
	fmt.Fprintf(w, "CRMDatabase %s/%s  engine %s  preset %s  schema check %s\n", rep.Namespace, rep.Database, rep.Engine, preset, rep.Checked)
	c := rep.Contacts
	fmt.Fprintf(w, "Contacts: %s (key %s)", c.Table, c.Key)
	if c.SoftDelete != "" {
		fmt.Fprintf(w, ", soft delete %s", c.SoftDelete)
	}
	if c.Extension != "" {
		fmt.Fprintf(w, ", extension %s", c.Extension)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tTABLE\tCOLUMN\tSOURCE\tPERSONAL\tRESTRICTED\tSTATUS")
	for _, f := range rep.Fields {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Field, f.Table, f.Column, f.Source, yesNo(f.Personal), yesNo(f.Restricted), f.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, part := range []struct {
		title string
		rows  []mappingRow
	}{{"INTERACTION", rep.Interactions}, {"DEPENDENT", rep.Dependents}, {"RELATED", rep.Related}} {
		if len(part.rows) == 0 {
			continue
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "%s\tDETAIL\tSTATUS\n", part.title)
		for _, r := range part.rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Detail, r.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	if len(rep.Problems) == 0 {
		if rep.Checked == "never" {
			_, err := fmt.Fprintln(w, "The operator has not checked this mapping against the database yet.")
			return err
		}
		_, err := fmt.Fprintln(w, "No problem: every mapped table and column exists with a fitting type.")
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBLEM AT\tKIND\tTABLE\tCOLUMN\tTYPE\tEXPECTED")
	for _, p := range rep.Problems {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Field, orDash(p.Kind), orDash(p.Table), orDash(p.Column), orDash(p.ActualType), orDash(p.Expected))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "%s: %s\n", p.Field, p.Message)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
