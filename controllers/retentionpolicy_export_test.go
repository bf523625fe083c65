package controllers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// DrivenRetention runs the RetentionPolicy reconciler by hand, one Reconcile at a time, on
// a clock the test sets, against the real API server and a real database: a test decides
// what happens between two batches instead of racing a running manager. With a clock that
// does not move, a Reconcile sweeps until its run ends, stops or sees the policy change.
type DrivenRetention struct {
	env *Env
	r   *RetentionPolicyReconciler
	dbs *CRMDatabaseReconciler
}

// NewDrivenRetention returns a reconciler that reads and writes through c (uncached), tells
// the time with clk, records events with rec and authenticates its rows in CRM databases
// with keys derived from operatorKey.
func NewDrivenRetention(c client.Client, clk clock.WithTicker, rec events.EventRecorder, operatorKey []byte) (*DrivenRetention, error) {
	keys, err := crm.NewOperatorKeys(operatorKey)
	if err != nil {
		return nil, err
	}
	pools := crm.NewPools()
	pools.SetOperatorKeys(keys)
	env := &Env{Options: Options{MaxConcurrentReconciles: 1, RecheckInterval: time.Second}, Clock: clk,
		Connections: NewConnections(pools), Recorder: rec}
	return &DrivenRetention{
		env: env,
		r:   &RetentionPolicyReconciler{Client: c, live: c, env: env},
		dbs: &CRMDatabaseReconciler{Client: c, env: env, secrets: secretReader{reader: c}},
	}, nil
}

// ConnectDatabase checks a CRMDatabase as its controller does and makes it usable by the
// driven reconciler.
func (d *DrivenRetention) ConnectDatabase(ctx context.Context, key types.NamespacedName) error {
	db := &privacyv1alpha1.CRMDatabase{}
	if err := d.r.Get(ctx, key, db); err != nil {
		return err
	}
	check := d.dbs.check(ctx, db)
	d.env.Connections.Set(key, check.conn)
	if !check.conn.Ready {
		return fmt.Errorf("CRMDatabase %s is not ready: %+v", key, check.conditions)
	}
	return nil
}

// Reconcile reconciles one RetentionPolicy once.
func (d *DrivenRetention) Reconcile(ctx context.Context, key types.NamespacedName) (ctrl.Result, error) {
	return d.r.Reconcile(ctx, ctrl.Request{NamespacedName: key})
}

// Close closes the database pools.
func (d *DrivenRetention) Close() error { return d.env.Connections.CloseAll() }
