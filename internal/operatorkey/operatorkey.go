package operatorkey

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DataKey is the key of the Secret's data that holds the operator key.
const DataKey = "key"

// keyBytes is the length of a generated key.
const keyBytes = 48

// minKeyBytes is the shortest key accepted from an existing Secret.
const minKeyBytes = 32

// serviceAccountNamespaceFile holds the pod's namespace when the manager runs in a cluster.
const serviceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// OwnNamespace returns the namespace the manager runs in: the service account's namespace
// in a pod, else $POD_NAMESPACE, else "default" (a manager run from a workstation).
func OwnNamespace() string {
	if b, err := os.ReadFile(serviceAccountNamespaceFile); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b))
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	return "default"
}

// LoadOrCreate returns the operator key from the Secret name, creating the Secret with a
// random key when it does not exist. c must read the API server directly (not a cache that
// is not started yet). Two replicas starting together agree: the loser of the create reads
// the winner's key.
func LoadOrCreate(ctx context.Context, c client.Client, name types.NamespacedName) ([]byte, error) {
	key, err := load(ctx, c, name)
	if err == nil || !apierrors.IsNotFound(err) {
		return key, err
	}
	fresh := make([]byte, keyBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("while generating the operator key: %w", err)
	}
	s := &corev1.Secret{Type: corev1.SecretTypeOpaque, Data: map[string][]byte{DataKey: fresh}}
	s.Namespace, s.Name = name.Namespace, name.Name
	s.Labels = map[string]string{"app.kubernetes.io/name": "crm-privacy-operator", "app.kubernetes.io/component": "operator-key"}
	switch err := c.Create(ctx, s); {
	case err == nil:
		return fresh, nil
	case apierrors.IsAlreadyExists(err):
		return load(ctx, c, name)
	default:
		return nil, fmt.Errorf("while creating the operator key Secret %s: %w", name, err)
	}
}

func load(ctx context.Context, c client.Client, name types.NamespacedName) ([]byte, error) {
	var s corev1.Secret
	if err := c.Get(ctx, name, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, err
		}
		return nil, fmt.Errorf("while reading the operator key Secret %s: %w", name, err)
	}
	key := s.Data[DataKey]
	if len(key) < minKeyBytes {
		return nil, fmt.Errorf("the operator key Secret %s has %d bytes under %q: it needs at least %d random bytes (a new key makes the checkpoints and markers written under the old one unverifiable: see docs/security.md)",
			name, len(key), DataKey, minKeyBytes)
	}
	return key, nil
}
