package controllers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/argocdhealth"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// healthFixture is a namespace with a ready SQLite CRMDatabase "crm" holding one contact
// without a legal basis, shared by the cases of TestKstatusReadsEveryKind.
type healthFixture struct {
	ns   string
	tdb  *testdb.Database
	live client.Client
}

// healthCase is one kind in one state: setup creates the object through the real API
// server and returns it; the manager's controllers (or, for driven objects, the test) put
// it in the state, which want describes.
type healthCase struct {
	kind, state string
	setup       func(t *testing.T, f *healthFixture) client.Object
	// ready is the Ready condition the state has ("" when the operator has not written
	// one yet), with its reason ("" for any).
	ready, reason string
	want          kstatus.Status
}

// TestKstatusReadsEveryKind runs kstatus (sigs.k8s.io/cli-utils, as Flux and kpt do) on
// objects of every kind that the real controllers put in each state, read back from the
// API server as the tools read them: Current when Ready (findings included), InProgress
// while the operator works towards the spec or has not seen the current generation,
// Failed when a person must change something.
func TestKstatusReadsEveryKind(t *testing.T) {
	f := &healthFixture{ns: newNamespace(t), tdb: testdb.SQLite(t), live: directClient(t)}
	f.tdb.LoadFile(t, sampleSchema("generic-sqlite.sql"))
	f.tdb.Exec(t, "INSERT INTO contacts (id, email, contact_type, lifecycle_stage) VALUES (1, 'nobasis@example.test', 'B2B', 'prospect')",
		"INSERT INTO contacts (id, email, contact_type, lifecycle_stage) VALUES (2, 'twin@example.test', 'B2B', 'lead'), (3, 'twin@example.test', 'B2B', 'lead')")
	waitDatabaseReady(t, newCRMDatabase(t, f.ns, f.tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric}))

	for _, tc := range healthCases() {
		t.Run(tc.kind+"/"+tc.state, func(t *testing.T) {
			t.Parallel()
			obj := tc.setup(t, f)
			u := waitHealthState(t, f, obj, tc.ready, tc.reason)
			res, err := kstatus.Compute(u)
			if err != nil {
				t.Fatalf("kstatus: %v", err)
			}
			if res.Status != tc.want {
				t.Fatalf("kstatus = %s (%s), want %s; conditions %v", res.Status, res.Message, tc.want, u.Object["status"])
			}
			assertHealthConditions(t, u, tc.want)
			assertArgoHealth(t, u, tc.want)
		})
	}
}

func healthCases() []healthCase {
	const (
		isTrue  = string(metav1.ConditionTrue)
		isFalse = string(metav1.ConditionFalse)
	)
	return []healthCase{
		{kind: "CRMDatabase", state: "ready", setup: func(t *testing.T, f *healthFixture) client.Object {
			return getObject(t, f, &privacyv1alpha1.CRMDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "crm"}})
		}, ready: isTrue, want: kstatus.CurrentStatus},
		{kind: "CRMDatabase", state: "connection Secret missing", setup: func(t *testing.T, f *healthFixture) client.Object {
			return create(t, f, &privacyv1alpha1.CRMDatabase{ObjectMeta: metav1.ObjectMeta{Name: "no-secret"}, Spec: privacyv1alpha1.CRMDatabaseSpec{
				Engine: privacyv1alpha1.EngineSQLite, Preset: privacyv1alpha1.PresetGeneric, Ledger: &privacyv1alpha1.LedgerSpec{Enabled: ptr(false)},
				Connection: privacyv1alpha1.ConnectionSpec{SecretRef: privacyv1alpha1.SecretReference{Name: "absent"}}}})
		}, ready: isFalse, reason: privacyv1alpha1.ReasonSecretNotFound, want: kstatus.InProgressStatus},
		{kind: "CRMDatabase", state: "mapping invalid", setup: func(t *testing.T, f *healthFixture) client.Object {
			// A database without the preset's tables.
			tdb := testdb.SQLite(t)
			tdb.Exec(t, "CREATE TABLE unrelated (id INTEGER PRIMARY KEY)")
			return newCRMDatabase(t, newNamespace(t), tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
		}, ready: isFalse, reason: privacyv1alpha1.ReasonSchemaInvalid, want: kstatus.FailedStatus},
		{kind: "CRMDatabase", state: "not reconciled yet", setup: func(t *testing.T, f *healthFixture) client.Object {
			return create(t, f, driven(&privacyv1alpha1.CRMDatabase{ObjectMeta: metav1.ObjectMeta{Name: "unseen"}, Spec: privacyv1alpha1.CRMDatabaseSpec{
				Engine: privacyv1alpha1.EngineSQLite, Preset: privacyv1alpha1.PresetGeneric, Ledger: &privacyv1alpha1.LedgerSpec{Enabled: ptr(false)},
				Connection: privacyv1alpha1.ConnectionSpec{SecretRef: privacyv1alpha1.SecretReference{Name: "crm-conn"}}}}))
		}, want: kstatus.InProgressStatus},

		{kind: "RetentionPolicy", state: "dry run", setup: func(t *testing.T, f *healthFixture) client.Object {
			return create(t, f, &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "dry"}, Spec: retentionPolicySpec(privacyv1alpha1.ModeDryRun, 10)})
		}, ready: isTrue, reason: privacyv1alpha1.ReasonDryRun, want: kstatus.CurrentStatus},
		{kind: "RetentionPolicy", state: "awaiting approval", setup: awaitingApprovalPolicy,
			ready: isTrue, reason: privacyv1alpha1.ReasonBudgetExceeded, want: kstatus.CurrentStatus},
		{kind: "RetentionPolicy", state: "database missing", setup: func(t *testing.T, f *healthFixture) client.Object {
			spec := retentionPolicySpec(privacyv1alpha1.ModeDryRun, 10)
			spec.DatabaseRef.Name = "missing"
			return create(t, f, &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "no-db"}, Spec: spec})
		}, ready: isFalse, reason: privacyv1alpha1.ReasonDatabaseNotFound, want: kstatus.InProgressStatus},
		{kind: "RetentionPolicy", state: "selector on an unmapped field", setup: func(t *testing.T, f *healthFixture) client.Object {
			spec := retentionPolicySpec(privacyv1alpha1.ModeDryRun, 10)
			spec.Rules[0].Selector = selector("loyaltyTier", "gold")
			return create(t, f, &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "unmapped"}, Spec: spec})
		}, ready: isFalse, reason: privacyv1alpha1.ReasonInvalidSpec, want: kstatus.FailedStatus},

		{kind: "ProcessingActivity", state: "findings in the declaration", setup: func(t *testing.T, f *healthFixture) client.Object {
			spec := activitySpec()
			spec.ErasureTimeLimits = "" // RetentionDefined=False: the DPO's work
			return create(t, f, &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Name: "no-limits"}, Spec: spec})
		}, ready: isTrue, reason: privacyv1alpha1.ReasonReconciled, want: kstatus.CurrentStatus},
		{kind: "ProcessingActivity", state: "contacts not compliant", setup: func(t *testing.T, f *healthFixture) client.Object {
			spec := activitySpec()
			spec.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "crm"}}
			obj := create(t, f, &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Name: "scanned"}, Spec: spec})
			waitActivityCondition(t, obj, privacyv1alpha1.TypeCompliant, metav1.ConditionFalse, privacyv1alpha1.ReasonNonCompliantContacts)
			return obj
		}, ready: isTrue, reason: privacyv1alpha1.ReasonReconciled, want: kstatus.CurrentStatus},
		{kind: "ProcessingActivity", state: "database missing", setup: func(t *testing.T, f *healthFixture) client.Object {
			spec := activitySpec()
			spec.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "missing"}}
			return create(t, f, &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Name: "no-db"}, Spec: spec})
		}, ready: isFalse, reason: privacyv1alpha1.ReasonDatabaseNotFound, want: kstatus.InProgressStatus},
		{kind: "ProcessingActivity", state: "selector on an unmapped field", setup: func(t *testing.T, f *healthFixture) client.Object {
			spec := activitySpec()
			spec.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: "crm"}}
			spec.ContactSelector = &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
				{Field: "loyaltyTier", Operator: privacyv1alpha1.SelectorOpExists}}}
			return create(t, f, &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Name: "unmapped"}, Spec: spec})
		}, ready: isFalse, reason: privacyv1alpha1.ReasonInvalidSpec, want: kstatus.FailedStatus},

		{kind: "LegitimateInterestAssessment", state: "approved", setup: func(t *testing.T, f *healthFixture) client.Object {
			now := time.Now()
			return create(t, f, &privacyv1alpha1.LegitimateInterestAssessment{ObjectMeta: metav1.ObjectMeta{Name: "approved"},
				Spec: liaSpec(decision(privacyv1alpha1.OutcomeApproved, now.Add(-time.Hour), now.AddDate(1, 0, 0)))})
		}, ready: isTrue, reason: privacyv1alpha1.ReasonReconciled, want: kstatus.CurrentStatus},
		{kind: "LegitimateInterestAssessment", state: "review date passed", setup: func(t *testing.T, f *healthFixture) client.Object {
			now := time.Now()
			return create(t, f, &privacyv1alpha1.LegitimateInterestAssessment{ObjectMeta: metav1.ObjectMeta{Name: "expired"},
				Spec: liaSpec(decision(privacyv1alpha1.OutcomeApproved, now.AddDate(-2, 0, 0), now.Add(-time.Hour)))})
		}, ready: isTrue, reason: privacyv1alpha1.ReasonExpired, want: kstatus.CurrentStatus},
		{kind: "LegitimateInterestAssessment", state: "spec change not reconciled yet", setup: changedLIA, want: kstatus.InProgressStatus},

		{kind: "AccessRole", state: "in sync", setup: inSyncAccessRole, ready: isTrue, reason: privacyv1alpha1.ReasonReconciled, want: kstatus.CurrentStatus},
		{kind: "AccessRole", state: "database missing", setup: func(t *testing.T, f *healthFixture) client.Object {
			return create(t, f, healthAccessRole("missing", "crm_missing"))
		}, ready: isFalse, reason: privacyv1alpha1.ReasonDatabaseNotFound, want: kstatus.InProgressStatus},
		{kind: "AccessRole", state: "engine without roles", setup: func(t *testing.T, f *healthFixture) client.Object {
			return create(t, f, healthAccessRole("crm", "crm_sqlite"))
		}, ready: isFalse, reason: privacyv1alpha1.ReasonUnsupported, want: kstatus.FailedStatus},

		{kind: "DataSubjectRequest", state: "completed, no data held", setup: func(t *testing.T, f *healthFixture) client.Object {
			return healthRequest(t, f, "nobody", "crm", "nobody@example.test")
		}, ready: isTrue, reason: privacyv1alpha1.ReasonNoDataHeld, want: kstatus.CurrentStatus},
		{kind: "DataSubjectRequest", state: "awaiting approval", setup: func(t *testing.T, f *healthFixture) client.Object {
			// Two contacts share the email, more than maxMatches (1): nothing is done until
			// a person approves.
			return healthRequest(t, f, "twins", "crm", "twin@example.test")
		}, ready: isTrue, reason: privacyv1alpha1.ReasonTooManyMatches, want: kstatus.CurrentStatus},
		{kind: "DataSubjectRequest", state: "database missing", setup: func(t *testing.T, f *healthFixture) client.Object {
			return healthRequest(t, f, "no-db", "missing", "someone@example.test")
		}, ready: isFalse, reason: privacyv1alpha1.ReasonDatabaseNotFound, want: kstatus.InProgressStatus},
		{kind: "DataSubjectRequest", state: "identity invalid", setup: func(t *testing.T, f *healthFixture) client.Object {
			return healthRequest(t, f, "bad-identity", "crm", "not an email")
		}, ready: isFalse, reason: privacyv1alpha1.ReasonIdentityInvalid, want: kstatus.FailedStatus},

		{kind: "DataBreach", state: "authority notification overdue", setup: func(t *testing.T, f *healthFixture) client.Object {
			return create(t, f, healthBreach("overdue", nil, nil))
		}, ready: isTrue, reason: privacyv1alpha1.ReasonDeadlinePassed, want: kstatus.CurrentStatus},
		{kind: "DataBreach", state: "database missing", setup: func(t *testing.T, f *healthFixture) client.Object {
			return create(t, f, healthBreach("no-db", []string{"missing"}, nil))
		}, ready: isFalse, reason: privacyv1alpha1.ReasonDatabaseNotFound, want: kstatus.InProgressStatus},
		{kind: "DataBreach", state: "selector on an unmapped field", setup: func(t *testing.T, f *healthFixture) client.Object {
			return create(t, f, healthBreach("unmapped", []string{"crm"}, &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
				{Field: "loyaltyTier", Operator: privacyv1alpha1.SelectorOpExists}}}))
		}, ready: isFalse, reason: privacyv1alpha1.ReasonInvalidSpec, want: kstatus.FailedStatus},

		{kind: "RegisterRevision", state: "verified", setup: latestRevision, ready: isTrue, reason: privacyv1alpha1.ReasonChainVerified, want: kstatus.CurrentStatus},

		{kind: "ChangePreview", state: "answered", setup: func(t *testing.T, f *healthFixture) client.Object {
			return create(t, f, &privacyv1alpha1.ChangePreview{ObjectMeta: metav1.ObjectMeta{Name: "answered"}, Spec: privacyv1alpha1.ChangePreviewSpec{
				RetentionPolicy: &privacyv1alpha1.RetentionPolicyCandidate{Name: "candidate", Spec: retentionPolicySpec(privacyv1alpha1.ModeDryRun, 10)}}})
		}, ready: isTrue, reason: privacyv1alpha1.ReasonAnswered, want: kstatus.CurrentStatus},
		{kind: "ChangePreview", state: "answered without figures: database missing", setup: func(t *testing.T, f *healthFixture) client.Object {
			// Answered once and never retried: Stalled, though the same reason on a
			// RetentionPolicy is retried (Reconciling).
			spec := retentionPolicySpec(privacyv1alpha1.ModeDryRun, 10)
			spec.DatabaseRef.Name = "missing"
			return create(t, f, &privacyv1alpha1.ChangePreview{ObjectMeta: metav1.ObjectMeta{Name: "no-db"}, Spec: privacyv1alpha1.ChangePreviewSpec{
				RetentionPolicy: &privacyv1alpha1.RetentionPolicyCandidate{Name: "candidate", Spec: spec}}})
		}, ready: isFalse, reason: privacyv1alpha1.ReasonDatabaseNotFound, want: kstatus.FailedStatus},
	}
}

// create creates obj in the fixture's namespace (unless it has one) and returns it.
func create[T client.Object](t *testing.T, f *healthFixture, obj T) T {
	t.Helper()
	if obj.GetNamespace() == "" {
		obj.SetNamespace(f.ns)
	}
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
	return obj
}

// getObject reads obj from the API server.
func getObject[T client.Object](t *testing.T, f *healthFixture, obj T) T {
	t.Helper()
	if err := f.live.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// driven labels obj so that the shared manager does not reconcile it.
func driven[T client.Object](obj T) T {
	obj.SetLabels(map[string]string{drivenLabel: "true"})
	return obj
}

// awaitingApprovalPolicy drives an enforced policy whose due run exceeds its budget, on a
// fake clock: the run waits for an approval.
func awaitingApprovalPolicy(t *testing.T, _ *healthFixture) client.Object {
	dp := newDrivenDatabase(t, testdb.SQLite, "generic-sqlite.sql")
	dp.addContacts(1, 4, "prospect", time.Now().AddDate(-3, 0, 0))
	spec := drivenSpec()
	spec.Budget.MaxDeletionPercent = ptr[int32](10)
	dp.create(spec)
	dp.reconcileUntil(3, "the due run to be blocked by the budget", func(p *privacyv1alpha1.RetentionPolicy) bool {
		return p.Status.LastRun != nil && p.Status.LastRun.Result == privacyv1alpha1.RunBudgetExceeded
	})
	if c := dp.condition(privacyv1alpha1.TypeApproved); c.Status != metav1.ConditionFalse {
		t.Fatalf("Approved = %+v, want False", c)
	}
	return dp.p
}

// changedLIA reconciles a driven LIA once with the real controller (Current), then changes
// its spec: until the controller sees the new generation, kstatus reads it InProgress.
func changedLIA(t *testing.T, f *healthFixture) client.Object {
	now := time.Now()
	lia := create(t, f, driven(&privacyv1alpha1.LegitimateInterestAssessment{ObjectMeta: metav1.ObjectMeta{Name: "changed"},
		Spec: liaSpec(decision(privacyv1alpha1.OutcomeApproved, now.Add(-time.Hour), now.AddDate(1, 0, 0)))}))
	rs, err := controllers.NewReconcilers(drivenCache(t, []client.Object{lia}), f.live, clocktesting.NewFakeClock(now), &eventLog{}, testOperatorKey, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	if _, err := rs.Reconcile(context.Background(), lia); err != nil {
		t.Fatal(err)
	}
	if res := computeLive(t, f, lia); res.Status != kstatus.CurrentStatus {
		t.Fatalf("after the first reconcile kstatus = %s (%s), want Current", res.Status, res.Message)
	}
	getObject(t, f, lia)
	lia.Spec.PurposeTest.Interest = "prospecting companies, reviewed"
	if err := f.live.Update(context.Background(), lia); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The controller's next pass, once its cache has the change, makes it Current again.
		eventually(t, 10*time.Second, "the changed LIA to be Current once reconciled", func() (bool, error) {
			if _, err := rs.Reconcile(context.Background(), lia); err != nil {
				return false, err
			}
			res := computeLive(t, f, lia)
			return res.Status == kstatus.CurrentStatus, fmt.Errorf("kstatus %s: %s", res.Status, res.Message)
		})
	})
	return lia
}

// inSyncAccessRole creates an AccessRole on a PostgreSQL database of its own namespace.
func inSyncAccessRole(t *testing.T, _ *healthFixture) client.Object {
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	ns := newNamespace(t)
	waitDatabaseReady(t, newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric}))
	ar := healthAccessRole("crm", uniqueRole("crm_health"))
	ar.Namespace = ns
	if err := k8s.Create(context.Background(), ar); err != nil {
		t.Fatal(err)
	}
	return ar
}

func healthAccessRole(db, role string) *privacyv1alpha1.AccessRole {
	return &privacyv1alpha1.AccessRole{ObjectMeta: metav1.ObjectMeta{Name: "readers-" + db},
		Spec: privacyv1alpha1.AccessRoleSpec{
			DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db)},
			RoleName:              privacyv1alpha1.SQLIdentifier(role),
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "b2b-prospecting"},
			Grants:                []privacyv1alpha1.TableGrant{{Table: "notes", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}}},
			ReclaimPolicy:         privacyv1alpha1.ReclaimDelete,
		}}
}

// healthRequest creates an Erasure of the person whose email is email on database db.
func healthRequest(t *testing.T, f *healthFixture, name, db, email string) client.Object {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-identity", Labels: map[string]string{controllers.LabelRequest: name}},
		StringData: map[string]string{"email": email}}
	create(t, f, secret)
	return create(t, f, &privacyv1alpha1.DataSubjectRequest{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: privacyv1alpha1.DataSubjectRequestSpec{Type: privacyv1alpha1.RequestErasure,
			DatabaseRef:       &privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db)},
			IdentitySecretRef: privacyv1alpha1.SecretReference{Name: privacyv1alpha1.ObjectName(secret.Name)}}})
}

// healthBreach is a high-risk breach the controller became aware of four days ago, not
// notified: the 72 hours have passed.
func healthBreach(name string, dbs []string, sel *privacyv1alpha1.ContactSelector) *privacyv1alpha1.DataBreach {
	aware := metav1.NewTime(time.Now().Add(-96 * time.Hour))
	b := &privacyv1alpha1.DataBreach{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: privacyv1alpha1.DataBreachSpec{
			DetectedAt: aware, AwareAt: aware,
			Nature:             privacyv1alpha1.BreachNature{Types: []privacyv1alpha1.BreachType{privacyv1alpha1.BreachConfidentiality}, Description: "customer export leaked"},
			DataSubjects:       privacyv1alpha1.BreachDataSubjects{Categories: []string{"customers"}},
			PersonalData:       privacyv1alpha1.BreachPersonalData{Categories: []string{"contact details"}},
			LikelyConsequences: []string{"phishing"},
			Measures:           &privacyv1alpha1.BreachMeasures{Taken: []string{"link revoked"}},
			ContactSelector:    sel,
			RiskAssessment:     privacyv1alpha1.BreachRiskAssessment{Level: privacyv1alpha1.RiskHigh, Reasoning: "identifiable contact details"},
		}}
	for _, db := range dbs {
		b.Spec.DatabaseRefs = append(b.Spec.DatabaseRefs, privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db)})
	}
	return b
}

// latestRevision waits for the register to hold a revision with the fixture's activities,
// and returns the latest one.
func latestRevision(t *testing.T, f *healthFixture) client.Object {
	create(t, f, &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Name: "registered"}, Spec: activitySpec()})
	var latest *privacyv1alpha1.RegisterRevision
	eventually(t, 60*time.Second, "a register revision", func() (bool, error) {
		revs := listRevisions(t, f.live)
		if len(revs) == 0 {
			return false, fmt.Errorf("no revision yet")
		}
		latest = &revs[len(revs)-1]
		return true, nil
	})
	return latest
}

// waitHealthState reads obj as the GitOps tools do (unstructured, from the API server)
// until its Ready condition has status and reason (any reason when reason is empty) for
// the current generation; when status is empty, it reads it once: the operator has not
// written a status.
func waitHealthState(t *testing.T, f *healthFixture, obj client.Object, status, reason string) *unstructured.Unstructured {
	t.Helper()
	u := unstructuredOf(t, obj)
	if status == "" {
		if err := f.live.Get(context.Background(), client.ObjectKeyFromObject(obj), u); err != nil {
			t.Fatal(err)
		}
		// The CRD defaults status.observedGeneration to 0, so that an object the operator has
		// not seen yet reads as in progress rather than current.
		if _, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration"); !found {
			t.Errorf("status.observedGeneration is absent: %v", u.Object["status"])
		}
		return u
	}
	eventually(t, 60*time.Second, fmt.Sprintf("Ready of %s %s to be %s %s", u.GetKind(), obj.GetName(), status, reason), func() (bool, error) {
		if err := f.live.Get(context.Background(), client.ObjectKeyFromObject(obj), u); err != nil {
			return false, err
		}
		observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
		c := findCondition(u, privacyv1alpha1.TypeReady)
		switch {
		case c == nil:
			return false, fmt.Errorf("no Ready condition yet")
		case observed != u.GetGeneration():
			return false, fmt.Errorf("observedGeneration %d, generation %d", observed, u.GetGeneration())
		case string(c.Status) != status || (reason != "" && c.Reason != reason):
			return false, fmt.Errorf("Ready is %s (%s): %s", c.Status, c.Reason, c.Message)
		}
		return true, nil
	})
	return u
}

// assertHealthConditions checks the kstatus conditions behind the result: Stalled=True on
// Failed, Reconciling=True (or a generation not observed yet) on InProgress, neither when
// Current; never both.
func assertHealthConditions(t *testing.T, u *unstructured.Unstructured, want kstatus.Status) {
	t.Helper()
	reconciling, stalled := findCondition(u, privacyv1alpha1.TypeReconciling), findCondition(u, privacyv1alpha1.TypeStalled)
	ready := findCondition(u, privacyv1alpha1.TypeReady)
	observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	switch {
	case reconciling != nil && stalled != nil:
		t.Errorf("both Reconciling and Stalled are set: %+v, %+v", reconciling, stalled)
	case want == kstatus.FailedStatus && (stalled == nil || stalled.Status != metav1.ConditionTrue || stalled.Reason != ready.Reason):
		t.Errorf("Failed without Stalled=True carrying Ready's reason: Stalled %+v, Ready %+v", stalled, ready)
	case want == kstatus.InProgressStatus && observed == u.GetGeneration() && (reconciling == nil || reconciling.Status != metav1.ConditionTrue || reconciling.Reason != ready.Reason):
		t.Errorf("InProgress on an observed generation without Reconciling=True carrying Ready's reason: Reconciling %+v, Ready %+v", reconciling, ready)
	case want == kstatus.CurrentStatus && (reconciling != nil || stalled != nil):
		t.Errorf("Current with Reconciling %+v, Stalled %+v", reconciling, stalled)
	}
}

// argoHealthOf is the Argo CD health that matches a kstatus result: the scripts of
// config/argocd read the same conditions.
var argoHealthOf = map[kstatus.Status]string{
	kstatus.CurrentStatus: "Healthy", kstatus.InProgressStatus: "Progressing", kstatus.FailedStatus: "Degraded",
}

// assertArgoHealth runs the kind's committed Argo CD health check on the object as read
// from the API server.
func assertArgoHealth(t *testing.T, u *unstructured.Unstructured, want kstatus.Status) {
	t.Helper()
	path := filepath.Join("..", "config", "argocd", "health", u.GroupVersionKind().Group+"_"+u.GetKind(), "health.lua")
	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the Argo CD health check of %s: %v", u.GetKind(), err)
	}
	got, err := argocdhealth.Evaluate(string(script), u.Object)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got.Status != argoHealthOf[want] {
		t.Errorf("Argo CD health = %s (%s), want %s", got.Status, got.Message, argoHealthOf[want])
	}
}

// computeLive reads obj from the API server and runs kstatus on it.
func computeLive(t *testing.T, f *healthFixture, obj client.Object) *kstatus.Result {
	t.Helper()
	u := unstructuredOf(t, obj)
	if err := f.live.Get(context.Background(), client.ObjectKeyFromObject(obj), u); err != nil {
		t.Fatal(err)
	}
	res, err := kstatus.Compute(u)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// unstructuredOf is an empty unstructured object of obj's kind.
func unstructuredOf(t *testing.T, obj runtime.Object) *unstructured.Unstructured {
	t.Helper()
	gvk, err := apiutil.GVKForObject(obj, testScheme)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

// findCondition reads a condition of an unstructured object's status.
func findCondition(u *unstructured.Unstructured, condType string) *metav1.Condition {
	list, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok || m["type"] != condType {
			continue
		}
		var c metav1.Condition
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &c); err != nil {
			return nil
		}
		return &c
	}
	return nil
}
