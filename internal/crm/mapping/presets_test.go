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

// Related tables merge by name like interaction sources, and a resolved mapping shares no
// slice or link with the preset or the overrides.
func TestResolveMergesRelatedTables(t *testing.T) {
	overrides := Mapping{
		Related: []RelatedTable{
			{Name: "accounts", Table: "account_contact", Key: "contact_id", SoftDeleteColumn: "deleted", Erase: RelatedKeep},
			{Name: "blacklist", Table: "c_blacklist", Key: "email", ContactColumn: "c_email",
				Match: []Match{{Column: "active", Value: "1"}}},
		},
		Contacts: ContactsTable{SoftDeleteRelated: "accounts"},
	}
	m, err := Resolve(PresetEspoCRM, overrides)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range m.Related {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{"email-addresses", "phone-numbers", "accounts", "blacklist"}, names); diff != "" {
		t.Errorf("related names (-want +got):\n%s", diff)
	}
	if r, _ := m.RelatedByName("accounts"); r.Erase != RelatedKeep {
		t.Errorf("the override of accounts was not applied: %+v", r)
	}
	if m.Contacts.SoftDeleteRelated != "accounts" || m.Contacts.Table != "contact" {
		t.Errorf("contacts = %+v", m.Contacts)
	}
	// Changing the result changes neither the overrides nor the preset.
	r, _ := m.RelatedByName("blacklist")
	r.Match[0].Value = "changed"
	m.Related[0].Link.Match[0].Value = "changed"
	if overrides.Related[1].Match[0].Value != "1" {
		t.Error("Resolve shares the overrides' match slice")
	}
	fresh, _ := Preset(PresetEspoCRM)
	if fresh.Related[0].Link.Match[0].Value != "Contact" {
		t.Error("Resolve shares the preset's link")
	}
	clone := fresh.Clone()
	clone.Dependents[2].Match[0].Value = "changed"
	if fresh.Dependents[2].Match[0].Value != "Contact" {
		t.Error("Clone shares a dependent's match slice")
	}
}

// A preset's entries share no match slice: changing one entry of a resolved mapping changes
// no other entry, and no later resolution.
func TestPresetsShareNoMatchSlice(t *testing.T) {
	for _, name := range Presets() {
		m, _ := Resolve(name, Mapping{})
		for i := range m.Dependents {
			for j := range m.Dependents[i].Match {
				m.Dependents[i].Match[j].Value = "changed"
			}
		}
		for _, ia := range m.Interactions {
			for _, mt := range ia.Match {
				if mt.Value == "changed" {
					t.Errorf("preset %s: interaction %s shares a match slice with a dependent", name, ia.Name)
				}
			}
		}
		again, _ := Resolve(name, Mapping{})
		for _, d := range again.Dependents {
			for _, mt := range d.Match {
				if mt.Value == "changed" {
					t.Errorf("preset %s: a resolution changed the preset itself", name)
				}
			}
		}
	}
}
