package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// breachNow is the fixed clock of the breach tests: two hours after the deadline of a
// breach the controller became aware of at 10:00 CET on 28 March 2026 (deadline
// 2026-03-31T09:00:00Z, 11:00 CEST after the spring-forward).
var breachNow = time.Date(2026, 3, 31, 11, 0, 0, 0, time.UTC)

func testBreach(ns, name string, risk privacyv1alpha1.BreachRisk, aware string, n *privacyv1alpha1.BreachNotifications, affected *int64) *privacyv1alpha1.DataBreach {
	t, err := time.Parse(time.RFC3339, aware)
	if err != nil {
		panic(err)
	}
	b := &privacyv1alpha1.DataBreach{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	b.Spec.DetectedAt, b.Spec.AwareAt = metav1.NewTime(t), metav1.NewTime(t)
	b.Spec.Nature = privacyv1alpha1.BreachNature{Types: []privacyv1alpha1.BreachType{privacyv1alpha1.BreachConfidentiality}, Description: "export leaked"}
	b.Spec.RiskAssessment = privacyv1alpha1.BreachRiskAssessment{Level: risk, Reasoning: "contact details"}
	b.Spec.Notifications = n
	b.Status.AffectedContacts = affected
	return b
}

func count(n int64) *int64 { return &n }

func notifiedAt(s string) *metav1.Time {
	t, _ := time.Parse(time.RFC3339, s)
	mt := metav1.NewTime(t)
	return &mt
}

// breachRegister holds one breach in each state at breachNow.
func breachRegister() []client.Object {
	return []client.Object{
		testBreach("sales", "export-leak", privacyv1alpha1.RiskHigh, "2026-03-28T10:00:00+01:00", nil, count(1200)), // overdue by 2h
		testBreach("sales", "wrong-recipient", privacyv1alpha1.RiskRisk, "2026-03-30T08:30:00Z", nil, nil),          // due, 21h30 left
		testBreach("sales", "laptop", privacyv1alpha1.RiskNone, "2026-03-01T08:00:00Z", nil, count(0)),              // not required
		testBreach("support", "ransomware", privacyv1alpha1.RiskHigh, "2026-03-20T12:00:00Z", &privacyv1alpha1.BreachNotifications{
			Authority:    &privacyv1alpha1.AuthorityNotification{NotifiedAt: notifiedAt("2026-03-22T12:00:00Z"), AuthorityName: "CNIL"},
			DataSubjects: &privacyv1alpha1.DataSubjectNotification{NotifiedAt: notifiedAt("2026-03-23T12:00:00Z"), Method: "email"},
		}, count(87)),
		testBreach("sales", "late-but-told", privacyv1alpha1.RiskHigh, "2026-03-24T12:00:00Z", &privacyv1alpha1.BreachNotifications{
			Authority: &privacyv1alpha1.AuthorityNotification{NotifiedAt: notifiedAt("2026-03-28T12:00:00Z"), AuthorityName: "CNIL", LateNotificationReason: "x"},
		}, count(5)), // notified late, people still due
	}
}

func TestBreachListTable(t *testing.T) {
	c := fakePluginClient(t, breachRegister()...)
	var out bytes.Buffer
	err := runBreachList(context.Background(), c, &out, "", outputTable, true, false, breachNow)
	golden(t, "breach-table.golden", out.String())
	var fe *findingsError
	if !errors.As(err, &fe) || !strings.Contains(fe.msg, "sales/export-leak (deadline 2026-03-31T09:00:00Z)") {
		t.Errorf("err = %v, want a findings error (exit code 2) naming the overdue breach", err)
	}
}

func TestBreachListOpen(t *testing.T) {
	c := fakePluginClient(t, breachRegister()...)
	var out bytes.Buffer
	_ = runBreachList(context.Background(), c, &out, "sales", outputJSON, false, true, breachNow)
	golden(t, "breach-open.json.golden", out.String())
	rows := breachRows(objectsToBreaches(breachRegister()), true, breachNow)
	var names []string
	for _, r := range rows {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "late-but-told,export-leak,wrong-recipient" {
		t.Errorf("open breaches = %s", got)
	}
}

func objectsToBreaches(objs []client.Object) []privacyv1alpha1.DataBreach {
	out := make([]privacyv1alpha1.DataBreach, len(objs))
	for i, o := range objs {
		out[i] = *o.(*privacyv1alpha1.DataBreach)
	}
	return out
}

// TestBreachListExitCode: exit code 2 exactly when a listed breach is overdue, a second
// after its deadline and not at it.
func TestBreachListExitCode(t *testing.T) {
	deadline := time.Date(2026, 3, 31, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		objs     []client.Object
		ns       string
		now      time.Time
		findings bool
	}{
		{"at the deadline", breachRegister()[:1], "sales", deadline, false},
		{"a second after", breachRegister()[:1], "sales", deadline.Add(time.Second), true},
		{"only notified breaches", breachRegister()[3:4], "support", breachNow, false},
		{"other namespace", breachRegister(), "support", breachNow, false},
		{"no breach", nil, "sales", breachNow, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runBreachList(context.Background(), fakePluginClient(t, tt.objs...), &out, tt.ns, outputTable, false, false, tt.now)
			var fe *findingsError
			if errors.As(err, &fe) != tt.findings || (err != nil && !errors.As(err, &fe)) {
				t.Errorf("err = %v, want findings %v", err, tt.findings)
			}
		})
	}
}

func TestBreachDescribe(t *testing.T) {
	objs := breachRegister()
	b := objs[0].(*privacyv1alpha1.DataBreach)
	b.Status.Affected = []privacyv1alpha1.BreachAffectedDatabase{{Database: "crm", Contacts: count(1200)}}
	b.Status.NotifyList = &privacyv1alpha1.BreachNotifyListStatus{SecretName: "export-leak-notify-list", Contacts: 1150, Unreachable: 50,
		CreatedAt: notifiedAt("2026-03-28T12:00:00Z"), ExpiresAt: notifiedAt("2026-04-04T12:00:00Z")}
	var out bytes.Buffer
	err := runBreachDescribe(context.Background(), fakePluginClient(t, objs...), &out, "sales", "export-leak", breachNow)
	golden(t, "breach-describe.golden", out.String())
	var fe *findingsError
	if !errors.As(err, &fe) {
		t.Errorf("err = %v, want exit code 2 for an overdue breach", err)
	}
}
