package register

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	const pa = KindProcessingActivity
	old := mustDocument(t,
		mustEntry(t, pa, "sales", "leads", `{
			"purposes": ["lead qualification", "sales follow-up"],
			"legalBasis": "LegitimateInterest",
			"processors": [
				{"name": "crm-vendor", "contract": {"reference": "DPA-1", "expiresAt": "2027-01-01"}},
				{"name": "mailer", "contract": {"reference": "DPA-2"}}
			],
			"transfers": [{"country": "US"}],
			"retention": {"months": 24}
		}`),
		mustEntry(t, pa, "sales", "unchanged", `{"purposes": ["x"]}`),
		mustEntry(t, pa, "sales", "gone", `{}`),
		mustEntry(t, KindAccessRole, "sales", "reps", `{"labels": {"app.kubernetes.io/name": "a"}, "members": ["a"]}`),
	)
	newer := mustDocument(t,
		mustEntry(t, pa, "sales", "leads", `{
			"purposes": ["lead qualification", "upselling"],
			"legalBasis": "LegitimateInterest",
			"processors": [
				{"name": "crm-vendor", "contract": {"reference": "DPA-1", "expiresAt": "2028-01-01"}},
				{"name": "mailer", "contract": {"reference": "DPA-2", "signedAt": "2025-02-01"}}
			],
			"transfers": [{"country": "US"}, {"country": "IN"}],
			"retention": {"months": 24.0}
		}`),
		mustEntry(t, pa, "sales", "unchanged", `{"purposes": ["x"]}`),
		mustEntry(t, pa, "marketing", "newsletter", `{}`),
		mustEntry(t, KindAccessRole, "sales", "reps", `{"labels": {"app.kubernetes.io/name": "b"}, "members": "a"}`),
	)
	tests := []struct {
		name         string
		older, newer *Document
		want         []Change
	}{
		{"changes sorted with field paths", old, newer, []Change{
			{Kind: KindAccessRole, Namespace: "sales", Name: "reps", Type: Modified, Fields: []string{`spec.labels["app.kubernetes.io/name"]`, "spec.members"}},
			{Kind: pa, Namespace: "marketing", Name: "newsletter", Type: Added},
			{Kind: pa, Namespace: "sales", Name: "gone", Type: Removed},
			{Kind: pa, Namespace: "sales", Name: "leads", Type: Modified, Fields: []string{
				"spec.processors[0].contract.expiresAt",
				"spec.processors[1].contract.signedAt",
				"spec.purposes",
				"spec.transfers",
			}},
		}},
		{"from nothing everything is added", nil, mustDocument(t, mustEntry(t, pa, "a", "x", `{}`), mustEntry(t, pa, "a", "y", `{}`)), []Change{
			{Kind: pa, Namespace: "a", Name: "x", Type: Added},
			{Kind: pa, Namespace: "a", Name: "y", Type: Added},
		}},
		{"to nothing everything is removed", mustDocument(t, mustEntry(t, pa, "a", "x", `{}`)), nil, []Change{
			{Kind: pa, Namespace: "a", Name: "x", Type: Removed},
		}},
		{"same documents", old, old, nil},
		{"member added and removed", mustDocument(t, mustEntry(t, pa, "a", "x", `{"dpo": {"name": "A"}}`)), mustDocument(t, mustEntry(t, pa, "a", "x", `{"dpia": {"status": "Done"}}`)), []Change{
			{Kind: pa, Namespace: "a", Name: "x", Type: Modified, Fields: []string{"spec.dpia", "spec.dpo"}},
		}},
		{"null member same as absent", mustDocument(t, mustEntry(t, pa, "a", "x", `{"dpo": null}`)), mustDocument(t, mustEntry(t, pa, "a", "x", `{}`)), nil},
		{"object replaced by scalar", mustDocument(t, mustEntry(t, pa, "a", "x", `{"dpo": {"name": "A"}}`)), mustDocument(t, mustEntry(t, pa, "a", "x", `{"dpo": "A"}`)), []Change{
			{Kind: pa, Namespace: "a", Name: "x", Type: Modified, Fields: []string{"spec.dpo"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Diff(tt.older, tt.newer)); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffCapsFields(t *testing.T) {
	var a, b strings.Builder
	a.WriteString("{")
	b.WriteString("{")
	for i := 0; i < 40; i++ {
		if i > 0 {
			a.WriteString(",")
			b.WriteString(",")
		}
		fmt.Fprintf(&a, `"f%02d":1`, i)
		fmt.Fprintf(&b, `"f%02d":2`, i)
	}
	a.WriteString("}")
	b.WriteString("}")
	changes := Diff(
		mustDocument(t, mustEntry(t, KindCRMDatabase, "a", "x", a.String())),
		mustDocument(t, mustEntry(t, KindCRMDatabase, "a", "x", b.String())),
	)
	if len(changes) != 1 {
		t.Fatalf("got %d changes, want 1", len(changes))
	}
	fields := changes[0].Fields
	if len(fields) != MaxChangedFields {
		t.Fatalf("got %d fields, want %d", len(fields), MaxChangedFields)
	}
	want := []string{"spec.f00", "spec.f01", "spec.f30", "…and 9 more"}
	got := []string{fields[0], fields[1], fields[30], fields[31]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("capped fields (-want +got):\n%s", diff)
	}
}
