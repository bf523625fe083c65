package crm

import (
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		engine   Engine
		declared string
		want     TypeClass
	}{
		{EnginePostgres, "boolean", ClassBoolean},
		{EnginePostgres, "bigint", ClassInteger},
		{EnginePostgres, "integer", ClassInteger},
		{EnginePostgres, "numeric", ClassNumeric},
		{EnginePostgres, "text", ClassText},
		{EnginePostgres, "character varying", ClassText},
		{EnginePostgres, "character", ClassText},
		{EnginePostgres, "citext", ClassText},
		{EnginePostgres, "uuid", ClassUUID},
		{EnginePostgres, "date", ClassDate},
		{EnginePostgres, "timestamp with time zone", ClassTimestamp},
		{EnginePostgres, "timestamp without time zone", ClassTimestamp},
		{EnginePostgres, "time without time zone", ClassTimeOfDay},
		{EnginePostgres, "jsonb", ClassJSON},
		{EnginePostgres, "bytea", ClassBinary},
		{EnginePostgres, "text[]", ClassOther},
		{EnginePostgres, "interval", ClassOther},

		{EngineMySQL, "tinyint(1)", ClassBoolean},
		{EngineMySQL, "tinyint(4)", ClassInteger},
		{EngineMySQL, "tinyint(1) unsigned", ClassBoolean},
		{EngineMySQL, "bit(1)", ClassBoolean},
		{EngineMySQL, "bit(8)", ClassOther},
		{EngineMySQL, "int(11)", ClassInteger},
		{EngineMySQL, "int", ClassInteger},
		{EngineMySQL, "bigint(20) unsigned", ClassInteger},
		{EngineMySQL, "decimal(14,2)", ClassNumeric},
		{EngineMySQL, "float(11,8)", ClassNumeric},
		{EngineMySQL, "char(36)", ClassText},
		{EngineMySQL, "varchar(255)", ClassText},
		{EngineMySQL, "longtext", ClassText},
		{EngineMySQL, "enum('B2B','B2C')", ClassText},
		{EngineMySQL, "uuid", ClassUUID},
		{EngineMySQL, "date", ClassDate},
		{EngineMySQL, "datetime(6)", ClassTimestamp},
		{EngineMySQL, "timestamp", ClassTimestamp},
		{EngineMySQL, "time", ClassTimeOfDay},
		{EngineMySQL, "year(4)", ClassOther},
		{EngineMySQL, "blob", ClassBinary},

		// SQLite: affinity rules first, then date/time names (NUMERIC affinity).
		{EngineSQLite, "INTEGER", ClassInteger},
		{EngineSQLite, "BIGINT", ClassInteger},
		{EngineSQLite, "TINYINT(1)", ClassInteger},
		{EngineSQLite, "BOOLEAN", ClassBoolean},
		{EngineSQLite, "TEXT", ClassText},
		{EngineSQLite, "VARCHAR(255)", ClassText},
		{EngineSQLite, "CLOB", ClassText},
		{EngineSQLite, "BLOB", ClassBinary},
		{EngineSQLite, "REAL", ClassNumeric},
		{EngineSQLite, "DOUBLE PRECISION", ClassNumeric},
		{EngineSQLite, "NUMERIC", ClassNumeric},
		{EngineSQLite, "DECIMAL(10,2)", ClassNumeric},
		{EngineSQLite, "DATETIME", ClassTimestamp},
		{EngineSQLite, "timestamp", ClassTimestamp},
		{EngineSQLite, "DATE", ClassDate},
		{EngineSQLite, "TIME", ClassTimeOfDay},
		{EngineSQLite, "UUID", ClassUUID},
		{EngineSQLite, "", ClassUnknown},
	} {
		t.Run(string(tc.engine)+"/"+tc.declared, func(t *testing.T) {
			d, _ := DialectFor(tc.engine)
			if got := d.classify(tc.declared); got != tc.want {
				t.Errorf("classify(%q) = %s, want %s", tc.declared, got, tc.want)
			}
		})
	}
}

func TestRoleAccepts(t *testing.T) {
	all := []TypeClass{ClassText, ClassInteger, ClassNumeric, ClassBoolean, ClassDate, ClassTimestamp, ClassTimeOfDay, ClassUUID, ClassBinary, ClassJSON, ClassOther}
	want := map[Role][]TypeClass{
		RoleKey:        {ClassText, ClassInteger, ClassUUID},
		RoleText:       {ClassText},
		RoleCategory:   {ClassText, ClassInteger},
		RoleFlag:       {ClassInteger, ClassBoolean, ClassText},
		RoleTime:       {ClassDate, ClassTimestamp},
		RoleSoftDelete: {ClassInteger, ClassBoolean, ClassDate, ClassTimestamp},
		RoleAny:        all,
	}
	for role, accepted := range want {
		ok := map[TypeClass]bool{}
		for _, c := range accepted {
			ok[c] = true
		}
		for _, c := range all {
			if got := role.Accepts(c); got != ok[c] {
				t.Errorf("%s.Accepts(%s) = %v, want %v", role, c, got, ok[c])
			}
		}
		if !role.Accepts(ClassUnknown) {
			t.Errorf("%s rejects an untyped SQLite column, which cannot be checked", role)
		}
	}
}

func TestReferenceCompatible(t *testing.T) {
	for _, tc := range []struct {
		engine   Engine
		key, ref TypeClass
		want     bool
	}{
		{EnginePostgres, ClassInteger, ClassInteger, true},
		{EnginePostgres, ClassText, ClassText, true},
		{EnginePostgres, ClassUUID, ClassUUID, true},
		{EnginePostgres, ClassUUID, ClassText, false},
		{EnginePostgres, ClassInteger, ClassText, false},
		{EngineMySQL, ClassUUID, ClassText, true},
		{EngineMySQL, ClassInteger, ClassText, false},
		{EngineSQLite, ClassInteger, ClassUnknown, true},
	} {
		if got := referenceCompatible(tc.engine, tc.key, tc.ref); got != tc.want {
			t.Errorf("%s: referenceCompatible(%s, %s) = %v, want %v", tc.engine, tc.key, tc.ref, got, tc.want)
		}
	}
}

func TestSoftDeleteCondition(t *testing.T) {
	for _, tc := range []struct {
		engine Engine
		class  TypeClass
		want   string
	}{
		{EnginePostgres, ClassBoolean, `"deleted" IS NOT TRUE`},
		{EngineMySQL, ClassBoolean, `("deleted" IS NULL OR "deleted" = 0)`},
		{EngineSQLite, ClassInteger, `("deleted" IS NULL OR "deleted" = 0)`},
		{EnginePostgres, ClassTimestamp, `"deleted" IS NULL`},
		{EngineMySQL, ClassDate, `"deleted" IS NULL`},
	} {
		got, err := SoftDeleteCondition(tc.engine, `"deleted"`, tc.class)
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %q, %v; want %q", tc.engine, tc.class, got, err, tc.want)
		}
	}
	if _, err := SoftDeleteCondition(EnginePostgres, `"deleted"`, ClassText); err == nil {
		t.Error("a text soft-delete column was accepted")
	}
}
