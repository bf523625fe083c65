package controllers

import (
	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// NewInstalledPolicyReportReconciler returns a PolicyReportReconciler that reads and writes
// through c and takes the PolicyReport API as installed, for a test to call Reconcile by
// hand.
func NewInstalledPolicyReportReconciler(c client.Client) *PolicyReportReconciler {
	api := &policyReportAPI{log: logr.Discard()}
	api.observe(true)
	return &PolicyReportReconciler{Client: c, api: api}
}
