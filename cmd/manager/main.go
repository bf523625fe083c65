// Command manager runs the crm-privacy-operator controllers.
package main

import (
	"crypto/tls"
	"flag"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
)

var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(privacyv1alpha1.AddToScheme(scheme))
}

// flags are the manager's command-line settings.
type flags struct {
	metricsAddr          string
	secureMetrics        bool
	probeAddr            string
	leaderElect          bool
	leaderElectionNS     string
	namespaces           string
	syncPeriod           time.Duration
	concurrency          int
	recheckInterval      time.Duration
	enableHTTP2          bool
	gracefulShutdownTime time.Duration
	registerHistoryLimit int
}

func parseFlags() (flags, zap.Options) {
	var f flags
	flag.StringVar(&f.metricsAddr, "metrics-bind-address", ":8443",
		"Address the metrics endpoint binds to (HTTPS, authenticated and authorised through the API server). Use :8080 with --metrics-secure=false for plain HTTP, 0 to disable.")
	flag.BoolVar(&f.secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorisation.")
	flag.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "Address the liveness (/healthz) and readiness (/readyz) probes bind to.")
	flag.BoolVar(&f.leaderElect, "leader-elect", false, "Elect a leader so that only one manager acts at a time (on in the Helm chart).")
	flag.StringVar(&f.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader-election Lease (default: the manager's own namespace).")
	flag.StringVar(&f.namespaces, "namespaces", "", "Comma-separated namespaces to watch (default: all namespaces).")
	flag.DurationVar(&f.syncPeriod, "sync-period", 10*time.Hour, "How often every watched object is reconciled even without change.")
	flag.IntVar(&f.concurrency, "max-concurrent-reconciles", 2, "Objects reconciled in parallel by each controller.")
	flag.DurationVar(&f.recheckInterval, "recheck-interval", controllers.DefaultRecheckInterval, "How often databases, schemas and grants are re-checked (a stopped database is noticed within this time).")
	flag.IntVar(&f.registerHistoryLimit, "register-history-limit", 0, "How many RegisterRevisions to keep; 0 keeps every one (the register's full history).")
	flag.BoolVar(&f.enableHTTP2, "enable-http2", false, "Allow HTTP/2 on the metrics server (off by default: CVE-2023-44487 and CVE-2023-39325).")
	flag.DurationVar(&f.gracefulShutdownTime, "graceful-shutdown-timeout", 60*time.Second, "How long running reconciles (a sweep batch in flight) get to finish on shutdown.")
	opts := zap.Options{Development: false}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	return f, opts
}

func main() {
	f, zapOpts := parseFlags()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), managerOptions(f))
	if err != nil {
		log.Error(err, "Unable to create the manager")
		os.Exit(1)
	}
	if err := controllers.SetupWithManager(mgr, controllers.Options{
		MaxConcurrentReconciles: f.concurrency,
		RecheckInterval:         f.recheckInterval,
		RegisterHistoryLimit:    f.registerHistoryLimit,
	}); err != nil {
		log.Error(err, "Unable to set up the controllers")
		os.Exit(1)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "Unable to set up the health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		log.Error(err, "Unable to set up the readiness check")
		os.Exit(1)
	}
	log.Info("Starting the manager", "namespaces", f.namespaces, "leaderElection", f.leaderElect)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "The manager stopped with an error")
		os.Exit(1)
	}
}

func managerOptions(f flags) ctrl.Options {
	var tlsOpts []func(*tls.Config)
	if !f.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{
		BindAddress:   f.metricsAddr,
		SecureServing: f.secureMetrics,
		TLSOpts:       tlsOpts,
	}
	if f.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	syncPeriod := f.syncPeriod
	cacheOpts := cache.Options{SyncPeriod: &syncPeriod}
	if ns := splitNamespaces(f.namespaces); len(ns) > 0 {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		for _, n := range ns {
			cacheOpts.DefaultNamespaces[n] = cache.Config{}
		}
	}
	shutdown := f.gracefulShutdownTime
	return ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsOpts,
		HealthProbeBindAddress:  f.probeAddr,
		LeaderElection:          f.leaderElect,
		LeaderElectionID:        "crm-privacy-operator.privacy.crmoperator.io",
		LeaderElectionNamespace: f.leaderElectionNS,
		// A new leader may start as soon as the old one stops: its sweeps are finished or
		// rolled back by then (graceful shutdown below).
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &shutdown,
		Cache:                         cacheOpts,
	}
}

func splitNamespaces(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
