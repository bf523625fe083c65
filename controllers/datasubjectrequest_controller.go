package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
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
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
)

// DataSubjectRequestReconciler carries out data-subject requests: it reads the identity
// from the request's Secret, finds the person's contacts in each database, and objects,
// erases, exports or rectifies, once, within the request's deadline. Nothing of the
// identity reaches the status, events, logs or metrics: counts, times and a keyed hash
// only.
type DataSubjectRequestReconciler struct {
	client.Client
	// live reads the request from the API server rather than the cache: a completed
	// request is never carried out again, so a pass must start from the latest status.
	live    client.Reader
	secrets secretReader
	env     *Env
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=datasubjectrequests,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=datasubjectrequests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;delete

func setupDataSubjectRequest(env *Env) error {
	mgr := env.Manager
	r := &DataSubjectRequestReconciler{Client: mgr.GetClient(), live: mgr.GetAPIReader(),
		secrets: secretReader{reader: mgr.GetAPIReader()}, env: env}
	wake := enqueueOpenRequests(mgr.GetClient())
	return ctrl.NewControllerManagedBy(mgr).
		Named("datasubjectrequest").
		For(&privacyv1alpha1.DataSubjectRequest{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&privacyv1alpha1.CRMDatabase{}, wake, builder.WithPredicates(readyChanged{})).
		WatchesRawSource(source.Channel(env.Connections.Subscribe(), wake)).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

// enqueueOpenRequests wakes the requests of a namespace that are not completed when one of
// its databases changes: a request may name it, or apply to every database.
func enqueueOpenRequests(c client.Client) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, obj client.Object) []reconcile.Request {
		var l privacyv1alpha1.DataSubjectRequestList
		if err := c.List(ctx, &l, client.InNamespace(obj.GetNamespace())); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Listing the DataSubjectRequests of a changed database")
			return nil
		}
		var reqs []reconcile.Request
		for i := range l.Items {
			if l.Items[i].Status.Phase != privacyv1alpha1.RequestCompleted {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&l.Items[i])})
			}
		}
		return reqs
	})
}

// requestPass is the state of one reconcile of one request.
type requestPass struct {
	q      *privacyv1alpha1.DataSubjectRequest
	before *privacyv1alpha1.DataSubjectRequest
	now    time.Time
	dueAt  time.Time
	// identity is the normalised identity; it never leaves this pass.
	identity string
	// values are the rectified values of a Rectification, by logical field.
	values map[string]string
	// targets are the databases the request applies to that it has not completed.
	targets []requestTarget
	result  ctrl.Result
	// justCompleted is set once this pass recorded the request as completed.
	justCompleted bool
}

// requestTarget is one database a request applies to, with the contacts it found there.
type requestTarget struct {
	name  string
	conn  Connection
	match dsr.Match
}

func (rp *requestPass) requeueWithin(d time.Duration) { requeueWithin(&rp.result, d, time.Millisecond) }

func (rp *requestPass) condition(condType string, ok bool, reason, format string, args ...any) {
	setCondition(&rp.q.Status.Conditions, rp.q.Generation, condType, ok, reason, format, args...)
}

// waiting records a request that the operator cannot carry out yet, and why: phase Pending,
// Completed and Ready False with reason.
func (rp *requestPass) waiting(phase privacyv1alpha1.DataSubjectRequestPhase, reason, format string, args ...any) {
	rp.q.Status.Phase = phase
	rp.condition(privacyv1alpha1.TypeCompleted, false, reason, format, args...)
	rp.condition(privacyv1alpha1.TypeReady, false, reason, format, args...)
}

func requestStatus(q *privacyv1alpha1.DataSubjectRequest) any { return &q.Status }

// warn emits a Warning event unless the status as last written already reported reason
// on Ready (False for a failure, True for a request waiting for an approval): a failure
// retried with backoff is one event, not one per attempt.
func (r *DataSubjectRequestReconciler) warn(rp *requestPass, reason, action, format string, args ...any) {
	if prev := meta.FindStatusCondition(rp.before.Status.Conditions, privacyv1alpha1.TypeReady); prev != nil &&
		prev.Reason == reason {
		return
	}
	r.env.Recorder.Eventf(rp.q, nil, corev1.EventTypeWarning, reason, action, format, args...)
}

// Reconcile handles one DataSubjectRequest.
func (r *DataSubjectRequestReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	q := &privacyv1alpha1.DataSubjectRequest{}
	if err := r.live.Get(ctx, req.NamespacedName, q); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetRequest(req.Namespace, req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !q.DeletionTimestamp.IsZero() {
		metrics.ForgetRequest(q.Namespace, q.Name)
		return ctrl.Result{}, nil
	}
	rp := &requestPass{q: q, before: q.DeepCopy(), now: r.env.Clock.Now()}
	err := r.reconcileRequest(ctx, rp)
	if errors.Is(err, errRequestWaits) {
		err = nil
	}
	if err == nil {
		q.Status.ObservedGeneration = q.Generation
	}
	return endPass(ctx, r.Client, "DataSubjectRequest", q, rp.before, requestStatus, err, rp.result)
}

// reconcileRequest runs the phases in order: deadline, then either the upkeep of a
// completed request or identity, databases, matches, approval, operation, completion.
func (r *DataSubjectRequestReconciler) reconcileRequest(ctx context.Context, rp *requestPass) error {
	r.deadline(rp)
	if rp.q.Status.Phase == privacyv1alpha1.RequestCompleted {
		return r.upkeep(ctx, rp)
	}
	defer r.overdue(rp)
	if ok := r.identity(ctx, rp); !ok {
		return nil
	}
	if ok, err := r.databases(ctx, rp); !ok || err != nil {
		return err
	}
	if ok, err := r.find(ctx, rp); !ok || err != nil {
		return err
	}
	if !r.approved(rp) {
		return nil
	}
	if err := r.carryOut(ctx, rp); err != nil {
		return err
	}
	return r.complete(ctx, rp)
}

// deadline computes receivedAt and dueAt (GDPR Art. 12(3)).
func (r *DataSubjectRequestReconciler) deadline(rp *requestPass) {
	q := rp.q
	received := q.CreationTimestamp.Time
	if q.Spec.ReceivedAt != nil {
		received = q.Spec.ReceivedAt.Time
	}
	ext := 0
	if q.Spec.Extension != nil {
		ext = int(q.Spec.Extension.Months)
	}
	rp.dueAt = gdpr.RequestDueAt(received, ext)
	recv, due := metav1.NewTime(received.UTC()), metav1.NewTime(rp.dueAt)
	q.Status.ReceivedAt, q.Status.DueAt = &recv, &due
}

// overdue sets the Overdue condition and metric of an open request, with a Warning event
// when it becomes overdue, and wakes the request at its deadline.
func (r *DataSubjectRequestReconciler) overdue(rp *requestPass) {
	q := rp.q
	if q.Status.Phase == privacyv1alpha1.RequestCompleted {
		return
	}
	timing := gdpr.RequestTimingAt(rp.dueAt, rp.now, nil)
	gauge := metrics.RequestOverdue.WithLabelValues(q.Namespace, q.Name, string(q.Spec.Type))
	if !timing.Overdue {
		gauge.Set(0)
		rp.condition(privacyv1alpha1.TypeOverdue, false, privacyv1alpha1.ReasonWithinDeadline, "due at %s", rp.dueAt.Format(time.RFC3339))
		rp.requeueWithin(timing.Until + time.Second)
		return
	}
	gauge.Set(1)
	if prev := meta.FindStatusCondition(rp.before.Status.Conditions, privacyv1alpha1.TypeOverdue); prev == nil || prev.Status != metav1.ConditionTrue {
		r.env.Recorder.Eventf(q, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonDeadlinePassed, "Deadline",
			"The %s request was due at %s and is not completed", q.Spec.Type, rp.dueAt.Format(time.RFC3339))
	}
	rp.condition(privacyv1alpha1.TypeOverdue, true, privacyv1alpha1.ReasonDeadlinePassed, "due at %s and not completed", rp.dueAt.Format(time.RFC3339))
}

// identity reads the identity (and a Rectification's values) from the identity Secret,
// normalises it and records its keyed hash.
func (r *DataSubjectRequestReconciler) identity(ctx context.Context, rp *requestPass) bool {
	q := rp.q
	field := identityField(q)
	s, err := r.secrets.get(ctx, q.Namespace, string(q.Spec.IdentitySecretRef.Name))
	if err != nil {
		reason, msg := privacyv1alpha1.ReasonRequestFailed, err.Error()
		var ce *conditionError
		if errors.As(err, &ce) {
			reason, msg = ce.reason, ce.message
		}
		rp.waiting(privacyv1alpha1.RequestPending, reason, "%s", msg)
		r.warn(rp, reason, "ReadIdentity", "%s", msg)
		rp.requeueWithin(r.env.Options.RecheckInterval)
		return false
	}
	normalized, err := dsr.NormalizeIdentity(field, string(s.Data[field]))
	if err != nil {
		// The error names the field, never the value.
		rp.waiting(privacyv1alpha1.RequestPending, privacyv1alpha1.ReasonIdentityInvalid,
			"Secret %s holds no usable identity under key %q: %v", s.Name, field, err)
		r.warn(rp, privacyv1alpha1.ReasonIdentityInvalid, "ReadIdentity", "Secret %s holds no usable identity under key %q", s.Name, field)
		rp.requeueWithin(r.env.Options.RecheckInterval)
		return false
	}
	rp.identity = normalized
	q.Status.IdentityHash = dsr.IdentityHash(crm.DeriveKey(r.env.Options.OperatorKey, crm.PurposeRequestIdentity), field, normalized)
	if q.Spec.Type == privacyv1alpha1.RequestRectification {
		rp.values = rectifiedValues(s.Data)
		if len(rp.values) == 0 {
			rp.waiting(privacyv1alpha1.RequestPending, privacyv1alpha1.ReasonIdentityInvalid,
				"a Rectification needs the new values in Secret %s, under keys %s<field> (for example %sphone)",
				s.Name, privacyv1alpha1.IdentitySecretPrefixSet, privacyv1alpha1.IdentitySecretPrefixSet)
			r.warn(rp, privacyv1alpha1.ReasonIdentityInvalid, "ReadIdentity", "Secret %s holds no value to rectify", s.Name)
			rp.requeueWithin(r.env.Options.RecheckInterval)
			return false
		}
	}
	q.Status.SpecHash = requestSpecHash(q)
	return true
}

// identityField is the logical field the request finds the person by.
func identityField(q *privacyv1alpha1.DataSubjectRequest) string {
	if q.Spec.IdentityField == "" {
		return string(privacyv1alpha1.FieldEmail)
	}
	return string(q.Spec.IdentityField)
}

// rectifiedValues are the set.<field> keys of the identity Secret, by logical field.
func rectifiedValues(data map[string][]byte) map[string]string {
	out := map[string]string{}
	for k, v := range data {
		if f, ok := strings.CutPrefix(k, privacyv1alpha1.IdentitySecretPrefixSet); ok && f != "" {
			out[f] = string(v)
		}
	}
	return out
}

// requestSpecHash is the hash an approval names: the type, the databases and the keyed
// identity hash.
func requestSpecHash(q *privacyv1alpha1.DataSubjectRequest) string {
	b, _ := json.Marshal(struct {
		Type         privacyv1alpha1.DataSubjectRequestType `json:"type"`
		DatabaseRef  *privacyv1alpha1.LocalObjectReference  `json:"databaseRef"`
		AllDatabases bool                                   `json:"allDatabases"`
		IdentityHash string                                 `json:"identityHash"`
	}{q.Spec.Type, q.Spec.DatabaseRef, q.Spec.AllDatabases != nil && *q.Spec.AllDatabases, q.Status.IdentityHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// databases resolves the databases the request applies to and has not completed, and
// waits until every one of them is ready.
func (r *DataSubjectRequestReconciler) databases(ctx context.Context, rp *requestPass) (bool, error) {
	names, err := r.databaseNames(ctx, rp.q)
	if err != nil {
		return false, err
	}
	done := map[string]bool{}
	for _, d := range rp.q.Status.Databases {
		if d.CompletedAt != nil {
			done[string(d.Name)] = true
		}
	}
	rp.targets = nil
	for _, name := range names {
		if done[name] {
			continue
		}
		key := types.NamespacedName{Namespace: rp.q.Namespace, Name: name}
		conn, err := r.env.Connections.Ready(key)
		if err != nil {
			reason, msg := privacyv1alpha1.ReasonDatabaseNotReady, err.Error()
			if gerr := r.Get(ctx, key, &privacyv1alpha1.CRMDatabase{}); apierrors.IsNotFound(gerr) {
				reason, msg = privacyv1alpha1.ReasonDatabaseNotFound, fmt.Sprintf("CRMDatabase %s not found in namespace %s", name, rp.q.Namespace)
			}
			rp.waiting(privacyv1alpha1.RequestPending, reason, "nothing is done while a database cannot be used: %s", msg)
			rp.requeueWithin(r.env.Options.RecheckInterval)
			return false, nil
		}
		rp.targets = append(rp.targets, requestTarget{name: name, conn: conn})
	}
	return true, nil
}

// databaseNames lists the databases the request applies to, sorted.
func (r *DataSubjectRequestReconciler) databaseNames(ctx context.Context, q *privacyv1alpha1.DataSubjectRequest) ([]string, error) {
	if q.Spec.DatabaseRef != nil {
		return []string{string(q.Spec.DatabaseRef.Name)}, nil
	}
	var l privacyv1alpha1.CRMDatabaseList
	if err := r.List(ctx, &l, client.InNamespace(q.Namespace)); err != nil {
		return nil, fmt.Errorf("while listing the CRMDatabases of namespace %s: %w", q.Namespace, err)
	}
	names := make([]string, 0, len(l.Items))
	for i := range l.Items {
		names = append(names, l.Items[i].Name)
	}
	sort.Strings(names)
	return names, nil
}

// find looks the person up in each database, and warns once per database when the lookup
// cannot use an index.
func (r *DataSubjectRequestReconciler) find(ctx context.Context, rp *requestPass) (bool, error) {
	field := identityField(rp.q)
	for i := range rp.targets {
		t := &rp.targets[i]
		r.checkIndex(ctx, rp, t, field)
		m, err := dsr.Find(ctx, t.conn.DB, t.conn.Mapping, field, rp.identity)
		if err != nil {
			return false, r.failed(rp, t.name, "Find", err)
		}
		t.match = m
	}
	return true, nil
}

// checkIndex warns when the lookup by field reads the whole contacts table. A failed check
// is logged and ignored: the lookup works without an index, only slower.
func (r *DataSubjectRequestReconciler) checkIndex(ctx context.Context, rp *requestPass, t *requestTarget, field string) {
	li, err := dsr.CheckLookupIndex(ctx, t.conn.DB, t.conn.Mapping, field)
	if err != nil {
		ctrl.LoggerFrom(ctx).Info("Could not check the lookup index", "database", t.name, "error", err.Error())
		return
	}
	if !li.Usable {
		r.env.Recorder.Eventf(rp.q, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonLookupNotIndexed, "Find",
			"CRMDatabase %s has no index for the lookup by %s: each request reads the whole contacts table; create it: %s", t.name, field, li.Want)
	}
}

// errRequestWaits stops a pass that cannot go on until the spec, the identity Secret or
// the database's mapping changes; it is reported in the status, not retried with backoff.
var errRequestWaits = errors.New("the request waits for a change")

// failed reports an operation that failed on a database: a field the database does not
// map (or may not rectify) waits for a change (errRequestWaits); anything else is returned
// for the error backoff.
func (r *DataSubjectRequestReconciler) failed(rp *requestPass, db, action string, err error) error {
	var fe *dsr.FieldError
	var tm *dsr.TooManyMatchesError
	switch {
	case errors.As(err, &fe), errors.Is(err, dsr.ErrNoOptOutField), errors.As(err, &tm):
		rp.waiting(privacyv1alpha1.RequestPending, privacyv1alpha1.ReasonInvalidSpec, "CRMDatabase %s: %v", db, err)
		r.warn(rp, privacyv1alpha1.ReasonInvalidSpec, action, "CRMDatabase %s: %v", db, err)
		rp.requeueWithin(r.env.Options.RecheckInterval)
		return errRequestWaits
	}
	rp.waiting(privacyv1alpha1.RequestPending, privacyv1alpha1.ReasonRequestFailed, "CRMDatabase %s: %v", db, err)
	r.warn(rp, privacyv1alpha1.ReasonRequestFailed, action, "CRMDatabase %s: %v", db, err)
	return fmt.Errorf("while carrying out DataSubjectRequest %s on CRMDatabase %s: %w", rp.q.Name, db, err)
}

// approved checks the matches against maxMatches and the approval. More matches than
// allowed and no approval covering them: nothing is done, the request waits.
func (r *DataSubjectRequestReconciler) approved(rp *requestPass) bool {
	q := rp.q
	allowed := int64(1)
	if q.Spec.MaxMatches != nil {
		allowed = int64(*q.Spec.MaxMatches)
	}
	var most int64
	for _, t := range rp.targets {
		most = max(most, int64(t.match.Count()))
	}
	if most <= allowed {
		q.Status.AwaitingApproval = nil
		rp.condition(privacyv1alpha1.TypeApproved, true, privacyv1alpha1.ReasonReconciled, "at most %d contact(s) per database match; %d allowed", most, allowed)
		return true
	}
	if a := q.Spec.Approval; a != nil && a.SpecHash == q.Status.SpecHash && int64(a.MaxMatches) >= most {
		q.Status.AwaitingApproval = nil
		rp.condition(privacyv1alpha1.TypeApproved, true, privacyv1alpha1.ReasonApprovalCovers, "%d contact(s) match in one database; the approval covers up to %d", most, a.MaxMatches)
		return true
	}
	q.Status.AwaitingApproval = &privacyv1alpha1.RequestApprovalRequest{SpecHash: q.Status.SpecHash, Matched: most}
	msg := fmt.Sprintf("%d contacts match in one database, more than maxMatches (%d): nothing was done; record an approval in spec.approval with specHash %s and maxMatches %d or more",
		most, allowed, q.Status.SpecHash, most)
	rp.condition(privacyv1alpha1.TypeApproved, false, privacyv1alpha1.ReasonTooManyMatches, "%s", msg)
	// Waiting for a person's approval is the safeguard doing its job, not a failure to
	// reconcile: Approved and Completed are False, Ready stays True (docs/gitops.md).
	rp.q.Status.Phase = privacyv1alpha1.RequestAwaitingApproval
	rp.condition(privacyv1alpha1.TypeCompleted, false, privacyv1alpha1.ReasonTooManyMatches, "%s", msg)
	rp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonTooManyMatches, "the request waits for an approval (see the Approved condition): %s", msg)
	r.warn(rp, privacyv1alpha1.ReasonTooManyMatches, "Approve", "%s", msg)
	return false
}
