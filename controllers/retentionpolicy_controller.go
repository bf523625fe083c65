package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/retention"
)

const (
	// planRefreshInterval is how often the plan (status.pending) is counted again when
	// nothing else happens.
	planRefreshInterval = 5 * time.Minute
	// runSlice is how long one reconcile sweeps before it records its progress in the
	// status and lets other work in; the run goes on at once in the next reconcile.
	runSlice = 15 * time.Second
	// historyLimit is how many runs status.history keeps.
	historyLimit = 10
	// lockRetryDelay is when a policy whose sweep lock another replica holds tries again.
	lockRetryDelay = 30 * time.Second
)

// RetentionPolicyReconciler counts each policy's plan and, in Enforce mode, erases or
// anonymises the selected contacts on schedule, in batches, within the safety budget.
type RetentionPolicyReconciler struct {
	client.Client
	env *Env
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=retentionpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=retentionpolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities,verbs=get;list;watch

func setupRetentionPolicy(env *Env) error {
	mgr := env.Manager
	r := &RetentionPolicyReconciler{Client: mgr.GetClient(), env: env}
	return ctrl.NewControllerManagedBy(mgr).
		Named("retentionpolicy").
		For(&privacyv1alpha1.RetentionPolicy{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&privacyv1alpha1.CRMDatabase{}, enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.RetentionPolicyList{}, IndexDatabaseRef),
			builder.WithPredicates(readyChanged{})).
		Watches(&privacyv1alpha1.ProcessingActivity{}, enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.RetentionPolicyList{}, IndexActivityRef),
			builder.WithPredicates(existenceChanged{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

// policyPass is the state of one reconcile of one policy.
type policyPass struct {
	p        *privacyv1alpha1.RetentionPolicy
	now      time.Time
	settings policySettings
	decision retention.Decision
	conn     Connection
	counts   []crm.RuleCount
	result   ctrl.Result
}

func (pp *policyPass) requeueWithin(d time.Duration) {
	if d <= 0 {
		d = time.Millisecond
	}
	if pp.result.RequeueAfter == 0 || d < pp.result.RequeueAfter {
		pp.result.RequeueAfter = d
	}
}

func (pp *policyPass) condition(condType string, ok bool, reason, format string, args ...any) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&pp.p.Status.Conditions, metav1.Condition{Type: condType, Status: status, Reason: reason,
		Message: fmt.Sprintf(format, args...), ObservedGeneration: pp.p.Generation})
}

// Reconcile handles one RetentionPolicy.
func (r *RetentionPolicyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &privacyv1alpha1.RetentionPolicy{}
	if err := r.Get(ctx, req.NamespacedName, p); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetPolicy(req.Namespace, req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !p.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	before := p.DeepCopy()
	pp := &policyPass{p: p, now: r.env.Clock.Now()}
	err := r.reconcilePolicy(ctx, pp)
	p.Status.ObservedGeneration = p.Generation
	if perr := r.Status().Patch(ctx, p, client.MergeFrom(before)); perr != nil {
		return ctrl.Result{}, errors.Join(err, fmt.Errorf("while updating the status of RetentionPolicy %s: %w", p.Name, perr))
	}
	return pp.result, err
}

// reconcilePolicy runs the phases in order: parse, schedule, database, plan, budget, run.
func (r *RetentionPolicyReconciler) reconcilePolicy(ctx context.Context, pp *policyPass) error {
	if !r.parse(pp) {
		return nil
	}
	r.schedule(pp)
	if !r.database(pp) {
		return nil
	}
	if !r.plan(ctx, pp) {
		return nil
	}
	verdict := r.budget(pp)
	return r.maybeRun(ctx, pp, verdict)
}

// parse validates what the API server cannot; an invalid spec stops everything until it
// is fixed.
func (r *RetentionPolicyReconciler) parse(pp *policyPass) bool {
	s, err := parsePolicy(pp.p)
	if err != nil {
		var ce *conditionError
		errors.As(err, &ce)
		pp.condition(privacyv1alpha1.TypeScheduled, false, ce.reason, "%s", ce.message)
		pp.condition(privacyv1alpha1.TypeReady, false, ce.reason, "%s", ce.message)
		r.env.Recorder.Eventf(pp.p, nil, corev1.EventTypeWarning, ce.reason, "Validate", "%s", ce.message)
		return false
	}
	pp.settings = s
	return true
}

// schedule decides whether a run is due and when the next one is.
func (r *RetentionPolicyReconciler) schedule(pp *policyPass) {
	p := pp.p
	last := p.CreationTimestamp.Time
	if p.Status.LastScheduledAt != nil {
		last = p.Status.LastScheduledAt.Time
	}
	pp.decision = pp.settings.schedule.Decide(last, pp.now)
	next := metav1.NewTime(pp.decision.NextAt)
	p.Status.NextRunAt = &next
	pp.requeueWithin(pp.decision.NextAt.Sub(pp.now))
	pp.requeueWithin(planRefreshInterval)
	switch {
	case isSuspended(p):
		pp.condition(privacyv1alpha1.TypeScheduled, false, privacyv1alpha1.ReasonSuspended, "spec.suspend is true: no run starts until it is cleared")
	default:
		pp.condition(privacyv1alpha1.TypeScheduled, true, privacyv1alpha1.ReasonScheduled, "next run at %s", pp.decision.NextAt.UTC().Format(time.RFC3339))
	}
}

// database gets the connection of the policy's CRMDatabase, when it is ready.
func (r *RetentionPolicyReconciler) database(pp *policyPass) bool {
	key := types.NamespacedName{Namespace: pp.p.Namespace, Name: string(pp.p.Spec.DatabaseRef.Name)}
	conn, err := r.env.Connections.Ready(key)
	if err != nil {
		reason, msg := privacyv1alpha1.ReasonDatabaseNotReady, err.Error()
		if apierrors.IsNotFound(r.Get(context.Background(), key, &privacyv1alpha1.CRMDatabase{})) {
			reason, msg = privacyv1alpha1.ReasonDatabaseNotFound, fmt.Sprintf("CRMDatabase %s not found in namespace %s", key.Name, key.Namespace)
		}
		pp.condition(privacyv1alpha1.TypeReady, false, reason, "no erasure while the database cannot be used: %s", msg)
		pp.requeueWithin(r.env.Options.RecheckInterval)
		return false
	}
	pp.conn = conn
	return true
}

// plan counts what each rule would erase now.
func (r *RetentionPolicyReconciler) plan(ctx context.Context, pp *policyPass) bool {
	p := pp.p
	counts, err := pp.conn.DB.CountPlan(ctx, pp.conn.Mapping, retentionPlan(p, pp.settings, pp.now))
	if err != nil {
		r.planFailed(pp, err)
		return false
	}
	total, err := pp.conn.DB.CountContacts(ctx, pp.conn.Mapping)
	if err != nil {
		r.planFailed(pp, err)
		return false
	}
	pp.counts = counts
	var pending int64
	p.Status.Rules = p.Status.Rules[:0]
	for _, c := range counts {
		pending += c.Pending
		p.Status.Rules = append(p.Status.Rules, privacyv1alpha1.RulePending{Name: privacyv1alpha1.ItemName(c.Rule), Pending: c.Pending})
		metrics.Pending.WithLabelValues(p.Namespace, p.Name, c.Rule).Set(float64(c.Pending))
	}
	p.Status.Pending, p.Status.TotalContacts = &pending, &total
	return true
}

// planFailed reports a plan that could not be counted: an invalid selector (an unmapped
// field) is a spec error; anything else a database error retried with backoff.
func (r *RetentionPolicyReconciler) planFailed(pp *policyPass, err error) {
	reason := privacyv1alpha1.ReasonRunFailed
	var se *crm.SelectorError
	if errors.As(err, &se) {
		reason = privacyv1alpha1.ReasonInvalidSpec
	}
	pp.condition(privacyv1alpha1.TypeReady, false, reason, "cannot count the plan, nothing is erased: %v", err)
	r.env.Recorder.Eventf(pp.p, nil, corev1.EventTypeWarning, reason, "Plan", "Cannot count the plan: %v", err)
	pp.requeueWithin(r.env.Options.RecheckInterval)
}

// budget checks the plan against the safety budget and the approval.
func (r *RetentionPolicyReconciler) budget(pp *policyPass) retention.Verdict {
	v := retention.Check(pp.settings.budget, pp.settings.approval, *pp.p.Status.Pending, *pp.p.Status.TotalContacts)
	switch {
	case !v.Allowed:
		pp.condition(privacyv1alpha1.TypeApproved, false, privacyv1alpha1.ReasonBudgetExceeded, "%s", v.Reason)
	case v.OverBudget:
		pp.condition(privacyv1alpha1.TypeApproved, true, privacyv1alpha1.ReasonApprovalCovers, "%s", v.Reason)
	default:
		pp.condition(privacyv1alpha1.TypeApproved, true, privacyv1alpha1.ReasonReconciled, "%s", v.Reason)
	}
	return v
}

// maybeRun starts, resumes or skips a run, and sets Ready.
func (r *RetentionPolicyReconciler) maybeRun(ctx context.Context, pp *policyPass, v retention.Verdict) error {
	p := pp.p
	stored, inProgress, err := r.storedRun(ctx, pp)
	if err != nil {
		pp.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonRunFailed, "cannot read the sweep checkpoint: %v", err)
		pp.requeueWithin(r.env.Options.RecheckInterval)
		return nil
	}
	switch {
	case isSuspended(p):
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonSuspended, "suspended: %d contact(s) pending", *p.Status.Pending)
		return nil
	case p.Spec.Mode != privacyv1alpha1.ModeEnforce:
		r.dryRun(pp)
		return nil
	case !r.activityExists(ctx, p):
		pp.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonActivityNotFound,
			"ProcessingActivity %s not found: no erasure without the activity whose time limit this policy implements", p.Spec.ProcessingActivityRef.Name)
		return nil
	case inProgress:
		return r.sweep(ctx, pp, stored)
	case !pp.decision.Due:
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonReconciled, "enforcing; %d contact(s) pending for the run at %s",
			*p.Status.Pending, pp.decision.NextAt.UTC().Format(time.RFC3339))
		return nil
	case !v.Allowed:
		r.blockRun(pp, v)
		return nil
	}
	return r.sweep(ctx, pp, crm.SweepCheckpoint{RunID: newRunID(p, pp.decision.ScheduledAt)})
}

// storedRun returns the run in progress of this policy, from the checkpoint the database
// keeps. A checkpoint left by an earlier policy of the same name is dropped.
func (r *RetentionPolicyReconciler) storedRun(ctx context.Context, pp *policyPass) (crm.SweepCheckpoint, bool, error) {
	cp, ok, err := pp.conn.DB.SweepCheckpoint(ctx, policyKey(pp.p))
	if err != nil || !ok {
		return cp, false, err
	}
	if !runBelongsTo(pp.p, cp.RunID) {
		ctrl.LoggerFrom(ctx).Info("Dropping a sweep checkpoint left by an earlier policy of the same name", "run", cp.RunID)
		return cp, false, pp.conn.DB.FinishSweep(ctx, policyKey(pp.p), cp.RunID)
	}
	return cp, true, nil
}

// dryRun records, on schedule, what an enforced run would have erased.
func (r *RetentionPolicyReconciler) dryRun(pp *policyPass) {
	p := pp.p
	if pp.decision.Due {
		at := metav1.NewTime(pp.now)
		rec := privacyv1alpha1.RunRecord{RunID: newRunID(p, pp.decision.ScheduledAt), Mode: privacyv1alpha1.ModeDryRun,
			Result: privacyv1alpha1.RunDryRun, StartedAt: &at, FinishedAt: &at, Planned: *p.Status.Pending,
			Message: fmt.Sprintf("dry run: %d contact(s) would be erased or anonymised", *p.Status.Pending)}
		p.Status.LastRun = &privacyv1alpha1.RetentionRun{RunRecord: rec}
		p.Status.History = appendHistory(p.Status.History, rec)
		scheduled := metav1.NewTime(pp.decision.ScheduledAt)
		p.Status.LastScheduledAt = &scheduled
		r.env.Recorder.Eventf(p, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonDryRun, "Run", "Dry run: %d contact(s) would be erased or anonymised", *p.Status.Pending)
	}
	pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonDryRun, "dry run: %d contact(s) would be erased or anonymised now; set mode Enforce to erase", *p.Status.Pending)
}

// blockRun records a due run that the budget stops. It stays due: an approval that covers
// the plan lets it run at once.
func (r *RetentionPolicyReconciler) blockRun(pp *policyPass, v retention.Verdict) {
	p := pp.p
	runID := newRunID(p, pp.decision.ScheduledAt)
	if p.Status.LastRun == nil || p.Status.LastRun.RunID != runID {
		at := metav1.NewTime(pp.now)
		rec := privacyv1alpha1.RunRecord{RunID: runID, Mode: privacyv1alpha1.ModeEnforce, Result: privacyv1alpha1.RunBudgetExceeded,
			StartedAt: &at, FinishedAt: &at, Planned: *p.Status.Pending, Message: v.Reason}
		p.Status.LastRun = &privacyv1alpha1.RetentionRun{RunRecord: rec}
		p.Status.History = appendHistory(p.Status.History, rec)
		r.env.Recorder.Eventf(p, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonBudgetExceeded, "Run", "Nothing erased: %s", v.Reason)
	}
	pp.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonBudgetExceeded, "the due run waits for an approval: %s", v.Reason)
}

func (r *RetentionPolicyReconciler) activityExists(ctx context.Context, p *privacyv1alpha1.RetentionPolicy) bool {
	err := r.Get(ctx, types.NamespacedName{Namespace: p.Namespace, Name: string(p.Spec.ProcessingActivityRef.Name)}, &privacyv1alpha1.ProcessingActivity{})
	return err == nil
}

func isSuspended(p *privacyv1alpha1.RetentionPolicy) bool {
	return p.Spec.Suspend != nil && *p.Spec.Suspend
}

func appendHistory(h []privacyv1alpha1.RunRecord, rec privacyv1alpha1.RunRecord) []privacyv1alpha1.RunRecord {
	h = append([]privacyv1alpha1.RunRecord{rec}, h...)
	if len(h) > historyLimit {
		h = h[:historyLimit]
	}
	return h
}
