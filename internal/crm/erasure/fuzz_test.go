package erasure

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/selector"
)

// fuzzPlanner is a planner over the generic mapping that needs no database: its fields
// are resolved from fixed column types (flags integer, times timestamp, the rest text).
func fuzzPlanner(t *testing.T, e crm.Engine) *planner {
	d, err := crm.DialectFor(e)
	if err != nil {
		t.Fatal(err)
	}
	db, err := crm.NewDatabase(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &planner{db: db, m: crmtest.GenericMapping(), tables: map[string]*crm.Table{}}
	p.c, _ = d.QuoteIdent(aliasContacts)
	p.x, _ = d.QuoteIdent(aliasExtension)
	p.key, _ = p.column(aliasContacts, p.m.Contacts.Key)
	p.fields = crm.NewFieldResolver(d, nil, p.m, p.c, p.x)
	cols := map[string]selector.Column{}
	for name, f := range p.m.Fields {
		class := crm.ClassText
		switch crm.FieldRole(name) {
		case crm.RoleFlag:
			class = crm.ClassInteger
		case crm.RoleTime:
			class = crm.ClassTimestamp
		}
		col, _ := p.column(aliasContacts, f.Column)
		st := selector.Storage(class)
		cols[name] = selector.Column{SQL: col, Kind: selector.KindFor(name, st), Storage: st}
	}
	p.fields.SetColumns(cols)
	return p
}

// FuzzSelectorCompile: a selector compiles to SQL whose only variable parts are bound
// parameters: every text value is an argument, never text; unmapped fields, unknown
// operators and values that do not fit their field are SelectorErrors, never a condition
// that selects more.
func FuzzSelectorCompile(f *testing.F) {
	f.Add("lifecycleStage", "In", "prospect", "lead")
	f.Add("optOut", "NotIn", "true", "false")
	f.Add("jobRole", "NotIn", "x' OR '1'='1", "?")
	f.Add("email); DROP TABLE contacts; --", "In", "a", "b")
	f.Add("contactType", "Exists", "", "")
	f.Add("legalHold", "In", "yes", "1")
	f.Fuzz(func(t *testing.T, field, op, v1, v2 string) {
		for _, e := range crm.Engines() {
			p := fuzzPlanner(t, e)
			s := &crm.SQLText{}
			values := []string{v1, v2}
			if op == crm.OpExists || op == crm.OpDoesNotExist {
				values = nil
			}
			err := p.selector(s, "rule", crm.Selector{{Field: field, Operator: op, Values: values}})
			if err != nil {
				var se *crm.SelectorError
				if !errors.As(err, &se) {
					t.Fatalf("%s: error is not a SelectorError: %v", e, err)
				}
				continue
			}
			col, mapped, _ := p.fields.Field(field)
			if !mapped {
				t.Fatalf("%s: unmapped field %q compiled to %q", e, field, s.Text())
			}
			if got := strings.Count(s.Text(), "?"); got != len(s.Args) {
				t.Fatalf("%s: %d markers for %d arguments in %q", e, got, len(s.Args), s.Text())
			}
			if (op == crm.OpIn || op == crm.OpNotIn) && col.Kind == selector.KindText && len(s.Args) != 2 {
				t.Fatalf("%s: values not bound as arguments: %q %v", e, s.Text(), s.Args)
			}
			if col.Kind == selector.KindFlag && (op == crm.OpIn || op == crm.OpNotIn) && (v1 != "true" && v1 != "false" || v2 != "true" && v2 != "false") {
				t.Fatalf("%s: flag values %q, %q accepted", e, v1, v2)
			}
			if strings.Contains(s.Text(), ";") || strings.Contains(s.Text(), "--") {
				t.Fatalf("%s: statement separator or comment in %q", e, s.Text())
			}
		}
	})
}

// FuzzRuleCompile: whole rules (cutoff, renewal kinds, direction) compile with every value
// bound.
func FuzzRuleCompile(f *testing.F) {
	f.Add("call", "Inbound", false)
	f.Add("x'); DELETE FROM contacts; --", "Outbound", true)
	f.Fuzz(func(t *testing.T, kind, direction string, sinceCreated bool) {
		for _, e := range []crm.Engine{crm.EnginePostgres, crm.EngineMySQL} {
			p := fuzzPlanner(t, e)
			s := &crm.SQLText{}
			r := RetentionRule{Name: "r", Cutoff: time.Unix(0, 0), SinceCreated: sinceCreated, RenewKinds: []string{kind}, RenewDirection: direction}
			if err := p.expired(t.Context(), s, "rule", r); err != nil {
				t.Fatalf("%s: %v", e, err)
			}
			if got := strings.Count(s.Text(), "?"); got != len(s.Args) {
				t.Fatalf("%s: %d markers for %d arguments", e, got, len(s.Args))
			}
			if !sinceCreated && !containsArg(s.Args, strings.ToLower(kind)) {
				t.Fatalf("%s: kind %q is not a bound argument of %q", e, kind, s.Text())
			}
		}
	})
}

func containsArg(args []any, v string) bool {
	for _, a := range args {
		if a == v {
			return true
		}
	}
	return false
}
