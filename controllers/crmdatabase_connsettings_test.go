package controllers_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// A tenant's dsn is a trust boundary: an option that would let a rogue server read the
// manager's files is refused by name, and a dsn whose unencoded password makes it split in
// the wrong place shows no piece of the password in the status or the events. Both are
// refused before anything is dialled, so no server is needed.
func TestCRMDatabaseRefusesUnsafeConnectionSettings(t *testing.T) {
	ns := newNamespace(t)
	for _, tc := range []struct {
		name, engine, dsn, reason, want string
		pieces                          []string
	}{
		{
			name: "local-infile", engine: "mysql",
			dsn:    "crm:Kp9vQ-allow-all-files@tcp(127.0.0.1:1)/crm?allowAllFiles=true",
			reason: privacyv1alpha1.ReasonUnsupportedOption, want: `"allowAllFiles"`,
			pieces: []string{"Kp9vQ-allow-all-files"},
		},
		{
			name: "pg-sslrootcert", engine: "postgres",
			dsn:    "postgres://crm:Zx4wJ-root-cert@127.0.0.1:1/crm?sslrootcert=/var/run/secrets/kubernetes.io/serviceaccount/token",
			reason: privacyv1alpha1.ReasonUnsupportedOption, want: `"sslrootcert"`,
			pieces: []string{"Zx4wJ-root-cert", "/var/run/secrets"},
		},
		{
			name: "unencoded-password", engine: "postgres",
			dsn:    "postgres://crm:Hb3tY/Wd6uF@Lm8sC@db.example.com/crm",
			reason: privacyv1alpha1.ReasonInvalidSpec, want: "percent-encode",
			pieces: []string{"Hb3tY", "Wd6uF", "Lm8sC"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: tc.name + "-conn"}, Data: map[string][]byte{"dsn": []byte(tc.dsn)}}
			if err := k8s.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
			ledgerOff := false
			db := &privacyv1alpha1.CRMDatabase{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: tc.name},
				Spec: privacyv1alpha1.CRMDatabaseSpec{
					Engine:     privacyv1alpha1.DatabaseEngine(tc.engine),
					Preset:     privacyv1alpha1.PresetGeneric,
					Connection: privacyv1alpha1.ConnectionSpec{SecretRef: privacyv1alpha1.SecretReference{Name: privacyv1alpha1.ObjectName(s.Name)}},
					Ledger:     &privacyv1alpha1.LedgerSpec{Enabled: &ledgerOff},
				},
			}
			if err := k8s.Create(ctx, db); err != nil {
				t.Fatal(err)
			}
			cond := waitDatabase(t, db, privacyv1alpha1.TypeConnected, metav1.ConditionFalse, tc.reason)
			t.Logf("Connected: %s: %s", cond.Reason, cond.Message)
			if !strings.Contains(cond.Message, tc.want) {
				t.Errorf("Connected message does not say %s: %s", tc.want, cond.Message)
			}
			waitDatabase(t, db, privacyv1alpha1.TypeReady, metav1.ConditionFalse, tc.reason)
			for _, p := range tc.pieces {
				assertNoLeak(t, ns, db, p)
			}
		})
	}
}
