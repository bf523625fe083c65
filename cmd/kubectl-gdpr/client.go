package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// globalOptions are the kubectl-style flags every command shares.
type globalOptions struct {
	kubeconfig string
	context    string
	namespace  string
}

func (o *globalOptions) addFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&o.context, "context", "", "the kubeconfig context to use")
	f.StringVarP(&o.namespace, "namespace", "n", "", "the namespace (default: the context's namespace)")
}

// clientConfig loads the kubeconfig as kubectl does.
func (o *globalOptions) clientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.kubeconfig != "" {
		rules.ExplicitPath = o.kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.context}
	if o.namespace != "" {
		overrides.Context.Namespace = o.namespace
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// client returns a client for the cluster and the namespace to work in.
func (o *globalOptions) client() (client.Client, string, error) {
	cc := o.clientConfig()
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("while loading the kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("while reading the namespace from the kubeconfig: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: pluginScheme()})
	if err != nil {
		return nil, "", fmt.Errorf("while connecting to the cluster: %w", err)
	}
	return c, ns, nil
}

func pluginScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(privacyv1alpha1.AddToScheme(s))
	return s
}

// Output formats of the -o flag.
const (
	outputTable = "table"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

// checkOutput rejects an unknown -o value.
func checkOutput(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q: use one of %v", format, allowed)
}

// printStructured writes v as JSON or YAML.
func printStructured(w io.Writer, format string, v any) error {
	switch format {
	case outputJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case outputYAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("format %q is not structured", format)
}

// progress writes a one-line progress message to stderr when it is a terminal, so that
// piped output stays clean.
func progress(format string, args ...any) func() {
	if fi, err := os.Stderr.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	fmt.Fprintf(os.Stderr, "\r"+format+"…", args...)
	return func() { fmt.Fprint(os.Stderr, "\r\033[K") }
}
