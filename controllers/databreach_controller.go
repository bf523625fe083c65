package controllers

import (
	"context"
	"encoding/json"
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
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/scan"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
)

// DataBreachReconciler keeps a breach's deadlines as conditions (gdpr.BreachStateAt),
// counts the contacts it affects in each database, and, for a HighRisk breach that asks
// for it, writes the list of contacts to notify into a Secret it owns and deletes it after
// its retention.
type DataBreachReconciler struct {
	client.Client
	// apiReader reads the notify list Secret's metadata straight from the API server: the
	// operator caches only Secrets' metadata, and never their values.
	apiReader client.Reader
	env       *Env
	counts    *scanMemo
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=databreaches,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=databreaches/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=crmdatabases,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;delete

func setupDataBreach(env *Env) error {
	mgr := env.Manager
	c := mgr.GetClient()
	r := &DataBreachReconciler{Client: c, apiReader: mgr.GetAPIReader(), env: env,
		counts: &scanMemo{m: map[types.NamespacedName]map[string]scanMemoEntry{}}}
	return ctrl.NewControllerManagedBy(mgr).
		Named("databreach").
		For(&privacyv1alpha1.DataBreach{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// A notify list Secret deleted by someone else is recorded as deleted. Only the
		// Secrets' metadata is watched (the informer the other controllers share).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(),
			&privacyv1alpha1.DataBreach{}, handler.OnlyControllerOwner()), builder.WithPredicates(predicate.Funcs{
			CreateFunc:  func(event.CreateEvent) bool { return false },
			UpdateFunc:  func(event.UpdateEvent) bool { return false },
			GenericFunc: func(event.GenericEvent) bool { return false },
		})).
		Watches(&privacyv1alpha1.CRMDatabase{}, enqueueReferrers(c, &privacyv1alpha1.DataBreachList{}, IndexDatabaseRef),
			builder.WithPredicates(readyChanged{})).
		WatchesRawSource(source.Channel(env.Connections.Subscribe(), enqueueReferrers(c, &privacyv1alpha1.DataBreachList{}, IndexDatabaseRef))).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

// Reconcile updates one breach's status, counts and notify list.
func (r *DataBreachReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	b := &privacyv1alpha1.DataBreach{}
	if err := r.Get(ctx, req.NamespacedName, b); err != nil {
		if apierrors.IsNotFound(err) {
			r.counts.forget(req.NamespacedName)
			metrics.ForgetBreach(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !b.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	now := r.env.Clock.Now()
	state := gdpr.BreachStateAt(&b.Spec, now)
	p := &breachPass{now: now}
	affected, err := r.countAffected(ctx, b, p)
	if err != nil {
		return uncheckedResult(err)
	}
	notify, err := r.reconcileNotifyList(ctx, b, p)
	if err != nil {
		return uncheckedResult(err)
	}
	before := b.DeepCopy()
	applyBreachStatus(b, state, affected, notify, p)
	wrote, err := writeStatus(ctx, r.Client, b, before, breachStatus)
	switch {
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case err != nil:
		return conflictResult(fmt.Errorf("while updating the status of DataBreach %s: %w", req.Name, err))
	case wrote:
		r.emitBreachEvents(before, b)
	}
	recordBreachMetrics(b, state)
	p.wakeAt(state.NextChange)
	return ctrl.Result{RequeueAfter: p.requeueAfter()}, nil
}

func breachStatus(b *privacyv1alpha1.DataBreach) any { return &b.Status }

// breachPass gathers what one reconcile found: the time, the problem with the counts, and
// the earliest moment something changes by itself.
type breachPass struct {
	now time.Time
	// countProblem is why a database could not be counted (the first one), nil when all were.
	countProblem *privacyv1alpha1.Finding
	next         time.Time
}

// wakeAt asks for a reconcile just after t (ignored when zero).
func (p *breachPass) wakeAt(t time.Time) {
	if !t.IsZero() && (p.next.IsZero() || t.Before(p.next)) {
		p.next = t
	}
}

func (p *breachPass) requeueAfter() time.Duration { return untilChange(p.now, p.next) }

// breachSelector is the breach's contactSelector in the CRM layer's terms.
func breachSelector(b *privacyv1alpha1.DataBreach) crm.Selector {
	var sel crm.Selector
	if cs := b.Spec.ContactSelector; cs != nil {
		for _, e := range cs.MatchExpressions {
			sel = append(sel, crm.Requirement{Field: string(e.Field), Operator: string(e.Operator), Values: e.Values})
		}
	}
	return sel
}

// countAffected counts the affected contacts of each database, or reuses the last count
// when neither the breach nor the database changed and the scan interval has not passed. A
// database that cannot be counted keeps its last count, with the reason.
func (r *DataBreachReconciler) countAffected(ctx context.Context, b *privacyv1alpha1.DataBreach, p *breachPass) ([]privacyv1alpha1.BreachAffectedDatabase, error) {
	key := client.ObjectKeyFromObject(b)
	covered := map[string]bool{}
	out := make([]privacyv1alpha1.BreachAffectedDatabase, 0, len(b.Spec.DatabaseRefs))
	for _, ref := range b.Spec.DatabaseRefs {
		covered[string(ref.Name)] = true
		e, err := r.countDatabase(ctx, b, ref.Name, p)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	r.counts.keep(key, covered)
	for _, prev := range b.Status.Affected {
		if !covered[string(prev.Database)] {
			metrics.BreachAffectedContacts.DeleteLabelValues(b.Namespace, b.Name, string(prev.Database))
		}
	}
	return out, nil
}

func (r *DataBreachReconciler) countDatabase(ctx context.Context, b *privacyv1alpha1.DataBreach, name privacyv1alpha1.ObjectName, p *breachPass) (privacyv1alpha1.BreachAffectedDatabase, error) {
	conn, unavailable, err := readyCRMDatabase(ctx, r.Client, r.env.Connections, b.Namespace, name)
	if err != nil {
		return privacyv1alpha1.BreachAffectedDatabase{}, err
	}
	if unavailable != nil {
		p.countFailed(unavailable, r.env.Options.RecheckInterval)
		return staleAffected(b, name, unavailable), nil
	}
	sel := breachSelector(b)
	fp, _ := json.Marshal(struct {
		Generation, DatabaseGeneration int64
		Selector                       crm.Selector
	}{b.Generation, conn.Generation, sel})
	key := client.ObjectKeyFromObject(b)
	interval := max(r.env.Options.RecheckInterval, ComplianceScanInterval)
	memo, ok := r.counts.get(key, string(name))
	if !ok || memo.fingerprint != string(fp) || !p.now.Before(memo.at.Add(interval)) {
		n, err := scan.Affected(ctx, conn.DB, conn.Mapping, sel)
		if err != nil {
			problem := scanProblem(name, err)
			p.countFailed(problem, r.env.Options.RecheckInterval)
			ctrl.LoggerFrom(ctx).Info("Counting the affected contacts failed", "database", name, "reason", problem.Code)
			return staleAffected(b, name, problem), nil
		}
		memo = scanMemoEntry{fingerprint: string(fp), at: p.now, result: scan.Result{InScope: n}}
		r.counts.put(key, string(name), memo)
		metrics.BreachAffectedContacts.WithLabelValues(b.Namespace, b.Name, string(name)).Set(float64(n))
	}
	p.wakeAt(memo.at.Add(interval))
	n := memo.result.InScope
	at := metav1.NewTime(memo.at)
	return privacyv1alpha1.BreachAffectedDatabase{Database: name, Contacts: &n, CountedAt: &at}, nil
}

// countFailed records the first problem and asks for a retry.
func (p *breachPass) countFailed(problem *privacyv1alpha1.Finding, retry time.Duration) {
	if p.countProblem == nil {
		p.countProblem = problem
	}
	p.wakeAt(p.now.Add(retry))
}

// staleAffected keeps a database's last count, with why it is not current.
func staleAffected(b *privacyv1alpha1.DataBreach, name privacyv1alpha1.ObjectName, problem *privacyv1alpha1.Finding) privacyv1alpha1.BreachAffectedDatabase {
	e := privacyv1alpha1.BreachAffectedDatabase{Database: name}
	for _, prev := range b.Status.Affected {
		if prev.Database == name {
			e.Contacts, e.CountedAt = prev.Contacts, prev.CountedAt
		}
	}
	e.Reason, e.Message = problem.Code, truncateMessage(problem.Message)
	return e
}

// applyBreachStatus writes the state, the counts and the notify list into the status.
func applyBreachStatus(b *privacyv1alpha1.DataBreach, s gdpr.BreachState, affected []privacyv1alpha1.BreachAffectedDatabase,
	notify *privacyv1alpha1.BreachNotifyListStatus, p *breachPass) {
	st := &b.Status
	set := func(t string, on bool, reason, msg string) {
		status := metav1.ConditionFalse
		if on {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: t, Status: status, Reason: reason,
			Message: truncateMessage(msg), ObservedGeneration: b.Generation})
	}
	set(privacyv1alpha1.TypeAuthorityNotificationDue, s.AuthorityDue, s.AuthorityReason, s.AuthorityMessage)
	overdueReason := s.AuthorityReason
	set(privacyv1alpha1.TypeOverdue, s.Overdue, overdueReason, s.AuthorityMessage)
	set(privacyv1alpha1.TypeDataSubjectNotificationDue, s.SubjectsDue, s.SubjectsReason, s.SubjectsMessage)
	counted := affectedCondition(affected, p.countProblem)
	set(privacyv1alpha1.TypeAffectedCounted, counted.Status == metav1.ConditionTrue, counted.Reason, counted.Message)
	// A passed deadline or a notification due is the DPO's work, reported by Overdue and
	// the notification conditions; Ready is False only when the operator could not count
	// the affected contacts (docs/gitops.md).
	switch {
	case counted.Status != metav1.ConditionTrue:
		set(privacyv1alpha1.TypeReady, false, counted.Reason, counted.Message)
	case s.Overdue:
		set(privacyv1alpha1.TypeReady, true, s.AuthorityReason, s.AuthorityMessage+" (see the Overdue condition)")
	default:
		set(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonReconciled, readyBreachMessage(s))
	}
	deadline := metav1.NewTime(s.Deadline)
	st.AuthorityDeadline = &deadline
	st.State = s.State
	st.Affected = affected
	st.AffectedContacts = sumAffected(affected)
	st.NotifyList = notify
	st.ObservedGeneration = b.Generation
}

// readyBreachMessage sums up what is still due.
func readyBreachMessage(s gdpr.BreachState) string {
	switch {
	case s.AuthorityDue && s.SubjectsDue:
		return s.AuthorityMessage + "; " + s.SubjectsMessage
	case s.AuthorityDue:
		return s.AuthorityMessage
	case s.SubjectsDue:
		return s.SubjectsMessage
	}
	return "the breach is documented and no notification is outstanding"
}

// affectedCondition is the AffectedCounted condition.
func affectedCondition(affected []privacyv1alpha1.BreachAffectedDatabase, problem *privacyv1alpha1.Finding) metav1.Condition {
	if problem != nil {
		return metav1.Condition{Status: metav1.ConditionFalse, Reason: problem.Code, Message: problem.Message}
	}
	if len(affected) == 0 {
		return metav1.Condition{Status: metav1.ConditionTrue, Reason: privacyv1alpha1.ReasonNotRequired,
			Message: "spec.databaseRefs names no CRMDatabase: there is nothing to count"}
	}
	total := sumAffected(affected)
	return metav1.Condition{Status: metav1.ConditionTrue, Reason: privacyv1alpha1.ReasonReconciled,
		Message: fmt.Sprintf("%d affected contacts counted in %d CRMDatabases", *total, len(affected))}
}

// sumAffected is the total of the counted databases (nil when none was counted).
func sumAffected(affected []privacyv1alpha1.BreachAffectedDatabase) *int64 {
	var total *int64
	for _, a := range affected {
		if a.Contacts == nil {
			continue
		}
		if total == nil {
			total = new(int64)
		}
		*total += *a.Contacts
	}
	return total
}

// emitBreachEvents reports each change of a notification condition's reason once: a
// Warning when the deadline passes or a notification becomes due, Normal otherwise.
func (r *DataBreachReconciler) emitBreachEvents(before, after *privacyv1alpha1.DataBreach) {
	for _, t := range []string{privacyv1alpha1.TypeAuthorityNotificationDue, privacyv1alpha1.TypeDataSubjectNotificationDue} {
		was := meta.FindStatusCondition(before.Status.Conditions, t)
		now := meta.FindStatusCondition(after.Status.Conditions, t)
		if now == nil || (was != nil && was.Reason == now.Reason) {
			continue
		}
		kind := corev1.EventTypeNormal
		if now.Status == metav1.ConditionTrue {
			kind = corev1.EventTypeWarning
		}
		r.env.Recorder.Eventf(after, nil, kind, now.Reason, "Notify", "%s", now.Message)
	}
	was, now := before.Status.NotifyList, after.Status.NotifyList
	switch {
	case now == nil:
	case now.DeletedAt != nil && (was == nil || was.DeletedAt == nil):
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonNotifyListDeleted, "NotifyList",
			"Secret %s with the list of contacts to notify was deleted", now.SecretName)
	case now.CreatedAt != nil && (was == nil || was.CreatedAt == nil || !was.CreatedAt.Equal(now.CreatedAt)):
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonNotifyListWritten, "NotifyList",
			"The channels of %d contacts to notify were written to Secret %s (%d without email or phone left out); it is deleted at %s",
			now.Contacts, now.SecretName, now.Unreachable, gdpr.FormatInstant(now.ExpiresAt.Time))
	case now.Reason != "" && (was == nil || was.Reason != now.Reason):
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "NotifyList", "%s", now.Message)
	}
}

// recordBreachMetrics sets the breach's gauges.
func recordBreachMetrics(b *privacyv1alpha1.DataBreach, s gdpr.BreachState) {
	metrics.BreachOverdue.WithLabelValues(b.Namespace, b.Name).Set(boolGauge(s.Overdue))
	metrics.BreachAuthorityDue.WithLabelValues(b.Namespace, b.Name).Set(boolGauge(s.AuthorityDue))
	metrics.BreachOpen.WithLabelValues(b.Namespace, b.Name).Set(boolGauge(s.Open()))
	metrics.BreachDeadline.WithLabelValues(b.Namespace, b.Name).Set(float64(s.Deadline.Unix()))
}

func boolGauge(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
