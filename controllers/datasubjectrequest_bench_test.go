package controllers_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// BenchmarkDataSubjectRequestLatency measures, on a 1,000,000-contact PostgreSQL database
// (the reference schema, with its lower(email) index), the time from the creation of an
// Objection or Erasure request (its identity Secret created just before) to its Completed
// condition as the API server shows it, through the running manager. The baseline, in the
// same run, is what a DBA would type by hand for the same effect: one UPDATE (objection) or
// the deletes of the contact's dependents and row (erasure) in one transaction, by email.
// Reported: creation_to_completed_ms, baseline_ms and their ratio.
func BenchmarkDataSubjectRequestLatency(b *testing.B) {
	const contacts = 1_000_000
	tdb := testdb.Postgres(b)
	tdb.LoadFile(b, sampleSchema("generic-postgres.sql"))
	tdb.Exec(b, fmt.Sprintf(`INSERT INTO contacts (id, email, contact_type, lifecycle_stage)
		SELECT g, 'Person.' || g || '@Example.test', 'B2B', 'customer' FROM generate_series(1, %d) g`, contacts),
		"INSERT INTO notes (contact_id, body) SELECT id, 'note' FROM contacts WHERE id % 10 = 0",
		"ANALYZE contacts", "ANALYZE notes")
	admin := tdb.Open(b)
	ns := newNamespace(b)
	db := newCRMDatabase(b, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(b, db)
	ctx := context.Background()
	seq := 0 // the benchmark runs each sub-benchmark more than once: names and people never repeat
	for _, typ := range []privacyv1alpha1.DataSubjectRequestType{privacyv1alpha1.RequestObjection, privacyv1alpha1.RequestErasure} {
		b.Run(string(typ), func(b *testing.B) {
			var operator, baseline time.Duration
			for i := 0; i < b.N; i++ {
				seq++
				// Two people per iteration: one for the operator, one for the baseline.
				person := 10*seq + map[privacyv1alpha1.DataSubjectRequestType]int{privacyv1alpha1.RequestObjection: 100000, privacyv1alpha1.RequestErasure: 200000}[typ]
				name := fmt.Sprintf("%s-%d", map[privacyv1alpha1.DataSubjectRequestType]string{privacyv1alpha1.RequestObjection: "objection", privacyv1alpha1.RequestErasure: "erasure"}[typ], seq)
				start := time.Now()
				s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-identity"},
					StringData: map[string]string{"email": fmt.Sprintf("person.%d@example.test", person)}}
				if err := k8s.Create(ctx, s); err != nil {
					b.Fatal(err)
				}
				q := &privacyv1alpha1.DataSubjectRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
					Spec: privacyv1alpha1.DataSubjectRequestSpec{Type: typ, DatabaseRef: &privacyv1alpha1.LocalObjectReference{Name: privacyv1alpha1.ObjectName(db.Name)},
						IdentitySecretRef: privacyv1alpha1.SecretReference{Name: privacyv1alpha1.ObjectName(s.Name)}}}
				if err := k8s.Create(ctx, q); err != nil {
					b.Fatal(err)
				}
				pollCompleted(b, q)
				operator += time.Since(start)

				start = time.Now()
				handTyped(b, admin, typ, fmt.Sprintf("person.%d@example.test", person+1))
				baseline += time.Since(start)
			}
			b.ReportMetric(float64(operator.Milliseconds())/float64(b.N), "creation_to_completed_ms")
			b.ReportMetric(float64(baseline.Microseconds())/1000/float64(b.N), "baseline_ms")
			b.ReportMetric(float64(operator)/float64(max(baseline, time.Microsecond)), "ratio")
		})
	}
}

// pollCompleted waits for the request's Completed condition, reading the API server every
// 5 ms: the figure is the latency a person sees.
func pollCompleted(b *testing.B, q *privacyv1alpha1.DataSubjectRequest) {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if err := k8s.Get(context.Background(), key(q), q); err == nil {
			if c := meta.FindStatusCondition(q.Status.Conditions, privacyv1alpha1.TypeCompleted); c != nil && c.Status == metav1.ConditionTrue {
				if q.Status.Databases[0].Matched != 1 {
					b.Fatalf("request %s matched %d contacts, want 1", q.Name, q.Status.Databases[0].Matched)
				}
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Fatalf("request %s did not complete within 2 minutes", q.Name)
}

// handTyped is the baseline: the statements a DBA would type for the same effect, by email
// through the lower(email) index, in one transaction.
func handTyped(b *testing.B, admin *sql.DB, typ privacyv1alpha1.DataSubjectRequestType, email string) {
	b.Helper()
	tx, err := admin.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	var stmts []string
	if typ == privacyv1alpha1.RequestObjection {
		stmts = []string{"UPDATE contacts SET opt_out = true WHERE lower(email) = lower($1) AND NOT opt_out"}
	} else {
		stmts = []string{
			"DELETE FROM notes WHERE contact_id IN (SELECT id FROM contacts WHERE lower(email) = lower($1))",
			"DELETE FROM interactions WHERE contact_id IN (SELECT id FROM contacts WHERE lower(email) = lower($1))",
			"UPDATE deals SET contact_id = NULL WHERE contact_id IN (SELECT id FROM contacts WHERE lower(email) = lower($1))",
			"DELETE FROM contacts WHERE lower(email) = lower($1)",
		}
	}
	var n int64
	for _, st := range stmts {
		res, err := tx.Exec(st, email)
		if err != nil {
			b.Fatal(err)
		}
		n, _ = res.RowsAffected()
	}
	if n != 1 {
		b.Fatalf("the baseline changed %d contacts, want 1", n)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
