package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

// chdirRoot runs the test from the repository root, where the generator reads its inputs.
func chdirRoot(t *testing.T) {
	t.Helper()
	t.Chdir("../..")
}

func TestSplitKeepsEveryGrant(t *testing.T) {
	chdirRoot(t)
	rules, err := managerRules(roleFile)
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := clusterScoped(crdDir)
	if err != nil {
		t.Fatal(err)
	}
	if !cluster["privacy.crmoperator.io/registerrevisions"] || len(cluster) != 1 {
		t.Fatalf("cluster-scoped kinds %v, want RegisterRevisions only", cluster)
	}
	c, n := split(rules, cluster)
	grants := func(rs []rbacv1.PolicyRule) []string {
		var out []string
		for _, r := range rs {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						out = append(out, g+"/"+res+":"+v)
					}
				}
			}
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(grants(rules), grants(append(c, n...))); diff != "" {
		t.Errorf("grants lost or added by the split (-role.yaml +split):\n%s", diff)
	}
	for _, g := range grants(c) {
		if !strings.HasPrefix(g, "privacy.crmoperator.io/registerrevisions") {
			t.Errorf("the cluster-scoped part grants %s", g)
		}
	}
	if slices.ContainsFunc(c, grantsSecrets) || !slices.ContainsFunc(n, grantsSecrets) {
		t.Errorf("Secrets belong in the namespaced part only")
	}
}

func TestCheckNamespaced(t *testing.T) {
	chdirRoot(t)
	generated, err := os.ReadFile(overlayRBAC)
	if err != nil {
		t.Fatal(err)
	}
	clusterWide, err := os.ReadFile(roleFile)
	if err != nil {
		t.Fatal(err)
	}
	namespaces, err := readNamespaces(namespacesFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		manifests string
		want      []string
		problems  []string
	}{
		{"the generated overlay", string(generated), namespaces, nil},
		{"the cluster-wide role", string(clusterWide), nil,
			[]string{"ClusterRole manager-role grants access to Secrets in every namespace"}},
		{"a namespace without its Role", string(generated), append([]string{"hr"}, namespaces...),
			[]string{"namespace hr has no Role letting the manager read its Secrets"}},
		{"a wildcard ClusterRole", "---\n# a comment\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: all\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['get']\n", nil,
			[]string{"ClusterRole all grants access to Secrets in every namespace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.problems, checkNamespaced([]byte(tt.manifests), tt.want)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGeneratedFilesAreCurrent fails when config/namespaced or the chart's manager RBAC was
// edited by hand or not regenerated after a marker changed (`make manifests`).
func TestGeneratedFilesAreCurrent(t *testing.T) {
	chdirRoot(t)
	files, err := outputs()
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range files {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is stale: run `make manifests`", path)
		}
	}
}
