package register

import (
	"encoding/json"
	"testing"
)

func TestHumanize(t *testing.T) {
	tests := map[string]string{
		"expiresAt":             "expires at",
		"privacyNoticeURI":      "privacy notice URI",
		"DPIAReference":         "DPIA reference",
		"dpiaReference":         "dpia reference",
		"subProcessorsAllowed":  "sub processors allowed",
		"name":                  "name",
		"legitimateInterestRef": "legitimate interest ref",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := humanize(in); got != want {
				t.Errorf("humanize(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestTermWords(t *testing.T) {
	tests := map[string]string{"24m": "24 months", "1y": "1 year", "10y": "10 years", "30d": "30 days", "1d": "1 day", "3w": "3w", "m": "m", "": "", "x4m": "x4m"}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := termWords(in); got != want {
				t.Errorf("termWords(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, ""},
		{"bool", true, "yes"},
		{"number", json.Number("12.5"), "12.5"},
		{"list skips empty", []any{"a", "", nil, "b"}, "a; b"},
		{"object name first", map[string]any{"role": "hosting", "name": "Acme", "country": "FR", "empty": ""}, "Acme (country: FR, role: hosting)"},
		{"object without name", map[string]any{"expiresAt": "2027-01-01"}, "expires at: 2027-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := text(tt.in); got != tt.want {
				t.Errorf("text(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
