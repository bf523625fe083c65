package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// TestKubectlFlagsAgainstAnAPIServer runs the plugin's root command, as kubectl runs the
// plugin, against a real kube-apiserver (envtest): the identity, server, context and
// namespace flags must reach the server, which answers with who it thinks is asking.
func TestKubectlFlagsAgainstAnAPIServer(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: this test needs a real kube-apiserver. " +
			"Run `make test` (or KUBEBUILDER_ASSETS=$(hack/envtest.sh) go test ./cmd/kubectl-gdpr/)")
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting the test control plane: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the test control plane: %v", err)
		}
	})
	ctx := context.Background()
	c, err := client.New(cfg, client.Options{Scheme: pluginScheme()})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"sales", "marketing"} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	policy := samplePolicy(t)
	policy.Namespace = "sales"
	if err := c.Create(ctx, policy); err != nil {
		t.Fatalf("creating the sample RetentionPolicy: %v", err)
	}

	dir := t.TempDir()
	kubeconfig := adminKubeconfig(t, env, dir)
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, cfg.CAData, 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	token := serviceAccountToken(t, cfg.Host, kubeconfig, "sales", "reviewer")
	policyName := "retentionpolicy.privacy.crmoperator.io/" + policy.Name + "\n"

	tests := []struct {
		name    string
		args    []string
		want    string // the output, when the command succeeds
		wantErr string // a part of the error, when it fails
	}{
		{"the kubeconfig's identity, -n", []string{"--kubeconfig", kubeconfig, "plan", "-n", "sales", "-o", "jsonpath={[*].policy}"},
			policy.Name, ""},
		{"a context with its own namespace", []string{"--kubeconfig", kubeconfig, "--context", "dpo", "plan", "-o", "name"},
			policyName, ""},
		{"-n beats the context's namespace", []string{"--kubeconfig", kubeconfig, "--context", "dpo", "-n", "marketing", "plan", "-o", "name"},
			"", ""},
		{"--as", []string{"--kubeconfig", kubeconfig, "--as", "alice", "plan", "-n", "sales"},
			"", `User "alice" cannot list resource "retentionpolicies"`},
		{"--as with --as-group", []string{"--kubeconfig", kubeconfig, "--as", "alice", "--as-group", "system:masters", "plan", "-n", "sales", "-o", "name"},
			policyName, ""},
		{"--server, --certificate-authority, --token", []string{"--kubeconfig", empty, "--server", cfg.Host, "--certificate-authority", caFile, "--token", token, "plan", "-n", "sales"},
			"", `User "system:serviceaccount:sales:reviewer" cannot list resource "retentionpolicies"`},
		{"--insecure-skip-tls-verify, a --token the server does not know", []string{"--kubeconfig", empty, "--server", cfg.Host, "--insecure-skip-tls-verify", "--token", "not-a-token", "plan", "-n", "sales"},
			"", "the server has asked for the client to provide credentials"},
		{"--server without its CA", []string{"--kubeconfig", empty, "--server", cfg.Host, "plan", "-n", "sales"},
			"", "certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRootCommand()
			root.SetArgs(tt.args)
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(io.Discard)
			err := root.Execute()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("kubectl gdpr %s: %v", strings.Join(tt.args, " "), err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("kubectl gdpr %s: %v, want an error with %q", strings.Join(tt.args, " "), err, tt.wantErr)
			}
			if out.String() != tt.want {
				t.Errorf("kubectl gdpr %s printed %q, want %q", strings.Join(tt.args, " "), out.String(), tt.want)
			}
		})
	}
}

// samplePolicy is the first RetentionPolicy of config/samples.
func samplePolicy(t *testing.T) *privacyv1alpha1.RetentionPolicy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "privacy_v1alpha1_retentionpolicy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		p := &privacyv1alpha1.RetentionPolicy{}
		if err := yaml.Unmarshal([]byte(doc), p); err == nil && p.Kind == "RetentionPolicy" {
			return p
		}
	}
	t.Fatal("no RetentionPolicy in the samples")
	return nil
}

// adminKubeconfig writes a kubeconfig for a system:masters user, with a second context
// "dpo" whose namespace is sales.
func adminKubeconfig(t *testing.T, env *envtest.Environment, dir string) string {
	t.Helper()
	admin, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	config, err := clientcmd.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	dpo := *config.Contexts[config.CurrentContext]
	dpo.Namespace = "sales"
	config.Contexts["dpo"] = &dpo
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// serviceAccountToken creates a service account and returns a token the API server issued
// for it.
func serviceAccountToken(t *testing.T, host, kubeconfig, ns, name string) string {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags(host, kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("requesting a token for %s/%s: %v", ns, name, err)
	}
	return tr.Status.Token
}
