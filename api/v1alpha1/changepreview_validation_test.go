package v1alpha1_test

import (
	"context"
	"strconv"
	"testing"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// policyPreview is a ChangePreview of the base RetentionPolicy, mutated.
func policyPreview(mutate func(*v1.ChangePreviewSpec)) func() client.Object {
	return func() client.Object {
		o := &v1.ChangePreview{Spec: v1.ChangePreviewSpec{
			RetentionPolicy: &v1.RetentionPolicyCandidate{Name: "prospects", Spec: baseRetentionPolicy().Spec},
		}}
		mutate(&o.Spec)
		return o
	}
}

func accessPreview(mutate func(*v1.ChangePreviewSpec)) func() client.Object {
	return policyPreview(func(s *v1.ChangePreviewSpec) {
		s.RetentionPolicy = nil
		s.AccessRole = &v1.AccessRoleCandidate{Name: "sales-team", Spec: baseAccessRole().Spec}
		mutate(s)
	})
}

func TestChangePreviewAccepted(t *testing.T) {
	ns := createNamespace(t, "cpv-valid")
	for i, tc := range []struct {
		name string
		obj  func() client.Object
	}{
		{"retention policy", policyPreview(func(*v1.ChangePreviewSpec) {})},
		{"access role", accessPreview(func(*v1.ChangePreviewSpec) {})},
		{"ttl 0", policyPreview(func(s *v1.ChangePreviewSpec) { s.TTLSecondsAfterAnswered = ptr.To[int32](0) })},
		{"ttl one day", policyPreview(func(s *v1.ChangePreviewSpec) { s.TTLSecondsAfterAnswered = ptr.To[int32](86400) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := create(t, ns, "ok-"+strconv.Itoa(i), tc.obj()); err != nil {
				t.Errorf("rejected: %v", err)
			}
		})
	}
}

func TestChangePreviewRejected(t *testing.T) {
	ns := createNamespace(t, "cpv-invalid")
	for i, tc := range []struct {
		name, field, want string
		obj               func() client.Object
	}{
		{"no candidate", "spec", "set exactly one of retentionPolicy and accessRole",
			policyPreview(func(s *v1.ChangePreviewSpec) { s.RetentionPolicy = nil })},
		{"two candidates", "spec", "set exactly one of retentionPolicy and accessRole",
			accessPreview(func(s *v1.ChangePreviewSpec) {
				s.RetentionPolicy = &v1.RetentionPolicyCandidate{Name: "prospects", Spec: baseRetentionPolicy().Spec}
			})},
		// The candidate is validated with the real kind's rules, at its path in the preview.
		{"candidate policy: anonymize without fields", "spec.retentionPolicy.spec.rules[1].anonymize", "action Anonymize needs at least one field in anonymize",
			policyPreview(func(s *v1.ChangePreviewSpec) { s.RetentionPolicy.Spec.Rules[1].Anonymize = nil })},
		{"candidate policy: bad schedule", "spec.retentionPolicy.spec.schedule", "must be a five-field cron expression",
			policyPreview(func(s *v1.ChangePreviewSpec) { s.RetentionPolicy.Spec.Schedule = "every night" })},
		{"candidate policy: enforce with a zero budget", "spec.retentionPolicy.spec.budget.maxDeletionPercent", "mode Enforce needs a budget above zero",
			policyPreview(func(s *v1.ChangePreviewSpec) {
				s.RetentionPolicy.Spec.Mode = v1.ModeEnforce
				s.RetentionPolicy.Spec.Budget.MaxDeletionPercent = ptr.To[int32](0)
			})},
		{"candidate access role: operator table", "spec.accessRole.spec.grants[0].table", "crm_privacy_* tables are the operator's own objects",
			accessPreview(func(s *v1.ChangePreviewSpec) { s.AccessRole.Spec.Grants[0].Table = "crm_privacy_erasure_ledger" })},
		{"candidate access role: reserved role", "spec.accessRole.spec.roleName", "roleName is a reserved role or account name",
			accessPreview(func(s *v1.ChangePreviewSpec) { s.AccessRole.Spec.RoleName = "postgres" })},
		{"candidate name", "spec.retentionPolicy.name", "should match",
			policyPreview(func(s *v1.ChangePreviewSpec) { s.RetentionPolicy.Name = "Not_A_Name" })},
		{"ttl above a day", "spec.ttlSecondsAfterAnswered", "should be less than or equal to 86400",
			policyPreview(func(s *v1.ChangePreviewSpec) { s.TTLSecondsAfterAnswered = ptr.To[int32](86401) })},
		{"negative ttl", "spec.ttlSecondsAfterAnswered", "should be greater than or equal to 0",
			policyPreview(func(s *v1.ChangePreviewSpec) { s.TTLSecondsAfterAnswered = ptr.To[int32](-1) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRejected(t, create(t, ns, "bad-"+strconv.Itoa(i), tc.obj()), tc.field, tc.want)
		})
	}
}

// TestChangePreviewSpecImmutable: a preview answers one question; changing it is refused.
func TestChangePreviewSpecImmutable(t *testing.T) {
	ns := createNamespace(t, "cpv-immutable")
	obj := policyPreview(func(*v1.ChangePreviewSpec) {})().(*v1.ChangePreview)
	if err := create(t, ns, "fixed", obj); err != nil {
		t.Fatal(err)
	}
	obj.Spec.RetentionPolicy.Spec.Rules[0].RetainFor = "12m"
	err := k8sClient.Update(context.Background(), obj)
	assertRejected(t, err, "spec", "spec is immutable")
}

func TestChangePreviewTTLDefault(t *testing.T) {
	ns := createNamespace(t, "cpv-default")
	obj := policyPreview(func(*v1.ChangePreviewSpec) {})().(*v1.ChangePreview)
	if err := create(t, ns, "defaulted", obj); err != nil {
		t.Fatal(err)
	}
	if got := obj.Spec.TTLSecondsAfterAnswered; got == nil || *got != v1.DefaultPreviewTTLSeconds {
		t.Errorf("ttlSecondsAfterAnswered = %v, want %d", got, v1.DefaultPreviewTTLSeconds)
	}
	// The candidate's own defaults apply too.
	if got := obj.Spec.RetentionPolicy.Spec.Mode; got != v1.ModeDryRun {
		t.Errorf("candidate mode = %q, want the RetentionPolicy default DryRun", got)
	}
}
