// Command argocdhealth writes the Argo CD health checks of every kind from
// internal/argocdhealth: config/argocd/health/<group>_<Kind>/health.lua, the argocd-cm
// patch that installs them (config/argocd/argocd-cm-health.yaml) and the same entries as
// values of the argo-cd Helm chart (config/argocd/argo-cd-values.yaml). `make manifests`
// runs it; `make verify` fails when the files are stale.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/argocdhealth"
)

func main() {
	dir := flag.String("dir", "config/argocd", "directory to write the health checks into")
	flag.Parse()
	if err := write(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "argocdhealth:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	for name, content := range argocdhealth.Files() {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
