package main

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenDeps are packages the plugin must not link: it reads the cluster only, never a
// CRM database, so no SQL driver nor database/sql (database/sql/driver, a package of
// interfaces that ID libraries implement, links no driver), and it shares the operator's
// rules through internal/gdpr and internal/apimapping, not through the controllers or the
// CRM layer that holds the drivers (its driver-free internal/crm/mapping is fine). An
// entry ending in "/" forbids the package and everything under it; others, the package.
var forbiddenDeps = []string{
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers/",
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm",
	"github.com/jackc/pgx/",
	"github.com/go-sql-driver/mysql/",
	"github.com/lib/pq/",
	"modernc.org/sqlite/",
	"database/sql",
}

// TestPluginLinksNoDriverNorControllers lists the plugin's dependencies with the go tool.
func TestPluginLinksNoDriverNorControllers(t *testing.T) {
	// go test puts its own GOROOT/bin first on the PATH of the test binary.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/kubectl-gdpr: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), deps)
	}
	for _, bad := range linkedForbidden(deps) {
		t.Errorf("kubectl gdpr links %s", bad)
	}
}

func linkedForbidden(deps []string) []string {
	var out []string
	for _, d := range deps {
		for _, f := range forbiddenDeps {
			tree, isTree := strings.CutSuffix(f, "/")
			if d == f || (isTree && (d == tree || strings.HasPrefix(d, f))) {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

func TestLinkedForbidden(t *testing.T) {
	deps := []string{
		"fmt", "database/sql/driver", "github.com/jackc/pgx/v5/pgconn", "github.com/jackc/pgxpool", "github.com/go-sql-driver/mysql",
		"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm",
		"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping",
		"github.com/crm-privacy-operator/crm-privacy-operator/internal/crmx",
		"github.com/crm-privacy-operator/crm-privacy-operator/controllers",
		"modernc.org/sqlite/lib", "database/sql",
	}
	got := linkedForbidden(deps)
	want := []string{
		"github.com/jackc/pgx/v5/pgconn", "github.com/go-sql-driver/mysql",
		"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm",
		"github.com/crm-privacy-operator/crm-privacy-operator/controllers",
		"modernc.org/sqlite/lib", "database/sql",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("linkedForbidden = %q, want %q", got, want)
	}
}
