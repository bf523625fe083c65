package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities;legitimateinterestassessments;retentionpolicies,verbs=get;list;watch

// appliesFunc says whether a ProcessingActivity applies to the person.
type appliesFunc func(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity) (bool, error)

// registerActivitiesFor returns what the register says about the ProcessingActivities of
// namespace that applies keeps, with the assessments and retention policies of the
// namespace they refer to.
func registerActivitiesFor(ctx context.Context, c client.Reader, namespace string, applies appliesFunc, at time.Time) ([]subject.Activity, error) {
	var objs register.Objects
	var pas privacyv1alpha1.ProcessingActivityList
	if err := c.List(ctx, &pas, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("while listing the ProcessingActivities of namespace %s: %w", namespace, err)
	}
	for i := range pas.Items {
		ok, err := applies(ctx, &pas.Items[i])
		if err != nil {
			return nil, err
		}
		if ok {
			objs.ProcessingActivities = append(objs.ProcessingActivities, pas.Items[i])
		}
	}
	if len(objs.ProcessingActivities) == 0 {
		return nil, nil
	}
	var lias privacyv1alpha1.LegitimateInterestAssessmentList
	if err := c.List(ctx, &lias, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("while listing the LegitimateInterestAssessments of namespace %s: %w", namespace, err)
	}
	var rps privacyv1alpha1.RetentionPolicyList
	if err := c.List(ctx, &rps, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("while listing the RetentionPolicies of namespace %s: %w", namespace, err)
	}
	objs.LegitimateInterestAssessments, objs.RetentionPolicies = lias.Items, rps.Items
	return register.SubjectActivities(objs, at)
}

// activityApplies returns the test of "this activity applies to the person" (GDPR
// Art. 15(1): the purposes, recipients, … "of the processing" of their data): the activity
// covers a database of targets (spec.databaseRefs) where the person has contacts, and its
// spec.contactSelector, when it has one, selects at least one of them there (counted in
// the database, the selector compiled as the compliance scan compiles it). A selector that
// cannot be evaluated on a database counts as selecting: the person is told too much
// rather than too little, and a Warning event (ActivityScopeUnevaluated) names the
// activity and the database.
func (r *DataSubjectRequestReconciler) activityApplies(rp *requestPass) appliesFunc {
	return func(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity) (bool, error) {
		for i := range rp.targets {
			t := &rp.targets[i]
			if t.match.Count() == 0 || !coversAny(pa.Spec.DatabaseRefs, []string{t.name}) {
				continue
			}
			if pa.Spec.ContactSelector == nil {
				return true, nil
			}
			n, err := dsr.CountSelected(ctx, t.conn.DB, t.conn.Mapping, t.match.Keys, "spec.contactSelector", toSelector(pa.Spec.ContactSelector))
			var se *crm.SelectorError
			if errors.As(err, &se) {
				r.env.Recorder.Eventf(rp.q, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonActivityScopeUnevaluated, "Export",
					"The contactSelector of ProcessingActivity %s cannot be evaluated on CRMDatabase %s (%v): the export lists the activity as applying", pa.Name, t.name, err)
				return true, nil
			}
			if err != nil {
				return false, fmt.Errorf("while checking whether ProcessingActivity %s applies to the contacts found in CRMDatabase %s: %w", pa.Name, t.name, err)
			}
			if n > 0 {
				return true, nil
			}
		}
		return false, nil
	}
}

// coversAny says whether refs names one of databases.
func coversAny(refs []privacyv1alpha1.LocalObjectReference, databases []string) bool {
	for _, ref := range refs {
		if slices.Contains(databases, string(ref.Name)) {
			return true
		}
	}
	return false
}
