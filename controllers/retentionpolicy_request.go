package controllers

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// A run outside the schedule (`kubectl gdpr run POLICY`) is asked for with the annotation
// privacy.crmoperator.io/run-requested-at: <RFC 3339 time>, set with a merge patch by the
// plugin or by a GitOps tool, as Flux's reconcile.fluxcd.io/requestedAt. The operator
// answers each new value once, in status.lastRunRequest:
//
//   - a value that is not an RFC 3339 time, not later than the last one a run answered, or more
//     than runRequestLead ahead of the operator's clock is refused (Warning event,
//     RunRequested=False InvalidRunRequest); no run starts;
//   - a suspended policy refuses the request (RunRequestRefused);
//   - in DryRun mode a dry run counts the plan at once and records it (trigger Manual);
//   - a run in progress answers the request: no second run starts beside it;
//   - a run waiting for an approval, or a scheduled run due at the same time, answers it:
//     the request starts nothing the schedule would not, it only brings the run forward;
//   - otherwise a run starts now, its cutoffs counted from the request's answer, after the
//     same budget check as a scheduled run: over budget, it erases nothing and waits for
//     spec.approval (status.awaitingApproval, trigger Manual) like a scheduled run.
//
// A request made while the database is not ready, the spec is invalid or the sweep
// checkpoint does not verify stays unanswered until the policy can run: Ready says why.

// runRequestLead is how far ahead of the operator's clock a requested time may lie: a
// clock a little ahead is tolerated, a time far in the future would refuse every later
// request (a request must be later than the last one answered).
const runRequestLead = time.Hour

// runRequestValueLimit is the longest annotation value recorded as it is
// (status.lastRunRequest.requestedAt); a longer one is recorded cut.
const runRequestValueLimit = 64

// runRequest is a new, valid request for a run, not answered yet.
type runRequest struct {
	value string
	at    time.Time
}

// readRunRequest reads the run-requested-at annotation: a new valid request is kept in
// pp.request for the phases to answer; an invalid one is refused here.
func (r *RetentionPolicyReconciler) readRunRequest(pp *policyPass) {
	raw, ok := pp.p.Annotations[privacyv1alpha1.AnnotationRunRequestedAt]
	if !ok {
		return
	}
	value := truncateText(raw, runRequestValueLimit)
	last := pp.p.Status.LastRunRequest
	if last != nil && last.RequestedAt == value {
		return
	}
	at, err := time.Parse(time.RFC3339Nano, raw)
	switch {
	case err != nil || value != raw:
		r.refuseRunRequest(pp, value, privacyv1alpha1.ReasonInvalidRunRequest,
			"the annotation %s is not an RFC 3339 time (for example 2026-12-02T10:00:00Z): no run started", privacyv1alpha1.AnnotationRunRequestedAt)
	case last != nil && last.Result != privacyv1alpha1.RunRequestRefused && !laterThanAnswered(at, last.RequestedAt):
		r.refuseRunRequest(pp, value, privacyv1alpha1.ReasonInvalidRunRequest,
			"the requested time is not later than the last request answered (%s): no run started", last.RequestedAt)
	case at.After(pp.now.Add(runRequestLead)):
		r.refuseRunRequest(pp, value, privacyv1alpha1.ReasonInvalidRunRequest,
			"the requested time lies more than %s ahead of the operator's clock (%s): no run started", runRequestLead, pp.now.UTC().Format(time.RFC3339))
	default:
		pp.request = &runRequest{value: value, at: at}
	}
}

// laterThanAnswered says whether a requested time is later than the last one answered by
// a run. (After a refused request, any valid time within runRequestLead is accepted.)
func laterThanAnswered(at time.Time, answered string) bool {
	prev, err := time.Parse(time.RFC3339Nano, answered)
	return err != nil || at.After(prev)
}

// refuseRunRequest records a request that starts no run.
func (r *RetentionPolicyReconciler) refuseRunRequest(pp *policyPass, value, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	pp.p.Status.LastRunRequest = &privacyv1alpha1.RunRequestStatus{RequestedAt: value, AnsweredAt: metav1.NewTime(pp.now),
		Result: privacyv1alpha1.RunRequestRefused, Message: truncateText(msg, 1024)}
	pp.condition(privacyv1alpha1.TypeRunRequested, false, reason, "%s", msg)
	r.env.Recorder.Eventf(pp.p, nil, corev1.EventTypeWarning, reason, "RequestRun", "Run request %s refused: %s", value, msg)
	pp.request = nil
}

// answerRunRequest records the run that answers the pending request, if there is one.
func (r *RetentionPolicyReconciler) answerRunRequest(pp *policyPass, result privacyv1alpha1.RunRequestResult, runID, format string, args ...any) {
	req := pp.request
	if req == nil {
		return
	}
	if result == privacyv1alpha1.RunRequestRefused {
		r.refuseRunRequest(pp, req.value, privacyv1alpha1.ReasonRunRequestRefused, format, args...)
		return
	}
	msg := fmt.Sprintf(format, args...)
	pp.p.Status.LastRunRequest = &privacyv1alpha1.RunRequestStatus{RequestedAt: req.value, AnsweredAt: metav1.NewTime(pp.now),
		Result: result, RunID: runID, Message: truncateText(msg, 1024)}
	pp.condition(privacyv1alpha1.TypeRunRequested, true, privacyv1alpha1.ReasonRunRequested, "%s", msg)
	r.env.Recorder.Eventf(pp.p, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonRunRequested, "RequestRun", "Run request %s: %s", req.value, msg)
	pp.request = nil
}

// manualSlot is the run a request starts: its cutoffs count back from the moment the
// operator answers it (to the second, as run ids and the status record times).
func manualSlot(pp *policyPass) runSlot {
	return runSlot{scheduledAt: pp.now.UTC().Truncate(time.Second), attempt: 1, trigger: privacyv1alpha1.TriggerManual}
}

// manualRunPending says whether a manual run is still to start: one that waits for an
// approval, or one that stopped on a change and needs a new plan and budget check. Unlike a
// scheduled run, it is not kept due by the schedule.
func manualRunPending(p *privacyv1alpha1.RetentionPolicy) bool {
	if c := p.Status.CurrentRun; c != nil && c.RunID == "" && c.Trigger == privacyv1alpha1.TriggerManual {
		return true
	}
	a := p.Status.AwaitingApproval
	return a != nil && a.Trigger == privacyv1alpha1.TriggerManual
}

// slotTrigger is the trigger of a recorded run, Schedule for records older than the field.
func slotTrigger(t privacyv1alpha1.RunTrigger) privacyv1alpha1.RunTrigger {
	if t == "" {
		return privacyv1alpha1.TriggerSchedule
	}
	return t
}
