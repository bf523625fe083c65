package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

func init() { subcommands = append(subcommands, newPreviewCommand) }

// Formats of `preview --format`.
const (
	previewText     = "text"
	previewMarkdown = "markdown"
)

// previewPollInterval is how often the plugin reads a ChangePreview while it waits for the
// operator's answer.
const previewPollInterval = 500 * time.Millisecond

func newPreviewCommand(opts *globalOptions) *cobra.Command {
	var files []string
	var format string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "preview -f DIR_OR_FILE [-f ...]",
		Short: "Show what a change (a pull request's YAML) would do, before it is applied",
		Long: `preview reads the YAML of a change (files, or directories read recursively for *.yaml,
*.yml and *.json; several documents per file) and asks the operator, through one
ChangePreview per RetentionPolicy and AccessRole, what it would do:

  - per RetentionPolicy and rule, the contacts it would erase or anonymise now and those a
    legal hold keeps, beside the live policy's figures (counted by the operator, read-only);
  - per AccessRole, the privileges and members gained and lost against the live AccessRole;
  - the changes to the register (Art. 30 record) the merged state would make, as
    'kubectl gdpr register diff' prints them.

The plugin never connects to a CRM database: the operator counts, and deletes each
ChangePreview once answered. --format markdown prints a pull-request comment.

Exit codes: 0 when the change erases nothing new and widens no access; 2 when a policy in
Enforce mode would erase or anonymise contacts now that the live state would not, when an
AccessRole gains a privilege or a member or its row filter is removed or changed, or when the operator
could not answer for a candidate (its effect is unknown); 1 on errors.`,
		Example: `  kubectl gdpr preview -f ./policies
  kubectl gdpr preview -n sales -f retention.yaml -f access.yaml --format markdown > comment.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != previewText && format != previewMarkdown {
				return fmt.Errorf("unknown --format %q: use %s or %s", format, previewText, previewMarkdown)
			}
			if len(files) == 0 {
				return errors.New("give the change with -f FILE_OR_DIR")
			}
			c, ns, err := opts.client()
			if err != nil {
				return err
			}
			ch, err := readChange(files, ns)
			if err != nil {
				return err
			}
			rep, err := runPreview(cmd.Context(), c, ch, timeout)
			if err != nil {
				return err
			}
			if err := writePreview(cmd.OutOrStdout(), rep, format); err != nil {
				return err
			}
			return rep.findings()
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "a YAML file or a directory of them (repeatable)")
	cmd.Flags().StringVar(&format, "format", previewText, "output format: text or markdown")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for the operator's answer to each object")
	return cmd
}

// change is the register-relevant objects of a change, as read from its files.
type change struct {
	policies   []privacyv1alpha1.RetentionPolicy
	roles      []privacyv1alpha1.AccessRole
	activities []privacyv1alpha1.ProcessingActivity
	lias       []privacyv1alpha1.LegitimateInterestAssessment
	databases  []privacyv1alpha1.CRMDatabase
	breaches   []privacyv1alpha1.DataBreach
	// ignored counts the documents of other kinds (Secrets, ConfigMaps…).
	ignored int
}

// readChange reads every file of paths (directories recursively) into a change. Objects
// without a namespace go to ns.
func readChange(paths []string, ns string) (*change, error) {
	files, err := changeFiles(paths)
	if err != nil {
		return nil, err
	}
	ch := &change{}
	for _, f := range files {
		if err := ch.readFile(f, ns); err != nil {
			return nil, err
		}
	}
	return ch, nil
}

// changeFiles expands directories into their YAML and JSON files, sorted.
func changeFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					found = append(found, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// readFile reads the documents of one file.
func (ch *change) readFile(path, ns string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for i := 1; ; i++ {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s, document %d: %w", path, i, err)
		}
		if len(doc) == 0 {
			continue
		}
		if err := ch.add(doc, ns); err != nil {
			return fmt.Errorf("%s, document %d: %w", path, i, err)
		}
	}
}

// add decodes one document into its kind, strictly: a field the kind does not have is an
// error here rather than a field the API server would drop from the preview.
func (ch *change) add(doc map[string]any, ns string) error {
	apiVersion, _ := doc["apiVersion"].(string)
	kind, _ := doc["kind"].(string)
	if apiVersion != privacyv1alpha1.GroupVersion.String() {
		ch.ignored++
		return nil
	}
	var obj client.Object
	switch kind {
	case "RetentionPolicy":
		ch.policies = append(ch.policies, privacyv1alpha1.RetentionPolicy{})
		obj = &ch.policies[len(ch.policies)-1]
	case "AccessRole":
		ch.roles = append(ch.roles, privacyv1alpha1.AccessRole{})
		obj = &ch.roles[len(ch.roles)-1]
	case "ProcessingActivity":
		ch.activities = append(ch.activities, privacyv1alpha1.ProcessingActivity{})
		obj = &ch.activities[len(ch.activities)-1]
	case "LegitimateInterestAssessment":
		ch.lias = append(ch.lias, privacyv1alpha1.LegitimateInterestAssessment{})
		obj = &ch.lias[len(ch.lias)-1]
	case "CRMDatabase":
		ch.databases = append(ch.databases, privacyv1alpha1.CRMDatabase{})
		obj = &ch.databases[len(ch.databases)-1]
	case "DataBreach":
		ch.breaches = append(ch.breaches, privacyv1alpha1.DataBreach{})
		obj = &ch.breaches[len(ch.breaches)-1]
	default:
		ch.ignored++
		return nil
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	if obj.GetName() == "" {
		return fmt.Errorf("%s without metadata.name", kind)
	}
	if obj.GetNamespace() == "" {
		obj.SetNamespace(ns)
	}
	return nil
}

// namespaces are the namespaces the change's register-relevant objects live in, sorted.
func (ch *change) namespaces() []string {
	set := map[string]bool{}
	for _, objs := range [][]client.Object{objects(ch.policies), objects(ch.roles), objects(ch.activities), objects(ch.lias), objects(ch.databases), objects(ch.breaches)} {
		for _, o := range objs {
			set[o.GetNamespace()] = true
		}
	}
	out := make([]string, 0, len(set))
	for ns := range set {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// objects returns pointers to the items of a slice of API objects.
func objects[T any, PT interface {
	*T
	client.Object
}](items []T) []client.Object {
	out := make([]client.Object, len(items))
	for i := range items {
		out[i] = PT(&items[i])
	}
	return out
}

// policyAnswer is the operator's answer for one RetentionPolicy of the change.
type policyAnswer struct {
	Namespace string                            `json:"namespace"`
	Name      string                            `json:"name"`
	Database  string                            `json:"database"`
	Answer    *privacyv1alpha1.RetentionPreview `json:"answer,omitempty"`
	// Unanswered says why the operator gave no figures (Ready=False), empty when it did.
	Unanswered string `json:"unanswered,omitempty"`
}

// roleAnswer is the operator's answer for one AccessRole of the change.
type roleAnswer struct {
	Namespace  string                         `json:"namespace"`
	Name       string                         `json:"name"`
	Answer     *privacyv1alpha1.AccessPreview `json:"answer,omitempty"`
	Unanswered string                         `json:"unanswered,omitempty"`
}

// previewReport is what `preview` prints.
type previewReport struct {
	Policies []policyAnswer `json:"policies"`
	Roles    []roleAnswer   `json:"roles"`
	// Register lists the register changes the merged state would make, as `register diff`.
	Register []changeRow `json:"register"`
	// Ignored counts the documents that are not register-relevant kinds of the operator.
	Ignored int `json:"ignored"`
}

// runPreview asks the operator about each RetentionPolicy and AccessRole of the change and
// computes the register diff from the cluster's live objects with the change overlaid. The
// change's RetentionPolicies and AccessRoles take the specs the API server stored in their
// ChangePreviews, with the kind's defaults applied. (ProcessingActivities and
// LegitimateInterestAssessments have no defaults; the defaults of CRMDatabases and
// DataBreaches do not enter the register.)
func runPreview(ctx context.Context, c client.Client, ch *change, timeout time.Duration) (*previewReport, error) {
	rep := &previewReport{Ignored: ch.ignored}
	for i := range ch.policies {
		p := &ch.policies[i]
		cp := &privacyv1alpha1.ChangePreview{Spec: privacyv1alpha1.ChangePreviewSpec{
			RetentionPolicy: &privacyv1alpha1.RetentionPolicyCandidate{Name: privacyv1alpha1.ObjectName(p.Name), Spec: p.Spec}}}
		answered, unanswered, err := askOperator(ctx, c, p.Namespace, "RetentionPolicy "+p.Name, cp, timeout)
		if err != nil {
			return nil, err
		}
		// The API server defaulted the candidate's spec as it would the policy's: the
		// register diff uses it, so that a default left out of the file is no change.
		p.Spec = *answered.Spec.RetentionPolicy.Spec.DeepCopy()
		rep.Policies = append(rep.Policies, policyAnswer{Namespace: p.Namespace, Name: p.Name, Database: string(p.Spec.DatabaseRef.Name),
			Answer: answered.Status.RetentionPolicy, Unanswered: unanswered})
	}
	for i := range ch.roles {
		ar := &ch.roles[i]
		cp := &privacyv1alpha1.ChangePreview{Spec: privacyv1alpha1.ChangePreviewSpec{
			AccessRole: &privacyv1alpha1.AccessRoleCandidate{Name: privacyv1alpha1.ObjectName(ar.Name), Spec: ar.Spec}}}
		answered, unanswered, err := askOperator(ctx, c, ar.Namespace, "AccessRole "+ar.Name, cp, timeout)
		if err != nil {
			return nil, err
		}
		ar.Spec = *answered.Spec.AccessRole.Spec.DeepCopy()
		rep.Roles = append(rep.Roles, roleAnswer{Namespace: ar.Namespace, Name: ar.Name, Answer: answered.Status.AccessRole, Unanswered: unanswered})
	}
	rows, err := registerChanges(ctx, c, ch)
	if err != nil {
		return nil, err
	}
	rep.Register = rows
	return rep, nil
}

// askOperator creates the ChangePreview, waits until the operator answers it, deletes it and
// returns it as answered, with the Ready message when the answer holds no figures.
func askOperator(ctx context.Context, c client.Client, ns, what string, cp *privacyv1alpha1.ChangePreview, timeout time.Duration) (*privacyv1alpha1.ChangePreview, string, error) {
	done := progress("asking the operator about %s", what)
	defer done()
	cp.Namespace, cp.GenerateName = ns, "preview-"
	if err := c.Create(ctx, cp); err != nil {
		return nil, "", fmt.Errorf("while creating the ChangePreview of %s in namespace %s: %w", what, ns, err)
	}
	defer func() {
		// Deleted even when the wait failed; the operator deletes answered ones anyway.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = client.IgnoreNotFound(c.Delete(dctx, cp))
	}()
	err := wait.PollUntilContextTimeout(ctx, previewPollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(cp), cp); err != nil {
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("ChangePreview %s was deleted before it was read", cp.Name)
			}
			return false, err
		}
		return meta.IsStatusConditionTrue(cp.Status.Conditions, privacyv1alpha1.TypeCompleted), nil
	})
	ready := meta.FindStatusCondition(cp.Status.Conditions, privacyv1alpha1.TypeReady)
	if err != nil {
		why := "no answer yet (is the operator running, and this version of it?)"
		if ready != nil {
			why = ready.Reason + ": " + ready.Message
		}
		return nil, "", fmt.Errorf("the operator did not answer for %s within %s: %s", what, timeout, why)
	}
	if ready != nil && ready.Status != metav1.ConditionTrue {
		return cp, ready.Reason + ": " + ready.Message, nil
	}
	return cp, "", nil
}

// registerChanges builds the register document of the live objects in the change's
// namespaces and of the same objects with the change's overlaid, and diffs them as
// `register diff` does. Only those namespaces are read: the other entries of the register
// are the same in both documents.
func registerChanges(ctx context.Context, c client.Reader, ch *change) ([]changeRow, error) {
	var live register.Objects
	for _, ns := range ch.namespaces() {
		objs, err := register.ListObjects(ctx, c, client.InNamespace(ns))
		if err != nil {
			return nil, fmt.Errorf("while listing the register's objects in namespace %s: %w", ns, err)
		}
		live = appendObjects(live, objs)
	}
	merged := live
	merged.ProcessingActivities = overlay(live.ProcessingActivities, ch.activities)
	merged.LegitimateInterestAssessments = overlay(live.LegitimateInterestAssessments, ch.lias)
	merged.RetentionPolicies = overlay(live.RetentionPolicies, ch.policies)
	merged.AccessRoles = overlay(live.AccessRoles, ch.roles)
	merged.CRMDatabases = overlay(live.CRMDatabases, ch.databases)
	merged.DataBreaches = overlay(live.DataBreaches, ch.breaches)
	before, err := register.FromObjects(live)
	if err != nil {
		return nil, err
	}
	after, err := register.FromObjects(merged)
	if err != nil {
		return nil, fmt.Errorf("while building the register with the change: %w", err)
	}
	return changeRows(register.Diff(before, after)), nil
}

// appendObjects appends the objects of b to those of a.
func appendObjects(a, b register.Objects) register.Objects {
	a.ProcessingActivities = append(a.ProcessingActivities, b.ProcessingActivities...)
	a.LegitimateInterestAssessments = append(a.LegitimateInterestAssessments, b.LegitimateInterestAssessments...)
	a.RetentionPolicies = append(a.RetentionPolicies, b.RetentionPolicies...)
	a.AccessRoles = append(a.AccessRoles, b.AccessRoles...)
	a.CRMDatabases = append(a.CRMDatabases, b.CRMDatabases...)
	a.DataBreaches = append(a.DataBreaches, b.DataBreaches...)
	a.DataSubjectRequests = append(a.DataSubjectRequests, b.DataSubjectRequests...)
	return a
}

// overlay returns live with each object of the change in place of the live object of the
// same namespace and name, and the change's new objects after.
func overlay[T any, PT interface {
	*T
	client.Object
}](live, changed []T) []T {
	out := append([]T(nil), live...)
	index := map[string]int{}
	for i := range out {
		o := PT(&out[i])
		index[o.GetNamespace()+"/"+o.GetName()] = i
	}
	for i := range changed {
		o := PT(&changed[i])
		if at, ok := index[o.GetNamespace()+"/"+o.GetName()]; ok {
			out[at] = changed[i]
			continue
		}
		out = append(out, changed[i])
	}
	return out
}
