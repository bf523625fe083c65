package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/retention"
)

// minRetryDelay is the first retry after a database check fails; later retries back off
// up to the recheck interval.
const minRetryDelay = 5 * time.Second

// problemsMessageLimit bounds the SchemaValid message.
const problemsMessageLimit = 1500

// CRMDatabaseReconciler connects to each CRM database, checks its mapping against the real
// catalog, installs the erasure ledger, counts contacts, and publishes the outcome in
// the status and in Env.Connections for the other controllers.
type CRMDatabaseReconciler struct {
	client.Client
	env     *Env
	secrets secretReader
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=crmdatabases,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=crmdatabases/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch

func setupCRMDatabase(env *Env) error {
	mgr := env.Manager
	r := &CRMDatabaseReconciler{Client: mgr.GetClient(), env: env, secrets: secretReader{reader: mgr.GetAPIReader()}}
	return ctrl.NewControllerManagedBy(mgr).
		Named("crmdatabase").
		For(&privacyv1alpha1.CRMDatabase{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(&corev1.Secret{}, enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.CRMDatabaseList{}, IndexSecretRef)).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

// databaseCheck is the outcome of one check of a database.
type databaseCheck struct {
	conn       Connection
	conditions []metav1.Condition
	version    string
	contacts   *int64
	problems   []crm.Problem
}

func (c *databaseCheck) set(condType string, ok bool, reason, format string, args ...any) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	c.setStatus(condType, status, reason, format, args...)
}

func (c *databaseCheck) setStatus(condType string, status metav1.ConditionStatus, reason, format string, args ...any) {
	c.conditions = append(c.conditions, metav1.Condition{Type: condType, Status: status, Reason: reason, Message: fmt.Sprintf(format, args...)})
}

func (c *databaseCheck) fail(condType string, err error) {
	var ce *conditionError
	if errors.As(err, &ce) {
		c.set(condType, false, ce.reason, "%s", ce.message)
		return
	}
	c.set(condType, false, connectionReason(err), "%v", err)
}

// Reconcile checks one CRMDatabase.
func (r *CRMDatabaseReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	db := &privacyv1alpha1.CRMDatabase{}
	if err := r.Get(ctx, req.NamespacedName, db); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, r.forget(ctx, req.NamespacedName)
		}
		return ctrl.Result{}, err
	}
	if !db.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.forget(ctx, req.NamespacedName)
	}
	check := r.check(ctx, db)
	r.env.Connections.Set(req.NamespacedName, check.conn)
	recordDatabaseMetrics(db, check)
	before := db.DeepCopy()
	r.applyStatus(db, check)
	if _, err := writeStatus(ctx, r.Client, db, before, crmDatabaseStatus); err != nil {
		return conflictResult(fmt.Errorf("while updating the status of CRMDatabase %s: %w", req.Name, err))
	}
	r.emitTransitionEvents(before, db)
	return ctrl.Result{RequeueAfter: r.nextCheck(db, check.conn.Ready)}, nil
}

func crmDatabaseStatus(db *privacyv1alpha1.CRMDatabase) any { return &db.Status }

// forget closes the pool of a deleted CRMDatabase.
func (r *CRMDatabaseReconciler) forget(ctx context.Context, key types.NamespacedName) error {
	ctrl.LoggerFrom(ctx).Info("Closing the connection pool of a deleted CRMDatabase")
	metrics.ForgetDatabase(key.Namespace, key.Name)
	return r.env.Connections.Forget(key)
}

// check runs the phases in order; a failed phase marks the later ones Unknown (reason
// DatabaseNotReady: not checked) so no stale True survives.
func (r *CRMDatabaseReconciler) check(ctx context.Context, db *privacyv1alpha1.CRMDatabase) *databaseCheck {
	c := &databaseCheck{conn: Connection{Generation: db.Generation, LedgerEnabled: ledgerEnabled(db)}}
	pool, ok := r.connect(ctx, db, c)
	if ok {
		ok = r.checkSchema(ctx, db, pool, c)
	} else {
		c.setStatus(privacyv1alpha1.TypeSchemaValid, metav1.ConditionUnknown, privacyv1alpha1.ReasonDatabaseNotReady, "not checked: the database is not connected")
	}
	ledgerOK := r.checkLedger(ctx, db, pool, c, ok)
	if ok {
		r.countContacts(ctx, pool, c)
	}
	c.conn.Ready = ok && ledgerOK
	r.setReady(c)
	return c
}

// connect reads the Secret, opens (or reuses) the pool and pings the server.
func (r *CRMDatabaseReconciler) connect(ctx context.Context, db *privacyv1alpha1.CRMDatabase, c *databaseCheck) (*crm.Database, bool) {
	cfg, err := r.secrets.connConfig(ctx, db)
	if err != nil {
		c.fail(privacyv1alpha1.TypeConnected, err)
		return nil, false
	}
	pool, err := r.env.Connections.Pools().Get(client.ObjectKeyFromObject(db).String(), cfg)
	if err != nil {
		c.fail(privacyv1alpha1.TypeConnected, err)
		return nil, false
	}
	if err := pool.Ping(ctx); err != nil {
		c.fail(privacyv1alpha1.TypeConnected, err)
		return nil, false
	}
	if c.version, err = pool.ServerVersion(ctx); err != nil {
		c.fail(privacyv1alpha1.TypeConnected, err)
		return nil, false
	}
	c.conn.DB = pool
	c.set(privacyv1alpha1.TypeConnected, true, privacyv1alpha1.ReasonReconciled, "connected to %s", c.version)
	return pool, true
}

// checkSchema resolves the mapping and validates it against the catalog.
func (r *CRMDatabaseReconciler) checkSchema(ctx context.Context, db *privacyv1alpha1.CRMDatabase, pool *crm.Database, c *databaseCheck) bool {
	m, err := crm.ResolveFor(ctx, pool, string(db.Spec.Preset), toMapping(db.Spec.Mapping))
	if err != nil {
		c.fail(privacyv1alpha1.TypeSchemaValid, err)
		return false
	}
	problems, err := crm.Validate(ctx, pool, m)
	if err != nil {
		c.fail(privacyv1alpha1.TypeSchemaValid, fmt.Errorf("while checking the mapping against the catalog: %w", err))
		return false
	}
	if len(problems) > 0 {
		c.problems = problems
		c.set(privacyv1alpha1.TypeSchemaValid, false, privacyv1alpha1.ReasonSchemaInvalid, "%d problem(s) in the mapping: %s",
			len(problems), crm.ProblemsMessage(problems, problemsMessageLimit))
		return false
	}
	c.conn.Mapping = m
	c.set(privacyv1alpha1.TypeSchemaValid, true, privacyv1alpha1.ReasonReconciled, "every mapped table and column exists with a fitting type; the contact key is unique")
	return true
}

// checkLedger reads the HMAC key and creates the ledger table when the ledger is enabled.
// It returns whether the ledger is usable (always true when it is disabled).
func (r *CRMDatabaseReconciler) checkLedger(ctx context.Context, db *privacyv1alpha1.CRMDatabase, pool *crm.Database, c *databaseCheck, schemaOK bool) bool {
	key, err := r.secrets.hmacKey(ctx, db)
	if err != nil {
		c.fail(privacyv1alpha1.TypeLedgerReady, err)
		return false
	}
	c.conn.HMACKey = key
	if !c.conn.LedgerEnabled {
		c.set(privacyv1alpha1.TypeLedgerReady, false, privacyv1alpha1.ReasonLedgerDisabled, "the erasure ledger is disabled: erasures leave no proof in this database")
		return true
	}
	switch {
	case key == nil:
		c.set(privacyv1alpha1.TypeLedgerReady, false, privacyv1alpha1.ReasonInvalidSpec,
			"the ledger is enabled but spec.ledger.hmacKeySecretRef is not set: point it at a Secret key of at least %d random bytes, or disable the ledger", minHMACKeyBytes)
		return false
	case !schemaOK || pool == nil:
		c.setStatus(privacyv1alpha1.TypeLedgerReady, metav1.ConditionUnknown, privacyv1alpha1.ReasonDatabaseNotReady, "not checked: the database is not connected or its mapping is invalid")
		return false
	}
	if err := erasure.EnsureLedger(ctx, pool); err != nil {
		var pe *crm.PrivilegeError
		if errors.As(err, &pe) {
			// A login that may only read cannot install the ledger: dry runs still work, and
			// an enforced run stops on the same missing privilege before erasing anything.
			c.set(privacyv1alpha1.TypeLedgerReady, false, privacyv1alpha1.ReasonLedgerFailed,
				"cannot install the erasure ledger: %v; dry runs work, enforced runs wait for the grant", err)
			return true
		}
		c.set(privacyv1alpha1.TypeLedgerReady, false, privacyv1alpha1.ReasonLedgerFailed, "cannot install the erasure ledger: %v", err)
		return false
	}
	if err := r.pruneLedger(ctx, db, pool); err != nil {
		c.set(privacyv1alpha1.TypeLedgerReady, false, privacyv1alpha1.ReasonLedgerFailed, "cannot delete the ledger rows past spec.ledger.retainFor: %v", err)
		return true
	}
	c.set(privacyv1alpha1.TypeLedgerReady, true, privacyv1alpha1.ReasonReconciled, "the erasure ledger table exists and has the expected layout")
	return true
}

// pruneLedger deletes the ledger rows older than spec.ledger.retainFor, when it is set.
func (r *CRMDatabaseReconciler) pruneLedger(ctx context.Context, db *privacyv1alpha1.CRMDatabase, pool *crm.Database) error {
	if db.Spec.Ledger == nil || db.Spec.Ledger.RetainFor == "" {
		return nil
	}
	term, err := retention.ParseTerm(string(db.Spec.Ledger.RetainFor))
	if err != nil {
		return err
	}
	n, err := erasure.PruneLedger(ctx, pool, term.Cutoff(r.env.Clock.Now()))
	if n > 0 {
		ctrl.LoggerFrom(ctx).Info("Deleted ledger rows past their retention", "rows", n, "retainFor", term.String())
	}
	return err
}

// countContacts counts the contacts; a failure is reported but does not make the database
// unready on its own (the connection check decides that).
func (r *CRMDatabaseReconciler) countContacts(ctx context.Context, pool *crm.Database, c *databaseCheck) {
	n, err := pool.CountContacts(ctx, c.conn.Mapping)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Counting contacts failed")
		return
	}
	c.contacts = &n
}

// setReady sets the Ready condition from the others.
func (r *CRMDatabaseReconciler) setReady(c *databaseCheck) {
	if c.conn.Ready {
		c.set(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonReconciled, "connected, mapping valid, ledger ready")
		return
	}
	for _, cond := range c.conditions {
		if cond.Status == metav1.ConditionFalse && cond.Reason != privacyv1alpha1.ReasonLedgerDisabled {
			c.conn.Reason, c.conn.Message = cond.Reason, cond.Type+": "+cond.Message
			c.set(privacyv1alpha1.TypeReady, false, cond.Reason, "%s: %s", cond.Type, cond.Message)
			return
		}
	}
	c.conn.Reason, c.conn.Message = privacyv1alpha1.ReasonDatabaseNotReady, "not ready"
	c.set(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonDatabaseNotReady, "not ready")
}

// applyStatus writes the check into the status. lastCheckedAt moves only when the check
// found something different: a recheck that finds the database as it was writes nothing
// (the database_up metric follows every check).
func (r *CRMDatabaseReconciler) applyStatus(db *privacyv1alpha1.CRMDatabase, c *databaseCheck) {
	before := db.Status.DeepCopy()
	st := &db.Status
	for _, cond := range c.conditions {
		cond.ObservedGeneration = db.Generation
		meta.SetStatusCondition(&st.Conditions, cond)
	}
	st.ObservedGeneration = db.Generation
	st.Engine = db.Spec.Engine
	if c.version != "" {
		st.ServerVersion = c.version
	}
	if c.contacts != nil {
		st.Contacts = c.contacts
	}
	st.SchemaProblems = problemsToStatus(c.problems)
	if st.LastCheckedAt == nil || !sameJSON(before, st) {
		now := metav1.NewTime(r.env.Clock.Now())
		st.LastCheckedAt = &now
	}
}

// emitTransitionEvents emits an event when Ready changes, or its reason does.
func (r *CRMDatabaseReconciler) emitTransitionEvents(before, after *privacyv1alpha1.CRMDatabase) {
	was := meta.FindStatusCondition(before.Status.Conditions, privacyv1alpha1.TypeReady)
	now := meta.FindStatusCondition(after.Status.Conditions, privacyv1alpha1.TypeReady)
	if now == nil || (was != nil && was.Status == now.Status && was.Reason == now.Reason) {
		return
	}
	if now.Status == metav1.ConditionTrue {
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonReconciled, "Check", "The database is ready: %s", after.Status.ServerVersion)
		return
	}
	r.env.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Check", "%s", now.Message)
}

// nextCheck is the recheck interval when ready; when not, a delay that grows with how
// long the database has been failing, from minRetryDelay up to the recheck interval.
func (r *CRMDatabaseReconciler) nextCheck(db *privacyv1alpha1.CRMDatabase, ready bool) time.Duration {
	interval := r.env.Options.RecheckInterval
	if ready {
		return interval
	}
	cond := meta.FindStatusCondition(db.Status.Conditions, privacyv1alpha1.TypeReady)
	if cond == nil {
		return min(minRetryDelay, interval)
	}
	failingFor := r.env.Clock.Since(cond.LastTransitionTime.Time)
	return min(max(failingFor/2, minRetryDelay), interval)
}

// connectionReason maps a database error to a condition reason.
func connectionReason(err error) string {
	switch crm.ClassifyError(err) {
	case crm.ReasonUnreachable:
		return privacyv1alpha1.ReasonUnreachable
	case crm.ReasonTimeout:
		return privacyv1alpha1.ReasonTimeout
	case crm.ReasonAuthenticationFailed:
		return privacyv1alpha1.ReasonAuthenticationFailed
	case crm.ReasonDatabaseNotFound:
		return privacyv1alpha1.ReasonDatabaseMissing
	case crm.ReasonTLSError:
		return privacyv1alpha1.ReasonTLSError
	case crm.ReasonServerShuttingDown:
		return privacyv1alpha1.ReasonServerUnavailable
	case crm.ReasonUnsupportedOption:
		return privacyv1alpha1.ReasonUnsupportedOption
	case crm.ReasonInvalidSettings:
		return privacyv1alpha1.ReasonInvalidSpec
	case crm.ReasonHostNotAllowed:
		return privacyv1alpha1.ReasonHostNotAllowed
	}
	return privacyv1alpha1.ReasonConnectionFailed
}

// recordDatabaseMetrics publishes readiness and the contact count.
func recordDatabaseMetrics(db *privacyv1alpha1.CRMDatabase, c *databaseCheck) {
	up := 0.0
	if c.conn.Ready {
		up = 1
	}
	metrics.DatabaseUp.WithLabelValues(db.Namespace, db.Name).Set(up)
	if c.contacts != nil {
		metrics.DatabaseContacts.WithLabelValues(db.Namespace, db.Name).Set(float64(*c.contacts))
	}
}
