package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func baseDataSubjectRequest() *v1.DataSubjectRequest {
	return &v1.DataSubjectRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "request-2026-0042"},
		Spec: v1.DataSubjectRequestSpec{
			Type:              v1.RequestErasure,
			DatabaseRef:       &v1.LocalObjectReference{Name: "crm-db"},
			IdentitySecretRef: v1.SecretReference{Name: "request-2026-0042-identity"},
		},
	}
}

func dsr(mutate func(*v1.DataSubjectRequestSpec)) func() client.Object {
	return func() client.Object { o := baseDataSubjectRequest(); mutate(&o.Spec); return o }
}

func TestDataSubjectRequestRejections(t *testing.T) {
	ns := createNamespace(t, "dsr-invalid")
	approval := func(most int32) *v1.RequestApproval {
		return &v1.RequestApproval{ApprovedBy: "dpo@example.com", ApprovedAt: t0, SpecHash: strings.Repeat("a", 64), MaxMatches: most}
	}
	cases := []struct {
		name  string
		obj   func() client.Object
		field string
		want  string
	}{
		{"no database", dsr(func(s *v1.DataSubjectRequestSpec) { s.DatabaseRef = nil }), "spec.databaseRef",
			"set exactly one of databaseRef (one CRMDatabase) or allDatabases: true (every CRMDatabase of the namespace)"},
		{"allDatabases false and no database", dsr(func(s *v1.DataSubjectRequestSpec) { s.DatabaseRef = nil; s.AllDatabases = ptr.To(false) }),
			"spec.databaseRef", "set exactly one of databaseRef"},
		{"both database and all", dsr(func(s *v1.DataSubjectRequestSpec) { s.AllDatabases = ptr.To(true) }), "spec.databaseRef",
			"set exactly one of databaseRef"},
		{"unknown type", dsr(func(s *v1.DataSubjectRequestSpec) { s.Type = "Portability" }), "spec.type",
			`supported values: "Objection", "Erasure", "Access", "Rectification"`},
		{"no identity secret", dsr(func(s *v1.DataSubjectRequestSpec) { s.IdentitySecretRef.Name = "" }), "spec.identitySecretRef.name", ""},
		{"identity field not a logical field", dsr(func(s *v1.DataSubjectRequestSpec) { s.IdentityField = "e-mail" }), "spec.identityField",
			"should match"},
		{"maxMatches zero", dsr(func(s *v1.DataSubjectRequestSpec) { s.MaxMatches = ptr.To[int32](0) }), "spec.maxMatches",
			"should be greater than or equal to 1"},
		{"extension of three months", dsr(func(s *v1.DataSubjectRequestSpec) {
			s.Extension = &v1.DeadlineExtension{Months: 3, Reason: "many requests"}
		}), "spec.extension.months", "should be less than or equal to 2"},
		{"extension without reason", dsr(func(s *v1.DataSubjectRequestSpec) {
			s.Extension = &v1.DeadlineExtension{Months: 1}
		}), "spec.extension.reason", ""},
		{"export retention too short", dsr(func(s *v1.DataSubjectRequestSpec) {
			s.ExportRetentionHours = ptr.To[int32](0)
		}), "spec.exportRetentionHours", "should be greater than or equal to 1"},
		{"export retention too long", dsr(func(s *v1.DataSubjectRequestSpec) {
			s.ExportRetentionHours = ptr.To[int32](2161)
		}), "spec.exportRetentionHours", "should be less than or equal to 2160"},
		{"approval hash not hex", dsr(func(s *v1.DataSubjectRequestSpec) {
			s.Approval = approval(5)
			s.Approval.SpecHash = strings.Repeat("Z", 64)
		}), "spec.approval.specHash", "must be the 64 lowercase hexadecimal digits of status.awaitingApproval.specHash"},
		{"approval not above maxMatches", dsr(func(s *v1.DataSubjectRequestSpec) {
			s.MaxMatches = ptr.To[int32](3)
			s.Approval = approval(3)
		}), "spec.approval.maxMatches",
			"approval.maxMatches must be above maxMatches: an approval is only needed for more matches than the request allows"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertRejected(t, create(t, ns, fmt.Sprintf("dsr-%d", i), tc.obj()), tc.field, tc.want)
		})
	}

	t.Run("valid variants", func(t *testing.T) {
		for i, obj := range []client.Object{
			baseDataSubjectRequest(),
			dsr(func(s *v1.DataSubjectRequestSpec) { s.DatabaseRef = nil; s.AllDatabases = ptr.To(true) })(),
			dsr(func(s *v1.DataSubjectRequestSpec) {
				s.Type = v1.RequestAccess
				s.ExportRetentionHours = ptr.To[int32](1)
				s.Extension = &v1.DeadlineExtension{Months: 2, Reason: "numerous requests"}
				s.Approval = approval(2)
			})(),
		} {
			if err := create(t, ns, fmt.Sprintf("dsr-valid-%d", i), obj); err != nil {
				t.Errorf("variant %d: %v", i, err)
			}
		}
	})
}

func TestDataSubjectRequestImmutableFields(t *testing.T) {
	ns := createNamespace(t, "dsr-immutable")
	ctx := context.Background()
	cases := []struct {
		name   string
		mutate func(*v1.DataSubjectRequest)
		field  string
		want   string
	}{
		{"type", func(o *v1.DataSubjectRequest) { o.Spec.Type = v1.RequestAccess }, "spec.type", "type is immutable"},
		{"identity secret", func(o *v1.DataSubjectRequest) { o.Spec.IdentitySecretRef.Name = "someone-else" }, "spec.identitySecretRef",
			"identitySecretRef is immutable"},
		{"identity field", func(o *v1.DataSubjectRequest) { o.Spec.IdentityField = "phone" }, "spec.identityField", "identityField is immutable"},
		{"database", func(o *v1.DataSubjectRequest) { o.Spec.DatabaseRef.Name = "other-db" }, "spec.databaseRef", "databaseRef is immutable"},
		{"database to all", func(o *v1.DataSubjectRequest) { o.Spec.DatabaseRef = nil; o.Spec.AllDatabases = ptr.To(true) }, "spec.allDatabases",
			"allDatabases is immutable"},
		{"receivedAt", func(o *v1.DataSubjectRequest) { o.Spec.ReceivedAt = &metav1.Time{Time: t0.Add(24 * time.Hour)} }, "spec.receivedAt",
			"receivedAt is immutable once set: the deadline counts from it"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := baseDataSubjectRequest()
			obj.Spec.ReceivedAt = &t0
			if err := create(t, ns, fmt.Sprintf("immutable-%d", i), obj); err != nil {
				t.Fatal(err)
			}
			tc.mutate(obj)
			assertRejected(t, k8sClient.Update(ctx, obj), tc.field, tc.want)
		})
	}

	t.Run("mutable parts", func(t *testing.T) {
		obj := baseDataSubjectRequest()
		if err := create(t, ns, "mutable", obj); err != nil {
			t.Fatal(err)
		}
		obj.Spec.ReceivedAt = &t0 // set once, after creation
		obj.Spec.Extension = &v1.DeadlineExtension{Months: 1, Reason: "complex request"}
		obj.Spec.KeepIdentitySecret = ptr.To(true)
		obj.Spec.Approval = &v1.RequestApproval{ApprovedBy: "dpo", ApprovedAt: t0, SpecHash: strings.Repeat("0", 64), MaxMatches: 4}
		if err := k8sClient.Update(ctx, obj); err != nil {
			t.Errorf("updating the mutable parts of a DataSubjectRequest: %v", err)
		}
	})
}

func TestDataSubjectRequestDefaults(t *testing.T) {
	ns := createNamespace(t, "dsr-defaults")
	obj := baseDataSubjectRequest()
	if err := create(t, ns, "defaults", obj); err != nil {
		t.Fatal(err)
	}
	if obj.Spec.IdentityField != v1.FieldEmail {
		t.Errorf("identityField = %q, want email", obj.Spec.IdentityField)
	}
	if obj.Spec.MaxMatches == nil || *obj.Spec.MaxMatches != 1 {
		t.Errorf("maxMatches = %v, want 1", obj.Spec.MaxMatches)
	}
	if obj.Spec.ExportRetentionHours == nil || *obj.Spec.ExportRetentionHours != 720 {
		t.Errorf("exportRetentionHours = %v, want 720", obj.Spec.ExportRetentionHours)
	}
	if obj.Spec.KeepIdentitySecret != nil {
		t.Errorf("keepIdentitySecret = %v, want unset (the Secret is deleted)", *obj.Spec.KeepIdentitySecret)
	}
}
