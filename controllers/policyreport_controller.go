package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// PolicyReportReconciler writes each ProcessingActivity's compliance findings as a
// PolicyReport (wgpolicyk8s.io/v1alpha2) in the activity's namespace, owned by the
// activity, so that policy-report UIs list them beside other policy results
// (--policy-reports). Only while that API is installed: policyReportAPI watches for it.
type PolicyReportReconciler struct {
	client.Client
	api *policyReportAPI
}

// policyReportFieldOwner is the field manager of the operator's server-side applies.
const policyReportFieldOwner = "crm-privacy-operator"

// +kubebuilder:rbac:groups=wgpolicyk8s.io,resources=policyreports,verbs=get;create;patch

func setupPolicyReports(env *Env) error {
	if !env.Options.PolicyReports {
		return nil
	}
	mgr := env.Manager
	dc, err := discovery.NewDiscoveryClientForConfig(mgr.GetConfig())
	if err != nil {
		return fmt.Errorf("creating the discovery client that looks for the PolicyReport API: %w", err)
	}
	api := &policyReportAPI{discovery: dc, reader: mgr.GetClient(), interval: env.Options.RecheckInterval,
		wake: make(chan event.GenericEvent), log: mgr.GetLogger().WithName("policyreport")}
	if err := mgr.Add(api); err != nil {
		return err
	}
	r := &PolicyReportReconciler{Client: mgr.GetClient(), api: api}
	return ctrl.NewControllerManagedBy(mgr).
		Named("policyreport").
		For(&privacyv1alpha1.ProcessingActivity{}).
		WatchesRawSource(source.Channel(api.wake, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

// Reconcile writes one activity's report, with a server-side apply that changes nothing
// when the findings did not change. A deleted activity's report goes with it (owner
// reference).
func (r *PolicyReportReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if !r.api.installed() {
		return ctrl.Result{}, nil
	}
	pa := &privacyv1alpha1.ProcessingActivity{}
	if err := r.Get(ctx, req.NamespacedName, pa); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !pa.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	report := policyReportFor(pa)
	err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(report), client.FieldOwner(policyReportFieldOwner), client.ForceOwnership)
	if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
		// The API went away since it was last seen: wait until it is back.
		r.api.observe(false)
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("while writing PolicyReport %s of ProcessingActivity %s: %w", report.GetName(), pa.Name, err)
	}
	return ctrl.Result{}, nil
}

// policyReportAPI knows whether the PolicyReport API is installed. It asks the API server's
// discovery at start and every interval; when the API appears, it wakes every activity so
// that each gets its report. It logs once when the API is missing, and once each time it
// appears or goes away.
type policyReportAPI struct {
	discovery discovery.DiscoveryInterface
	reader    client.Reader
	interval  time.Duration
	wake      chan event.GenericEvent
	log       logr.Logger

	mu sync.Mutex
	// state is whether the API was found at the last check (nil before the first one).
	state *bool
}

func (a *policyReportAPI) installed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state != nil && *a.state
}

// Start checks for the API until ctx ends (manager.Runnable; only the leader runs it).
func (a *policyReportAPI) Start(ctx context.Context) error {
	wait.UntilWithContext(ctx, a.check, a.interval)
	return nil
}

// check asks discovery whether the API serves policyreports, and wakes every activity
// when it has just appeared.
func (a *policyReportAPI) check(ctx context.Context) {
	found, err := a.lookUp()
	if err != nil {
		a.log.Error(err, "Cannot tell whether the PolicyReport API is installed; trying again", "groupVersion", PolicyReportGVK.GroupVersion().String())
		return
	}
	if a.observe(found) && found {
		a.wakeActivities(ctx)
	}
}

func (a *policyReportAPI) lookUp() (bool, error) {
	list, err := a.discovery.ServerResourcesForGroupVersion(PolicyReportGVK.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, r := range list.APIResources {
		if r.Kind == PolicyReportGVK.Kind {
			return true, nil
		}
	}
	return false, nil
}

// observe records whether the API is installed, logs a change, and reports whether it was
// one.
func (a *policyReportAPI) observe(found bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state != nil && *a.state == found {
		return false
	}
	a.state = &found
	gv := PolicyReportGVK.GroupVersion().String()
	if found {
		a.log.Info("The PolicyReport API is installed: writing the compliance findings of every ProcessingActivity as PolicyReports", "groupVersion", gv)
	} else {
		a.log.Info("The PolicyReport API is not installed: no PolicyReport is written until it is (--policy-reports)", "groupVersion", gv)
	}
	return true
}

// wakeActivities enqueues every activity the manager sees.
func (a *policyReportAPI) wakeActivities(ctx context.Context) {
	var list privacyv1alpha1.ProcessingActivityList
	if err := a.reader.List(ctx, &list); err != nil {
		a.log.Error(err, "Cannot list the ProcessingActivities to write their PolicyReports; they are written at their next change")
		return
	}
	for i := range list.Items {
		select {
		case a.wake <- event.GenericEvent{Object: &list.Items[i]}:
		case <-ctx.Done():
			return
		}
	}
}
