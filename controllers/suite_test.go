package controllers_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// Shared by every test of the package: one control plane and one manager running every
// controller, as in production.
var (
	cfg        *rest.Config
	k8s        client.Client
	testScheme = runtime.NewScheme()
	// testOperatorKey is the manager's operator key: tests that forge the operator's rows
	// in a CRM database compute MACs with other keys, or none.
	testOperatorKey = []byte("test operator key: 0123456789abcdef0123456789abcdef")
)

func TestMain(m *testing.M) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run `make test`, or KUBEBUILDER_ASSETS=$(hack/envtest.sh) go test ./controllers/...")
		os.Exit(1)
	}
	utilruntime.Must(clientgoscheme.AddToScheme(testScheme))
	utilruntime.Must(privacyv1alpha1.AddToScheme(testScheme))
	logf.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(os.Stderr, &capturedLogs)), zap.UseDevMode(true)))

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	var err error
	if cfg, err = env.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped, err := startManager(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the manager:", err)
		_ = env.Stop()
		os.Exit(1)
	}
	testdb.Main(&mainWithTeardown{m: m, teardown: func() {
		cancel()
		<-stopped
		_ = env.Stop()
	}})
}

// mainWithTeardown stops the manager and the control plane after the tests, before
// testdb.Main stops the database servers.
type mainWithTeardown struct {
	m        *testing.M
	teardown func()
}

func (w *mainWithTeardown) Run() int {
	code := w.m.Run()
	w.teardown()
	return code
}

func startManager(ctx context.Context) (<-chan struct{}, error) {
	// Objects labelled drivenLabel are reconciled by the test itself (controllers.DrivenRetention,
	// controllers.Reconcilers), on a clock it sets: the shared manager does not see them, so
	// two controllers never write one status.
	notDriven, err := labels.Parse("!" + drivenLabel)
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  testScheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&privacyv1alpha1.RetentionPolicy{}:              {Label: notDriven},
			&privacyv1alpha1.CRMDatabase{}:                  {Label: notDriven},
			&privacyv1alpha1.ProcessingActivity{}:           {Label: notDriven},
			&privacyv1alpha1.LegitimateInterestAssessment{}: {Label: notDriven},
			&privacyv1alpha1.AccessRole{}:                   {Label: notDriven},
			&privacyv1alpha1.DataBreach{}:                   {Label: notDriven},
			&privacyv1alpha1.DataSubjectRequest{}:           {Label: notDriven},
		}},
	})
	if err != nil {
		return nil, err
	}
	if err := controllers.SetupWithManager(mgr, controllers.Options{
		MaxConcurrentReconciles: 4,
		RecheckInterval:         2 * time.Second,
		OperatorKey:             testOperatorKey,
		// The PolicyReport API is not installed when the manager starts; TestPolicyReports
		// installs it.
		PolicyReports: true,
	}); err != nil {
		return nil, err
	}
	k8s = mgr.GetClient()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager stopped:", err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the manager's cache did not sync")
	}
	return stopped, nil
}

// newNamespace creates a namespace of its own for a test.
func newNamespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{}
	ns.GenerateName = "t-"
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	return ns.Name
}

// eventually polls cond every 100ms until it returns true or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, lastErr)
}
