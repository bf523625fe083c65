package controllers

import (
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// requestCountsChanged passes the creations and deletions of DataSubjectRequests, and the
// updates that change what the register counts of them: the month of receipt, the type,
// the phase and whether they were completed on time.
var requestCountsChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok := e.ObjectOld.(*privacyv1alpha1.DataSubjectRequest)
		n, ok2 := e.ObjectNew.(*privacyv1alpha1.DataSubjectRequest)
		if !ok || !ok2 {
			return false
		}
		return o.Status.Phase != n.Status.Phase || !sameJSON(o.Status.ReceivedAt, n.Status.ReceivedAt) ||
			(o.Status.OnTime == nil) != (n.Status.OnTime == nil) || (o.Status.OnTime != nil && *o.Status.OnTime != *n.Status.OnTime)
	},
	CreateFunc:  func(event.CreateEvent) bool { return true },
	DeleteFunc:  func(event.DeleteEvent) bool { return true },
	GenericFunc: func(event.GenericEvent) bool { return false },
}
