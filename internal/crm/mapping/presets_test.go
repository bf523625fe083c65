package mapping

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Resolve, Check and the presets are tested through internal/crm (mapping_test.go), which
// also validates the presets against the reference schemas; these cover what only this
// package exposes.
func TestAlternatives(t *testing.T) {
	tests := []struct {
		preset string
		want   []string
	}{
		{PresetSuiteCRM, []string{FieldConsentAt, FieldConsentMethod, FieldLegalBasis}},
		{PresetGeneric, nil},
		{"unknown", nil},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			alts := Alternatives(tt.preset)
			var got []string
			for name := range alts {
				got = append(got, name)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Transformer("sort", sortStrings)); diff != "" {
				t.Errorf("Alternatives(%q) fields (-want +got):\n%s", tt.preset, diff)
			}
			// The caller gets a copy: changing it leaves the preset as it was.
			for name := range alts {
				alts[name][0].Column = "changed"
			}
			for _, fs := range Alternatives(tt.preset) {
				if fs[0].Column == "changed" {
					t.Errorf("Alternatives(%q) returned the preset's own slice", tt.preset)
				}
			}
		})
	}
}

func sortStrings(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
