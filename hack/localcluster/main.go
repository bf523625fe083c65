// Command localcluster runs a local Kubernetes control plane (etcd and kube-apiserver from
// the envtest binaries that hack/envtest.sh builds) with the operator's CRDs installed,
// writes an admin kubeconfig, and runs until interrupted. make demo uses it.
//
//	KUBEBUILDER_ASSETS=$(hack/envtest.sh) go run ./hack/localcluster -write-kubeconfig .demo/kubeconfig
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

func main() {
	kubeconfig := flag.String("write-kubeconfig", ".demo/kubeconfig", "where to write the admin kubeconfig")
	crds := flag.String("crds", "config/crd/bases", "directory of the CRDs to install")
	flag.Parse()
	if err := run(*kubeconfig, *crds); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, crds string) error {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return fmt.Errorf("KUBEBUILDER_ASSETS is not set: run KUBEBUILDER_ASSETS=$(hack/envtest.sh) %s", os.Args[0])
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{crds}, ErrorIfCRDPathMissing: true}
	if _, err := env.Start(); err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	defer func() { _ = env.Stop() }()
	user, err := env.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding the admin user: %w", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("rendering the kubeconfig: %w", err)
	}
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		return err
	}
	fmt.Println("localcluster: ready; kubeconfig", kubeconfig)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	fmt.Println("localcluster: stopping")
	return nil
}
