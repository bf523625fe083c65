package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/scan"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
)

// DefaultNotifyListRetention is how long a notify list Secret is kept when
// spec.notifyList.retainForHours is not set (the CRD defaults it to the same value).
const DefaultNotifyListRetention = 7 * 24 * time.Hour

// NotifyListMaxBytes is the most CSV a notify list Secret holds over all its databases:
// under the 1 MiB an object may take in etcd, with room for its metadata.
const NotifyListMaxBytes = 1000 * 1000

// LabelDataBreach is the label on a notify list Secret naming its DataBreach.
const LabelDataBreach = "privacy.crmoperator.io/databreach"

// notifyListSecretName is the name of a breach's notify list Secret: `<breach>-notify-list`
// (see ownedSecretName).
func notifyListSecretName(breach string) string { return ownedSecretName(breach, "-notify-list") }

// wantsNotifyList reports whether the breach asks for a notify list now.
func wantsNotifyList(b *privacyv1alpha1.DataBreach) bool {
	nl := b.Spec.NotifyList
	return nl != nil && nl.Export && b.Spec.RiskAssessment.Level == privacyv1alpha1.RiskHigh && len(b.Spec.DatabaseRefs) > 0
}

// notifyListRetention is spec.notifyList.retainForHours or its default.
func notifyListRetention(b *privacyv1alpha1.DataBreach) time.Duration {
	if nl := b.Spec.NotifyList; nl != nil && nl.RetainForHours != nil && *nl.RetainForHours > 0 {
		return time.Duration(*nl.RetainForHours) * time.Hour
	}
	return DefaultNotifyListRetention
}

// reconcileNotifyList writes the notify list Secret when a new one is asked for, deletes it
// when its retention ends or the breach no longer asks for it, and returns the status that
// describes it (nil when none was ever asked for).
func (r *DataBreachReconciler) reconcileNotifyList(ctx context.Context, b *privacyv1alpha1.DataBreach, p *breachPass) (*privacyv1alpha1.BreachNotifyListStatus, error) {
	prev := b.Status.NotifyList.DeepCopy()
	live := prev != nil && prev.CreatedAt != nil && prev.DeletedAt == nil
	if !wantsNotifyList(b) {
		if !live {
			return prev, nil
		}
		return r.deleteNotifyList(ctx, b, prev, p.now)
	}
	if prev != nil && prev.CreatedAt != nil && sameTime(prev.RequestedAt, b.Spec.NotifyList.RequestedAt) {
		if !live {
			return prev, nil
		}
		if !p.now.Before(prev.ExpiresAt.Time) {
			return r.deleteNotifyList(ctx, b, prev, p.now)
		}
		if gone, err := r.notifyListGone(ctx, b, prev); err != nil || gone {
			return prev, err
		}
		p.wakeAt(prev.ExpiresAt.Time)
		return prev, nil
	}
	if live {
		// A new request replaces the list: the old Secret goes first.
		if _, err := r.deleteNotifyList(ctx, b, prev, p.now); err != nil {
			return nil, err
		}
	}
	return r.writeNotifyList(ctx, b, p)
}

// sameTime compares two optional times.
func sameTime(a, b *metav1.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(b)
}

// notifyListGone records a Secret deleted by someone else as deleted.
func (r *DataBreachReconciler) notifyListGone(ctx context.Context, b *privacyv1alpha1.DataBreach, st *privacyv1alpha1.BreachNotifyListStatus) (bool, error) {
	_, err := r.secretMeta(ctx, b.Namespace, string(st.SecretName))
	switch {
	case apierrors.IsNotFound(err):
		now := metav1.NewTime(r.env.Clock.Now())
		st.DeletedAt = &now
		return true, nil
	case err != nil:
		return false, fmt.Errorf("while reading the notify list Secret of DataBreach %s: %w", b.Name, err)
	}
	return false, nil
}

// deleteNotifyList deletes the Secret (when this breach owns it) and records the deletion.
func (r *DataBreachReconciler) deleteNotifyList(ctx context.Context, b *privacyv1alpha1.DataBreach, st *privacyv1alpha1.BreachNotifyListStatus, now time.Time) (*privacyv1alpha1.BreachNotifyListStatus, error) {
	deleted, err := r.ownedSecrets().remove(ctx, b, string(st.SecretName), LabelDataBreach)
	if err != nil {
		return nil, fmt.Errorf("while deleting the notify list Secret of DataBreach %s: %w", b.Name, err)
	}
	if deleted {
		ctrl.LoggerFrom(ctx).Info("Deleted the notify list Secret", "secret", st.SecretName)
	}
	t := metav1.NewTime(now)
	st.DeletedAt = &t
	st.Reason, st.Message = "", ""
	return st, nil
}

// writeNotifyList reads the channels of the affected contacts of every database and
// writes them into the Secret. Nothing is written unless every database could be read and
// the list fits; the status then says why.
func (r *DataBreachReconciler) writeNotifyList(ctx context.Context, b *privacyv1alpha1.DataBreach, p *breachPass) (*privacyv1alpha1.BreachNotifyListStatus, error) {
	st := &privacyv1alpha1.BreachNotifyListStatus{SecretName: privacyv1alpha1.ObjectName(notifyListSecretName(b.Name)),
		RequestedAt: b.Spec.NotifyList.RequestedAt.DeepCopy()}
	data := map[string][]byte{}
	budget := NotifyListMaxBytes
	for _, ref := range b.Spec.DatabaseRefs {
		conn, unavailable, err := readyCRMDatabase(ctx, r.Client, r.env.Connections, b.Namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		if unavailable != nil {
			st.Reason, st.Message = unavailable.Code, truncateMessage(unavailable.Message)
			p.wakeAt(p.now.Add(r.env.Options.RecheckInterval))
			return st, nil
		}
		list, err := scan.ReadNotifyList(ctx, conn.DB, conn.Mapping, breachSelector(b), budget)
		if err != nil {
			st.Reason, st.Message = notifyListProblem(ref.Name, err)
			p.wakeAt(p.now.Add(r.env.Options.RecheckInterval))
			return st, nil
		}
		budget -= len(list.CSV)
		data[string(ref.Name)+".csv"] = list.CSV
		st.Contacts += list.Contacts
		st.Unreachable += list.Unreachable
	}
	if err := r.putNotifyListSecret(ctx, b, string(st.SecretName), data); err != nil {
		var notOurs *secretNotOursError
		if errors.As(err, &notOurs) {
			st.Reason, st.Message = privacyv1alpha1.ReasonInvalidSpec, notOurs.Error()
			return st, nil
		}
		return nil, err
	}
	created := metav1.NewTime(p.now)
	expires := metav1.NewTime(p.now.Add(notifyListRetention(b)))
	st.CreatedAt, st.ExpiresAt = &created, &expires
	p.wakeAt(expires.Time)
	ctrl.LoggerFrom(ctx).Info("Wrote the notify list Secret", "secret", st.SecretName, "contacts", st.Contacts,
		"unreachable", st.Unreachable, "expiresAt", gdpr.FormatInstant(expires.Time))
	return st, nil
}

// notifyListProblem words why a database's notify list could not be read.
func notifyListProblem(db privacyv1alpha1.ObjectName, err error) (string, string) {
	if errors.Is(err, scan.ErrNotifyListTooLarge) {
		return privacyv1alpha1.ReasonNotifyListTooLarge, fmt.Sprintf("the list of contacts to notify exceeds the %d bytes a Secret may hold (at CRMDatabase %s): narrow spec.contactSelector into several breaches, or export the list by other means", NotifyListMaxBytes, db)
	}
	f := scanProblem(db, err)
	return f.Code, truncateMessage(f.Message)
}

// secretMeta reads a Secret's metadata (never its data) from the API server.
func (r *DataBreachReconciler) secretMeta(ctx context.Context, namespace, name string) (*metav1.PartialObjectMetadata, error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := r.apiReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, m); err != nil {
		return nil, err
	}
	return m, nil
}

// ownedSecrets writes and deletes the breach's notify list Secret.
func (r *DataBreachReconciler) ownedSecrets() ownedSecrets {
	return ownedSecrets{c: r.Client, live: r.apiReader, scheme: r.Scheme()}
}

// putNotifyListSecret creates the Secret, owned by the breach, replacing one it already
// owns (deleted, then created: the operator never updates a Secret).
func (r *DataBreachReconciler) putNotifyListSecret(ctx context.Context, b *privacyv1alpha1.DataBreach, name string, data map[string][]byte) error {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: b.Namespace, Name: name}, Type: corev1.SecretTypeOpaque, Data: data}
	if err := r.ownedSecrets().put(ctx, b, s, LabelDataBreach, "DataBreach"); err != nil {
		var notOurs *secretNotOursError
		if errors.As(err, &notOurs) {
			return err
		}
		return fmt.Errorf("while writing the notify list Secret of DataBreach %s: %w", b.Name, err)
	}
	return nil
}
