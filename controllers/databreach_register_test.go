package controllers_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

// TestDataBreachInTheRegister: the manager's register controller records a new breach in a
// revision, then the notification recorded on it as a Modified change of
// spec.notifications; the breach controller's status writes add no revision; the chain
// verifies and the latest snapshot holds the breach.
func TestDataBreachInTheRegister(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	aware := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	b := &privacyv1alpha1.DataBreach{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lost-laptop"},
		Spec: privacyv1alpha1.DataBreachSpec{
			DetectedAt:         aware,
			AwareAt:            aware,
			Nature:             privacyv1alpha1.BreachNature{Types: []privacyv1alpha1.BreachType{privacyv1alpha1.BreachAvailability}, Description: "a sales laptop was stolen"},
			DataSubjects:       privacyv1alpha1.BreachDataSubjects{Categories: []string{"prospects"}},
			PersonalData:       privacyv1alpha1.BreachPersonalData{Categories: []string{"business contact details"}},
			LikelyConsequences: []string{"none: the disk is encrypted"},
			Measures:           &privacyv1alpha1.BreachMeasures{Taken: []string{"certificates revoked"}},
			RiskAssessment:     privacyv1alpha1.BreachRiskAssessment{Level: privacyv1alpha1.RiskRisk, Reasoning: "the key may have been on a sticky note"},
		},
	}
	if err := k8s.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	added := privacyv1alpha1.RegisterChange{Kind: register.KindDataBreach, Namespace: ns, Name: b.Name, Type: privacyv1alpha1.ChangeAdded}
	waitChanges(t, ns, []privacyv1alpha1.RegisterChange{added})
	waitCondition(t, b, func() []metav1.Condition { return b.Status.Conditions }, privacyv1alpha1.TypeAuthorityNotificationDue,
		metav1.ConditionTrue, privacyv1alpha1.ReasonNotificationDue, 30*time.Second)

	notified := metav1.NewTime(aware.Add(30 * time.Minute))
	b.Spec.Notifications = &privacyv1alpha1.BreachNotifications{Authority: &privacyv1alpha1.AuthorityNotification{
		NotifiedAt: &notified, AuthorityName: "CNIL", CaseNumber: "CNIL-2026-42"}}
	if err := k8s.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	modified := privacyv1alpha1.RegisterChange{Kind: register.KindDataBreach, Namespace: ns, Name: b.Name, Type: privacyv1alpha1.ChangeModified,
		Fields: []string{"spec.notifications"}}
	waitCondition(t, b, func() []metav1.Condition { return b.Status.Conditions }, privacyv1alpha1.TypeAuthorityNotificationDue,
		metav1.ConditionFalse, privacyv1alpha1.ReasonAuthorityNotified, 30*time.Second)
	revs := waitChanges(t, ns, []privacyv1alpha1.RegisterChange{added, modified})

	var chain []register.Revision
	for i := range revs {
		chain = append(chain, register.FromRegisterRevision(&revs[i]))
	}
	if problems := register.Verify(chain); len(problems) != 0 {
		t.Errorf("the register chain does not verify: %v", problems)
	}
	doc, err := chain[len(chain)-1].Document()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := doc.Lookup(register.Key{Kind: register.KindDataBreach, Namespace: ns, Name: b.Name})
	if !ok {
		t.Fatalf("the latest snapshot lacks the breach")
	}
	if ref, _ := e.Spec["notifications"].(map[string]any)["authority"].(map[string]any)["caseNumber"].(string); ref != "CNIL-2026-42" {
		t.Errorf("the snapshot's breach lacks the notification: %v", e.Spec["notifications"])
	}
}
