package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

var exportNow = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// exportObjects are an activity whose status answers the request the plugin makes at
// exportNow, and the export Secret.
func exportObjects(result privacyv1alpha1.FindingsExportResult, dbs map[string]string, owned bool) []client.Object {
	pa := &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "prospecting", UID: "pa-uid"}}
	expires := metav1.NewTime(exportNow.Add(24 * time.Hour))
	st := &privacyv1alpha1.FindingsExport{RequestedAt: "legitimateInterestOutOfScope@2026-12-02T10:00:00Z", Check: privacyv1alpha1.CheckLegitimateInterestOutOfScope,
		Result: result, AnsweredAt: metav1.NewTime(exportNow), Message: "more than 25000 contacts fail legitimateInterestOutOfScope"}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "prospecting-findings-export", Labels: map[string]string{labelFindingsExport: "prospecting"}},
		Data: map[string][]byte{}}
	if owned {
		yes := true
		s.OwnerReferences = []metav1.OwnerReference{{APIVersion: privacyv1alpha1.GroupVersion.String(), Kind: "ProcessingActivity", Name: pa.Name, UID: pa.UID, Controller: &yes}}
	}
	if result == privacyv1alpha1.FindingsExported {
		st.SecretName, st.ExpiresAt, st.Message = s.Name, &expires, "exported"
		for db, csv := range dbs {
			s.Data[db+".csv"] = []byte(csv)
			st.Databases = append(st.Databases, privacyv1alpha1.FindingsExportDatabase{Database: privacyv1alpha1.ObjectName(db), Keys: int64(strings.Count(csv, "\n") - 1)})
		}
	}
	pa.Status.FindingsExport = st
	return []client.Object{pa, s}
}

func TestScanExportWritesThePrivateCSV(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.csv")
	// A file that existed, readable by all: it ends up 0600.
	if err := os.WriteFile(file, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := fakePluginClient(t, exportObjects(privacyv1alpha1.FindingsExported, map[string]string{"crm": "key\n1\n3\n6\n"}, true)...)
	var log bytes.Buffer
	o := &exportOptions{check: "legitimateInterestOutOfScope", file: file, timeout: time.Second, now: func() time.Time { return exportNow }}
	if err := exportFindings(ctx, c, &log, &bytes.Buffer{}, "sales", "prospecting", o); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "key\n1\n3\n6\n" {
		t.Errorf("file = %q, want the header and one key per line", got)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(log.String(), "wrote 3 key(s) of contacts failing legitimateInterestOutOfScope on CRMDatabase crm to "+file) {
		t.Errorf("log: %s", log.String())
	}
	pa := &privacyv1alpha1.ProcessingActivity{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "sales", Name: "prospecting"}, pa); err != nil {
		t.Fatal(err)
	}
	if v := pa.Annotations[privacyv1alpha1.AnnotationExportFindings]; v != "legitimateInterestOutOfScope@2026-12-02T10:00:00Z" {
		t.Errorf("annotation = %q", v)
	}

	// The default file name, in the working directory.
	t.Chdir(dir)
	o.file = outputTable
	if err := exportFindings(ctx, c, &log, &bytes.Buffer{}, "sales", "prospecting", o); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "prospecting-legitimateInterestOutOfScope.csv")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("default file: %v, %v", fi, err)
	}
}

func TestScanExportRefusals(t *testing.T) {
	ctx := context.Background()
	run := func(objs []client.Object, o exportOptions) error {
		o.timeout, o.now, o.file = time.Second, func() time.Time { return exportNow }, "-"
		if o.check == "" {
			o.check = "legitimateInterestOutOfScope"
		}
		return exportFindings(ctx, fakePluginClient(t, objs...), &bytes.Buffer{}, &bytes.Buffer{}, "sales", "prospecting", &o)
	}
	one := map[string]string{"crm": "key\n1\n"}
	if err := run(exportObjects(privacyv1alpha1.FindingsExported, one, true), exportOptions{check: "noConsent"}); err == nil ||
		!strings.Contains(err.Error(), "use one of noLegalBasis, consentWithoutEvidence, legitimateInterestOutOfScope, optedOutInScope, restrictedFieldsFilled") {
		t.Errorf("unknown check: %v", err)
	}
	if err := run(exportObjects(privacyv1alpha1.FindingsExportRefused, nil, true), exportOptions{}); err == nil || !strings.Contains(err.Error(), "refused the export: more than 25000") {
		t.Errorf("refused export: %v", err)
	}
	if err := run(exportObjects(privacyv1alpha1.FindingsExported, one, false), exportOptions{}); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("a Secret the activity does not own: %v", err)
	}
	two := map[string]string{"crm": "key\n1\n", "eu": "key\n2\n"}
	if err := run(exportObjects(privacyv1alpha1.FindingsExported, two, true), exportOptions{}); err == nil || !strings.Contains(err.Error(), "--database (crm, eu)") {
		t.Errorf("several databases without --database: %v", err)
	}
	if err := run(exportObjects(privacyv1alpha1.FindingsExported, two, true), exportOptions{database: "eu"}); err != nil {
		t.Errorf("--database eu: %v", err)
	}
}
