package selector

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testColumns maps fields to columns of each kind and storage.
func testColumns(field string) (Column, bool) {
	cols := map[string]Column{
		"optOut":         {SQL: `c."opt_out"`, Kind: KindFlag, Storage: StorageBoolean},
		"legalHold":      {SQL: `c."hold"`, Kind: KindFlag, Storage: StorageText},
		"intFlag":        {SQL: `c."f"`, Kind: KindFlag, Storage: StorageInteger},
		"lifecycleStage": {SQL: `c."stage"`, Kind: KindText, Storage: StorageText},
		"code":           {SQL: `c."code"`, Kind: KindText, Storage: StorageUUID},
		"score":          {SQL: `c."score"`, Kind: KindNumber, Storage: StorageInteger},
		"createdAt":      {SQL: `c."created_at"`, Kind: KindTime, Storage: StorageTimestamp},
	}
	c, ok := cols[field]
	return c, ok
}

func TestCompile(t *testing.T) {
	cases := []struct {
		name   string
		engine Engine
		mode   Mode
		sel    Selector
		want   string
		args   []any
	}{
		{"empty", Postgres, Bind, nil, "(1=1)", nil},
		{"text in, postgres", Postgres, Bind, Selector{{"lifecycleStage", OpIn, []string{"a", "b"}}},
			`(c."stage" IS NOT NULL AND c."stage" IN (?, ?))`, []any{"a", "b"}},
		{"text not in, mysql compares bytes", MySQL, Bind, Selector{{"lifecycleStage", OpNotIn, []string{"a"}}},
			`(c."stage" IS NOT NULL AND CAST(CONVERT(c."stage" USING utf8mb4) AS BINARY) NOT IN (?))`, []any{"a"}},
		{"text, sqlite binary collation", SQLite, Bind, Selector{{"lifecycleStage", OpIn, []string{"a"}}},
			`(c."stage" IS NOT NULL AND CAST(c."stage" AS TEXT) COLLATE BINARY IN (?))`, []any{"a"}},
		{"text on a uuid column, postgres", Postgres, Bind, Selector{{"code", OpIn, []string{"x"}}},
			`(c."code" IS NOT NULL AND CAST(c."code" AS text) IN (?))`, []any{"x"}},
		{"number, postgres", Postgres, Bind, Selector{{"score", OpIn, []string{"007", "-1", "+2"}}},
			`(c."score" IS NOT NULL AND c."score" IN (CAST(? AS bigint), CAST(? AS bigint), CAST(? AS bigint)))`, []any{int64(7), int64(-1), int64(2)}},
		{"number, mysql", MySQL, Bind, Selector{{"score", OpNotIn, []string{"0"}}},
			`(c."score" IS NOT NULL AND c."score" NOT IN (?))`, []any{int64(0)}},
		{"boolean flag true", Postgres, Bind, Selector{{"optOut", OpIn, []string{"true"}}}, `(c."opt_out" IS TRUE)`, nil},
		{"boolean flag not in true", Postgres, Bind, Selector{{"optOut", OpNotIn, []string{"true"}}}, `(c."opt_out" IS FALSE)`, nil},
		{"flag both values is exists", Postgres, Bind, Selector{{"optOut", OpIn, []string{"true", "false"}}}, `(c."opt_out" IS NOT NULL)`, nil},
		{"flag not in both values is nothing", MySQL, Bind, Selector{{"optOut", OpNotIn, []string{"false", "true"}}}, `(1=0)`, nil},
		{"integer flag, postgres", Postgres, Bind, Selector{{"intFlag", OpIn, []string{"true"}}}, `(c."f" IS NOT NULL AND c."f" <> 0)`, nil},
		{"integer flag false, mysql", MySQL, Bind, Selector{{"intFlag", OpIn, []string{"false"}}},
			`(c."f" IS NOT NULL AND NOT (c."f" IS NOT NULL AND c."f" <> 0))`, nil},
		{"text flag, postgres", Postgres, Bind, Selector{{"legalHold", OpIn, []string{"true"}}},
			`(c."hold" IS NOT NULL AND LOWER(TRIM(c."hold")) IN ('1', 't', 'true', 'y', 'yes'))`, nil},
		{"text flag, mysql", MySQL, Bind, Selector{{"legalHold", OpIn, []string{"true"}}},
			`(c."hold" IS NOT NULL AND CAST(LOWER(TRIM(CONVERT(c."hold" USING utf8mb4))) AS BINARY) IN ('1', 't', 'true', 'y', 'yes'))`, nil},
		{"any flag, sqlite reads the stored type", SQLite, Bind, Selector{{"optOut", OpIn, []string{"true"}}},
			`(CASE WHEN typeof(c."opt_out") IN ('integer', 'real') THEN c."opt_out" <> 0 WHEN typeof(c."opt_out") = 'text' THEN LOWER(TRIM(c."opt_out")) IN ('1', 't', 'true', 'y', 'yes') ELSE 0 END)`, nil},
		{"exists and does not exist", SQLite, Bind, Selector{{"createdAt", OpExists, nil}, {"lifecycleStage", OpDoesNotExist, nil}},
			`(c."created_at" IS NOT NULL) AND (c."stage" IS NULL)`, nil},
		{"literals for a policy", Postgres, Literals, Selector{{"lifecycleStage", OpIn, []string{`o'hara\`}}, {"score", OpIn, []string{"3"}}},
			`(c."stage" IS NOT NULL AND c."stage" IN (E'o''hara\\')) AND (c."score" IS NOT NULL AND c."score" IN (CAST(3 AS bigint)))`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Compiler{Engine: tc.engine, Mode: tc.mode, Columns: testColumns}
			got, args, err := c.Compile("spec.selector", tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Compile =\n  %s\nwant\n  %s", got, tc.want)
			}
			if diff := cmp.Diff(tc.args, args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileRefuses(t *testing.T) {
	cases := []struct {
		name      string
		sel       Selector
		wantField string
	}{
		{"unmapped field", Selector{{"shoeSize", OpExists, nil}}, "spec.selector.matchExpressions[0].field"},
		{"unknown operator", Selector{{"lifecycleStage", "Like", []string{"a%"}}}, "spec.selector.matchExpressions[0].operator"},
		{"In without values", Selector{{"lifecycleStage", OpIn, nil}}, "spec.selector.matchExpressions[0].values"},
		{"Exists with values", Selector{{"lifecycleStage", OpExists, []string{"a"}}}, "spec.selector.matchExpressions[0].values"},
		{"flag yes", Selector{{"lifecycleStage", OpExists, nil}, {"optOut", OpIn, []string{"true", "yes"}}}, "spec.selector.matchExpressions[1].values[1]"},
		{"flag t", Selector{{"optOut", OpIn, []string{"t"}}}, "spec.selector.matchExpressions[0].values[0]"},
		{"flag 1", Selector{{"optOut", OpIn, []string{"1"}}}, "spec.selector.matchExpressions[0].values[0]"},
		{"flag uppercase", Selector{{"optOut", OpIn, []string{"TRUE"}}}, "spec.selector.matchExpressions[0].values[0]"},
		{"number true", Selector{{"score", OpIn, []string{"true"}}}, "spec.selector.matchExpressions[0].values[0]"},
		{"number decimal", Selector{{"score", OpIn, []string{"1.5"}}}, "spec.selector.matchExpressions[0].values[0]"},
		{"number spaces", Selector{{"score", OpIn, []string{" 1"}}}, "spec.selector.matchExpressions[0].values[0]"},
		{"number sign twice", Selector{{"score", OpIn, []string{"+-1"}}}, "spec.selector.matchExpressions[0].values[0]"},
		{"number too large", Selector{{"score", OpIn, []string{"99999999999999999999"}}}, "spec.selector.matchExpressions[0].values[0]"},
		{"time In", Selector{{"createdAt", OpIn, []string{"2020-01-01"}}}, "spec.selector.matchExpressions[0].operator"},
		{"NUL text", Selector{{"lifecycleStage", OpIn, []string{"a\x00"}}}, "spec.selector.matchExpressions[0].values[0]"},
		{"invalid UTF-8", Selector{{"lifecycleStage", OpIn, []string{"\xff"}}}, "spec.selector.matchExpressions[0].values[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range []Engine{Postgres, MySQL, SQLite} {
				_, _, err := Compiler{Engine: e, Columns: testColumns}.Compile("spec.selector", tc.sel)
				var se *Error
				if !errors.As(err, &se) || se.Field != tc.wantField {
					t.Fatalf("%s: err = %v, want an *Error at %s", e, err, tc.wantField)
				}
				_, rerr := Evaluate("spec.selector", tc.sel, testColumns, Row{})
				if rerr == nil || rerr.Error() != err.Error() {
					t.Errorf("%s: Evaluate err = %v, want the compiler's %v", e, rerr, err)
				}
			}
		})
	}
	if _, _, err := (Compiler{Engine: MySQL, Mode: Literals, Columns: testColumns}).Compile("p", nil); err == nil {
		t.Error("literals compiled for MySQL")
	}
}

func TestEvaluate(t *testing.T) {
	in := func(f string, v ...string) Selector { return Selector{{f, OpIn, v}} }
	notIn := func(f string, v ...string) Selector { return Selector{{f, OpNotIn, v}} }
	cases := []struct {
		name string
		sel  Selector
		row  Row
		want bool
	}{
		{"empty selects all", nil, Row{}, true},
		{"NULL is not In", in("lifecycleStage", "a"), Row{}, false},
		{"NULL is not NotIn", notIn("lifecycleStage", "a"), Row{"lifecycleStage": nil}, false},
		{"NULL flag is not false", in("optOut", "false"), Row{}, false},
		{"NULL flag is not NotIn true", notIn("optOut", "true"), Row{}, false},
		{"empty text is a value", notIn("lifecycleStage", "a"), Row{"lifecycleStage": ""}, true},
		{"text is exact", in("lifecycleStage", "prospect"), Row{"lifecycleStage": "Prospect"}, false},
		{"trailing space counts", in("lifecycleStage", "prospect"), Row{"lifecycleStage": "prospect "}, false},
		{"bytes are text", in("lifecycleStage", "a"), Row{"lifecycleStage": []byte("a")}, true},
		{"integer as text", in("code", "12"), Row{"code": int64(12)}, true},
		{"number numerically", in("score", "01"), Row{"score": int64(1)}, true},
		{"number float", in("score", "3"), Row{"score": 3.0}, true},
		{"text in a number column", notIn("score", "1"), Row{"score": "1"}, true},
		{"flag integer 2 is set", in("intFlag", "true"), Row{"intFlag": int64(2)}, true},
		{"flag -1 is set", in("intFlag", "true"), Row{"intFlag": int32(-1)}, true},
		{"flag 0 is unset", in("intFlag", "false"), Row{"intFlag": int64(0)}, true},
		{"flag ' true' is set", in("legalHold", "true"), Row{"legalHold": " true"}, true},
		{"flag 'TRUE' is set", in("legalHold", "true"), Row{"legalHold": "TRUE"}, true},
		{"flag 'Yes ' is set", in("legalHold", "true"), Row{"legalHold": "Yes "}, true},
		{"flag tab is not trimmed", in("legalHold", "true"), Row{"legalHold": "true\t"}, false},
		{"flag '2' text is unset", in("legalHold", "false"), Row{"legalHold": "2"}, true},
		{"flag '' is unset", in("legalHold", "false"), Row{"legalHold": ""}, true},
		{"flag on is unset", in("legalHold", "true"), Row{"legalHold": "on"}, false},
		{"flag blob is unset", in("optOut", "false"), Row{"optOut": []byte("true")}, true},
		{"flag bool", in("optOut", "true"), Row{"optOut": true}, true},
		{"flag both values is exists", in("optOut", "true", "false"), Row{"optOut": "x"}, true},
		{"flag NotIn both values is nothing", notIn("optOut", "true", "false"), Row{"optOut": true}, false},
		{"conjunction", Selector{{"lifecycleStage", OpExists, nil}, {"score", OpDoesNotExist, nil}}, Row{"lifecycleStage": "a"}, true},
		{"conjunction fails", Selector{{"lifecycleStage", OpExists, nil}, {"score", OpDoesNotExist, nil}}, Row{"lifecycleStage": "a", "score": int64(0)}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Evaluate("s", tc.sel, testColumns, tc.row)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKindFor(t *testing.T) {
	cases := []struct {
		field string
		s     Storage
		want  Kind
	}{
		{"optOut", StorageInteger, KindFlag},
		{"legalHold", StorageText, KindFlag},
		{"email", StorageText, KindText},
		{"createdAt", StorageTimestamp, KindTime},
		{"contactType", StorageText, KindText},
		{"contactType", StorageInteger, KindNumber},
		{"newsletter", StorageBoolean, KindFlag},
		{"newsletter", StorageInteger, KindNumber},
		{"leadScore", StorageNumeric, KindNumber},
		{"renewalDate", StorageDate, KindTime},
		{"region", StorageUnknown, KindText},
		{"externalId", StorageUUID, KindText},
	}
	for _, tc := range cases {
		if got := KindFor(tc.field, tc.s); got != tc.want {
			t.Errorf("KindFor(%s, %s) = %s, want %s", tc.field, tc.s, got, tc.want)
		}
	}
}
