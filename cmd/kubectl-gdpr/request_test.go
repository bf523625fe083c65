package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// requestNow is the fixed clock of the request tests.
var requestNow = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func TestRequestCreateReadsTheIdentityFromStdin(t *testing.T) {
	ctx := context.Background()
	c := fakePluginClient(t)
	o := &createOptions{name: "erasure-1", database: "crm", identityField: "email"}
	in := newPrompter(strings.NewReader("  Jane.Doe@Example.com \n"), &bytes.Buffer{}, false)
	q, err := createRequest(ctx, c, "sales", privacyv1alpha1.RequestErasure, o, in)
	if err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: "sales", Name: "erasure-1-identity"}, s); err != nil {
		t.Fatal(err)
	}
	if got := string(s.Data["email"]); got != "Jane.Doe@Example.com" {
		t.Errorf("the Secret holds %q, want the identity as typed, trimmed", got)
	}
	got := &privacyv1alpha1.DataSubjectRequest{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(q), got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Type != privacyv1alpha1.RequestErasure || got.Spec.DatabaseRef == nil || got.Spec.DatabaseRef.Name != "crm" ||
		got.Spec.IdentitySecretRef.Name != "erasure-1-identity" {
		t.Errorf("request spec %+v", got.Spec)
	}
	b, _ := json.Marshal(got)
	if strings.Contains(strings.ToLower(string(b)), "jane") {
		t.Errorf("the request holds the identity: %s", b)
	}
}

func TestRequestCreateRectificationPromptsForValues(t *testing.T) {
	ctx := context.Background()
	c := fakePluginClient(t)
	o := &createOptions{name: "fix-1", allDatabases: true, identityField: "email", identity: "-", identitySet: true,
		fields: []string{"phone", "lastName=Durand"}}
	prompts := &bytes.Buffer{}
	in := newPrompter(strings.NewReader("jane@example.com\n+33 1 23 45 67 89\n"), prompts, true)
	q, err := createRequest(ctx, c, "sales", privacyv1alpha1.RequestRectification, o, in)
	if err != nil {
		t.Fatal(err)
	}
	if q.Spec.AllDatabases == nil || !*q.Spec.AllDatabases || q.Spec.DatabaseRef != nil {
		t.Errorf("want allDatabases: %+v", q.Spec)
	}
	s := &corev1.Secret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: "sales", Name: "fix-1-identity"}, s); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"email": "jane@example.com", "set.phone": "+33 1 23 45 67 89", "set.lastName": "Durand"}
	for k, v := range want {
		if string(s.Data[k]) != v {
			t.Errorf("Secret key %s = %q, want %q", k, s.Data[k], v)
		}
	}
	if len(s.Data) != len(want) {
		t.Errorf("Secret keys %v, want %v", s.Data, want)
	}
	if p := prompts.String(); !strings.Contains(p, "identity (email): ") || !strings.Contains(p, "new value of phone: ") {
		t.Errorf("prompts %q", p)
	}
}

func TestRequestCreateRefusals(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		typ  privacyv1alpha1.DataSubjectRequestType
		o    createOptions
		in   string
		want string
	}{
		{"no database", privacyv1alpha1.RequestErasure, createOptions{identityField: "email"}, "a@b.example\n", "name the database with --database, or use --all-databases"},
		{"both", privacyv1alpha1.RequestErasure, createOptions{database: "crm", allDatabases: true, identityField: "email"}, "a@b.example\n", "not both"},
		{"not an email", privacyv1alpha1.RequestErasure, createOptions{database: "crm", identityField: "email"}, "not-an-email\n", "is not an email address"},
		{"no input", privacyv1alpha1.RequestObjection, createOptions{database: "crm", identityField: "email"}, "", "nothing to read"},
		{"rectification without fields", privacyv1alpha1.RequestRectification, createOptions{database: "crm", identityField: "email"}, "a@b.example\n", "needs at least one --field"},
		{"fields on an erasure", privacyv1alpha1.RequestErasure, createOptions{database: "crm", identityField: "email", fields: []string{"phone=1"}}, "a@b.example\n", "--field only applies to a rectification"},
		{"bad receivedAt", privacyv1alpha1.RequestErasure, createOptions{database: "crm", identityField: "email", receivedAt: "yesterday"}, "a@b.example\n", "--received-at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fakePluginClient(t)
			_, err := createRequest(ctx, c, "sales", tc.typ, &tc.o, newPrompter(strings.NewReader(tc.in), &bytes.Buffer{}, false))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "not-an-email") {
				t.Errorf("the error repeats the identity: %v", err)
			}
			var secrets corev1.SecretList
			if err := c.List(ctx, &secrets); err != nil || len(secrets.Items) != 0 {
				t.Errorf("a refused request left %d Secret(s) (%v)", len(secrets.Items), err)
			}
		})
	}
}

func TestRequestCreateLeavesNoSecretWhenTheRequestFails(t *testing.T) {
	ctx := context.Background()
	existing := &privacyv1alpha1.DataSubjectRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "taken"}}
	c := fakePluginClient(t, existing)
	o := &createOptions{name: "taken", database: "crm", identityField: "email"}
	_, err := createRequest(ctx, c, "sales", privacyv1alpha1.RequestAccess, o, newPrompter(strings.NewReader("a@b.example\n"), &bytes.Buffer{}, false))
	if err == nil || !apierrors.IsAlreadyExists(errors.Unwrap(err)) {
		t.Fatalf("error %v, want AlreadyExists", err)
	}
	err = c.Get(ctx, types.NamespacedName{Namespace: "sales", Name: "taken-identity"}, &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("the identity Secret of the failed request is still there (%v)", err)
	}
}

// listedRequest is a request as the operator leaves it.
func listedRequest(name string, typ privacyv1alpha1.DataSubjectRequestType, phase privacyv1alpha1.DataSubjectRequestPhase, due time.Time, onTime *bool) *privacyv1alpha1.DataSubjectRequest {
	q := &privacyv1alpha1.DataSubjectRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: name}}
	q.Spec.Type = typ
	q.Spec.DatabaseRef = &privacyv1alpha1.LocalObjectReference{Name: "crm"}
	q.Spec.IdentitySecretRef.Name = privacyv1alpha1.ObjectName(name + "-identity")
	q.Status.Phase = phase
	received, d := metav1.NewTime(due.AddDate(0, -1, 0)), metav1.NewTime(due)
	q.Status.ReceivedAt, q.Status.DueAt = &received, &d
	q.Status.OnTime = onTime
	reason := privacyv1alpha1.ReasonDatabaseNotReady
	if phase == privacyv1alpha1.RequestCompleted {
		reason = privacyv1alpha1.ReasonRequestCompleted
		at := metav1.NewTime(due.Add(-time.Hour))
		if onTime != nil && !*onTime {
			at = metav1.NewTime(due.Add(time.Hour))
		}
		q.Status.CompletedAt = &at
	}
	q.Status.Conditions = []metav1.Condition{{Type: privacyv1alpha1.TypeReady, Status: metav1.ConditionFalse, Reason: reason, LastTransitionTime: received}}
	return q
}

func requestFixtures() []client.Object {
	yes, no := true, false
	all := listedRequest("access-all", privacyv1alpha1.RequestAccess, privacyv1alpha1.RequestPending, requestNow.AddDate(0, 0, 20), nil)
	all.Spec.DatabaseRef, all.Spec.AllDatabases = nil, &yes
	return []client.Object{
		listedRequest("objection-done", privacyv1alpha1.RequestObjection, privacyv1alpha1.RequestCompleted, requestNow.AddDate(0, 0, -40), &yes),
		listedRequest("erasure-late", privacyv1alpha1.RequestErasure, privacyv1alpha1.RequestCompleted, requestNow.AddDate(0, 0, -10), &no),
		listedRequest("erasure-overdue", privacyv1alpha1.RequestErasure, privacyv1alpha1.RequestPending, requestNow.Add(-time.Hour), nil),
		listedRequest("rectification-waiting", privacyv1alpha1.RequestRectification, privacyv1alpha1.RequestAwaitingApproval, requestNow.AddDate(0, 0, 3), nil),
		all,
	}
}

func TestRequestList(t *testing.T) {
	ctx := context.Background()
	c := fakePluginClient(t, requestFixtures()...)
	var out bytes.Buffer
	err := runRequestList(ctx, c, &out, "sales", outputTable, false, false, requestNow)
	var findings *findingsError
	if !errors.As(err, &findings) || !strings.Contains(err.Error(), "sales/erasure-overdue") || strings.Contains(err.Error(), "erasure-late") {
		t.Errorf("error %v, want a finding naming the open overdue request only", err)
	}
	golden(t, "request-list.golden", out.String())

	out.Reset()
	if err := runRequestList(ctx, c, &out, "sales", outputJSON, false, true, requestNow); !errors.As(err, &findings) {
		t.Errorf("--due: error %v, want the overdue finding", err)
	}
	golden(t, "request-list-due.json.golden", out.String())

	// Without an open overdue request the listing exits 0.
	c = fakePluginClient(t, requestFixtures()[0], requestFixtures()[1], requestFixtures()[3])
	out.Reset()
	if err := runRequestList(ctx, c, &out, "sales", outputTable, false, false, requestNow); err != nil {
		t.Errorf("no open overdue request, error %v", err)
	}
}

func TestRequestDescribe(t *testing.T) {
	yes := true
	q := listedRequest("erasure-1", privacyv1alpha1.RequestErasure, privacyv1alpha1.RequestCompleted, requestNow.AddDate(0, 0, 5), &yes)
	q.Spec.Extension = &privacyv1alpha1.DeadlineExtension{Months: 1, Reason: "numerous requests"}
	q.Status.IdentityHash = strings.Repeat("ab", 32)
	q.Status.IdentitySecretDeleted = true
	q.Status.Databases = []privacyv1alpha1.RequestDatabaseResult{{Name: "crm", Matched: 2, Erased: 1, Held: 1, CompletedAt: q.Status.CompletedAt}}
	q.Status.Conditions = append(q.Status.Conditions, metav1.Condition{Type: privacyv1alpha1.TypeCompleted, Status: metav1.ConditionTrue,
		Reason: privacyv1alpha1.ReasonLegalHold, Message: "Erasure completed: 2 contact(s) matched in 1 database(s); 1 contact(s) erased, 1 held by a legal hold"})
	var out bytes.Buffer
	if err := describeRequest(&out, q); err != nil {
		t.Fatal(err)
	}
	golden(t, "request-describe.golden", out.String())
}

func TestRequestExport(t *testing.T) {
	ctx := context.Background()
	yes := true
	q := listedRequest("access-1", privacyv1alpha1.RequestAccess, privacyv1alpha1.RequestCompleted, requestNow, &yes)
	q.UID = "0b2a6c1e-1111-2222-3333-444455556666"
	q.Status.ExportSecretName = "access-1-export"
	owned := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "access-1-export",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: privacyv1alpha1.GroupVersion.String(), Kind: "DataSubjectRequest", Name: "access-1", UID: q.UID, Controller: &yes}}},
		Data: map[string][]byte{exportKeyJSON: []byte(`{"request":"sales/access-1","generatedAt":"2026-12-02T12:00:00Z","databases":[]}`), exportKeyText: []byte("# Your data\n")}}
	c := fakePluginClient(t, q, owned)
	got, err := readExport(ctx, c, "sales", "access-1", "markdown")
	if err != nil || string(got) != "# Your data\n" {
		t.Errorf("markdown export %q, %v", got, err)
	}
	got, err = readExport(ctx, c, "sales", "access-1", "json")
	if err != nil || !strings.Contains(string(got), `"request":"sales/access-1"`) {
		t.Errorf("json export %q, %v", got, err)
	}

	// A Secret of that name the request does not own is not taken for its export.
	forged := owned.DeepCopy()
	forged.OwnerReferences = nil
	forged.ResourceVersion = ""
	c = fakePluginClient(t, q, forged)
	if _, err := readExport(ctx, c, "sales", "access-1", "markdown"); err == nil || !strings.Contains(err.Error(), "not owned") {
		t.Errorf("an unowned Secret: error %v", err)
	}
	// Other types and open requests have no export.
	c = fakePluginClient(t, listedRequest("objection-1", privacyv1alpha1.RequestObjection, privacyv1alpha1.RequestCompleted, requestNow, &yes),
		listedRequest("access-2", privacyv1alpha1.RequestAccess, privacyv1alpha1.RequestPending, requestNow, nil))
	for name, want := range map[string]string{"objection-1": "only Access requests", "access-2": "not completed yet"} {
		if _, err := readExport(ctx, c, "sales", name, "markdown"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", name, err, want)
		}
	}
}

func TestRequestCommandsAreRegistered(t *testing.T) {
	root := newRootCommand()
	for _, path := range [][]string{{"request", "create"}, {"request", "list"}, {"request", "describe"}, {"request", "export"}} {
		cmd, _, err := root.Find(path)
		if err != nil || cmd.Name() != path[1] {
			t.Errorf("kubectl gdpr %s is not registered (%v)", strings.Join(path, " "), err)
		}
	}
}
