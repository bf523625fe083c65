package controllers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

func TestCRMDatabaseBecomesReadyOnEveryEngine(t *testing.T) {
	cases := []struct {
		name   string
		db     func(testing.TB) *testdb.Database
		schema string
		preset privacyv1alpha1.SchemaPreset
	}{
		{"postgres generic", testdb.Postgres, "generic-postgres.sql", privacyv1alpha1.PresetGeneric},
		{"mariadb generic", testdb.MariaDB, "generic-mysql.sql", privacyv1alpha1.PresetGeneric},
		{"sqlite generic", testdb.SQLite, "generic-sqlite.sql", privacyv1alpha1.PresetGeneric},
		{"mariadb suitecrm", testdb.MariaDB, "suitecrm-mysql.sql", privacyv1alpha1.PresetSuiteCRM},
		{"postgres suitecrm", testdb.Postgres, "suitecrm-postgres.sql", privacyv1alpha1.PresetSuiteCRM},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tdb := tc.db(t)
			tdb.LoadFile(t, sampleSchema(tc.schema))
			ns := newNamespace(t)
			db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: tc.preset})
			waitDatabaseReady(t, db)

			if db.Status.ServerVersion == "" || db.Status.Contacts == nil || *db.Status.Contacts != 0 {
				t.Errorf("status: version %q, contacts %v; want a version and 0 contacts", db.Status.ServerVersion, db.Status.Contacts)
			}
			if db.Status.ObservedGeneration != db.Generation {
				t.Errorf("observedGeneration %d, generation %d", db.Status.ObservedGeneration, db.Generation)
			}
			// The ledger table really exists in the database.
			sqlDB := tdb.Open(t)
			var n int
			if err := sqlDB.QueryRow("SELECT COUNT(*) FROM " + erasure.LedgerRowsSQL(crm.Engine(tdb.Engine))).Scan(&n); err != nil {
				t.Errorf("the ledger table is not in the database: %v", err)
			}
		})
	}
}

func TestCRMDatabaseCountsContactsAndRechecks(t *testing.T) {
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	tdb.Exec(t, "INSERT INTO contacts (email, contact_type) VALUES ('a@example.com', 'B2B'), ('b@example.com', 'B2C')")
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)
	if db.Status.Contacts == nil || *db.Status.Contacts != 2 {
		t.Fatalf("contacts = %v, want 2", db.Status.Contacts)
	}
	tdb.Exec(t, "INSERT INTO contacts (email, contact_type) VALUES ('c@example.com', 'B2B')")
	eventually(t, 30*time.Second, "the periodic re-check to count 3 contacts", func() (bool, error) {
		err := k8s.Get(context.Background(), key(db), db)
		return err == nil && db.Status.Contacts != nil && *db.Status.Contacts == 3, err
	})
}

func TestCRMDatabaseReportsMappingProblemsByField(t *testing.T) {
	tdb := testdb.MariaDB(t)
	tdb.LoadFile(t, sampleSchema("generic-mysql.sql"))
	ns := newNamespace(t)
	mapping := &privacyv1alpha1.SchemaMapping{
		Fields: []privacyv1alpha1.FieldMapping{
			{Name: privacyv1alpha1.FieldEmail, Column: "e_mail"},           // missing column
			{Name: privacyv1alpha1.FieldLastContactAt, Column: "job_role"}, // text where a time is needed
		},
		Dependents: []privacyv1alpha1.DependentTable{{Table: "invoices", Column: "contact_id", Action: privacyv1alpha1.DependentDelete}}, // missing table
	}
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric, mapping: mapping})
	cond := waitDatabase(t, db, privacyv1alpha1.TypeSchemaValid, metav1.ConditionFalse, privacyv1alpha1.ReasonSchemaInvalid)
	for _, want := range []string{"fields[email]", "e_mail", "fields[lastContactAt]", "invoices"} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("SchemaValid message does not mention %q: %s", want, cond.Message)
		}
	}
	if len(db.Status.SchemaProblems) != 3 {
		t.Errorf("schemaProblems = %+v, want 3 entries", db.Status.SchemaProblems)
	}
	// Each problem carries its kind, table and column as fields, for programs (the
	// plugin's mapping command): sorted by field, as the status lists them.
	type finding struct {
		Field  string
		Kind   privacyv1alpha1.SchemaProblemKind
		Table  string
		Column string
		Actual bool
	}
	var found []finding
	for _, p := range db.Status.SchemaProblems {
		found = append(found, finding{p.Field, p.Kind, p.Table, p.Column, p.ActualType != "" && p.ExpectedTypes != ""})
	}
	wantFound := []finding{
		{"mapping.dependents[3].table", privacyv1alpha1.ProblemMissingTable, "invoices", "", false},
		{"mapping.fields[email].column", privacyv1alpha1.ProblemMissingColumn, "contacts", "e_mail", false},
		{"mapping.fields[lastContactAt].column", privacyv1alpha1.ProblemWrongType, "contacts", "job_role", true},
	}
	if diff := cmp.Diff(wantFound, found); diff != "" {
		t.Errorf("structured schema problems (-want +got):\n%s", diff)
	}
	waitDatabase(t, db, privacyv1alpha1.TypeReady, metav1.ConditionFalse, privacyv1alpha1.ReasonSchemaInvalid)

	// Fixing the mapping makes it Ready.
	patch := client.MergeFrom(db.DeepCopy())
	db.Spec.Mapping = nil
	if err := k8s.Patch(context.Background(), db, patch); err != nil {
		t.Fatal(err)
	}
	waitDatabaseReady(t, db)
	if len(db.Status.SchemaProblems) != 0 {
		t.Errorf("schemaProblems left after the fix: %+v", db.Status.SchemaProblems)
	}
}

func TestCRMDatabaseWrongPasswordNeverLeaks(t *testing.T) {
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	ns := newNamespace(t)
	const secretPassword = "Wr0ng-Pa55word-that-must-not-leak"
	wrong := *tdb
	wrong.Password = secretPassword
	wrong.User = "nobody_here"
	db := newCRMDatabase(t, ns, &wrong, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabase(t, db, privacyv1alpha1.TypeConnected, metav1.ConditionFalse, privacyv1alpha1.ReasonAuthenticationFailed)
	waitDatabase(t, db, privacyv1alpha1.TypeReady, metav1.ConditionFalse, privacyv1alpha1.ReasonAuthenticationFailed)
	assertNoLeak(t, ns, db, secretPassword)

	// Rotating the Secret to the right credentials recovers without touching the CRMDatabase.
	s := &corev1.Secret{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "crm-conn"}, s); err != nil {
		t.Fatal(err)
	}
	s.Data = connectionSecretData(tdb)
	if err := k8s.Update(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	waitDatabaseReady(t, db)
}

func TestCRMDatabaseMissingSecretAndKey(t *testing.T) {
	tdb := testdb.SQLite(t)
	tdb.LoadFile(t, sampleSchema("generic-sqlite.sql"))
	ns := newNamespace(t)
	db := &privacyv1alpha1.CRMDatabase{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orphan"},
		Spec: privacyv1alpha1.CRMDatabaseSpec{
			Engine:     privacyv1alpha1.EngineSQLite,
			Preset:     privacyv1alpha1.PresetGeneric,
			Connection: privacyv1alpha1.ConnectionSpec{SecretRef: privacyv1alpha1.SecretReference{Name: "not-there"}},
			Ledger:     &privacyv1alpha1.LedgerSpec{HMACKeySecretRef: &privacyv1alpha1.SecretKeySelector{Name: "ledger-key", Key: "hmac-key"}},
		},
	}
	if err := k8s.Create(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	cond := waitDatabase(t, db, privacyv1alpha1.TypeConnected, metav1.ConditionFalse, privacyv1alpha1.ReasonSecretNotFound)
	if !strings.Contains(cond.Message, "not-there") {
		t.Errorf("message does not name the Secret: %s", cond.Message)
	}
	// The Secret appears, with the wrong key: the watch wakes the database up.
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "not-there"}, Data: map[string][]byte{"file": []byte(tdb.Path)}}
	if err := k8s.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	cond = waitDatabase(t, db, privacyv1alpha1.TypeConnected, metav1.ConditionFalse, privacyv1alpha1.ReasonSecretKeyMissing)
	if !strings.Contains(cond.Message, `"path"`) {
		t.Errorf("message does not name the missing key: %s", cond.Message)
	}
	// With the key right, the connection works but the ledger key's Secret is missing.
	s.Data = map[string][]byte{"path": []byte(tdb.Path)}
	if err := k8s.Update(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	cond = waitDatabase(t, db, privacyv1alpha1.TypeLedgerReady, metav1.ConditionFalse, privacyv1alpha1.ReasonSecretNotFound)
	if !strings.Contains(cond.Message, "ledger-key") {
		t.Errorf("LedgerReady message does not name the Secret: %s", cond.Message)
	}
	waitDatabase(t, db, privacyv1alpha1.TypeConnected, metav1.ConditionTrue, "")
	waitDatabase(t, db, privacyv1alpha1.TypeReady, metav1.ConditionFalse, privacyv1alpha1.ReasonSecretNotFound)

	// A key that is too short is refused with the length to use.
	short := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ledger-key"}, Data: map[string][]byte{"hmac-key": []byte("short")}}
	if err := k8s.Create(context.Background(), short); err != nil {
		t.Fatal(err)
	}
	cond = waitDatabase(t, db, privacyv1alpha1.TypeLedgerReady, metav1.ConditionFalse, privacyv1alpha1.ReasonLedgerFailed)
	if !strings.Contains(cond.Message, "at least 32") {
		t.Errorf("LedgerReady message does not say how long the key must be: %s", cond.Message)
	}
	short.Data = map[string][]byte{"hmac-key": []byte(testHMACKey)}
	if err := k8s.Update(context.Background(), short); err != nil {
		t.Fatal(err)
	}
	waitDatabaseReady(t, db)
}

func TestCRMDatabaseFollowsTheServerDownAndUp(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server func(testing.TB) *testdb.Server
		schema string
	}{
		{"postgres", testdb.StartPostgres, "generic-postgres.sql"},
		{"mariadb", testdb.StartMariaDB, "generic-mysql.sql"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.server(t)
			tdb := srv.NewDatabase(t)
			tdb.LoadFile(t, sampleSchema(tc.schema))
			ns := newNamespace(t)
			db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
			waitDatabaseReady(t, db)

			srv.Stop(t)
			start := time.Now()
			waitDatabase(t, db, privacyv1alpha1.TypeConnected, metav1.ConditionFalse, "")
			t.Logf("Connected flipped to False %s after the server stopped", time.Since(start).Round(time.Millisecond))
			waitDatabase(t, db, privacyv1alpha1.TypeReady, metav1.ConditionFalse, "")

			srv.Start(t)
			waitDatabaseReady(t, db)
		})
	}
}

func TestCRMDatabaseDeletionClosesItsPool(t *testing.T) {
	tdb := testdb.Postgres(t)
	tdb.LoadFile(t, sampleSchema("generic-postgres.sql"))
	ns := newNamespace(t)
	db := newCRMDatabase(t, ns, tdb, crmDatabaseOptions{preset: privacyv1alpha1.PresetGeneric})
	waitDatabaseReady(t, db)
	admin := tdb.Open(t)
	countConns := func() (int, error) {
		var n int
		err := admin.QueryRow("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", tdb.Name).Scan(&n)
		return n, err
	}
	if n, err := countConns(); err != nil || n == 0 {
		t.Fatalf("the operator holds %d connections (%v), want at least 1", n, err)
	}
	if err := k8s.Delete(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the operator to close its connections", func() (bool, error) {
		n, err := countConns()
		return err == nil && n == 0, err
	})
}

// assertNoLeak fails when secret appears in the object's status or in the namespace's events.
func assertNoLeak(t *testing.T, ns string, obj client.Object, secret string) {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) {
		t.Errorf("the secret appears in %s: %s", obj.GetName(), b)
	}
	events := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if strings.Contains(e.Note, secret) {
			t.Errorf("the secret appears in event %s: %s", e.Reason, e.Note)
		}
	}
}
