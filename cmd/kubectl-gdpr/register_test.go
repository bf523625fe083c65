package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

var updateGolden = flag.Bool("update-register-golden", false, "rewrite the golden files of the register and scan commands")

// golden compares got with testdata/name, or rewrites it with -update-register-golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update-register-golden to create it): %v", path, err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func registerActivity(name string, purposes ...string) privacyv1alpha1.ProcessingActivity {
	return privacyv1alpha1.ProcessingActivity{
		ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: name},
		Spec: privacyv1alpha1.ProcessingActivitySpec{
			Controller:             privacyv1alpha1.ControllerParty{Name: "Northwind Trading GmbH", Email: "privacy@northwind.example"},
			DPO:                    &privacyv1alpha1.Party{Name: "Data Protection Office", Email: "dpo@northwind.example"},
			Purposes:               purposes,
			LegalBasis:             privacyv1alpha1.LegalBasis{Basis: privacyv1alpha1.BasisContract, Details: "customer contracts"},
			DataSubjectCategories:  []string{"customer contacts"},
			PersonalDataCategories: []string{"identity", "professional contact details"},
			ErasureTimeLimits:      "3 years after the end of the contract",
		},
	}
}

// registerHistory builds three revisions with the register library, as the operator does:
// 1 adds an activity, 2 modifies it and adds another, 3 removes the second.
func registerHistory(t *testing.T) []privacyv1alpha1.RegisterRevision {
	t.Helper()
	return limitedRegisterHistory(t, 0)
}

// limitedRegisterHistory is registerHistory written by an operator keeping limit revisions
// (0 keeps all): each revision records the history start it allows.
func limitedRegisterHistory(t *testing.T, limit int) []privacyv1alpha1.RegisterRevision {
	t.Helper()
	states := [][]privacyv1alpha1.ProcessingActivity{
		{registerActivity("accounts", "Account management")},
		{registerActivity("accounts", "Account management", "Renewal reminders"), registerActivity("newsletter", "Monthly newsletter")},
		{registerActivity("accounts", "Account management", "Renewal reminders")},
	}
	var out []privacyv1alpha1.RegisterRevision
	var latest *register.Revision
	for i, pas := range states {
		doc, err := register.FromObjects(register.Objects{ProcessingActivities: pas})
		if err != nil {
			t.Fatal(err)
		}
		rev, ok, err := register.Next(latest, doc, time.Date(2026, 3, 1+i, 9, 0, 0, 0, time.UTC), "")
		if err != nil || !ok {
			t.Fatalf("revision %d: %v %v", i+1, ok, err)
		}
		if i == 1 {
			rev.SourceRevision = "9f3c2a1"
		}
		rev.SetHistoryStart(latest, limit)
		latest = &rev
		out = append(out, privacyv1alpha1.RegisterRevision{
			ObjectMeta: metav1.ObjectMeta{Name: register.RevisionObjectName(rev.Number)},
			Spec:       rev.RegisterRevisionSpec(),
		})
	}
	return out
}

func fakePluginClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	return fake.NewClientBuilder().WithScheme(pluginScheme()).WithObjects(objs...).Build()
}

func revisionObjects(revs []privacyv1alpha1.RegisterRevision) []client.Object {
	out := make([]client.Object, len(revs))
	for i := range revs {
		out[i] = &revs[i]
	}
	return out
}

func TestRegisterListAndDiff(t *testing.T) {
	c := fakePluginClient(t, revisionObjects(registerHistory(t))...)
	ctx := context.Background()
	var out bytes.Buffer
	if err := runRegisterList(ctx, c, &out, outputTable); err != nil {
		t.Fatal(err)
	}
	golden(t, "register-list.golden", out.String())

	out.Reset()
	if err := runRegisterDiff(ctx, c, &out, 1, 3, outputTable); err != nil {
		t.Fatal(err)
	}
	golden(t, "register-diff-1-3.golden", out.String())

	out.Reset()
	if err := runRegisterDiff(ctx, c, &out, 1, 2, outputJSON); err != nil {
		t.Fatal(err)
	}
	golden(t, "register-diff-1-2.json.golden", out.String())

	if err := runRegisterDiff(ctx, c, &out, 1, 9, outputTable); err == nil || !strings.Contains(err.Error(), "revision 9 does not exist (revisions 1 to 3 are kept)") {
		t.Errorf("diff with a missing revision: %v", err)
	}
}

func TestRegisterExport(t *testing.T) {
	revs := registerHistory(t)
	c := fakePluginClient(t, revisionObjects(revs)...)
	ctx := context.Background()
	var out bytes.Buffer
	if err := runRegisterExport(ctx, c, &out, register.FormatMarkdown, 2); err != nil {
		t.Fatal(err)
	}
	golden(t, "register-export-2.md.golden", out.String())

	// Every format is the library's export of the same revision; the latest by default.
	for _, format := range register.Formats {
		var got, want bytes.Buffer
		if err := runRegisterExport(ctx, c, &got, format, 0); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if err := register.ExportRevision(&want, register.FromRegisterRevision(&revs[2]), format); err != nil {
			t.Fatal(err)
		}
		if got.Len() == 0 || got.String() != want.String() {
			t.Errorf("%s export of the latest revision differs from the library's (%d bytes, want %d)", format, got.Len(), want.Len())
		}
	}
	if err := runRegisterExport(ctx, c, &out, "pdf", 0); err == nil || !strings.Contains(err.Error(), "unknown export format") {
		t.Errorf("export as pdf: %v", err)
	}
}

func TestRegisterVerifyDetectsTampering(t *testing.T) {
	revs := registerHistory(t)
	c := fakePluginClient(t, revisionObjects(revs)...)
	ctx := context.Background()
	var out bytes.Buffer
	if err := runRegisterVerify(ctx, c, &out); err != nil {
		t.Fatalf("verify of an intact register: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "The register verifies: 3 revisions (1 to 3)") {
		t.Errorf("verify output:\n%s", out.String())
	}

	// Revision 2 is replaced (RegisterRevisions are immutable: a tamperer deletes and
	// recreates) with a snapshot whose purposes were edited.
	doc, err := register.Decode(string(revs[1].Spec.Snapshot.Encoding), revs[1].Spec.Snapshot.Data)
	if err != nil {
		t.Fatal(err)
	}
	doc.Entries[0].Spec["purposes"] = []any{"Selling the contact list"}
	enc, data, err := register.Encode(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, &revs[1]); err != nil {
		t.Fatal(err)
	}
	tampered := privacyv1alpha1.RegisterRevision{ObjectMeta: metav1.ObjectMeta{Name: revs[1].Name}, Spec: revs[1].Spec}
	tampered.Spec.Snapshot = privacyv1alpha1.RegisterSnapshot{Encoding: privacyv1alpha1.SnapshotEncoding(enc), Data: data}
	if err := c.Create(ctx, &tampered); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = runRegisterVerify(ctx, c, &out)
	var fe *findingsError
	if !errors.As(err, &fe) || !strings.Contains(fe.msg, "revision 2 altered") {
		t.Errorf("verify of a tampered register: %v, want a findings error naming revision 2", err)
	}
	if !strings.Contains(out.String(), "revision 2: ContentHashMismatch") {
		t.Errorf("verify output does not name the tampered revision:\n%s", out.String())
	}
	if err := runRegisterExport(ctx, c, &out, register.FormatMarkdown, 2); !errors.As(err, &fe) {
		t.Errorf("export of the tampered revision: %v, want a findings error", err)
	}

	// A removed revision breaks the chain too.
	c = fakePluginClient(t, &revs[0], &revs[2])
	out.Reset()
	if err := runRegisterVerify(ctx, c, &out); !errors.As(err, &fe) || !strings.Contains(fe.msg, "revision 3") {
		t.Errorf("verify with revision 2 removed: %v\n%s", err, out.String())
	}
}

func TestRegisterVerifyAcceptsAPrunedHistory(t *testing.T) {
	revs := limitedRegisterHistory(t, 2)
	c := fakePluginClient(t, &revs[1], &revs[2])
	var out bytes.Buffer
	if err := runRegisterVerify(context.Background(), c, &out); err != nil {
		t.Fatalf("verify of revisions 2 and 3 under a limit of 2: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "revision 2 is the anchor of the chain") {
		t.Errorf("verify output does not name the anchor:\n%s", out.String())
	}
}

// TestRegisterVerifyRefusesAMissingStart is issue 14 (11): revisions missing at the start of
// the chain, with no history limit to explain it, were deleted by someone.
func TestRegisterVerifyRefusesAMissingStart(t *testing.T) {
	for _, tt := range []struct {
		name  string
		limit int
		keep  []int
	}{
		{"no history limit", 0, []int{1, 2}},
		{"more missing than the limit explains", 2, []int{2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			revs := limitedRegisterHistory(t, tt.limit)
			var objs []client.Object
			for _, i := range tt.keep {
				objs = append(objs, &revs[i])
			}
			var out bytes.Buffer
			err := runRegisterVerify(context.Background(), fakePluginClient(t, objs...), &out)
			var fe *findingsError
			if !errors.As(err, &fe) {
				t.Fatalf("verify: %v, want a findings error (exit code 2)\n%s", err, out.String())
			}
			want := fmt.Sprintf("revision %d: HistoryMissing", tt.keep[0]+1)
			if !strings.Contains(out.String(), want) {
				t.Errorf("verify output lacks %q:\n%s", want, out.String())
			}
		})
	}
}

func TestParseRevisionArg(t *testing.T) {
	for in, want := range map[string]int64{"3": 3, "register-000003": 3, "42": 42} {
		if got, err := parseRevisionArg(in); err != nil || got != want {
			t.Errorf("parseRevisionArg(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "latest", "register-x"} {
		if _, err := parseRevisionArg(in); err == nil {
			t.Errorf("parseRevisionArg(%q) accepted", in)
		}
	}
}

func TestRegisterCommandsAreRegistered(t *testing.T) {
	root := newRootCommand()
	for _, path := range [][]string{{"register", "list"}, {"register", "export"}, {"register", "diff"}, {"register", "verify"}, {"scan"}} {
		cmd, _, err := root.Find(path)
		if err != nil || cmd.Name() != path[len(path)-1] {
			t.Errorf("kubectl gdpr %s is not registered: %v", strings.Join(path, " "), err)
		}
	}
}
