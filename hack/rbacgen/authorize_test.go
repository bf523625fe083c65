package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// access is one question put to the API server's RBAC authorizer.
type access struct {
	verb, group, resource, namespace, name string
	allowed                                bool
}

// TestManagerRBACAsTheAPIServerAuthorizesIt renders both kustomize installs, loads their RBAC
// into a real API server (envtest, RBAC authorizer) and asks it, with SubjectAccessReviews,
// what the manager's service account may do. The namespaced install must let it work in the
// watched namespaces and read no other Secret; the cluster-wide one is the control, proving
// the questions can tell the two apart.
func TestManagerRBACAsTheAPIServerAuthorizesIt(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test`, or KUBEBUILDER_ASSETS=$(hack/envtest.sh) go test ./hack/rbacgen")
	}
	chdirRoot(t)
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}

	const sa = "system:serviceaccount:crm-privacy-system:crm-privacy-operator-controller-manager"
	common := []access{
		// Its own namespace: the Lease, and its key Secret by name only.
		{"update", "coordination.k8s.io", "leases", "crm-privacy-system", "", true},
		{"get", "", "secrets", "crm-privacy-system", "crm-privacy-operator-key", true},
		{"create", "", "secrets", "crm-privacy-system", "", true},
		{"update", "", "secrets", "crm-privacy-system", "crm-privacy-operator-key", false},
		// The watched namespaces.
		{"list", "", "secrets", "sales", "", true},
		{"watch", "", "secrets", "marketing", "", true},
		{"list", "privacy.crmoperator.io", "retentionpolicies", "sales", "", true},
		{"patch", "privacy.crmoperator.io", "processingactivities/status", "marketing", "", true},
		{"update", "privacy.crmoperator.io", "accessroles/finalizers", "sales", "", true},
		{"create", "events.k8s.io", "events", "sales", "", true},
		// A HighRisk DataBreach's notify list and a data-subject request's Access export are
		// created; they and a request's identity Secret are deleted (docs/security.md). Never
		// updated or patched.
		{"create", "", "secrets", "sales", "", true},
		{"delete", "", "secrets", "sales", "", true},
		{"update", "", "secrets", "sales", "", false},
		{"patch", "", "secrets", "sales", "", false},
		{"update", "privacy.crmoperator.io", "retentionpolicies", "sales", "", false},
		// The register: cluster-scoped, and events about it in default.
		{"create", "privacy.crmoperator.io", "registerrevisions", "", "", true},
		{"delete", "privacy.crmoperator.io", "registerrevisions", "", "", true},
		{"patch", "privacy.crmoperator.io", "registerrevisions/status", "", "", true},
		{"update", "privacy.crmoperator.io", "registerrevisions", "", "", false},
		{"create", "events.k8s.io", "events", "default", "", true},
	}
	tests := []struct {
		overlay string
		checks  []access
	}{
		{"config/namespaced", append(common,
			access{"get", "", "secrets", "crm-privacy-system", "someone-elses-secret", false},
			access{"list", "", "secrets", "crm-privacy-system", "", false},
			access{"list", "", "secrets", "hr", "", false},
			access{"get", "", "secrets", "kube-system", "", false},
			access{"list", "", "secrets", "", "", false},
			access{"list", "privacy.crmoperator.io", "retentionpolicies", "hr", "", false},
			access{"patch", "privacy.crmoperator.io", "processingactivities/status", "hr", "", false},
			access{"list", "", "secrets", "default", "", false},
		)},
		{"config/default", append(common,
			access{"list", "", "secrets", "hr", "", true},
			access{"list", "", "secrets", "", "", true},
			access{"get", "", "secrets", "crm-privacy-system", "someone-elses-secret", true},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.overlay, func(t *testing.T) {
			// The roles of the overlay tested before are gone.
			waitAuthorized(t, c, sa, access{"list", "", "secrets", "sales", "", true}, false)
			applied := applyRBAC(t, c, filepath.Join(assets, "kubectl"), tt.overlay)
			defer func() {
				for _, o := range applied {
					_ = c.Delete(context.Background(), o)
				}
			}()
			// Each role and binding is behind at least one allowed check: once all are
			// allowed every object has reached the authorizer, and a denial is final.
			for _, a := range tt.checks {
				if a.allowed {
					waitAuthorized(t, c, sa, a, true)
				}
			}
			for _, a := range tt.checks {
				if got, why := authorize(t, c, sa, a); got != a.allowed {
					t.Errorf("%s %s/%s in %q (name %q): allowed=%v, want %v (%s)", a.verb, a.group, a.resource, a.namespace, a.name,
						got, a.allowed, why)
				}
			}
		})
	}
}

// applyRBAC renders an overlay with kubectl kustomize and creates its namespaces and RBAC
// objects; it returns the RBAC objects, to delete them afterwards.
func applyRBAC(t *testing.T, c client.Client, kubectl, overlay string) []client.Object {
	t.Helper()
	out, err := exec.Command(kubectl, "kustomize", overlay).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", overlay, err)
	}
	ctx := context.Background()
	for _, ns := range []string{"crm-privacy-system", "sales", "marketing", "hr"} {
		err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	var applied []client.Object
	for _, doc := range splitDocuments(out) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatal(err)
		}
		if u.GroupVersionKind().Group != "rbac.authorization.k8s.io" {
			continue
		}
		if err := c.Create(ctx, u); err != nil {
			t.Fatalf("creating %s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
		applied = append(applied, u)
	}
	if len(applied) == 0 {
		t.Fatalf("%s renders no RBAC", overlay)
	}
	return applied
}

// authorize asks the API server whether the service account may do a.
func authorize(t *testing.T, c client.Client, user string, a access) (bool, string) {
	t.Helper()
	resource, sub, _ := strings.Cut(a.resource, "/")
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   user,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:crm-privacy-system", "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: a.verb, Group: a.group, Resource: resource, Subresource: sub, Namespace: a.namespace, Name: a.name,
		},
	}}
	if err := c.Create(context.Background(), sar); err != nil {
		t.Fatal(err)
	}
	return sar.Status.Allowed, sar.Status.Reason
}

// waitAuthorized waits until the authorizer, which reads RBAC objects through informers,
// answers want for a: until then new or deleted roles may not have reached it.
func waitAuthorized(t *testing.T, c client.Client, user string, a access, want bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := authorize(t, c, user, a); got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the authorizer did not answer %v for %+v within 10s", want, a)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
