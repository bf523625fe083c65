// Command rbacgen derives the manager's RBAC for both install modes from one source,
// config/rbac/role.yaml, which controller-gen generates from the +kubebuilder:rbac markers:
//
//   - cluster-wide (the default): one ClusterRole with every rule;
//   - namespaced: a small ClusterRole for the cluster-scoped kinds (RegisterRevisions), and a
//     Role with every other rule in each watched namespace, so that the manager reads no
//     Secret outside them.
//
// Which kinds are cluster-scoped is read from the CRDs (config/crd/bases). It writes the
// namespaced kustomize overlay's generated files (config/namespaced, for the namespaces listed
// in config/namespaced/namespaces.txt) and the chart's templates/manager-rbac.yaml, which
// renders either mode (rbac.namespaced). `make manifests` runs it (through
// hack/sync-chart-crds.sh) and `make verify` fails when its output is stale.
//
// With -check-namespaced it reads rendered manifests instead (a file, or - for stdin) and
// fails when any ClusterRole grants access to Secrets, or when a namespace given with
// -namespaces has no Role granting the manager what it needs there. `make helm-lint` runs it
// over the chart rendered with rbac.namespaced=true.
//
// Usage (from the repository root):
//
//	go run ./hack/rbacgen
//	helm template … --set rbac.namespaced=true … | go run ./hack/rbacgen -check-namespaced - -namespaces sales,marketing
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// Paths, relative to the repository root.
const (
	roleFile        = "config/rbac/role.yaml"
	crdDir          = "config/crd/bases"
	namespacesFile  = "config/namespaced/namespaces.txt"
	overlayRBAC     = "config/namespaced/manager_rbac.yaml"
	overlayArgs     = "config/namespaced/manager_namespaces_patch.yaml"
	chartRBAC       = "charts/crm-privacy-operator/templates/manager-rbac.yaml"
	kustomizePrefix = "crm-privacy-operator-"
	kustomizeNS     = "crm-privacy-system"
)

func main() {
	check := flag.String("check-namespaced", "", "check rendered manifests (a file, or - for stdin) instead of generating")
	namespaces := flag.String("namespaces", "", "with -check-namespaced: comma-separated namespaces that must have the manager's Role")
	flag.Parse()
	log.SetFlags(0)
	if *check != "" {
		var data []byte
		var err error
		if *check == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(*check)
		}
		if err != nil {
			log.Fatal(err)
		}
		var want []string
		if *namespaces != "" {
			want = strings.Split(*namespaces, ",")
		}
		if problems := checkNamespaced(data, want); len(problems) > 0 {
			log.Fatalf("the namespaced RBAC is not namespaced:\n  %s", strings.Join(problems, "\n  "))
		}
		fmt.Println("rbacgen: no ClusterRole grants Secrets; every watched namespace has the manager's Role")
		return
	}
	if err := generate(); err != nil {
		log.Fatal(err)
	}
}

func generate() error {
	files, err := outputs()
	if err != nil {
		return err
	}
	for path, content := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// outputs renders every generated file from the inputs, by path.
func outputs() (map[string]string, error) {
	rules, err := managerRules(roleFile)
	if err != nil {
		return nil, err
	}
	cluster, err := clusterScoped(crdDir)
	if err != nil {
		return nil, err
	}
	clusterRules, nsRules := split(rules, cluster)
	namespaces, err := readNamespaces(namespacesFile)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		overlayRBAC: overlayManifests(clusterRules, nsRules, namespaces),
		overlayArgs: overlayArgsPatch(namespaces),
		chartRBAC:   chartTemplate(rules, clusterRules, nsRules),
	}, nil
}

// managerRules reads the rules of the ClusterRole controller-gen writes.
func managerRules(path string) ([]rbacv1.PolicyRule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(b, &role); err != nil {
		return nil, fmt.Errorf("while reading %s: %w", path, err)
	}
	if len(role.Rules) == 0 {
		return nil, fmt.Errorf("%s has no rules", path)
	}
	return role.Rules, nil
}

// clusterScoped returns "group/plural" of every cluster-scoped kind among the CRDs.
func clusterScoped(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRD in %s: run controller-gen first", dir)
	}
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(b, &crd); err != nil {
			return nil, fmt.Errorf("while reading %s: %w", f, err)
		}
		if crd.Spec.Scope == apiextensionsv1.ClusterScoped {
			out[crd.Spec.Group+"/"+crd.Spec.Names.Plural] = true
		}
	}
	return out, nil
}

// split separates the rules on cluster-scoped resources (and their subresources) from the
// others, keeping each rule's groups and verbs.
func split(rules []rbacv1.PolicyRule, cluster map[string]bool) (clusterRules, nsRules []rbacv1.PolicyRule) {
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 {
			clusterRules = append(clusterRules, r)
			continue
		}
		var c, n []string
		for _, res := range r.Resources {
			base, _, _ := strings.Cut(res, "/")
			isCluster := false
			for _, g := range r.APIGroups {
				isCluster = isCluster || cluster[g+"/"+base]
			}
			if isCluster {
				c = append(c, res)
			} else {
				n = append(n, res)
			}
		}
		if len(c) > 0 {
			cr := *r.DeepCopy()
			cr.Resources = c
			clusterRules = append(clusterRules, cr)
		}
		if len(n) > 0 {
			nr := *r.DeepCopy()
			nr.Resources = n
			nsRules = append(nsRules, nr)
		}
	}
	return clusterRules, nsRules
}

// readNamespaces reads one namespace a line; blank lines and # comments are skipped.
func readNamespaces(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !validNamespace(line) {
			return nil, fmt.Errorf("%s: %q is not a namespace name", path, line)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no namespace", path)
	}
	return out, nil
}

func validNamespace(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// rulesYAML renders rules as controller-gen does: a top-level list.
func rulesYAML(rules []rbacv1.PolicyRule) string {
	b, err := yaml.Marshal(rules)
	if err != nil {
		panic(err) // PolicyRules always marshal
	}
	return string(b)
}

const overlayHeader = "# Code generated by hack/rbacgen from config/rbac/role.yaml and config/namespaced/namespaces.txt. DO NOT EDIT.\n"

// overlayManifests is the namespaced overlay's RBAC: the ClusterRole for the cluster-scoped
// kinds, a Role and RoleBinding per watched namespace, and a Role for the events about
// cluster-scoped objects, which the API keeps in the default namespace.
func overlayManifests(clusterRules, nsRules []rbacv1.PolicyRule, namespaces []string) string {
	var b strings.Builder
	b.WriteString(overlayHeader)
	sa := kustomizePrefix + "controller-manager"
	subject := fmt.Sprintf("subjects:\n- kind: ServiceAccount\n  name: %s\n  namespace: %s\n", sa, kustomizeNS)
	fmt.Fprintf(&b, "# The cluster-scoped kinds (RegisterRevisions): the register covers every watched namespace.\n")
	fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: %smanager-register-role\nrules:\n%s", kustomizePrefix, rulesYAML(clusterRules))
	fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: %smanager-register-rolebinding\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: %smanager-register-role\n%s", kustomizePrefix, kustomizePrefix, subject)
	fmt.Fprintf(&b, "---\n# Events about cluster-scoped objects (RegisterRevisions) are kept in the default namespace.\n")
	fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: %smanager-register-events\n  namespace: default\nrules:\n%s", kustomizePrefix, rulesYAML(eventRules()))
	fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: %smanager-register-events\n  namespace: default\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: %smanager-register-events\n%s", kustomizePrefix, kustomizePrefix, subject)
	for _, ns := range namespaces {
		fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: %smanager-role\n  namespace: %s\nrules:\n%s", kustomizePrefix, ns, rulesYAML(nsRules))
		fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: %smanager-rolebinding\n  namespace: %s\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: %smanager-role\n%s", kustomizePrefix, ns, kustomizePrefix, subject)
	}
	return b.String()
}

// eventRules lets the manager record events (events.k8s.io) in one namespace.
func eventRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}}}
}

// overlayArgsPatch adds --namespaces to the manager's arguments.
func overlayArgsPatch(namespaces []string) string {
	return overlayHeader + fmt.Sprintf(`# The manager watches only these namespaces; its Roles are in config/namespaced/manager_rbac.yaml.
- op: add
  path: /spec/template/spec/containers/0/args/-
  value: --namespaces=%s
`, strings.Join(namespaces, ","))
}

// chartTemplate is the chart's manager RBAC for both modes.
func chartTemplate(all, clusterRules, nsRules []rbacv1.PolicyRule) string {
	var b strings.Builder
	b.WriteString("# Code generated by hack/rbacgen from config/rbac/role.yaml. DO NOT EDIT.\n")
	// "$" is the root context inside and outside the range over the namespaces.
	fullname := `{{ include "crm-privacy-operator.fullname" $ }}`
	labels := "  labels:\n    {{- include \"crm-privacy-operator.labels\" $ | nindent 4 }}\n"
	subject := "subjects:\n  - kind: ServiceAccount\n    name: {{ include \"crm-privacy-operator.serviceAccountName\" $ }}\n    namespace: {{ $.Release.Namespace }}\n"
	clusterBinding := func(role string) string {
		return fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: %s-%s\n%sroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: %s-%s\n%s", fullname, role, labels, fullname, role, subject)
	}
	b.WriteString("{{- if not .Values.rbac.namespaced }}\n")
	b.WriteString("# Cluster-wide: the manager watches every namespace (or manager.watchNamespaces, with a\n# ClusterRole all the same).\n")
	fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: %s-manager\n%srules:\n%s---\n%s", fullname, labels, rulesYAML(all), clusterBinding("manager"))
	b.WriteString("{{- else }}\n")
	b.WriteString("{{- if not .Values.manager.watchNamespaces }}\n{{- fail \"rbac.namespaced needs manager.watchNamespaces: the namespaces the manager may read and act in\" }}\n{{- end }}\n")
	b.WriteString("# Namespaced: only the cluster-scoped kinds (RegisterRevisions) need a ClusterRole.\n")
	fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: %s-manager-register\n%srules:\n%s---\n%s", fullname, labels, rulesYAML(clusterRules), clusterBinding("manager-register"))
	b.WriteString("---\n# Events about cluster-scoped objects (RegisterRevisions) are kept in the default namespace.\n")
	fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: %s-manager-register-events\n  namespace: default\n%srules:\n%s", fullname, labels, rulesYAML(eventRules()))
	fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: %s-manager-register-events\n  namespace: default\n%sroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: %s-manager-register-events\n%s", fullname, labels, fullname, subject)
	b.WriteString("{{- range .Values.manager.watchNamespaces }}\n")
	fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: %s-manager\n  namespace: {{ . }}\n%srules:\n%s", fullname, labels, rulesYAML(nsRules))
	fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: %s-manager\n  namespace: {{ . }}\n%sroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: %s-manager\n%s", fullname, labels, fullname, subject)
	b.WriteString("{{- end }}\n{{- end }}\n")
	return b.String()
}

// checkNamespaced lists what makes rendered manifests not namespaced: a ClusterRole that
// grants Secrets (or everything), and a namespace of want without the manager's Role.
func checkNamespaced(data []byte, want []string) []string {
	var problems []string
	rolesWithSecrets := map[string]bool{}
	for i, doc := range splitDocuments(data) {
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", i, err))
			continue
		}
		switch head.Kind {
		case "ClusterRole", "Role":
			var role rbacv1.ClusterRole
			if err := yaml.Unmarshal(doc, &role); err != nil {
				problems = append(problems, fmt.Sprintf("%s %s: %v", head.Kind, head.Metadata.Name, err))
				continue
			}
			secrets := slices.ContainsFunc(role.Rules, grantsSecrets)
			if head.Kind == "ClusterRole" && secrets {
				problems = append(problems, fmt.Sprintf("ClusterRole %s grants access to Secrets in every namespace", head.Metadata.Name))
			}
			if head.Kind == "Role" && secrets {
				rolesWithSecrets[head.Metadata.Namespace] = true
			}
			if head.Kind == "ClusterRole" && role.AggregationRule != nil {
				problems = append(problems, fmt.Sprintf("ClusterRole %s aggregates other roles", head.Metadata.Name))
			}
		}
	}
	for _, ns := range want {
		if !rolesWithSecrets[ns] {
			problems = append(problems, fmt.Sprintf("namespace %s has no Role letting the manager read its Secrets", ns))
		}
	}
	return problems
}

// grantsSecrets reports whether a rule grants any verb on core Secrets.
func grantsSecrets(r rbacv1.PolicyRule) bool {
	core := slices.Contains(r.APIGroups, "") || slices.Contains(r.APIGroups, "*")
	res := slices.Contains(r.Resources, "secrets") || slices.Contains(r.Resources, "*")
	return core && res && len(r.Verbs) > 0
}

// splitDocuments splits a YAML stream on its "---" lines and drops empty documents.
func splitDocuments(data []byte) [][]byte {
	var out [][]byte
	var cur []byte
	flush := func() {
		if len(bytes.TrimSpace(cur)) > 0 {
			out = append(out, cur)
		}
		cur = nil
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("---")) {
			flush()
			continue
		}
		if bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			continue
		}
		cur = append(append(cur, line...), '\n')
	}
	flush()
	return out
}
