package apimapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

func TestFromAPI(t *testing.T) {
	full := &privacyv1alpha1.SchemaMapping{
		Contacts:  &privacyv1alpha1.ContactsMapping{Table: "contacts", Key: "id", SoftDeleteColumn: "deleted"},
		Extension: &privacyv1alpha1.ExtensionMapping{Table: "contacts_cstm", Key: "id_c"},
		Fields: []privacyv1alpha1.FieldMapping{
			{Name: "email", Column: "email1"},
			{Name: "contactType", Column: "contact_type_c", Source: privacyv1alpha1.SourceExtension},
		},
		Interactions: []privacyv1alpha1.InteractionSource{
			{Name: "calls", Table: "calls", Key: "id", Time: "date_start", FixedKind: "call", Direction: "direction", SoftDeleteColumn: "deleted",
				Link: &privacyv1alpha1.InteractionLink{Table: "calls_contacts", InteractionKey: "call_id", ContactKey: "contact_id", SoftDeleteColumn: "deleted"}},
			{Name: "notes", Table: "notes", ContactKey: "contact_id", Time: "created_at", Kind: "kind"},
		},
		Dependents: []privacyv1alpha1.DependentTable{
			{Table: "notes", Column: "contact_id", Action: privacyv1alpha1.DependentDelete},
			{Table: "deals", Column: "contact_id", Action: privacyv1alpha1.DependentNullify},
			{Table: "orders", Column: "contact_id", Action: privacyv1alpha1.DependentHold},
			{Table: "roles", Column: "person_id", Action: privacyv1alpha1.DependentDelete, Match: []privacyv1alpha1.ColumnMatch{
				{Column: "kind", Value: "doc"},
				{Column: "role_id", Value: "external", Lookup: &privacyv1alpha1.MatchLookup{Table: "role_types", Key: "id", Column: "source"}}}},
		},
		PersonalFields:   []privacyv1alpha1.LogicalFieldName{"email", "spouseName"},
		RestrictedFields: []privacyv1alpha1.RestrictedField{{Name: "spouseName", Column: "spouse_c", Source: privacyv1alpha1.SourceExtension}},
	}
	tests := []struct {
		name string
		in   *privacyv1alpha1.SchemaMapping
		want mapping.Mapping
	}{
		{name: "no explicit mapping", in: nil, want: mapping.Mapping{Fields: map[string]mapping.Field{}}},
		{name: "empty mapping", in: &privacyv1alpha1.SchemaMapping{}, want: mapping.Mapping{Fields: map[string]mapping.Field{}}},
		{name: "every part", in: full, want: mapping.Mapping{
			Contacts:  mapping.ContactsTable{Table: "contacts", Key: "id", SoftDeleteColumn: "deleted"},
			Extension: &mapping.ExtensionTable{Table: "contacts_cstm", Key: "id_c"},
			Fields: map[string]mapping.Field{
				"email":       {Column: "email1", Source: mapping.SourceContacts},
				"contactType": {Column: "contact_type_c", Source: mapping.SourceExtension},
			},
			Interactions: []mapping.Interaction{
				{Name: "calls", Table: "calls", Key: "id", Time: "date_start", FixedKind: "call", Direction: "direction", SoftDeleteColumn: "deleted",
					Link: &mapping.InteractionLink{Table: "calls_contacts", InteractionKey: "call_id", ContactKey: "contact_id", SoftDeleteColumn: "deleted"}},
				{Name: "notes", Table: "notes", ContactKey: "contact_id", Time: "created_at", Kind: "kind"},
			},
			Dependents: []mapping.Dependent{
				{Table: "notes", Column: "contact_id", Action: mapping.ActionDelete},
				{Table: "deals", Column: "contact_id", Action: mapping.ActionNullify},
				{Table: "orders", Column: "contact_id", Action: mapping.ActionHold},
				{Table: "roles", Column: "person_id", Action: mapping.ActionDelete, Match: []mapping.Match{
					{Column: "kind", Value: "doc"},
					{Column: "role_id", Value: "external", Lookup: &mapping.MatchLookup{Table: "role_types", Key: "id", Column: "source"}}}},
			},
			PersonalFields:   []string{"email", "spouseName"},
			RestrictedFields: []mapping.RestrictedField{{Name: "spouseName", Column: "spouse_c", Source: mapping.SourceExtension}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, FromAPI(tc.in)); diff != "" {
				t.Errorf("FromAPI (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFromAPICarriesEveryField fills every string of an API mapping with a distinct value
// and checks that each one reaches the converted mapping: a field added to the API and
// forgotten here (the plugin's own copy once dropped softDeleteColumn and interactions)
// fails this test.
func TestFromAPICarriesEveryField(t *testing.T) {
	sm := &privacyv1alpha1.SchemaMapping{}
	var values []string
	fill(reflect.ValueOf(sm).Elem(), "", &values)
	// JSON follows every pointer (links, lookups), where %+v would print addresses.
	b, err := json.Marshal(FromAPI(sm))
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, v := range values {
		if !strings.Contains(got, v) {
			t.Errorf("the value of %s does not reach the converted mapping", v)
		}
	}
}

// fill sets every string reachable from v (through pointers, structs and one-element
// slices) to a value naming its path, and records the values; enum-like fields (sources,
// actions) are left alone, as they are converted, not copied.
func fill(v reflect.Value, path string, values *[]string) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), path, values)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i), path+"."+v.Type().Field(i).Name, values)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), path+"[0]", values)
	case reflect.String:
		switch v.Type() {
		case reflect.TypeOf(privacyv1alpha1.FieldSource("")), reflect.TypeOf(privacyv1alpha1.DependentAction("")),
			reflect.TypeOf(privacyv1alpha1.RelatedErase("")):
			return
		}
		s := "v" + strings.NewReplacer(".", "_", "[", "_", "]", "_").Replace(path)
		v.SetString(s)
		*values = append(*values, s)
	}
}
