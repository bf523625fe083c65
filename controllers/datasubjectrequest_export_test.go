package controllers

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// DrivenRequests runs the DataSubjectRequest reconciler by hand, one Reconcile at a time, on
// a clock the test sets, against the real API server and a real database: deadlines and
// the export's retention pass without waiting for them.
type DrivenRequests struct {
	env       *Env
	r         *DataSubjectRequestReconciler
	retention *DrivenRetention
}

// NewDrivenRequests returns a reconciler that reads and writes through c (uncached), tells
// the time with clk, records events with rec and keys identity hashes with operatorKey.
func NewDrivenRequests(c client.Client, clk clock.WithTicker, rec events.EventRecorder, operatorKey []byte) (*DrivenRequests, error) {
	keys, err := crm.NewOperatorKeys(operatorKey)
	if err != nil {
		return nil, err
	}
	pools := crm.NewPools()
	pools.SetOperatorKeys(keys)
	env := &Env{Options: Options{MaxConcurrentReconciles: 1, RecheckInterval: time.Second, OperatorKey: operatorKey}, Clock: clk,
		Connections: NewConnections(pools), Recorder: rec}
	return &DrivenRequests{env: env, r: &DataSubjectRequestReconciler{Client: c, live: c, secrets: secretReader{reader: c}, env: env},
		retention: &DrivenRetention{env: env, dbs: &CRMDatabaseReconciler{Client: c, env: env, secrets: secretReader{reader: c}},
			r: &RetentionPolicyReconciler{Client: c, live: c, env: env}}}, nil
}

// ConnectDatabase checks a CRMDatabase as its controller does and makes it usable.
func (d *DrivenRequests) ConnectDatabase(ctx context.Context, key types.NamespacedName) error {
	return d.retention.ConnectDatabase(ctx, key)
}

// Reconcile reconciles one DataSubjectRequest once.
func (d *DrivenRequests) Reconcile(ctx context.Context, key types.NamespacedName) (ctrl.Result, error) {
	return d.r.Reconcile(ctx, ctrl.Request{NamespacedName: key})
}

// Close closes the database pools.
func (d *DrivenRequests) Close() error { return d.env.Connections.CloseAll() }
