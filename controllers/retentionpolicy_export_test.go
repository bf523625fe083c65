package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

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

// Reconcilers runs the reconcilers of CRMDatabase, RetentionPolicy, ProcessingActivity,
// LegitimateInterestAssessment and AccessRole by hand, through a client the test gives
// (a counting one, for instance), on a clock the test sets.
type Reconcilers struct {
	env *Env
	dbs *CRMDatabaseReconciler
	rp  *RetentionPolicyReconciler
	pa  *ProcessingActivityReconciler
	lia *LegitimateInterestAssessmentReconciler
	ar  *AccessRoleReconciler
}

// NewReconcilers returns the reconcilers: they read through c (a cached client, for the
// field indexes) and live (the API server), write through c.
func NewReconcilers(c client.Client, live client.Reader, clk clock.WithTicker, rec events.EventRecorder, operatorKey []byte, recheck time.Duration) (*Reconcilers, error) {
	keys, err := crm.NewOperatorKeys(operatorKey)
	if err != nil {
		return nil, err
	}
	pools := crm.NewPools()
	pools.SetOperatorKeys(keys)
	env := &Env{Options: Options{MaxConcurrentReconciles: 1, RecheckInterval: recheck}, Clock: clk, Connections: NewConnections(pools), Recorder: rec}
	return &Reconcilers{
		env: env,
		dbs: &CRMDatabaseReconciler{Client: c, env: env, secrets: secretReader{reader: live}},
		rp:  &RetentionPolicyReconciler{Client: c, live: live, env: env},
		pa:  &ProcessingActivityReconciler{Client: c, live: live, env: env, scans: &scanMemo{m: map[types.NamespacedName]map[string]scanMemoEntry{}}},
		lia: &LegitimateInterestAssessmentReconciler{Client: c, env: env},
		ar:  &AccessRoleReconciler{Client: c, env: env, secrets: secretReader{reader: live}, apiReader: live},
	}, nil
}

// Reconcile reconciles one object of the kind once.
func (d *Reconcilers) Reconcile(ctx context.Context, obj client.Object) (ctrl.Result, error) {
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)}
	switch obj.(type) {
	case *privacyv1alpha1.CRMDatabase:
		return d.dbs.Reconcile(ctx, req)
	case *privacyv1alpha1.RetentionPolicy:
		return d.rp.Reconcile(ctx, req)
	case *privacyv1alpha1.ProcessingActivity:
		return d.pa.Reconcile(ctx, req)
	case *privacyv1alpha1.LegitimateInterestAssessment:
		return d.lia.Reconcile(ctx, req)
	case *privacyv1alpha1.AccessRole:
		return d.ar.Reconcile(ctx, req)
	}
	return ctrl.Result{}, fmt.Errorf("no reconciler for %T", obj)
}

// Subscribe is the Connections registry's Subscribe.
func (d *Reconcilers) Subscribe() <-chan event.GenericEvent { return d.env.Connections.Subscribe() }

// Close closes the database pools.
func (d *Reconcilers) Close() error { return d.env.Connections.CloseAll() }

// WriteRetentionStatus writes p's status over before's as every reconciler does, and says
// whether the API server refused it because the policy changed since before was read.
func WriteRetentionStatus(ctx context.Context, c client.Client, p, before *privacyv1alpha1.RetentionPolicy) (conflict bool, err error) {
	_, err = writeStatus(ctx, c, p, before, retentionStatus)
	if errors.Is(err, errStatusConflict) {
		return true, nil
	}
	return false, err
}

// IndexFields registers the operator's field indexes with indexer (a test's own cache).
func IndexFields(ctx context.Context, indexer client.FieldIndexer) error {
	for _, ix := range fieldIndexes {
		if err := indexer.IndexField(ctx, ix.obj, ix.field, ix.extract); err != nil {
			return err
		}
	}
	return nil
}
