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
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
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
//
// A run starts only on the operator's own decision (a due scheduled time, the budget or an
// approval), recorded in status.currentRun before anything is erased. That record, never
// the checkpoint kept in the CRM database, says which run may resume and with which
// cutoffs: a checkpoint naming another run is reported and left alone.
type RetentionPolicyReconciler struct {
	client.Client
	// live reads the policy from the API server rather than the cache: the run record in its
	// status decides what may be erased, so a reconcile must start from the latest one.
	live client.Reader
	env  *Env
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=retentionpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=retentionpolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities,verbs=get;list;watch

func setupRetentionPolicy(env *Env) error {
	mgr := env.Manager
	r := &RetentionPolicyReconciler{Client: mgr.GetClient(), live: mgr.GetAPIReader(), env: env}
	return ctrl.NewControllerManagedBy(mgr).
		Named("retentionpolicy").
		For(&privacyv1alpha1.RetentionPolicy{}, builder.WithPredicates(predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, annotationChanged(privacyv1alpha1.AnnotationRunRequestedAt)))).
		Watches(&privacyv1alpha1.CRMDatabase{}, enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.RetentionPolicyList{}, IndexDatabaseRef),
			builder.WithPredicates(readyChanged{})).
		Watches(&privacyv1alpha1.ProcessingActivity{}, enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.RetentionPolicyList{}, IndexActivityRef),
			builder.WithPredicates(existenceChanged{})).
		// The first check of a database in this process (after a start or a failover) and
		// each change of its connection wake the objects that use it at once.
		WatchesRawSource(source.Channel(env.Connections.Subscribe(), enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.RetentionPolicyList{}, IndexDatabaseRef))).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

// policyPass is the state of one reconcile of one policy.
type policyPass struct {
	p *privacyv1alpha1.RetentionPolicy
	// before is the status as last written to the API server, the base of the next patch.
	before   *privacyv1alpha1.RetentionPolicy
	now      time.Time
	settings policySettings
	specHash string
	decision retention.Decision
	conn     Connection
	counts   []erasure.RuleCount
	result   ctrl.Result
	// unchecked is set when this process has not checked the policy's database yet: the
	// pass writes nothing, and the check wakes the policy (Connections.Subscribe).
	unchecked bool
	// request is a new request for a run outside the schedule, not answered yet.
	request *runRequest
}

func (pp *policyPass) requeueWithin(d time.Duration) { requeueWithin(&pp.result, d, time.Millisecond) }

func (pp *policyPass) condition(condType string, ok bool, reason, format string, args ...any) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	pp.setCondition(condType, status, reason, format, args...)
}

func (pp *policyPass) setCondition(condType string, status metav1.ConditionStatus, reason, format string, args ...any) {
	meta.SetStatusCondition(&pp.p.Status.Conditions, metav1.Condition{Type: condType, Status: status, Reason: reason,
		Message: fmt.Sprintf(format, args...), ObservedGeneration: pp.p.Generation})
}

// warn emits a Warning event for a failure that Ready reports with reason, unless the status
// as last written already reported it: a failure retried with backoff is one event, not
// one per attempt.
func (r *RetentionPolicyReconciler) warn(pp *policyPass, reason, action, format string, args ...any) {
	if prev := meta.FindStatusCondition(pp.before.Status.Conditions, privacyv1alpha1.TypeReady); prev != nil &&
		prev.Status != metav1.ConditionTrue && prev.Reason == reason {
		return
	}
	r.env.Recorder.Eventf(pp.p, nil, corev1.EventTypeWarning, reason, action, format, args...)
}

func retentionStatus(p *privacyv1alpha1.RetentionPolicy) any { return &p.Status }

// Reconcile handles one RetentionPolicy.
func (r *RetentionPolicyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &privacyv1alpha1.RetentionPolicy{}
	if err := r.live.Get(ctx, req.NamespacedName, p); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetPolicy(req.Namespace, req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !p.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	pp := &policyPass{p: p, before: p.DeepCopy(), now: r.env.Clock.Now()}
	err := r.reconcilePolicy(ctx, pp)
	if pp.unchecked {
		return ctrl.Result{}, nil
	}
	if err == nil {
		p.Status.ObservedGeneration = p.Generation
	}
	recordPolicyState(p)
	return endPass(ctx, r.Client, "RetentionPolicy", p, pp.before, retentionStatus, err, pp.result)
}

// persist writes the status now, in the middle of a reconcile: a run is recorded in the
// cluster before its first erasure. A copy is patched so that the spec this pass works
// with stays the one it read.
//
// The write is conditional on the resourceVersion the pass read: a pass working from an
// older object than the one stored records nothing and erases nothing. The observed
// generation is left as it was: the pass has not succeeded yet.
func (r *RetentionPolicyReconciler) persist(ctx context.Context, pp *policyPass) error {
	obj := pp.p.DeepCopy()
	obj.Status.ObservedGeneration = pp.before.Status.ObservedGeneration
	if _, err := writeStatus(ctx, r.Client, obj, pp.before, retentionStatus); err != nil {
		return fmt.Errorf("while recording the run in the status of RetentionPolicy %s: %w", pp.p.Name, err)
	}
	// The status as stored (its times to the second) is the base of the next write.
	pp.p.ResourceVersion = obj.ResourceVersion
	pp.p.Status = *obj.Status.DeepCopy()
	pp.before = pp.p.DeepCopy()
	return nil
}

// reconcilePolicy runs the phases in order: parse, schedule, database, plan, budget, run.
func (r *RetentionPolicyReconciler) reconcilePolicy(ctx context.Context, pp *policyPass) error {
	if !r.parse(pp) {
		return nil
	}
	forgetClosedRuns(pp.p)
	r.schedule(pp)
	r.readRunRequest(pp)
	if ok, err := r.database(ctx, pp); !ok || err != nil {
		return err
	}
	if ok, err := r.plan(ctx, pp); !ok || err != nil {
		return err
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
		r.warn(pp, ce.reason, "Validate", "%s", ce.message)
		return false
	}
	pp.settings = s
	pp.specHash = specHash(pp.p)
	pp.p.Status.SpecHash = pp.specHash
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

// database gets the connection of the policy's CRMDatabase, when it is ready. A database
// this process has not checked yet (after a start or a failover) leaves the status as it
// is: the check wakes the policy. Otherwise the policy waits for its database's Ready to
// change, which wakes it too.
func (r *RetentionPolicyReconciler) database(ctx context.Context, pp *policyPass) (bool, error) {
	key := types.NamespacedName{Namespace: pp.p.Namespace, Name: string(pp.p.Spec.DatabaseRef.Name)}
	conn, err := r.env.Connections.Ready(key)
	if err == nil {
		pp.conn = conn
		return true, nil
	}
	reason, msg := privacyv1alpha1.ReasonDatabaseNotReady, err.Error()
	switch gerr := r.Get(ctx, key, &privacyv1alpha1.CRMDatabase{}); {
	case apierrors.IsNotFound(gerr):
		reason, msg = privacyv1alpha1.ReasonDatabaseNotFound, fmt.Sprintf("CRMDatabase %s not found in namespace %s", key.Name, key.Namespace)
	case gerr != nil:
		return false, fmt.Errorf("while reading CRMDatabase %s: %w", key.Name, gerr)
	default:
		var nr *NotReadyError
		if errors.As(err, &nr) && nr.Unchecked {
			pp.unchecked = true
			return false, nil
		}
	}
	pp.condition(privacyv1alpha1.TypeReady, false, reason, "no erasure while the database cannot be used: %s", msg)
	pp.setCondition(privacyv1alpha1.TypeApproved, metav1.ConditionUnknown, reason, "not checked: the plan cannot be counted while the database cannot be used")
	return false, nil
}

// plan counts what each rule would erase now. A database error is returned, for the
// error backoff.
func (r *RetentionPolicyReconciler) plan(ctx context.Context, pp *policyPass) (bool, error) {
	p := pp.p
	counts, err := erasure.CountPlan(ctx, pp.conn.DB, pp.conn.Mapping, retentionPlan(p, pp.settings, pp.now))
	if err != nil {
		return false, r.planFailed(pp, err)
	}
	total, err := pp.conn.DB.CountContacts(ctx, pp.conn.Mapping)
	if err != nil {
		return false, r.planFailed(pp, err)
	}
	pp.counts = counts
	var pending, held int64
	p.Status.Rules = p.Status.Rules[:0]
	for _, c := range counts {
		pending += c.Pending
		held += c.Held
		p.Status.Rules = append(p.Status.Rules, privacyv1alpha1.RulePending{Name: privacyv1alpha1.ItemName(c.Rule), Pending: c.Pending, Held: c.Held})
		metrics.Pending.WithLabelValues(p.Namespace, p.Name, c.Rule).Set(float64(c.Pending))
	}
	p.Status.Pending, p.Status.Held, p.Status.TotalContacts = &pending, &held, &total
	return true, nil
}

// planFailed reports a plan that could not be counted: an invalid selector (an unmapped
// field) is a spec error, which waits for a spec change; anything else a database error,
// returned for the error backoff.
func (r *RetentionPolicyReconciler) planFailed(pp *policyPass, err error) error {
	reason := privacyv1alpha1.ReasonRunFailed
	var se *crm.SelectorError
	spec := errors.As(err, &se)
	if spec {
		reason = privacyv1alpha1.ReasonInvalidSpec
	}
	pp.condition(privacyv1alpha1.TypeReady, false, reason, "cannot count the plan, nothing is erased: %v", err)
	pp.setCondition(privacyv1alpha1.TypeApproved, metav1.ConditionUnknown, reason, "not checked: the plan cannot be counted")
	r.warn(pp, reason, "Plan", "Cannot count the plan: %v", err)
	if spec {
		return nil
	}
	return fmt.Errorf("while counting the plan of RetentionPolicy %s: %w", pp.p.Name, err)
}

// budget checks the plan of the next run against the safety budget and the approval.
func (r *RetentionPolicyReconciler) budget(pp *policyPass) retention.Verdict {
	if cur := pp.p.Status.CurrentRun; cur != nil && cur.RunID != "" {
		// A run in progress goes on under what it was started with, up to its limit.
		if cur.Approved {
			pp.condition(privacyv1alpha1.TypeApproved, true, privacyv1alpha1.ReasonApprovalCovers, "run %s runs under the approval of its plan, up to %d erasures", cur.RunID, cur.Limit)
		} else {
			pp.condition(privacyv1alpha1.TypeApproved, true, privacyv1alpha1.ReasonReconciled, "run %s runs within its budget of %d erasures", cur.RunID, cur.Limit)
		}
		return retention.Verdict{}
	}
	v := r.check(pp, r.nextSlot(pp))
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

// check checks the current plan as the plan of the run of slot.
func (r *RetentionPolicyReconciler) check(pp *policyPass, slot runSlot) retention.Verdict {
	plan := retention.Plan{RunID: slot.runID(pp.p), SpecHash: pp.specHash, Pending: *pp.p.Status.Pending,
		Total: *pp.p.Status.TotalContacts, Spent: slot.spent}
	return retention.Check(pp.settings.budget, pp.settings.approval, plan)
}

// maybeRun starts, resumes, stops or skips a run, and sets Ready.
func (r *RetentionPolicyReconciler) maybeRun(ctx context.Context, pp *policyPass, v retention.Verdict) error {
	p := pp.p
	cur := p.Status.CurrentRun
	active := cur != nil && cur.RunID != ""
	// A dry run and a suspended policy read nothing of the operator's tables: a login that
	// may only read the CRM's tables runs them.
	switch {
	case isSuspended(p):
		r.answerRunRequest(pp, privacyv1alpha1.RunRequestRefused, "", "the policy is suspended (spec.suspend): no run starts until it is cleared")
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonSuspended, "suspended: %d contact(s) pending", *p.Status.Pending)
		return nil
	case p.Spec.Mode != privacyv1alpha1.ModeEnforce:
		if active {
			if err := r.stopRun(ctx, pp, "the mode was set to DryRun"); err != nil {
				return err
			}
		}
		r.dryRun(pp)
		return nil
	}
	cp, found, err := r.storedCheckpoint(ctx, pp)
	var unverified *crm.UnverifiedRowError
	switch {
	case errors.As(err, &unverified):
		r.checkpointNotRecorded(pp, "the CRM database holds a sweep checkpoint for this policy that does not verify (%s): it was not written by this operator and is not acted on; nothing is erased until it is removed",
			unverified.Reason)
		return nil
	case err != nil:
		pp.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonRunFailed, "cannot read the sweep checkpoint: %v", err)
		return fmt.Errorf("while reading the sweep checkpoint of RetentionPolicy %s: %w", p.Name, err)
	case found && (!active || cp.RunID != cur.RunID):
		r.checkpointNotRecorded(pp, "the CRM database holds a sweep checkpoint for run %s, which is not the run this policy recorded (%s): it is not acted on; nothing is erased until it is removed",
			cp.RunID, recordedRun(cur))
		return nil
	}
	exists, err := r.activityExists(ctx, p)
	switch {
	case err != nil:
		return err
	case !exists:
		pp.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonActivityNotFound,
			"ProcessingActivity %s not found: no erasure without the activity whose time limit this policy implements", p.Spec.ProcessingActivityRef.Name)
		return nil
	case active:
		r.answerRunRequest(pp, privacyv1alpha1.RunRequestInProgress, cur.RunID, "run %s is in progress and answers the request; no second run starts beside it", cur.RunID)
		return r.resume(ctx, pp, cp, found)
	case !pp.decision.Due && pp.request == nil && !manualRunPending(p):
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonReconciled, "enforcing; %d contact(s) pending for the run at %s",
			*p.Status.Pending, pp.decision.NextAt.UTC().Format(time.RFC3339))
		return nil
	case !v.Allowed:
		r.blockRun(pp, v)
		return nil
	}
	return r.startRun(ctx, pp, r.nextSlot(pp), v)
}

// recordedRun names the recorded run for a message.
func recordedRun(cur *privacyv1alpha1.CurrentRun) string {
	if cur == nil || cur.RunID == "" {
		return "no run in progress"
	}
	return "run " + cur.RunID
}

// forgetClosedRuns drops the records of a scheduled time that has been dealt with since:
// an approval request, or a run stopped on a change, whose scheduled time is not after the
// last one run (a dry run in the meantime, for instance).
func forgetClosedRuns(p *privacyv1alpha1.RetentionPolicy) {
	closed := func(t metav1.Time) bool {
		return p.Status.LastScheduledAt != nil && !t.After(p.Status.LastScheduledAt.Time)
	}
	if a := p.Status.AwaitingApproval; a != nil && closed(a.ScheduledAt) {
		p.Status.AwaitingApproval = nil
	}
	if c := p.Status.CurrentRun; c != nil && c.RunID == "" && closed(c.ScheduledAt) {
		p.Status.CurrentRun = nil
	}
}

// storedCheckpoint returns the sweep checkpoint the database keeps for the policy, if any.
// A checkpoint whose run id names another policy UID was left by an earlier policy of the
// same name: it is dropped (nothing is erased by dropping it).
func (r *RetentionPolicyReconciler) storedCheckpoint(ctx context.Context, pp *policyPass) (erasure.SweepCheckpoint, bool, error) {
	cp, ok, err := erasure.StoredCheckpoint(ctx, pp.conn.DB, policyKey(pp.p))
	if err != nil || !ok {
		return cp, false, err
	}
	if id, err := parseRunID(cp.RunID); err == nil && id.uid != uidPrefix(pp.p) {
		ctrl.LoggerFrom(ctx).Info("Dropping a sweep checkpoint left by an earlier policy of the same name", "run", cp.RunID)
		return cp, false, erasure.FinishSweep(ctx, pp.conn.DB, policyKey(pp.p), cp.RunID)
	}
	return cp, true, nil
}

// checkpointNotRecorded reports a checkpoint that does not match the recorded run. It is
// left as it is: the operator never starts or resumes a run because a row exists.
func (r *RetentionPolicyReconciler) checkpointNotRecorded(pp *policyPass, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	pp.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonCheckpointNotRecorded, "%s", msg)
	r.warn(pp, privacyv1alpha1.ReasonCheckpointNotRecorded, "Run", "%s", msg)
	pp.requeueWithin(r.env.Options.RecheckInterval)
}

// runSlot is the scheduled time a run stands for, and which run of it. A manual run's
// scheduled time is the moment its request was answered.
type runSlot struct {
	scheduledAt time.Time
	attempt     int32
	spent       int64
	trigger     privacyv1alpha1.RunTrigger
}

func (s runSlot) runID(p *privacyv1alpha1.RetentionPolicy) string {
	return newRunID(p, s.scheduledAt, s.attempt)
}

// nextSlot is the run that would start now: the scheduled time of a run that stopped on a
// change, then that of a run waiting for an approval (it keeps its run id, which the
// approval names, however many scheduled times pass meanwhile), then the due scheduled time,
// then the run a request asks for now; when nothing is due, the next scheduled time.
func (r *RetentionPolicyReconciler) nextSlot(pp *policyPass) runSlot {
	st := pp.p.Status
	if c := st.CurrentRun; c != nil && c.RunID == "" {
		return runSlot{scheduledAt: c.ScheduledAt.Time, attempt: c.Attempt + 1, spent: c.Spent, trigger: slotTrigger(c.Trigger)}
	}
	if a := st.AwaitingApproval; a != nil {
		if id, err := parseRunID(a.RunID); err == nil && id.uid == uidPrefix(pp.p) && id.scheduledAt.Equal(a.ScheduledAt.Time) && id.attempt == 1 {
			return runSlot{scheduledAt: a.ScheduledAt.Time, attempt: 1, trigger: slotTrigger(a.Trigger)}
		}
	}
	if pp.decision.Due {
		return runSlot{scheduledAt: pp.decision.ScheduledAt, attempt: 1, trigger: privacyv1alpha1.TriggerSchedule}
	}
	if pp.request != nil {
		return manualSlot(pp)
	}
	return runSlot{scheduledAt: pp.decision.NextAt, attempt: 1, trigger: privacyv1alpha1.TriggerSchedule}
}

// dryRun records, on schedule or on request, what an enforced run would have erased. A dry
// run on request leaves the schedule as it is.
func (r *RetentionPolicyReconciler) dryRun(pp *policyPass) {
	p := pp.p
	if pp.decision.Due || pp.request != nil {
		slot := runSlot{scheduledAt: pp.decision.ScheduledAt, attempt: 1, trigger: privacyv1alpha1.TriggerSchedule}
		if !pp.decision.Due {
			slot = manualSlot(pp)
		}
		at := metav1.NewTime(pp.now)
		rec := privacyv1alpha1.RunRecord{RunID: slot.runID(p), Mode: privacyv1alpha1.ModeDryRun, Trigger: slot.trigger,
			Result: privacyv1alpha1.RunDryRun, StartedAt: &at, FinishedAt: &at, Planned: *p.Status.Pending, Held: ptr.Deref(p.Status.Held, 0),
			Message: fmt.Sprintf("dry run: %d contact(s) would be erased or anonymised", *p.Status.Pending)}
		p.Status.LastRun = &privacyv1alpha1.RetentionRun{RunRecord: rec}
		p.Status.History = appendHistory(p.Status.History, rec)
		if pp.decision.Due {
			scheduled := metav1.NewTime(pp.decision.ScheduledAt)
			p.Status.LastScheduledAt = &scheduled
			forgetClosedRuns(p)
		}
		r.answerRunRequest(pp, privacyv1alpha1.RunRequestDryRun, rec.RunID, "dry run %s: %d contact(s) would be erased or anonymised; nothing was erased (mode DryRun)", rec.RunID, *p.Status.Pending)
		countRunEnd(p, privacyv1alpha1.RunDryRun)
		r.env.Recorder.Eventf(p, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonDryRun, "Run", "Dry run: %d contact(s) would be erased or anonymised", *p.Status.Pending)
	}
	pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonDryRun, "dry run: %d contact(s) would be erased or anonymised now; set mode Enforce to erase", *p.Status.Pending)
}

// blockRun records a due run that the budget stops, and what an approval must name to let
// it go. It stays due: an approval that covers the plan lets it run at once.
func (r *RetentionPolicyReconciler) blockRun(pp *policyPass, v retention.Verdict) {
	p := pp.p
	slot := r.nextSlot(pp)
	runID := slot.runID(p)
	req := &privacyv1alpha1.ApprovalRequest{RunID: runID, ScheduledAt: metav1.NewTime(slot.scheduledAt), SpecHash: pp.specHash,
		Planned: *p.Status.Pending, Limit: v.Limit, Trigger: slot.trigger}
	if old := p.Status.AwaitingApproval; old != nil && old.RunID == runID && old.ScheduledAt.Equal(&req.ScheduledAt) &&
		old.SpecHash == req.SpecHash && old.Planned == req.Planned && old.Limit == req.Limit && slotTrigger(old.Trigger) == req.Trigger {
		req = old
	}
	p.Status.AwaitingApproval = req
	r.answerRunRequest(pp, privacyv1alpha1.RunRequestAwaitingApproval, runID, "run %s erased nothing and waits for an approval: %s", runID, v.Reason)
	if p.Status.LastRun == nil || p.Status.LastRun.RunID != runID {
		at := metav1.NewTime(pp.now)
		rec := privacyv1alpha1.RunRecord{RunID: runID, Mode: privacyv1alpha1.ModeEnforce, Trigger: slot.trigger, Result: privacyv1alpha1.RunBudgetExceeded,
			StartedAt: &at, FinishedAt: &at, Planned: *p.Status.Pending, Message: v.Reason}
		p.Status.LastRun = &privacyv1alpha1.RetentionRun{RunRecord: rec}
		p.Status.History = appendHistory(p.Status.History, rec)
		countRunEnd(p, privacyv1alpha1.RunBudgetExceeded)
		r.env.Recorder.Eventf(p, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonBudgetExceeded, "Run", "Nothing erased: %s", v.Reason)
	}
	// Waiting for a person's approval is the budget doing its job, not a failure to
	// reconcile: Approved=False reports it, Ready stays True (docs/gitops.md).
	pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonBudgetExceeded, "the due run waits for an approval (see the Approved condition): %s", v.Reason)
}

func (r *RetentionPolicyReconciler) activityExists(ctx context.Context, p *privacyv1alpha1.RetentionPolicy) (bool, error) {
	err := r.Get(ctx, types.NamespacedName{Namespace: p.Namespace, Name: string(p.Spec.ProcessingActivityRef.Name)}, &privacyv1alpha1.ProcessingActivity{})
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("while reading ProcessingActivity %s: %w", p.Spec.ProcessingActivityRef.Name, err)
	}
	return true, nil
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
