package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// Field indexes of the manager's cache: each maps an object to the names of the objects
// (in its namespace) it refers to, so that a change to the referenced object wakes the
// objects that depend on it.
const (
	// IndexDatabaseRef indexes RetentionPolicies, AccessRoles, ProcessingActivities and
	// DataBreaches by the CRMDatabases they name.
	IndexDatabaseRef = "privacy.crmoperator.io/databaseRef"
	// IndexActivityRef indexes RetentionPolicies and AccessRoles by their ProcessingActivity.
	IndexActivityRef = "privacy.crmoperator.io/processingActivityRef"
	// IndexLIARef indexes ProcessingActivities by their LegitimateInterestAssessment.
	IndexLIARef = "privacy.crmoperator.io/liaRef"
	// IndexRetentionPolicyRef indexes ProcessingActivities by the RetentionPolicies they name.
	IndexRetentionPolicyRef = "privacy.crmoperator.io/retentionPolicyRef"
	// IndexSecretRef indexes CRMDatabases and AccessRoles by the Secrets they read.
	IndexSecretRef = "privacy.crmoperator.io/secretRef"
)

type fieldIndex struct {
	obj     client.Object
	field   string
	extract client.IndexerFunc
}

var fieldIndexes = []fieldIndex{
	{&privacyv1alpha1.RetentionPolicy{}, IndexDatabaseRef, func(o client.Object) []string {
		return []string{string(o.(*privacyv1alpha1.RetentionPolicy).Spec.DatabaseRef.Name)}
	}},
	{&privacyv1alpha1.AccessRole{}, IndexDatabaseRef, func(o client.Object) []string {
		return []string{string(o.(*privacyv1alpha1.AccessRole).Spec.DatabaseRef.Name)}
	}},
	{&privacyv1alpha1.ProcessingActivity{}, IndexDatabaseRef, func(o client.Object) []string {
		return refNames(o.(*privacyv1alpha1.ProcessingActivity).Spec.DatabaseRefs)
	}},
	{&privacyv1alpha1.RetentionPolicy{}, IndexActivityRef, func(o client.Object) []string {
		return []string{string(o.(*privacyv1alpha1.RetentionPolicy).Spec.ProcessingActivityRef.Name)}
	}},
	{&privacyv1alpha1.AccessRole{}, IndexActivityRef, func(o client.Object) []string {
		return []string{string(o.(*privacyv1alpha1.AccessRole).Spec.ProcessingActivityRef.Name)}
	}},
	{&privacyv1alpha1.ProcessingActivity{}, IndexLIARef, func(o client.Object) []string {
		ref := o.(*privacyv1alpha1.ProcessingActivity).Spec.LegalBasis.LegitimateInterestAssessmentRef
		if ref == nil {
			return nil
		}
		return []string{string(ref.Name)}
	}},
	{&privacyv1alpha1.ProcessingActivity{}, IndexRetentionPolicyRef, func(o client.Object) []string {
		return refNames(o.(*privacyv1alpha1.ProcessingActivity).Spec.RetentionPolicyRefs)
	}},
	{&privacyv1alpha1.CRMDatabase{}, IndexSecretRef, func(o client.Object) []string {
		return crmDatabaseSecrets(o.(*privacyv1alpha1.CRMDatabase))
	}},
	{&privacyv1alpha1.DataBreach{}, IndexDatabaseRef, func(o client.Object) []string {
		return refNames(o.(*privacyv1alpha1.DataBreach).Spec.DatabaseRefs)
	}},
	{&privacyv1alpha1.AccessRole{}, IndexSecretRef, func(o client.Object) []string {
		var names []string
		for _, m := range o.(*privacyv1alpha1.AccessRole).Spec.Members {
			if m.PasswordSecretRef != nil {
				names = append(names, string(m.PasswordSecretRef.Name))
			}
		}
		return names
	}},
}

func indexFields(mgr ctrl.Manager) error {
	for _, ix := range fieldIndexes {
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), ix.obj, ix.field, ix.extract); err != nil {
			return err
		}
	}
	return nil
}

func refNames(refs []privacyv1alpha1.LocalObjectReference) []string {
	names := make([]string, 0, len(refs))
	for _, r := range refs {
		names = append(names, string(r.Name))
	}
	return names
}

// crmDatabaseSecrets lists the Secrets a CRMDatabase reads.
func crmDatabaseSecrets(db *privacyv1alpha1.CRMDatabase) []string {
	names := []string{string(db.Spec.Connection.SecretRef.Name)}
	if tls := db.Spec.Connection.TLS; tls != nil && tls.CASecretRef != nil {
		names = append(names, string(tls.CASecretRef.Name))
	}
	if l := db.Spec.Ledger; l != nil && l.HMACKeySecretRef != nil {
		names = append(names, string(l.HMACKeySecretRef.Name))
	}
	return names
}

// enqueueReferrers returns a handler that, when an object changes, wakes every object of
// list's kind in the same namespace whose field index names it.
func enqueueReferrers(c client.Client, list client.ObjectList, index string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, obj client.Object) []reconcile.Request {
		l := list.DeepCopyObject().(client.ObjectList)
		if err := c.List(ctx, l, client.InNamespace(obj.GetNamespace()),
			client.MatchingFields{index: obj.GetName()}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "listing the objects that refer to a changed object", "index", index)
			return nil
		}
		var reqs []reconcile.Request
		_ = meta.EachListItem(l, func(o runtime.Object) error {
			if co, ok := o.(client.Object); ok {
				reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: co.GetNamespace(), Name: co.GetName()}})
			}
			return nil
		})
		return reqs
	})
}
