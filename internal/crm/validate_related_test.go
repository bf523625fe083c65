package crm

import (
	"database/sql"
	"testing"

	"github.com/google/go-cmp/cmp"
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
