package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// ownedSecrets writes and deletes the Secrets the operator makes for an object of its own
// (an Access request's export, a breach's notify list, an activity's findings export). The
// operator holds create and delete on Secrets, never update or patch (docs/security.md):
// a Secret is replaced by deleting it and creating it again. Of an existing Secret only the
// metadata is read, from the API server (the operator caches no Secret).
//
// A Secret is the owner's only when the owner controls it (ownerReference with controller)
// and it carries the owner's label with the owner's name. Anything else of that name is
// left alone: a tenant cannot make the operator delete or overwrite another Secret by
// naming it.
type ownedSecrets struct {
	c      client.Client
	live   client.Reader
	scheme *runtime.Scheme
}

// ownedSecretName is the name of an object's Secret: `<owner><suffix>`, or, for an owner's
// name too long for that, its first 200 characters, a hash of the whole name and the suffix.
func ownedSecretName(owner, suffix string) string {
	if len(owner)+len(suffix) <= 253 {
		return owner + suffix
	}
	sum := sha256.Sum256([]byte(owner))
	return owner[:200] + "-" + hex.EncodeToString(sum[:6]) + suffix
}

// secretNotOursError says the Secret's name is taken by a Secret the object does not own.
type secretNotOursError struct {
	name  string
	owner string
}

func (e *secretNotOursError) Error() string {
	return fmt.Sprintf("Secret %s exists and is not owned by this %s: the operator does not overwrite it; delete or rename it", e.name, e.owner)
}

// ownsSecret says whether s is owner's Secret: controlled by it and labelled with its name.
func ownsSecret(owner client.Object, s metav1.Object, label string) bool {
	return metav1.IsControlledBy(s, owner) && s.GetLabels()[label] == owner.GetName()
}

// meta reads a Secret's metadata (never its data).
func (o ownedSecrets) meta(ctx context.Context, namespace, name string) (*metav1.PartialObjectMetadata, error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := o.live.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, m); err != nil {
		return nil, err
	}
	return m, nil
}

// put creates s for owner — controlled by it, labelled label=<owner name> and managed-by
// the operator — replacing a Secret of the same name that owner owns. A Secret of that
// name that owner does not own is left as it is: *secretNotOursError.
func (o ownedSecrets) put(ctx context.Context, owner client.Object, s *corev1.Secret, label, kind string) error {
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	s.Labels[label] = owner.GetName()
	s.Labels["app.kubernetes.io/managed-by"] = "crm-privacy-operator"
	if err := controllerutil.SetControllerReference(owner, s, o.scheme); err != nil {
		return err
	}
	existing, err := o.meta(ctx, s.Namespace, s.Name)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("while reading Secret %s: %w", s.Name, err)
	case !ownsSecret(owner, existing, label):
		return &secretNotOursError{name: s.Name, owner: kind}
	default:
		if err := o.c.Delete(ctx, existing, client.Preconditions{UID: &existing.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("while replacing Secret %s: %w", s.Name, err)
		}
	}
	if err := o.c.Create(ctx, s); err != nil {
		return fmt.Errorf("while creating Secret %s: %w", s.Name, err)
	}
	return nil
}

// remove deletes owner's Secret name, and says whether it deleted one. A Secret that does
// not exist, or that owner does not own, is not deleted (false, nil).
func (o ownedSecrets) remove(ctx context.Context, owner client.Object, name, label string) (bool, error) {
	s, err := o.meta(ctx, owner.GetNamespace(), name)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("while reading Secret %s: %w", name, err)
	case !ownsSecret(owner, s, label):
		return false, nil
	}
	if err := o.c.Delete(ctx, s, client.Preconditions{UID: &s.UID}); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("while deleting Secret %s: %w", name, err)
	}
	return true, nil
}
