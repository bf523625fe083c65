// Command manager runs the crm-privacy-operator controllers.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/operatorkey"
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
	leaseDuration        time.Duration
	renewDeadline        time.Duration
	retryPeriod          time.Duration
	namespaces           string
	syncPeriod           time.Duration
	concurrency          int
	recheckInterval      time.Duration
	enableHTTP2          bool
	gracefulShutdownTime time.Duration
	registerHistoryLimit int
	operatorKeySecret    string
	operatorNamespace    string
	allowedDBHosts       string
	findingsExportTTL    time.Duration
	policyReports        bool
}

func parseFlags() (flags, zap.Options) {
	var f flags
	flag.StringVar(&f.metricsAddr, "metrics-bind-address", ":8443",
		"Address the metrics endpoint binds to (HTTPS, authenticated and authorised through the API server). Use :8080 with --metrics-secure=false for plain HTTP, 0 to disable.")
	flag.BoolVar(&f.secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorisation.")
	flag.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "Address the liveness (/healthz) and readiness (/readyz) probes bind to.")
	flag.BoolVar(&f.leaderElect, "leader-elect", false, "Elect a leader so that only one manager acts at a time (on in the Helm chart).")
	flag.StringVar(&f.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader-election Lease (default: the manager's own namespace).")
	flag.DurationVar(&f.leaseDuration, "leader-election-lease-duration", 15*time.Second,
		"How long the other managers wait, after the leader last renewed its Lease, before one of them takes over: the longest pause in erasures when a leader dies without releasing the Lease.")
	flag.DurationVar(&f.renewDeadline, "leader-election-renew-deadline", 10*time.Second,
		"How long the leader keeps trying to renew its Lease before it stops acting and exits; must be shorter than --leader-election-lease-duration.")
	flag.DurationVar(&f.retryPeriod, "leader-election-retry-period", 2*time.Second,
		"How often the managers try to take or renew the Lease; must be shorter than --leader-election-renew-deadline.")
	flag.StringVar(&f.namespaces, "namespaces", "", "Comma-separated namespaces to watch (default: all namespaces).")
	flag.DurationVar(&f.syncPeriod, "sync-period", 10*time.Hour, "How often every watched object is reconciled even without change.")
	flag.IntVar(&f.concurrency, "max-concurrent-reconciles", 2, "Objects reconciled in parallel by each controller.")
	flag.DurationVar(&f.recheckInterval, "recheck-interval", controllers.DefaultRecheckInterval, "How often databases, schemas and grants are re-checked (a stopped database is noticed within this time).")
	flag.IntVar(&f.registerHistoryLimit, "register-history-limit", 0, "How many RegisterRevisions to keep; 0 keeps every one (the register's full history).")
	flag.BoolVar(&f.enableHTTP2, "enable-http2", false, "Allow HTTP/2 on the metrics server (off by default: CVE-2023-44487 and CVE-2023-39325).")
	flag.DurationVar(&f.gracefulShutdownTime, "graceful-shutdown-timeout", 60*time.Second, "How long running reconciles (a sweep batch in flight) get to finish on shutdown.")
	flag.StringVar(&f.allowedDBHosts, "allowed-database-hosts", "",
		"Comma-separated host names, *.domain wildcards, IP addresses and CIDR blocks the operator may connect to as CRM databases (default: any). Checked on the resolved address at each connection.")
	flag.DurationVar(&f.findingsExportTTL, "findings-export-retention", controllers.DefaultFindingsExportRetention,
		"How long the Secret of a ProcessingActivity's findings export (kubectl gdpr scan --export) lives before the operator deletes it; between 1m and 720h.")
	opts := zap.Options{Development: false}
	flag.StringVar(&f.operatorKeySecret, "operator-key-secret", "crm-privacy-operator-key",
		"Secret, in the manager's namespace, holding the operator's own key (created with random bytes at the first start): it authenticates the rows the operator keeps in CRM databases.")
	flag.StringVar(&f.operatorNamespace, "operator-namespace", "",
		"The manager's own namespace, where the operator key Secret lives (default: the pod's namespace, else $POD_NAMESPACE, else default).")
	flag.BoolVar(&f.policyReports, "policy-reports", false,
		"Also write each ProcessingActivity's compliance findings (counts only) as a PolicyReport (wgpolicyk8s.io/v1alpha2) while that API is installed.")
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	return f, opts
}

func main() {
	f, zapOpts := parseFlags()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")
	if err := f.validate(); err != nil {
		log.Error(err, "Invalid flags")
		os.Exit(2)
	}

	allowedHosts, err := crm.ParseHostAllowList(f.allowedDBHosts)
	if err != nil {
		log.Error(err, "Invalid flags")
		os.Exit(2)
	}

	restCfg := ctrl.GetConfigOrDie()
	mgr, err := ctrl.NewManager(restCfg, managerOptions(f))
	if err != nil {
		log.Error(err, "Unable to create the manager")
		os.Exit(1)
	}
	key, err := loadOperatorKey(restCfg, f)
	if err != nil {
		log.Error(err, "Unable to load the operator key")
		os.Exit(1)
	}
	if err := controllers.SetupWithManager(mgr, controllers.Options{
		MaxConcurrentReconciles: f.concurrency,
		RecheckInterval:         f.recheckInterval,
		RegisterHistoryLimit:    f.registerHistoryLimit,
		OperatorKey:             key,
		AllowedDatabaseHosts:    allowedHosts,
		FindingsExportRetention: f.findingsExportTTL,
		PolicyReports:           f.policyReports,
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
	log.Info("Starting the manager", "namespaces", f.namespaces, "leaderElection", f.leaderElect, "allowedDatabaseHosts", allowedHosts.String())
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "The manager stopped with an error")
		os.Exit(1)
	}
}

// loadOperatorKey reads (or, at the first start, creates) the operator key Secret, with a
// client that reads the API server directly: the manager's cache is not started yet.
func loadOperatorKey(restCfg *rest.Config, f flags) ([]byte, error) {
	c, err := client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("while creating a client for the operator key: %w", err)
	}
	ns := f.operatorNamespace
	if ns == "" {
		ns = operatorkey.OwnNamespace()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return operatorkey.LoadOrCreate(ctx, c, types.NamespacedName{Namespace: ns, Name: f.operatorKeySecret})
}

// validate checks what the flag package cannot: the leader-election timings work only in
// the order retry period (with its jitter) < renew deadline < lease duration.
func (f flags) validate() error {
	jittered := time.Duration(leaderelection.JitterFactor * float64(f.retryPeriod))
	if f.retryPeriod <= 0 || f.renewDeadline <= jittered || f.leaseDuration <= f.renewDeadline {
		return fmt.Errorf("leader election needs 0 < %.1f × --leader-election-retry-period (%s) < --leader-election-renew-deadline (%s) < --leader-election-lease-duration (%s)",
			leaderelection.JitterFactor, f.retryPeriod, f.renewDeadline, f.leaseDuration)
	}
	return controllers.ValidateFindingsExportRetention(f.findingsExportTTL)
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
	lease, renew, retry := f.leaseDuration, f.renewDeadline, f.retryPeriod
	return ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsOpts,
		HealthProbeBindAddress:  f.probeAddr,
		LeaderElection:          f.leaderElect,
		LeaderElectionID:        "crm-privacy-operator.privacy.crmoperator.io",
		LeaderElectionNamespace: f.leaderElectionNS,
		LeaseDuration:           &lease,
		RenewDeadline:           &renew,
		RetryPeriod:             &retry,
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
