package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// statusWrites counts the status writes (PATCH and UPDATE of the status subresource) a
// client sends, by object name.
type statusWrites struct {
	mu sync.Mutex
	n  map[string]int
	// last is the last patch sent for each object, for the failure message.
	last map[string]string
}

func (w *statusWrites) client(c client.WithWatch) client.Client {
	count := func(obj client.Object) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.n[fmt.Sprintf("%T %s", obj, obj.GetName())]++
	}
	return interceptor.NewClient(c, interceptor.Funcs{
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			count(obj)
			if data, err := patch.Data(obj); err == nil {
				w.mu.Lock()
				w.last[obj.GetName()] = string(data)
				w.mu.Unlock()
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			count(obj)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
}

// noWatch is a client that does not watch (the interceptor wants a WithWatch).
type noWatch struct{ client.Client }

func (noWatch) Watch(context.Context, client.ObjectList, ...client.ListOption) (watch.Interface, error) {
	return nil, errors.New("no watch")
}

func (w *statusWrites) total() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, v := range w.n {
		n += v
	}
	return n
}

func (w *statusWrites) snapshot() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for k, v := range w.n {
		out[k] = v
	}
	return out
}

// TestSteadyObjectsCostNoStatusWrites reconciles a steady CRMDatabase, RetentionPolicy,
// ProcessingActivity, LegitimateInterestAssessment and AccessRole again and again, the
// recheck interval passing between two passes, through a client that counts status
// writes: once their status says what is, a recheck writes nothing.
// steadyObjects creates a CRMDatabase "crm" on PostgreSQL with an LIA, an activity, a
// dry-run RetentionPolicy and an AccessRole using it, all labelled drivenLabel: the shared
// manager never sees them, the test's own reconcilers alone write their status. It returns
// them in that order, and a client that reads them from a cache of the test's own.
func steadyObjects(t *testing.T) ([]client.Object, client.Client) {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	tdb.Exec(t, "INSERT INTO contacts (email, contact_type, lifecycle_stage) VALUES ('a@b2b.example', 'B2B', 'prospect'), ('b@b2b.example', 'B2B', 'customer')")
	admin := tdb.Open(t)
	ns := newNamespace(t)
	driven := map[string]string{drivenLabel: "true"}
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric, labels: driven})

	now := time.Now()
	lia := &privacyv1alpha1.LegitimateInterestAssessment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "b2b-prospecting", Labels: driven},
		Spec: liaSpec(decision(privacyv1alpha1.OutcomeApproved, now.Add(-time.Hour), now.AddDate(1, 0, 0)))}
	if err := k8s.Create(ctx, lia); err != nil {
		t.Fatal(err)
	}
	pa := loadSampleActivity(t)
	pa.Namespace, pa.Labels = ns, driven
	pa.Spec.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "crm"}}
	if err := k8s.Create(ctx, pa); err != nil {
		t.Fatal(err)
	}
	spec := retentionPolicySpec(privacyv1alpha1.ModeDryRun, 100)
	spec.Schedule = "0 0 1 1 *" // yearly: no run during the test
	rp := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "prospects-retention", Labels: driven}, Spec: spec}
	if err := k8s.Create(ctx, rp); err != nil {
		t.Fatal(err)
	}
	role, alice := uniqueRole("crm_steady"), uniqueRole("alice")
	t.Cleanup(func() {
		for _, r := range []string{role, alice} {
			_, _ = admin.Exec(`DROP OWNED BY "` + r + `"`)
			_, _ = admin.Exec(`DROP ROLE IF EXISTS "` + r + `"`)
		}
	})
	ar := &privacyv1alpha1.AccessRole{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sales", Labels: driven},
		Spec: privacyv1alpha1.AccessRoleSpec{
			DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: "crm"},
			RoleName:              privacyv1alpha1.SQLIdentifier(role),
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "sales-prospecting"},
			Grants:                []privacyv1alpha1.TableGrant{{Table: "contacts", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}}},
			Members: []privacyv1alpha1.RoleMember{{User: privacyv1alpha1.SQLIdentifier(alice),
				PasswordSecretRef: createPasswordSecret(t, ns, "alice-pw", "alice's pw"), Designation: designation(now.Add(-time.Hour), nil)}},
		},
	}
	if err := k8s.Create(ctx, ar); err != nil {
		t.Fatal(err)
	}
	objects := []client.Object{db, lia, pa, rp, ar}
	return objects, drivenCache(t, objects)
}

// drivenCache returns a client that reads objects (labelled drivenLabel, which the shared
// manager's cache leaves out) from a cache of the test's own, with the operator's indexes.
func drivenCache(t *testing.T, objects []client.Object) client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	driven, err := labels.Parse(drivenLabel)
	if err != nil {
		t.Fatal(err)
	}
	byObject := map[client.Object]cache.ByObject{}
	for _, obj := range objects {
		byObject[obj.DeepCopyObject().(client.Object)] = cache.ByObject{Label: driven}
	}
	own, err := cache.New(cfg, cache.Options{Scheme: testScheme, ByObject: byObject})
	if err != nil {
		t.Fatal(err)
	}
	if err := controllers.IndexFields(ctx, own); err != nil {
		t.Fatal(err)
	}
	go func() { _ = own.Start(ctx) }()
	if !own.WaitForCacheSync(ctx) {
		t.Fatal("the test's cache did not sync")
	}
	c, err := client.New(cfg, client.Options{Scheme: testScheme, Cache: &client.CacheOptions{Reader: own}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the test's cache to hold the objects", func() (bool, error) {
		for _, obj := range objects {
			if err := c.Get(ctx, key(obj), obj.DeepCopyObject().(client.Object)); err != nil {
				return false, nil
			}
		}
		return true, nil
	})
	return c
}

func TestSteadyObjectsCostNoStatusWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	objects, reader := steadyObjects(t)
	rp := objects[3].(*privacyv1alpha1.RetentionPolicy)
	now := time.Now()
	writes := &statusWrites{n: map[string]int{}, last: map[string]string{}}
	live := directClient(t)
	clk := clocktesting.NewFakeClock(now)
	const recheck = 2 * time.Second
	rs, err := controllers.NewReconcilers(writes.client(noWatch{reader}), live, clk, &eventLog{}, testOperatorKey, recheck)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	pass := func() {
		t.Helper()
		clk.Step(recheck)
		for _, obj := range objects {
			if _, err := rs.Reconcile(ctx, obj); err != nil {
				t.Fatalf("reconciling %T %s: %v", obj, obj.GetName(), err)
			}
		}
	}
	// Until the status says what is: at most a few passes (the first check of the
	// database, the first audit, the first scan of this reconciler's clock).
	steady := false
	for range 10 {
		before := writes.total()
		pass()
		if writes.total() == before {
			steady = true
			break
		}
	}
	if !steady {
		t.Fatalf("no steady state after 10 passes: status writes %v, last patches %v", writes.snapshot(), writes.last)
	}
	settled := writes.snapshot()
	for range 5 {
		pass()
	}
	if got := writes.snapshot(); writes.total() != sumOf(settled) {
		t.Errorf("status writes for steady objects over 5 rechecks: %v after %v; want none (last patches %v)", got, settled, writes.last)
	}

	// The counter sees a write when there is something to write: a status someone emptied
	// (the policy is read from the API server, so the reconcile sees the change at once).
	if err := live.Get(ctx, key(rp), rp); err != nil {
		t.Fatal(err)
	}
	meta.RemoveStatusCondition(&rp.Status.Conditions, privacyv1alpha1.TypeScheduled)
	if err := live.Status().Update(ctx, rp); err != nil {
		t.Fatal(err)
	}
	before := writes.total()
	if _, err := rs.Reconcile(ctx, rp); err != nil {
		t.Fatal(err)
	}
	if writes.total() != before+1 {
		t.Errorf("the reconcile that restored a removed condition made %d status writes, want 1", writes.total()-before)
	}
}

func sumOf(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestNewLeaderNeitherFlapsNorWaits plays a failover: a new process, whose registry of
// connections is empty, reconciles the dependents of a ready database before it has checked
// the database. They keep their status (no Ready=False flap, no write), and the first check
// of the database wakes them at once (Connections.Subscribe), instead of at the next change
// of the database's Ready, which a failover does not change.
func TestNewLeaderNeitherFlapsNorWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	objects, reader := steadyObjects(t)
	db, dependents := objects[0], []client.Object{objects[2], objects[3], objects[4]}
	live := directClient(t)
	readyOf := func(obj client.Object) string {
		t.Helper()
		fresh := obj.DeepCopyObject().(client.Object)
		if err := live.Get(ctx, key(obj), fresh); err != nil {
			t.Fatal(err)
		}
		var conds []metav1.Condition
		switch o := fresh.(type) {
		case *privacyv1alpha1.ProcessingActivity:
			conds = o.Status.Conditions
		case *privacyv1alpha1.RetentionPolicy:
			conds = o.Status.Conditions
		case *privacyv1alpha1.AccessRole:
			conds = o.Status.Conditions
		}
		c := meta.FindStatusCondition(conds, privacyv1alpha1.TypeReady)
		if c == nil {
			return "none"
		}
		return string(c.Status) + " " + c.Reason
	}
	// The old leader checks everything until nothing changes any more.
	old, err := controllers.NewReconcilers(noWatch{reader}, live, clocktesting.NewFakeClock(time.Now()), &eventLog{}, testOperatorKey, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = old.Close() })
	for range 4 {
		for _, obj := range objects {
			if _, err := old.Reconcile(ctx, obj); err != nil {
				t.Fatalf("the old leader reconciling %s: %v", obj.GetName(), err)
			}
		}
	}
	if got := readyOf(objects[3]); got != "True "+privacyv1alpha1.ReasonDryRun {
		t.Fatalf("the old leader left the policy %s, want True %s", got, privacyv1alpha1.ReasonDryRun)
	}
	before := map[string]string{}
	for _, obj := range dependents {
		before[obj.GetName()] = readyOf(obj)
	}

	writes := &statusWrites{n: map[string]int{}, last: map[string]string{}}
	rs, err := controllers.NewReconcilers(writes.client(noWatch{reader}), live, clocktesting.NewFakeClock(time.Now()), &eventLog{}, testOperatorKey, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	woken := rs.Subscribe()
	for _, obj := range dependents {
		if _, err := rs.Reconcile(ctx, obj); err != nil {
			t.Fatalf("reconciling %s before the database is checked: %v", obj.GetName(), err)
		}
	}
	if n := writes.total(); n != 0 {
		t.Errorf("the new process wrote %d statuses before checking the database: %v", n, writes.last)
	}
	for _, obj := range dependents {
		if got := readyOf(obj); got != before[obj.GetName()] {
			t.Errorf("Ready of %s went from %s to %s in the new process before it checked the database", obj.GetName(), before[obj.GetName()], got)
		}
	}
	select {
	case ev := <-woken:
		t.Fatalf("a wake-up before any check: %s", ev.Object.GetName())
	default:
	}

	// The first check of the database wakes its dependents.
	if _, err := rs.Reconcile(ctx, db); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-woken:
		if ev.Object.GetName() != db.GetName() || ev.Object.GetNamespace() != db.GetNamespace() {
			t.Errorf("woken for %s/%s, want %s/%s", ev.Object.GetNamespace(), ev.Object.GetName(), db.GetNamespace(), db.GetName())
		}
	default:
		t.Fatal("the first check of the database woke nothing")
	}
	for _, obj := range dependents {
		if _, err := rs.Reconcile(ctx, obj); err != nil {
			t.Fatalf("reconciling %s after the database check: %v", obj.GetName(), err)
		}
		if got := readyOf(obj); got != before[obj.GetName()] {
			t.Errorf("Ready of %s is %s after the check, want %s", obj.GetName(), got, before[obj.GetName()])
		}
	}
	// A recheck that finds the same wakes nobody.
	if _, err := rs.Reconcile(ctx, db); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-woken:
		t.Errorf("a recheck that found the same woke the dependents of %s", ev.Object.GetName())
	default:
	}
}

// TestStaleStatusNeverOverwritesANewerOne reproduces the fault run's finding: a status
// computed from an older copy of a policy (here: a run still in progress, with its
// checkpoint) written after a newer one (the run finished, checkpoint cleared) brought the
// checkpoint back. The write is now conditional on the version read: it is refused, and the
// newer status stays.
func TestStaleStatusNeverOverwritesANewerOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := directClient(t)
	ns := newNamespace(t)
	p := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "stale",
		Labels: map[string]string{drivenLabel: "true"}}, Spec: drivenSpec()}
	if err := c.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	// The copy a slow pass read, then the newer status another pass wrote.
	stale := p.DeepCopy()
	newer := p.DeepCopy()
	newer.Status.LastRun = &privacyv1alpha1.RetentionRun{RunRecord: privacyv1alpha1.RunRecord{RunID: "run-1", Result: privacyv1alpha1.RunSucceeded, Erased: 5}}
	if conflict, err := controllers.WriteRetentionStatus(ctx, c, newer, p); err != nil || conflict {
		t.Fatalf("the first write: conflict %v, %v", conflict, err)
	}
	// The slow pass writes what it computed from its stale copy.
	late := stale.DeepCopy()
	late.Status.LastRun = &privacyv1alpha1.RetentionRun{RunRecord: privacyv1alpha1.RunRecord{RunID: "run-1", Erased: 2}}
	late.Status.Checkpoint = &privacyv1alpha1.SweepCheckpoint{RunID: "run-1", Rule: "prospects", LastKey: "42"}
	conflict, err := controllers.WriteRetentionStatus(ctx, c, late, stale)
	if err != nil || !conflict {
		t.Fatalf("the write from a stale copy: conflict %v, %v; want refused as a conflict", conflict, err)
	}
	if err := c.Get(ctx, key(p), p); err != nil {
		t.Fatal(err)
	}
	if p.Status.Checkpoint != nil || p.Status.LastRun == nil || p.Status.LastRun.Result != privacyv1alpha1.RunSucceeded || p.Status.LastRun.Erased != 5 {
		t.Errorf("the stale write changed the stored status: lastRun %+v, checkpoint %+v", p.Status.LastRun, p.Status.Checkpoint)
	}
}
