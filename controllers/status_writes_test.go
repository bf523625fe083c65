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
	"k8s.io/apimachinery/pkg/watch"
	clocktesting "k8s.io/utils/clock/testing"
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
func TestSteadyObjectsCostNoStatusWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	tdb.Exec(t, "INSERT INTO contacts (email, contact_type, lifecycle_stage) VALUES ('a@b2b.example', 'B2B', 'prospect'), ('b@b2b.example', 'B2B', 'customer')")
	admin := tdb.Open(t)
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)

	now := time.Now()
	lia := newLIA(t, ns, "b2b-prospecting", decision(privacyv1alpha1.OutcomeApproved, now.Add(-time.Hour), now.AddDate(1, 0, 0)))
	pa := loadSampleActivity(t)
	pa.Namespace = ns
	pa.Spec.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "crm"}}
	if err := k8s.Create(ctx, pa); err != nil {
		t.Fatal(err)
	}
	spec := retentionPolicySpec(privacyv1alpha1.ModeDryRun, 100)
	spec.Schedule = "0 0 1 1 *" // yearly: no run during the test
	rp := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "prospects-retention"}, Spec: spec}
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
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sales"},
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
	waitAccessRole(t, ar, privacyv1alpha1.TypeReady, metav1.ConditionTrue, "")

	writes := &statusWrites{n: map[string]int{}, last: map[string]string{}}
	live := directClient(t)
	clk := clocktesting.NewFakeClock(now)
	const recheck = 2 * time.Second
	rs, err := controllers.NewReconcilers(writes.client(noWatch{k8s}), live, clk, &eventLog{}, testOperatorKey, recheck)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	objects := []client.Object{db, lia, pa, rp, ar}
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
	for range 6 {
		before := writes.total()
		pass()
		if writes.total() == before {
			steady = true
			break
		}
	}
	if !steady {
		t.Fatalf("no steady state after 6 passes: status writes %v, last patches %v", writes.snapshot(), writes.last)
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
