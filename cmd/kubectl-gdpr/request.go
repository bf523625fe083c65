package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
)

func init() { subcommands = append(subcommands, newRequestCommand) }

// Keys of the export Secret the operator writes (controllers.ExportKeyJSON and
// ExportKeyText; the plugin does not link the controllers).
const (
	exportKeyJSON = "export.json"
	exportKeyText = "export.md"
)

func newRequestCommand(opts *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "request",
		Short: "Create, list, describe and export data-subject requests (objection, erasure, access, rectification)",
		Long: `request manages DataSubjectRequests: one person's objection (Art. 21), erasure (Art. 17),
access (Art. 15) or rectification (Art. 16), answered by the operator within the one-month
deadline of Art. 12(3). The person's identity only ever lives in a Secret the request
references; the operator deletes it when the request completes.`,
	}
	cmd.AddCommand(newRequestCreateCommand(opts), newRequestListCommand(opts), newRequestDescribeCommand(opts), newRequestExportCommand(opts))
	return cmd
}

// requestTypes maps the create command's argument to the request type.
var requestTypes = map[string]privacyv1alpha1.DataSubjectRequestType{
	"objection":     privacyv1alpha1.RequestObjection,
	"erasure":       privacyv1alpha1.RequestErasure,
	"access":        privacyv1alpha1.RequestAccess,
	"rectification": privacyv1alpha1.RequestRectification,
}

// createOptions are the flags of request create.
type createOptions struct {
	name          string
	database      string
	allDatabases  bool
	identity      string
	identitySet   bool
	identityField string
	fields        []string
	receivedAt    string
	keepSecret    bool
	maxMatches    int32
}

func newRequestCreateCommand(opts *globalOptions) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:   "create objection|erasure|access|rectification",
		Short: "Create a request and the Secret holding the person's identity, in one step",
		Long: `create makes the Secret that holds the person's identity (and, for a rectification, the new
values), then the DataSubjectRequest that references it. The identity never appears in the
request, its status or its events.

The identity is read, by default, from a prompt on the terminal, or from the first line of
standard input when it is not a terminal: it never needs to be on the command line, where
the shell history would keep it. --email - reads it from standard input explicitly;
--email VALUE takes it from the command line (kept in your shell history: avoid).

For a rectification, --field NAME=VALUE sets a logical field to VALUE; --field NAME alone
reads the value from the prompt or the next line of standard input.

The request is named <type>-<8 hex digits> unless --name is given; its Secret is
<name>-identity. Exit codes: 0 when both were created, 1 otherwise (nothing is left
behind: a Secret whose request could not be created is deleted).`,
		Example: `  kubectl gdpr request create objection --database crm -n sales            # prompts for the email
  echo 'jane@example.com' | kubectl gdpr request create erasure --database crm -n sales
  kubectl gdpr request create access --all-databases -n sales --email - < email.txt
  kubectl gdpr request create rectification --database crm -n sales --field phone --field lastName=Durand`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"objection", "erasure", "access", "rectification"},
		RunE: func(cmd *cobra.Command, args []string) error {
			typ, ok := requestTypes[strings.ToLower(args[0])]
			if !ok {
				return fmt.Errorf("unknown request type %q: use objection, erasure, access or rectification", args[0])
			}
			o.identitySet = cmd.Flags().Changed("email")
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			in := newPrompter(cmd.InOrStdin(), cmd.ErrOrStderr(), isTerminal(cmd.InOrStdin()))
			q, err := createRequest(cmd.Context(), c, ns, typ, o, in)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "datasubjectrequest.privacy.crmoperator.io/%s created (identity in Secret %s)\n", q.Name, q.Spec.IdentitySecretRef.Name)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "the request's name (default <type>-<8 hex digits>); no personal data")
	f.StringVar(&o.database, "database", "", "the CRMDatabase the request applies to")
	f.BoolVar(&o.allDatabases, "all-databases", false, "apply the request to every CRMDatabase of the namespace")
	f.StringVar(&o.identity, "email", "", `the person's identity; "-" reads it from standard input; omit it to be prompted`)
	f.StringVar(&o.identityField, "identity-field", "email", "the logical field the person is found by")
	f.StringArrayVar(&o.fields, "field", nil, "rectification: NAME=VALUE, or NAME to be prompted for the value (repeatable)")
	f.StringVar(&o.receivedAt, "received-at", "", "when the request was received (RFC 3339; default now): the deadline counts from it")
	f.BoolVar(&o.keepSecret, "keep-identity-secret", false, "do not delete the identity Secret when the request completes")
	f.Int32Var(&o.maxMatches, "max-matches", 0, "the most contacts per database acted on without an approval (default 1)")
	return cmd
}

// prompter reads values from a terminal (with a prompt) or from lines of standard input.
type prompter struct {
	in       *bufio.Reader
	prompts  io.Writer
	terminal bool
}

func newPrompter(in io.Reader, prompts io.Writer, terminal bool) *prompter {
	return &prompter{in: bufio.NewReader(in), prompts: prompts, terminal: terminal}
}

// read returns the next line, after prompting for what when reading a terminal.
func (p *prompter) read(what string) (string, error) {
	if p.terminal {
		fmt.Fprintf(p.prompts, "%s: ", what)
	}
	line, err := p.in.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return "", fmt.Errorf("while reading %s from standard input: nothing to read", what)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// isTerminal says whether r is a character device (a terminal).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// identitySecretData reads the identity and the rectified values into the data of the
// identity Secret, checking the identity with the operator's normalisation.
func identitySecretData(typ privacyv1alpha1.DataSubjectRequestType, o *createOptions, in *prompter) (map[string][]byte, error) {
	field := o.identityField
	value := o.identity
	if !o.identitySet || value == "-" {
		v, err := in.read("identity (" + field + ")")
		if err != nil {
			return nil, err
		}
		value = v
	}
	if _, err := subject.NormalizeIdentity(field, value); err != nil {
		return nil, err
	}
	data := map[string][]byte{field: []byte(strings.TrimSpace(value))}
	if typ != privacyv1alpha1.RequestRectification {
		if len(o.fields) > 0 {
			return nil, fmt.Errorf("--field only applies to a rectification")
		}
		return data, nil
	}
	if len(o.fields) == 0 {
		return nil, fmt.Errorf("a rectification needs at least one --field NAME=VALUE (or --field NAME to be prompted)")
	}
	for _, f := range o.fields {
		name, v, given := strings.Cut(f, "=")
		if name == "" {
			return nil, fmt.Errorf("--field %q: want NAME=VALUE or NAME", f)
		}
		if !given {
			var err error
			if v, err = in.read("new value of " + name); err != nil {
				return nil, err
			}
		}
		data[privacyv1alpha1.IdentitySecretPrefixSet+name] = []byte(v)
	}
	return data, nil
}

// newRequest builds the request the create command makes.
func newRequest(ns string, typ privacyv1alpha1.DataSubjectRequestType, o *createOptions) (*privacyv1alpha1.DataSubjectRequest, error) {
	switch {
	case o.database == "" && !o.allDatabases:
		return nil, fmt.Errorf("name the database with --database, or use --all-databases")
	case o.database != "" && o.allDatabases:
		return nil, fmt.Errorf("use --database or --all-databases, not both")
	}
	name := o.name
	if name == "" {
		b := make([]byte, 4)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		name = strings.ToLower(string(typ)) + "-" + hex.EncodeToString(b)
	}
	q := &privacyv1alpha1.DataSubjectRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: privacyv1alpha1.DataSubjectRequestSpec{
			Type:              typ,
			IdentitySecretRef: privacyv1alpha1.SecretReference{Name: privacyv1alpha1.ObjectName(name + "-identity")},
			IdentityField:     privacyv1alpha1.LogicalFieldName(o.identityField),
		},
	}
	if o.allDatabases {
		all := true
		q.Spec.AllDatabases = &all
	} else {
		q.Spec.DatabaseRef = &privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(o.database)}
	}
	if o.keepSecret {
		keep := true
		q.Spec.KeepIdentitySecret = &keep
	}
	if o.maxMatches > 0 {
		q.Spec.MaxMatches = &o.maxMatches
	}
	if o.receivedAt != "" {
		t, err := time.Parse(time.RFC3339, o.receivedAt)
		if err != nil {
			return nil, fmt.Errorf("--received-at: want an RFC 3339 time such as 2026-11-20T09:30:00Z: %w", err)
		}
		rt := metav1.NewTime(t)
		q.Spec.ReceivedAt = &rt
	}
	return q, nil
}

// createRequest creates the identity Secret, then the request; a Secret whose request
// could not be created is deleted.
func createRequest(ctx context.Context, c client.Client, ns string, typ privacyv1alpha1.DataSubjectRequestType, o *createOptions, in *prompter) (*privacyv1alpha1.DataSubjectRequest, error) {
	q, err := newRequest(ns, typ, o)
	if err != nil {
		return nil, err
	}
	data, err := identitySecretData(typ, o, in)
	if err != nil {
		return nil, err
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: string(q.Spec.IdentitySecretRef.Name),
		Labels: map[string]string{"privacy.crmoperator.io/datasubjectrequest": q.Name}}, Type: corev1.SecretTypeOpaque, Data: data}
	if err := c.Create(ctx, secret); err != nil {
		return nil, fmt.Errorf("while creating the identity Secret %s: %w", secret.Name, err)
	}
	if err := c.Create(ctx, q); err != nil {
		if derr := c.Delete(ctx, secret); derr != nil {
			return nil, fmt.Errorf("while creating DataSubjectRequest %s: %w (and deleting its Secret %s: %w)", q.Name, err, secret.Name, derr)
		}
		return nil, fmt.Errorf("while creating DataSubjectRequest %s: %w", q.Name, err)
	}
	return q, nil
}

// requestRow is one request in the listing: no identity, the operator's figures only.
type requestRow struct {
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Database    string `json:"database"`
	State       string `json:"state"`
	ReceivedAt  string `json:"receivedAt,omitempty"`
	DueAt       string `json:"dueAt,omitempty"`
	CompletedAt string `json:"completedAt,omitempty"`
	// Overdue is true when the request is open past its deadline, or was completed late.
	Overdue bool `json:"overdue"`
	// OnTime is status.onTime: set once completed.
	OnTime *bool  `json:"onTime,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func newRequestListCommand(opts *globalOptions) *cobra.Command {
	var output string
	var allNamespaces, due bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the data-subject requests, the soonest due first",
		Long: `list prints the DataSubjectRequests sorted by deadline (status.dueAt), the soonest
first: NAME, TYPE, DATABASE ("*" for every database of the namespace), STATE (Pending,
AwaitingApproval, Completed), DUE (UTC), OVERDUE ("yes" when open past the deadline, "late"
when completed after it) and the reason of the Ready condition.

With --due, only the open requests (not Completed) are listed.

Exit codes: 0 when no open request is past its deadline, 2 when one is (Art. 12(3)), 1 on
errors.`,
		Example: `  kubectl gdpr request list -n sales
  kubectl gdpr request list -A --due
  kubectl gdpr request list -n sales -o json`,
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
			return runRequestList(cmd.Context(), c, cmd.OutOrStdout(), ns, output, allNamespaces, due, time.Now())
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outputTable, outputUsage(tableStructuredOrName...))
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "list the requests of every namespace")
	cmd.Flags().BoolVar(&due, "due", false, "list only the open requests")
	return cmd
}

func runRequestList(ctx context.Context, c client.Reader, w io.Writer, ns, output string, allNamespaces, due bool, now time.Time) error {
	var l privacyv1alpha1.DataSubjectRequestList
	if err := c.List(ctx, &l, client.InNamespace(ns)); err != nil {
		return fmt.Errorf("while listing DataSubjectRequests: %w", err)
	}
	rows := requestRows(l.Items, due, now)
	if output != outputTable {
		if err := printStructured(w, output, rows); err != nil {
			return err
		}
	} else if err := printRequestTable(w, rows, allNamespaces); err != nil {
		return err
	}
	return overdueRequests(rows)
}

// requestRows turns requests into rows sorted by deadline (then namespace and name); with
// due, completed requests are left out.
func requestRows(items []privacyv1alpha1.DataSubjectRequest, due bool, now time.Time) []requestRow {
	var rows []requestRow
	for i := range items {
		q := &items[i]
		completed := q.Status.Phase == privacyv1alpha1.RequestCompleted
		if due && completed {
			continue
		}
		r := requestRow{Namespace: q.Namespace, Name: q.Name, Type: string(q.Spec.Type), Database: requestDatabase(q),
			State: string(q.Status.Phase), ReceivedAt: rfc3339(q.Status.ReceivedAt), DueAt: rfc3339(q.Status.DueAt),
			CompletedAt: rfc3339(q.Status.CompletedAt), OnTime: q.Status.OnTime}
		if r.State == "" {
			r.State = string(privacyv1alpha1.RequestPending)
		}
		switch {
		case completed:
			r.Overdue = q.Status.OnTime != nil && !*q.Status.OnTime
		case q.Status.DueAt != nil:
			r.Overdue = now.After(q.Status.DueAt.Time)
		}
		if c := meta.FindStatusCondition(q.Status.Conditions, privacyv1alpha1.TypeReady); c != nil {
			r.Reason = c.Reason
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.DueAt != b.DueAt {
			return a.DueAt != "" && (b.DueAt == "" || a.DueAt < b.DueAt)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return rows
}

// requestDatabase is the database column: the name, or "*" for every database.
func requestDatabase(q *privacyv1alpha1.DataSubjectRequest) string {
	if q.Spec.DatabaseRef != nil {
		return string(q.Spec.DatabaseRef.Name)
	}
	return "*"
}

func rfc3339(t *metav1.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func printRequestTable(w io.Writer, rows []requestRow, allNamespaces bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "NAME\tTYPE\tDATABASE\tSTATE\tDUE\tOVERDUE\tREASON"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		overdue := "no"
		switch {
		case r.Overdue && r.State == string(privacyv1alpha1.RequestCompleted):
			overdue = "late"
		case r.Overdue:
			overdue = "yes"
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Name, r.Type, r.Database, r.State, dash(r.DueAt), overdue, dash(r.Reason))
		if allNamespaces {
			line = r.Namespace + "\t" + line
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// overdueRequests is a findingsError when an open request is past its deadline.
func overdueRequests(rows []requestRow) error {
	var names []string
	for _, r := range rows {
		if r.Overdue && r.State != string(privacyv1alpha1.RequestCompleted) {
			names = append(names, r.Namespace+"/"+r.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return &findingsError{msg: fmt.Sprintf("%d request(s) past their deadline (GDPR Art. 12(3)): %s", len(names), strings.Join(names, ", "))}
}

func newRequestDescribeCommand(opts *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a request: deadline, state, counts per database, conditions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			q := &privacyv1alpha1.DataSubjectRequest{}
			if err := c.Get(cmd.Context(), client.ObjectKey{Namespace: ns, Name: args[0]}, q); err != nil {
				return fmt.Errorf("while reading DataSubjectRequest %s: %w", args[0], err)
			}
			return describeRequest(cmd.OutOrStdout(), q)
		},
	}
}

// describeRequest prints a request for people: what the status holds, no identity.
func describeRequest(w io.Writer, q *privacyv1alpha1.DataSubjectRequest) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	onTime := "-"
	if q.Status.OnTime != nil {
		onTime = map[bool]string{true: "yes", false: "no (late)"}[*q.Status.OnTime]
	}
	ext := "-"
	if e := q.Spec.Extension; e != nil {
		ext = fmt.Sprintf("%d month(s): %s", e.Months, e.Reason)
	}
	for _, kv := range [][2]string{
		{"Name", q.Namespace + "/" + q.Name},
		{"Type", string(q.Spec.Type)},
		{"Database", requestDatabase(q)},
		{"State", dash(string(q.Status.Phase))},
		{"Received", dash(rfc3339(q.Status.ReceivedAt))},
		{"Extension", ext},
		{"Due", dash(rfc3339(q.Status.DueAt))},
		{"Completed", dash(rfc3339(q.Status.CompletedAt))},
		{"On time", onTime},
		{"Identity hash", dash(q.Status.IdentityHash)},
		{"Identity Secret", string(q.Spec.IdentitySecretRef.Name) + map[bool]string{true: " (deleted)", false: ""}[q.Status.IdentitySecretDeleted]},
		{"Export Secret", dash(q.Status.ExportSecretName)},
		{"Export expires", dash(rfc3339(q.Status.ExportExpiresAt))},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	if a := q.Status.AwaitingApproval; a != nil {
		fmt.Fprintf(tw, "Awaiting approval:\t%d contacts matched in one database; approve with specHash %s and maxMatches >= %d\n", a.Matched, a.SpecHash, a.Matched)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(q.Status.Databases) > 0 {
		fmt.Fprintln(w, "\nDatabases:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  DATABASE\tMATCHED\tOBJECTED\tERASED\tHELD\tRECTIFIED\tEXPORTED\tCOMPLETED")
		for _, d := range q.Status.Databases {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", d.Name, d.Matched, d.Objected, d.Erased, d.Held, d.Rectified, d.Exported, dash(rfc3339(d.CompletedAt)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(q.Status.Conditions) > 0 {
		fmt.Fprintln(w, "\nConditions:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TYPE\tSTATUS\tREASON\tMESSAGE")
		for _, c := range q.Status.Conditions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, c.Message)
		}
		return tw.Flush()
	}
	return nil
}

func newRequestExportCommand(opts *globalOptions) *cobra.Command {
	var file, format string
	cmd := &cobra.Command{
		Use:   "export NAME",
		Short: "Write the answer to an Access request to a file (or standard output)",
		Long: `export writes the export the operator made for a completed Access request, from the
Secret the request owns (status.exportSecretName): the readable document (Markdown, the
default) or --format json. With -o FILE it is written to FILE, readable by you only
(mode 0600); it holds the person's data: send it to them and delete it. The Secret is
deleted by the operator after the request's exportRetentionHours.`,
		Example: `  kubectl gdpr request export access-1a2b3c4d -n sales -o answer.md
  kubectl gdpr request export access-1a2b3c4d -n sales --format json -o answer.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "markdown" && format != "json" {
				return fmt.Errorf("unknown --format %q: use markdown or json", format)
			}
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			data, err := readExport(cmd.Context(), c, ns, args[0], format)
			if err != nil {
				return err
			}
			if file == "" || file == "-" {
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			if err := os.WriteFile(file, data, 0o600); err != nil {
				return fmt.Errorf("while writing %s: %w", file, err)
			}
			_, err = fmt.Fprintf(cmd.ErrOrStderr(), "wrote the export of %s to %s\n", args[0], file)
			return err
		},
	}
	cmd.Flags().StringVarP(&file, "output", "o", "", "the file to write (default: standard output)")
	cmd.Flags().StringVar(&format, "format", "markdown", "markdown (for the person) or json (for machines)")
	return cmd
}

// readExport reads the export of a completed Access request.
func readExport(ctx context.Context, c client.Reader, ns, name, format string) ([]byte, error) {
	q := &privacyv1alpha1.DataSubjectRequest{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, q); err != nil {
		return nil, fmt.Errorf("while reading DataSubjectRequest %s: %w", name, err)
	}
	switch {
	case q.Spec.Type != privacyv1alpha1.RequestAccess:
		return nil, fmt.Errorf("%s is an %s request: only Access requests have an export", name, q.Spec.Type)
	case q.Status.Phase != privacyv1alpha1.RequestCompleted:
		return nil, fmt.Errorf("%s is not completed yet (state %s)", name, dash(string(q.Status.Phase)))
	case q.Status.ExportSecretName == "":
		return nil, fmt.Errorf("%s has no export any more: it was deleted after the request's exportRetentionHours", name)
	}
	s := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: q.Status.ExportSecretName}, s); err != nil {
		return nil, fmt.Errorf("while reading the export Secret %s: %w", q.Status.ExportSecretName, err)
	}
	if !metav1.IsControlledBy(s, q) {
		return nil, fmt.Errorf("secret %s is not owned by request %s: not trusted as its export", s.Name, name)
	}
	if format == "json" {
		if _, err := subject.ParseDocument(s.Data[exportKeyJSON]); err != nil {
			return nil, err
		}
		return s.Data[exportKeyJSON], nil
	}
	return s.Data[exportKeyText], nil
}
