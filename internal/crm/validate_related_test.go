package crm

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// Validate checks matches and related tables against the real schema: a match value that
// does not fit its column's type, a related table or column that does not exist, each
// reported with its kind, table and column.
func TestValidateMatchesAndRelated(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB) {
		loadSample(t, admin, genericSample(ec.engine))
		m, _ := Preset(PresetGeneric)
		m.Dependents[1].Match = []Match{{Column: "id", Value: "abc"}}
		m.Interactions[0].Match = []Match{{Column: "kind", Value: "call"}}
		m.Related = []RelatedTable{
			{Name: "deals", Table: "deals", Key: "contact_id"},
			{Name: "ghost", Table: "ghosts", Key: "id"},
		}
		m.Fields["dealTitle"] = Field{Column: "title", Source: SourceRelated, Related: "deals"}
		m.Fields["dealStage"] = Field{Column: "phase", Source: SourceRelated, Related: "deals"}
		ps, err := Validate(testContext(t), crm, m)
		if err != nil {
			t.Fatal(err)
		}
		type got struct {
			Field  string
			Kind   ProblemKind
			Table  string
			Column string
		}
		var have []got
		for _, p := range ps {
			have = append(have, got{p.Field, p.Kind, p.Table, p.Column})
		}
		want := []got{
			{"mapping.related[ghost].table", ProblemMissingTable, "ghosts", ""},
			{"mapping.fields[dealStage].column", ProblemMissingColumn, "deals", "phase"},
			{"mapping.dependents[1].match[0].value", ProblemInvalid, "", ""},
		}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Errorf("problems (-want +got):\n%s\n%s", diff, problemsText(ps))
		}
	})
}

// An interaction that reaches contacts through a related table (EspoCRM's e-mails by
// address) is checked against the related table's key, not the contact key: a time
// column, and an integer link column that cannot join to the e-mail address id, are
// reported.
func TestValidateInteractionThroughRelated(t *testing.T) {
	tdb := testdb.MariaDB(t)
	loadSample(t, tdb.Open(t), "espocrm-mysql.sql")
	db := openCRM(t, tdb)
	m, _ := Preset(PresetEspoCRM)
	for i := range m.Interactions {
		switch m.Interactions[i].Name {
		case "email-senders":
			m.Interactions[i].ContactKey = "date_sent"
		case "email-recipients":
			m.Interactions[i].Link.ContactKey = "id"
		}
	}
	ps, err := Validate(testContext(t), db, m)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"mapping.interactions[email-senders].contactKey":         "a reference to the related table's key needs",
		"mapping.interactions[email-recipients].link.contactKey": "but the key email_address.id of related table email-addresses is varchar(17)",
	}
	wantProblems(t, ps, want)
}

// An interaction whose soft-delete flag is in a base table (vtiger's activities) is
// checked against that table: a key column that cannot join to the interaction key, and a
// flag missing from the base table, are reported there.
func TestValidateInteractionSoftDeleteTable(t *testing.T) {
	tdb := testdb.MariaDB(t)
	loadSample(t, tdb.Open(t), "vtiger-mysql.sql")
	db := openCRM(t, tdb)
	m, _ := Preset(PresetVtiger)
	m.Interactions[0].SoftDeleteKey = "setype"
	m.Interactions[1].SoftDeleteColumn = "removed"
	ps, err := Validate(testContext(t), db, m)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"mapping.interactions[activities].softDeleteKey":            "column vtiger_crmentity.setype has type",
		"mapping.interactions[related-activities].softDeleteColumn": "removed",
	}
	wantProblems(t, ps, want)
}

// wantProblems checks that ps has exactly one problem per field of want, each message
// containing the fragment want gives for its field.
func wantProblems(t *testing.T, ps []Problem, want map[string]string) {
	t.Helper()
	if len(ps) != len(want) {
		t.Fatalf("problems = %s; want %d", problemsText(ps), len(want))
	}
	for _, p := range ps {
		if frag, ok := want[p.Field]; !ok || !strings.Contains(p.Message, frag) {
			t.Errorf("problem %s: %s; want one containing %q", p.Field, p.Message, want[p.Field])
		}
	}
}

// A match through a lookup table (Dolibarr's element_contact role → llx_c_type_contact.source)
// is checked like every mapped column: the preset's own lookup is clean; a lookup table
// that does not exist, a lookup key that is not a column, a referencing column that cannot
// join the key, and a value that does not fit the lookup column are each reported.
func TestValidateLookupMatch(t *testing.T) {
	tdb := testdb.MariaDB(t)
	loadSample(t, tdb.Open(t), "dolibarr-mysql.sql")
	db := openCRM(t, tdb)
	m, _ := Preset(PresetDolibarr)
	if ps, err := Validate(testContext(t), db, m); err != nil || len(ps) != 0 {
		t.Fatalf("the Dolibarr preset on its fixture: problems %s, err %v; want none", problemsText(ps), err)
	}
	i := dependentIndex(t, m, "llx_element_contact")
	cases := []struct {
		name   string
		change func(*Match)
		want   map[string]string
	}{
		{"missing lookup table", func(x *Match) { x.Lookup.Table = "llx_c_type_contacts" },
			map[string]string{"mapping.dependents[%d].match[0].lookup.table": "table llx_c_type_contacts does not exist"}},
		{"missing lookup key", func(x *Match) { x.Lookup.Key = "id" },
			map[string]string{"mapping.dependents[%d].match[0].lookup.key": "column id does not exist in table llx_c_type_contact"}},
		{"column that cannot join the key", func(x *Match) { x.Column = "datecreate" },
			map[string]string{"mapping.dependents[%d].match[0].column": "column llx_element_contact.datecreate has type datetime"}},
		{"value that does not fit the lookup column", func(x *Match) { x.Lookup.Column = "active" },
			map[string]string{"mapping.dependents[%d].match[0].value": "column llx_c_type_contact.active has type tinyint"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mm, _ := Preset(PresetDolibarr)
			c.change(&mm.Dependents[i].Match[0])
			ps, err := Validate(testContext(t), db, mm)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for k, v := range c.want {
				want[fmt.Sprintf(k, i)] = v
			}
			wantProblems(t, ps, want)
		})
	}
}

// dependentIndex is the index of the dependent on table in m.
func dependentIndex(t *testing.T, m Mapping, table string) int {
	t.Helper()
	for i, d := range m.Dependents {
		if d.Table == table {
			return i
		}
	}
	t.Fatalf("no dependent on %s", table)
	return -1
}
