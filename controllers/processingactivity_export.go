package controllers

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/scan"
)

// A findings export answers "which contacts?" for one compliance check: on request (the
// annotation privacy.crmoperator.io/export-findings: <check>@<RFC 3339 time>, set by
// `kubectl gdpr scan ACTIVITY --export CHECK`), the operator lists the keys of the contacts
// in scope that fail the check — with scan.FindingKeys, the same condition the scan counts
// with — into a Secret owned by the activity, one `<database>.csv` per covered database
// (a header `key`, then one key per line; nothing but keys). The Secret is deleted after the
// manager's --findings-export-retention; a new request replaces it. Each new annotation
// value is answered once, in status.findingsExport.

const (
	// LabelFindingsExport labels a findings export Secret with its activity's name: only a
	// Secret the activity controls and that carries this label is ever deleted or replaced.
	LabelFindingsExport = "privacy.crmoperator.io/findings-export"
	// FindingsExportMaxKeys is the most keys an export lists over all its databases. More
	// failing contacts refuse the export as a whole: it is never cut.
	FindingsExportMaxKeys = 25000
	// FindingsExportMaxBytes is the most CSV an export Secret holds over all its databases,
	// under the 1 MiB an object may take in etcd.
	FindingsExportMaxBytes = NotifyListMaxBytes
	// DefaultFindingsExportRetention is how long an export Secret lives when the manager's
	// --findings-export-retention is not set.
	DefaultFindingsExportRetention = 24 * time.Hour
	// MinFindingsExportRetention and MaxFindingsExportRetention bound
	// --findings-export-retention.
	MinFindingsExportRetention = time.Minute
	MaxFindingsExportRetention = 30 * 24 * time.Hour
	// findingsExportValueLimit is the longest annotation value recorded as it is.
	findingsExportValueLimit = 128
)

// errExportTooLarge says that the keys exceed FindingsExportMaxBytes.
var errExportTooLarge = errors.New("the keys exceed the size of a Secret")

// findingsExportRetention is Options.FindingsExportRetention or its default.
func (o Options) findingsExportRetention() time.Duration {
	if o.FindingsExportRetention > 0 {
		return o.FindingsExportRetention
	}
	return DefaultFindingsExportRetention
}

// ValidateFindingsExportRetention checks --findings-export-retention against its bounds.
func ValidateFindingsExportRetention(d time.Duration) error {
	if d < MinFindingsExportRetention || d > MaxFindingsExportRetention {
		return fmt.Errorf("--findings-export-retention %s is outside [%s, %s]", d, MinFindingsExportRetention, MaxFindingsExportRetention)
	}
	return nil
}

// parseFindingsExportRequest reads `<check>@<RFC 3339 time>`. An unknown check is refused
// with the list of valid ones.
func parseFindingsExportRequest(v string) (privacyv1alpha1.ComplianceCheck, error) {
	check, at, ok := strings.Cut(v, "@")
	if !ok {
		return "", fmt.Errorf("the annotation %s is not <check>@<RFC 3339 time> (for example legitimateInterestOutOfScope@2026-12-02T10:00:00Z)", privacyv1alpha1.AnnotationExportFindings)
	}
	if !slices.Contains(privacyv1alpha1.ComplianceChecks(), privacyv1alpha1.ComplianceCheck(check)) {
		return "", (&scan.UnknownCheckError{Check: check})
	}
	if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
		return "", fmt.Errorf("the time of the annotation %s is not an RFC 3339 time: %q", privacyv1alpha1.AnnotationExportFindings, at)
	}
	return privacyv1alpha1.ComplianceCheck(check), nil
}

// findingsExportSecretName is the name of an activity's findings export Secret.
func findingsExportSecretName(pa *privacyv1alpha1.ProcessingActivity) string {
	return ownedSecretName(pa.Name, "-findings-export")
}

// ownedSecrets writes and deletes the activity's findings export Secret.
func (r *ProcessingActivityReconciler) ownedSecrets() ownedSecrets {
	return ownedSecrets{c: r.Client, live: r.live, scheme: r.Scheme()}
}

// reconcileFindingsExport answers a new export request, or deletes the export Secret at
// the end of its retention. It runs after the scan, with the rules the scan used.
func (r *ProcessingActivityReconciler) reconcileFindingsExport(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity, c *activityCheck) error {
	prev := pa.Status.FindingsExport
	raw, asked := pa.Annotations[privacyv1alpha1.AnnotationExportFindings]
	value := truncateText(raw, findingsExportValueLimit)
	if asked && value != "" && (prev == nil || prev.RequestedAt != value) {
		if prev != nil && prev.SecretName != "" {
			// A new request replaces the export: the old Secret goes first.
			if _, err := r.ownedSecrets().remove(ctx, pa, prev.SecretName, LabelFindingsExport); err != nil {
				return fmt.Errorf("while deleting the findings export of ProcessingActivity %s: %w", pa.Name, err)
			}
		}
		st, err := r.exportFindings(ctx, pa, c, raw, value)
		if err != nil {
			return err
		}
		pa.Status.FindingsExport = st
		return nil
	}
	if prev == nil || prev.SecretName == "" || prev.ExpiresAt == nil {
		return nil
	}
	if c.now.Before(prev.ExpiresAt.Time) {
		c.wakeAt(prev.ExpiresAt.Time)
		return nil
	}
	name := prev.SecretName
	if _, err := r.ownedSecrets().remove(ctx, pa, name, LabelFindingsExport); err != nil {
		return fmt.Errorf("while deleting the findings export of ProcessingActivity %s: %w", pa.Name, err)
	}
	prev.Result, prev.SecretName = privacyv1alpha1.FindingsExportExpired, ""
	prev.Message = fmt.Sprintf("Secret %s was deleted at the end of its retention (%s)", name, r.env.Options.findingsExportRetention())
	r.env.Recorder.Eventf(pa, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonFindingsExportExpired, "DeleteFindingsExport", "%s", prev.Message)
	return nil
}

// exportFindings lists the keys of the contacts failing the requested check on every
// covered database and writes them into the Secret. Nothing is written unless every
// database could be read and the keys fit; the status then says why.
func (r *ProcessingActivityReconciler) exportFindings(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity, c *activityCheck, raw, value string) (*privacyv1alpha1.FindingsExport, error) {
	st := &privacyv1alpha1.FindingsExport{RequestedAt: value, AnsweredAt: metav1.NewTime(c.now)}
	check, err := parseFindingsExportRequest(raw)
	if err != nil {
		return r.refuseFindingsExport(pa, st, "%v", err), nil
	}
	st.Check = check
	if len(pa.Spec.DatabaseRefs) == 0 {
		return r.refuseFindingsExport(pa, st, "the activity covers no database (spec.databaseRefs): there are no contacts to export"), nil
	}
	spec := scanSpecFor(pa, c.rules)
	data := map[string][]byte{}
	keysLeft, bytesLeft := FindingsExportMaxKeys, FindingsExportMaxBytes
	for _, ref := range pa.Spec.DatabaseRefs {
		conn, unavailable, err := r.readyDatabase(ctx, pa.Namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		if unavailable != nil {
			return r.refuseFindingsExport(pa, st, "%s; ask again once it is ready", unavailable.Message), nil
		}
		csvData, n, err := findingKeysCSV(ctx, conn, spec, string(check), keysLeft, bytesLeft)
		if err != nil {
			return r.refuseFindingsExport(pa, st, "%s", findingsExportProblem(ref.Name, check, err)), nil
		}
		keysLeft -= int(n)
		bytesLeft -= len(csvData)
		data[string(ref.Name)+".csv"] = csvData
		st.Databases = append(st.Databases, privacyv1alpha1.FindingsExportDatabase{Database: ref.Name, Keys: n})
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: pa.Namespace, Name: findingsExportSecretName(pa)}, Type: corev1.SecretTypeOpaque, Data: data}
	if err := r.ownedSecrets().put(ctx, pa, s, LabelFindingsExport, "ProcessingActivity"); err != nil {
		var notOurs *secretNotOursError
		if errors.As(err, &notOurs) {
			return r.refuseFindingsExport(pa, st, "%v", err), nil
		}
		return nil, fmt.Errorf("while writing the findings export of ProcessingActivity %s: %w", pa.Name, err)
	}
	expires := metav1.NewTime(c.now.Add(r.env.Options.findingsExportRetention()))
	st.Result, st.SecretName, st.ExpiresAt = privacyv1alpha1.FindingsExported, s.Name, &expires
	st.Message = fmt.Sprintf("%d contact key(s) failing %s exported to Secret %s until %s", FindingsExportMaxKeys-keysLeft, check, s.Name, expires.UTC().Format(time.RFC3339))
	c.wakeAt(expires.Time)
	r.env.Recorder.Eventf(pa, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonFindingsExported, "ExportFindings", "%s", st.Message)
	ctrl.LoggerFrom(ctx).Info("Wrote a findings export", "secret", s.Name, "check", check, "keys", FindingsExportMaxKeys-keysLeft)
	return st, nil
}

// refuseFindingsExport records a request that exports nothing.
func (r *ProcessingActivityReconciler) refuseFindingsExport(pa *privacyv1alpha1.ProcessingActivity, st *privacyv1alpha1.FindingsExport, format string, args ...any) *privacyv1alpha1.FindingsExport {
	st.Result = privacyv1alpha1.FindingsExportRefused
	st.Databases = nil
	st.Message = truncateText(fmt.Sprintf(format, args...), 1024)
	r.env.Recorder.Eventf(pa, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonFindingsExportRefused, "ExportFindings", "Findings export %s refused: %s", st.RequestedAt, st.Message)
	return st
}

// findingKeysCSV lists the keys of the contacts of one database failing check as CSV (a
// header `key`, one key per line), within the keys and bytes left.
func findingKeysCSV(ctx context.Context, conn Connection, spec scan.Spec, check string, maxKeys, maxBytes int) ([]byte, int64, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write([]string{"key"}); err != nil {
		return nil, 0, err
	}
	n, err := scan.FindingKeys(ctx, conn.DB, conn.Mapping, spec, check, maxKeys, func(key string) error {
		if err := w.Write([]string{key}); err != nil {
			return err
		}
		w.Flush()
		if buf.Len() > maxBytes {
			return errExportTooLarge
		}
		return nil
	})
	if err != nil {
		return nil, n, err
	}
	w.Flush()
	return buf.Bytes(), n, w.Error()
}

// findingsExportProblem words why the keys of a database could not be exported.
func findingsExportProblem(db privacyv1alpha1.ObjectName, check privacyv1alpha1.ComplianceCheck, err error) string {
	var notRun *scan.CheckNotRunError
	switch {
	case errors.Is(err, scan.ErrTooManyKeys):
		return fmt.Sprintf("more than %d contacts fail %s (at CRMDatabase %s), the most an export lists: nothing was exported; narrow spec.contactSelector, or fix the contacts in batches and export again", FindingsExportMaxKeys, check, db)
	case errors.Is(err, errExportTooLarge):
		return fmt.Sprintf("the keys of the contacts failing %s exceed the %d bytes a Secret may hold (at CRMDatabase %s): nothing was exported; narrow spec.contactSelector", check, FindingsExportMaxBytes, db)
	case errors.As(err, &notRun):
		return fmt.Sprintf("check %s does not run on CRMDatabase %s (%s): there are no findings to export", check, db, notRun.Reason)
	}
	return scanProblem(db, err).Message
}
