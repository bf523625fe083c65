package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

const changePolicy = `apiVersion: privacy.crmoperator.io/v1alpha1
kind: RetentionPolicy
metadata:
  name: prospects-retention
spec:
  databaseRef: {name: crm-db}
  processingActivityRef: {name: accounts}
  schedule: "30 2 * * *"
  mode: Enforce
  rules:
    - name: prospects
      retainFor: 12m
      action: Delete
---
# a comment-only document
---
apiVersion: v1
kind: Secret
metadata: {name: not-previewed}
`

const changeRole = `{"apiVersion": "privacy.crmoperator.io/v1alpha1", "kind": "AccessRole",
 "metadata": {"name": "sales-team", "namespace": "support"},
 "spec": {"databaseRef": {"name": "crm-db"}, "roleName": "crm_sales", "processingActivityRef": {"name": "accounts"},
          "grants": [{"table": "contacts", "privileges": ["SELECT"]}]}}
`

const changeActivity = `apiVersion: privacy.crmoperator.io/v1alpha1
kind: ProcessingActivity
metadata:
  name: newsletter
spec:
  controller: {name: "Northwind Trading GmbH", email: "privacy@northwind.example"}
  purposes: ["Monthly newsletter"]
  legalBasis: {basis: Consent}
  dataSubjectCategories: ["customers"]
  personalDataCategories: ["identity"]
`

// writeChangeTree writes a change as a pull request would hold it: files in nested folders,
// and a file of another type that is not read.
func writeChangeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"retention/prospects.yaml": changePolicy,
		"access/sales.json":        changeRole,
		"activities/news.yml":      changeActivity,
		"README.md":                "# not YAML\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadChange(t *testing.T) {
	ch, err := readChange([]string{writeChangeTree(t)}, "sales")
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.policies) != 1 || ch.policies[0].Name != "prospects-retention" || ch.policies[0].Namespace != "sales" ||
		ch.policies[0].Spec.Rules[0].RetainFor != "12m" || ch.policies[0].Spec.Mode != privacyv1alpha1.ModeEnforce {
		t.Errorf("policies = %+v", ch.policies)
	}
	if len(ch.roles) != 1 || ch.roles[0].Namespace != "support" || ch.roles[0].Spec.RoleName != "crm_sales" {
		t.Errorf("roles = %+v", ch.roles)
	}
	if len(ch.activities) != 1 || ch.activities[0].Name != "newsletter" {
		t.Errorf("activities = %+v", ch.activities)
	}
	if ch.ignored != 1 {
		t.Errorf("ignored = %d, want 1 (the Secret)", ch.ignored)
	}
	if got := ch.namespaces(); !cmp.Equal(got, []string{"sales", "support"}) {
		t.Errorf("namespaces = %v", got)
	}
}

func TestReadChangeRefusesWhatTheAPIServerWouldDrop(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, data, want string }{
		{"unknown field", strings.Replace(changePolicy, "retainFor: 12m", "retainFor: 12m\n      retainFro: 24m", 1), `unknown field "retainFro"`},
		{"no name", strings.Replace(changePolicy, "name: prospects-retention", "labels: {}", 1), "RetentionPolicy without metadata.name"},
		{"not YAML", "kind: [", "document 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readChange([]string{path}, "sales")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("readChange = %v; want an error naming %s and saying %q", err, path, tc.want)
			}
		})
	}
}

func i64(n int64) *int64 { return &n }

// sampleReport is a report with every part: a policy whose stricter rule erases more, an
// AccessRole that widens, an unanswered policy, register changes.
func sampleReport() *previewReport {
	return &previewReport{
		Policies: []policyAnswer{{
			Namespace: "sales", Name: "prospects-retention", Database: "crm-db",
			Answer: &privacyv1alpha1.RetentionPreview{LiveExists: true, LiveCounted: true, Mode: privacyv1alpha1.ModeEnforce,
				LiveMode: privacyv1alpha1.ModeEnforce, TotalContacts: i64(1000),
				Rules: []privacyv1alpha1.RulePreview{
					{Name: "prospects", Action: privacyv1alpha1.ActionDelete, Pending: i64(120), Held: i64(3), LiveAction: privacyv1alpha1.ActionDelete,
						LivePending: i64(40), LiveHeld: i64(1), Comparable: true},
					{Name: "leads", Action: privacyv1alpha1.ActionAnonymize, Pending: i64(7), Held: i64(0)},
					{Name: "customers", Action: privacyv1alpha1.ActionDelete, LiveAction: privacyv1alpha1.ActionDelete, LivePending: i64(0), LiveHeld: i64(0)},
				}},
		}, {
			Namespace: "sales", Name: "broken", Database: "gone", Unanswered: "DatabaseNotFound: CRMDatabase gone not found in namespace sales",
		}},
		Roles: []roleAnswer{{
			Namespace: "sales", Name: "sales-team",
			Answer: &privacyv1alpha1.AccessPreview{LiveExists: true,
				PrivilegesGained: []privacyv1alpha1.PrivilegePreview{{Table: "contacts", Column: "birth_date", Privilege: privacyv1alpha1.PrivilegeSelect}},
				PrivilegesLost:   []privacyv1alpha1.PrivilegePreview{{Table: "notes", Privilege: privacyv1alpha1.PrivilegeDelete}},
				MembersGained:    []string{"bruno"}, MembersLost: []string{"carol"}, RowFilter: privacyv1alpha1.RowFilterRemoved},
		}},
		Register: []changeRow{
			{Type: "Modified", Kind: "RetentionPolicy", Namespace: "sales", Name: "prospects-retention", Fields: []string{"spec.rules"}},
			{Type: "Added", Kind: "ProcessingActivity", Namespace: "sales", Name: "newsletter"},
		},
		Ignored: 1,
	}
}

func TestPreviewRendering(t *testing.T) {
	for _, format := range []string{previewText, previewMarkdown} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			if err := writePreview(&out, sampleReport(), format); err != nil {
				t.Fatal(err)
			}
			golden(t, "preview-"+format+".golden", out.String())
		})
	}
}

func TestPreviewSummaryAndExitCode(t *testing.T) {
	enforce := func(mode, liveMode privacyv1alpha1.RetentionMode, sameCriteria bool, pending, live int64, action privacyv1alpha1.RetentionAction) policyAnswer {
		return policyAnswer{Namespace: "sales", Name: "p", Answer: &privacyv1alpha1.RetentionPreview{LiveExists: true, LiveCounted: true,
			Mode: mode, LiveMode: liveMode, Rules: []privacyv1alpha1.RulePreview{
				{Name: "r", Action: action, Pending: i64(pending), Held: i64(0), LiveAction: action, LivePending: i64(live), LiveHeld: i64(0), Comparable: sameCriteria}}}}
	}
	del, anon := privacyv1alpha1.ActionDelete, privacyv1alpha1.ActionAnonymize
	dry, enf := privacyv1alpha1.ModeDryRun, privacyv1alpha1.ModeEnforce
	for _, tc := range []struct {
		name     string
		rep      previewReport
		findings bool
		summary  string
	}{
		{"a dry-run candidate erases nothing", previewReport{Policies: []policyAnswer{enforce(dry, dry, false, 50, 0, del)}}, false,
			"1 RetentionPolicy(ies), 0 AccessRole(s): erases no contact the live policies would not; widens no access; 0 register change(s)"},
		{"a new enforced term erases", previewReport{Policies: []policyAnswer{enforce(enf, dry, true, 50, 50, del)}}, true,
			"would erase 50 and anonymise 0 contact(s) now that the live policies would not"},
		{"a longer enforced term erases nothing new", previewReport{Policies: []policyAnswer{enforce(enf, enf, true, 10, 40, del)}}, false,
			"erases no contact the live policies would not"},
		{"a shorter enforced term erases the difference", previewReport{Policies: []policyAnswer{enforce(enf, enf, true, 70, 40, anon)}}, true,
			"would erase 0 and anonymise 30 contact(s)"},
		{"other criteria: the whole figure counts", previewReport{Policies: []policyAnswer{enforce(enf, enf, false, 30, 40, del)}}, true,
			"would erase 30 and anonymise 0 contact(s)"},
		{"a narrowed role", previewReport{Roles: []roleAnswer{{Namespace: "sales", Name: "r", Answer: &privacyv1alpha1.AccessPreview{LiveExists: true,
			PrivilegesLost: []privacyv1alpha1.PrivilegePreview{{Table: "notes", Privilege: "DELETE"}}, RowFilter: privacyv1alpha1.RowFilterAdded}}}}, false,
			"widens no access"},
		{"a changed row filter widens", previewReport{Roles: []roleAnswer{{Namespace: "sales", Name: "r", Answer: &privacyv1alpha1.AccessPreview{LiveExists: true,
			RowFilter: privacyv1alpha1.RowFilterChanged}}}}, true, "widens access in AccessRole sales/r"},
		{"an unanswered candidate needs review", previewReport{Roles: []roleAnswer{{Namespace: "sales", Name: "r", Unanswered: "InvalidSpec: x"}}}, true,
			"1 object(s) could not be evaluated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s := tc.rep.summary(); !strings.Contains(s, tc.summary) {
				t.Errorf("summary %q does not say %q", s, tc.summary)
			}
			err := tc.rep.findings()
			var fe *findingsError
			if got := errors.As(err, &fe); got != tc.findings {
				t.Errorf("findings() = %v; want findings %v", err, tc.findings)
			}
		})
	}
}

// answeringClient is a fake cluster whose "operator" answers each ChangePreview as soon as
// it is created, with answer.
func answeringClient(t *testing.T, answer func(*privacyv1alpha1.ChangePreview), objs ...client.Object) client.Client {
	t.Helper()
	return fake.NewClientBuilder().WithScheme(pluginScheme()).WithObjects(objs...).
		WithInterceptorFuncs(interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if err := c.Create(ctx, obj, opts...); err != nil {
				return err
			}
			cp, ok := obj.(*privacyv1alpha1.ChangePreview)
			if !ok {
				return nil
			}
			answered := cp.DeepCopy()
			answer(answered)
			now := metav1.NewTime(time.Now())
			answered.Status.AnsweredAt = &now
			return c.Update(ctx, answered)
		}}).Build()
}

func TestRunPreviewAsksTheOperatorAndCleansUp(t *testing.T) {
	livePolicy := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "prospects-retention"},
		Spec: privacyv1alpha1.RetentionPolicySpec{DatabaseRef: privacyv1alpha1.LocalObjectReference{Name: "crm-db"},
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "accounts"}, Schedule: "30 2 * * *", Mode: privacyv1alpha1.ModeEnforce,
			Rules: []privacyv1alpha1.RetentionRule{{Name: "prospects", RetainFor: "24m", Action: privacyv1alpha1.ActionDelete}}}}
	otherNamespace := registerActivity("elsewhere", "Not part of the change")
	otherNamespace.Namespace = "finance"
	var asked []string
	c := answeringClient(t, func(cp *privacyv1alpha1.ChangePreview) {
		cp.Status.Conditions = []metav1.Condition{
			{Type: privacyv1alpha1.TypeCompleted, Status: metav1.ConditionTrue, Reason: privacyv1alpha1.ReasonAnswered, LastTransitionTime: metav1.Now()},
			{Type: privacyv1alpha1.TypeReady, Status: metav1.ConditionTrue, Reason: privacyv1alpha1.ReasonAnswered, LastTransitionTime: metav1.Now()}}
		switch {
		case cp.Spec.RetentionPolicy != nil:
			asked = append(asked, cp.Namespace+"/RetentionPolicy/"+string(cp.Spec.RetentionPolicy.Name)+"/"+string(cp.Spec.RetentionPolicy.Spec.Rules[0].RetainFor))
			cp.Status.RetentionPolicy = &privacyv1alpha1.RetentionPreview{LiveExists: true, LiveCounted: true, Mode: privacyv1alpha1.ModeEnforce,
				LiveMode: privacyv1alpha1.ModeEnforce, Rules: []privacyv1alpha1.RulePreview{{Name: "prospects", Action: privacyv1alpha1.ActionDelete,
					Pending: i64(9), Held: i64(0), LiveAction: privacyv1alpha1.ActionDelete, LivePending: i64(4), LiveHeld: i64(0), Comparable: true}}}
		case cp.Spec.AccessRole != nil:
			asked = append(asked, cp.Namespace+"/AccessRole/"+string(cp.Spec.AccessRole.Name))
			cp.Status.AccessRole = &privacyv1alpha1.AccessPreview{RowFilter: privacyv1alpha1.RowFilterUnchanged}
		}
	}, livePolicy, &otherNamespace)

	ch, err := readChange([]string{writeChangeTree(t)}, "sales")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := runPreview(context.Background(), c, ch, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sales/RetentionPolicy/prospects-retention/12m", "support/AccessRole/sales-team"}; !cmp.Equal(asked, want) {
		t.Errorf("previews asked = %v, want %v", asked, want)
	}
	var left privacyv1alpha1.ChangePreviewList
	if err := c.List(context.Background(), &left); err != nil || len(left.Items) != 0 {
		t.Errorf("ChangePreviews left behind: %d (%v)", len(left.Items), err)
	}
	// The register diff: the live policy modified, the activity and the role added; nothing
	// from the namespace the change does not touch.
	want := []changeRow{
		{Type: "Added", Kind: "AccessRole", Namespace: "support", Name: "sales-team"},
		{Type: "Added", Kind: "ProcessingActivity", Namespace: "sales", Name: "newsletter"},
		{Type: "Modified", Kind: "RetentionPolicy", Namespace: "sales", Name: "prospects-retention", Fields: []string{"spec.rules[0].retainFor"}},
	}
	if d := cmp.Diff(want, rep.Register); d != "" {
		t.Errorf("register changes (-want +got):\n%s", d)
	}
	err = rep.findings()
	var fe *findingsError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "would erase 5 and anonymise 0") {
		t.Errorf("findings() = %v; want exit code 2 for 5 more erasures", err)
	}
}

func TestRunPreviewTimesOutWithoutAnOperator(t *testing.T) {
	c := fakePluginClient(t)
	ch := &change{roles: []privacyv1alpha1.AccessRole{{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "r"}}}}
	_, err := runPreview(context.Background(), c, ch, time.Second)
	if err == nil || !strings.Contains(err.Error(), "the operator did not answer for AccessRole r within 1s") {
		t.Fatalf("runPreview = %v; want a timeout naming the object", err)
	}
	var left privacyv1alpha1.ChangePreviewList
	if err := c.List(context.Background(), &left); err != nil || len(left.Items) != 0 {
		t.Errorf("the unanswered ChangePreview was left behind: %d (%v)", len(left.Items), err)
	}
}

// TestRunPreviewReportsACandidateTheOperatorCannotCount: answered without figures, the
// candidate is reported with the operator's reason and the change needs review.
func TestRunPreviewReportsACandidateTheOperatorCannotCount(t *testing.T) {
	c := answeringClient(t, func(cp *privacyv1alpha1.ChangePreview) {
		cp.Status.Conditions = []metav1.Condition{
			{Type: privacyv1alpha1.TypeCompleted, Status: metav1.ConditionTrue, Reason: privacyv1alpha1.ReasonAnswered, LastTransitionTime: metav1.Now()},
			{Type: privacyv1alpha1.TypeReady, Status: metav1.ConditionFalse, Reason: privacyv1alpha1.ReasonInvalidSpec,
				Message: `cannot count the plan: field "loyaltyTier" is not mapped`, LastTransitionTime: metav1.Now()}}
	})
	ch := &change{policies: []privacyv1alpha1.RetentionPolicy{{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "tiers"},
		Spec: privacyv1alpha1.RetentionPolicySpec{Rules: []privacyv1alpha1.RetentionRule{{Name: "gold", RetainFor: "1y", Action: privacyv1alpha1.ActionDelete}}}}}}
	rep, err := runPreview(context.Background(), c, ch, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Policies) != 1 || rep.Policies[0].Answer != nil || rep.Policies[0].Unanswered != `InvalidSpec: cannot count the plan: field "loyaltyTier" is not mapped` {
		t.Fatalf("policies = %+v", rep.Policies)
	}
	var out bytes.Buffer
	if err := writePreview(&out, rep, previewText); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `  not evaluated: InvalidSpec: cannot count the plan: field "loyaltyTier" is not mapped`) {
		t.Errorf("text output:\n%s", out.String())
	}
	var fe *findingsError
	if err := rep.findings(); !errors.As(err, &fe) {
		t.Errorf("findings() = %v; want exit code 2", err)
	}
}
