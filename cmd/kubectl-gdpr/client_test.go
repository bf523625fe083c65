package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
)

// twoClusters is a kubeconfig with two clusters, users and contexts, prod the current one.
const twoClusters = `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster: {server: "https://prod.example:6443"}
- name: staging
  cluster: {server: "https://staging.example:6443"}
users:
- name: dpo
  user: {token: dpo-token}
- name: ops
  user: {token: ops-token}
contexts:
- name: prod
  context: {cluster: prod, user: dpo, namespace: sales}
- name: staging
  context: {cluster: staging, user: ops, namespace: marketing}
`

// connection is what of a rest.Config the flags decide.
type connection struct {
	Host, Token, Namespace, CAFile string
	Insecure                       bool
	Impersonate                    rest.ImpersonationConfig
	Timeout                        time.Duration
}

func TestKubectlFlagsSelectTheConnection(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte(twoClusters), 0o600); err != nil {
		t.Fatal(err)
	}
	// The client reads the file when it loads the configuration; it need not be a valid CA.
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, []byte("not checked here"), 0o600); err != nil {
		t.Fatal(err)
	}
	prod := connection{Host: "https://prod.example:6443", Token: "dpo-token", Namespace: "sales"}
	with := func(change func(*connection)) connection {
		c := prod
		change(&c)
		return c
	}
	tests := []struct {
		name string
		args []string
		want connection
	}{
		{"the current context", nil, prod},
		{"--context", []string{"--context", "staging"},
			connection{Host: "https://staging.example:6443", Token: "ops-token", Namespace: "marketing"}},
		{"-n", []string{"-n", "legal"}, with(func(c *connection) { c.Namespace = "legal" })},
		{"--namespace beats the context's", []string{"--context", "staging", "--namespace", "legal"},
			connection{Host: "https://staging.example:6443", Token: "ops-token", Namespace: "legal"}},
		{"--cluster", []string{"--cluster", "staging"}, with(func(c *connection) { c.Host = "https://staging.example:6443" })},
		{"--user", []string{"--user", "ops"}, with(func(c *connection) { c.Token = "ops-token" })},
		{"--server", []string{"--server", "https://10.0.0.1:6443"}, with(func(c *connection) { c.Host = "https://10.0.0.1:6443" })},
		{"-s", []string{"-s", "https://10.0.0.1:6443"}, with(func(c *connection) { c.Host = "https://10.0.0.1:6443" })},
		{"--token", []string{"--token", "other-token"}, with(func(c *connection) { c.Token = "other-token" })},
		{"--as, --as-group, --as-uid", []string{"--as", "alice", "--as-group", "auditors", "--as-group", "dpo", "--as-uid", "42"},
			with(func(c *connection) {
				c.Impersonate = rest.ImpersonationConfig{UserName: "alice", UID: "42", Groups: []string{"auditors", "dpo"}}
			})},
		{"--request-timeout", []string{"--request-timeout", "5s"}, with(func(c *connection) { c.Timeout = 5 * time.Second })},
		{"--insecure-skip-tls-verify", []string{"--insecure-skip-tls-verify"}, with(func(c *connection) { c.Insecure = true })},
		{"--certificate-authority", []string{"--certificate-authority", caFile}, with(func(c *connection) { c.CAFile = caFile })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &globalOptions{}
			cmd := &cobra.Command{Use: "test"}
			opts.addFlags(cmd)
			if err := cmd.ParseFlags(append([]string{"--kubeconfig", kubeconfig}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			cfg, err := opts.restConfig()
			if err != nil {
				t.Fatal(err)
			}
			ns, err := opts.namespace()
			if err != nil {
				t.Fatal(err)
			}
			got := connection{Host: cfg.Host, Token: cfg.BearerToken, Namespace: ns, CAFile: cfg.CAFile,
				Insecure: cfg.Insecure, Impersonate: cfg.Impersonate, Timeout: cfg.Timeout}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("connection (-want +got):\n%s", diff)
			}
			if cfg.UserAgent != "kubectl-gdpr/"+version {
				t.Errorf("user agent %q", cfg.UserAgent)
			}
		})
	}
}

func TestUnknownContextIsAnError(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte(twoClusters), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := &globalOptions{}
	cmd := &cobra.Command{Use: "test"}
	opts.addFlags(cmd)
	if err := cmd.ParseFlags([]string{"--kubeconfig", kubeconfig, "--context", "nowhere"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := opts.client(); err == nil || !strings.Contains(err.Error(), `context "nowhere" does not exist`) {
		t.Errorf("client() with an unknown context: %v", err)
	}
}

// kubectlFlags are the standard kubectl flags (and shorthands) every command must take.
var kubectlFlags = map[string]string{
	"kubeconfig": "", "context": "", "cluster": "", "user": "", "namespace": "n",
	"as": "", "as-group": "", "as-uid": "", "as-user-extra": "", "token": "", "server": "s",
	"certificate-authority": "", "client-certificate": "", "client-key": "", "tls-server-name": "",
	"insecure-skip-tls-verify": "", "request-timeout": "", "disable-compression": "", "cache-dir": "",
}

// TestEveryCommandTakesTheKubectlFlags walks the command tree, so that a command added later
// that shadows a standard flag (say, its own -n or -s) fails here rather than for a user.
func TestEveryCommandTakesTheKubectlFlags(t *testing.T) {
	var walk func(*cobra.Command)
	count := 0
	walk = func(cmd *cobra.Command) {
		count++
		for name, short := range kubectlFlags {
			f := cmd.PersistentFlags().Lookup(name)
			if f == nil {
				f = cmd.InheritedFlags().Lookup(name)
			}
			if f == nil {
				t.Errorf("%q has no --%s", cmd.CommandPath(), name)
				continue
			}
			if f.Shorthand != short {
				t.Errorf("%q: --%s has the shorthand %q, kubectl's is %q", cmd.CommandPath(), name, f.Shorthand, short)
			}
			if cmd.HasParent() && cmd.LocalNonPersistentFlags().Lookup(name) != nil {
				t.Errorf("%q defines its own --%s", cmd.CommandPath(), name)
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand())
	if count < 10 {
		t.Errorf("walked %d commands only", count)
	}
}
