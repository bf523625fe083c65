package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// readyChanged passes creations, deletions, and updates that change an object's Ready
// condition status or its generation: what dependents of a CRMDatabase care about.
type readyChanged struct{ predicate.Funcs }

func (readyChanged) Update(e event.UpdateEvent) bool {
	if e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() {
		return true
	}
	return readyStatus(e.ObjectOld) != readyStatus(e.ObjectNew)
}

func readyStatus(o any) string {
	db, ok := o.(*privacyv1alpha1.CRMDatabase)
	if !ok {
		return ""
	}
	c := meta.FindStatusCondition(db.Status.Conditions, privacyv1alpha1.TypeReady)
	if c == nil {
		return ""
	}
	return string(c.Status)
}

// existenceChanged passes creations and deletions only.
type existenceChanged struct{ predicate.Funcs }

func (existenceChanged) Update(event.UpdateEvent) bool { return false }

// annotationChanged passes only the updates that change the annotation key: a request made
// through an annotation (kubectl gdpr run, scan --export) does not change the generation,
// which the controllers' other predicate watches.
func annotationChanged(key string) predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetAnnotations()[key] != e.ObjectNew.GetAnnotations()[key]
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}
