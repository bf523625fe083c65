package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities;legitimateinterestassessments;retentionpolicies,verbs=get;list;watch

// registerActivitiesFor returns what the register says about the ProcessingActivities of
// namespace that cover one of databases (spec.databaseRefs), with the assessments and
// retention policies of the namespace they refer to.
func registerActivitiesFor(ctx context.Context, c client.Reader, namespace string, databases []string, at time.Time) ([]subject.Activity, error) {
	var objs register.Objects
	var pas privacyv1alpha1.ProcessingActivityList
	if err := c.List(ctx, &pas, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("while listing the ProcessingActivities of namespace %s: %w", namespace, err)
	}
	for _, pa := range pas.Items {
		if coversAny(pa.Spec.DatabaseRefs, databases) {
			objs.ProcessingActivities = append(objs.ProcessingActivities, pa)
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

// coversAny says whether refs names one of databases.
func coversAny(refs []privacyv1alpha1.LocalObjectReference, databases []string) bool {
	for _, ref := range refs {
		if slices.Contains(databases, string(ref.Name)) {
			return true
		}
	}
	return false
}
