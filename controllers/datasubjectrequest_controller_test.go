package controllers_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// requestFixture is one CRM database with a few people, and the namespace its requests
// live in.
type requestFixture struct {
	tdb    *testdb.Database
	admin  *sql.DB
	ns     string
	db     *privacyv1alpha1.CRMDatabase
	ledger string
}

// dsrPeople are the people of the fixture, by email as the CRM stores it. None of these
// strings may reach the cluster's state or the logs.
var dsrPeople = []string{"Jane.Doe@Example.com", "bob.martin@example.org", "shared.address@example.net", "shared.address@example.net", "held.person@example.com"}

// newRequestFixture loads the generic schema on tdb (which indexes the lookup by email),
// runs index when not empty, inserts the people (seedRequestPeople), and creates a Ready
// CRMDatabase.
func newRequestFixture(t *testing.T, tdb *testdb.Database, schema, index, ledger string) *requestFixture {
	t.Helper()
	seedRequestPeople(t, tdb, schema, index)
	f := &requestFixture{tdb: tdb, admin: tdb.Open(t), ns: newNamespace(t), ledger: ledger}
	f.db = newCRMDatabase(t, f.ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, f.db)
	return f
}

// seedRequestPeople loads the generic schema on tdb, runs index when not empty, and
// inserts dsrPeople, each with an interaction, a note and a deal (contact i+1 is
// dsrPeople[i]).
func seedRequestPeople(t *testing.T, tdb *testdb.Database, schema, index string) {
	t.Helper()
	tdb.LoadFile(t, sampleSchema(schema))
	if index != "" {
		tdb.Exec(t, index)
	}
	for i, email := range dsrPeople {
		stage := "customer"
		if strings.HasPrefix(email, "held.") {
			stage = "litigation"
		}
		tdb.Exec(t, fmt.Sprintf("INSERT INTO contacts (id, email, first_name, phone, contact_type, lifecycle_stage) VALUES (%d, '%s', 'First%d', '+33 1 00 00 00 0%d', 'B2B', '%s')",
			i+1, email, i, i, stage))
		tdb.Exec(t, fmt.Sprintf("INSERT INTO interactions (contact_id, occurred_at, kind, direction) VALUES (%d, '2026-01-0%d 10:00:00', 'call', 'inbound')", i+1, i+1))
		tdb.Exec(t, fmt.Sprintf("INSERT INTO notes (contact_id, body) VALUES (%d, 'note about contact %d')", i+1, i+1))
		tdb.Exec(t, fmt.Sprintf("INSERT INTO deals (contact_id, title) VALUES (%d, 'deal %d')", i+1, i+1))
	}
}

// request creates the identity Secret (data) and a request of type typ on the fixture's
// database.
func (f *requestFixture) request(t *testing.T, name string, typ privacyv1alpha1.DataSubjectRequestType, data map[string]string, mutate func(*privacyv1alpha1.DataSubjectRequestSpec)) *privacyv1alpha1.DataSubjectRequest {
	t.Helper()
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name + "-identity",
		Labels: map[string]string{controllers.LabelRequest: name}}, StringData: data}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatalf("creating the identity Secret: %v", err)
	}
	q := &privacyv1alpha1.DataSubjectRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		Spec: privacyv1alpha1.DataSubjectRequestSpec{
			Type:              typ,
			DatabaseRef:       &privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(f.db.Name)},
			IdentitySecretRef: privacyv1alpha1.SecretReference{Name: privacyv1alpha1.ObjectName(secret.Name)},
		},
	}
	if mutate != nil {
		mutate(&q.Spec)
	}
	if err := k8s.Create(ctx, q); err != nil {
		t.Fatalf("creating DataSubjectRequest %s: %v", name, err)
	}
	return q
}

func waitRequest(t *testing.T, q *privacyv1alpha1.DataSubjectRequest, condType string, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	return waitCondition(t, q, func() []metav1.Condition { return q.Status.Conditions }, condType, status, reason, 60*time.Second)
}

func (f *requestFixture) count(t *testing.T, query string) int {
	t.Helper()
	return count(t, f.admin, query)
}

// ledgerRows counts the ledger rows of a request with action.
func (f *requestFixture) ledgerRows(t *testing.T, q *privacyv1alpha1.DataSubjectRequest, action string) int {
	t.Helper()
	return f.count(t, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE run_id = '%s' AND action = '%s' AND policy = '%s/%s'", f.ledger, q.UID, action, q.Namespace, q.Name))
}

// assertErased checks that contact id, alone of the fixture's people, was erased as the
// generic mapping says: its notes and interactions deleted, its deal kept and detached.
func (f *requestFixture) assertErased(t *testing.T, id int) {
	t.Helper()
	for query, want := range map[string]int{
		fmt.Sprintf("SELECT COUNT(*) FROM contacts WHERE id = %d", id):                               0,
		fmt.Sprintf("SELECT COUNT(*) FROM notes WHERE contact_id = %d", id):                          0,
		fmt.Sprintf("SELECT COUNT(*) FROM interactions WHERE contact_id = %d", id):                   0,
		fmt.Sprintf("SELECT COUNT(*) FROM deals WHERE title = 'deal %d' AND contact_id IS NULL", id): 1,
		"SELECT COUNT(*) FROM contacts":                                                              len(dsrPeople) - 1,
		"SELECT COUNT(*) FROM notes":                                                                 len(dsrPeople) - 1,
	} {
		if n := f.count(t, query); n != want {
			t.Errorf("CRMDatabase %s: %s = %d, want %d", f.db.Name, query, n, want)
		}
	}
}

// identityGone checks that the operator deleted the identity Secret of a completed request.
func identityGone(t *testing.T, q *privacyv1alpha1.DataSubjectRequest) {
	t.Helper()
	eventually(t, 30*time.Second, "the identity Secret to be deleted", func() (bool, error) {
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: q.Namespace, Name: string(q.Spec.IdentitySecretRef.Name)}, &corev1.Secret{})
		return apierrors.IsNotFound(err), err
	})
}

func TestDataSubjectRequestPostgres(t *testing.T) {
	tdb := testdb.Postgres(t)
	f := newRequestFixture(t, tdb, "generic-postgres.sql", "", "crm_privacy.crm_privacy_erasure_ledger")
	testRequestsOnAllTypes(t, f)
	identities := append([]string{"nobody.at.all@example.com"}, dsrPeople...)
	assertNoIdentityLeaks(t, f.ns, identities)
	// Eleven requests: the overdue one is open, the other ten were completed on time.
	waitRequestSummary(t, f.ns, register.RequestCounts{Received: 11, CompletedOnTime: 10, Open: 1}, identities)

	t.Run("a lookup without its index is reported", func(t *testing.T) {
		f.tdb.Exec(t, "DROP INDEX contacts_lower_email_idx")
		q := f.request(t, "unindexed", privacyv1alpha1.RequestObjection, map[string]string{"email": "nobody.at.all@example.com"}, nil)
		waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonNoDataHeld)
		eventually(t, 30*time.Second, "a LookupNotIndexed event", func() (bool, error) {
			return hasEvent(context.Background(), q, privacyv1alpha1.ReasonLookupNotIndexed)
		})
	})
}

// testRequestsOnAllTypes runs one request of each type on the fixture, and the safety
// cases, asserting the database afterwards.
func testRequestsOnAllTypes(t *testing.T, f *requestFixture) {
	ctx := context.Background()
	activity := &privacyv1alpha1.ProcessingActivity{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "customer-care"},
		Spec: privacyv1alpha1.ProcessingActivitySpec{
			Controller:             privacyv1alpha1.ControllerParty{Name: "Example Sales SAS", Email: "privacy@company.test"},
			Purposes:               []string{"Customer care"},
			LegalBasis:             privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisContract},
			DataSubjectCategories:  []string{"Customers"},
			PersonalDataCategories: []string{"Identity", "Contact details"},
			DataSources:            []string{"the person", "web form"},
			Recipients:             []string{"Support team"},
			DatabaseRefs:           []privacyv1alpha1.LocalObjectReference{{Name: privacyv1alpha1.ObjectName(f.db.Name)}},
		},
	}
	if err := k8s.Create(ctx, activity); err != nil {
		t.Fatal(err)
	}
	// Scoped activities on the same database: every person of the fixture is a B2B
	// contact, so an Access answer lists the customer one for a customer and never the B2C
	// one (GDPR Art. 15(1): the processing of their data).
	for name, sel := range map[string]privacyv1alpha1.FieldRequirement{
		"customer-followup": {Field: privacyv1alpha1.FieldLifecycleStage, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"customer"}},
		"b2c-offers":        {Field: privacyv1alpha1.FieldContactType, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"B2C"}},
		// A flag compared with a value that is neither true nor false: the selector cannot
		// be evaluated, so the activity is listed (too much rather than too little).
		"unclear-scope": {Field: privacyv1alpha1.FieldOptOut, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"maybe"}},
	} {
		scoped := activity.DeepCopy()
		scoped.ObjectMeta = metav1.ObjectMeta{Namespace: f.ns, Name: name}
		scoped.Spec.Purposes = []string{"Purpose of " + name}
		scoped.Spec.DataSources = nil
		scoped.Spec.ContactSelector = &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{sel}}
		if err := k8s.Create(ctx, scoped); err != nil {
			t.Fatal(err)
		}
	}
	policy := &privacyv1alpha1.RetentionPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "customers"},
		Spec: privacyv1alpha1.RetentionPolicySpec{
			DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(f.db.Name)},
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "customer-care"},
			Schedule:              "@yearly",
			Rules:                 []privacyv1alpha1.RetentionRule{{Name: "all", RetainFor: "10y", Action: privacyv1alpha1.ActionDelete}},
			LegalHolds: []privacyv1alpha1.LegalHold{{Name: "litigation", Reason: "case 2026-7", Selector: privacyv1alpha1.ContactSelector{
				MatchExpressions: []privacyv1alpha1.FieldRequirement{{Field: privacyv1alpha1.FieldLifecycleStage, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"litigation"}}}}}},
		},
	}
	if err := k8s.Create(ctx, policy); err != nil {
		t.Fatal(err)
	}

	t.Run("objection", func(t *testing.T) {
		// The identity as a person types it: spaces and capitals; the CRM holds another case.
		q := f.request(t, "objection", privacyv1alpha1.RequestObjection, map[string]string{"email": "  JANE.doe@example.COM "}, nil)
		c := waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonRequestCompleted)
		t.Log(c.Message)
		if n := f.count(t, "SELECT COUNT(*) FROM contacts WHERE id = 1 AND opt_out"); n != 1 {
			t.Errorf("contact 1 opted out: %d, want 1", n)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM contacts WHERE opt_out"); n != 1 {
			t.Errorf("%d contacts opted out, want only the requester", n)
		}
		if got := q.Status.Databases; len(got) != 1 || got[0].Matched != 1 || got[0].Objected != 1 {
			t.Errorf("status.databases = %+v, want one database with 1 matched and 1 objected", got)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(q.Status.IdentityHash) {
			t.Errorf("identityHash = %q, want 64 hex digits", q.Status.IdentityHash)
		}
		if q.Status.Phase != privacyv1alpha1.RequestCompleted || q.Status.CompletedAt == nil || q.Status.OnTime == nil || !*q.Status.OnTime {
			t.Errorf("phase %s, completedAt %v, onTime %v: want Completed, a time, true", q.Status.Phase, q.Status.CompletedAt, q.Status.OnTime)
		}
		want := gdpr.RequestDueAt(q.CreationTimestamp.Time, 0)
		if q.Status.DueAt == nil || !q.Status.DueAt.Equal(&metav1.Time{Time: want}) {
			t.Errorf("dueAt = %v, want %s (creation + 1 month)", q.Status.DueAt, want)
		}
		identityGone(t, q)
		if unindexed, err := hasEvent(ctx, q, privacyv1alpha1.ReasonLookupNotIndexed); unindexed || err != nil {
			t.Errorf("a LookupNotIndexed event although the schema indexes the lookup (%v)", err)
		}
	})

	t.Run("same identity, same hash", func(t *testing.T) {
		a := f.request(t, "hash-a", privacyv1alpha1.RequestAccess, map[string]string{"email": "nobody.at.all@example.com"}, nil)
		b := f.request(t, "hash-b", privacyv1alpha1.RequestAccess, map[string]string{"email": " NOBODY.at.all@example.com"}, nil)
		waitRequest(t, a, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonNoDataHeld)
		waitRequest(t, b, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonNoDataHeld)
		if a.Status.IdentityHash != b.Status.IdentityHash || a.Status.IdentityHash == "" {
			t.Errorf("identity hashes %q and %q differ for the same person", a.Status.IdentityHash, b.Status.IdentityHash)
		}
		if a.Status.ExportSecretName == "" {
			t.Errorf("an Access request with no data held has no export Secret to give the answer")
		}
	})

	t.Run("access", func(t *testing.T) {
		q := f.request(t, "access", privacyv1alpha1.RequestAccess, map[string]string{"email": "bob.martin@example.org"}, nil)
		waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonRequestCompleted)
		if q.Status.ExportSecretName == "" || q.Status.ExportExpiresAt == nil {
			t.Fatalf("exportSecretName %q, exportExpiresAt %v", q.Status.ExportSecretName, q.Status.ExportExpiresAt)
		}
		if got, want := q.Status.ExportExpiresAt.Sub(q.Status.CompletedAt.Time), 720*time.Hour; got != want {
			t.Errorf("the export lives %s, want the default %s", got, want)
		}
		s := &corev1.Secret{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: q.Status.ExportSecretName}, s); err != nil {
			t.Fatal(err)
		}
		if !metav1.IsControlledBy(s, q) {
			t.Errorf("the export Secret is not owned by the request: %+v", s.OwnerReferences)
		}
		doc, err := subject.ParseDocument(s.Data[controllers.ExportKeyJSON])
		if err != nil {
			t.Fatal(err)
		}
		if doc.ContactCount() != 1 || doc.Databases[0].Contacts[0].Key != "2" {
			t.Fatalf("the export holds %d contact(s), want contact 2 only: %+v", doc.ContactCount(), doc.Databases)
		}
		c := doc.Databases[0].Contacts[0]
		js := string(s.Data[controllers.ExportKeyJSON])
		for _, want := range []string{"bob.martin@example.org", "note about contact 2", "deal 2", "First1"} {
			if !strings.Contains(js, want) {
				t.Errorf("the export lacks %q", want)
			}
		}
		if len(c.Interactions) == 0 || len(c.Interactions[0].Rows) != 1 {
			t.Errorf("the export's interactions: %+v, want the contact's one call", c.Interactions)
		}
		acts := map[string]subject.Activity{}
		for _, a := range doc.Register {
			acts[a.Name] = a
		}
		care, ok := acts["customer-care"]
		if len(acts) != 3 || !ok || len(care.Purposes) == 0 || care.LegalBasis == "" || !strings.Contains(care.Retention, "10 years") ||
			care.Source != "the person; web form" {
			t.Errorf("the export's register part: %+v, want the customer-care activity with purposes, legal basis, retention and source, and two more", doc.Register)
		}
		if _, ok := acts["customer-followup"]; !ok {
			t.Errorf("the export leaves out customer-followup, whose scope (lifecycleStage In [customer]) includes the person: %+v", doc.Register)
		}
		if _, ok := acts["b2c-offers"]; ok || strings.Contains(js, "Purpose of b2c-offers") {
			t.Errorf("the export lists b2c-offers, whose scope (contactType In [B2C]) excludes the person: %+v", doc.Register)
		}
		if _, ok := acts["unclear-scope"]; !ok {
			t.Errorf("the export leaves out unclear-scope, whose selector cannot be evaluated: %+v", doc.Register)
		}
		eventually(t, 30*time.Second, "an ActivityScopeUnevaluated event", func() (bool, error) {
			return hasEvent(ctx, q, privacyv1alpha1.ReasonActivityScopeUnevaluated)
		})
		if md := string(s.Data[controllers.ExportKeyText]); !strings.Contains(md, "bob.martin@example.org") || !strings.Contains(md, "Customer care") ||
			!strings.Contains(md, "- Where it comes from: the person; web form") || strings.Contains(md, "b2c-offers") {
			t.Errorf("the readable export lacks the person's data, the purposes or the sources, or lists b2c-offers:\n%s", md)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM contacts WHERE id = 2"); n != 1 {
			t.Errorf("an Access request changed the database: contact 2 count %d", n)
		}
	})

	t.Run("rectification", func(t *testing.T) {
		q := f.request(t, "rectification", privacyv1alpha1.RequestRectification,
			map[string]string{"email": "bob.martin@example.org", "set.phone": "+33 9 99 99 99 99", "set.firstName": "Robert"}, nil)
		waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonRequestCompleted)
		if n := f.count(t, "SELECT COUNT(*) FROM contacts WHERE id = 2 AND phone = '+33 9 99 99 99 99' AND first_name = 'Robert'"); n != 1 {
			t.Errorf("contact 2 was not rectified")
		}
		if n := f.count(t, "SELECT COUNT(*) FROM contacts WHERE first_name = 'Robert'"); n != 1 {
			t.Errorf("%d contacts rectified, want 1", n)
		}
		if got := q.Status.Databases[0].Rectified; got != 1 {
			t.Errorf("rectified = %d, want 1", got)
		}
		if n := f.ledgerRows(t, q, "Rectify"); n != 1 {
			t.Errorf("%d ledger rows of the rectification, want 1", n)
		}
	})

	t.Run("erasure", func(t *testing.T) {
		q := f.request(t, "erasure", privacyv1alpha1.RequestErasure, map[string]string{"email": "bob.martin@example.org"}, nil)
		waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonRequestCompleted)
		f.assertErased(t, 2)
		if got := q.Status.Databases[0]; got.Erased != 1 || got.Held != 0 {
			t.Errorf("status.databases[0] = %+v, want 1 erased", got)
		}
		if n := f.ledgerRows(t, q, "Delete"); n != 1 {
			t.Errorf("%d ledger rows of the erasure, want 1", n)
		}
	})

	t.Run("erasure under a legal hold", func(t *testing.T) {
		q := f.request(t, "erasure-held", privacyv1alpha1.RequestErasure, map[string]string{"email": "held.person@example.com"}, nil)
		c := waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonLegalHold)
		t.Log(c.Message)
		if n := f.count(t, "SELECT COUNT(*) FROM contacts WHERE id = 5"); n != 1 {
			t.Errorf("the held contact was erased")
		}
		if got := q.Status.Databases[0]; got.Held != 1 || got.Erased != 0 {
			t.Errorf("status.databases[0] = %+v, want 1 held, 0 erased", got)
		}
	})

	t.Run("more matches than allowed wait for an approval", func(t *testing.T) {
		q := f.request(t, "erasure-shared", privacyv1alpha1.RequestErasure, map[string]string{"email": "shared.address@example.net"}, nil)
		waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionFalse, privacyv1alpha1.ReasonTooManyMatches)
		if q.Status.Phase != privacyv1alpha1.RequestAwaitingApproval || q.Status.AwaitingApproval == nil || q.Status.AwaitingApproval.Matched != 2 {
			t.Fatalf("phase %s, awaitingApproval %+v; want AwaitingApproval with 2 matched", q.Status.Phase, q.Status.AwaitingApproval)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM contacts WHERE id IN (3, 4)"); n != 2 {
			t.Fatalf("contacts erased before an approval: %d left of 2", n)
		}
		q.Spec.Approval = &privacyv1alpha1.RequestApproval{ApprovedBy: "dpo", ApprovedAt: metav1.Now(),
			SpecHash: q.Status.AwaitingApproval.SpecHash, MaxMatches: 2, Reason: "known duplicate"}
		if err := k8s.Update(ctx, q); err != nil {
			t.Fatal(err)
		}
		waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonRequestCompleted)
		if n := f.count(t, "SELECT COUNT(*) FROM contacts WHERE id IN (3, 4)"); n != 0 {
			t.Errorf("%d of the approved contacts left", n)
		}
		if n := f.ledgerRows(t, q, "Delete"); n != 2 {
			t.Errorf("%d ledger rows, want 2", n)
		}
	})

	t.Run("overdue", func(t *testing.T) {
		received := metav1.NewTime(time.Now().Add(-24*time.Hour).AddDate(0, -1, 0).Truncate(time.Second))
		q := f.request(t, "overdue", privacyv1alpha1.RequestObjection, map[string]string{}, func(s *privacyv1alpha1.DataSubjectRequestSpec) {
			s.ReceivedAt = &received
		})
		// The Secret holds no email: the request cannot go on, and its deadline has passed.
		waitRequest(t, q, privacyv1alpha1.TypeOverdue, metav1.ConditionTrue, privacyv1alpha1.ReasonDeadlinePassed)
		waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionFalse, privacyv1alpha1.ReasonIdentityInvalid)
		if want := received.AddDate(0, 1, 0); !q.Status.DueAt.Time.Equal(want) {
			t.Errorf("dueAt = %s, want %s", q.Status.DueAt, want)
		}
		eventually(t, 30*time.Second, "a DeadlinePassed Warning event", func() (bool, error) {
			return hasEvent(ctx, q, privacyv1alpha1.ReasonDeadlinePassed)
		})
		// Extending the deadline by two months (Art. 12(3)) ends the overdue state.
		q.Spec.Extension = &privacyv1alpha1.DeadlineExtension{Months: 2, Reason: "numerous requests"}
		if err := k8s.Update(ctx, q); err != nil {
			t.Fatal(err)
		}
		waitRequest(t, q, privacyv1alpha1.TypeOverdue, metav1.ConditionFalse, privacyv1alpha1.ReasonWithinDeadline)
		if want := received.AddDate(0, 3, 0); !q.Status.DueAt.Time.Equal(want) {
			t.Errorf("dueAt = %s, want %s", q.Status.DueAt, want)
		}
	})

	t.Run("only a Secret marked as the identity is deleted", func(t *testing.T) {
		// The request names the database's connection Secret as its identity Secret: it
		// holds no email, and has no identity label.
		conn := &corev1.Secret{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: f.db.Name + "-conn"}, conn); err != nil {
			t.Fatal(err)
		}
		conn.StringData = map[string]string{"email": "nobody.at.all@example.com"}
		if err := k8s.Update(ctx, conn); err != nil {
			t.Fatal(err)
		}
		q := &privacyv1alpha1.DataSubjectRequest{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "hostile"},
			Spec: privacyv1alpha1.DataSubjectRequestSpec{Type: privacyv1alpha1.RequestObjection,
				DatabaseRef:       &privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(f.db.Name)},
				IdentitySecretRef: privacyv1alpha1.SecretReference{Name: privacyv1alpha1.ObjectName(conn.Name)}}}
		if err := k8s.Create(ctx, q); err != nil {
			t.Fatal(err)
		}
		waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonNoDataHeld)
		eventually(t, 30*time.Second, "an IdentitySecretKept event", func() (bool, error) {
			return hasEvent(ctx, q, privacyv1alpha1.ReasonIdentitySecretKept)
		})
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(conn), &corev1.Secret{}); err != nil {
			t.Errorf("the connection Secret named as identity was deleted: %v", err)
		}
		if q.Status.IdentitySecretDeleted {
			t.Errorf("status.identitySecretDeleted is true for a Secret left in place")
		}
	})

	t.Run("keepIdentitySecret", func(t *testing.T) {
		q := f.request(t, "kept", privacyv1alpha1.RequestObjection, map[string]string{"email": "nobody.at.all@example.com"}, func(s *privacyv1alpha1.DataSubjectRequestSpec) {
			s.KeepIdentitySecret = ptr(true)
		})
		waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonNoDataHeld)
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: string(q.Spec.IdentitySecretRef.Name)}, &corev1.Secret{}); err != nil {
			t.Errorf("the identity Secret was deleted although keepIdentitySecret is true: %v", err)
		}
	})
}

// hasEvent says whether an event with reason was recorded about obj.
func hasEvent(ctx context.Context, obj client.Object, reason string) (bool, error) {
	var l eventsv1.EventList
	if err := k8s.List(ctx, &l, client.InNamespace(obj.GetNamespace())); err != nil {
		return false, err
	}
	for _, e := range l.Items {
		if e.Regarding.Name == obj.GetName() && e.Reason == reason {
			return true, nil
		}
	}
	return false, nil
}

// assertNoIdentityLeaks dumps every DataSubjectRequest of ns as YAML, every event of ns,
// and the manager's logs, and fails if any of them holds an identity (or its local part,
// in any case).
func assertNoIdentityLeaks(t *testing.T, ns string, identities []string) {
	t.Helper()
	ctx := context.Background()
	var dump strings.Builder
	var reqs privacyv1alpha1.DataSubjectRequestList
	if err := k8s.List(ctx, &reqs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(reqs.Items) == 0 {
		t.Fatal("no request to check")
	}
	for i := range reqs.Items {
		b, err := yaml.Marshal(&reqs.Items[i])
		if err != nil {
			t.Fatal(err)
		}
		dump.Write(b)
	}
	var evs eventsv1.EventList
	if err := k8s.List(ctx, &evs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	dump.Write(b)
	sources := map[string]string{"objects and events": strings.ToLower(dump.String()), "logs": strings.ToLower(capturedLogs.String())}
	for what, text := range sources {
		for _, id := range identities {
			local := strings.ToLower(id[:strings.IndexByte(id, '@')])
			for _, needle := range []string{strings.ToLower(id), local} {
				if strings.Contains(text, needle) {
					t.Errorf("the %s hold %q of an identity", what, needle)
				}
			}
		}
	}
	t.Logf("checked %d requests, %d events and %d bytes of logs", len(reqs.Items), len(evs.Items), len(sources["logs"]))
}

// waitRequestSummary waits until the newest register revision counts the requests of ns
// as want (summed over months and types), and checks that its snapshot holds no identity.
func waitRequestSummary(t *testing.T, ns string, want register.RequestCounts, identities []string) {
	t.Helper()
	eventually(t, 60*time.Second, "the register to count the requests of "+ns, func() (bool, error) {
		revs := listRevisions(t, k8s)
		if len(revs) == 0 {
			return false, fmt.Errorf("no revision")
		}
		last := revs[len(revs)-1]
		raw, err := register.DecodeBytes(string(last.Spec.Snapshot.Encoding), last.Spec.Snapshot.Data)
		if err != nil {
			return false, err
		}
		for _, id := range identities {
			if strings.Contains(strings.ToLower(string(raw)), strings.ToLower(id)) {
				t.Fatalf("register revision %d holds an identity", last.Spec.Revision)
			}
		}
		doc, err := register.Decode(string(last.Spec.Snapshot.Encoding), last.Spec.Snapshot.Data)
		if err != nil {
			return false, err
		}
		var got register.RequestCounts
		for _, e := range doc.OfKind(register.KindRequestSummary) {
			if e.Namespace != ns {
				continue
			}
			b, _ := json.Marshal(e.Spec)
			var s struct{ Months []register.RequestCounts }
			if err := json.Unmarshal(b, &s); err != nil {
				return false, err
			}
			for _, m := range s.Months {
				got.Received += m.Received
				got.CompletedOnTime += m.CompletedOnTime
				got.CompletedLate += m.CompletedLate
				got.Open += m.Open
			}
		}
		return got == want, fmt.Errorf("revision %d counts %+v, want %+v", last.Spec.Revision, got, want)
	})
}
