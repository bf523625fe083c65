package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// The health every kind reports, read alike by kstatus (Flux, kpt, cli-utils), Argo CD and
// `kubectl wait --for=condition=Ready` (docs/gitops.md):
//
//   - Ready=True: the operator reconciled the current generation (status.observedGeneration)
//     and its spec is in effect. Findings about the data (contacts that are not compliant,
//     a run waiting for an approval, an overdue request) are in their own conditions.
//   - Ready=False and Reconciling=True: the operator could not reconcile the object yet and
//     retries by itself (a database not reachable, a referenced object missing).
//   - Ready=False and Stalled=True: the operator cannot go on until a person changes
//     something (stalledReasons).
//
// Reconciling and Stalled are abnormal-true: present only while True, derived from Ready by
// setHealth, which writeStatus calls before every status write.

// stalledReasons are the reasons of a Ready=False that retrying cannot get past: a person
// must change the spec, the database's mapping, the identity Secret, or an object in the CRM
// database the operator may not touch. Every other reason of a Ready=False is retried.
var stalledReasons = map[string]bool{
	privacyv1alpha1.ReasonInvalidSpec:           true,
	privacyv1alpha1.ReasonUnsupported:           true,
	privacyv1alpha1.ReasonSchemaInvalid:         true,
	privacyv1alpha1.ReasonInvalidSchedule:       true,
	privacyv1alpha1.ReasonUnsupportedOption:     true,
	privacyv1alpha1.ReasonHostNotAllowed:        true,
	privacyv1alpha1.ReasonCheckpointNotRecorded: true,
	privacyv1alpha1.ReasonRoleNotManaged:        true,
	privacyv1alpha1.ReasonMarkerNotVerified:     true,
	privacyv1alpha1.ReasonViewBypassesRowFilter: true,
	privacyv1alpha1.ReasonIdentityInvalid:       true,
}

// isStalledReason says whether a Ready=False with reason needs a person to change something.
func isStalledReason(reason string) bool { return stalledReasons[reason] }

// setHealth sets the Reconciling and Stalled conditions from Ready: when Ready is False,
// Stalled (reason in stalledReasons) or Reconciling (any other reason) is True with Ready's
// reason, message and observed generation, and the other is removed (Stalled also when
// Completed is True: a finished object is not retried); when Ready is True,
// Unknown or absent, both are removed (Unknown and absent are read as in progress from
// status.observedGeneration and Ready by kstatus and the Argo CD checks).
func setHealth(conds *[]metav1.Condition) {
	ready := meta.FindStatusCondition(*conds, privacyv1alpha1.TypeReady)
	if ready == nil || ready.Status != metav1.ConditionFalse {
		meta.RemoveStatusCondition(conds, privacyv1alpha1.TypeReconciling)
		meta.RemoveStatusCondition(conds, privacyv1alpha1.TypeStalled)
		return
	}
	on, off := privacyv1alpha1.TypeReconciling, privacyv1alpha1.TypeStalled
	// An object the operator has finished with (Completed=True: a ChangePreview answered
	// without figures) is never retried, whatever the reason: Stalled.
	if isStalledReason(ready.Reason) || meta.IsStatusConditionTrue(*conds, privacyv1alpha1.TypeCompleted) {
		on, off = off, on
	}
	meta.RemoveStatusCondition(conds, off)
	meta.SetStatusCondition(conds, metav1.Condition{Type: on, Status: metav1.ConditionTrue, Reason: ready.Reason,
		Message: ready.Message, ObservedGeneration: ready.ObservedGeneration})
}

// setHealthOf applies setHealth to the conditions of obj, when it is one of the API's kinds.
func setHealthOf(obj client.Object) {
	if conds := conditionsOf(obj); conds != nil {
		setHealth(conds)
	}
}
