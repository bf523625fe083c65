package crm

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

func TestServerVersion(t *testing.T) {
	want := map[Engine]string{EnginePostgres: "PostgreSQL 15", EngineMySQL: "MariaDB", EngineSQLite: "SQLite 3."}
	forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, _ *sql.DB) {
		v, err := crm.ServerVersion(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(v, want[ec.engine]) {
			t.Errorf("ServerVersion = %q, want it to contain %q", v, want[ec.engine])
		}
	})
}

// Names that are valid but awkward (reserved words, mixed case, $, maximum length) must
// reach the server quoted so that it creates and finds exactly them.
func TestQuotedNamesOnRealServers(t *testing.T) {
	long := strings.Repeat("n", MaxIdentLength)
	forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB) {
		d := crm.Dialect()
		for _, table := range []string{"order", "MixedCase", "a$b", "select", long} {
			execAll(t, admin, "CREATE TABLE "+q(t, ec.engine, table)+" ("+q(t, ec.engine, "from")+" INTEGER PRIMARY KEY, "+q(t, ec.engine, "Group")+" VARCHAR(40))")
			insert := "INSERT INTO " + q(t, ec.engine, table) + " VALUES (" + d.Placeholder(1) + ", " + d.Placeholder(2) + ")"
			if _, err := admin.ExecContext(testContext(t), insert, 1, "x'); DROP TABLE victim; --"); err != nil {
				t.Fatalf("insert into %s: %v", table, err)
			}
			tbl, err := crm.DescribeTable(testContext(t), table)
			if err != nil {
				t.Fatalf("DescribeTable(%s): %v", table, err)
			}
			if diff := cmp.Diff([]string{"from", "Group"}, tbl.ColumnNames()); tbl.Name != table || diff != "" {
				t.Errorf("DescribeTable(%s) = %s %v", table, tbl.Name, tbl.ColumnNames())
			}
			if ok, err := crm.IsUnique(testContext(t), table, []string{"from"}); err != nil || !ok {
				t.Errorf("IsUnique(%s.from) = %v, %v; want true", table, ok, err)
			}
		}
		tables, err := crm.Tables(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"order", "MixedCase", "a$b", "select", long} {
			if !contains(tables, want) {
				t.Errorf("Tables() = %v, missing %s", tables, want)
			}
		}
	})
}

// The quoting itself (doubling of the quote character) must match the server's parser:
// a name holding the quote character, quoted without validation, is created verbatim.
func TestQuoteDoublingMatchesServers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB) {
		quote, weird := byte('"'), `we"ird`
		if ec.engine == EngineMySQL {
			quote, weird = '`', "we`ird"
		}
		execAll(t, admin, "CREATE TABLE "+QuoteWith(weird, quote)+" (id INTEGER)")
		var found int64
		switch ec.engine {
		case EnginePostgres:
			found = queryInt(t, admin, "SELECT count(*) FROM pg_class WHERE relname = $1", weird)
		case EngineMySQL:
			found = queryInt(t, admin, "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", weird)
		default:
			found = queryInt(t, admin, "SELECT count(*) FROM sqlite_master WHERE name = ?", weird)
		}
		if found != 1 {
			t.Fatalf("table %s created through quoteWith not found by its exact name", weird)
		}
		// And the validated API refuses the same name.
		if _, err := crm.DescribeTable(testContext(t), weird); !errors.As(err, new(*InvalidIdentError)) {
			t.Errorf("DescribeTable(%s) error = %v, want *InvalidIdentError", weird, err)
		}
	})
}

// Hostile names are refused before any SQL is sent: the victim table survives every call.
func TestHostileIdentifiersNeverReachTheServer(t *testing.T) {
	hostile := []string{
		"victim; DROP TABLE victim", `victim"; DROP TABLE victim; --`, "victim`; DROP TABLE victim; --",
		"victim' OR '1'='1", "vïctim", strings.Repeat("v", 64), "victim\n", "",
	}
	forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB) {
		ctx := testContext(t)
		execAll(t, admin, "CREATE TABLE victim (id INTEGER PRIMARY KEY)", "INSERT INTO victim VALUES (1)")
		for _, name := range hostile {
			if _, err := crm.DescribeTable(ctx, name); !errors.As(err, new(*InvalidIdentError)) {
				t.Errorf("DescribeTable(%q) error = %v, want *InvalidIdentError", name, err)
			}
			if _, err := crm.IsUnique(ctx, name, []string{"id"}); err == nil {
				t.Errorf("IsUnique(%q) succeeded", name)
			}
			if _, err := crm.CountContacts(ctx, Mapping{Contacts: ContactsTable{Table: name, Key: "id"}}); err == nil {
				t.Errorf("CountContacts(table %q) succeeded", name)
			}
			if _, err := crm.CountContacts(ctx, Mapping{Contacts: ContactsTable{Table: "victim", Key: "id", SoftDeleteColumn: name}}); err == nil && name != "" {
				t.Errorf("CountContacts(soft delete %q) succeeded", name)
			}
			m := Mapping{Contacts: ContactsTable{Table: "victim", Key: name}, Fields: map[string]Field{FieldEmail: {Column: name}}}
			ps, err := Validate(ctx, crm, m)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if diff := cmp.Diff([]string{"mapping.contacts.key", "mapping.fields[email].column"}, fieldsOf(ps)); diff != "" {
				t.Errorf("Validate with %q: problems (-want +got):\n%s", name, diff)
			}
		}
		if n := queryInt(t, admin, "SELECT count(*) FROM victim"); n != 1 {
			t.Fatalf("victim has %d rows after the hostile calls, want 1", n)
		}
	})
}

func TestDescribeTable(t *testing.T) {
	ddl := map[Engine]string{
		EnginePostgres: `CREATE TABLE people (
  id bigint PRIMARY KEY, uid uuid NOT NULL, email varchar(320), active boolean NOT NULL,
  born date, seen_at timestamptz, amount numeric(10,2), notes text, data jsonb, at_time time)`,
		EngineMySQL: `CREATE TABLE people (
  id BIGINT PRIMARY KEY, uid CHAR(36) NOT NULL, email VARCHAR(320), active BOOLEAN NOT NULL,
  born DATE, seen_at DATETIME(6), amount DECIMAL(10,2), notes TEXT, data BLOB, at_time TIME)`,
		EngineSQLite: `CREATE TABLE people (
  id INTEGER PRIMARY KEY, uid UUID NOT NULL, email VARCHAR(320), active BOOLEAN NOT NULL,
  born DATE, seen_at TIMESTAMP, amount DECIMAL(10,2), notes TEXT, data BLOB, at_time TIME)`,
	}
	uidClass := map[Engine]TypeClass{EnginePostgres: ClassUUID, EngineMySQL: ClassText, EngineSQLite: ClassUUID}
	dataClass := map[Engine]TypeClass{EnginePostgres: ClassJSON, EngineMySQL: ClassBinary, EngineSQLite: ClassBinary}
	forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB) {
		execAll(t, admin, ddl[ec.engine], "CREATE VIEW people_view AS SELECT id, email, seen_at FROM people")
		tbl, err := crm.DescribeTable(testContext(t), "people")
		if err != nil {
			t.Fatal(err)
		}
		want := []Column{
			{Name: "id", Class: ClassInteger},
			{Name: "uid", Class: uidClass[ec.engine]},
			{Name: "email", Class: ClassText, Nullable: true},
			{Name: "active", Class: ClassBoolean},
			{Name: "born", Class: ClassDate, Nullable: true},
			{Name: "seen_at", Class: ClassTimestamp, Nullable: true},
			{Name: "amount", Class: ClassNumeric, Nullable: true},
			{Name: "notes", Class: ClassText, Nullable: true},
			{Name: "data", Class: dataClass[ec.engine], Nullable: true},
			{Name: "at_time", Class: ClassTimeOfDay, Nullable: true},
		}
		if diff := cmp.Diff(want, tbl.Columns, cmpopts.IgnoreFields(Column{}, "DataType")); diff != "" {
			t.Errorf("columns (-want +got):\n%s", diff)
		}
		if tbl.View {
			t.Error("people reported as a view")
		}
		view, err := crm.DescribeTable(testContext(t), "people_view")
		if err != nil {
			t.Fatal(err)
		}
		if !view.View || !cmp.Equal([]string{"id", "email", "seen_at"}, view.ColumnNames()) {
			t.Errorf("view = %+v", view)
		}
		if c, _ := view.Column(crm.Dialect(), "seen_at"); c.Class != ClassTimestamp {
			t.Errorf("view column seen_at class = %s, want timestamp", c.Class)
		}
		if _, err := crm.DescribeTable(testContext(t), "nobody"); !errors.Is(err, ErrTableNotFound) {
			t.Errorf("DescribeTable(nobody) error = %v, want ErrTableNotFound", err)
		}
	})
}

func TestDescribeTablePostgresRelations(t *testing.T) {
	tdb := testdb.Postgres(t)
	admin := tdb.Open(t)
	execAll(t, admin,
		"CREATE SCHEMA crm",
		"CREATE TYPE crm.mood AS ENUM ('happy', 'sad')",
		"CREATE DOMAIN crm.email AS text CHECK (VALUE LIKE '%@%')",
		"CREATE TABLE crm.contacts (id bigint PRIMARY KEY, mail crm.email, mood crm.mood, \"Email\" text)",
		"CREATE TABLE crm.events (id bigint, at timestamptz NOT NULL, contact_id bigint) PARTITION BY RANGE (at)",
		"CREATE TABLE crm.events_2024 PARTITION OF crm.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
		"CREATE UNIQUE INDEX events_id_at ON crm.events (id, at)",
		"CREATE MATERIALIZED VIEW crm.recent AS SELECT contact_id, max(at) AS last_at FROM crm.events GROUP BY contact_id",
		"CREATE SEQUENCE crm.seq",
		"CREATE TABLE public.only_public (id int)",
	)
	cfg := connConfig(tdb)
	cfg.Schema = "crm"
	crm, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer crm.Close()
	ctx := testContext(t)

	contacts, err := crm.DescribeTable(ctx, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]TypeClass{}
	for _, c := range contacts.Columns {
		got[c.Name] = c.Class
	}
	if diff := cmp.Diff(map[string]TypeClass{"id": ClassInteger, "mail": ClassText, "mood": ClassText, "Email": ClassText}, got); diff != "" {
		t.Errorf("domain and enum columns (-want +got):\n%s", diff)
	}
	// Mixed-case names are distinct on PostgreSQL once quoted.
	if _, ok := contacts.Column(crm.Dialect(), "email"); ok {
		t.Error(`column "email" matched "Email"`)
	}

	events, err := crm.DescribeTable(ctx, "events")
	if err != nil {
		t.Fatalf("partitioned table: %v", err)
	}
	if !cmp.Equal([]string{"id", "at", "contact_id"}, events.ColumnNames()) {
		t.Errorf("partitioned table columns = %v", events.ColumnNames())
	}
	if ok, err := crm.IsUnique(ctx, "events", []string{"id", "at"}); err != nil || !ok {
		t.Errorf("IsUnique(events id, at) = %v, %v; want true", ok, err)
	}
	recent, err := crm.DescribeTable(ctx, "recent")
	if err != nil || !recent.View {
		t.Errorf("materialized view: %+v, %v", recent, err)
	}
	for _, name := range []string{"seq", "events_id_at", "events_2024"} {
		_, err := crm.DescribeTable(ctx, name)
		if name == "events_2024" {
			if err != nil {
				t.Errorf("partition %s: %v", name, err)
			}
			continue
		}
		if !errors.Is(err, ErrTableNotFound) {
			t.Errorf("DescribeTable(%s) error = %v, want ErrTableNotFound (not a table)", name, err)
		}
	}
	// search_path is crm only: public's tables are not seen.
	if _, err := crm.DescribeTable(ctx, "only_public"); !errors.Is(err, ErrTableNotFound) {
		t.Errorf("a table outside the search_path was found: %v", err)
	}
	tables, err := crm.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"contacts", "events", "recent"}, tables); diff != "" {
		t.Errorf("Tables (-want +got):\n%s", diff)
	}
}

func TestUniqueKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB) {
		execAll(t, admin,
			"CREATE TABLE u (id INTEGER PRIMARY KEY, email VARCHAR(100), a INTEGER, b INTEGER, c INTEGER, d INTEGER, e VARCHAR(100))",
			"CREATE UNIQUE INDEX u_email ON u (email)",
			"CREATE UNIQUE INDEX u_ab ON u (a, b)",
			"CREATE INDEX u_c ON u (c)",
			"CREATE TABLE no_key (x INTEGER, y INTEGER)",
		)
		cases := map[string]bool{"id": true, "email": true, "a": false, "a,b": true, "b,a,c": true, "c": false, "x": false}
		if ec.engine != EngineMySQL {
			// Partial and expression indexes do not make the column unique.
			execAll(t, admin, "CREATE UNIQUE INDEX u_d ON u (d) WHERE d > 0", "CREATE UNIQUE INDEX u_e ON u (lower(e))")
			cases["d"], cases["e"] = false, false
		}
		for cols, want := range cases {
			got, err := crm.IsUnique(testContext(t), "u", strings.Split(cols, ","))
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("IsUnique(u, %s) = %v, want %v", cols, got, want)
			}
		}
		if got, err := crm.IsUnique(testContext(t), "no_key", []string{"x", "y"}); err != nil || got {
			t.Errorf("IsUnique(no_key) = %v, %v; want false", got, err)
		}
	})
}

func TestUniqueKeysSQLitePrimaryKeyForms(t *testing.T) {
	tdb := testdb.SQLite(t)
	admin := tdb.Open(t)
	execAll(t, admin,
		"CREATE TABLE rowid_alias (id INTEGER PRIMARY KEY, x TEXT)",
		"CREATE TABLE text_pk (id TEXT PRIMARY KEY, x TEXT)",
		"CREATE TABLE no_rowid (id TEXT NOT NULL PRIMARY KEY, x TEXT) WITHOUT ROWID",
		"CREATE TABLE composite (a INT, b INT, PRIMARY KEY (a, b))",
		"CREATE TABLE inline_unique (id INT, code TEXT UNIQUE)",
	)
	crm := openCRM(t, tdb)
	for _, tc := range []struct {
		table string
		cols  []string
		want  bool
	}{
		{"rowid_alias", []string{"id"}, true},
		{"text_pk", []string{"id"}, true},
		{"no_rowid", []string{"id"}, true},
		{"composite", []string{"a"}, false},
		{"composite", []string{"a", "b"}, true},
		{"inline_unique", []string{"code"}, true},
		{"inline_unique", []string{"id"}, false},
	} {
		got, err := crm.IsUnique(testContext(t), tc.table, tc.cols)
		if err != nil || got != tc.want {
			t.Errorf("IsUnique(%s, %v) = %v, %v; want %v", tc.table, tc.cols, got, err, tc.want)
		}
	}
	tbl, err := crm.DescribeTable(testContext(t), "rowid_alias")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := tbl.Column(crm.Dialect(), "id"); c.Nullable {
		t.Error("an INTEGER PRIMARY KEY (the rowid) reported as nullable")
	}
	// SQLite names are case-insensitive.
	if _, err := crm.DescribeTable(testContext(t), "ROWID_ALIAS"); err != nil {
		t.Errorf("case-insensitive table lookup: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
