package crm

import (
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// MatchSQL writes a plain match as an equality and a lookup match as a subquery on the
// lookup table, quoted for each engine; an invalid value or identifier is an error, never
// rendered.
func TestMatchSQL(t *testing.T) {
	lookup := Match{Column: "fk_c_type_contact", Value: "external",
		Lookup: &mapping.MatchLookup{Table: "llx_c_type_contact", Key: "rowid", Column: "source"}}
	cases := []struct {
		engine Engine
		alias  string
		ms     []Match
		want   string
	}{
		{EnginePostgres, "", []Match{{Column: "model", Value: "res.partner"}}, ` AND "model" = 'res.partner'`},
		{EngineMySQL, "h", []Match{{Column: "element_type", Value: "socpeople"}, lookup},
			" AND `h`.`element_type` = 'socpeople' AND `h`.`fk_c_type_contact` IN (SELECT `rowid` FROM `llx_c_type_contact` WHERE `source` = 'external')"},
		{EngineSQLite, "", []Match{lookup},
			` AND "fk_c_type_contact" IN (SELECT "rowid" FROM "llx_c_type_contact" WHERE "source" = 'external')`},
	}
	for _, c := range cases {
		d, err := DialectFor(c.engine)
		if err != nil {
			t.Fatal(err)
		}
		got, err := MatchSQL(d, c.alias, c.ms)
		if err != nil || got != c.want {
			t.Errorf("%s: MatchSQL = %q, %v; want %q", c.engine, got, err, c.want)
		}
	}
	d, _ := DialectFor(EnginePostgres)
	bad := lookup
	bad.Value = "x' OR '1'='1"
	if got, err := MatchSQL(d, "", []Match{bad}); err == nil {
		t.Errorf("MatchSQL with a quote in the value = %q; want an error", got)
	}
	bad = Match{Column: "c", Value: "v", Lookup: &mapping.MatchLookup{Table: "t; DROP TABLE x", Key: "k", Column: "c"}}
	if got, err := MatchSQL(d, "", []Match{bad}); err == nil {
		t.Errorf("MatchSQL with an invalid lookup table = %q; want an error", got)
	}
}
