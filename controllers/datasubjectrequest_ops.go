package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
)

// Keys of the Access export Secret.
const (
	// ExportKeyJSON holds the export as JSON (subject.Document), for machines.
	ExportKeyJSON = "export.json"
	// ExportKeyText holds the export as a readable document, for the person.
	ExportKeyText = "export.md"
	// exportSecretSuffix ends the name of a request's export Secret.
	exportSecretSuffix = "-export"
	// LabelRequest labels a request's Secrets with the request's name: the identity Secret
	// (which the operator deletes on completion only when it carries it) and the export.
	LabelRequest = "privacy.crmoperator.io/datasubjectrequest"
)

// defaultExportRetention is how long an export Secret lives when the spec does not say.
const defaultExportRetention = 720 * time.Hour

// dsrRequest is what the CRM layer needs to know about the request.
func dsrRequest(q *privacyv1alpha1.DataSubjectRequest, conn Connection, now time.Time) dsr.Request {
	req := dsr.Request{ID: string(q.UID), Name: q.Namespace + "/" + q.Name, Type: dsr.Type(q.Spec.Type), Now: now}
	if conn.LedgerEnabled {
		req.HMACKey = conn.HMACKey
	}
	return req
}

// databaseResult returns the status entry of database name, adding it when missing.
func (rp *requestPass) databaseResult(name string) *privacyv1alpha1.RequestDatabaseResult {
	for i := range rp.q.Status.Databases {
		if string(rp.q.Status.Databases[i].Name) == name {
			return &rp.q.Status.Databases[i]
		}
	}
	rp.q.Status.Databases = append(rp.q.Status.Databases, privacyv1alpha1.RequestDatabaseResult{Name: privacyv1alpha1.ObjectName(name)})
	return &rp.q.Status.Databases[len(rp.q.Status.Databases)-1]
}

// carryOut performs the request's operation on each database, one transaction per
// database. Objection, Erasure and Rectification record each database as done (in the
// status, at once) so that a pass that stops half-way never does a database twice; an
// Access export is made from every database in one pass.
func (r *DataSubjectRequestReconciler) carryOut(ctx context.Context, rp *requestPass) error {
	if rp.q.Spec.Type == privacyv1alpha1.RequestAccess {
		return r.export(ctx, rp)
	}
	for i := range rp.targets {
		t := &rp.targets[i]
		res := rp.databaseResult(t.name)
		res.Matched = int64(t.match.Count())
		if err := r.operate(ctx, rp, t, res); err != nil {
			return err
		}
		at := metav1.NewTime(r.env.Clock.Now())
		res.CompletedAt = &at
		if err := r.persist(ctx, rp); err != nil {
			return err
		}
	}
	return nil
}

// operate applies an Objection, Erasure or Rectification to one database.
func (r *DataSubjectRequestReconciler) operate(ctx context.Context, rp *requestPass, t *requestTarget, res *privacyv1alpha1.RequestDatabaseResult) error {
	if t.match.Count() == 0 {
		return nil
	}
	req := dsrRequest(rp.q, t.conn, rp.now)
	switch rp.q.Spec.Type {
	case privacyv1alpha1.RequestObjection:
		out, err := dsr.Object(ctx, t.conn.DB, t.conn.Mapping, t.match.Keys, req)
		if err != nil {
			return r.failed(rp, t.name, "Object", err)
		}
		res.Objected = out.Objected + out.AlreadyOptedOut
	case privacyv1alpha1.RequestErasure:
		holds, err := r.legalHolds(ctx, rp.q.Namespace, t.name)
		if err != nil {
			return err
		}
		out, err := dsr.Erase(ctx, t.conn.DB, t.conn.Mapping, t.match.Keys, holds, req)
		if err != nil {
			return r.failed(rp, t.name, "Erase", err)
		}
		res.Erased, res.Held = out.Erased, out.Held
		if req.HMACKey != nil {
			// The ledger, written in the erasure's transaction, counts what an earlier pass
			// erased before it could record it in the status.
			recorded, err := dsr.Recorded(ctx, t.conn.DB, req)
			if err != nil {
				return r.failed(rp, t.name, "Erase", err)
			}
			res.Erased = max(res.Erased, recorded[dsr.LedgerActionDelete])
		}
	case privacyv1alpha1.RequestRectification:
		out, err := dsr.Rectify(ctx, t.conn.DB, t.conn.Mapping, t.match.Keys, rp.values, req)
		if err != nil {
			return r.failed(rp, t.name, "Rectify", err)
		}
		res.Rectified = out.Rectified
	}
	return nil
}

// legalHolds are the legal holds of the namespace's RetentionPolicies on database db: an
// Erasure respects them as a sweep does.
func (r *DataSubjectRequestReconciler) legalHolds(ctx context.Context, namespace, db string) ([]crm.Selector, error) {
	var l privacyv1alpha1.RetentionPolicyList
	if err := r.List(ctx, &l, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("while listing the RetentionPolicies of CRMDatabase %s: %w", db, err)
	}
	var holds []crm.Selector
	for i := range l.Items {
		if string(l.Items[i].Spec.DatabaseRef.Name) != db {
			continue
		}
		for j := range l.Items[i].Spec.LegalHolds {
			holds = append(holds, toSelector(&l.Items[i].Spec.LegalHolds[j].Selector))
		}
	}
	return holds, nil
}

// persist writes the status now, in the middle of a pass, so that a database done is
// recorded before the next one is touched. The observed generation is left as it was.
func (r *DataSubjectRequestReconciler) persist(ctx context.Context, rp *requestPass) error {
	obj := rp.q.DeepCopy()
	obj.Status.ObservedGeneration = rp.before.Status.ObservedGeneration
	if _, err := writeStatus(ctx, r.Client, obj, rp.before, requestStatus); err != nil {
		return fmt.Errorf("while recording the progress of DataSubjectRequest %s: %w", rp.q.Name, err)
	}
	rp.q.ResourceVersion = obj.ResourceVersion
	rp.q.Status = *obj.Status.DeepCopy()
	rp.before = rp.q.DeepCopy()
	return nil
}

// export answers an Access request: everything each database relates to the person, and
// what the register says about the activities that process it, in a Secret owned by the
// request.
func (r *DataSubjectRequestReconciler) export(ctx context.Context, rp *requestPass) error {
	q := rp.q
	doc := subject.Document{Request: q.Namespace + "/" + q.Name, GeneratedAt: rp.now.UTC()}
	for i := range rp.targets {
		t := &rp.targets[i]
		e, err := dsr.Export(ctx, t.conn.DB, t.conn.Mapping, t.match.Keys)
		if err != nil {
			return r.failed(rp, t.name, "Export", err)
		}
		e.Database = q.Namespace + "/" + t.name
		doc.Databases = append(doc.Databases, e)
		res := rp.databaseResult(t.name)
		res.Matched, res.Exported = int64(t.match.Count()), int64(len(e.Contacts))
	}
	if doc.ContactCount() > 0 {
		acts, err := r.registerActivities(ctx, rp)
		if err != nil {
			return err
		}
		doc.Register = acts
	}
	if err := r.writeExport(ctx, rp, doc); err != nil {
		return err
	}
	at := metav1.NewTime(rp.now)
	for i := range rp.targets {
		rp.databaseResult(rp.targets[i].name).CompletedAt = &at
	}
	return nil
}

// exportSecretName is the name of a request's export Secret.
func exportSecretName(q *privacyv1alpha1.DataSubjectRequest) string {
	name := q.Name
	if limit := 253 - len(exportSecretSuffix); len(name) > limit {
		name = name[:limit]
	}
	return name + exportSecretSuffix
}

// writeExport creates the export Secret, owned by the request (deleted with it), or
// replaces the data of the one an interrupted pass created.
func (r *DataSubjectRequestReconciler) writeExport(ctx context.Context, rp *requestPass, doc subject.Document) error {
	js, err := doc.JSON()
	if err != nil {
		return err
	}
	txt := subject.RenderMarkdown(doc)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: rp.q.Namespace, Name: exportSecretName(rp.q),
		Labels: map[string]string{LabelRequest: rp.q.Name}}, Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{ExportKeyJSON: js, ExportKeyText: []byte(txt)}}
	if err := r.ownedSecrets().put(ctx, rp.q, s, LabelRequest, "DataSubjectRequest"); err != nil {
		rp.waiting(privacyv1alpha1.RequestPending, privacyv1alpha1.ReasonRequestFailed, "cannot write the export Secret: %v", err)
		return fmt.Errorf("while writing the export of DataSubjectRequest %s: %w", rp.q.Name, err)
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Wrote the access export", "secret", s.Name, "contacts", doc.ContactCount())
	rp.q.Status.ExportSecretName = s.Name
	return nil
}

// complete records the request as completed, once, with its timing, counts and events,
// then deletes the identity Secret unless told to keep it.
func (r *DataSubjectRequestReconciler) complete(ctx context.Context, rp *requestPass) error {
	q := rp.q
	now := r.env.Clock.Now()
	at := metav1.NewTime(now)
	q.Status.CompletedAt = &at
	q.Status.Phase = privacyv1alpha1.RequestCompleted
	timing := gdpr.RequestTimingAt(rp.dueAt, now, &now)
	q.Status.OnTime = timing.OnTime
	if q.Spec.Type == privacyv1alpha1.RequestAccess {
		exp := metav1.NewTime(now.Add(exportRetention(q)))
		q.Status.ExportExpiresAt = &exp
	}
	reason, msg := completion(q)
	rp.condition(privacyv1alpha1.TypeCompleted, true, reason, "%s", msg)
	rp.condition(privacyv1alpha1.TypeReady, true, reason, "%s", msg)
	r.completedTiming(rp, timing)
	metrics.ForgetRequest(q.Namespace, q.Name)
	metrics.RequestsCompleted.WithLabelValues(string(q.Spec.Type), fmt.Sprint(*timing.OnTime)).Inc()
	r.env.Recorder.Eventf(q, nil, corev1.EventTypeNormal, reason, "Complete", "%s", msg)
	if held := totals(q).Held; held > 0 {
		r.env.Recorder.Eventf(q, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonLegalHold, "Erase",
			"%d matching contact(s) were kept because a legal hold applies to them: they were not erased", held)
	}
	if err := r.persist(ctx, rp); err != nil {
		return err
	}
	rp.justCompleted = true
	return r.upkeep(ctx, rp)
}

// completedTiming sets the Overdue condition of a completed request.
func (r *DataSubjectRequestReconciler) completedTiming(rp *requestPass, timing gdpr.RequestTiming) {
	if timing.Overdue {
		rp.condition(privacyv1alpha1.TypeOverdue, true, privacyv1alpha1.ReasonDeadlinePassed, "completed after its deadline (%s)", rp.dueAt.Format(time.RFC3339))
		return
	}
	rp.condition(privacyv1alpha1.TypeOverdue, false, privacyv1alpha1.ReasonWithinDeadline, "completed by its deadline (%s)", rp.dueAt.Format(time.RFC3339))
}

// exportRetention is how long an export Secret lives.
func exportRetention(q *privacyv1alpha1.DataSubjectRequest) time.Duration {
	if h := q.Spec.ExportRetentionHours; h != nil && *h > 0 {
		return time.Duration(*h) * time.Hour
	}
	return defaultExportRetention
}

// totals sums the counts of every database.
func totals(q *privacyv1alpha1.DataSubjectRequest) privacyv1alpha1.RequestDatabaseResult {
	var t privacyv1alpha1.RequestDatabaseResult
	for _, d := range q.Status.Databases {
		t.Matched += d.Matched
		t.Objected += d.Objected
		t.Erased += d.Erased
		t.Held += d.Held
		t.Rectified += d.Rectified
		t.Exported += d.Exported
	}
	return t
}

// completion is the reason and message of a completed request: counts only.
func completion(q *privacyv1alpha1.DataSubjectRequest) (string, string) {
	t := totals(q)
	dbs := len(q.Status.Databases)
	if t.Matched == 0 {
		return privacyv1alpha1.ReasonNoDataHeld, fmt.Sprintf("%s completed: no data held (no contact matched in %d database(s))", q.Spec.Type, dbs)
	}
	var done string
	switch q.Spec.Type {
	case privacyv1alpha1.RequestObjection:
		done = fmt.Sprintf("%d contact(s) opted out", t.Objected)
	case privacyv1alpha1.RequestErasure:
		done = fmt.Sprintf("%d contact(s) erased, %d held by a legal hold", t.Erased, t.Held)
	case privacyv1alpha1.RequestAccess:
		done = fmt.Sprintf("%d contact(s) exported to Secret %s", t.Exported, q.Status.ExportSecretName)
	case privacyv1alpha1.RequestRectification:
		done = fmt.Sprintf("%d contact(s) rectified", t.Rectified)
	}
	reason := privacyv1alpha1.ReasonRequestCompleted
	if t.Held > 0 {
		reason = privacyv1alpha1.ReasonLegalHold
	}
	return reason, fmt.Sprintf("%s completed: %d contact(s) matched in %d database(s); %s", q.Spec.Type, t.Matched, dbs, done)
}

// upkeep looks after a completed request: the identity Secret is deleted (unless kept),
// and the export Secret after its retention.
func (r *DataSubjectRequestReconciler) upkeep(ctx context.Context, rp *requestPass) error {
	q := rp.q
	metrics.ForgetRequest(q.Namespace, q.Name)
	if err := r.deleteIdentity(ctx, rp); err != nil {
		return err
	}
	if q.Status.ExportSecretName == "" || q.Status.ExportExpiresAt == nil {
		return nil
	}
	if until := q.Status.ExportExpiresAt.Sub(r.env.Clock.Now()); until > 0 {
		rp.requeueWithin(until)
		return nil
	}
	name := q.Status.ExportSecretName
	deleted, err := r.ownedSecrets().remove(ctx, q, name, LabelRequest)
	switch {
	case err != nil:
		return fmt.Errorf("while deleting the export Secret of DataSubjectRequest %s: %w", q.Name, err)
	case deleted:
		r.env.Recorder.Eventf(q, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonExportDeleted, "DeleteExport",
			"Deleted the export Secret %s after its retention of %s", name, exportRetention(q))
	default:
		ctrl.LoggerFrom(ctx).Info("The export Secret is gone or not owned by the request; left alone", "secret", name)
	}
	q.Status.ExportSecretName = ""
	rp.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonExportDeleted, "completed; the export Secret %s was deleted at the end of its retention", name)
	return nil
}

// deleteIdentity deletes the identity Secret of a completed request, unless
// keepIdentitySecret is set. Only a Secret labelled as this request's identity
// (LabelRequest=<request name>) is deleted: naming another Secret of the namespace (the
// database credentials, say) as the identity Secret must not make the operator delete it.
// An unlabelled Secret is left, with a Warning event at completion.
func (r *DataSubjectRequestReconciler) deleteIdentity(ctx context.Context, rp *requestPass) error {
	q := rp.q
	if q.Status.IdentitySecretDeleted || (q.Spec.KeepIdentitySecret != nil && *q.Spec.KeepIdentitySecret) {
		return nil
	}
	s := &corev1.Secret{}
	err := r.live.Get(ctx, types.NamespacedName{Namespace: q.Namespace, Name: string(q.Spec.IdentitySecretRef.Name)}, s)
	switch {
	case apierrors.IsNotFound(err):
		q.Status.IdentitySecretDeleted = true
		return nil
	case err != nil:
		return fmt.Errorf("while reading the identity Secret of DataSubjectRequest %s: %w", q.Name, err)
	case s.Labels[LabelRequest] != q.Name:
		if rp.justCompleted {
			r.env.Recorder.Eventf(q, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonIdentitySecretKept, "DeleteIdentity",
				"Secret %s was not deleted: it does not carry the label %s=%s that marks it as this request's identity; delete it yourself", s.Name, LabelRequest, q.Name)
		}
		return nil
	}
	err = r.Delete(ctx, s, client.Preconditions{UID: &s.UID, ResourceVersion: &s.ResourceVersion})
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("while deleting the identity Secret of DataSubjectRequest %s: %w", q.Name, err)
	}
	q.Status.IdentitySecretDeleted = true
	return nil
}

// registerActivities are the register's entries for the activities that apply to the
// person (see activityApplies): purposes, legal bases, recipients, retention, sources
// (GDPR Art. 15(1)).
func (r *DataSubjectRequestReconciler) registerActivities(ctx context.Context, rp *requestPass) ([]subject.Activity, error) {
	return registerActivitiesFor(ctx, r.Client, rp.q.Namespace, r.activityApplies(rp), rp.now)
}

// ownedSecrets writes and deletes the request's export Secret.
func (r *DataSubjectRequestReconciler) ownedSecrets() ownedSecrets {
	return ownedSecrets{c: r.Client, live: r.live, scheme: r.Scheme()}
}
