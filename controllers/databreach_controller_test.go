package controllers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// breachContacts are the known contacts of the breach tests: five customers (the breach's
// scope: three with an email, one with a phone only, one with neither) and three prospects.
var breachContacts = []struct{ email, phone, first, stage string }{
	{"ann@example.com", "", "AnnFirstname", "customer"},
	{"bob@example.com", "+33 1 23 45 67 89", "BobFirstname", "customer"},
	{"", "+49 30 1234", "CidFirstname", "customer"},
	{"dee@example.com", "", "DeeFirstname", "customer"},
	{"", "", "EveFirstname", "customer"},
	{"fay@example.com", "", "FayFirstname", "prospect"},
	{"gus@example.com", "", "GusFirstname", "prospect"},
	{"hal@example.com", "+1 555 0100", "HalFirstname", "prospect"},
}

// personalData are the values that must never reach a status, an event or a log.
func personalData() []string {
	var out []string
	for _, c := range breachContacts {
		for _, v := range []string{c.email, c.phone, c.first} {
			if v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

func sqlValue(s string) string {
	if s == "" {
		return "NULL"
	}
	return "'" + s + "'"
}

func insertBreachContacts(t *testing.T, tdb *testdb.Database) {
	t.Helper()
	var stmts []string
	for _, c := range breachContacts {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO contacts (email, phone, first_name, contact_type, lifecycle_stage) VALUES (%s, %s, %s, 'B2B', '%s')",
			sqlValue(c.email), sqlValue(c.phone), sqlValue(c.first), c.stage))
	}
	tdb.Exec(t, stmts...)
}

// logSink collects what the reconciler logs.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.buf.WriteString(prefix + " " + args + "\n")
	}, funcr.Options{Verbosity: 1})
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestDataBreachDeadlinesCountsAndNotifyList drives a HighRisk breach on a fake clock
// against a real API server and a real database: the 72-hour deadline as conditions, the
// affected contacts counted by the selector, the notify list Secret written with the
// contacts' channels and deleted after its retention, the deadline passing (Warning
// event), then a late notification with its reason. No contact's data reaches the status,
// the events or the logs.
func TestDataBreachDeadlinesCountsAndNotifyList(t *testing.T) {
	for _, engine := range []struct {
		name   string
		open   func(testing.TB) *testdb.Database
		schema string
	}{
		{"postgres", testdb.Postgres, "generic-postgres.sql"},
		{"sqlite", testdb.SQLite, "generic-sqlite.sql"},
	} {
		t.Run(engine.name, func(t *testing.T) {
			tdb := engine.open(t)
			tdb.LoadFile(t, sampleSchema(engine.schema))
			insertBreachContacts(t, tdb)
			testBreachLifecycle(t, tdb)
		})
	}
}

func testBreachLifecycle(t *testing.T, tdb *testdb.Database) {
	logs := &logSink{}
	ctx := ctrl.LoggerInto(context.Background(), logs.logger())
	ns := newNamespace(t)
	driven := map[string]string{drivenLabel: "true"}
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric, labels: driven})
	// Aware at 10:00 CET on the day before Paris springs forward.
	aware := metav1.NewTime(time.Date(2026, 3, 28, 9, 0, 0, 0, time.UTC))
	deadline := time.Date(2026, 3, 31, 9, 0, 0, 0, time.UTC)
	b := &privacyv1alpha1.DataBreach{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "export-leak", Labels: driven},
		Spec: privacyv1alpha1.DataBreachSpec{
			DetectedAt:         aware,
			AwareAt:            aware,
			Nature:             privacyv1alpha1.BreachNature{Types: []privacyv1alpha1.BreachType{privacyv1alpha1.BreachConfidentiality}, Description: "customer export leaked"},
			DataSubjects:       privacyv1alpha1.BreachDataSubjects{Categories: []string{"customers"}},
			PersonalData:       privacyv1alpha1.BreachPersonalData{Categories: []string{"contact details"}},
			LikelyConsequences: []string{"phishing"},
			Measures:           &privacyv1alpha1.BreachMeasures{Taken: []string{"link revoked"}},
			DatabaseRefs:       []privacyv1alpha1.LocalObjectReference{{Name: privacyv1alpha1.ObjectName(db.Name)}},
			ContactSelector: &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
				{Field: privacyv1alpha1.FieldLifecycleStage, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"customer"}}}},
			RiskAssessment: privacyv1alpha1.BreachRiskAssessment{Level: privacyv1alpha1.RiskHigh, Reasoning: "identifiable contact details"},
			NotifyList:     &privacyv1alpha1.BreachNotifyList{Export: true, RetainForHours: ptr[int32](2)},
		},
	}
	if err := k8s.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	reader := drivenCache(t, []client.Object{db, b})
	live := directClient(t)
	clk := clocktesting.NewFakeClock(aware.Add(time.Hour))
	events := &eventLog{}
	rs, err := controllers.NewReconcilers(reader, live, clk, events, testOperatorKey, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	if _, err := rs.Reconcile(ctx, db); err != nil {
		t.Fatalf("reconciling the CRMDatabase: %v", err)
	}
	dbr := controllers.NewDrivenBreach(rs, reader, live)
	reconcileUntil := func(what string, done func() bool) ctrl.Result {
		t.Helper()
		var res ctrl.Result
		eventually(t, 30*time.Second, what, func() (bool, error) {
			var err error
			if res, err = dbr.Reconcile(ctx, key(b)); err != nil {
				return false, err
			}
			if err := live.Get(ctx, key(b), b); err != nil {
				return false, err
			}
			return done(), fmt.Errorf("status %+v", b.Status)
		})
		return res
	}

	// An hour after awareness: the authority and the people are due, 5 customers affected.
	res := reconcileUntil("the breach to be counted", func() bool {
		return b.Status.ObservedGeneration == b.Generation && b.Status.NotifyList != nil && b.Status.NotifyList.CreatedAt != nil
	})
	if got := b.Status.AuthorityDeadline; got == nil || !got.Time.Equal(deadline) {
		t.Errorf("authorityDeadline = %v, want %s", got, deadline)
	}
	if b.Status.State != privacyv1alpha1.BreachStateDue {
		t.Errorf("state = %s, want Due", b.Status.State)
	}
	assertCondition(t, b, privacyv1alpha1.TypeAuthorityNotificationDue, metav1.ConditionTrue, privacyv1alpha1.ReasonNotificationDue)
	assertCondition(t, b, privacyv1alpha1.TypeOverdue, metav1.ConditionFalse, privacyv1alpha1.ReasonNotificationDue)
	assertCondition(t, b, privacyv1alpha1.TypeDataSubjectNotificationDue, metav1.ConditionTrue, privacyv1alpha1.ReasonNotificationDue)
	assertCondition(t, b, privacyv1alpha1.TypeAffectedCounted, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	assertCondition(t, b, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	if len(b.Status.Affected) != 1 || b.Status.Affected[0].Contacts == nil || *b.Status.Affected[0].Contacts != 5 {
		t.Errorf("affected = %+v, want 5 contacts in %s", b.Status.Affected, db.Name)
	}
	if b.Status.AffectedContacts == nil || *b.Status.AffectedContacts != 5 {
		t.Errorf("affectedContacts = %v, want 5", b.Status.AffectedContacts)
	}
	if res.RequeueAfter <= 0 || res.RequeueAfter > controllers.ComplianceScanInterval+time.Second {
		t.Errorf("RequeueAfter = %v, want the recount within %v", res.RequeueAfter, controllers.ComplianceScanInterval)
	}

	// The notify list: the channels of the 4 reachable customers, in key order.
	nl := b.Status.NotifyList
	if nl.Contacts != 4 || nl.Unreachable != 1 {
		t.Errorf("notify list contacts=%d unreachable=%d, want 4 and 1", nl.Contacts, nl.Unreachable)
	}
	if want := aware.Add(3 * time.Hour); nl.ExpiresAt == nil || !nl.ExpiresAt.Time.Equal(want) {
		t.Errorf("expiresAt = %v, want %s", nl.ExpiresAt, want)
	}
	var secret corev1.Secret
	if err := live.Get(ctx, client.ObjectKey{Namespace: ns, Name: string(nl.SecretName)}, &secret); err != nil {
		t.Fatalf("reading the notify list Secret: %v", err)
	}
	wantCSV := "email,phone\nann@example.com,\nbob@example.com,+33 1 23 45 67 89\n,+49 30 1234\ndee@example.com,\n"
	if got := string(secret.Data[db.Name+".csv"]); got != wantCSV {
		t.Errorf("Secret %s:\n%s\nwant:\n%s", secret.Name, got, wantCSV)
	}
	if !metav1.IsControlledBy(&secret, b) {
		t.Errorf("the Secret is not owned by the breach: %+v", secret.OwnerReferences)
	}

	// Two hours later the Secret is deleted.
	clk.Step(2*time.Hour - time.Second)
	reconcileUntil("the Secret to stay a second before it expires", func() bool { return b.Status.NotifyList.DeletedAt == nil })
	clk.Step(time.Second)
	reconcileUntil("the Secret to be deleted at expiry", func() bool { return b.Status.NotifyList.DeletedAt != nil })
	if err := live.Get(ctx, client.ObjectKeyFromObject(&secret), &secret); !apierrors.IsNotFound(err) {
		t.Errorf("the notify list Secret still exists after its retention: %v", err)
	}
	if _, ok := events.find("Normal NotifyListDeleted"); !ok {
		t.Errorf("no NotifyListDeleted event: %v", events.events)
	}

	// At the deadline the authority is still due; a second after, overdue.
	clk.SetTime(deadline)
	reconcileUntil("the breach to be due at the deadline", func() bool { return b.Status.State == privacyv1alpha1.BreachStateDue })
	clk.Step(time.Second)
	reconcileUntil("the breach to be overdue a second after the deadline", func() bool { return b.Status.State == privacyv1alpha1.BreachStateOverdue })
	assertCondition(t, b, privacyv1alpha1.TypeOverdue, metav1.ConditionTrue, privacyv1alpha1.ReasonDeadlinePassed)
	// Overdue is the DPO's work, not a failure to reconcile: Ready stays True.
	assertCondition(t, b, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonDeadlinePassed)
	if c := meta.FindStatusCondition(b.Status.Conditions, privacyv1alpha1.TypeReconciling); c != nil {
		t.Errorf("Reconciling = %+v on an overdue breach, want none", c)
	}
	if _, ok := events.find("Warning DeadlinePassed"); !ok {
		t.Errorf("no Warning DeadlinePassed event: %v", events.events)
	}
	// The Secret is not written again for the same request.
	if err := live.Get(ctx, client.ObjectKeyFromObject(&secret), &secret); !apierrors.IsNotFound(err) {
		t.Errorf("the notify list Secret came back: %v", err)
	}

	// The notification is recorded, late, with its reason.
	notified := metav1.NewTime(deadline.Add(5 * time.Hour))
	subjects := metav1.NewTime(deadline.Add(6 * time.Hour))
	b.Spec.Notifications = &privacyv1alpha1.BreachNotifications{
		Authority:    &privacyv1alpha1.AuthorityNotification{NotifiedAt: &notified, AuthorityName: "CNIL", LateNotificationReason: "scope unknown until day 3"},
		DataSubjects: &privacyv1alpha1.DataSubjectNotification{NotifiedAt: &subjects, Method: "email"},
	}
	if err := live.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	clk.Step(7 * time.Hour)
	res = reconcileUntil("the late notification to be recorded", func() bool { return b.Status.State == privacyv1alpha1.BreachStateNotifiedLate })
	assertCondition(t, b, privacyv1alpha1.TypeAuthorityNotificationDue, metav1.ConditionFalse, privacyv1alpha1.ReasonNotifiedLate)
	assertCondition(t, b, privacyv1alpha1.TypeOverdue, metav1.ConditionFalse, privacyv1alpha1.ReasonNotifiedLate)
	assertCondition(t, b, privacyv1alpha1.TypeDataSubjectNotificationDue, metav1.ConditionFalse, privacyv1alpha1.ReasonDataSubjectsNotified)
	assertCondition(t, b, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)

	// No contact's data in the status, the events or the logs.
	status, _ := json.Marshal(b.Status)
	for _, where := range []struct{ name, text string }{
		{"status", string(status)}, {"events", strings.Join(events.events, "\n")}, {"logs", logs.String()},
	} {
		for _, pd := range personalData() {
			if strings.Contains(where.text, pd) {
				t.Errorf("the %s hold personal data %q:\n%s", where.name, pd, where.text)
			}
		}
	}
	if !strings.Contains(logs.String(), "Wrote the notify list Secret") {
		t.Errorf("the logs were not captured:\n%s", logs.String())
	}
}

func assertCondition(t *testing.T, b *privacyv1alpha1.DataBreach, condType string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	c := meta.FindStatusCondition(b.Status.Conditions, condType)
	if c == nil || c.Status != status || c.Reason != reason {
		t.Errorf("condition %s = %+v, want %s/%s", condType, c, status, reason)
		return
	}
	if c.ObservedGeneration != b.Generation {
		t.Errorf("condition %s observedGeneration %d, want %d", condType, c.ObservedGeneration, b.Generation)
	}
}

// TestDataBreachEdgeCases drives a breach on SQLite through what can go wrong: a selector
// naming a field the mapping lacks (AffectedCounted False, InvalidSpec, nothing written), a
// Secret of the list's name that the breach does not own (left untouched), and the request
// withdrawn (the breach's own Secret deleted at once). The overdue gauge follows the state.
func TestDataBreachEdgeCases(t *testing.T) {
	ctx := context.Background()
	tdb := testdb.SQLite(t)
	tdb.LoadFile(t, sampleSchema("generic-sqlite.sql"))
	insertBreachContacts(t, tdb)
	ns := newNamespace(t)
	driven := map[string]string{drivenLabel: "true"}
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric, labels: driven})
	aware := metav1.NewTime(time.Date(2026, 10, 24, 8, 0, 0, 0, time.UTC))
	b := &privacyv1alpha1.DataBreach{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "leak", Labels: driven},
		Spec: privacyv1alpha1.DataBreachSpec{
			DetectedAt: aware, AwareAt: aware,
			Nature:             privacyv1alpha1.BreachNature{Types: []privacyv1alpha1.BreachType{privacyv1alpha1.BreachConfidentiality}, Description: "leak"},
			DataSubjects:       privacyv1alpha1.BreachDataSubjects{Categories: []string{"customers"}},
			PersonalData:       privacyv1alpha1.BreachPersonalData{Categories: []string{"contact details"}},
			LikelyConsequences: []string{"phishing"},
			Measures:           &privacyv1alpha1.BreachMeasures{Proposed: []string{"rotate exports"}},
			DatabaseRefs:       []privacyv1alpha1.LocalObjectReference{{Name: privacyv1alpha1.ObjectName(db.Name)}},
			ContactSelector: &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
				{Field: "shoeSize", Operator: privacyv1alpha1.SelectorOpExists}}},
			RiskAssessment: privacyv1alpha1.BreachRiskAssessment{Level: privacyv1alpha1.RiskHigh, Reasoning: "contact details"},
			NotifyList:     &privacyv1alpha1.BreachNotifyList{Export: true},
		},
	}
	if err := k8s.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	squatter := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "leak-notify-list"}, StringData: map[string]string{"note": "not the operator's"}}
	if err := k8s.Create(ctx, squatter); err != nil {
		t.Fatal(err)
	}
	reader := drivenCache(t, []client.Object{db, b})
	live := directClient(t)
	clk := clocktesting.NewFakeClock(aware.Add(73 * time.Hour))
	rs, err := controllers.NewReconcilers(reader, live, clk, &eventLog{}, testOperatorKey, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	if _, err := rs.Reconcile(ctx, db); err != nil {
		t.Fatalf("reconciling the CRMDatabase: %v", err)
	}
	dbr := controllers.NewDrivenBreach(rs, reader, live)
	reconcileUntil := func(what string, done func() bool) {
		t.Helper()
		eventually(t, 30*time.Second, what, func() (bool, error) {
			if _, err := dbr.Reconcile(ctx, key(b)); err != nil {
				return false, err
			}
			if err := live.Get(ctx, key(b), b); err != nil {
				return false, err
			}
			return done(), fmt.Errorf("status %+v", b.Status)
		})
	}

	// An unmapped field: not counted, no list, overdue all the same.
	reconcileUntil("the selector to be refused", func() bool {
		c := meta.FindStatusCondition(b.Status.Conditions, privacyv1alpha1.TypeAffectedCounted)
		return c != nil && c.Reason == privacyv1alpha1.ReasonInvalidSpec
	})
	assertCondition(t, b, privacyv1alpha1.TypeAffectedCounted, metav1.ConditionFalse, privacyv1alpha1.ReasonInvalidSpec)
	assertCondition(t, b, privacyv1alpha1.TypeOverdue, metav1.ConditionTrue, privacyv1alpha1.ReasonDeadlinePassed)
	if b.Status.AffectedContacts != nil || b.Status.Affected[0].Contacts != nil {
		t.Errorf("an unmapped selector was counted: %+v", b.Status.Affected)
	}
	if nl := b.Status.NotifyList; nl == nil || nl.Reason != privacyv1alpha1.ReasonInvalidSpec || nl.CreatedAt != nil {
		t.Errorf("notify list status = %+v, want InvalidSpec and nothing written", nl)
	}
	if got := breachGauge(t, "crm_privacy_breach_overdue", ns, b.Name); got != 1 {
		t.Errorf("crm_privacy_breach_overdue = %v, want 1", got)
	}
	if got := breachGauge(t, "crm_privacy_breach_authority_notification_due", ns, b.Name); got != 1 {
		t.Errorf("crm_privacy_breach_authority_notification_due = %v, want 1", got)
	}

	// A valid selector: counted; the Secret's name is taken by one the breach does not own.
	b.Spec.ContactSelector.MatchExpressions[0] = privacyv1alpha1.FieldRequirement{Field: privacyv1alpha1.FieldLifecycleStage,
		Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"prospect"}}
	if err := live.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	reconcileUntil("the prospects to be counted", func() bool {
		return b.Status.AffectedContacts != nil && b.Status.NotifyList != nil && b.Status.ObservedGeneration == b.Generation
	})
	if *b.Status.AffectedContacts != 3 {
		t.Errorf("affected = %d, want the 3 prospects", *b.Status.AffectedContacts)
	}
	if nl := b.Status.NotifyList; nl.Reason != privacyv1alpha1.ReasonInvalidSpec || !strings.Contains(nl.Message, "not owned by this DataBreach") {
		t.Errorf("notify list status = %+v, want the Secret refused as not owned", nl)
	}
	var s corev1.Secret
	if err := live.Get(ctx, client.ObjectKeyFromObject(squatter), &s); err != nil || string(s.Data["note"]) != "not the operator's" || len(s.Data) != 1 {
		t.Errorf("the Secret the breach does not own was changed: %v %v", err, s.Data)
	}

	// The squatter leaves; a fresh request writes the list; withdrawing it deletes it at once.
	if err := live.Delete(ctx, &s); err != nil {
		t.Fatal(err)
	}
	requested := metav1.NewTime(clk.Now())
	b.Spec.NotifyList.RequestedAt = &requested
	if err := live.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	reconcileUntil("the list to be written", func() bool { return b.Status.NotifyList.CreatedAt != nil })
	if b.Status.NotifyList.Contacts != 3 || b.Status.NotifyList.Reason != "" {
		t.Errorf("notify list = %+v, want 3 contacts", b.Status.NotifyList)
	}
	b.Spec.NotifyList.Export = false
	if err := live.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	reconcileUntil("the withdrawn list to be deleted", func() bool { return b.Status.NotifyList.DeletedAt != nil })
	if err := live.Get(ctx, client.ObjectKeyFromObject(squatter), &s); !apierrors.IsNotFound(err) {
		t.Errorf("the withdrawn list's Secret still exists: %v", err)
	}

	// Notified: no longer overdue.
	notified := metav1.NewTime(aware.Add(80 * time.Hour))
	b.Spec.Notifications = &privacyv1alpha1.BreachNotifications{Authority: &privacyv1alpha1.AuthorityNotification{
		NotifiedAt: &notified, AuthorityName: "CNIL", LateNotificationReason: "scope"}}
	if err := live.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	reconcileUntil("the notification to be recorded", func() bool { return b.Status.State == privacyv1alpha1.BreachStateNotifiedLate })
	if got := breachGauge(t, "crm_privacy_breach_overdue", ns, b.Name); got != 0 {
		t.Errorf("crm_privacy_breach_overdue = %v, want 0", got)
	}
	if got := breachGauge(t, "crm_privacy_breach_authority_notification_due", ns, b.Name); got != 0 {
		t.Errorf("crm_privacy_breach_authority_notification_due = %v, want 0", got)
	}
}

// breachGauge reads a breach gauge from the manager's metrics registry (-1 when absent).
func breachGauge(t *testing.T, name, ns, breach string) float64 {
	t.Helper()
	if v, ok := metricValue(t, name, map[string]string{"namespace": ns, "breach": breach}); ok {
		return v
	}
	return -1
}

// TestDataBreachCountedByTheManager: the operator's own manager (its watches, not a driven
// reconciler) counts a breach's affected contacts once the CRMDatabase is ready, on the
// real clock.
func TestDataBreachCountedByTheManager(t *testing.T) {
	ctx := context.Background()
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	insertBreachContacts(t, tdb)
	ns := newNamespace(t)
	aware := metav1.NewTime(time.Now().Add(-2 * time.Hour).Truncate(time.Second))
	b := &privacyv1alpha1.DataBreach{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "prospects-leak"},
		Spec: privacyv1alpha1.DataBreachSpec{
			DetectedAt: aware, AwareAt: aware,
			Nature:             privacyv1alpha1.BreachNature{Types: []privacyv1alpha1.BreachType{privacyv1alpha1.BreachConfidentiality}, Description: "leak"},
			DataSubjects:       privacyv1alpha1.BreachDataSubjects{Categories: []string{"prospects"}},
			PersonalData:       privacyv1alpha1.BreachPersonalData{Categories: []string{"contact details"}},
			LikelyConsequences: []string{"spam"},
			Measures:           &privacyv1alpha1.BreachMeasures{Taken: []string{"link revoked"}},
			DatabaseRefs:       []privacyv1alpha1.LocalObjectReference{{Name: "crm"}},
			ContactSelector: &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
				{Field: privacyv1alpha1.FieldLifecycleStage, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"prospect"}}}},
			RiskAssessment: privacyv1alpha1.BreachRiskAssessment{Level: privacyv1alpha1.RiskRisk, Reasoning: "emails of identifiable people"},
		},
	}
	// The breach first, the database after: the database becoming ready wakes the breach.
	if err := k8s.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitCondition(t, b, func() []metav1.Condition { return b.Status.Conditions }, privacyv1alpha1.TypeAffectedCounted,
		metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled, 60*time.Second)
	if b.Status.AffectedContacts == nil || *b.Status.AffectedContacts != 3 {
		t.Errorf("affectedContacts = %v, want the 3 prospects", b.Status.AffectedContacts)
	}
	if b.Status.State != privacyv1alpha1.BreachStateDue || b.Status.AuthorityDeadline == nil || !b.Status.AuthorityDeadline.Time.Equal(aware.Add(72*time.Hour)) {
		t.Errorf("state %s deadline %v, want Due by %s", b.Status.State, b.Status.AuthorityDeadline, aware.Add(72*time.Hour))
	}
}
