package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// labelFindingsExport is the label the operator puts on a findings export Secret, with the
// activity's name (controllers.LabelFindingsExport; the plugin links no controller code).
const labelFindingsExport = "privacy.crmoperator.io/findings-export"

// exportOptions are the flags of `kubectl gdpr scan --export`.
type exportOptions struct {
	check    string
	database string
	file     string
	timeout  time.Duration
	// now tells the time of the request; tests set it.
	now func() time.Time
}

// exportFindings asks the operator for the keys of the contacts of an activity failing one
// check, waits for its answer and writes the keys as CSV.
func exportFindings(ctx context.Context, c client.Client, log, stdout io.Writer, ns, activity string, o *exportOptions) error {
	if !slices.Contains(privacyv1alpha1.ComplianceChecks(), privacyv1alpha1.ComplianceCheck(o.check)) {
		return fmt.Errorf("unknown check %q: use one of %s", o.check, checkNames())
	}
	pa := &privacyv1alpha1.ProcessingActivity{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: activity}, pa); err != nil {
		return fmt.Errorf("while reading ProcessingActivity %s: %w", activity, err)
	}
	value := o.check + "@" + o.now().UTC().Format(time.RFC3339Nano)
	if err := setAnnotation(ctx, c, pa, privacyv1alpha1.AnnotationExportFindings, value); err != nil {
		return err
	}
	done := progress("waiting for the operator to export the keys")
	var st *privacyv1alpha1.FindingsExport
	err := waitUntil(ctx, c, pa, o.timeout, "the operator to answer the export request (is it running? `kubectl describe pa "+activity+"`)", func() (bool, error) {
		if e := pa.Status.FindingsExport; e != nil && e.RequestedAt == value {
			st = e.DeepCopy()
			return true, nil
		}
		return false, nil
	})
	done()
	if err != nil {
		return err
	}
	if st.Result != privacyv1alpha1.FindingsExported {
		return fmt.Errorf("the operator refused the export: %s", st.Message)
	}
	db, err := exportDatabase(st, o.database)
	if err != nil {
		return err
	}
	data, err := readFindingsExport(ctx, c, pa, st, db.Database)
	if err != nil {
		return err
	}
	file := o.file
	if file == "" || file == outputTable {
		file = activity + "-" + o.check + ".csv"
	}
	if err := writePrivateFile(stdout, file, data); err != nil {
		return err
	}
	_, err = fmt.Fprintf(log, "wrote %d key(s) of contacts failing %s on CRMDatabase %s to %s; the operator deletes Secret %s at %s\n",
		db.Keys, o.check, db.Database, file, st.SecretName, st.ExpiresAt.UTC().Format(time.RFC3339))
	return err
}

// checkNames lists the compliance checks for a message.
func checkNames() string {
	var names []string
	for _, c := range privacyv1alpha1.ComplianceChecks() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

// exportDatabase picks the database whose keys to write: the one named, or the only one.
func exportDatabase(st *privacyv1alpha1.FindingsExport, name string) (privacyv1alpha1.FindingsExportDatabase, error) {
	var names []string
	for _, d := range st.Databases {
		if string(d.Database) == name || (name == "" && len(st.Databases) == 1) {
			return d, nil
		}
		names = append(names, string(d.Database))
	}
	sort.Strings(names)
	if name == "" {
		return privacyv1alpha1.FindingsExportDatabase{}, fmt.Errorf("the activity covers several databases: pick one with --database (%s)", strings.Join(names, ", "))
	}
	return privacyv1alpha1.FindingsExportDatabase{}, fmt.Errorf("the export has no database %s: pick one of %s", name, strings.Join(names, ", "))
}

// readFindingsExport reads one database's CSV from the export Secret, which must be the
// activity's own.
func readFindingsExport(ctx context.Context, c client.Reader, pa *privacyv1alpha1.ProcessingActivity, st *privacyv1alpha1.FindingsExport, db privacyv1alpha1.ObjectName) ([]byte, error) {
	s := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: pa.Namespace, Name: st.SecretName}, s); err != nil {
		return nil, fmt.Errorf("while reading the export Secret %s: %w", st.SecretName, err)
	}
	if !metav1.IsControlledBy(s, pa) || s.Labels[labelFindingsExport] != pa.Name {
		return nil, fmt.Errorf("secret %s is not the findings export of %s: not trusted", s.Name, pa.Name)
	}
	data, ok := s.Data[string(db)+".csv"]
	if !ok {
		return nil, fmt.Errorf("the export Secret %s has no keys for CRMDatabase %s", s.Name, db)
	}
	return data, nil
}

// writePrivateFile writes data to file, readable and writable by its owner only (0600,
// also when the file existed), or to w when file is "-".
func writePrivateFile(w io.Writer, file string, data []byte) error {
	if file == "-" {
		_, err := w.Write(data)
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("while writing %s: %w", file, err)
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("while writing %s: %w", file, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("while writing %s: %w", file, err)
	}
	return f.Close()
}
