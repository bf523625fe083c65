package controllers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// statusWriteGrace is how long a status write may take once the reconcile's context is
	// cancelled (the manager stopping on SIGTERM, or losing its lease): the progress of the
	// last sweep slice is recorded rather than lost.
	statusWriteGrace = 5 * time.Second
	// conflictRetryDelay is when a reconcile whose status write lost a race with a newer
	// status (another writer, or a cache behind the API server) runs again, from the
	// newer object.
	conflictRetryDelay = 200 * time.Millisecond
)

// errStatusConflict says that the object changed since the reconcile read it: its status
// was not written, and the reconcile must run again from the newer object.
var errStatusConflict = errors.New("the object changed since it was read; its status was not written")

// writeStatus patches the status of obj from before, when it differs once serialised (statusOf returns the
// status of an object), with before's resourceVersion as a precondition: a status computed
// from an object older than the one stored never overwrites the newer one — the API server
// refuses the write and writeStatus returns errStatusConflict. The write outlives a
// cancelled ctx by statusWriteGrace. It returns whether it wrote. The Reconciling and
// Stalled conditions are first derived from Ready (setHealth), so that every status written
// reads alike to kstatus and Argo CD.
func writeStatus[T client.Object](ctx context.Context, c client.Client, obj, before T, statusOf func(T) any) (bool, error) {
	setHealthOf(obj)
	if sameJSON(statusOf(before), statusOf(obj)) {
		return false, nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statusWriteGrace)
	defer cancel()
	err := c.Status().Patch(wctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	if apierrors.IsConflict(err) {
		ctrl.LoggerFrom(ctx).V(1).Info("Status not written: the object changed since it was read; reconciling again")
		return false, errStatusConflict
	}
	return err == nil, err
}

// sameJSON says whether a and b serialise alike: whether writing b over a would change
// what the API server stores (times are stored to the second, and an empty list as none).
func sameJSON(a, b any) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ja, jb)
}

// conflictResult turns errStatusConflict into a prompt requeue, which is not a failure;
// other errors go to the error backoff.
func conflictResult(err error) (ctrl.Result, error) {
	if errors.Is(err, errStatusConflict) {
		return ctrl.Result{RequeueAfter: conflictRetryDelay}, nil
	}
	return ctrl.Result{}, err
}

// endPass writes the status a reconcile pass built and returns the pass's outcome: the
// pass's error, joined with a failed status write; a write that lost a race to a newer
// object requeues shortly (conflictResult); otherwise the pass's result. kind names the
// object in the write's error.
func endPass[T client.Object](ctx context.Context, c client.Client, kind string, obj, before T, statusOf func(T) any, err error, result ctrl.Result) (ctrl.Result, error) {
	if _, werr := writeStatus(ctx, c, obj, before, statusOf); werr != nil {
		werr = fmt.Errorf("while updating the status of %s %s: %w", kind, obj.GetName(), werr)
		if err != nil {
			return ctrl.Result{}, errors.Join(err, werr)
		}
		return conflictResult(werr)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	return result, nil
}

// setCondition sets one condition of a status: True when ok, at the object's generation,
// the message formatted and kept within the API's length.
func setCondition(conds *[]metav1.Condition, generation int64, condType string, ok bool, reason, format string, args ...any) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conds, metav1.Condition{Type: condType, Status: status, Reason: reason,
		Message: truncateMessage(fmt.Sprintf(format, args...)), ObservedGeneration: generation})
}

// requeueWithin makes a pass's result wake the object within d (at least floor from now),
// keeping an earlier wake-up already asked for.
func requeueWithin(result *ctrl.Result, d, floor time.Duration) {
	if d < floor {
		d = floor
	}
	if result.RequeueAfter == 0 || d < result.RequeueAfter {
		result.RequeueAfter = d
	}
}
