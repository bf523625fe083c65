package operatorkey

import (
	"bytes"
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestLoadOrCreate(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	name := types.NamespacedName{Namespace: "crm-privacy-system", Name: "crm-privacy-operator-key"}
	ctx := context.Background()

	t.Run("creates a random key once, then reads it", func(t *testing.T) {
		c := fake.NewClientBuilder().WithScheme(scheme).Build()
		first, err := LoadOrCreate(ctx, c, name)
		if err != nil || len(first) != keyBytes {
			t.Fatalf("first start: %d bytes, %v", len(first), err)
		}
		again, err := LoadOrCreate(ctx, c, name)
		if err != nil || !bytes.Equal(first, again) {
			t.Fatalf("second start read another key (%v)", err)
		}
	})
	t.Run("refuses a short key", func(t *testing.T) {
		s := &corev1.Secret{Data: map[string][]byte{DataKey: []byte("short")}}
		s.Namespace, s.Name = name.Namespace, name.Name
		c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(s).Build()
		if _, err := LoadOrCreate(ctx, c, name); err == nil {
			t.Fatal("a 5-byte operator key was accepted")
		}
	})
}
