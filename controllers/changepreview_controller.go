package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
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

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/access"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
)

// liveMessageLimit is the API's bound on status.retentionPolicy.liveMessage.
const liveMessageLimit = 1024

// previewDatabaseRetry is when a preview whose database is not ready (or not checked yet)
// looks again.
const previewDatabaseRetry = 5 * time.Second

// ChangePreviewReconciler answers ChangePreviews: what a candidate RetentionPolicy would
// erase now beside the live policy, what a candidate AccessRole would grant beside the live
// one. It only reads: the counts are the plan's (erasure.CountPlans, read-only), the access
// answer is computed from the two specs without touching the database. It deletes each
// preview spec.ttlSecondsAfterAnswered after answering it.
type ChangePreviewReconciler struct {
	client.Client
	// live reads the live RetentionPolicy or AccessRole from the API server: the answer
	// compares the candidate with what is stored now, not with a cache behind it.
	live client.Reader
	env  *Env
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=changepreviews,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=changepreviews/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=retentionpolicies;accessroles;crmdatabases,verbs=get;list;watch

func setupChangePreview(env *Env) error {
	mgr := env.Manager
	r := &ChangePreviewReconciler{Client: mgr.GetClient(), live: mgr.GetAPIReader(), env: env}
	return ctrl.NewControllerManagedBy(mgr).
		Named("changepreview").
		For(&privacyv1alpha1.ChangePreview{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

func changePreviewStatus(cp *privacyv1alpha1.ChangePreview) any { return &cp.Status }

// previewPass is the state of one reconcile of one ChangePreview.
type previewPass struct {
	cp     *privacyv1alpha1.ChangePreview
	before *privacyv1alpha1.ChangePreview
	now    time.Time
	result ctrl.Result
}

// answered records the answer: Completed and Ready, with reason Answered when the answer
// holds every figure, and the deletion time.
func (pp *previewPass) answered(ready bool, reason, format string, args ...any) {
	cp := pp.cp
	setCondition(&cp.Status.Conditions, cp.Generation, privacyv1alpha1.TypeCompleted, true, privacyv1alpha1.ReasonAnswered, "answered; deleted %s after", previewTTL(cp))
	setCondition(&cp.Status.Conditions, cp.Generation, privacyv1alpha1.TypeReady, ready, reason, format, args...)
	at := metav1.NewTime(pp.now)
	cp.Status.AnsweredAt = &at
	requeueWithin(&pp.result, previewTTL(cp), time.Second)
}

// waiting records that the preview cannot be answered yet, and why.
func (pp *previewPass) waiting(reason, format string, args ...any) {
	cp := pp.cp
	setCondition(&cp.Status.Conditions, cp.Generation, privacyv1alpha1.TypeCompleted, false, reason, format, args...)
	setCondition(&cp.Status.Conditions, cp.Generation, privacyv1alpha1.TypeReady, false, reason, format, args...)
}

// Reconcile handles one ChangePreview: answers it once, then deletes it when its time is up.
func (r *ChangePreviewReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cp := &privacyv1alpha1.ChangePreview{}
	if err := r.Get(ctx, req.NamespacedName, cp); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !cp.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	pp := &previewPass{cp: cp, before: cp.DeepCopy(), now: r.env.Clock.Now()}
	if deleteAt, answered := expiry(cp); answered || !pp.now.Before(deleteAt) {
		return r.expire(ctx, pp, deleteAt)
	}
	err := r.answer(ctx, pp)
	if err == nil {
		cp.Status.ObservedGeneration = cp.Generation
	}
	return endPass(ctx, r.Client, "ChangePreview", cp, pp.before, changePreviewStatus, err, pp.result)
}

// isAnswered says whether the operator answered the preview's current spec.
func isAnswered(cp *privacyv1alpha1.ChangePreview) bool {
	c := meta.FindStatusCondition(cp.Status.Conditions, privacyv1alpha1.TypeCompleted)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == cp.Generation && cp.Status.AnsweredAt != nil
}

// previewTTL is how long an answered preview is kept.
func previewTTL(cp *privacyv1alpha1.ChangePreview) time.Duration {
	ttl := int32(privacyv1alpha1.DefaultPreviewTTLSeconds)
	if t := cp.Spec.TTLSecondsAfterAnswered; t != nil {
		ttl = *t
	}
	return time.Duration(ttl) * time.Second
}

// expiry is when the preview is deleted: spec.ttlSecondsAfterAnswered after its answer, or,
// while it is not answered (its database not ready), unansweredTTL after its creation at
// the earliest, so that a preview nobody waits for any more does not stay.
func expiry(cp *privacyv1alpha1.ChangePreview) (time.Time, bool) {
	if isAnswered(cp) {
		return cp.Status.AnsweredAt.Add(previewTTL(cp)), true
	}
	ttl := max(previewTTL(cp), unansweredTTL)
	return cp.CreationTimestamp.Add(ttl), false
}

// unansweredTTL is the least time a preview that was never answered is kept.
const unansweredTTL = privacyv1alpha1.DefaultPreviewTTLSeconds * time.Second

// expire deletes the preview once deleteAt has passed, or wakes it then.
func (r *ChangePreviewReconciler) expire(ctx context.Context, pp *previewPass, deleteAt time.Time) (ctrl.Result, error) {
	cp := pp.cp
	if left := deleteAt.Sub(pp.now); left > 0 {
		return ctrl.Result{RequeueAfter: left}, nil
	}
	uid := cp.UID
	err := r.Delete(ctx, cp, client.Preconditions{UID: &uid})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return ctrl.Result{}, fmt.Errorf("while deleting ChangePreview %s: %w", cp.Name, err)
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Deleted ChangePreview past its time", "answered", isAnswered(cp))
	return ctrl.Result{}, nil
}

// answer computes the answer for the preview's candidate.
func (r *ChangePreviewReconciler) answer(ctx context.Context, pp *previewPass) error {
	switch s := pp.cp.Spec; {
	case s.RetentionPolicy != nil:
		return r.answerRetention(ctx, pp)
	case s.AccessRole != nil:
		return r.answerAccess(ctx, pp)
	}
	// The API server refuses a spec without a candidate; one stored past it is answered so.
	pp.answered(false, privacyv1alpha1.ReasonInvalidSpec, "spec has no candidate: set retentionPolicy or accessRole")
	return nil
}

// answerRetention counts the candidate policy and the live one, from one snapshot, with the
// same cutoffs.
func (r *ChangePreviewReconciler) answerRetention(ctx context.Context, pp *previewPass) error {
	cp := pp.cp
	cand := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: cp.Namespace, Name: string(cp.Spec.RetentionPolicy.Name)},
		Spec: *cp.Spec.RetentionPolicy.Spec.DeepCopy()}
	settings, err := parsePolicy(cand)
	if err != nil {
		var ce *conditionError
		errors.As(err, &ce)
		pp.answered(false, ce.reason, "the candidate cannot be counted: %s", ce.message)
		return nil
	}
	out := &privacyv1alpha1.RetentionPreview{Mode: modeOf(cand)}
	live, err := r.livePolicy(ctx, cand)
	if err != nil {
		return err
	}
	out.LiveExists = live != nil
	key := types.NamespacedName{Namespace: cp.Namespace, Name: string(cand.Spec.DatabaseRef.Name)}
	conn, reason, msg := readyConnection(ctx, r.Client, r.env.Connections, key)
	switch {
	case reason == privacyv1alpha1.ReasonDatabaseNotFound:
		pp.answered(false, reason, "the candidate cannot be counted: %s", msg)
		return nil
	case reason != "":
		pp.waiting(privacyv1alpha1.ReasonDatabaseNotReady, "waiting for the database: %s", msg)
		requeueWithin(&pp.result, previewDatabaseRetry, time.Second)
		return nil
	}
	plans := []erasure.RetentionPlan{retentionPlan(cand, settings, pp.now)}
	liveCounted := false
	if live != nil {
		out.LiveMode = modeOf(live)
		if lp, why := comparablePlan(live, cand, pp.now); why != "" {
			out.LiveMessage = truncateText(why, liveMessageLimit)
		} else {
			plans = append(plans, lp)
			liveCounted = true
		}
	}
	counts, err := erasure.CountPlans(ctx, conn.DB, conn.Mapping, plans...)
	if err == nil {
		var total int64
		total, err = conn.DB.CountContacts(ctx, conn.Mapping)
		out.TotalContacts = &total
	}
	if err != nil {
		return r.countFailed(pp, err)
	}
	var liveCounts []erasure.RuleCount
	if liveCounted {
		liveCounts = counts[1]
	}
	out.LiveCounted = liveCounted
	out.Rules = rulePreviews(cand, live, counts[0], liveCounts)
	cp.Status.RetentionPolicy = out
	pp.answered(true, privacyv1alpha1.ReasonAnswered, "counted %d rule(s) of the candidate%s", len(counts[0]), liveNote(out))
	return nil
}

// livePolicy reads the live RetentionPolicy of the candidate's name; nil when there is none.
func (r *ChangePreviewReconciler) livePolicy(ctx context.Context, cand *privacyv1alpha1.RetentionPolicy) (*privacyv1alpha1.RetentionPolicy, error) {
	live := &privacyv1alpha1.RetentionPolicy{}
	err := r.live.Get(ctx, client.ObjectKeyFromObject(cand), live)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("while reading RetentionPolicy %s: %w", cand.Name, err)
	}
	return live, nil
}

// comparablePlan returns the live policy's plan, or why it is not counted beside the
// candidate: it cannot be parsed, or it names another database (counts from two databases
// are no comparison).
func comparablePlan(live, cand *privacyv1alpha1.RetentionPolicy, now time.Time) (erasure.RetentionPlan, string) {
	if live.Spec.DatabaseRef != cand.Spec.DatabaseRef {
		return erasure.RetentionPlan{}, fmt.Sprintf("the live policy applies to CRMDatabase %s, the candidate to %s: only the candidate is counted",
			live.Spec.DatabaseRef.Name, cand.Spec.DatabaseRef.Name)
	}
	s, err := parsePolicy(live)
	if err != nil {
		return erasure.RetentionPlan{}, "the live policy cannot be counted: " + err.Error()
	}
	return retentionPlan(live, s, now), ""
}

// countFailed reports a plan that could not be counted. A selector naming a field the
// database does not map is the candidate's error: answered, as it will not change. Anything
// else is returned for the error backoff.
func (r *ChangePreviewReconciler) countFailed(pp *previewPass, err error) error {
	var se *crm.SelectorError
	if errors.As(err, &se) {
		pp.cp.Status.RetentionPolicy = nil
		pp.answered(false, privacyv1alpha1.ReasonInvalidSpec, "cannot count the plan: %v", err)
		return nil
	}
	pp.cp.Status.RetentionPolicy = nil
	pp.waiting(privacyv1alpha1.ReasonCountFailed, "cannot count the plan: %v", err)
	return fmt.Errorf("while counting the plan of ChangePreview %s: %w", pp.cp.Name, err)
}

func modeOf(p *privacyv1alpha1.RetentionPolicy) privacyv1alpha1.RetentionMode {
	if p.Spec.Mode == "" {
		return privacyv1alpha1.ModeDryRun
	}
	return p.Spec.Mode
}

func liveNote(out *privacyv1alpha1.RetentionPreview) string {
	switch {
	case !out.LiveExists:
		return "; no live policy of that name"
	case !out.LiveCounted:
		return "; the live policy was not counted: " + out.LiveMessage
	}
	return " beside the live policy, from one snapshot"
}

// rulePreviews pairs the candidate's rule counts with the live policy's by rule name: the
// candidate's rules in order, then the live rules it removes.
func rulePreviews(cand, live *privacyv1alpha1.RetentionPolicy, counts, liveCounts []erasure.RuleCount) []privacyv1alpha1.RulePreview {
	liveRules := map[privacyv1alpha1.ItemName]int{}
	if live != nil {
		for i, rule := range live.Spec.Rules {
			liveRules[rule.Name] = i
		}
	}
	// liveFigures fills the live side of a rule from the live policy's rule i.
	liveFigures := func(rp *privacyv1alpha1.RulePreview, i int) {
		rp.LiveAction = live.Spec.Rules[i].Action
		if i < len(liveCounts) {
			rp.LivePending, rp.LiveHeld = ptr.To(liveCounts[i].Pending), ptr.To(liveCounts[i].Held)
		}
	}
	out := make([]privacyv1alpha1.RulePreview, 0, len(counts))
	seen := map[privacyv1alpha1.ItemName]bool{}
	for i, c := range counts {
		rule := cand.Spec.Rules[i]
		rp := privacyv1alpha1.RulePreview{Name: rule.Name, Action: rule.Action, Pending: ptr.To(c.Pending), Held: ptr.To(c.Held)}
		if li, ok := liveRules[rule.Name]; ok {
			liveFigures(&rp, li)
			rp.Comparable = rp.LivePending != nil && sameCriteria(rule, live.Spec.Rules[li])
		}
		seen[rule.Name] = true
		out = append(out, rp)
	}
	if live == nil {
		return out
	}
	for i, rule := range live.Spec.Rules {
		if seen[rule.Name] {
			continue
		}
		rp := privacyv1alpha1.RulePreview{Name: rule.Name, Action: rule.Action}
		liveFigures(&rp, i)
		out = append(out, rp)
	}
	return out
}

// sameCriteria says whether two rules take the same action on contacts picked the same way,
// their terms aside.
func sameCriteria(a, b privacyv1alpha1.RetentionRule) bool {
	a.RetainFor, b.RetainFor = "", ""
	a.Anonymize, b.Anonymize = nil, nil
	return equality.Semantic.DeepEqual(a, b)
}

// answerAccess compares the desired state of the live AccessRole with the candidate's, now.
// Nothing reaches the database.
func (r *ChangePreviewReconciler) answerAccess(ctx context.Context, pp *previewPass) error {
	cp := pp.cp
	cand := &privacyv1alpha1.AccessRole{ObjectMeta: metav1.ObjectMeta{Namespace: cp.Namespace, Name: string(cp.Spec.AccessRole.Name)},
		Spec: *cp.Spec.AccessRole.Spec.DeepCopy()}
	live := &privacyv1alpha1.AccessRole{}
	var liveState access.Declared
	switch err := r.live.Get(ctx, client.ObjectKeyFromObject(cand), live); {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return fmt.Errorf("while reading AccessRole %s: %w", cand.Name, err)
	default:
		liveState = desiredAccess(live, pp.now).Declared()
	}
	d := access.DiffDeclared(liveState, desiredAccess(cand, pp.now).Declared())
	cp.Status.AccessRole = &privacyv1alpha1.AccessPreview{
		LiveExists:       live != nil,
		PrivilegesGained: privilegePreviews(d.PrivilegesGained),
		PrivilegesLost:   privilegePreviews(d.PrivilegesLost),
		MembersGained:    d.MembersGained,
		MembersLost:      d.MembersLost,
		RowFilter:        privacyv1alpha1.RowFilterChange(d.RowFilter),
	}
	pp.answered(true, privacyv1alpha1.ReasonAnswered, "%d privilege(s) and %d member(s) gained, %d privilege(s) and %d member(s) lost; row filter %s",
		len(d.PrivilegesGained), len(d.MembersGained), len(d.PrivilegesLost), len(d.MembersLost), d.RowFilter)
	return nil
}

// desiredAccess is the spec the AccessRole controller would apply to the database now: the
// members whose designation is current, the grants unless the role is past its validUntil.
// It uses the controller's own designation and accessSpec, which read nothing but the pass;
// passwords are not read (a preview sets none).
func desiredAccess(ar *privacyv1alpha1.AccessRole, now time.Time) access.Spec {
	designer := &AccessRoleReconciler{}
	ap := &accessPass{ar: ar, now: now}
	if vu := ar.Spec.ValidUntil; vu != nil && !now.Before(vu.Time) {
		ap.expired = true
	}
	for _, m := range ar.Spec.Members {
		st := designer.designation(ap, m)
		ap.members = append(ap.members, access.Member{User: string(m.User), Active: st.active})
	}
	return designer.accessSpec(ap)
}

func privilegePreviews(ps []access.DeclaredPrivilege) []privacyv1alpha1.PrivilegePreview {
	var out []privacyv1alpha1.PrivilegePreview
	for _, p := range ps {
		out = append(out, privacyv1alpha1.PrivilegePreview{Table: p.Table, Column: p.Column, Privilege: privacyv1alpha1.Privilege(p.Privilege)})
	}
	return out
}
