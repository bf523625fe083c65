package controllers_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// TestObjectionTakesEffectAtOnce shows issue 17's point 5 end to end on PostgreSQL: a
// marketing AccessRole whose row filter excludes opted-out contacts; its member, logged in
// for real, sees the person before the Objection and no longer sees them as soon as the
// request is Completed (the row filter reads the CRM's own optOut, which the request set in
// its transaction); and the next compliance scan of the marketing activity counts the
// person as opted out.
func TestObjectionTakesEffectAtOnce(t *testing.T) {
	ctx := context.Background()
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	tdb.Exec(t, `INSERT INTO contacts (email, contact_type, job_role, legal_basis, consent_at, consent_method) VALUES
		('objector@example.com', 'B2B', 'purchasing', 'Consent', now(), 'web form'),
		('stays@example.com', 'B2B', 'purchasing', 'Consent', now(), 'web form')`)
	admin := tdb.Open(t)
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)

	marketing := newActivity(t, ns, "newsletter", func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.Purposes = []string{"Monthly newsletter"}
		s.LegalBasis = privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisConsent}
		s.DirectMarketing = ptr(true)
		s.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: privacyv1alpha1.ObjectName(db.Name)}}
	})
	waitActivityCondition(t, marketing, privacyv1alpha1.TypeCompliant, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	if got := scanCounts(marketing).OptedOut; got == nil || *got != 0 {
		t.Fatalf("optedOutInScope before the objection = %v, want 0", got)
	}

	role, member := uniqueRole("crm_marketing"), uniqueRole("mia")
	t.Cleanup(func() {
		for _, r := range []string{role, member} {
			_, _ = admin.Exec(`DROP OWNED BY "` + r + `"`)
			_, _ = admin.Exec(`DROP ROLE IF EXISTS "` + r + `"`)
		}
	})
	ar := &privacyv1alpha1.AccessRole{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "marketing"},
		Spec: privacyv1alpha1.AccessRoleSpec{
			DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db.Name)},
			RoleName:              privacyv1alpha1.SQLIdentifier(role),
			ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "newsletter"},
			Grants:                []privacyv1alpha1.TableGrant{{Table: "contacts", Privileges: []privacyv1alpha1.Privilege{privacyv1alpha1.PrivilegeSelect}}},
			RowFilter: &privacyv1alpha1.ContactSelector{MatchExpressions: []privacyv1alpha1.FieldRequirement{
				{Field: privacyv1alpha1.FieldOptOut, Operator: privacyv1alpha1.SelectorOpIn, Values: []string{"false"}}}},
			Members: []privacyv1alpha1.RoleMember{{User: privacyv1alpha1.SQLIdentifier(member),
				PasswordSecretRef: createPasswordSecret(t, ns, "mia-pw", "mia's password"), Designation: designation(time.Now().Add(-time.Hour), nil)}},
		},
	}
	if err := k8s.Create(ctx, ar); err != nil {
		t.Fatal(err)
	}
	waitAccessRole(t, ar, privacyv1alpha1.TypeReady, metav1.ConditionTrue, "")
	login, err := pgLogin(t, tdb, member, "mia's password")
	if err != nil {
		t.Fatalf("the marketing member cannot log in: %v", err)
	}
	visible := func() []string {
		t.Helper()
		emails, err := queryStrings(t, login, "SELECT email FROM contacts ORDER BY email")
		if err != nil {
			t.Fatalf("the member's query: %v", err)
		}
		return emails
	}
	if got := visible(); len(got) != 2 {
		t.Fatalf("before the objection the member sees %v, want both contacts", got)
	}

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "objection-identity"}, StringData: map[string]string{"email": "Objector@Example.com"}}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	q := &privacyv1alpha1.DataSubjectRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "objection"},
		Spec: privacyv1alpha1.DataSubjectRequestSpec{
			Type:              privacyv1alpha1.RequestObjection,
			DatabaseRef:       &privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db.Name)},
			IdentitySecretRef: privacyv1alpha1.SecretReference{Name: "objection-identity"},
		},
	}
	if err := k8s.Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	waitRequest(t, q, privacyv1alpha1.TypeCompleted, metav1.ConditionTrue, privacyv1alpha1.ReasonRequestCompleted)
	// The member's very next query, on the same session, no longer returns the person.
	if got := visible(); len(got) != 1 || got[0] != "stays@example.com" {
		t.Errorf("once the objection completed the member sees %v, want only the other contact", got)
	}
	if taken := q.Status.CompletedAt.Sub(q.CreationTimestamp.Time); taken > time.Minute {
		t.Errorf("the objection took %s from creation to completion, want within the minute", taken)
	}

	// The next compliance scan (here brought forward by a change of the activity) counts
	// the person as opted out.
	updateActivity(t, marketing, func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.Purposes = append(s.Purposes, "Event invitations")
	})
	eventually(t, 60*time.Second, "the scan to count the opted-out contact", func() (bool, error) {
		if err := k8s.Get(ctx, key(marketing), marketing); err != nil {
			return false, err
		}
		got := scanCounts(marketing).OptedOut
		return got != nil && *got == 1 && marketing.Status.ObservedGeneration == marketing.Generation, nil
	})
}
