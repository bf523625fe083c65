package crm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fieldsOf returns the mapping paths of problems, in order.
func fieldsOf(ps []Problem) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Field)
	}
	return out
}

func TestPresetsPassCheck(t *testing.T) {
	for _, name := range Presets() {
		m, ok := Preset(name)
		if !ok {
			t.Fatalf("Preset(%s) not found", name)
		}
		if ps := Check(m); len(ps) > 0 {
			t.Errorf("preset %s has problems: %v", name, ps)
		}
	}
	if diff := cmp.Diff([]string{PresetDolibarr, PresetEspoCRM, PresetGeneric, PresetOdoo, PresetSuiteCRM, PresetVtiger}, Presets()); diff != "" {
		t.Errorf("Presets() (-want +got):\n%s", diff)
	}
}

func TestCheck(t *testing.T) {
	valid := func() Mapping { m, _ := Preset(PresetGeneric); return m }
	for _, tc := range []struct {
		name   string
		mutate func(*Mapping)
		want   []string          // problem paths
		msgs   map[string]string // path → fragment of its message
	}{
		{name: "valid", mutate: func(*Mapping) {}},
		{
			name: "sources and actions spelt as in the Kubernetes API",
			mutate: func(m *Mapping) {
				m.Extension = &ExtensionTable{Table: "contacts_extra", Key: "contact_id"}
				m.Fields["loyaltyNumber"] = Field{Column: "loyalty", Source: "Extension"}
				m.Fields[FieldEmail] = Field{Column: "email", Source: "Contacts"}
				m.Dependents[0].Action = "Delete"
				m.Dependents[2].Action = "Nullify"
			},
		},
		{
			name:   "empty mapping",
			mutate: func(m *Mapping) { *m = Mapping{} },
			want:   []string{"mapping.contacts.table", "mapping.contacts.key"},
			msgs:   map[string]string{"mapping.contacts.table": "is required"},
		},
		{
			name:   "hostile contacts table",
			mutate: func(m *Mapping) { m.Contacts.Table = "contacts; DROP TABLE x" },
			want:   []string{"mapping.contacts.table"},
			msgs:   map[string]string{"mapping.contacts.table": `"contacts; DROP TABLE x" is not a valid SQL identifier: character ';' is not allowed`},
		},
		{
			name: "hostile columns everywhere",
			mutate: func(m *Mapping) {
				m.Contacts.SoftDeleteColumn = `a"b`
				m.Fields[FieldEmail] = Field{Column: "e`mail"}
				m.Interactions[0].Time = "occurred at"
				m.Dependents[1].Column = strings.Repeat("c", 64)
			},
			want: []string{
				"mapping.contacts.softDeleteColumn", "mapping.fields[email].column",
				"mapping.interactions[interactions].time", "mapping.dependents[1].column",
			},
		},
		{
			name: "field names and sources",
			mutate: func(m *Mapping) {
				m.Fields["Bad Name"] = Field{Column: "x"}
				m.Fields["spouse"] = Field{Column: "spouse_name", Source: SourceExtension}
				m.Fields["nickname"] = Field{Column: "nick", Source: "other"}
				m.Fields["hobby"] = Field{}
			},
			want: []string{
				`mapping.fields["Bad Name"]`, "mapping.fields[hobby].column",
				"mapping.fields[nickname].source", "mapping.fields[spouse].source",
			},
			msgs: map[string]string{"mapping.fields[spouse].source": "set mapping.extension"},
		},
		{
			name: "extension",
			mutate: func(m *Mapping) {
				m.Extension = &ExtensionTable{Table: "Contacts"}
			},
			want: []string{"mapping.extension.table", "mapping.extension.key"},
			msgs: map[string]string{"mapping.extension.table": "is the contacts table"},
		},
		{
			name: "interactions",
			mutate: func(m *Mapping) {
				m.Interactions = append(m.Interactions,
					Interaction{Name: "interactions", Table: "calls", ContactKey: "c", Time: "t", Kind: "k", FixedKind: "call"},
					Interaction{Name: "calls", Table: "calls", Time: "t", ContactKey: "contact_id", Link: &InteractionLink{Table: "cc"}},
					Interaction{Table: "x", Time: "t"},
					Interaction{Name: "meetings", Table: "m", Time: "t", ContactKey: "c", FixedKind: "a meeting"},
				)
			},
			want: []string{
				"mapping.interactions[interactions].name", "mapping.interactions[interactions].fixedKind",
				"mapping.interactions[calls].key", "mapping.interactions[calls].contactKey",
				"mapping.interactions[calls].link.interactionKey", "mapping.interactions[calls].link.contactKey",
				"mapping.interactions[3].name", "mapping.interactions[3].contactKey",
				"mapping.interactions[meetings].fixedKind",
			},
			msgs: map[string]string{
				"mapping.interactions[interactions].name":      "same name",
				"mapping.interactions[calls].contactKey":       "link.contactKey",
				"mapping.interactions[interactions].fixedKind": "is set together with kind",
			},
		},
		{
			name: "interactions through a related table",
			mutate: func(m *Mapping) {
				m.Related = []RelatedTable{
					{Name: "addresses", Table: "email_address", Key: "id",
						Link: &RelatedLink{Table: "entity_email_address", ContactKey: "entity_id", RelatedKey: "email_address_id"}},
					{Name: "deals", Table: "deals", Key: "contact_id"},
				}
				m.Interactions = append(m.Interactions,
					Interaction{Name: "senders", Table: "email", ContactKey: "from_id", Time: "t", Related: "addresses"},
					Interaction{Name: "recipients", Table: "email", Key: "id", Time: "t", Related: "addresses",
						Link: &InteractionLink{Table: "email_email_address", InteractionKey: "email_id", ContactKey: "email_address_id"}},
					Interaction{Name: "ghosts", Table: "email", ContactKey: "from_id", Time: "t", Related: "nowhere"},
					Interaction{Name: "one-to-one", Table: "email", ContactKey: "deal_id", Time: "t", Related: "deals"},
				)
			},
			want: []string{"mapping.interactions[ghosts].related", "mapping.interactions[one-to-one].related"},
			msgs: map[string]string{
				"mapping.interactions[ghosts].related":     `names related table "nowhere", which mapping.related does not have`,
				"mapping.interactions[one-to-one].related": "has no link table",
			},
		},
		{
			name: "interaction soft-delete flag in a base table",
			mutate: func(m *Mapping) {
				m.Interactions = append(m.Interactions,
					Interaction{Name: "activities", Table: "activity", Key: "id", ContactKey: "c", Time: "t",
						SoftDeleteColumn: "deleted", SoftDeleteTable: "crmentity", SoftDeleteKey: "crmid"},
					Interaction{Name: "no-flag", Table: "activity", ContactKey: "c", Time: "t", SoftDeleteTable: "crmentity"},
					Interaction{Name: "no-table", Table: "activity", ContactKey: "c", Time: "t", SoftDeleteKey: "crmid"},
				)
			},
			want: []string{
				"mapping.interactions[no-flag].softDeleteKey", "mapping.interactions[no-flag].softDeleteColumn",
				"mapping.interactions[no-flag].key", "mapping.interactions[no-table].softDeleteKey",
			},
			msgs: map[string]string{
				"mapping.interactions[no-flag].softDeleteColumn": "is required with softDeleteTable",
				"mapping.interactions[no-table].softDeleteKey":   "is set without softDeleteTable",
			},
		},
		{
			name: "dependents",
			mutate: func(m *Mapping) {
				m.Dependents = append(m.Dependents,
					Dependent{Table: "notes", Column: "contact_id", Action: ActionNullify},
					Dependent{Table: "tasks", Column: "contact_id", Action: "cascade"},
					Dependent{Table: "contacts", Column: "id", Action: ActionDelete},
					Dependent{Table: "files", Column: "owner"},
					Dependent{Table: "orders", Column: "contact_id", Action: "Hold"},
				)
			},
			want: []string{
				"mapping.dependents[3].column", "mapping.dependents[4].action",
				"mapping.dependents[5].column", "mapping.dependents[6].action",
			},
			msgs: map[string]string{
				"mapping.dependents[3].column": "listed twice",
				"mapping.dependents[4].action": `"cascade" is not an action`,
				"mapping.dependents[5].column": "is the contact key itself",
			},
		},
		{
			name: "personal and restricted fields",
			mutate: func(m *Mapping) {
				m.PersonalFields = append(m.PersonalFields, "shoeSize", FieldEmail)
				m.RestrictedFields = append(m.RestrictedFields,
					RestrictedField{Name: FieldEmail, Column: "other_email"},
					RestrictedField{Name: "spouseName", Column: "spouse"},
				)
			},
			want: []string{
				"mapping.restrictedFields[email].column", "mapping.restrictedFields[spouseName].name",
				"mapping.personalFields[9]", "mapping.personalFields[10]",
			},
			msgs: map[string]string{
				"mapping.personalFields[9]":              "not a mapped field",
				"mapping.personalFields[10]":             "listed twice",
				"mapping.restrictedFields[email].column": "fields[email] maps the same name to another column",
			},
		},
		{
			name: "matches and related tables",
			mutate: func(m *Mapping) {
				m.Dependents[0].Match = []Match{{Column: "parent_type", Value: "Contact' OR '1"}, {Column: "Parent_Type", Value: "x"}}
				m.Interactions[0].Match = []Match{{Column: "model;", Value: "res.partner"}}
				m.Fields[FieldEmail] = Field{Column: "name", Source: SourceRelated, Related: "nowhere"}
				m.Contacts.SoftDeleteRelated = "emails"
				m.Related = []RelatedTable{
					{Name: "emails", Table: "email_address", Key: "id", Erase: "Purge",
						Link: &RelatedLink{Table: "entity_email_address", ContactKey: "entity_id", RelatedKey: ""}},
					{Name: "base", Table: "crmentity", Key: "crmid", Base: true, ContactColumn: "email"},
					{Name: "blacklist", Table: "contacts", Key: "email", ContactColumn: "email", Erase: RelatedDelete},
				}
			},
			want: []string{
				"mapping.contacts.softDeleteRelated", "mapping.contacts.softDeleteColumn",
				"mapping.fields[email].source",
				"mapping.interactions[interactions].match[0].column",
				"mapping.dependents[0].match[0].value", "mapping.dependents[0].match[1].column",
				"mapping.related[emails].erase", "mapping.related[emails].link.relatedKey",
				"mapping.related[base].base",
				"mapping.related[blacklist].table", "mapping.related[blacklist].erase",
			},
			msgs: map[string]string{
				"mapping.contacts.softDeleteRelated":    "not keyed by the contact key",
				"mapping.fields[email].source":          `no entry of mapping.related is named "nowhere"`,
				"mapping.dependents[0].match[0].value":  "must match",
				"mapping.dependents[0].match[1].column": "matched twice",
				"mapping.related[emails].erase":         `"Purge" is not an erasure`,
				"mapping.related[base].base":            "takes no link and no contactColumn",
				"mapping.related[blacklist].erase":      "may belong to others",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := valid()
			tc.mutate(&m)
			ps := Check(m)
			if diff := cmp.Diff(tc.want, fieldsOf(ps), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problem fields (-want +got):\n%s\nproblems: %v", diff, ps)
			}
			for field, fragment := range tc.msgs {
				found := false
				for _, p := range ps {
					if p.Field == field && strings.Contains(p.Message, fragment) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem at %s containing %q; got %v", field, fragment, ps)
				}
			}
		})
	}
}

func TestResolve(t *testing.T) {
	overrides := Mapping{
		Contacts:  ContactsTable{SoftDeleteColumn: "deleted_at"},
		Extension: &ExtensionTable{Table: "contacts_extra", Key: "contact_id"},
		Fields: map[string]Field{
			FieldEmail:      {Column: "email_address"},                   // replaced
			FieldBirthDate:  {},                                          // removed
			"loyaltyNumber": {Column: "loyalty_no", Source: "extension"}, // added
		},
		Interactions: []Interaction{
			{Name: "interactions", Table: "activities", Key: "id", ContactKey: "person_id", Time: "at", Kind: "type"},
			{Name: "emails", Table: "emails", ContactKey: "contact_id", Time: "sent_at", FixedKind: "email"},
		},
		Dependents: []Dependent{
			{Table: "deals", Column: "contact_id", Action: ActionDelete},
			{Table: "tasks", Column: "contact_id", Action: ActionDelete},
		},
		PersonalFields:   []string{FieldEmail, "loyaltyNumber"},
		RestrictedFields: []RestrictedField{{Name: "spouseName", Column: "partner"}},
	}
	got, err := Resolve(PresetGeneric, overrides)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Preset(PresetGeneric)
	want.Contacts.SoftDeleteColumn = "deleted_at"
	want.Extension = &ExtensionTable{Table: "contacts_extra", Key: "contact_id"}
	want.Fields[FieldEmail] = Field{Column: "email_address"}
	delete(want.Fields, FieldBirthDate)
	want.Fields["loyaltyNumber"] = Field{Column: "loyalty_no", Source: SourceExtension}
	want.Interactions = []Interaction{overrides.Interactions[0], overrides.Interactions[1]}
	want.Dependents = []Dependent{
		{Table: "interactions", Column: "contact_id", Action: ActionDelete},
		{Table: "notes", Column: "contact_id", Action: ActionDelete},
		{Table: "deals", Column: "contact_id", Action: ActionDelete},
		{Table: "tasks", Column: "contact_id", Action: ActionDelete},
	}
	want.PersonalFields = append(want.PersonalFields, "loyaltyNumber")
	want.RestrictedFields[2] = RestrictedField{Name: "spouseName", Column: "partner"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
	// The preset itself is not modified by a merge.
	again, _ := Preset(PresetGeneric)
	if again.Fields[FieldEmail].Column != "email" || again.Extension != nil {
		t.Errorf("Resolve changed the preset: %+v", again)
	}
}

func TestResolveKeepsPresetWhenOverridesAreEmpty(t *testing.T) {
	for _, name := range Presets() {
		got, err := Resolve(name, Mapping{})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Preset(name)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Resolve(%s, {}) (-want +got):\n%s", name, diff)
		}
	}
}

func TestResolveWithoutPreset(t *testing.T) {
	in := Mapping{
		Contacts: ContactsTable{Table: "people", Key: "person_id"},
		Fields:   map[string]Field{FieldEmail: {Column: "mail"}, FieldPhone: {}},
	}
	got, err := Resolve(PresetNone, in)
	if err != nil {
		t.Fatal(err)
	}
	want := Mapping{Contacts: in.Contacts, Fields: map[string]Field{FieldEmail: {Column: "mail"}}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Resolve(none) (-want +got):\n%s", diff)
	}
	if _, err := Resolve("salesforce", in); err == nil || !strings.Contains(err.Error(), "generic") {
		t.Errorf("unknown preset error = %v, want one listing the presets", err)
	}
}

func TestCloneIsDeep(t *testing.T) {
	m, _ := Preset(PresetSuiteCRM)
	c := m.Clone()
	c.Extension.Table = "changed"
	c.Fields[FieldPhone] = Field{Column: "changed"}
	c.Interactions[0].Link.Table = "changed"
	c.Dependents[0].Table = "changed"
	if m.Extension.Table == "changed" || m.Fields[FieldPhone].Column == "changed" ||
		m.Interactions[0].Link.Table == "changed" || m.Dependents[0].Table == "changed" {
		t.Fatal("Clone shares state with the original")
	}
}

func TestAllDependentsAddsTheExtension(t *testing.T) {
	parent := []Match{{Column: "setype", Value: "Contacts"}}
	m := Mapping{
		Contacts:   ContactsTable{Table: "contacts", Key: "id"},
		Extension:  &ExtensionTable{Table: "contacts_cstm", Key: "id_c"},
		Dependents: []Dependent{{Table: "calls_contacts", Column: "contact_id", Action: "Delete"}, {Table: "orders", Column: "contact_id", Action: "Hold"}},
		Related: []RelatedTable{
			{Name: "sub", Table: "subdetails", Key: "contact_id", Erase: RelatedDelete, Match: parent},
			{Name: "base", Table: "crmentity", Key: "crmid", Base: true, Erase: RelatedDelete},
			{Name: "emails", Table: "email_address", Key: "id", Erase: RelatedDelete,
				Link: &RelatedLink{Table: "entity_email_address", ContactKey: "entity_id", RelatedKey: "email_address_id"}},
			{Name: "kept", Table: "accounts", Key: "contact_id"},
		},
	}
	// The listed dependents, the extension row, then the 1:1 related rows to delete; a
	// base table's row goes after the contact, linked rows through their link (the sweep).
	// A Hold dependent is not handled: its contacts are held (HoldDependents).
	want := []Dependent{
		{Table: "calls_contacts", Column: "contact_id", Action: ActionDelete},
		{Table: "contacts_cstm", Column: "id_c", Action: ActionDelete},
		{Table: "subdetails", Column: "contact_id", Action: ActionDelete, Match: parent},
	}
	if diff := cmp.Diff(want, m.AllDependents()); diff != "" {
		t.Errorf("AllDependents (-want +got):\n%s", diff)
	}
	wantHold := []Dependent{{Table: "orders", Column: "contact_id", Action: ActionHold}}
	if diff := cmp.Diff(wantHold, m.HoldDependents()); diff != "" {
		t.Errorf("HoldDependents (-want +got):\n%s", diff)
	}
}

func TestWellKnownFields(t *testing.T) {
	want := []string{
		"birthDate", "company", "consentAt", "consentMethod", "contactType", "createdAt", "email", "firstName",
		"jobRole", "lastContactAt", "lastName", "legalBasis", "legalHold", "lifecycleStage", "optOut", "optOutAt", "phone",
	}
	if diff := cmp.Diff(want, WellKnownFields()); diff != "" {
		t.Errorf("WellKnownFields (-want +got):\n%s", diff)
	}
	if FieldRole("shoeSize") != RoleAny || FieldRole(FieldConsentAt) != RoleTime {
		t.Error("FieldRole")
	}
}

func TestProblemsMessage(t *testing.T) {
	ps := []Problem{
		{Field: "mapping.contacts.key", Message: "is required"},
		{Field: "mapping.fields[email].column", Message: "column emial does not exist"},
		{Field: "mapping.dependents[0].action", Message: "is required"},
	}
	for _, tc := range []struct {
		limit int
		want  string
	}{
		{0, "mapping.contacts.key: is required; mapping.fields[email].column: column emial does not exist; mapping.dependents[0].action: is required"},
		{100, "mapping.contacts.key: is required; mapping.fields[email].column: column emial does not exist; and 1 more"},
		{10, "3 problems in the mapping"},
	} {
		if got := ProblemsMessage(ps, tc.limit); got != tc.want {
			t.Errorf("ProblemsMessage(limit %d) = %q, want %q", tc.limit, got, tc.want)
		}
	}
}
