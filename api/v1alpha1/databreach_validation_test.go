package v1alpha1_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// rfc3339 parses a time with its offset, as a user writes it in YAML.
func rfc3339(s string) metav1.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return metav1.NewTime(t)
}

// baseDataBreach is a valid HighRisk breach, aware at 10:00 CET the day before Paris
// springs forward (deadline 2026-03-31T09:00:00Z, 11:00 CEST), nothing notified yet.
func baseDataBreach() *v1.DataBreach {
	return &v1.DataBreach{
		ObjectMeta: metav1.ObjectMeta{Name: "export-leak"},
		Spec: v1.DataBreachSpec{
			DetectedAt:         rfc3339("2026-03-28T09:30:00+01:00"),
			AwareAt:            rfc3339("2026-03-28T10:00:00+01:00"),
			Nature:             v1.BreachNature{Types: []v1.BreachType{v1.BreachConfidentiality}, Description: "A CRM export was sent to the wrong list."},
			DataSubjects:       v1.BreachDataSubjects{Categories: []string{"customer contacts"}, ApproximateNumber: ptr.To[int64](1200)},
			PersonalData:       v1.BreachPersonalData{Categories: []string{"identity", "business email"}},
			LikelyConsequences: []string{"phishing"},
			Measures:           &v1.BreachMeasures{Taken: []string{"the link was revoked"}},
			DatabaseRefs:       []v1.LocalObjectReference{{Name: "crm"}},
			RiskAssessment:     v1.BreachRiskAssessment{Level: v1.RiskHigh, Reasoning: "contact details of identifiable people"},
		},
	}
}

func breach(mutate func(*v1.DataBreachSpec)) func() client.Object {
	return func() client.Object { o := baseDataBreach(); mutate(&o.Spec); return o }
}

func authority(a v1.AuthorityNotification) func(*v1.DataBreachSpec) {
	return func(s *v1.DataBreachSpec) { s.Notifications = &v1.BreachNotifications{Authority: &a} }
}

func subjects(d v1.DataSubjectNotification) func(*v1.DataBreachSpec) {
	return func(s *v1.DataBreachSpec) { s.Notifications = &v1.BreachNotifications{DataSubjects: &d} }
}

func timeAt(s string) *metav1.Time { t := rfc3339(s); return &t }

func TestDataBreachAccepted(t *testing.T) {
	ns := createNamespace(t, "breach-valid")
	cases := []struct {
		name string
		obj  func() client.Object
	}{
		{"nothing notified yet", breach(func(*v1.DataBreachSpec) {})},
		{"aware at detection", breach(func(s *v1.DataBreachSpec) { s.AwareAt = s.DetectedAt })},
		{"risk None without any notification", breach(func(s *v1.DataBreachSpec) {
			s.RiskAssessment.Level = v1.RiskNone
			s.Notifications = nil
		})},
		// Exactly 72 hours after awareAt, written in CEST after the spring-forward: in time,
		// no reason needed.
		{"notified at exactly 72 h, in another offset", breach(authority(v1.AuthorityNotification{
			NotifiedAt: timeAt("2026-03-31T11:00:00+02:00"), AuthorityName: "CNIL"}))},
		{"notified late with a reason", breach(authority(v1.AuthorityNotification{
			NotifiedAt: timeAt("2026-03-31T11:00:01+02:00"), AuthorityName: "CNIL", LateNotificationReason: "scope unknown until day 3"}))},
		{"authority not notified, with a reason", breach(authority(v1.AuthorityNotification{NotNotifiedReason: "joint controller notified"}))},
		{"subjects exempted under Art. 34(3)", breach(subjects(v1.DataSubjectNotification{
			Exemption: v1.ExemptionDataUnintelligible, NotNotifiedReason: "AES-256, key safe"}))},
		{"notify list for a HighRisk breach", breach(func(s *v1.DataBreachSpec) {
			s.NotifyList = &v1.BreachNotifyList{Export: true, RetainForHours: ptr.To[int32](72)}
		})},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := create(t, ns, "breach-"+string(rune('a'+i)), tc.obj()); err != nil {
				t.Errorf("rejected: %v", err)
			}
		})
	}
}

func TestDataBreachRejected(t *testing.T) {
	ns := createNamespace(t, "breach-invalid")
	cases := []struct {
		name  string
		obj   func() client.Object
		field string
		want  string
	}{
		{"aware before detection", breach(func(s *v1.DataBreachSpec) { s.AwareAt = rfc3339("2026-03-28T09:29:59+01:00") }),
			"spec.awareAt", "awareAt must not be before detectedAt: the controller becomes aware of a breach at or after its detection"},
		{"occurred after detection", breach(func(s *v1.DataBreachSpec) { s.OccurredAt = timeAt("2026-03-28T09:31:00+01:00") }),
			"spec.occurredAt", "occurredAt must not be after detectedAt"},
		{"authority notified before awareness", breach(authority(v1.AuthorityNotification{
			NotifiedAt: timeAt("2026-03-28T09:59:59+01:00"), AuthorityName: "CNIL"})),
			"spec.notifications.authority.notifiedAt", "the authority cannot have been notified before the controller became aware of the breach (awareAt)"},
		{"subjects notified before awareness", breach(subjects(v1.DataSubjectNotification{
			NotifiedAt: timeAt("2026-03-28T08:00:00Z"), Method: "email"})),
			"spec.notifications.dataSubjects.notifiedAt", "the data subjects cannot have been notified before the controller became aware of the breach (awareAt)"},
		{"late by one second without a reason", breach(authority(v1.AuthorityNotification{
			NotifiedAt: timeAt("2026-03-31T09:00:01Z"), AuthorityName: "CNIL"})),
			"spec.notifications.authority.lateNotificationReason", "the authority was notified more than 72 hours after awareAt: record the reasons for the delay in lateNotificationReason (Art. 33(1))"},
		{"late in local time across DST without a reason", breach(authority(v1.AuthorityNotification{
			NotifiedAt: timeAt("2026-03-31T11:30:00+02:00"), AuthorityName: "CNIL"})),
			"spec.notifications.authority.lateNotificationReason", "record the reasons for the delay in lateNotificationReason"},
		{"authority neither notified nor a reason", breach(authority(v1.AuthorityNotification{CaseNumber: "x"})),
			"spec.notifications.authority.notifiedAt", "give either notifiedAt (the authority was notified) or notNotifiedReason (why it is not), not both"},
		{"authority notified and a reason", breach(authority(v1.AuthorityNotification{
			NotifiedAt: timeAt("2026-03-29T10:00:00Z"), AuthorityName: "CNIL", NotNotifiedReason: "x"})),
			"spec.notifications.authority.notifiedAt", "give either notifiedAt (the authority was notified) or notNotifiedReason (why it is not), not both"},
		{"authority notified without its name", breach(authority(v1.AuthorityNotification{NotifiedAt: timeAt("2026-03-29T10:00:00Z")})),
			"spec.notifications.authority.authorityName", "name the supervisory authority that was notified (authorityName)"},
		{"subjects neither notified nor a reason", breach(subjects(v1.DataSubjectNotification{Method: "email"})),
			"spec.notifications.dataSubjects.notifiedAt", "give either notifiedAt (the people were notified) or notNotifiedReason (why they are not), not both"},
		{"subjects notified without a method", breach(subjects(v1.DataSubjectNotification{NotifiedAt: timeAt("2026-03-29T10:00:00Z")})),
			"spec.notifications.dataSubjects.method", "say how the people were notified (method)"},
		{"exemption without a reason", breach(subjects(v1.DataSubjectNotification{NotifiedAt: timeAt("2026-03-29T10:00:00Z"), Method: "email",
			Exemption: v1.ExemptionDisproportionateEffort})),
			"spec.notifications.dataSubjects.notNotifiedReason", "an Art. 34(3) exemption needs notNotifiedReason saying why it applies"},
		{"unknown exemption", breach(subjects(v1.DataSubjectNotification{NotNotifiedReason: "x", Exemption: "TooBusy"})),
			"spec.notifications.dataSubjects.exemption", "Unsupported value"},
		{"unknown risk level", breach(func(s *v1.DataBreachSpec) { s.RiskAssessment.Level = "Medium" }),
			"spec.riskAssessment.level", "Unsupported value"},
		{"empty reasoning", breach(func(s *v1.DataBreachSpec) { s.RiskAssessment.Reasoning = "" }),
			"spec.riskAssessment.reasoning", ""},
		{"no breach type", breach(func(s *v1.DataBreachSpec) { s.Nature.Types = nil }),
			"spec.nature.types", ""},
		{"empty measures", breach(func(s *v1.DataBreachSpec) { s.Measures = &v1.BreachMeasures{} }),
			"spec.measures", "record at least one measure taken or proposed (Art. 33(3)(d))"},
		{"no measures", breach(func(s *v1.DataBreachSpec) { s.Measures = nil }),
			"spec.measures", "record at least one measure taken or proposed (Art. 33(3)(d))"},
		{"notify list below HighRisk", breach(func(s *v1.DataBreachSpec) {
			s.RiskAssessment.Level = v1.RiskRisk
			s.NotifyList = &v1.BreachNotifyList{Export: true}
		}), "spec.notifyList.export", "a notify list is produced only for a HighRisk breach (Art. 34(1)): set riskAssessment.level to HighRisk or notifyList.export to false"},
		{"notify list without databases", breach(func(s *v1.DataBreachSpec) {
			s.DatabaseRefs = nil
			s.NotifyList = &v1.BreachNotifyList{Export: true}
		}), "spec.databaseRefs", "a notify list needs the databases involved: list them in databaseRefs"},
		{"notify list kept too long", breach(func(s *v1.DataBreachSpec) {
			s.NotifyList = &v1.BreachNotifyList{Export: true, RetainForHours: ptr.To[int32](2161)}
		}), "spec.notifyList.retainForHours", "should be less than or equal to 2160"},
		{"selector value for Exists", breach(func(s *v1.DataBreachSpec) {
			s.ContactSelector = &v1.ContactSelector{MatchExpressions: []v1.FieldRequirement{{Field: "email", Operator: v1.SelectorOpExists, Values: []string{"x"}}}}
		}), "spec.contactSelector.matchExpressions[0].values", "values must be empty for the Exists and DoesNotExist operators"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertRejected(t, create(t, ns, "bad-"+string(rune('a'+i)), tc.obj()), tc.field, tc.want)
		})
	}
}

// TestDataBreachDefaults: retainForHours defaults to 168; times given with an offset are kept as
// the same instant.
func TestDataBreachDefaults(t *testing.T) {
	ns := createNamespace(t, "breach-defaults")
	b := baseDataBreach()
	b.Spec.NotifyList = &v1.BreachNotifyList{Export: true}
	if err := create(t, ns, "defaults", b); err != nil {
		t.Fatal(err)
	}
	var got v1.DataBreach
	if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(b), &got); err != nil {
		t.Fatal(err)
	}
	if rf := got.Spec.NotifyList.RetainForHours; rf == nil || *rf != 168 {
		t.Errorf("retainForHours = %v, want the default 168", rf)
	}
	if want := time.Date(2026, 3, 28, 9, 0, 0, 0, time.UTC); !got.Spec.AwareAt.Time.Equal(want) {
		t.Errorf("awareAt = %s, want %s", got.Spec.AwareAt.UTC(), want)
	}
}
