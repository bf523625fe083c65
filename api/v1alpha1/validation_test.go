package v1alpha1_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	v1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

const (
	crdDir     = "../../config/crd/bases"
	samplesDir = "../../config/samples"
)

var (
	scheme    = runtime.NewScheme()
	k8sClient client.Client
	testEnv   *envtest.Environment
	// kubectl runs the kubectl binary of KUBEBUILDER_ASSETS against the test API server.
	kubectl func(args ...string) (string, error)
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		log.Fatal("KUBEBUILDER_ASSETS is not set: the CRD validation tests need a real kube-apiserver. " +
			"Run `make test` (or KUBEBUILDER_ASSETS=$(hack/envtest.sh) go test ./api/...)")
	}
	logf.SetLogger(logr.Discard())
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		log.Fatal(err)
	}
	if err := v1.AddToScheme(scheme); err != nil {
		log.Fatal(err)
	}

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := testEnv.Start()
	if err != nil {
		log.Fatalf("Starting the test control plane (CRDs from %s): %v", crdDir, err)
	}
	defer func() {
		if err := testEnv.Stop(); err != nil {
			log.Printf("Stopping the test control plane: %v", err)
		}
	}()

	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		log.Printf("Creating the client: %v", err)
		return 1
	}
	admin, err := testEnv.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		log.Printf("Adding the kubectl user: %v", err)
		return 1
	}
	kc, err := admin.Kubectl()
	if err != nil {
		log.Printf("Configuring kubectl: %v", err)
		return 1
	}
	kubectl = func(args ...string) (string, error) {
		stdout, stderr, err := kc.Run(args...)
		out, _ := io.ReadAll(stdout)
		errOut, _ := io.ReadAll(stderr)
		if err != nil {
			return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, errOut)
		}
		return string(out), nil
	}
	return m.Run()
}

// createNamespace creates a namespace for one test and returns its name.
func createNamespace(t *testing.T, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatalf("Creating namespace %s: %v", name, err)
	}
	return name
}

// sampleFiles lists the YAML files of config/samples (not its subdirectories, such as the
// reference CRM schema in config/samples/crm), without the kustomization.
func sampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(samplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "kustomization.yaml" })
	if len(files) == 0 {
		t.Fatalf("no samples in %s", samplesDir)
	}
	return files
}

// decodeAll decodes every document of a multi-document YAML file into typed objects,
// strictly: an unknown or duplicated field is an error, so a typo in a sample cannot hide.
func decodeAll(t *testing.T, path string) []client.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []client.Object
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(probe) == 0 {
			continue // only comments
		}
		obj, gvk, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: decoding a document: %v", path, err)
		}
		cobj, ok := obj.(client.Object)
		if !ok {
			t.Fatalf("%s: %s is not an object", path, gvk)
		}
		objs = append(objs, cobj)
	}
	return objs
}

func TestSamplesApply(t *testing.T) {
	ns := createNamespace(t, "samples")
	kinds := map[string]bool{}
	for _, file := range sampleFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			objs := decodeAll(t, file)
			if len(objs) == 0 {
				t.Fatalf("%s holds no object", file)
			}
			for _, obj := range objs {
				gvk, err := k8sClient.GroupVersionKindFor(obj)
				if err != nil {
					t.Fatal(err)
				}
				namespaced, err := k8sClient.IsObjectNamespaced(obj)
				if err != nil {
					t.Fatal(err)
				}
				if namespaced {
					obj.SetNamespace(ns)
				}
				if err := k8sClient.Create(context.Background(), obj, client.FieldValidation("Strict")); err != nil {
					t.Errorf("%s %s was rejected: %v", gvk.Kind, obj.GetName(), err)
				}
				if gvk.Group == v1.GroupVersion.Group {
					kinds[gvk.Kind] = true
				}
			}
		})
	}
	// Every namespaced kind has a sample; RegisterRevision is written by the operator only
	// and is illustrated in docs/concepts.md instead.
	for _, kind := range []string{"CRMDatabase", "RetentionPolicy", "ProcessingActivity", "LegitimateInterestAssessment", "AccessRole", "DataBreach", "DataSubjectRequest", "ChangePreview"} {
		if !kinds[kind] {
			t.Errorf("no sample of %s in %s", kind, samplesDir)
		}
	}
}

// TestCRMPresetSamplesApply applies the sample CRMDatabase of each preset
// (config/samples/crm/crmdatabase-*.yaml): every one is accepted as written.
func TestCRMPresetSamplesApply(t *testing.T) {
	ns := createNamespace(t, "crm-samples")
	files, err := filepath.Glob(filepath.Join(samplesDir, "crm", "crmdatabase-*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	presets := map[v1.SchemaPreset]bool{}
	for _, file := range files {
		for _, obj := range decodeAll(t, file) {
			obj.SetNamespace(ns)
			if err := k8sClient.Create(context.Background(), obj, client.FieldValidation("Strict")); err != nil {
				t.Errorf("%s: %s was rejected: %v", filepath.Base(file), obj.GetName(), err)
			}
			if db, ok := obj.(*v1.CRMDatabase); ok {
				presets[db.Spec.Preset] = true
			}
		}
	}
	for _, p := range []v1.SchemaPreset{v1.PresetOdoo, v1.PresetDolibarr, v1.PresetEspoCRM, v1.PresetVtiger, v1.PresetSuiteCRM} {
		if !presets[p] {
			t.Errorf("no sample CRMDatabase for preset %s in config/samples/crm", p)
		}
	}
}

// A field of the extension table needs mapping.extension unless the preset has an
// extension table: the CRD's list of such presets agrees with the presets themselves.
func TestExtensionFieldsOnPresets(t *testing.T) {
	ns := createNamespace(t, "preset-ext")
	for _, name := range mapping.Presets() {
		t.Run(name, func(t *testing.T) {
			pm, _ := mapping.Preset(name)
			o := baseCRMDatabase()
			o.Name, o.Namespace = "db-"+name, ns
			o.Spec.Preset = v1.SchemaPreset(name)
			o.Spec.Mapping.Contacts, o.Spec.Mapping.Extension = nil, nil
			err := k8sClient.Create(context.Background(), o)
			if pm.Extension != nil && err != nil {
				t.Errorf("preset %s has an extension table, but an extension field was refused: %v", name, err)
			}
			if pm.Extension == nil && (err == nil || !strings.Contains(err.Error(), "need mapping.extension")) {
				t.Errorf("preset %s has no extension table, but an extension field without mapping.extension gave %v", name, err)
			}
		})
	}
}

func TestSamplesKustomizationListsEverySample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(samplesDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range sampleFiles(t) {
		files = append(files, filepath.Base(f))
	}
	slices.Sort(files)
	slices.Sort(k.Resources)
	if !slices.Equal(files, k.Resources) {
		t.Fatalf("config/samples/kustomization.yaml lists %v, the directory holds %v", k.Resources, files)
	}
}

// TestConceptsRegisterRevisionExample keeps the RegisterRevision shown in docs/concepts.md
// (there is no sample of it: the operator writes them) valid: the API server accepts it and
// its content hash is the SHA-256 of its snapshot, as the page tells readers to check.
func TestConceptsRegisterRevisionExample(t *testing.T) {
	data, err := os.ReadFile("../../docs/concepts.md")
	if err != nil {
		t.Fatal(err)
	}
	var example []byte
	for i, block := range strings.Split(string(data), "```") {
		if i%2 == 1 && strings.HasPrefix(block, "yaml\n") && strings.Contains(block, "kind: RegisterRevision") {
			example = []byte(strings.TrimPrefix(block, "yaml\n"))
		}
	}
	if example == nil {
		t.Fatal("docs/concepts.md shows no RegisterRevision in a yaml block")
	}
	obj, _, err := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer().Decode(example, nil, nil)
	if err != nil {
		t.Fatalf("decoding the example: %v", err)
	}
	rev, ok := obj.(*v1.RegisterRevision)
	if !ok {
		t.Fatalf("the example is a %T", obj)
	}
	sum := sha256.Sum256([]byte(rev.Spec.Snapshot.Data))
	if got := hex.EncodeToString(sum[:]); got != rev.Spec.ContentHash {
		t.Errorf("contentHash %s is not the SHA-256 of the snapshot, %s", rev.Spec.ContentHash, got)
	}
	if err := k8sClient.Create(context.Background(), rev, client.FieldValidation("Strict")); err != nil {
		t.Errorf("the example is rejected: %v", err)
	}
}

// TestKubectlApplySamples applies the samples the way the docs tell users to, and checks
// what kubectl shows of them: the crmprivacy category and the printer columns.
func TestKubectlApplySamples(t *testing.T) {
	ns := createNamespace(t, "kubectl-samples")
	if out, err := kubectl("apply", "-n", ns, "-k", samplesDir); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// RegisterRevisions have no sample (the operator writes them): create one to see its
	// columns.
	if err := create(t, ns, "register-kubectl", baseRegisterRevision()); err != nil {
		t.Fatal(err)
	}
	out, err := kubectl("get", "crmprivacy", "-n", ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"crmdatabase.privacy.crmoperator.io/crm-db", "retentionpolicy.privacy.crmoperator.io/prospects-retention",
		"processingactivity.privacy.crmoperator.io/sales-prospecting", "legitimateinterestassessment.privacy.crmoperator.io/b2b-prospecting",
		"accessrole.privacy.crmoperator.io/sales-team"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get crmprivacy does not list %s:\n%s", want, out)
		}
	}
	for resource, headers := range map[string][]string{
		"crmdb":  {"ENGINE", "VERSION", "CONTACTS", "READY", "AGE", "PRESET"},
		"rp":     {"DATABASE", "MODE", "LAST RUN", "ERASED", "PENDING", "NEXT RUN", "READY", "ACTIVITY"},
		"pa":     {"BASIS", "LIA", "COMPLIANT", "READY", "DPIA"},
		"lia":    {"OUTCOME", "PHASE", "REVIEW BY", "READY"},
		"ar":     {"DATABASE", "ROLE", "MEMBERS", "IN SYNC", "READY", "PURPOSE"},
		"regrev": {"REVISION", "HASH", "CHANGES", "SOURCE"},
	} {
		out, err := kubectl("get", resource, "-n", ns, "-o", "wide")
		if err != nil {
			t.Fatal(err)
		}
		header := strings.SplitN(out, "\n", 2)[0]
		for _, h := range headers {
			if !strings.Contains(header, h) {
				t.Errorf("kubectl get %s -o wide has no %s column: %q", resource, h, header)
			}
		}
	}
	out, err = kubectl("get", "rp", "customers-retention", "-n", ns, "-o", "jsonpath={.spec.mode}")
	if err != nil || out != "DryRun" {
		t.Errorf("customers-retention mode = %q (%v), want the default DryRun", out, err)
	}
}

// TestKubectlExplain checks that kubectl explain documents nested fields.
func TestKubectlExplain(t *testing.T) {
	for path, want := range map[string]string{
		"crmdatabases.spec.mapping.interactions.link":            "many-to-many link table",
		"crmdatabases.spec.connection.secretRef":                 "holds the connection settings",
		"retentionpolicies.spec.rules.retainFor":                 "how long a contact is kept",
		"retentionpolicies.spec.budget.maxDeletionPercent":       "share of the database's contacts",
		"processingactivities.spec.legalBasis":                   "legal basis of the processing",
		"processingactivities.spec.processors.contract":          "Art. 28 contract",
		"legitimateinterestassessments.spec.balancingTest":       "override the legitimate interest",
		"accessroles.spec.members.designation.instructedAt":      "received the instructions",
		"registerrevisions.spec.previousHash":                    "chain hash of the revision before",
		"crmdatabases.status.schemaProblems.field":               "mapping path of the problem",
		"processingactivities.status.compliance.optedOutInScope": "opted out",
	} {
		out, err := kubectl("explain", path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("kubectl explain %s does not say %q:\n%s", path, want, out)
		}
	}
}

// TestKustomizationListsEveryCRD keeps config/crd/kustomization.yaml in step with the
// generated CRDs: a kind generated but not listed is missing from `kubectl apply -k
// config/default` (DataBreach once was).
func TestKustomizationListsEveryCRD(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(crdDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(crdDir, "..", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if want := "bases/" + filepath.Base(f); !slices.Contains(k.Resources, want) {
			t.Errorf("config/crd/kustomization.yaml does not list %s", want)
		}
	}
}

// TestCRDConventions checks, on the generated CRDs, what every kind must have: a status
// subresource, the crmprivacy category, a short name, a Ready printer column reading the
// Ready condition, and a description on every field (what kubectl explain shows).
func TestCRDConventions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(crdDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 9 {
		t.Fatalf("want 9 CRDs in %s, found %d", crdDir, len(files))
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		t.Run(crd.Spec.Names.Kind, func(t *testing.T) {
			if !slices.Contains(crd.Spec.Names.Categories, v1.CategoryName) {
				t.Errorf("categories = %v, want %s", crd.Spec.Names.Categories, v1.CategoryName)
			}
			if len(crd.Spec.Names.ShortNames) == 0 {
				t.Error("no short name")
			}
			if len(crd.Spec.Versions) != 1 {
				t.Fatalf("want one version, got %d", len(crd.Spec.Versions))
			}
			version := crd.Spec.Versions[0]
			if version.Subresources == nil || version.Subresources.Status == nil {
				t.Error("no status subresource")
			}
			ready := false
			for _, c := range version.AdditionalPrinterColumns {
				if c.Name == "Ready" && c.JSONPath == `.status.conditions[?(@.type=="Ready")].status` {
					ready = true
				}
			}
			if !ready {
				t.Error("no Ready printer column reading the Ready condition")
			}
			schema := version.Schema.OpenAPIV3Schema
			for _, top := range []string{"spec", "status"} {
				prop, ok := schema.Properties[top]
				if !ok {
					t.Fatalf("no %s", top)
				}
				for _, p := range undocumented(top, prop) {
					t.Errorf("%s has no description", p)
				}
			}
			status := schema.Properties["status"]
			for _, field := range []string{"conditions", "observedGeneration"} {
				if _, ok := status.Properties[field]; !ok {
					t.Errorf("status has no %s", field)
				}
			}
			conditions := status.Properties["conditions"]
			if conditions.XListType == nil || *conditions.XListType != "map" || !slices.Equal(conditions.XListMapKeys, []string{"type"}) {
				t.Error("status.conditions is not a map list keyed by type")
			}
		})
	}
}

// undocumented lists the paths under prop whose schema has no description.
func undocumented(path string, prop apiextensionsv1.JSONSchemaProps) []string {
	var missing []string
	if strings.TrimSpace(prop.Description) == "" {
		missing = append(missing, path)
	}
	for name, child := range prop.Properties {
		missing = append(missing, undocumented(path+"."+name, child)...)
	}
	if prop.Items != nil && prop.Items.Schema != nil {
		for name, child := range prop.Items.Schema.Properties {
			missing = append(missing, undocumented(path+"[]."+name, child)...)
		}
	}
	return missing
}

// ---- Valid base objects, which the invalid cases below break one field at a time. ----

var (
	t0 = metav1.NewTime(time.Date(2026, 1, 12, 10, 0, 0, 0, time.UTC))
	t1 = metav1.NewTime(time.Date(2027, 1, 12, 10, 0, 0, 0, time.UTC))
)

func baseCRMDatabase() *v1.CRMDatabase {
	return &v1.CRMDatabase{
		ObjectMeta: metav1.ObjectMeta{Name: "crm-db"},
		Spec: v1.CRMDatabaseSpec{
			Engine: v1.EnginePostgres,
			Connection: v1.ConnectionSpec{
				SecretRef: v1.SecretReference{Name: "crm-db-credentials"},
				TLS:       &v1.TLSSpec{Mode: v1.TLSVerifyFull, CASecretRef: &v1.SecretKeySelector{Name: "crm-db-ca", Key: "ca.crt"}},
				Schema:    "crm",
			},
			Mapping: &v1.SchemaMapping{
				Contacts:  &v1.ContactsMapping{Table: "contacts", Key: "id", SoftDeleteColumn: "deleted"},
				Extension: &v1.ExtensionMapping{Table: "contacts_cstm", Key: "id_c"},
				Fields: []v1.FieldMapping{
					{Name: v1.FieldEmail, Column: "email"},
					{Name: v1.FieldContactType, Column: "contact_type_c", Source: v1.SourceExtension},
				},
				Interactions: []v1.InteractionSource{
					{Name: "interactions", Table: "interactions", ContactKey: "contact_id", Time: "occurred_at", Kind: "kind", Direction: "direction"},
					{
						Name: "calls", Table: "calls", Key: "id", Time: "date_start", FixedKind: "call", SoftDeleteColumn: "deleted",
						Link: &v1.InteractionLink{Table: "calls_contacts", InteractionKey: "call_id", ContactKey: "contact_id"},
					},
				},
				Dependents:       []v1.DependentTable{{Table: "notes", Column: "contact_id", Action: v1.DependentDelete}, {Table: "orders", Column: "contact_id", Action: v1.DependentHold}},
				PersonalFields:   []v1.LogicalFieldName{v1.FieldEmail},
				RestrictedFields: []v1.RestrictedField{{Name: v1.FieldBirthDate, Column: "birth_date"}},
			},
			Ledger: &v1.LedgerSpec{HMACKeySecretRef: &v1.SecretKeySelector{Name: "crm-db-ledger-key", Key: "hmac-key"}},
		},
	}
}

func baseRetentionPolicy() *v1.RetentionPolicy {
	return &v1.RetentionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "prospects"},
		Spec: v1.RetentionPolicySpec{
			DatabaseRef:           v1.LocalObjectReference{Name: "crm-db"},
			ProcessingActivityRef: v1.LocalObjectReference{Name: "sales-prospecting"},
			Schedule:              "30 2 * * *",
			TimeZone:              "Europe/Paris",
			Rules: []v1.RetentionRule{{
				Name: "prospects",
				Selector: &v1.ContactSelector{MatchExpressions: []v1.FieldRequirement{
					{Field: v1.FieldLifecycleStage, Operator: v1.SelectorOpIn, Values: []string{"prospect"}},
					{Field: v1.FieldLegalHold, Operator: v1.SelectorOpDoesNotExist},
				}},
				RetainFor: "24m",
				RenewedBy: &v1.RenewalSpec{Kinds: []string{"call"}, Direction: v1.DirectionInbound},
				Action:    v1.ActionDelete,
			}, {
				Name:      "customers",
				RetainFor: "10y",
				Since:     v1.SinceCreated,
				Action:    v1.ActionAnonymize,
				Anonymize: []v1.AnonymizeField{{Field: v1.FieldEmail, Strategy: v1.StrategyNull}, {Field: v1.FieldLastName, Strategy: v1.StrategyHash}},
			}},
			LegalHolds: []v1.LegalHold{{
				Name: "dispute", Reason: "Dispute 2026-014",
				Selector: v1.ContactSelector{MatchExpressions: []v1.FieldRequirement{{Field: v1.FieldCompany, Operator: v1.SelectorOpIn, Values: []string{"Globex"}}}},
			}},
			Budget: &v1.RetentionBudget{MaxDeletionPercent: ptr.To[int32](10), MaxDeletionsPerRun: ptr.To[int64](2000)},
			Approval: &v1.RetentionApproval{ApprovedBy: "dpo@example.com", ApprovedAt: t0, RunID: "20261122T013000Z-0a1b2c3d",
				SpecHash: strings.Repeat("0123456789abcdef", 4), MaxDeletions: 12000},
		},
	}
}

func baseProcessingActivity() *v1.ProcessingActivity {
	return &v1.ProcessingActivity{
		ObjectMeta: metav1.ObjectMeta{Name: "sales-prospecting"},
		Spec: v1.ProcessingActivitySpec{
			Controller:             v1.ControllerParty{Name: "Example Sales SAS", Email: "privacy@example.com"},
			DPO:                    &v1.Party{Name: "DPO", Email: "dpo@example.com"},
			Purposes:               []string{"Prospecting companies"},
			LegalBasis:             v1.LegalBasis{Basis: v1.BasisLegitimateInterests, LegitimateInterestAssessmentRef: &v1.LocalObjectReference{Name: "b2b-prospecting"}},
			DataSubjectCategories:  []string{"B2B prospects"},
			PersonalDataCategories: []string{"Identity"},
			Processors: []v1.Processor{{
				Name: "CRM Hosting GmbH", Role: "Hosting", Country: "DE",
				Contract: &v1.ProcessorContract{SignedAt: t0, ExpiresAt: &t1},
			}},
			Transfers:        []v1.Transfer{{Country: "US", Recipient: "Support desk", Safeguard: v1.SafeguardSCC}},
			DPIA:             &v1.DPIA{Required: true, CriteriaMet: []v1.WP248Criterion{v1.CriterionLargeScale}, Reference: "DPIA-2026-003", CompletedAt: &t0},
			PrivacyNoticeURI: "https://www.example.com/privacy",
			DatabaseRefs:     []v1.LocalObjectReference{{Name: "crm-db"}},
		},
	}
}

func baseLIA() *v1.LegitimateInterestAssessment {
	return &v1.LegitimateInterestAssessment{
		ObjectMeta: metav1.ObjectMeta{Name: "b2b-prospecting"},
		Spec: v1.LegitimateInterestAssessmentSpec{
			PurposeTest:   v1.PurposeTest{Interest: "Prospecting companies"},
			NecessityTest: v1.NecessityTest{HowItHelps: "It is how we sell", Proportionate: true, LessIntrusiveAlternatives: "None"},
			BalancingTest: v1.BalancingTest{
				NatureOfData:           v1.NatureOfData{Description: "Professional contact details"},
				ReasonableExpectations: v1.ReasonableExpectations{Expected: true, Description: "Buyers expect suppliers"},
				LikelyImpact:           v1.LikelyImpact{Level: v1.ImpactLow, Description: "An email"},
				OptOutOffered:          true,
			},
			Scope:    v1.LIAScope{ContactTypes: []v1.ContactType{v1.ContactTypeB2B}, JobRoles: []string{"purchasing"}},
			Decision: &v1.LIADecision{Outcome: v1.OutcomeApproved, DecidedBy: "Head of Sales", DecidedAt: t0, ReviewBy: t1},
		},
	}
}

func baseAccessRole() *v1.AccessRole {
	return &v1.AccessRole{
		ObjectMeta: metav1.ObjectMeta{Name: "sales-team"},
		Spec: v1.AccessRoleSpec{
			DatabaseRef:           v1.LocalObjectReference{Name: "crm-db"},
			RoleName:              "crm_sales",
			ProcessingActivityRef: v1.LocalObjectReference{Name: "sales-prospecting"},
			Grants: []v1.TableGrant{
				{Table: "contacts", Privileges: []v1.Privilege{v1.PrivilegeSelect, v1.PrivilegeUpdate}, Columns: []v1.SQLIdentifier{"id", "email"}},
				{Table: "interactions", Privileges: []v1.Privilege{v1.PrivilegeSelect}},
			},
			RowFilter: &v1.ContactSelector{MatchExpressions: []v1.FieldRequirement{{Field: v1.FieldContactType, Operator: v1.SelectorOpIn, Values: []string{"B2B"}}}},
			Members: []v1.RoleMember{{
				User:              "alice_martin",
				PasswordSecretRef: &v1.SecretKeySelector{Name: "sales-team-passwords", Key: "alice"},
				Designation:       &v1.Designation{DesignatedBy: "Head of Sales", DesignatedAt: t0, InstructedAt: t0, ValidUntil: &t1},
			}},
		},
	}
}

const snapshotData = `{"entries":[],"format":"crm-privacy-register/v1"}`

func baseRegisterRevision() *v1.RegisterRevision {
	sum := sha256.Sum256([]byte(snapshotData))
	return &v1.RegisterRevision{
		ObjectMeta: metav1.ObjectMeta{Name: "register-000001"},
		Spec: v1.RegisterRevisionSpec{
			Revision:    1,
			CreatedAt:   t0,
			ContentHash: hex.EncodeToString(sum[:]),
			ChangeCount: 1,
			Changes:     []v1.RegisterChange{{Kind: "ProcessingActivity", Namespace: "sales", Name: "sales-prospecting", Type: v1.ChangeAdded}},
			Snapshot:    v1.RegisterSnapshot{Encoding: v1.EncodingJSON, Data: snapshotData},
		},
	}
}

// The mutators below return a constructor of a base object with one change applied.

func crmdb(mutate func(*v1.CRMDatabaseSpec)) func() client.Object {
	return func() client.Object { o := baseCRMDatabase(); mutate(&o.Spec); return o }
}

func rp(mutate func(*v1.RetentionPolicySpec)) func() client.Object {
	return func() client.Object { o := baseRetentionPolicy(); mutate(&o.Spec); return o }
}

func pa(mutate func(*v1.ProcessingActivitySpec)) func() client.Object {
	return func() client.Object { o := baseProcessingActivity(); mutate(&o.Spec); return o }
}

func lia(mutate func(*v1.LegitimateInterestAssessmentSpec)) func() client.Object {
	return func() client.Object { o := baseLIA(); mutate(&o.Spec); return o }
}

func ar(mutate func(*v1.AccessRoleSpec)) func() client.Object {
	return func() client.Object { o := baseAccessRole(); mutate(&o.Spec); return o }
}

func regrev(mutate func(*v1.RegisterRevisionSpec)) func() client.Object {
	return func() client.Object { o := baseRegisterRevision(); mutate(&o.Spec); return o }
}

// create creates obj under a fresh name, in ns when the kind is namespaced.
func create(t *testing.T, ns, name string, obj client.Object) error {
	t.Helper()
	obj.SetName(name)
	namespaced, err := k8sClient.IsObjectNamespaced(obj)
	if err != nil {
		t.Fatal(err)
	}
	if namespaced {
		obj.SetNamespace(ns)
	}
	return k8sClient.Create(context.Background(), obj, client.FieldValidation("Strict"))
}

// assertRejected checks that the API server refused the object as invalid, and that its
// message names the offending field (as `<path>: <reason>`) and says want.
func assertRejected(t *testing.T, err error, field, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want a rejection naming %s", field)
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("rejected, but not as invalid: %v", err)
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.Contains(msg, field+": ") {
		t.Errorf("the rejection does not name %s:\n%s", field, msg)
	}
	if want != "" && !strings.Contains(msg, want) {
		t.Errorf("the rejection does not say %q:\n%s", want, msg)
	}
}

func TestBaseObjectsAreValid(t *testing.T) {
	ns := createNamespace(t, "base")
	for _, obj := range []client.Object{baseCRMDatabase(), baseRetentionPolicy(), baseProcessingActivity(), baseLIA(), baseAccessRole(), baseRegisterRevision()} {
		name := obj.GetName()
		if _, ok := obj.(*v1.RegisterRevision); ok {
			name = "register-base"
		}
		if err := create(t, ns, name, obj); err != nil {
			t.Errorf("%T: %v", obj, err)
		}
	}
}

func TestInvalidObjectsAreRejected(t *testing.T) {
	ns := createNamespace(t, "invalid")
	hostile := []string{"contacts; DROP TABLE x", `a"b`, "a`b", "x'--", "1contacts", "contacts.x", strings.Repeat("a", 64), ""}
	longString := strings.Repeat("x", 1<<20+1)

	cases := []struct {
		name  string
		obj   func() client.Object
		field string
		want  string
	}{
		// CRMDatabase: identifiers.
		{"contacts table injection", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Contacts.Table = "contacts; DROP TABLE x" }), "spec.mapping.contacts.table", sqlIdentifierMessage},
		{"contacts key quote", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Contacts.Key = `a"b` }), "spec.mapping.contacts.key", sqlIdentifierMessage},
		{"soft delete column", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Contacts.SoftDeleteColumn = "deleted --" }), "spec.mapping.contacts.softDeleteColumn", sqlIdentifierMessage},
		{"extension table", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Extension.Table = "contacts_cstm;" }), "spec.mapping.extension.table", sqlIdentifierMessage},
		{"extension key", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Extension.Key = "id_c'" }), "spec.mapping.extension.key", sqlIdentifierMessage},
		{"field column", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Fields[0].Column = "email) OR (1=1" }), "spec.mapping.fields[0].column", sqlIdentifierMessage},
		{"field name not camelCase", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Fields[0].Name = "E-mail" }), "spec.mapping.fields[0].name", "should match"},
		{"duplicate field name", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Fields[1].Name = v1.FieldEmail }), "spec.mapping.fields[1]", "Duplicate value"},
		{"field source", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Fields[0].Source = "Notes" }), "spec.mapping.fields[0].source", "Unsupported value"},
		{"interaction table", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[0].Table = "calls`" }), "spec.mapping.interactions[0].table", sqlIdentifierMessage},
		{"interaction contact key", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[0].ContactKey = "contact_id;" }), "spec.mapping.interactions[0].contactKey", sqlIdentifierMessage},
		{"interaction time", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[0].Time = "now()" }), "spec.mapping.interactions[0].time", sqlIdentifierMessage},
		{"interaction kind", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[0].Kind = "kind/**/" }), "spec.mapping.interactions[0].kind", sqlIdentifierMessage},
		{"interaction direction", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[0].Direction = "dir ection" }), "spec.mapping.interactions[0].direction", sqlIdentifierMessage},
		{"link table", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[1].Link.Table = "calls_contacts; --" }), "spec.mapping.interactions[1].link.table", sqlIdentifierMessage},
		{"link contact key", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[1].Link.ContactKey = `contact_id"` }), "spec.mapping.interactions[1].link.contactKey", sqlIdentifierMessage},
		{"link interaction key", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[1].Link.InteractionKey = "1call_id" }), "spec.mapping.interactions[1].link.interactionKey", sqlIdentifierMessage},
		{"interaction soft delete column", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[1].SoftDeleteColumn = "deleted;" }), "spec.mapping.interactions[1].softDeleteColumn", sqlIdentifierMessage},
		{"link soft delete column", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[1].Link.SoftDeleteColumn = "deleted OR 1" }), "spec.mapping.interactions[1].link.softDeleteColumn", sqlIdentifierMessage},
		{"interaction without contact key or link", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[0].ContactKey = "" }), "spec.mapping.interactions[0].contactKey", "contactKey is required"},
		{"interaction with contact key and link", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[1].ContactKey = "contact_id" }), "spec.mapping.interactions[1].contactKey", "link.contactKey"},
		{"link without interaction key", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[1].Key = "" }), "spec.mapping.interactions[1].key", "required with a link table"},
		{"kind and fixedKind", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[0].FixedKind = "call" }), "spec.mapping.interactions[0].fixedKind", "not both"},
		{"interaction name", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[0].Name = "Calls!" }), "spec.mapping.interactions[0].name", "should match"},
		{"soft-delete table without its key", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[1].SoftDeleteTable = "crmentity" }), "spec.mapping.interactions[1].softDeleteKey", "softDeleteTable and softDeleteKey go together"},
		{"soft-delete table without a flag", crmdb(func(s *v1.CRMDatabaseSpec) {
			s.Mapping.Interactions[0].SoftDeleteTable, s.Mapping.Interactions[0].SoftDeleteKey = "crmentity", "crmid"
		}), "spec.mapping.interactions[0].softDeleteTable", "softDeleteTable needs softDeleteColumn"},
		{"interaction related name", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Interactions[0].Related = "Email Addresses" }), "spec.mapping.interactions[0].related", "should match"},
		{"dependent table", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Dependents[0].Table = "notes; DELETE FROM contacts" }), "spec.mapping.dependents[0].table", sqlIdentifierMessage},
		{"dependent column", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Dependents[0].Column = "contact_id=1" }), "spec.mapping.dependents[0].column", sqlIdentifierMessage},
		{"dependent action", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Dependents[0].Action = "Cascade" }), "spec.mapping.dependents[0].action", "Unsupported value"},
		{"restricted column too long", crmdb(func(s *v1.CRMDatabaseSpec) {
			s.Mapping.RestrictedFields[0].Column = v1.SQLIdentifier(strings.Repeat("a", 64))
		}), "spec.mapping.restrictedFields[0].column", sqlIdentifierMessage},
		{"personal field", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.PersonalFields[0] = "first_name" }), "spec.mapping.personalFields[0]", "should match"},
		{"schema", crmdb(func(s *v1.CRMDatabaseSpec) { s.Connection.Schema = "crm; SET ROLE postgres" }), "spec.connection.schema", sqlIdentifierMessage},
		// CRMDatabase: enums, bounds, cross-field rules.
		{"engine", crmdb(func(s *v1.CRMDatabaseSpec) { s.Engine = "oracle" }), "spec.engine", "Unsupported value"},
		{"tls mode", crmdb(func(s *v1.CRMDatabaseSpec) { s.Connection.TLS.Mode = "prefer" }), "spec.connection.tls.mode", "Unsupported value"},
		{"ca with require", crmdb(func(s *v1.CRMDatabaseSpec) { s.Connection.TLS.Mode = v1.TLSRequire }), "spec.connection.tls.caSecretRef", "verify-ca"},
		{"preset", crmdb(func(s *v1.CRMDatabaseSpec) { s.Preset = "salesforce" }), "spec.preset", "Unsupported value"},
		{"extension field without extension", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Extension = nil }), "spec.mapping.extension", "need mapping.extension"},
		// CRMDatabase: matches and related tables.
		{"match value with a quote", crmdb(func(s *v1.CRMDatabaseSpec) {
			s.Mapping.Dependents[0].Match = []v1.ColumnMatch{{Column: "parent_type", Value: "Contact' OR '1"}}
		}), "spec.mapping.dependents[0].match[0].value", "should match"},
		{"match column", crmdb(func(s *v1.CRMDatabaseSpec) {
			s.Mapping.Interactions[0].Match = []v1.ColumnMatch{{Column: "model;", Value: "res.partner"}}
		}), "spec.mapping.interactions[0].match[0].column", sqlIdentifierMessage},
		{"related field without related", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Fields[0].Source = v1.SourceRelated }),
			"spec.mapping.fields[0].related", "related is set exactly when source is Related"},
		{"related field naming no related table", crmdb(func(s *v1.CRMDatabaseSpec) {
			s.Mapping.Fields[0].Source, s.Mapping.Fields[0].Related = v1.SourceRelated, "email-addresses"
		}), "spec.mapping.related", "a field's related must name an entry of mapping.related"},
		{"related with link and contact column", crmdb(func(s *v1.CRMDatabaseSpec) {
			s.Mapping.Related = []v1.RelatedTable{{Name: "emails", Table: "email_address", Key: "id", ContactColumn: "email",
				Link: &v1.RelatedLink{Table: "entity_email_address", ContactKey: "entity_id", RelatedKey: "email_address_id"}}}
		}), "spec.mapping.related[0].contactColumn", "set link.contactKey instead"},
		{"base related with a link", crmdb(func(s *v1.CRMDatabaseSpec) {
			s.Mapping.Related = []v1.RelatedTable{{Name: "crmentity", Table: "vtiger_crmentity", Key: "crmid", Base: true,
				Link: &v1.RelatedLink{Table: "l", ContactKey: "c", RelatedKey: "r"}}}
		}), "spec.mapping.related[0].base", "a base table shares the contact key"},
		{"delete rows matched on another column", crmdb(func(s *v1.CRMDatabaseSpec) {
			s.Mapping.Related = []v1.RelatedTable{{Name: "blacklist", Table: "mail_blacklist", Key: "email", ContactColumn: "email_normalized", Erase: v1.RelatedDelete}}
		}), "spec.mapping.related[0].erase", "rows matched on contactColumn may belong to others"},
		{"soft delete in an unknown related table", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Contacts.SoftDeleteRelated = "crmentity" }),
			"spec.mapping.contacts.softDeleteRelated", "must name an entry of mapping.related"},
		{"max open conns zero", crmdb(func(s *v1.CRMDatabaseSpec) { s.Connection.MaxOpenConns = ptr.To[int32](0) }), "spec.connection.maxOpenConns", "greater than or equal to 2"},
		{"max open conns one", crmdb(func(s *v1.CRMDatabaseSpec) { s.Connection.MaxOpenConns = ptr.To[int32](1) }), "spec.connection.maxOpenConns", "greater than or equal to 2"},
		{"max open conns huge", crmdb(func(s *v1.CRMDatabaseSpec) { s.Connection.MaxOpenConns = ptr.To[int32](10000) }), "spec.connection.maxOpenConns", "less than or equal to 64"},
		{"secret name", crmdb(func(s *v1.CRMDatabaseSpec) { s.Connection.SecretRef.Name = "../crm_db" }), "spec.connection.secretRef.name", "should match"},
		{"ledger key name", crmdb(func(s *v1.CRMDatabaseSpec) { s.Ledger.HMACKeySecretRef.Key = "hmac key" }), "spec.ledger.hmacKeySecretRef.key", "should match"},
		{"no contacts and no preset", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Contacts = nil }), "spec.mapping.contacts", "no preset"},
		{"ledger without key", crmdb(func(s *v1.CRMDatabaseSpec) { s.Ledger = nil }), "spec.ledger.hmacKeySecretRef", "ledger is enabled"},
		{"ledger retention", crmdb(func(s *v1.CRMDatabaseSpec) { s.Ledger.RetainFor = "10Y" }), "spec.ledger.retainFor", "must be a number and a unit d, m or y, such as 24m or 10y"},
		{"extension field without extension", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Extension = nil }), "spec.mapping.extension", "source Extension"},
		{"tls on sqlite", crmdb(func(s *v1.CRMDatabaseSpec) { s.Engine = v1.EngineSQLite; s.Connection.Schema = "" }), "spec.connection.tls", "sqlite"},
		{"schema on mysql", crmdb(func(s *v1.CRMDatabaseSpec) { s.Engine = v1.EngineMySQL }), "spec.connection.schema", "only applies to postgres"},
		{"too many fields", crmdb(func(s *v1.CRMDatabaseSpec) {
			s.Mapping.Fields = nil
			for i := range 65 {
				s.Mapping.Fields = append(s.Mapping.Fields, v1.FieldMapping{Name: v1.LogicalFieldName(fmt.Sprintf("custom%d", i)), Column: "c"})
			}
		}), "spec.mapping.fields", "Too many"},

		// RetentionPolicy.
		{"retainFor unit", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "24w" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"retainFor zero", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "0d" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"retainFor negative", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "-1y" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"retainFor too large", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "100000d" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"schedule with four fields", rp(func(s *v1.RetentionPolicySpec) { s.Schedule = "0 3 * *" }), "spec.schedule", scheduleMessage},
		{"schedule with six fields", rp(func(s *v1.RetentionPolicySpec) { s.Schedule = "0 0 3 * * *" }), "spec.schedule", scheduleMessage},
		{"schedule too long", rp(func(s *v1.RetentionPolicySpec) { s.Schedule = "0 " + strings.Repeat("1,", 60) + "1 * * *" }), "spec.schedule", "Too long"},
		{"schedule every", rp(func(s *v1.RetentionPolicySpec) { s.Schedule = "@every 1h" }), "spec.schedule", scheduleMessage},
		{"approval without run", rp(func(s *v1.RetentionPolicySpec) { s.Approval.RunID = "" }), "spec.approval.runID", "at least 1 chars long"},
		{"approval spec hash", rp(func(s *v1.RetentionPolicySpec) { s.Approval.SpecHash = "latest" }), "spec.approval.specHash", "must be the 64 lowercase hexadecimal digits of status.awaitingApproval.specHash"},
		{"time zone", rp(func(s *v1.RetentionPolicySpec) { s.TimeZone = "Europe/Paris; rm -rf /" }), "spec.timeZone", "should match"},
		{"mode", rp(func(s *v1.RetentionPolicySpec) { s.Mode = "Aggressive" }), "spec.mode", "Unsupported value"},
		{"enforce with zero budget", rp(func(s *v1.RetentionPolicySpec) {
			s.Mode = v1.ModeEnforce
			s.Budget.MaxDeletionPercent = ptr.To[int32](0)
		}), "spec.budget.maxDeletionPercent", "Enforce needs a budget"},
		{"zero absolute cap", rp(func(s *v1.RetentionPolicySpec) { s.Budget.MaxDeletionsPerRun = ptr.To[int64](0) }), "spec.budget.maxDeletionsPerRun", "greater than or equal to 1"},
		{"budget percent above 100", rp(func(s *v1.RetentionPolicySpec) { s.Budget.MaxDeletionPercent = ptr.To[int32](101) }), "spec.budget.maxDeletionPercent", "less than or equal to 100"},
		{"budget percent negative", rp(func(s *v1.RetentionPolicySpec) { s.Budget.MaxDeletionPercent = ptr.To[int32](-1) }), "spec.budget.maxDeletionPercent", "greater than or equal to 0"},
		{"batch size zero", rp(func(s *v1.RetentionPolicySpec) { s.BatchSize = ptr.To[int32](0) }), "spec.batchSize", "greater than or equal to 1"},
		{"batch size negative", rp(func(s *v1.RetentionPolicySpec) { s.BatchSize = ptr.To[int32](-500) }), "spec.batchSize", "greater than or equal to 1"},
		{"batch size too large", rp(func(s *v1.RetentionPolicySpec) { s.BatchSize = ptr.To[int32](10001) }), "spec.batchSize", "less than or equal to 10000"},
		{"approval negative", rp(func(s *v1.RetentionPolicySpec) { s.Approval.MaxDeletions = -1 }), "spec.approval.maxDeletions", "greater than or equal to 1"},
		{"anonymize without fields", rp(func(s *v1.RetentionPolicySpec) { s.Rules[1].Anonymize = nil }), "spec.rules[1].anonymize", "at least one field"},
		{"delete with anonymize fields", rp(func(s *v1.RetentionPolicySpec) {
			s.Rules[0].Anonymize = []v1.AnonymizeField{{Field: v1.FieldEmail, Strategy: v1.StrategyNull}}
		}), "spec.rules[0].anonymize", "only used with action Anonymize"},
		{"anonymize strategy", rp(func(s *v1.RetentionPolicySpec) { s.Rules[1].Anonymize[0].Strategy = "Scramble" }), "spec.rules[1].anonymize[0].strategy", "Unsupported value"},
		{"anonymize field", rp(func(s *v1.RetentionPolicySpec) { s.Rules[1].Anonymize[0].Field = "email = NULL, last_name" }), "spec.rules[1].anonymize[0].field", "should match"},
		{"action", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].Action = "Truncate" }), "spec.rules[0].action", "Unsupported value"},
		{"since", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].Since = "Birth" }), "spec.rules[0].since", "Unsupported value"},
		{"renewedBy with since Created", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].Since = v1.SinceCreated }), "spec.rules[0].renewedBy", "LastContact"},
		{"renewal direction", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RenewedBy.Direction = "Sideways" }), "spec.rules[0].renewedBy.direction", "Unsupported value"},
		{"selector field", rp(func(s *v1.RetentionPolicySpec) {
			s.Rules[0].Selector.MatchExpressions[0].Field = "lifecycle_stage = 'x' OR 1=1"
		}), "spec.rules[0].selector.matchExpressions[0].field", "should match"},
		{"selector operator", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].Selector.MatchExpressions[0].Operator = "Like" }), "spec.rules[0].selector.matchExpressions[0].operator", "Unsupported value"},
		{"In without values", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].Selector.MatchExpressions[0].Values = nil }), "spec.rules[0].selector.matchExpressions[0].values", "at least one value"},
		{"DoesNotExist with values", rp(func(s *v1.RetentionPolicySpec) {
			s.Rules[0].Selector.MatchExpressions[1].Values = []string{"true"}
		}), "spec.rules[0].selector.matchExpressions[1].values", "must be empty"},
		{"rule name", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].Name = "Prospects_2024" }), "spec.rules[0].name", "should match"},
		{"duplicate rule name", rp(func(s *v1.RetentionPolicySpec) { s.Rules[1].Name = "prospects" }), "spec.rules[1]", "Duplicate value"},
		{"no rules", rp(func(s *v1.RetentionPolicySpec) { s.Rules = []v1.RetentionRule{} }), "spec.rules", "at least 1 items"},
		{"too many rules", rp(func(s *v1.RetentionPolicySpec) {
			s.Rules = nil
			for i := range 33 {
				s.Rules = append(s.Rules, v1.RetentionRule{Name: v1.ItemName(fmt.Sprintf("r%d", i)), RetainFor: "1y", Action: v1.ActionDelete})
			}
		}), "spec.rules", "Too many"},
		{"legal hold without reason", rp(func(s *v1.RetentionPolicySpec) { s.LegalHolds[0].Reason = "" }), "spec.legalHolds[0].reason", ""},
		{"database ref", rp(func(s *v1.RetentionPolicySpec) { s.DatabaseRef.Name = "CRM DB" }), "spec.databaseRef.name", "should match"},

		// ProcessingActivity.
		{"legitimate interests without LIA", pa(func(s *v1.ProcessingActivitySpec) { s.LegalBasis.LegitimateInterestAssessmentRef = nil }), "spec.legalBasis.legitimateInterestAssessmentRef", "Required value"},
		{"LIA with consent", pa(func(s *v1.ProcessingActivitySpec) { s.LegalBasis.Basis = v1.BasisConsent }), "spec.legalBasis.legitimateInterestAssessmentRef", "Forbidden"},
		{"legal basis", pa(func(s *v1.ProcessingActivitySpec) { s.LegalBasis.Basis = "LegitimateInterest" }), "spec.legalBasis.basis", "Unsupported value"},
		{"no purposes", pa(func(s *v1.ProcessingActivitySpec) { s.Purposes = []string{} }), "spec.purposes", "at least 1 items"},
		{"purpose too long", pa(func(s *v1.ProcessingActivitySpec) { s.Purposes[0] = strings.Repeat("p", 513) }), "spec.purposes[0]", "Too long"},
		{"data source too long", pa(func(s *v1.ProcessingActivitySpec) { s.DataSources = []string{strings.Repeat("s", 257)} }), "spec.dataSources[0]", "Too long"},
		{"empty data source", pa(func(s *v1.ProcessingActivitySpec) { s.DataSources = []string{""} }), "spec.dataSources[0]", "should be at least 1 chars long"},
		{"too many data sources", pa(func(s *v1.ProcessingActivitySpec) {
			s.DataSources = make([]string, 17)
			for i := range s.DataSources {
				s.DataSources[i] = "source"
			}
		}), "spec.dataSources", "Too many"},
		{"controller without contact", pa(func(s *v1.ProcessingActivitySpec) { s.Controller.Email = "" }), "spec.controller", "at least one of email, phone or address"},
		{"dpo email", pa(func(s *v1.ProcessingActivitySpec) { s.DPO.Email = "dpo at example.com" }), "spec.dpo.email", "should match"},
		{"transfer safeguard", pa(func(s *v1.ProcessingActivitySpec) { s.Transfers[0].Safeguard = "Handshake" }), "spec.transfers[0].safeguard", "Unsupported value"},
		{"derogation without details", pa(func(s *v1.ProcessingActivitySpec) { s.Transfers[0].Safeguard = v1.SafeguardDerogation }), "spec.transfers[0].details", "Art. 49"},
		{"transfer country", pa(func(s *v1.ProcessingActivitySpec) { s.Transfers[0].Country = "us" }), "spec.transfers[0].country", "should match"},
		{"transfer country too long", pa(func(s *v1.ProcessingActivitySpec) { s.Transfers[0].Country = "USA" }), "spec.transfers[0].country", "Too long"},
		{"processor country too long", pa(func(s *v1.ProcessingActivitySpec) { s.Processors[0].Country = "DEU" }), "spec.processors[0].country", "Too long"},
		{"contract expires before signature", pa(func(s *v1.ProcessingActivitySpec) {
			s.Processors[0].Contract.ExpiresAt = &metav1.Time{Time: t0.Add(-time.Hour)}
		}), "spec.processors[0].contract.expiresAt", "after signedAt"},
		{"special category", pa(func(s *v1.ProcessingActivitySpec) {
			s.SpecialCategories = []v1.SpecialCategoryUse{{Category: "Hobbies", Condition: v1.ConditionExplicitConsent}}
		}), "spec.specialCategories[0].category", "Unsupported value"},
		{"wp248 criterion", pa(func(s *v1.ProcessingActivitySpec) { s.DPIA.CriteriaMet = []v1.WP248Criterion{"Scary"} }), "spec.dpia.criteriaMet[0]", "Unsupported value"},
		{"completed DPIA without reference", pa(func(s *v1.ProcessingActivitySpec) { s.DPIA.Reference = "" }), "spec.dpia.reference", "needs its reference"},
		{"privacy notice", pa(func(s *v1.ProcessingActivitySpec) { s.PrivacyNoticeURI = "our website" }), "spec.privacyNoticeURI", "should match"},
		{"database refs", pa(func(s *v1.ProcessingActivitySpec) { s.DatabaseRefs[0].Name = "crm_db" }), "spec.databaseRefs[0].name", "should match"},

		// LegitimateInterestAssessment.
		{"approved LIA for B2C", lia(func(s *v1.LegitimateInterestAssessmentSpec) {
			s.Scope.ContactTypes = []v1.ContactType{v1.ContactTypeB2B, v1.ContactTypeB2C}
		}), "spec.scope.contactTypes", "consumers need consent"},
		{"review before decision", lia(func(s *v1.LegitimateInterestAssessmentSpec) {
			s.Decision.ReviewBy = metav1.NewTime(t0.Add(-24 * time.Hour))
		}), "spec.decision.reviewBy", "after decidedAt"},
		{"outcome", lia(func(s *v1.LegitimateInterestAssessmentSpec) { s.Decision.Outcome = "Maybe" }), "spec.decision.outcome", "Unsupported value"},
		{"contact type", lia(func(s *v1.LegitimateInterestAssessmentSpec) { s.Scope.ContactTypes = []v1.ContactType{"B2G"} }), "spec.scope.contactTypes[0]", "Unsupported value"},
		{"no job roles", lia(func(s *v1.LegitimateInterestAssessmentSpec) { s.Scope.JobRoles = []string{} }), "spec.scope.jobRoles", "at least 1 items"},
		{"impact level", lia(func(s *v1.LegitimateInterestAssessmentSpec) { s.BalancingTest.LikelyImpact.Level = "Negligible" }), "spec.balancingTest.likelyImpact.level", "Unsupported value"},
		{"empty interest", lia(func(s *v1.LegitimateInterestAssessmentSpec) { s.PurposeTest.Interest = "" }), "spec.purposeTest.interest", ""},

		// AccessRole.
		{"role name injection", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "crm_sales; DROP ROLE postgres" }), "spec.roleName", sqlIdentifierMessage},
		{"member user quote", ar(func(s *v1.AccessRoleSpec) { s.Members[0].User = `bob"--` }), "spec.members[0].user", sqlIdentifierMessage},
		{"grant table", ar(func(s *v1.AccessRoleSpec) { s.Grants[0].Table = "contacts x" }), "spec.grants[0].table", sqlIdentifierMessage},
		{"grant column", ar(func(s *v1.AccessRoleSpec) { s.Grants[0].Columns[1] = "email,phone" }), "spec.grants[0].columns[1]", sqlIdentifierMessage},
		{"privilege", ar(func(s *v1.AccessRoleSpec) { s.Grants[0].Privileges[0] = "TRUNCATE" }), "spec.grants[0].privileges[0]", "Unsupported value"},
		{"all privileges", ar(func(s *v1.AccessRoleSpec) { s.Grants[0].Privileges = []v1.Privilege{"ALL"} }), "spec.grants[0].privileges[0]", "Unsupported value"},
		{"no grants", ar(func(s *v1.AccessRoleSpec) { s.Grants = nil }), "spec.grants", "Required value"},
		{"reclaim policy", ar(func(s *v1.AccessRoleSpec) { s.ReclaimPolicy = "Orphan" }), "spec.reclaimPolicy", "Unsupported value"},
		{"designation ends before it starts", ar(func(s *v1.AccessRoleSpec) {
			s.Members[0].Designation.ValidUntil = &metav1.Time{Time: t0.Add(-time.Hour)}
		}), "spec.members[0].designation.validUntil", "after designatedAt"},
		{"designation without instruction", ar(func(s *v1.AccessRoleSpec) { s.Members[0].Designation.InstructedAt = metav1.Time{} }), "spec.members[0].designation.instructedAt", "Required value"},
		{"password secret key", ar(func(s *v1.AccessRoleSpec) { s.Members[0].PasswordSecretRef.Key = "a/b" }), "spec.members[0].passwordSecretRef.key", "should match"},
		{"row filter field", ar(func(s *v1.AccessRoleSpec) { s.RowFilter.MatchExpressions[0].Field = "true) OR (true" }), "spec.rowFilter.matchExpressions[0].field", "should match"},
		// AccessRole trust boundary (issue 14): reserved role and account names, for the
		// role and for members, and the operator's own tables.
		{"role name public", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "public" }), "spec.roleName", "roleName is a reserved role or account name"},
		{"role name PUBLIC", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "PUBLIC" }), "spec.roleName", "roleName is a reserved role or account name"},
		{"role name postgres", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "postgres" }), "spec.roleName", "roleName is a reserved role or account name"},
		{"role name root", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "root" }), "spec.roleName", "roleName is a reserved role or account name"},
		{"role name current_user", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "current_user" }), "spec.roleName", "roleName is a reserved role or account name"},
		{"role name pg_read_all_data", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "pg_read_all_data" }), "spec.roleName", "roleName may not start with pg_"},
		{"role name Pg_monitor", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "Pg_monitor" }), "spec.roleName", "roleName may not start with pg_"},
		{"role name crm_privacy_", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "crm_privacy_role" }), "spec.roleName", "crm_privacy_ (the operator's own objects)"},
		{"member root", ar(func(s *v1.AccessRoleSpec) { s.Members[0].User = "root" }), "spec.members[0].user", "user is a reserved role or account name"},
		{"member postgres", ar(func(s *v1.AccessRoleSpec) { s.Members[0].User = "postgres" }), "spec.members[0].user", "user is a reserved role or account name"},
		{"member none", ar(func(s *v1.AccessRoleSpec) { s.Members[0].User = "None" }), "spec.members[0].user", "user is a reserved role or account name"},
		{"member pg_signal_backend", ar(func(s *v1.AccessRoleSpec) { s.Members[0].User = "pg_signal_backend" }), "spec.members[0].user", "user may not start with pg_"},
		{"member crm_privacy_", ar(func(s *v1.AccessRoleSpec) { s.Members[0].User = "crm_privacy_x" }), "spec.members[0].user", "crm_privacy_ (the operator's own objects)"},
		{"member mysql.sys", ar(func(s *v1.AccessRoleSpec) { s.Members[0].User = "mysql.sys" }), "spec.members[0].user", "must be an SQL identifier"},
		{"member mariadb.sys", ar(func(s *v1.AccessRoleSpec) { s.Members[0].User = "mariadb.sys" }), "spec.members[0].user", "must be an SQL identifier"},
		{"grant on the ledger", ar(func(s *v1.AccessRoleSpec) { s.Grants[1].Table = "crm_privacy_erasure_ledger" }), "spec.grants[1].table", "crm_privacy_* tables are the operator's own objects"},
		{"grant on a checkpoint", ar(func(s *v1.AccessRoleSpec) { s.Grants[0].Table = "CRM_PRIVACY_sweep_checkpoint" }), "spec.grants[0].table", "crm_privacy_* tables are the operator's own objects"},
		{"too many members", ar(func(s *v1.AccessRoleSpec) {
			s.Members = nil
			for i := range 65 {
				s.Members = append(s.Members, v1.RoleMember{User: v1.SQLIdentifier(fmt.Sprintf("user_%d", i))})
			}
		}), "spec.members", "Too many"},

		// RegisterRevision.
		{"content hash short", regrev(func(s *v1.RegisterRevisionSpec) { s.ContentHash = "abc" }), "spec.contentHash", ""},
		{"content hash uppercase", regrev(func(s *v1.RegisterRevisionSpec) { s.ContentHash = strings.ToUpper(s.ContentHash) }), "spec.contentHash", "should match"},
		{"content hash not hex", regrev(func(s *v1.RegisterRevisionSpec) { s.ContentHash = strings.Repeat("g", 64) }), "spec.contentHash", "should match"},
		{"previous hash on revision 1", regrev(func(s *v1.RegisterRevisionSpec) { s.PreviousHash = s.ContentHash }), "spec.previousHash", "revision 1 has no previous revision"},
		{"revision 2 without previous hash", regrev(func(s *v1.RegisterRevisionSpec) { s.Revision = 2 }), "spec.previousHash", "required from revision 2"},
		{"previous hash pattern", regrev(func(s *v1.RegisterRevisionSpec) { s.Revision = 2; s.PreviousHash = strings.Repeat("z", 64) }), "spec.previousHash", "should match"},
		{"revision zero", regrev(func(s *v1.RegisterRevisionSpec) { s.Revision = 0 }), "spec.revision", "greater than or equal to 1"},
		{"negative change count", regrev(func(s *v1.RegisterRevisionSpec) { s.ChangeCount = -1 }), "spec.changeCount", "greater than or equal to 0"},
		{"snapshot encoding", regrev(func(s *v1.RegisterRevisionSpec) { s.Snapshot.Encoding = "zip" }), "spec.snapshot.encoding", "Unsupported value"},
		{"snapshot too large", regrev(func(s *v1.RegisterRevisionSpec) { s.Snapshot.Data = longString }), "spec.snapshot.data", "Too long"},
		{"change type", regrev(func(s *v1.RegisterRevisionSpec) { s.Changes[0].Type = "Renamed" }), "spec.changes[0].type", "Unsupported value"},
	}
	for _, h := range hostile {
		cases = append(cases, struct {
			name  string
			obj   func() client.Object
			field string
			want  string
		}{"hostile role name " + fmt.Sprintf("%q", h), ar(func(s *v1.AccessRoleSpec) { s.RoleName = v1.SQLIdentifier(h) }), "spec.roleName", ""})
	}
	if len(cases) < 25 {
		t.Fatalf("only %d invalid cases", len(cases))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := create(t, ns, fmt.Sprintf("invalid-%d", i), tc.obj())
			assertRejected(t, err, tc.field, tc.want)
		})
	}
}

// The messages of values that do not have the expected form: they say the form, never a
// regular expression or a byte count (issue 14, point 12).
const (
	retentionTermMessage = "must be a number and a unit d, m or y, such as 24m or 10y, at most 100 years (100y, 1200m or 36500d)"
	scheduleMessage      = "must be a five-field cron expression (minute hour day-of-month month day-of-week), such as 0 3 * * *, or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually"
	sqlIdentifierMessage = "must be an SQL identifier: a letter or underscore, then letters, digits, underscores or dollar signs, at most 63 characters, such as contacts or first_name"
)

// TestRejectionsSayTheExpectedForm checks that a retention term, a schedule or an SQL
// identifier of the wrong form is refused with one message naming the field and the form
// expected, and nothing else: no regular expression, no "may not be more than N bytes". A
// term too long for
// every engine (9999y) is refused at admission, not at every run.
func TestRejectionsSayTheExpectedForm(t *testing.T) {
	ns := createNamespace(t, "readable")
	cases := []struct {
		name  string
		obj   func() client.Object
		field string
		want  string
	}{
		{"retainFor 9999y", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "9999y" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"retainFor 101y", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "101y" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"retainFor 1201m", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "1201m" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"retainFor 36501d", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "36501d" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"retainFor six bytes", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "10000d" }), "", ""},
		{"retainFor in weeks", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "24w" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"retainFor with a space", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "24 m" }), "spec.rules[0].retainFor", retentionTermMessage},
		{"schedule with four fields", rp(func(s *v1.RetentionPolicySpec) { s.Schedule = "0 3 * *" }), "spec.schedule", scheduleMessage},
		{"schedule descriptor", rp(func(s *v1.RetentionPolicySpec) { s.Schedule = "@every 1h" }), "spec.schedule", scheduleMessage},
		{"schedule short", rp(func(s *v1.RetentionPolicySpec) { s.Schedule = "@" }), "spec.schedule", scheduleMessage},
		{"table injection", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Contacts.Table = "contacts; DROP TABLE x" }), "spec.mapping.contacts.table", sqlIdentifierMessage},
		{"column of 64 characters", crmdb(func(s *v1.CRMDatabaseSpec) { s.Mapping.Contacts.Key = v1.SQLIdentifier(strings.Repeat("a", 64)) }), "spec.mapping.contacts.key", sqlIdentifierMessage},
		{"role starting with a digit", ar(func(s *v1.AccessRoleSpec) { s.RoleName = "1crm" }), "spec.roleName", sqlIdentifierMessage},
		{"grant column list", ar(func(s *v1.AccessRoleSpec) { s.Grants[0].Columns[1] = "email,phone" }), "spec.grants[0].columns[1]", sqlIdentifierMessage},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := create(t, ns, fmt.Sprintf("readable-%d", i), tc.obj())
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			assertRejected(t, err, tc.field, tc.want)
			var status apierrors.APIStatus
			if !errors.As(err, &status) || status.Status().Details == nil {
				t.Fatalf("no details in %v", err)
			}
			var messages []string
			for _, cause := range status.Status().Details.Causes {
				if cause.Field == tc.field {
					messages = append(messages, cause.Message)
				}
			}
			if len(messages) != 1 || !strings.HasPrefix(messages[0], "Invalid value: ") || !strings.HasSuffix(messages[0], ": "+tc.want) {
				t.Errorf("%s: refused with %q; want one message, Invalid value: …: %s", tc.field, messages, tc.want)
			}
		})
	}
}

// TestImmutableFields checks the update rules: what cannot change once created, and that the
// rest of the same objects can still change.
func TestImmutableFields(t *testing.T) {
	ns := createNamespace(t, "immutable")
	ctx := context.Background()
	cases := []struct {
		name   string
		obj    client.Object
		mutate func(client.Object)
		field  string
		want   string
	}{
		{"engine", baseCRMDatabase(), func(o client.Object) {
			db := o.(*v1.CRMDatabase)
			db.Spec.Engine = v1.EngineMySQL
			db.Spec.Connection.Schema = ""
		}, "spec.engine", "engine is immutable"},
		{"role name", baseAccessRole(), func(o client.Object) { o.(*v1.AccessRole).Spec.RoleName = "crm_admin" }, "spec.roleName", "roleName is immutable"},
		{"access role database", baseAccessRole(), func(o client.Object) { o.(*v1.AccessRole).Spec.DatabaseRef.Name = "other-db" }, "spec.databaseRef", "databaseRef is immutable"},
		{"register snapshot", baseRegisterRevision(), func(o client.Object) {
			o.(*v1.RegisterRevision).Spec.Snapshot.Data = `{"entries":[],"format":"forged"}`
		}, "spec", "RegisterRevision is immutable"},
		{"register hash", baseRegisterRevision(), func(o client.Object) {
			o.(*v1.RegisterRevision).Spec.ContentHash = strings.Repeat("0", 64)
		}, "spec", "RegisterRevision is immutable"},
		{"register changes", baseRegisterRevision(), func(o client.Object) {
			o.(*v1.RegisterRevision).Spec.Changes = nil
		}, "spec", "RegisterRevision is immutable"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := create(t, ns, fmt.Sprintf("immutable-%d", i), tc.obj); err != nil {
				t.Fatal(err)
			}
			tc.mutate(tc.obj)
			assertRejected(t, k8sClient.Update(ctx, tc.obj), tc.field, tc.want)
		})
	}

	t.Run("mutable parts", func(t *testing.T) {
		db := baseCRMDatabase()
		if err := create(t, ns, "mutable-db", db); err != nil {
			t.Fatal(err)
		}
		db.Spec.Mapping.Contacts.Table = "people"
		db.Spec.Connection.MaxOpenConns = ptr.To[int32](8)
		if err := k8sClient.Update(ctx, db); err != nil {
			t.Errorf("updating the mapping of a CRMDatabase: %v", err)
		}
		rev := baseRegisterRevision()
		if err := create(t, ns, "register-mutable", rev); err != nil {
			t.Fatal(err)
		}
		rev.Labels = map[string]string{"audited": "2026"}
		if err := k8sClient.Update(ctx, rev); err != nil {
			t.Errorf("labelling a RegisterRevision: %v", err)
		}
		rev.Status.ObservedGeneration = rev.Generation
		rev.Status.Conditions = []metav1.Condition{{
			Type: v1.TypeVerified, Status: metav1.ConditionTrue, Reason: v1.ReasonChainVerified,
			Message: "Hashes check out", LastTransitionTime: t0, ObservedGeneration: rev.Generation,
		}}
		if err := k8sClient.Status().Update(ctx, rev); err != nil {
			t.Errorf("writing the status of a RegisterRevision: %v", err)
		}
	})
}

// minimizeRule clears the private fields of every contact: data minimisation (issue 15,
// point 8).
func minimizeRule() v1.RetentionRule {
	return v1.RetentionRule{Name: "private-fields", Minimize: ptr.To(true), Action: v1.ActionAnonymize,
		Anonymize: []v1.AnonymizeField{{Field: v1.FieldBirthDate, Strategy: v1.StrategyNull}, {Field: "personalPhone", Strategy: v1.StrategyNull}}}
}

// TestMinimizeRules checks the direct form of data minimisation: a rule with minimize and
// no retainFor is accepted after the rules with a term, and every misuse is refused with
// one message naming the field.
func TestMinimizeRules(t *testing.T) {
	ns := createNamespace(t, "minimize")
	withMinimize := func(mutate func(r *v1.RetentionRule, s *v1.RetentionPolicySpec)) func() client.Object {
		return rp(func(s *v1.RetentionPolicySpec) {
			s.Rules = append(s.Rules, minimizeRule())
			mutate(&s.Rules[len(s.Rules)-1], s)
		})
	}
	const (
		requiredMessage = "retainFor is required, unless minimize is true (clear the anonymize fields of every contact the selector matches, now)"
		noTermMessage   = "a minimize rule has no term: it clears the fields of every contact the selector matches, whatever its last contact; remove retainFor or minimize"
		deleteMessage   = "minimize clears fields: it needs action Anonymize; deleting contacts needs a retainFor"
		sinceMessage    = "since and renewedBy do not apply to a minimize rule, which has no term"
		orderMessage    = "minimize rules come after every rule with a retainFor: a contact that a minimize rule selects is never seen by the rules after it"
	)
	cases := []struct {
		name  string
		obj   func() client.Object
		field string
		want  string // the whole message of the field's cause
	}{
		{"minimize rule last", withMinimize(func(*v1.RetentionRule, *v1.RetentionPolicySpec) {}), "", ""},
		{"minimize rule alone, enforced", rp(func(s *v1.RetentionPolicySpec) {
			s.Mode, s.Rules, s.Approval = v1.ModeEnforce, []v1.RetentionRule{minimizeRule()}, nil
		}), "", ""},
		{"no retainFor", rp(func(s *v1.RetentionPolicySpec) { s.Rules[0].RetainFor = "" }), "spec.rules[0].retainFor", "Required value: " + requiredMessage},
		{"minimize false without retainFor", withMinimize(func(r *v1.RetentionRule, _ *v1.RetentionPolicySpec) { r.Minimize = ptr.To(false) }),
			"spec.rules[2].retainFor", "Required value: " + requiredMessage},
		{"minimize with retainFor", withMinimize(func(r *v1.RetentionRule, _ *v1.RetentionPolicySpec) { r.RetainFor = "1d" }),
			"spec.rules[2].retainFor", "Forbidden: " + noTermMessage},
		{"minimize with Delete", withMinimize(func(r *v1.RetentionRule, _ *v1.RetentionPolicySpec) { r.Action, r.Anonymize = v1.ActionDelete, nil }),
			"spec.rules[2].action", "Invalid value: " + deleteMessage},
		{"minimize with renewedBy", withMinimize(func(r *v1.RetentionRule, _ *v1.RetentionPolicySpec) {
			r.RenewedBy = &v1.RenewalSpec{Kinds: []string{"call"}}
		}),
			"spec.rules[2].minimize", "Forbidden: " + sinceMessage},
		{"minimize since Created", withMinimize(func(r *v1.RetentionRule, _ *v1.RetentionPolicySpec) { r.Since = v1.SinceCreated }),
			"spec.rules[2].minimize", "Forbidden: " + sinceMessage},
		{"minimize before a retention rule", withMinimize(func(_ *v1.RetentionRule, s *v1.RetentionPolicySpec) {
			s.Rules[1], s.Rules[2] = s.Rules[2], s.Rules[1]
		}), "spec.rules", "Invalid value: " + orderMessage},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := tc.obj()
			err := create(t, ns, fmt.Sprintf("minimize-%d", i), obj)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				p := obj.(*v1.RetentionPolicy)
				last := p.Spec.Rules[len(p.Spec.Rules)-1]
				if last.Minimize == nil || !*last.Minimize || last.RetainFor != "" {
					t.Errorf("stored minimize rule = %+v; want minimize true and no retainFor", last)
				}
				return
			}
			assertRejected(t, err, tc.field, tc.want)
			var status apierrors.APIStatus
			if !errors.As(err, &status) || status.Status().Details == nil {
				t.Fatalf("no details in %v", err)
			}
			var messages []string
			for _, cause := range status.Status().Details.Causes {
				if cause.Field == tc.field {
					messages = append(messages, cause.Message)
				}
			}
			if len(messages) != 1 || messages[0] != tc.want {
				t.Errorf("%s: refused with %q; want exactly %q", tc.field, messages, tc.want)
			}
		})
	}
}

// TestDefaults checks the defaults the API server fills in: the safe ones only.
func TestDefaults(t *testing.T) {
	ns := createNamespace(t, "defaults")

	policy := &v1.RetentionPolicy{Spec: v1.RetentionPolicySpec{
		DatabaseRef:           v1.LocalObjectReference{Name: "crm-db"},
		ProcessingActivityRef: v1.LocalObjectReference{Name: "sales-prospecting"},
		Schedule:              "@daily",
		Rules:                 []v1.RetentionRule{{Name: "all", RetainFor: "3y", Action: v1.ActionDelete, RenewedBy: &v1.RenewalSpec{}}},
	}}
	if err := create(t, ns, "defaults", policy); err != nil {
		t.Fatal(err)
	}
	if policy.Spec.Mode != v1.ModeDryRun {
		t.Errorf("mode = %q, want DryRun", policy.Spec.Mode)
	}
	if policy.Spec.BatchSize == nil || *policy.Spec.BatchSize != 500 {
		t.Errorf("batchSize = %v, want 500", policy.Spec.BatchSize)
	}
	if policy.Spec.Budget == nil || policy.Spec.Budget.MaxDeletionPercent == nil || *policy.Spec.Budget.MaxDeletionPercent != 10 {
		t.Errorf("budget = %+v, want maxDeletionPercent 10", policy.Spec.Budget)
	}
	if policy.Spec.Budget != nil && policy.Spec.Budget.MaxDeletionsPerRun != nil {
		t.Errorf("maxDeletionsPerRun = %d, want no default", *policy.Spec.Budget.MaxDeletionsPerRun)
	}
	if r := policy.Spec.Rules[0]; r.Since != v1.SinceLastContact || r.RenewedBy.Direction != v1.DirectionAny {
		t.Errorf("rule since = %q, renewedBy.direction = %q; want LastContact and Any", r.Since, r.RenewedBy.Direction)
	}

	role := baseAccessRole()
	if err := create(t, ns, "defaults", role); err != nil {
		t.Fatal(err)
	}
	if role.Spec.ReclaimPolicy != v1.ReclaimRetain {
		t.Errorf("reclaimPolicy = %q, want Retain", role.Spec.ReclaimPolicy)
	}

	db := baseCRMDatabase()
	db.Spec.Ledger.Enabled = nil
	if err := create(t, ns, "defaults", db); err != nil {
		t.Fatal(err)
	}
	if db.Spec.Ledger.Enabled == nil || !*db.Spec.Ledger.Enabled {
		t.Errorf("ledger.enabled = %v, want true", db.Spec.Ledger.Enabled)
	}
	if db.Spec.Connection.MaxOpenConns == nil || *db.Spec.Connection.MaxOpenConns != 4 {
		t.Errorf("maxOpenConns = %v, want 4", db.Spec.Connection.MaxOpenConns)
	}
	if got := db.Spec.Mapping.Fields[0].Source; got != v1.SourceContacts {
		t.Errorf("fields[0].source = %q, want Contacts", got)
	}
	if db.Spec.Preset != "" {
		t.Errorf("preset = %q, want none", db.Spec.Preset)
	}

	// A disabled ledger needs no key, and a preset makes the contacts mapping optional.
	minimal := &v1.CRMDatabase{Spec: v1.CRMDatabaseSpec{
		Engine:     v1.EngineSQLite,
		Connection: v1.ConnectionSpec{SecretRef: v1.SecretReference{Name: "crm-file"}},
		Preset:     v1.PresetGeneric,
		Ledger:     &v1.LedgerSpec{Enabled: ptr.To(false)},
	}}
	if err := create(t, ns, "minimal", minimal); err != nil {
		t.Errorf("a CRMDatabase with a preset and no ledger: %v", err)
	}
}

// TestSampleDatabaseReferencesResolve: every databaseRef and databaseRefs entry of the
// samples names a CRMDatabase the samples define, so that applying config/samples gives
// objects that find their database (the DataBreach sample once named "crm" beside the
// samples' "crm-db" and never counted its contacts).
func TestSampleDatabaseReferencesResolve(t *testing.T) {
	databases := map[string]bool{}
	var refs []string
	for _, f := range sampleFiles(t) {
		for _, obj := range decodeAll(t, f) {
			if _, ok := obj.(*v1.CRMDatabase); ok {
				databases[obj.GetName()] = true
			}
			u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
			if err != nil {
				t.Fatal(err)
			}
			collectDatabaseRefs(u, fmt.Sprintf("%s %s/%s", filepath.Base(f), obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName()), &refs)
		}
	}
	if len(databases) == 0 || len(refs) == 0 {
		t.Fatalf("samples define %d CRMDatabase(s) and %d reference(s); want both", len(databases), len(refs))
	}
	for _, r := range refs {
		at, name, _ := strings.Cut(r, "→")
		if !databases[name] {
			t.Errorf("%s refers to CRMDatabase %q, which no sample defines (samples define %v)", at, name, slices.Sorted(maps.Keys(databases)))
		}
	}
}

// collectDatabaseRefs appends "where→name" for each databaseRef / databaseRefs entry in v.
func collectDatabaseRefs(v any, where string, refs *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			switch k {
			case "databaseRef":
				if m, ok := val.(map[string]any); ok {
					*refs = append(*refs, fmt.Sprintf("%s→%v", where, m["name"]))
				}
			case "databaseRefs":
				if l, ok := val.([]any); ok {
					for _, e := range l {
						if m, ok := e.(map[string]any); ok {
							*refs = append(*refs, fmt.Sprintf("%s→%v", where, m["name"]))
						}
					}
				}
			default:
				collectDatabaseRefs(val, where, refs)
			}
		}
	case []any:
		for _, e := range x {
			collectDatabaseRefs(e, where, refs)
		}
	}
}
