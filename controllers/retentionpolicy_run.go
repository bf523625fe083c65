package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/retention"
)

// startRun records a new run in the cluster — status.currentRun: the scheduled time its
// cutoffs are counted from, the spec hash and rules it starts with, the most it may erase —
// and only then sweeps. Nothing is erased for a run the status does not hold.
func (r *RetentionPolicyReconciler) startRun(ctx context.Context, pp *policyPass, slot runSlot, v retention.Verdict) error {
	p := pp.p
	runID := slot.runID(p)
	started := metav1.NewTime(pp.now)
	cur := &privacyv1alpha1.CurrentRun{RunID: runID, Attempt: slot.attempt, ScheduledAt: metav1.NewTime(slot.scheduledAt),
		StartedAt: &started, Mode: privacyv1alpha1.ModeEnforce, Trigger: slot.trigger, SpecHash: pp.specHash, Limit: v.Cap, Approved: v.Approved, Spent: slot.spent}
	for _, rule := range p.Spec.Rules {
		cur.Rules = append(cur.Rules, rule.Name)
	}
	run := &privacyv1alpha1.RetentionRun{RunRecord: privacyv1alpha1.RunRecord{
		RunID: runID, Mode: privacyv1alpha1.ModeEnforce, Trigger: slot.trigger, StartedAt: &started, Planned: *p.Status.Pending}}
	for _, c := range pp.counts {
		run.Held += c.Held
		run.Rules = append(run.Rules, privacyv1alpha1.RuleRunCounts{Name: privacyv1alpha1.ItemName(c.Rule), Held: c.Held})
	}
	p.Status.CurrentRun, p.Status.LastRun, p.Status.AwaitingApproval, p.Status.Checkpoint = cur, run, nil, nil
	r.answerRunRequest(pp, privacyv1alpha1.RunRequestStarted, runID, "run %s started (trigger %s): %d contact(s) planned, at most %d to erase or anonymise",
		runID, slot.trigger, run.Planned, cur.Limit)
	if err := r.persist(ctx, pp); err != nil {
		return err
	}
	r.env.Recorder.Eventf(p, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonProgressing, "Run",
		"Run %s started (%s): %d contact(s) planned, %d held, at most %d to erase or anonymise", runID, slot.trigger, run.Planned, run.Held, cur.Limit)
	return r.sweep(ctx, pp, cur)
}

// resume goes on with the recorded run, after checking that nothing it was started with
// has changed and that the database's checkpoint is one the run could have written.
func (r *RetentionPolicyReconciler) resume(ctx context.Context, pp *policyPass, cp erasure.SweepCheckpoint, found bool) error {
	p, cur := pp.p, pp.p.Status.CurrentRun
	if why := runChanged(pp, cur); why != "" {
		if err := r.stopRun(ctx, pp, why); err != nil {
			return err
		}
		pp.requeueWithin(time.Millisecond)
		return nil
	}
	if found {
		if why := checkpointOutOfPlace(p, cur, cp); why != "" {
			r.checkpointNotRecorded(pp, "the sweep checkpoint of run %s in the CRM database is not acted on: %s; nothing is erased until it is removed", cur.RunID, why)
			return nil
		}
	}
	if p.Status.LastRun == nil || p.Status.LastRun.RunID != cur.RunID {
		// The status lost the run's figures (an older status was restored): the ledger
		// gives them back as the run goes.
		p.Status.LastRun = &privacyv1alpha1.RetentionRun{RunRecord: privacyv1alpha1.RunRecord{
			RunID: cur.RunID, Mode: privacyv1alpha1.ModeEnforce, Trigger: slotTrigger(cur.Trigger), StartedAt: cur.StartedAt}}
	}
	return r.sweep(ctx, pp, cur)
}

// runChanged says why the recorded run may not go on as it is, or "".
func runChanged(pp *policyPass, cur *privacyv1alpha1.CurrentRun) string {
	p := pp.p
	switch {
	case cur.SpecHash != pp.specHash:
		return "the rules, legal holds, database or budget changed since it started"
	case len(cur.Rules) != len(p.Spec.Rules):
		return "the rules changed since it started"
	case cur.StartedAt == nil || cur.ScheduledAt.After(cur.StartedAt.Time):
		return "its record has no start time before its scheduled time"
	}
	for i, name := range cur.Rules {
		if p.Spec.Rules[i].Name != name {
			return "the rules changed since it started"
		}
	}
	if cur.Approved {
		a := p.Spec.Approval
		if a == nil || a.RunID != cur.RunID || a.SpecHash != cur.SpecHash {
			return "the approval that let it run was withdrawn or changed"
		}
	}
	return ""
}

// checkpointOutOfPlace says why a checkpoint of the recorded run cannot be one the run
// wrote, or "": its rule position must be one of the run's rules (or just past the last),
// and not behind the position the status recorded.
func checkpointOutOfPlace(p *privacyv1alpha1.RetentionPolicy, cur *privacyv1alpha1.CurrentRun, cp erasure.SweepCheckpoint) string {
	if cp.RuleIndex < 0 || cp.RuleIndex > len(cur.Rules) {
		return fmt.Sprintf("its rule position %d is outside the run's %d rule(s)", cp.RuleIndex, len(cur.Rules))
	}
	if sc := p.Status.Checkpoint; sc != nil && sc.RunID == cur.RunID && sc.Rule != "" {
		recorded := slices.Index(cur.Rules, sc.Rule)
		if recorded < 0 {
			return fmt.Sprintf("the status places the run in rule %s, which it was not started with", sc.Rule)
		}
		if cp.RuleIndex < recorded {
			return fmt.Sprintf("its rule position %d is behind rule %s (position %d), where the status places the run", cp.RuleIndex, sc.Rule, recorded)
		}
	}
	return ""
}

// runLimit is the most the run may erase or anonymise in all: its recorded limit, lowered
// by a smaller approval.
func runLimit(pp *policyPass, cur *privacyv1alpha1.CurrentRun) int64 {
	limit := cur.Limit
	if a := pp.p.Spec.Approval; cur.Approved && a != nil && a.MaxDeletions < limit {
		limit = a.MaxDeletions
	}
	return limit
}

// runCount is how many contacts the run has erased or anonymised so far: the larger of the
// status's count and the ledger's. The ledger is written with each batch; the status may
// miss the last slice when its update failed. The larger count never lets a run past its
// limit because rows were removed from the ledger.
func (r *RetentionPolicyReconciler) runCount(ctx context.Context, pp *policyPass, cur *privacyv1alpha1.CurrentRun) (int64, error) {
	var n int64
	if run := pp.p.Status.LastRun; run != nil && run.RunID == cur.RunID {
		n = run.Erased + run.Anonymized
	}
	if pp.conn.LedgerEnabled {
		ledger, err := erasure.LedgerCount(ctx, pp.conn.DB, policyKey(pp.p), cur.RunID)
		if err != nil {
			return 0, fmt.Errorf("cannot count the run in the ledger, so not check its budget: %w", err)
		}
		n = max(n, ledger)
	}
	return n, nil
}

// sweep sweeps batches of the recorded run for up to runSlice. Each batch is one
// transaction that also moves the checkpoint kept in the database, so a run stopped at any
// moment resumes after the last committed batch. The cutoffs are those of the run's
// scheduled time, and no batch takes the run past its limit.
func (r *RetentionPolicyReconciler) sweep(ctx context.Context, pp *policyPass, cur *privacyv1alpha1.CurrentRun) error {
	p := pp.p
	unlock, ok, err := erasure.LockSweep(ctx, pp.conn.DB, policyKey(p))
	if err != nil {
		return r.pauseRun(pp, cur.RunID, fmt.Errorf("cannot take the sweep lock: %w", err))
	}
	if !ok {
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonProgressing, "another operator replica is sweeping this policy; waiting for it")
		pp.requeueWithin(lockRetryDelay)
		return nil
	}
	defer unlock()
	done, err := r.runCount(ctx, pp, cur)
	if err != nil {
		return r.pauseRun(pp, cur.RunID, err)
	}
	limit := runLimit(pp, cur)
	plan := retentionPlan(p, pp.settings, cur.ScheduledAt.Time)
	// StartedAt is the time the cutoffs count back from: the run's scheduled time, as the
	// cluster recorded it. The checkpoint keeps it under the operator's MAC, and the sweep
	// refuses to resume with another.
	sweepRun := erasure.SweepRun{Policy: policyKey(p), RunID: cur.RunID, BatchSize: batchSize(p),
		Ledger: pp.conn.LedgerEnabled, HMACKey: pp.conn.HMACKey, Now: pp.now, StartedAt: cur.ScheduledAt.Time}
	if done >= limit {
		return r.limitReached(ctx, pp, cur, plan, limit)
	}
	deadline := r.env.Clock.Now().Add(runSlice)
	moved := false
	outcome, err := erasure.Sweep(ctx, pp.conn.DB, pp.conn.Mapping, plan, sweepRun, erasure.SweepOptions{
		Workers: sweepWorkers(p, pp.conn.DB),
		Budget:  limit - done,
		// Before each further batch: the end of a slice or the operator stopping ends the
		// sweep, and the policy is read again, so that a change (rules, mode, suspend,
		// approval) is checked before anything more is erased.
		Continue: func() bool {
			if ctx.Err() != nil || !r.env.Clock.Now().Before(deadline) {
				return false
			}
			moved = r.specMoved(ctx, pp)
			return !moved
		},
		OnBatch: func(res erasure.BatchResult) { r.recordBatch(pp, res) },
		Now:     r.env.Clock.Now,
	})
	var mismatch *erasure.CheckpointMismatchError
	switch {
	case errors.As(err, &mismatch):
		// The checkpoint was written for other rules or another start: the run cannot go
		// on as it is; what is left needs a new plan and budget check.
		if err := r.stopRun(ctx, pp, mismatch.Reason); err != nil {
			return err
		}
		pp.requeueWithin(time.Millisecond)
		return nil
	case err != nil && ctx.Err() != nil:
		// The operator is stopping: the batches in flight were rolled back; nothing failed.
		r.sliceEnded(pp, cur)
		return nil
	case err != nil:
		return r.pauseRun(pp, cur.RunID, err)
	case outcome == erasure.SweepDone:
		return r.finishRun(ctx, pp, cur)
	case outcome == erasure.SweepBudgetSpent:
		return r.limitReached(ctx, pp, cur, plan, limit)
	case moved:
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonProgressing, "run %s paused after a batch: the policy changed; it is checked again before any further erasure", cur.RunID)
		pp.requeueWithin(time.Millisecond)
		return nil
	}
	// The end of a slice, or the operator stopping: the progress is recorded (the status
	// write outlives a cancelled context, see writeStatus).
	r.sliceEnded(pp, cur)
	return nil
}

// sweepWorkers is how many workers the policy's runs ask for: spec.workers, at most the
// database pool's connections less the one the sweep lock holds.
func sweepWorkers(p *privacyv1alpha1.RetentionPolicy, db *crm.Database) int {
	want := defaultSweepWorkers
	if p.Spec.Workers != nil && *p.Spec.Workers > 0 {
		want = int(*p.Spec.Workers)
	}
	if pool := db.DB().Stats().MaxOpenConnections; pool > 0 {
		want = min(want, max(pool-1, 1))
	}
	return want
}

// sliceEnded records a run that goes on in the next reconcile.
func (r *RetentionPolicyReconciler) sliceEnded(pp *policyPass, cur *privacyv1alpha1.CurrentRun) {
	run := pp.p.Status.LastRun
	pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonProgressing, "run %s in progress: %d erased, %d anonymised so far",
		cur.RunID, run.Erased, run.Anonymized)
	pp.requeueWithin(time.Millisecond)
}

// specMoved says whether the policy changed (or is being deleted) since this pass read it:
// the batch in flight is done, and the next one waits until the change is checked. It reads
// the cache, which the API server's watch keeps current; a cache that has not yet seen the
// generation this pass read is no change.
func (r *RetentionPolicyReconciler) specMoved(ctx context.Context, pp *policyPass) bool {
	now := &privacyv1alpha1.RetentionPolicy{}
	if err := r.Get(ctx, client.ObjectKeyFromObject(pp.p), now); err != nil {
		return true
	}
	return now.Generation > pp.p.Generation || !now.DeletionTimestamp.IsZero()
}

// recordBatch adds a committed batch to the run's counts, checkpoint and metrics.
func (r *RetentionPolicyReconciler) recordBatch(pp *policyPass, res erasure.BatchResult) {
	p := pp.p
	run := p.Status.LastRun
	run.Erased += res.Erased
	run.Anonymized += res.Anonymized
	if res.Rule != "" {
		rc := ruleCounts(run, res.Rule)
		rc.Erased += res.Erased
		rc.Anonymized += res.Anonymized
	}
	p.Status.Checkpoint = statusCheckpoint(res.Checkpoint, r.env.Clock.Now())
	if res.Erased > 0 {
		metrics.ErasedTotal.WithLabelValues(p.Namespace, p.Name, res.Rule, string(privacyv1alpha1.ActionDelete)).Add(float64(res.Erased))
	}
	if res.Anonymized > 0 {
		metrics.ErasedTotal.WithLabelValues(p.Namespace, p.Name, res.Rule, string(privacyv1alpha1.ActionAnonymize)).Add(float64(res.Anonymized))
	}
	if res.Duration > 0 {
		metrics.BatchDuration.WithLabelValues(p.Namespace, p.Name).Observe(res.Duration.Seconds())
	}
}

// statusCheckpoint mirrors the run's checkpoint in the status: the rule the run is on now
// (a batch of one worker of several may report no rule of its own: its share of the rule
// was finished), or nil once the run is past its last rule.
func statusCheckpoint(cp erasure.SweepCheckpoint, now time.Time) *privacyv1alpha1.SweepCheckpoint {
	if cp.Rule == "" {
		return nil
	}
	at := metav1.NewTime(now)
	return &privacyv1alpha1.SweepCheckpoint{RunID: cp.RunID, Rule: privacyv1alpha1.ItemName(cp.Rule), LastKey: cp.LastKey, UpdatedAt: &at}
}

func ruleCounts(run *privacyv1alpha1.RetentionRun, rule string) *privacyv1alpha1.RuleRunCounts {
	for i := range run.Rules {
		if string(run.Rules[i].Name) == rule {
			return &run.Rules[i]
		}
	}
	run.Rules = append(run.Rules, privacyv1alpha1.RuleRunCounts{Name: privacyv1alpha1.ItemName(rule)})
	return &run.Rules[len(run.Rules)-1]
}

// closeRun ends the recorded run: clears its checkpoint, takes its counts from the ledger
// and records it in the history with its result. An error when the checkpoint could not be
// cleared (the run is paused and tried again with backoff).
func (r *RetentionPolicyReconciler) closeRun(ctx context.Context, pp *policyPass, cur *privacyv1alpha1.CurrentRun, result privacyv1alpha1.RunResult, message func(run *privacyv1alpha1.RetentionRun) string) error {
	p := pp.p
	if err := erasure.FinishSweep(ctx, pp.conn.DB, policyKey(p), cur.RunID); err != nil {
		return r.pauseRun(pp, cur.RunID, fmt.Errorf("cannot clear the sweep checkpoint: %w", err))
	}
	if p.Status.LastRun == nil || p.Status.LastRun.RunID != cur.RunID {
		p.Status.LastRun = &privacyv1alpha1.RetentionRun{RunRecord: privacyv1alpha1.RunRecord{
			RunID: cur.RunID, Mode: privacyv1alpha1.ModeEnforce, Trigger: slotTrigger(cur.Trigger), StartedAt: cur.StartedAt}}
	}
	run := p.Status.LastRun
	if pp.conn.LedgerEnabled {
		r.countFromLedger(ctx, pp, cur.RunID)
	}
	finished := metav1.NewTime(r.env.Clock.Now())
	run.FinishedAt, run.Result = &finished, result
	// The summary replaces whatever the run said before, such as "paused: …" from a pause
	// it resumed from.
	run.Message = message(run)
	p.Status.History = appendHistory(p.Status.History, run.RunRecord)
	p.Status.Checkpoint = nil
	countRunEnd(p, result)
	if run.StartedAt != nil {
		metrics.RunDuration.WithLabelValues(p.Namespace, p.Name).Observe(finished.Sub(run.StartedAt.Time).Seconds())
	}
	return nil
}

// finishRun closes a run that processed every selected contact, moves the schedule past its
// scheduled time and counts the plan again.
func (r *RetentionPolicyReconciler) finishRun(ctx context.Context, pp *policyPass, cur *privacyv1alpha1.CurrentRun) error {
	p := pp.p
	if err := r.closeRun(ctx, pp, cur, privacyv1alpha1.RunSucceeded, func(run *privacyv1alpha1.RetentionRun) string {
		return fmt.Sprintf("%d erased, %d anonymised, %d held", run.Erased, run.Anonymized, run.Held)
	}); err != nil {
		return err
	}
	run := p.Status.LastRun
	r.endSlot(pp, cur)
	metrics.LastSuccess.WithLabelValues(p.Namespace, p.Name).Set(float64(run.FinishedAt.Unix()))
	r.env.Recorder.Eventf(p, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonRunSucceeded, "Run",
		"Run %s finished: %d erased, %d anonymised, %d held", cur.RunID, run.Erased, run.Anonymized, run.Held)
	r.schedule(pp)
	ok, err := r.plan(ctx, pp)
	if ok {
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonRunSucceeded, "last run %s: %d erased, %d anonymised; %d contact(s) pending",
			cur.RunID, run.Erased, run.Anonymized, *p.Status.Pending)
	}
	return err
}

// limitReached ends a run that erased as much as it may. When its rules still select
// contacts at its cutoffs, it ends as LimitReached: they wait for the next scheduled run and
// its budget check. Otherwise it simply finished.
func (r *RetentionPolicyReconciler) limitReached(ctx context.Context, pp *policyPass, cur *privacyv1alpha1.CurrentRun, plan erasure.RetentionPlan, limit int64) error {
	p := pp.p
	counts, err := erasure.CountPlan(ctx, pp.conn.DB, pp.conn.Mapping, plan)
	if err != nil {
		return r.pauseRun(pp, cur.RunID, fmt.Errorf("cannot count what is left after the run's limit: %w", err))
	}
	var left int64
	for _, c := range counts {
		left += c.Pending
	}
	if left == 0 {
		return r.finishRun(ctx, pp, cur)
	}
	if err := r.closeRun(ctx, pp, cur, privacyv1alpha1.RunLimitReached, func(run *privacyv1alpha1.RetentionRun) string {
		return fmt.Sprintf("stopped at its limit of %d: %d erased, %d anonymised, %d held; %d contact(s) still selected wait for the next run",
			limit, run.Erased, run.Anonymized, run.Held, left)
	}); err != nil {
		return err
	}
	run := p.Status.LastRun
	r.endSlot(pp, cur)
	r.env.Recorder.Eventf(p, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonBudgetReached, "Run",
		"Run %s stopped at its limit of %d: %d erased, %d anonymised; %d contact(s) still selected wait for the next run", cur.RunID, limit, run.Erased, run.Anonymized, left)
	r.schedule(pp)
	ok, err := r.plan(ctx, pp)
	if ok {
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonBudgetReached, "run %s stopped at its limit of %d; %d contact(s) pending for the next run",
			cur.RunID, limit, *p.Status.Pending)
	}
	return err
}

// endSlot marks the run's scheduled time as run: the schedule moves past it.
func (r *RetentionPolicyReconciler) endSlot(pp *policyPass, cur *privacyv1alpha1.CurrentRun) {
	scheduled := cur.ScheduledAt
	pp.p.Status.LastScheduledAt = &scheduled
	pp.p.Status.CurrentRun = nil
	forgetClosedRuns(pp.p)
}

// stopRun stops the recorded run before its end because what it was started with changed.
// Its scheduled time stays due: a new run takes it over once a new plan passes the budget
// check, with what this one erased counted against the budget.
func (r *RetentionPolicyReconciler) stopRun(ctx context.Context, pp *policyPass, why string) error {
	p, cur := pp.p, pp.p.Status.CurrentRun
	if err := r.closeRun(ctx, pp, cur, privacyv1alpha1.RunStopped, func(run *privacyv1alpha1.RetentionRun) string {
		return fmt.Sprintf("stopped: %s; %d erased, %d anonymised before the stop", why, run.Erased, run.Anonymized)
	}); err != nil {
		return err
	}
	run := p.Status.LastRun
	cur.Spent += run.Erased + run.Anonymized
	cur.RunID = ""
	r.env.Recorder.Eventf(p, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonRunStopped, "Run",
		"Run %s stopped: %s; %d erased, %d anonymised. The rest needs a new plan and budget check", run.RunID, why, run.Erased, run.Anonymized)
	pp.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonRunStopped, "run %s stopped: %s; the rest of its scheduled time needs a new plan and budget check",
		run.RunID, why)
	return nil
}

// countFromLedger makes the counts of a finished run those of the ledger. The ledger is the
// proof, written with each batch; the counts in the status are not: the progress of a
// sweep slice is lost when its status update fails (API server unavailable) or the
// operator stops before it, and a reconcile may start from a cached status older than
// the last update. A run whose progress was never recorded would otherwise report
// nothing erased.
func (r *RetentionPolicyReconciler) countFromLedger(ctx context.Context, pp *policyPass, runID string) {
	run := pp.p.Status.LastRun
	counts, err := erasure.LedgerRunCounts(ctx, pp.conn.DB, policyKey(pp.p), runID)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Cannot count the run in the ledger; the run keeps the counts of its status", "run", runID)
		return
	}
	counted := run.Erased + run.Anonymized
	run.Erased, run.Anonymized = 0, 0
	for i := range run.Rules {
		run.Rules[i].Erased, run.Rules[i].Anonymized = 0, 0
	}
	for _, c := range counts {
		rc := ruleCounts(run, c.Rule)
		if c.Action == erasure.ActionAnonymizeContact {
			rc.Anonymized += c.Count
			run.Anonymized += c.Count
		} else {
			rc.Erased += c.Count
			run.Erased += c.Count
		}
	}
	if ledger := run.Erased + run.Anonymized; ledger != counted {
		ctrl.LoggerFrom(ctx).Info("Run counts corrected from the ledger", "run", runID, "counted", counted, "ledger", ledger)
	}
}

// pauseRun reports a run stopped by an error and returns it for the error backoff. Its
// checkpoint stays in the database, and a later reconcile resumes it once the database
// works again. One Warning event reports the pause, not one per retry.
func (r *RetentionPolicyReconciler) pauseRun(pp *policyPass, runID string, err error) error {
	p := pp.p
	if p.Status.LastRun != nil && p.Status.LastRun.RunID == runID {
		p.Status.LastRun.Message = fmt.Sprintf("paused: %v", err)
	}
	pp.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonRunFailed, "run %s paused, it resumes from its checkpoint: %v", runID, err)
	r.warn(pp, privacyv1alpha1.ReasonRunFailed, "Run", "Run %s paused: %v", runID, err)
	return fmt.Errorf("run %s of RetentionPolicy %s paused: %w", runID, p.Name, err)
}

// defaultSweepWorkers is spec.workers' default.
const defaultSweepWorkers = 2

func batchSize(p *privacyv1alpha1.RetentionPolicy) int {
	if p.Spec.BatchSize != nil && *p.Spec.BatchSize > 0 {
		return int(*p.Spec.BatchSize)
	}
	return defaultBatchSize
}
