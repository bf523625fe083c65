package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// globalOptions are the standard kubectl flags every command shares (--kubeconfig,
// --context, --cluster, --user, -n/--namespace, --as, --as-group, --as-uid, --token,
// --server, --certificate-authority, --insecure-skip-tls-verify, --request-timeout, …),
// read by k8s.io/cli-runtime exactly as kubectl reads them. The zero value is usable: it
// stands for no flag given (the kubeconfig from $KUBECONFIG or ~/.kube/config).
type globalOptions struct {
	configFlags *genericclioptions.ConfigFlags
}

// flags returns the kubectl flags, created on first use.
func (o *globalOptions) flags() *genericclioptions.ConfigFlags {
	if o.configFlags == nil {
		o.configFlags = genericclioptions.NewConfigFlags(true)
	}
	return o.configFlags
}

// addFlags adds the kubectl flags to cmd and, as persistent flags, to its subcommands.
func (o *globalOptions) addFlags(cmd *cobra.Command) {
	o.flags().AddFlags(cmd.PersistentFlags())
}

// restConfig is the client configuration the flags and the kubeconfig select, with the
// plugin's user agent.
func (o *globalOptions) restConfig() (*rest.Config, error) {
	cfg, err := o.flags().ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("while loading the kubeconfig: %w", err)
	}
	cfg.UserAgent = "kubectl-gdpr/" + version
	return cfg, nil
}

// namespace is the namespace to work in: -n, else the context's namespace, else "default".
func (o *globalOptions) namespace() (string, error) {
	ns, _, err := o.flags().ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("while reading the namespace from the kubeconfig: %w", err)
	}
	return ns, nil
}

// client returns a client for the cluster and the namespace to work in.
func (o *globalOptions) client() (client.Client, string, error) {
	cfg, err := o.restConfig()
	if err != nil {
		return nil, "", err
	}
	ns, err := o.namespace()
	if err != nil {
		return nil, "", err
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

// progress writes a one-line progress message to stderr when it is a terminal, so that
// piped output stays clean.
func progress(format string, args ...any) func() {
	if fi, err := os.Stderr.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	fmt.Fprintf(os.Stderr, "\r"+format+"…", args...)
	return func() { fmt.Fprint(os.Stderr, "\r\033[K") }
}
