package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// exportFixture is an activity on legitimate interests whose LIA does not exist (so every
// contact on legitimate interests is outside its scope) over a database whose contacts
// the test lays out, reconciled by the test on a fake clock.
type exportFixture struct {
	t      *testing.T
	tdb    *testdb.Database
	pa     *privacyv1alpha1.ProcessingActivity
	rs     *controllers.Reconcilers
	live   client.Client
	clk    *clocktesting.FakeClock
	events *eventLog
}

func newExportFixture(t *testing.T, newDB func(testing.TB) *testdb.Database, schema string) *exportFixture {
	t.Helper()
	tdb := newDB(t)
	tdb.LoadFile(t, sampleSchema(schema))
	// 1, 3, 6 on legitimate interests (outside the missing LIA's scope), 2 and 5 on
	// consent, 4 without a basis; 5 has a birth date filled in.
	for id, basis := range map[int]string{1: "'LegitimateInterests'", 2: "'Consent'", 3: "'legitimate_interest'", 4: "NULL", 5: "'Consent'", 6: "'LegitimateInterests'"} {
		birth := "NULL"
		if id == 5 {
			birth = "'1980-01-01'"
		}
		tdb.Exec(t, fmt.Sprintf("INSERT INTO contacts (id, email, first_name, contact_type, job_role, legal_basis, lifecycle_stage, birth_date) "+
			"VALUES (%d, 'person%d@example.test', 'First%d', 'B2B', 'sales', %s, 'prospect', %s)", id, id, id, basis, birth))
	}
	ns := newNamespace(t)
	driven := map[string]string{drivenLabel: "true"}
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric, labels: driven})
	pa := loadSampleActivity(t)
	pa.Namespace, pa.Labels = ns, driven
	pa.Spec.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: privacyv1alpha1.ObjectName(db.Name)}}
	pa.Spec.ContactSelector = nil
	ctx := context.Background()
	if err := k8s.Create(ctx, pa); err != nil {
		t.Fatal(err)
	}
	f := &exportFixture{t: t, tdb: tdb, pa: pa, live: directClient(t), clk: clocktesting.NewFakeClock(time.Now()), events: &eventLog{}}
	reader := drivenCache(t, []client.Object{db, pa})
	rs, err := controllers.NewReconcilers(reader, f.live, f.clk, f.events, testOperatorKey, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	f.rs = rs
	if _, err := rs.Reconcile(ctx, db); err != nil {
		t.Fatalf("reconciling the CRMDatabase: %v", err)
	}
	f.reconcileUntil("the first scan", func() bool { return len(pa.Status.Compliance) == 1 && pa.Status.Compliance[0].ScannedAt != nil })
	return f
}

// reconcileUntil reconciles the activity until done holds (the test's cache may lag the
// annotation by a moment).
func (f *exportFixture) reconcileUntil(what string, done func() bool) {
	f.t.Helper()
	eventually(f.t, 30*time.Second, what, func() (bool, error) {
		if _, err := f.rs.Reconcile(context.Background(), f.pa); err != nil {
			return false, err
		}
		if err := f.live.Get(context.Background(), key(f.pa), f.pa); err != nil {
			return false, err
		}
		return done(), fmt.Errorf("status.findingsExport %+v", f.pa.Status.FindingsExport)
	})
}

// request sets the export-findings annotation as the plugin does and waits for its answer.
func (f *exportFixture) request(check string) *privacyv1alpha1.FindingsExport {
	f.t.Helper()
	value := check + "@" + f.clk.Now().UTC().Format(time.RFC3339Nano)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, privacyv1alpha1.AnnotationExportFindings, value)
	if err := f.live.Patch(context.Background(), f.pa, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		f.t.Fatal(err)
	}
	f.reconcileUntil("the export request "+value+" to be answered", func() bool {
		return f.pa.Status.FindingsExport != nil && f.pa.Status.FindingsExport.RequestedAt == value
	})
	return f.pa.Status.FindingsExport
}

func (f *exportFixture) secret(name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	err := f.live.Get(context.Background(), client.ObjectKey{Namespace: f.pa.Namespace, Name: name}, s)
	return s, err
}

func (f *exportFixture) count(check privacyv1alpha1.ComplianceCheck) int64 {
	f.t.Helper()
	n := f.pa.Status.Compliance[0].Count(check)
	if n == nil {
		f.t.Fatalf("check %s has no count: %+v", check, f.pa.Status.Compliance[0])
	}
	return *n
}

// TestFindingsExport: the keys of the contacts failing one check land in a Secret owned by
// the activity, keys only, as many as the scan counts; the Secret is deleted at the end of
// its retention; unknown checks and checks that do not run are refused.
func TestFindingsExport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		db     func(testing.TB) *testdb.Database
		schema string
	}{
		{"postgres", testdb.Postgres, "generic-postgres.sql"},
		{"sqlite", testdb.SQLite, "generic-sqlite.sql"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testFindingsExport(t, newExportFixture(t, tc.db, tc.schema))
		})
	}
}

func testFindingsExport(t *testing.T, f *exportFixture) {
	check := privacyv1alpha1.CheckLegitimateInterestOutOfScope
	want := f.count(check)
	st := f.request(string(check))
	if st.Result != privacyv1alpha1.FindingsExported || st.Check != check || st.SecretName == "" || st.ExpiresAt == nil {
		t.Fatalf("findingsExport = %+v, want Exported", st)
	}
	if len(st.Databases) != 1 || st.Databases[0].Keys != want || want != 3 {
		t.Errorf("keys exported %+v; the scan counts %d (want 3)", st.Databases, want)
	}
	if !st.ExpiresAt.Time.Equal(st.AnsweredAt.Add(controllers.DefaultFindingsExportRetention)) {
		t.Errorf("expiresAt %v, want answeredAt + %s", st.ExpiresAt, controllers.DefaultFindingsExportRetention)
	}
	s, err := f.secret(st.SecretName)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Data) != 1 || string(s.Data["crm.csv"]) != "key\n1\n3\n6\n" {
		t.Errorf("Secret data = %q, want crm.csv with the keys 1, 3, 6 and nothing else", s.Data)
	}
	if !metav1.IsControlledBy(s, f.pa) || s.Labels[controllers.LabelFindingsExport] != f.pa.Name {
		t.Errorf("Secret owner %v, labels %v: want controlled by the activity and labelled", s.OwnerReferences, s.Labels)
	}
	for _, data := range s.Data {
		if strings.Contains(string(data), "example.test") || strings.Contains(string(data), "First") {
			t.Errorf("the Secret holds contact fields other than keys: %q", data)
		}
	}
	if _, ok := f.events.find("Normal " + privacyv1alpha1.ReasonFindingsExported + " 3 contact key(s) failing legitimateInterestOutOfScope"); !ok {
		t.Errorf("no FindingsExported event: %v", f.events.events)
	}

	// A request for another check replaces the export.
	f.clk.Step(time.Second)
	st = f.request(string(privacyv1alpha1.CheckRestrictedFieldsFilled))
	if st.Result != privacyv1alpha1.FindingsExported || st.Databases[0].Keys != f.count(privacyv1alpha1.CheckRestrictedFieldsFilled) {
		t.Fatalf("findingsExport = %+v", st)
	}
	if s, err := f.secret(st.SecretName); err != nil || string(s.Data["crm.csv"]) != "key\n5\n" {
		t.Errorf("Secret %v (%v), want the key 5", s.Data, err)
	}

	// At the end of its retention the Secret is deleted.
	f.clk.Step(controllers.DefaultFindingsExportRetention - time.Second)
	f.reconcileUntil("nothing, before the expiry", func() bool { return true })
	if _, err := f.secret(st.SecretName); err != nil {
		t.Fatalf("the Secret went before its expiry: %v", err)
	}
	f.clk.Step(time.Second)
	name := st.SecretName
	f.reconcileUntil("the export to expire", func() bool {
		return f.pa.Status.FindingsExport.Result == privacyv1alpha1.FindingsExportExpired
	})
	if _, err := f.secret(name); !apierrors.IsNotFound(err) {
		t.Errorf("the Secret is still there after its retention: %v", err)
	}
	if f.pa.Status.FindingsExport.SecretName != "" {
		t.Errorf("status still names the Secret: %+v", f.pa.Status.FindingsExport)
	}

	// Refusals: an unknown check, a check that does not apply.
	f.clk.Step(time.Second)
	st = f.request("noConsent")
	if st.Result != privacyv1alpha1.FindingsExportRefused || st.SecretName != "" ||
		!strings.Contains(st.Message, "use one of noLegalBasis, consentWithoutEvidence, legitimateInterestOutOfScope, optedOutInScope, restrictedFieldsFilled") {
		t.Errorf("unknown check answered %+v, want Refused with the valid checks", st)
	}
	if _, ok := f.events.find("Warning " + privacyv1alpha1.ReasonFindingsExportRefused + " "); !ok {
		t.Errorf("no FindingsExportRefused event: %v", f.events.events)
	}
	f.clk.Step(time.Second)
	// On a contract, the LIA's scope is no rule of the activity: its check does not run.
	f.edit(func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.LegalBasis.Basis = privacyv1alpha1.BasisContract
		s.LegalBasis.LegitimateInterestAssessmentRef = nil
	})
	st = f.request(string(privacyv1alpha1.CheckLegitimateInterestOutOfScope))
	if st.Result != privacyv1alpha1.FindingsExportRefused || st.SecretName != "" || !strings.Contains(st.Message, "does not run on CRMDatabase crm") {
		t.Errorf("an inapplicable check answered %+v, want Refused saying it does not run", st)
	}
}

// edit changes the activity's spec.
func (f *exportFixture) edit(change func(*privacyv1alpha1.ProcessingActivitySpec)) {
	f.t.Helper()
	patch := client.MergeFrom(f.pa.DeepCopy())
	change(&f.pa.Spec)
	if err := f.live.Patch(context.Background(), f.pa, patch); err != nil {
		f.t.Fatal(err)
	}
}

// TestFindingsExportOverTheCapIsRefused: more failing contacts than the cap refuse the
// export as a whole; no Secret is written.
func TestFindingsExportOverTheCapIsRefused(t *testing.T) {
	t.Parallel()
	f := newExportFixture(t, testdb.SQLite, "generic-sqlite.sql")
	// The cap's worth of contacts without a legal basis, beside the fixture's one.
	f.tdb.Exec(t, fmt.Sprintf("INSERT INTO contacts (id, contact_type, legal_basis) "+
		"WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < %d) SELECT i, 'B2B', NULL FROM n", 100+controllers.FindingsExportMaxKeys-1))
	st := f.request(string(privacyv1alpha1.CheckNoLegalBasis))
	if st.Result != privacyv1alpha1.FindingsExportRefused || !strings.Contains(st.Message, fmt.Sprintf("more than %d contacts fail noLegalBasis", controllers.FindingsExportMaxKeys)) {
		t.Fatalf("findingsExport = %+v, want Refused over the cap", st)
	}
	if _, err := f.secret(f.pa.Name + "-findings-export"); !apierrors.IsNotFound(err) {
		t.Errorf("a refused export wrote a Secret: %v", err)
	}
}

// TestFindingsExportWakesTheManager: the annotation alone wakes the manager's controller,
// which answers with the Secret.
func TestFindingsExportWakesTheManager(t *testing.T) {
	t.Parallel()
	tdb := testdb.SQLite(t)
	tdb.LoadFile(t, sampleSchema("generic-sqlite.sql"))
	tdb.Exec(t, "INSERT INTO contacts (id, contact_type, legal_basis) VALUES (1, 'B2B', 'Contract'), (2, 'B2B', NULL), (3, 'B2B', 'withdrawn')")
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)
	pa := loadSampleActivity(t)
	pa.Namespace = ns
	pa.Spec.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: privacyv1alpha1.ObjectName(db.Name)}}
	pa.Spec.ContactSelector = nil
	ctx := context.Background()
	if err := k8s.Create(ctx, pa); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the first scan", func() (bool, error) {
		if err := k8s.Get(ctx, key(pa), pa); err != nil {
			return false, err
		}
		return len(pa.Status.Compliance) == 1 && pa.Status.Compliance[0].ScannedAt != nil, nil
	})
	value := "noLegalBasis@" + time.Now().UTC().Format(time.RFC3339Nano)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, privacyv1alpha1.AnnotationExportFindings, value)
	if err := k8s.Patch(ctx, pa, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the export", func() (bool, error) {
		if err := k8s.Get(ctx, key(pa), pa); err != nil {
			return false, err
		}
		e := pa.Status.FindingsExport
		return e != nil && e.RequestedAt == value, fmt.Errorf("findingsExport %+v", e)
	})
	e := pa.Status.FindingsExport
	if e.Result != privacyv1alpha1.FindingsExported || len(e.Databases) != 1 || e.Databases[0].Keys != 2 || e.Databases[0].Keys != *pa.Status.Compliance[0].Count(privacyv1alpha1.CheckNoLegalBasis) {
		t.Fatalf("findingsExport %+v, compliance %+v: want 2 keys, the scan's count", e, pa.Status.Compliance)
	}
	s := &corev1.Secret{}
	if err := directClient(t).Get(ctx, client.ObjectKey{Namespace: ns, Name: e.SecretName}, s); err != nil {
		t.Fatal(err)
	}
	if string(s.Data["crm.csv"]) != "key\n2\n3\n" {
		t.Errorf("Secret data %q, want the keys 2 and 3", s.Data)
	}
}
