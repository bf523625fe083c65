package argocdhealth_test

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/argocdhealth"
)

// configDir is where `make manifests` writes the health checks.
var configDir = filepath.Join("..", "..", "config", "argocd")

// TestCommittedFilesAreCurrent fails when config/argocd is stale: run `make manifests`.
func TestCommittedFilesAreCurrent(t *testing.T) {
	want := argocdhealth.Files()
	var got []string
	err := filepath.WalkDir(configDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(configDir, path)
		got = append(got, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	sort.Strings(got)
	if d := cmp.Diff(names, got); d != "" {
		t.Fatalf("files of config/argocd (-rendered +committed):\n%s", d)
	}
	for name, content := range want {
		b, err := os.ReadFile(filepath.Join(configDir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != content {
			t.Errorf("config/argocd/%s is stale: run make manifests", name)
		}
	}
}

// TestEveryKindHasAHealthCheck: a kind added to the API without a health check fails here.
func TestEveryKindHasAHealthCheck(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := privacyv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, k := range argocdhealth.Kinds {
		covered[k.Name] = true
	}
	apiPackage := reflect.TypeOf(privacyv1alpha1.CRMDatabase{}).PkgPath()
	for gvk, typ := range scheme.AllKnownTypes() {
		if typ.PkgPath() == apiPackage && !strings.HasSuffix(gvk.Kind, "List") && !covered[gvk.Kind] {
			t.Errorf("kind %s has no Argo CD health check in argocdhealth.Kinds", gvk.Kind)
		}
	}
}

// state is an object's metadata and status as a test sets them.
type state struct {
	name       string
	generation int64
	observed   *int64 // nil: no status at all
	deleting   bool
	conditions []metav1.Condition
	// suspended sets spec.suspend (RetentionPolicy).
	want    string
	message string // a substring the message must hold
}

func cond(t string, s metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, LastTransitionTime: metav1.Unix(1767225600, 0)}
}

func gen(n int64) *int64 { return &n }

// commonStates are the states every kind can be in.
func commonStates() []state {
	ready := cond(privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled, "all good")
	return []state{
		{name: "no status yet", generation: 1, want: "Progressing", message: "Waiting for the operator"},
		{name: "status defaulted by the CRD", generation: 1, observed: gen(0), want: "Progressing", message: "generation 1"},
		{name: "new generation not observed", generation: 3, observed: gen(2), conditions: []metav1.Condition{ready},
			want: "Progressing", message: "Waiting for the operator to reconcile generation 3"},
		{name: "being deleted", generation: 1, observed: gen(1), deleting: true, conditions: []metav1.Condition{ready}, want: "Progressing", message: "Being deleted"},
		{name: "ready", generation: 2, observed: gen(2), conditions: []metav1.Condition{ready}, want: "Healthy", message: "all good"},
		{name: "retrying", generation: 1, observed: gen(1), conditions: []metav1.Condition{
			cond(privacyv1alpha1.TypeReady, metav1.ConditionFalse, privacyv1alpha1.ReasonDatabaseNotReady, "CRMDatabase crm is not ready"),
			cond(privacyv1alpha1.TypeReconciling, metav1.ConditionTrue, privacyv1alpha1.ReasonDatabaseNotReady, "CRMDatabase crm is not ready"),
		}, want: "Progressing", message: "Ready (DatabaseNotReady): CRMDatabase crm is not ready"},
		{name: "stalled", generation: 1, observed: gen(1), conditions: []metav1.Condition{
			cond(privacyv1alpha1.TypeReady, metav1.ConditionFalse, privacyv1alpha1.ReasonInvalidSpec, "field loyaltyTier is not mapped"),
			cond(privacyv1alpha1.TypeStalled, metav1.ConditionTrue, privacyv1alpha1.ReasonInvalidSpec, "field loyaltyTier is not mapped"),
		}, want: "Degraded", message: "Stalled (InvalidSpec): field loyaltyTier is not mapped"},
		{name: "ready unknown", generation: 1, observed: gen(1), conditions: []metav1.Condition{
			cond(privacyv1alpha1.TypeReady, metav1.ConditionUnknown, privacyv1alpha1.ReasonProgressing, "checking"),
		}, want: "Progressing", message: "checking"},
	}
}

// findingStates are, for each finding condition of the kind, Ready=True with the condition
// in its finding state: Healthy, the finding in the message.
func findingStates(k argocdhealth.Kind) []state {
	var out []state
	ready := cond(privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled, "reconciled")
	add := func(t string, s metav1.ConditionStatus) {
		out = append(out, state{name: "finding " + t + "=" + string(s), generation: 1, observed: gen(1),
			conditions: []metav1.Condition{ready, cond(t, s, "SomeFinding", "17 contacts need the DPO")},
			want:       "Healthy", message: "Findings for the DPO: " + t + " (SomeFinding): 17 contacts need the DPO"})
		// The same condition in its good state is no finding.
		good := metav1.ConditionTrue
		if s == metav1.ConditionTrue {
			good = metav1.ConditionFalse
		}
		out = append(out, state{name: "no finding " + t + "=" + string(good), generation: 1, observed: gen(1),
			conditions: []metav1.Condition{ready, cond(t, good, privacyv1alpha1.ReasonReconciled, "fine")},
			want:       "Healthy", message: "reconciled"})
	}
	for _, t := range k.FindingWhenFalse {
		add(t, metav1.ConditionFalse)
	}
	for _, t := range k.FindingWhenTrue {
		add(t, metav1.ConditionTrue)
	}
	return out
}

// TestHealthChecks runs every kind's committed health.lua, as Argo CD runs it, on objects
// of the real API types in each state.
func TestHealthChecks(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := privacyv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	for _, k := range argocdhealth.Kinds {
		script, err := os.ReadFile(filepath.Join(configDir, "health", k.Key(), "health.lua"))
		if err != nil {
			t.Fatalf("the health check of %s: %v", k.Name, err)
		}
		states := append(commonStates(), findingStates(k)...)
		if k.SuspendedReason != "" {
			states = append(states, state{name: "suspended", generation: 1, observed: gen(1), conditions: []metav1.Condition{
				cond(privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonSuspended, "suspended: 3 contact(s) pending"),
				cond(privacyv1alpha1.TypeScheduled, metav1.ConditionFalse, k.SuspendedReason, "spec.suspend is true"),
			}, want: "Suspended", message: "spec.suspend is true"})
		}
		for _, s := range states {
			t.Run(k.Name+"/"+s.name, func(t *testing.T) {
				obj := objectIn(t, scheme, k.Name, s)
				got, err := argocdhealth.Evaluate(string(script), obj)
				if err != nil {
					t.Fatalf("the script failed: %v", err)
				}
				if got.Status != s.want || !strings.Contains(got.Message, s.message) {
					t.Errorf("health = %s %q, want %s with %q", got.Status, got.Message, s.want, s.message)
				}
			})
		}
	}
}

// objectIn builds an object of the kind in state s from the real API type, and returns it as
// Argo CD reads it (unstructured JSON).
func objectIn(t *testing.T, scheme *runtime.Scheme, kind string, s state) map[string]any {
	t.Helper()
	typed, err := scheme.New(privacyv1alpha1.GroupVersion.WithKind(kind))
	if err != nil {
		t.Fatal(err)
	}
	m, err := meta.Accessor(typed)
	if err != nil {
		t.Fatal(err)
	}
	m.SetName("example")
	m.SetGeneration(s.generation)
	if s.deleting {
		now := metav1.Unix(1767225600, 0)
		m.SetDeletionTimestamp(&now)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		t.Fatal(err)
	}
	u["apiVersion"], u["kind"] = privacyv1alpha1.GroupVersion.String(), kind
	delete(u, "status")
	if s.observed != nil {
		status := map[string]any{"observedGeneration": *s.observed}
		if len(s.conditions) > 0 {
			var conds []any
			for _, c := range s.conditions {
				cm, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&c)
				if err != nil {
					t.Fatal(err)
				}
				conds = append(conds, cm)
			}
			status["conditions"] = conds
		}
		u["status"] = status
	}
	// The object must be one the real type accepts: no field it does not have.
	check, _ := scheme.New(privacyv1alpha1.GroupVersion.WithKind(kind))
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u, check, true); err != nil {
		t.Fatalf("the test object does not fit the %s type: %v", kind, err)
	}
	return u
}

// TestConfigMapEntriesAreTheScripts: the argocd-cm patch and the argo-cd Helm values, once
// parsed as YAML, hold every kind's script byte for byte under its Argo CD key.
func TestConfigMapEntriesAreTheScripts(t *testing.T) {
	var cm struct {
		Data map[string]string `json:"data"`
	}
	var values struct {
		Configs struct {
			CM map[string]string `json:"cm"`
		} `json:"configs"`
	}
	for file, into := range map[string]any{"argocd-cm-health.yaml": &cm, "argo-cd-values.yaml": &values} {
		b, err := os.ReadFile(filepath.Join(configDir, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, into); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	for _, k := range argocdhealth.Kinds {
		key := "resource.customizations.health." + k.Key()
		if cm.Data[key] != k.Script() {
			t.Errorf("argocd-cm-health.yaml: %s is not the script of %s", key, k.Name)
		}
		if values.Configs.CM[key] != k.Script() {
			t.Errorf("argo-cd-values.yaml: configs.cm.%s is not the script of %s", key, k.Name)
		}
	}
	if len(cm.Data) != len(argocdhealth.Kinds) || len(values.Configs.CM) != len(argocdhealth.Kinds) {
		t.Errorf("%d entries in argocd-cm, %d in the values, want %d", len(cm.Data), len(values.Configs.CM), len(argocdhealth.Kinds))
	}
}
