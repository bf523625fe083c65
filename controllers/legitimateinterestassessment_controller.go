package controllers

import (
	"context"
	"fmt"
	"sort"
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

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
)

// maxUsedBy is the most activity names status.usedBy holds (its schema bound).
const maxUsedBy = 256

// LegitimateInterestAssessmentReconciler keeps an LIA's phase, conditions and list of
// activities relying on it, and warns before and when its review date passes. The state
// itself is gdpr.LIAStateAt's.
type LegitimateInterestAssessmentReconciler struct {
	client.Client
	env *Env
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=legitimateinterestassessments,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=legitimateinterestassessments/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities,verbs=get;list;watch

func setupLegitimateInterestAssessment(env *Env) error {
	mgr := env.Manager
	r := &LegitimateInterestAssessmentReconciler{Client: mgr.GetClient(), env: env}
	return ctrl.NewControllerManagedBy(mgr).
		Named("legitimateinterestassessment").
		For(&privacyv1alpha1.LegitimateInterestAssessment{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&privacyv1alpha1.ProcessingActivity{}, handler.EnqueueRequestsFromMapFunc(liaOfActivity),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

// liaOfActivity wakes the LIA an activity names (the old and the new one on an update, as
// controller-runtime maps both objects).
func liaOfActivity(_ context.Context, obj client.Object) []reconcile.Request {
	pa, ok := obj.(*privacyv1alpha1.ProcessingActivity)
	if !ok || pa.Spec.LegalBasis.LegitimateInterestAssessmentRef == nil {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: pa.Namespace,
		Name: string(pa.Spec.LegalBasis.LegitimateInterestAssessmentRef.Name)}}}
}

// Reconcile updates one LIA's status.
func (r *LegitimateInterestAssessmentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	lia := &privacyv1alpha1.LegitimateInterestAssessment{}
	if err := r.Get(ctx, req.NamespacedName, lia); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetLIA(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !lia.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	now := r.env.Clock.Now()
	state := gdpr.LIAStateAt(&lia.Spec, now)
	usedBy, err := r.usedBy(ctx, lia)
	if err != nil {
		return ctrl.Result{}, err
	}
	before := lia.DeepCopy()
	applyLIAStatus(lia, state, usedBy)
	wrote, err := writeStatus(ctx, r.Client, lia, before, liaStatus)
	switch {
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case err != nil:
		return conflictResult(fmt.Errorf("while updating the status of LegitimateInterestAssessment %s: %w", req.Name, err))
	case wrote:
		r.emitEvents(before, lia, state)
	}
	recordLIAMetrics(lia, state)
	return ctrl.Result{RequeueAfter: untilChange(now, state.NextChange)}, nil
}

func liaStatus(lia *privacyv1alpha1.LegitimateInterestAssessment) any { return &lia.Status }

// untilChange is the RequeueAfter that wakes the controller just after next (zero: never).
func untilChange(now, next time.Time) time.Duration {
	if next.IsZero() {
		return 0
	}
	// One second late rather than early: a wake-up before the moment finds nothing to do.
	return max(next.Sub(now), 0) + time.Second
}

// usedBy lists the activities of the namespace that name the LIA, sorted.
func (r *LegitimateInterestAssessmentReconciler) usedBy(ctx context.Context, lia *privacyv1alpha1.LegitimateInterestAssessment) ([]string, error) {
	var list privacyv1alpha1.ProcessingActivityList
	if err := r.List(ctx, &list, client.InNamespace(lia.Namespace), client.MatchingFields{IndexLIARef: lia.Name}); err != nil {
		return nil, fmt.Errorf("while listing the activities relying on LegitimateInterestAssessment %s: %w", lia.Name, err)
	}
	names := make([]string, 0, len(list.Items))
	for _, pa := range list.Items {
		names = append(names, pa.Name)
	}
	sort.Strings(names)
	if len(names) > maxUsedBy {
		names = names[:maxUsedBy]
	}
	return names, nil
}

// applyLIAStatus writes the state into the status.
func applyLIAStatus(lia *privacyv1alpha1.LegitimateInterestAssessment, s gdpr.LIAState, usedBy []string) {
	st := &lia.Status
	approved := metav1.ConditionFalse
	if s.Usable() {
		approved = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: privacyv1alpha1.TypeApproved, Status: approved,
		Reason: s.Reason, Message: s.Message, ObservedGeneration: lia.Generation})
	// The assessment's phase (draft, rejected, due for review, expired) is the DPO's work,
	// reported by Approved; the operator always reconciles an LIA, so Ready is True, with
	// the phase's reason while the LIA cannot be relied on (docs/gitops.md).
	ready := metav1.Condition{Type: privacyv1alpha1.TypeReady, Status: metav1.ConditionTrue, Reason: s.Reason,
		Message: s.Message + " (see the Approved condition)", ObservedGeneration: lia.Generation}
	if s.Usable() {
		ready.Reason, ready.Message = privacyv1alpha1.ReasonReconciled, s.Message
	}
	meta.SetStatusCondition(&st.Conditions, ready)
	st.Phase = s.Phase
	st.UsedBy = usedBy
	st.ObservedGeneration = lia.Generation
}

// emitEvents reports a change of phase, and the entry into the review window, once each:
// they are read from the status before the update.
func (r *LegitimateInterestAssessmentReconciler) emitEvents(before, after *privacyv1alpha1.LegitimateInterestAssessment, s gdpr.LIAState) {
	was := meta.FindStatusCondition(before.Status.Conditions, privacyv1alpha1.TypeApproved)
	if was != nil && was.Reason == s.Reason && before.Status.Phase == s.Phase {
		return
	}
	users := len(after.Status.UsedBy)
	switch s.Reason {
	case privacyv1alpha1.ReasonExpired:
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeWarning, s.Reason, "Review",
			"The review date has passed: %d activities relying on this assessment lose their legal basis until it is reviewed", users)
	case privacyv1alpha1.ReasonReviewDue:
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeWarning, s.Reason, "Review",
			"The review is due by %s; %d activities rely on this assessment", gdpr.CalendarDay(after.Spec.Decision.ReviewBy.Time), users)
	default:
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeNormal, s.Reason, "Review", "The assessment is %s", s.Phase)
	}
}
