package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// drivenRequests reconciles the fixture's requests by hand on a fake clock.
type drivenRequests struct {
	d      *controllers.DrivenRequests
	c      client.Client
	clk    *clocktesting.FakeClock
	events *eventLog
}

func driveRequests(t *testing.T, f *requestFixture) *drivenRequests {
	t.Helper()
	dr := &drivenRequests{c: directClient(t), clk: clocktesting.NewFakeClock(time.Now()), events: &eventLog{}}
	d, err := controllers.NewDrivenRequests(dr.c, dr.clk, dr.events, testOperatorKey)
	if err != nil {
		t.Fatal(err)
	}
	dr.d = d
	t.Cleanup(func() { _ = d.Close() })
	if err := d.ConnectDatabase(context.Background(), key(f.db)); err != nil {
		t.Fatal(err)
	}
	return dr
}

// reconcile runs one pass and returns the request as stored and the pass's requeue delay.
func (dr *drivenRequests) reconcile(t *testing.T, q *privacyv1alpha1.DataSubjectRequest) time.Duration {
	t.Helper()
	res, err := dr.d.Reconcile(context.Background(), key(q))
	if err != nil {
		t.Fatalf("reconciling %s: %v", q.Name, err)
	}
	if err := dr.c.Get(context.Background(), key(q), q); err != nil {
		t.Fatal(err)
	}
	return res.RequeueAfter
}

// drivenRequest creates an identity Secret and a request the shared manager leaves alone.
func drivenRequest(t *testing.T, f *requestFixture, name string, typ privacyv1alpha1.DataSubjectRequestType, identity map[string]string, mutate func(*privacyv1alpha1.DataSubjectRequestSpec)) *privacyv1alpha1.DataSubjectRequest {
	t.Helper()
	q := &privacyv1alpha1.DataSubjectRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name, Labels: map[string]string{drivenLabel: "true"}},
		Spec: privacyv1alpha1.DataSubjectRequestSpec{
			Type:              typ,
			DatabaseRef:       &privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(f.db.Name)},
			IdentitySecretRef: privacyv1alpha1.SecretReference{Name: privacyv1alpha1.ObjectName(name + "-identity")},
		},
	}
	if mutate != nil {
		mutate(&q.Spec)
	}
	if identity != nil {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name + "-identity"}, StringData: identity}
		if err := k8s.Create(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	if err := k8s.Create(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	return q
}

// TestDataSubjectRequestClock plays a request's deadline and its export's retention on a
// fake clock: the reconciler asks to come back at the deadline and at the export's expiry,
// raises Overdue at the deadline, and deletes the export Secret at its expiry, not before.
func TestDataSubjectRequestClock(t *testing.T) {
	f := newRequestFixture(t, testdb.SQLite(t), "generic-sqlite.sql", "", "crm_privacy_erasure_ledger")
	dr := driveRequests(t, f)
	ctx := context.Background()

	t.Run("export retention", func(t *testing.T) {
		q := drivenRequest(t, f, "access-expiry", privacyv1alpha1.RequestAccess, map[string]string{"email": "bob.martin@example.org"},
			func(s *privacyv1alpha1.DataSubjectRequestSpec) {
				s.ExportRetentionHours = ptr[int32](1)
			})
		requeue := dr.reconcile(t, q)
		if q.Status.Phase != privacyv1alpha1.RequestCompleted || q.Status.ExportSecretName == "" {
			t.Fatalf("phase %s, export %q: want Completed with an export", q.Status.Phase, q.Status.ExportSecretName)
		}
		if requeue <= 0 || requeue > time.Hour {
			t.Errorf("requeue after %s, want within the export's retention of 1h", requeue)
		}
		secretKey := client.ObjectKey{Namespace: f.ns, Name: q.Status.ExportSecretName}
		dr.clk.Step(59 * time.Minute)
		dr.reconcile(t, q)
		if err := dr.c.Get(ctx, secretKey, &corev1.Secret{}); err != nil {
			t.Fatalf("the export Secret went before its retention ended: %v", err)
		}
		dr.clk.Step(2 * time.Minute)
		dr.reconcile(t, q)
		if err := dr.c.Get(ctx, secretKey, &corev1.Secret{}); !apierrors.IsNotFound(err) {
			t.Errorf("the export Secret is still there after its retention (%v)", err)
		}
		if c := meta.FindStatusCondition(q.Status.Conditions, privacyv1alpha1.TypeReady); q.Status.ExportSecretName != "" || c == nil || c.Reason != privacyv1alpha1.ReasonExportDeleted {
			t.Errorf("exportSecretName %q, Ready %+v; want none and ExportDeleted", q.Status.ExportSecretName, c)
		}
		if _, ok := dr.events.find("Normal " + privacyv1alpha1.ReasonExportDeleted); !ok {
			t.Errorf("no ExportDeleted event: %v", dr.events.events)
		}
		// The request stays Completed, and the database was not touched.
		if q.Status.Phase != privacyv1alpha1.RequestCompleted || f.count(t, "SELECT COUNT(*) FROM contacts WHERE id = 2") != 1 {
			t.Errorf("phase %s after the export's deletion", q.Status.Phase)
		}
	})

	t.Run("an export Secret of that name", func(t *testing.T) {
		// One the request owns (left by an interrupted pass: controlled by the request and
		// labelled with its name) is replaced.
		q := drivenRequest(t, f, "access-again", privacyv1alpha1.RequestAccess, map[string]string{"email": "bob.martin@example.org"}, nil)
		yes := true
		stale := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "access-again-export", Labels: map[string]string{controllers.LabelRequest: q.Name}, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: privacyv1alpha1.GroupVersion.String(), Kind: "DataSubjectRequest", Name: q.Name, UID: q.UID, Controller: &yes}}},
			Data: map[string][]byte{controllers.ExportKeyJSON: []byte("stale")}}
		if err := k8s.Create(ctx, stale); err != nil {
			t.Fatal(err)
		}
		dr.reconcile(t, q)
		got := &corev1.Secret{}
		if err := dr.c.Get(ctx, client.ObjectKeyFromObject(stale), got); err != nil {
			t.Fatal(err)
		}
		if q.Status.Phase != privacyv1alpha1.RequestCompleted || !strings.Contains(string(got.Data[controllers.ExportKeyJSON]), "bob.martin@example.org") {
			t.Errorf("phase %s, export %q: want Completed and the stale export replaced", q.Status.Phase, got.Data[controllers.ExportKeyJSON])
		}
		// One it does not own is left alone, and the request does not complete.
		q = drivenRequest(t, f, "access-taken", privacyv1alpha1.RequestAccess, map[string]string{"email": "bob.martin@example.org"}, nil)
		foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "access-taken-export"}, Data: map[string][]byte{"k": []byte("someone's")}}
		if err := k8s.Create(ctx, foreign); err != nil {
			t.Fatal(err)
		}
		if _, err := dr.d.Reconcile(ctx, key(q)); err == nil {
			t.Errorf("the pass succeeded although the export Secret's name is taken")
		}
		if err := dr.c.Get(ctx, key(q), q); err != nil {
			t.Fatal(err)
		}
		if err := dr.c.Get(ctx, client.ObjectKeyFromObject(foreign), got); err != nil || string(got.Data["k"]) != "someone's" {
			t.Errorf("the foreign Secret was changed (%v): %q", err, got.Data)
		}
		if c := meta.FindStatusCondition(q.Status.Conditions, privacyv1alpha1.TypeCompleted); q.Status.Phase == privacyv1alpha1.RequestCompleted || c == nil ||
			c.Reason != privacyv1alpha1.ReasonRequestFailed || !strings.Contains(c.Message, "not owned") {
			t.Errorf("phase %s, Completed %+v: want a RequestFailed naming the Secret not owned", q.Status.Phase, c)
		}
	})

	t.Run("deadline", func(t *testing.T) {
		// No identity Secret yet: the request waits, and its deadline runs.
		q := drivenRequest(t, f, "waiting", privacyv1alpha1.RequestObjection, nil, nil)
		requeue := dr.reconcile(t, q)
		due := gdpr.RequestDueAt(q.CreationTimestamp.Time, 0)
		if !q.Status.DueAt.Time.Equal(due) {
			t.Errorf("dueAt %s, want %s", q.Status.DueAt, due)
		}
		if c := meta.FindStatusCondition(q.Status.Conditions, privacyv1alpha1.TypeOverdue); c == nil || c.Status != metav1.ConditionFalse {
			t.Errorf("Overdue %+v before the deadline", c)
		}
		if requeue <= 0 || requeue > due.Sub(dr.clk.Now())+time.Second {
			t.Errorf("requeue after %s, want by the deadline", requeue)
		}
		dr.clk.SetTime(due.Add(time.Second))
		dr.reconcile(t, q)
		c := meta.FindStatusCondition(q.Status.Conditions, privacyv1alpha1.TypeOverdue)
		if c == nil || c.Status != metav1.ConditionTrue || c.Reason != privacyv1alpha1.ReasonDeadlinePassed {
			t.Fatalf("Overdue %+v after the deadline", c)
		}
		if e, ok := dr.events.find("Warning " + privacyv1alpha1.ReasonDeadlinePassed); !ok || !strings.Contains(e, "Objection") {
			t.Errorf("no DeadlinePassed warning: %v", dr.events.events)
		}
		// Completed late: onTime false, Overdue stays True.
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "waiting-identity"}, StringData: map[string]string{"email": "Jane.Doe@example.com"}}
		if err := k8s.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		dr.reconcile(t, q)
		if q.Status.Phase != privacyv1alpha1.RequestCompleted || q.Status.OnTime == nil || *q.Status.OnTime {
			t.Errorf("phase %s, onTime %v; want Completed, late", q.Status.Phase, q.Status.OnTime)
		}
		if f.count(t, "SELECT COUNT(*) FROM contacts WHERE id = 1 AND opt_out") != 1 {
			t.Errorf("the late objection was not recorded")
		}
	})
}
