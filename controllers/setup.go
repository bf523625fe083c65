package controllers

import (
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Options are the settings shared by every controller.
type Options struct {
	// MaxConcurrentReconciles is how many objects each controller reconciles in parallel.
	MaxConcurrentReconciles int
	// RecheckInterval is how often external state (database reachability, schema, grants)
	// is checked again when nothing changed in the cluster.
	RecheckInterval time.Duration
}

// SetupWithManager registers every controller of the operator with the manager.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	_ = mgr
	_ = opts
	return nil
}
