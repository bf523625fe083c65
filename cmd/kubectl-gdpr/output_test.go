package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// outputRows are rows of `kubectl gdpr plan`: two rules of one policy, one of another.
var outputRows = []planRow{
	{Namespace: "sales", Policy: "prospects", Database: "crm", Mode: "Enforce", Rule: "stale", Pending: 3, Approved: "True"},
	{Namespace: "sales", Policy: "prospects", Database: "crm", Mode: "Enforce", Rule: "bounced", Pending: 4, Approved: "True"},
	{Namespace: "marketing", Policy: "events", Database: "crm", Mode: "DryRun", Rule: "-", Approved: "Unknown"},
}

func TestPrintStructuredFormats(t *testing.T) {
	t.Setenv("KUBECTL_KYAML", "")
	templateFile := filepath.Join(t.TempDir(), "pending.jsonpath")
	if err := os.WriteFile(templateFile, []byte(`{range [*]}{.policy}/{.rule}={.pending}{"\n"}{end}`), 0o600); err != nil {
		t.Fatal(err)
	}
	indented, err := json.MarshalIndent(outputRows, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	asYAML, err := yaml.Marshal(outputRows)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		format string
		want   string
	}{
		// The JSON shape is the rows' own: an array, as before cli-runtime, indented as kubectl does.
		{"json", string(indented) + "\n"},
		{"JSON", string(indented) + "\n"},
		{"yaml", string(asYAML)},
		{"jsonpath={[*].policy}", "prospects prospects events"},
		{"jsonpath={[?(@.pending>3)].rule}", "bounced"},
		{"jsonpath={.missing}", ""},
		{"jsonpath-file=" + templateFile, "prospects/stale=3\nprospects/bounced=4\nevents/-=0\n"},
		{"jsonpath-as-json={[*].pending}", "[\n    3,\n    4,\n    0\n]\n"},
		// Each object once, in the rows' order, as kubectl get -o name.
		{"name", "retentionpolicy.privacy.crmoperator.io/prospects\nretentionpolicy.privacy.crmoperator.io/events\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if err := checkOutput(tt.format, tableStructuredOrName...); err != nil {
				t.Fatalf("checkOutput: %v", err)
			}
			var out bytes.Buffer
			if err := printStructured(&out, tt.format, outputRows); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("-o %s (-want +got):\n%s", tt.format, diff)
			}
		})
	}

	// KYAML is YAML: it reads back as the same rows.
	var out bytes.Buffer
	if err := printStructured(&out, "kyaml", outputRows); err != nil {
		t.Fatal(err)
	}
	var back []planRow
	if err := yaml.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("kyaml output is not YAML: %v\n%s", err, out.String())
	}
	if diff := cmp.Diff(outputRows, back); diff != "" {
		t.Errorf("kyaml read back (-want +got):\n%s", diff)
	}
}

func TestPrintStructuredTypedObject(t *testing.T) {
	p := planPolicy("prospects", privacyv1alpha1.ModeEnforce, metav1.ConditionTrue, 3)
	var out bytes.Buffer
	if err := printStructured(&out, "jsonpath={.apiVersion} {.kind} {.metadata.name} {.status.rules[0].pending}", &p); err != nil {
		t.Fatal(err)
	}
	if out.String() != "privacy.crmoperator.io/v1alpha1 RetentionPolicy prospects 3" {
		t.Errorf("jsonpath of a typed object: %q", out.String())
	}
	out.Reset()
	if err := printStructured(&out, outputName, &p); err != nil {
		t.Fatal(err)
	}
	if out.String() != "retentionpolicy.privacy.crmoperator.io/prospects\n" {
		t.Errorf("-o name of a typed object: %q", out.String())
	}
	if p.APIVersion != "" || p.Kind != "" {
		t.Errorf("printing set the caller's TypeMeta: %+v", p.TypeMeta)
	}
}

func TestNameNeedsRowsThatNameObjects(t *testing.T) {
	var out bytes.Buffer
	err := printStructured(&out, outputName, mappingReport{Database: "crm"})
	if err == nil || err.Error() != "-o name is not available here: the output is not a list of objects" {
		t.Errorf("-o name of a report: %v", err)
	}
	err = printStructured(&out, outputName, []changeRow{{Kind: "ProcessingActivity", Name: "x"}})
	if err == nil || err.Error() != "-o name is not available here: a main.changeRow names no object" {
		t.Errorf("-o name of rows that name no object: %v", err)
	}
}

func TestCheckOutput(t *testing.T) {
	t.Setenv("KUBECTL_KYAML", "")
	missing := filepath.Join(t.TempDir(), "missing")
	const all = "table, json, yaml, kyaml, name, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE, jsonpath-file=FILE"
	tests := []struct {
		name    string
		format  string
		allowed []string
		wantErr string
	}{
		{"table", "table", tableStructuredOrName, ""},
		{"yaml", "yaml", tableOrStructured, ""},
		{"kyaml", "kyaml", tableOrStructured, ""},
		{"jsonpath", "jsonpath={.x}", tableOrStructured, ""},
		{"name where rows name objects", "name", tableStructuredOrName, ""},
		{"a command's own format", "markdown", []string{outputTable, "markdown"}, ""},
		{"an unknown format", "xml", tableStructuredOrName, `unknown output format "xml": use one of ` + all},
		{"name where rows name no object", "name", tableOrStructured,
			`unknown output format "name": use one of table, json, yaml, kyaml, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE, jsonpath-file=FILE`},
		{"an empty format", "", tableStructuredOrName, `unknown output format "": use one of ` + all},
		{"json where the command has none", "json", []string{outputTable, "markdown"}, `unknown output format "json": use one of table, markdown`},
		{"a JSONPath that does not parse", "jsonpath={.x", tableOrStructured, "error parsing jsonpath {.x, unclosed action"},
		{"jsonpath without a template", "jsonpath", tableOrStructured, "template format specified but no template given"},
		{"a jsonpath-file that is missing", "jsonpath-file=" + missing, tableOrStructured, "error reading --template " + missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOutput(tt.format, tt.allowed...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkOutput(%q): %v", tt.format, err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("checkOutput(%q) = %v, want %q", tt.format, err, tt.wantErr)
			}
		})
	}
}

func TestOutputUsage(t *testing.T) {
	t.Setenv("KUBECTL_KYAML", "false")
	want := "output format: table, json, yaml, name, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE or jsonpath-file=FILE"
	if got := outputUsage(tableStructuredOrName...); got != want {
		t.Errorf("outputUsage = %q, want %q", got, want)
	}
}

// TestCommandsPrintThroughThePrinters runs commands' own functions with -o jsonpath and -o
// name against objects in a fake cluster.
func TestCommandsPrintThroughThePrinters(t *testing.T) {
	ctx := context.Background()
	c := fakePluginClient(t,
		scannedActivity("newsletter", privacyv1alpha1.DatabaseCompliance{Database: "crm", ScannedAt: &scannedAt, ContactsInScope: n(120), NoLegalBasis: n(3)}),
		scannedActivity("accounts", privacyv1alpha1.DatabaseCompliance{Database: "crm", ScannedAt: &scannedAt, ContactsInScope: n(300), NoLegalBasis: n(0)}))
	var out bytes.Buffer
	_ = runScan(ctx, c, &out, "sales", nil, `jsonpath={range [*]}{.activity}:{.contactsInScope}{"\n"}{end}`, false)
	if out.String() != "accounts:300\nnewsletter:120\n" {
		t.Errorf("scan -o jsonpath:\n%s", out.String())
	}
	out.Reset()
	_ = runScan(ctx, c, &out, "sales", nil, outputName, false)
	if out.String() != "processingactivity.privacy.crmoperator.io/accounts\nprocessingactivity.privacy.crmoperator.io/newsletter\n" {
		t.Errorf("scan -o name:\n%s", out.String())
	}
}

// TestBadOutputFailsBeforeTheCluster runs the root command with a bad -o and a kubeconfig
// that does not exist: the error is about the format, so no command read the cluster.
func TestBadOutputFailsBeforeTheCluster(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-kubeconfig")
	for _, args := range [][]string{
		{"plan", "-o", "xml"},
		{"scan", "-o", "xml"},
		{"lia", "-o", "xml"},
		{"breach", "list", "-o", "xml"},
		{"request", "list", "-o", "xml"},
		{"audit", "access", "--database", "crm", "-o", "xml"},
		{"register", "list", "-o", "xml"},
		{"register", "diff", "1", "2", "-o", "xml"},
		{"mapping", "crm", "-o", "xml"},
		{"mapping", "crm", "-o", "name"},
	} {
		root := newRootCommand()
		root.SetArgs(append(args, "--kubeconfig", missing))
		root.SetOut(&bytes.Buffer{})
		err := root.Execute()
		if err == nil || !strings.HasPrefix(err.Error(), "unknown output format") {
			t.Errorf("kubectl gdpr %s: %v, want an unknown output format", strings.Join(args, " "), err)
		}
	}
}
