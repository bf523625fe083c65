package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DrivenBreach runs the DataBreach reconciler by hand, sharing the connections and the
// clock of a Reconcilers.
type DrivenBreach struct{ r *DataBreachReconciler }

// NewDrivenBreach returns a DataBreach reconciler that reads and writes through c, reads
// Secrets' metadata through live, on the clock and connections of rs.
func NewDrivenBreach(rs *Reconcilers, c client.Client, live client.Reader) *DrivenBreach {
	return &DrivenBreach{r: &DataBreachReconciler{Client: c, apiReader: live, env: rs.env,
		counts: &scanMemo{m: map[types.NamespacedName]map[string]scanMemoEntry{}}}}
}

// Reconcile reconciles one DataBreach once.
func (d *DrivenBreach) Reconcile(ctx context.Context, key types.NamespacedName) (ctrl.Result, error) {
	return d.r.Reconcile(ctx, ctrl.Request{NamespacedName: key})
}
