package controllers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// testHMACKey is the ledger key of test databases (48 bytes).
const testHMACKey = "test-ledger-hmac-key-0123456789abcdef0123456789"

// sampleSchema is the path of one of config/samples/crm/*.sql.
func sampleSchema(name string) string {
	return filepath.Join("..", "config", "samples", "crm", name)
}

// connectionSecretData is the connection Secret of a test database, with separate keys.
func connectionSecretData(tdb *testdb.Database) map[string][]byte {
	if tdb.Engine == testdb.EngineSQLite {
		return map[string][]byte{"path": []byte(tdb.Path)}
	}
	return map[string][]byte{
		"host": []byte(tdb.Host), "port": []byte(strconv.Itoa(tdb.Port)),
		"user": []byte(tdb.User), "password": []byte(tdb.Password), "database": []byte(tdb.Name),
	}
}

// crmDatabaseOptions shape the CRMDatabase that newCRMDatabase creates.
type crmDatabaseOptions struct {
	name    string
	preset  privacyv1alpha1.SchemaPreset
	mapping *privacyv1alpha1.SchemaMapping
	labels  map[string]string
}

// newCRMDatabase creates the connection and ledger-key Secrets and a CRMDatabase pointing
// at tdb (whose schema the caller has loaded).
func newCRMDatabase(t testing.TB, ns string, tdb *testdb.Database, o crmDatabaseOptions) *privacyv1alpha1.CRMDatabase {
	t.Helper()
	ctx := context.Background()
	if o.name == "" {
		o.name = "crm"
	}
	conn := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: o.name + "-conn"}, Data: connectionSecretData(tdb)}
	key := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: o.name + "-ledger"}, Data: map[string][]byte{"hmac-key": []byte(testHMACKey)}}
	for _, s := range []*corev1.Secret{conn, key} {
		if err := k8s.Create(ctx, s); err != nil {
			t.Fatalf("creating Secret %s: %v", s.Name, err)
		}
	}
	db := &privacyv1alpha1.CRMDatabase{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: o.name, Labels: o.labels},
		Spec: privacyv1alpha1.CRMDatabaseSpec{
			Engine:     privacyv1alpha1.DatabaseEngine(tdb.Engine),
			Connection: privacyv1alpha1.ConnectionSpec{SecretRef: privacyv1alpha1.SecretReference{Name: privacyv1alpha1.ObjectName(conn.Name)}},
			Preset:     o.preset,
			Mapping:    o.mapping,
			Ledger: &privacyv1alpha1.LedgerSpec{HMACKeySecretRef: &privacyv1alpha1.SecretKeySelector{
				Name: privacyv1alpha1.ObjectName(key.Name), Key: "hmac-key"}},
		},
	}
	if err := k8s.Create(ctx, db); err != nil {
		t.Fatalf("creating CRMDatabase %s: %v", o.name, err)
	}
	return db
}

// waitCondition waits until obj's condition condType has the given status (and reason,
// when not empty), and returns the condition.
func waitCondition(t testing.TB, obj client.Object, conds func() []metav1.Condition, condType string, status metav1.ConditionStatus, reason string, timeout time.Duration) metav1.Condition {
	t.Helper()
	var got metav1.Condition
	eventually(t, timeout, fmt.Sprintf("%s of %s to be %s %s", condType, obj.GetName(), status, reason), func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(conds(), condType)
		if c == nil {
			return false, fmt.Errorf("no %s condition yet", condType)
		}
		got = *c
		if c.Status != status || (reason != "" && c.Reason != reason) {
			return false, fmt.Errorf("%s is %s (%s): %s", condType, c.Status, c.Reason, c.Message)
		}
		return true, nil
	})
	return got
}

// waitDatabase waits for a CRMDatabase condition.
func waitDatabase(t testing.TB, db *privacyv1alpha1.CRMDatabase, condType string, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	return waitCondition(t, db, func() []metav1.Condition { return db.Status.Conditions }, condType, status, reason, 60*time.Second)
}

// waitDatabaseReady waits for a CRMDatabase to be Ready.
func waitDatabaseReady(t testing.TB, db *privacyv1alpha1.CRMDatabase) {
	t.Helper()
	waitDatabase(t, db, privacyv1alpha1.TypeReady, metav1.ConditionTrue, "")
}

// key returns the namespaced name of an object.
func key(obj client.Object) types.NamespacedName { return client.ObjectKeyFromObject(obj) }
