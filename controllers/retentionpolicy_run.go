package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
)

// sweep starts or resumes the run of cp.RunID and sweeps batches for up to runSlice. Each
// batch is one transaction that also moves the checkpoint kept in the database, so a run
// stopped at any moment resumes after the last committed batch.
func (r *RetentionPolicyReconciler) sweep(ctx context.Context, pp *policyPass, cp crm.SweepCheckpoint) error {
	p := pp.p
	scheduledAt, err := runScheduledAt(cp.RunID)
	if err != nil {
		return fmt.Errorf("while resuming run %s of %s: %w", cp.RunID, p.Name, err)
	}
	unlock, ok, err := pp.conn.DB.LockSweep(ctx, policyKey(p))
	if err != nil {
		r.pauseRun(pp, cp.RunID, fmt.Errorf("cannot take the sweep lock: %w", err))
		return nil
	}
	if !ok {
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonProgressing, "another operator replica is sweeping this policy; waiting for it")
		pp.requeueWithin(lockRetryDelay)
		return nil
	}
	defer unlock()
	r.startRun(pp, cp.RunID)
	plan := retentionPlan(p, pp.settings, scheduledAt)
	sweepRun := crm.SweepRun{Policy: policyKey(p), RunID: cp.RunID, BatchSize: batchSize(p),
		Ledger: pp.conn.LedgerEnabled, HMACKey: pp.conn.HMACKey, Now: pp.now}
	deadline := r.env.Clock.Now().Add(runSlice)
	for {
		sweepRun.Now = r.env.Clock.Now()
		res, err := pp.conn.DB.SweepBatch(ctx, pp.conn.Mapping, plan, sweepRun)
		if err != nil {
			r.pauseRun(pp, cp.RunID, err)
			return nil
		}
		r.recordBatch(pp, res)
		if res.Done {
			return r.finishRun(ctx, pp, cp.RunID, scheduledAt)
		}
		if ctx.Err() != nil || r.env.Clock.Now().After(deadline) {
			pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonProgressing, "run %s in progress: %d erased, %d anonymised so far",
				cp.RunID, p.Status.LastRun.Erased, p.Status.LastRun.Anonymized)
			pp.requeueWithin(time.Millisecond)
			return nil
		}
	}
}

// startRun makes status.lastRun describe the run, keeping its counts when it resumes.
func (r *RetentionPolicyReconciler) startRun(pp *policyPass, runID string) {
	p := pp.p
	if p.Status.LastRun != nil && p.Status.LastRun.RunID == runID && p.Status.LastRun.FinishedAt == nil {
		return
	}
	started := metav1.NewTime(pp.now)
	run := &privacyv1alpha1.RetentionRun{RunRecord: privacyv1alpha1.RunRecord{
		RunID: runID, Mode: privacyv1alpha1.ModeEnforce, StartedAt: &started, Planned: *p.Status.Pending}}
	for _, c := range pp.counts {
		run.Held += c.Held
		run.Rules = append(run.Rules, privacyv1alpha1.RuleRunCounts{Name: privacyv1alpha1.ItemName(c.Rule), Held: c.Held})
	}
	p.Status.LastRun = run
	r.env.Recorder.Eventf(p, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonProgressing, "Run",
		"Run %s started: %d contact(s) planned, %d held", runID, run.Planned, run.Held)
}

// recordBatch adds a committed batch to the run's counts, checkpoint and metrics.
func (r *RetentionPolicyReconciler) recordBatch(pp *policyPass, res crm.BatchResult) {
	p := pp.p
	run := p.Status.LastRun
	run.Erased += res.Erased
	run.Anonymized += res.Anonymized
	if res.Rule != "" {
		rc := ruleCounts(run, res.Rule)
		rc.Erased += res.Erased
		rc.Anonymized += res.Anonymized
	}
	now := metav1.NewTime(r.env.Clock.Now())
	p.Status.Checkpoint = &privacyv1alpha1.SweepCheckpoint{RunID: res.Checkpoint.RunID, Rule: privacyv1alpha1.ItemName(res.Rule),
		LastKey: res.Checkpoint.LastKey, UpdatedAt: &now}
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

func ruleCounts(run *privacyv1alpha1.RetentionRun, rule string) *privacyv1alpha1.RuleRunCounts {
	for i := range run.Rules {
		if string(run.Rules[i].Name) == rule {
			return &run.Rules[i]
		}
	}
	run.Rules = append(run.Rules, privacyv1alpha1.RuleRunCounts{Name: privacyv1alpha1.ItemName(rule)})
	return &run.Rules[len(run.Rules)-1]
}

// finishRun closes the run: clears the checkpoint, checks the ledger, records the run in
// the history, and counts the plan again.
func (r *RetentionPolicyReconciler) finishRun(ctx context.Context, pp *policyPass, runID string, scheduledAt time.Time) error {
	p := pp.p
	if err := pp.conn.DB.FinishSweep(ctx, policyKey(p), runID); err != nil {
		r.pauseRun(pp, runID, fmt.Errorf("cannot clear the sweep checkpoint: %w", err))
		return nil
	}
	run := p.Status.LastRun
	if pp.conn.LedgerEnabled {
		r.countFromLedger(ctx, pp, runID)
	}
	finished := metav1.NewTime(r.env.Clock.Now())
	run.FinishedAt, run.Result = &finished, privacyv1alpha1.RunSucceeded
	// The summary replaces whatever the run said before, such as "paused: …" from a pause
	// it resumed from.
	run.Message = fmt.Sprintf("%d erased, %d anonymised, %d held", run.Erased, run.Anonymized, run.Held)
	p.Status.History = appendHistory(p.Status.History, run.RunRecord)
	p.Status.Checkpoint = nil
	scheduled := metav1.NewTime(scheduledAt)
	p.Status.LastScheduledAt = &scheduled
	if run.StartedAt != nil {
		metrics.RunDuration.WithLabelValues(p.Namespace, p.Name).Observe(finished.Sub(run.StartedAt.Time).Seconds())
	}
	metrics.LastSuccess.WithLabelValues(p.Namespace, p.Name).Set(float64(finished.Unix()))
	r.env.Recorder.Eventf(p, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonRunSucceeded, "Run",
		"Run %s finished: %d erased, %d anonymised, %d held", runID, run.Erased, run.Anonymized, run.Held)
	r.schedule(pp)
	if r.plan(ctx, pp) {
		pp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonRunSucceeded, "last run %s: %d erased, %d anonymised; %d contact(s) pending",
			runID, run.Erased, run.Anonymized, *p.Status.Pending)
	}
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
	counts, err := pp.conn.DB.LedgerRunCounts(ctx, policyKey(pp.p), runID)
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
		if c.Action == crm.ActionAnonymizeContact {
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

// pauseRun reports a run stopped by an error. Its checkpoint stays in the database, and the
// next reconcile resumes it once the database works again.
func (r *RetentionPolicyReconciler) pauseRun(pp *policyPass, runID string, err error) {
	p := pp.p
	if p.Status.LastRun != nil && p.Status.LastRun.RunID == runID {
		p.Status.LastRun.Message = fmt.Sprintf("paused: %v", err)
	}
	pp.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonRunFailed, "run %s paused, it resumes from its checkpoint: %v", runID, err)
	r.env.Recorder.Eventf(p, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonRunFailed, "Run", "Run %s paused: %v", runID, err)
	pp.requeueWithin(minRetryDelay)
}

func batchSize(p *privacyv1alpha1.RetentionPolicy) int {
	if p.Spec.BatchSize != nil && *p.Spec.BatchSize > 0 {
		return int(*p.Spec.BatchSize)
	}
	return defaultBatchSize
}
