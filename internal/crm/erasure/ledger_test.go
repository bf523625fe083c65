package erasure

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

func TestSubjectHMAC(t *testing.T) {
	// RFC 4231-style known answer: HMAC-SHA-256("key", "The quick brown fox jumps over the lazy dog").
	got := SubjectHMAC([]byte("key"), "The quick brown fox jumps over the lazy dog")
	if want := "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"; got != want {
		t.Fatalf("SubjectHMAC = %s, want %s", got, want)
	}
	if SubjectHMAC([]byte("k1"), "42") == SubjectHMAC([]byte("k2"), "42") {
		t.Fatal("different keys gave the same HMAC")
	}
}

func TestInsertLedgerSQL(t *testing.T) {
	want := map[crm.Engine]string{
		crm.EnginePostgres: `INSERT INTO "crm_privacy"."crm_privacy_erasure_ledger" ("crm_database", "run_id", "policy", "rule", "action", "erased_at", "subject_hmac", "key_id", "row_mac") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9), ($10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT ("crm_database", "policy", "run_id", "subject_hmac") DO NOTHING`,
		crm.EngineMySQL:    "INSERT INTO `crm_privacy`.`crm_privacy_erasure_ledger` (`crm_database`, `run_id`, `policy`, `rule`, `action`, `erased_at`, `subject_hmac`, `key_id`, `row_mac`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE `ledger_id` = `ledger_id`",
		crm.EngineSQLite:   `INSERT INTO "crm_privacy_erasure_ledger" ("crm_database", "run_id", "policy", "rule", "action", "erased_at", "subject_hmac", "key_id", "row_mac") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT ("policy", "run_id", "subject_hmac") DO NOTHING`,
	}
	for e, w := range want {
		d, _ := crm.DialectFor(e)
		if got := insertLedgerSQL(d, 2); got != w {
			t.Errorf("%s:\n got %s\nwant %s", e, got, w)
		}
	}
}

func TestLedgerEntryCheck(t *testing.T) {
	ok := LedgerEntry{RunID: "r1", Policy: "ns/p", Rule: "b2c", Action: "delete", ErasedAt: time.Now(), SubjectHMAC: SubjectHMAC([]byte("k"), "1"), KeyID: crm.KeyID([]byte("k"))}
	if err := ok.check(); err != nil {
		t.Fatalf("valid entry: %v", err)
	}
	bad := LedgerEntry{RunID: strings.Repeat("r", 65), SubjectHMAC: strings.ToUpper(ok.SubjectHMAC)}
	err := bad.check()
	if err == nil {
		t.Fatal("invalid entry accepted")
	}
	for _, w := range []string{"run id must have 1 to 64 bytes", "policy must have", "rule must have", "action must have", "erasure time is not set", "64 lowercase hex digits", "key id must be"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// ledgerEntries makes n entries of a run, for contacts first..first+n-1.
func ledgerEntries(run string, first, n int, at time.Time) []LedgerEntry {
	out := make([]LedgerEntry, n)
	for i := range out {
		out[i] = LedgerEntry{
			RunID: run, Policy: "sales/b2c-retention", Rule: "inactive-3y", Action: "delete",
			ErasedAt: at, SubjectHMAC: SubjectHMAC([]byte("ledger-key"), fmt.Sprint(first+i)), KeyID: crm.KeyID([]byte("ledger-key")),
		}
	}
	return out
}

func TestEnsureLedger(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, cdb *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		for i := 0; i < 2; i++ {
			if err := EnsureLedger(ctx, cdb); err != nil {
				t.Fatalf("EnsureLedger #%d: %v", i+1, err)
			}
		}
		// Exactly one ledger table, with the subject index, in the operator's schema (SQLite:
		// the database file), and none in the CRM's own schema.
		var tables, indexes int64
		switch ec.Engine {
		case crm.EnginePostgres:
			tables = crmtest.QueryInt(t, admin, "SELECT count(*) FROM pg_class WHERE relname = $1 AND relkind = 'r'", LedgerTable)
			indexes = crmtest.QueryInt(t, admin, "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = $2", crm.OperatorSchema, LedgerTable)
			if n := crmtest.QueryInt(t, admin, "SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)", "crm_privacy.crm_privacy_erasure_ledger"); n != 1 {
				t.Errorf("no ledger in schema %s", crm.OperatorSchema)
			}
		case crm.EngineMySQL:
			tables = crmtest.QueryInt(t, admin, "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (DATABASE(), ?) AND TABLE_NAME = ?", crm.OperatorSchema, LedgerTable)
			indexes = crmtest.QueryInt(t, admin, "SELECT count(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", crm.OperatorSchema, LedgerTable)
		default:
			tables = crmtest.QueryInt(t, admin, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", LedgerTable)
			indexes = crmtest.QueryInt(t, admin, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", LedgerTable)
		}
		// primary key, unique (subject_hmac, crm_database, policy, run_id), which also serves
		// the look-ups by subject; SQLite's rowid primary key has no index of its own.
		wantIndexes := int64(2)
		if ec.Engine == crm.EngineSQLite {
			wantIndexes = 1
		}
		if tables != 1 || indexes != wantIndexes {
			t.Errorf("ledger tables = %d, indexes = %d; want 1, %d", tables, indexes, wantIndexes)
		}
		// The check keeps anything but 64 lowercase hex digits out of subject_hmac.
		good := strings.Repeat("0123456789abcdef", 4)
		for _, bad := range []string{strings.ToUpper(good), good[:63], good[:63] + "g", good[:63] + " "} {
			_, err := admin.ExecContext(ctx, "INSERT INTO "+crm.OperatorTableName(ec.Engine, LedgerTable)+
				" (crm_database, run_id, policy, rule, action, erased_at, subject_hmac) VALUES ('', 'r', 'p/q', 'x', 'Delete', '2026-01-01 00:00:00', '"+bad+"')")
			if err == nil {
				t.Errorf("the ledger accepted subject_hmac %q", bad)
			}
		}
		if _, err := admin.ExecContext(ctx, "INSERT INTO "+crm.OperatorTableName(ec.Engine, LedgerTable)+
			" (crm_database, run_id, policy, rule, action, erased_at, subject_hmac) VALUES ('', 'r', 'p/q', 'x', 'Delete', '2026-01-01 00:00:00', '"+good+"')"); err != nil {
			t.Errorf("the ledger refused a valid subject_hmac: %v", err)
		}
	})
}

// A run resumed after a crash writes again entries it had already committed: they are
// skipped and not counted, so no contact is counted twice.
func TestInsertLedgerIsIdempotentPerRun(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, cdb *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		if err := EnsureLedger(ctx, cdb); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.FixedZone("CET", 3600))
		d, db := cdb.Dialect(), cdb.DB()

		// A batch rolled back (the run was killed mid-transaction) leaves nothing.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := InsertLedger(ctx, cdb, tx, ledgerEntries("run-1", 1, 3, at)); err != nil || n != 3 {
			t.Fatalf("InsertLedger in tx = %d, %v", n, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT count(*) FROM "+ledgerOf(ec.Engine)); n != 0 {
			t.Fatalf("%d ledger rows after rollback, want 0", n)
		}

		steps := []struct {
			name  string
			batch []LedgerEntry
			want  int64
		}{
			{"first batch", ledgerEntries("run-1", 1, 3, at), 3},
			{"resume replays the batch and goes on", ledgerEntries("run-1", 1, 5, at), 2},
			{"replay alone", ledgerEntries("run-1", 4, 2, at), 0},
			{"a later run erasing a re-created key", ledgerEntries("run-2", 1, 1, at), 1},
			{"more than one statement's worth", ledgerEntries("run-3", 1, ledgerInsertChunk+100, at), ledgerInsertChunk + 100},
		}
		for _, s := range steps {
			n, err := InsertLedger(ctx, cdb, db, s.batch)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if n != s.want {
				t.Errorf("%s: inserted %d, want %d", s.name, n, s.want)
			}
		}
		counts := map[string]int64{}
		for _, run := range []string{"run-1", "run-2", "run-3"} {
			if counts[run], err = LedgerCount(ctx, cdb, "sales/b2c-retention", run); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(map[string]int64{"run-1": 5, "run-2": 1, "run-3": ledgerInsertChunk + 100}, counts); diff != "" {
			t.Errorf("LedgerCount (-want +got):\n%s", diff)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT count(*) FROM "+ledgerOf(ec.Engine)); n != ledgerInsertChunk+106 {
			t.Errorf("%d ledger rows, want %d", n, ledgerInsertChunk+106)
		}

		// The time is stored in UTC, to the microsecond.
		var got time.Time
		query := "SELECT erased_at FROM " + ledgerOf(ec.Engine) + " AND run_id = " + d.Placeholder(1) + " AND subject_hmac = " + d.Placeholder(2)
		if err := db.QueryRowContext(ctx, query, "run-2", SubjectHMAC([]byte("ledger-key"), "1")).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := at.UTC().Truncate(time.Microsecond); !got.Equal(want) {
			t.Errorf("erased_at = %s, want %s", got, want)
		}

		// The database itself refuses a subject that is not a hex HMAC.
		raw := fmt.Sprintf("INSERT INTO %s (crm_database, run_id, policy, rule, action, erased_at, subject_hmac) VALUES ('', %s, %s, %s, %s, %s, %s)",
			ledgerTableOf(ec.Engine), d.Placeholder(1), d.Placeholder(2), d.Placeholder(3), d.Placeholder(4), d.Placeholder(5), d.Placeholder(6))
		if _, err := db.ExecContext(ctx, raw, "run-9", "p", "r", "delete", crm.BindTime(ec.Engine, at), "jane.doe@example.com"); err == nil {
			t.Error("the ledger accepted a subject that is not an HMAC")
		}
		// InsertLedger refuses it before writing anything.
		bad := ledgerEntries("run-9", 1, 2, at)
		bad[1].SubjectHMAC = "jane.doe@example.com"
		if _, err := InsertLedger(ctx, cdb, db, bad); err == nil || strings.Contains(err.Error(), "jane") {
			t.Errorf("InsertLedger with a bad subject: %v", err)
		}
		if n, _ := LedgerCount(ctx, cdb, "sales/b2c-retention", "run-9"); n != 0 {
			t.Errorf("%d rows of a refused batch were written", n)
		}

		// A run's rows counted by rule and action, as a finished run reports them.
		mixed := append(ledgerEntries("run-4", 1, 3, at), ledgerEntries("run-4", 10, 2, at)...)
		for i := 3; i < len(mixed); i++ {
			mixed[i].Rule, mixed[i].Action = "leads", ActionAnonymizeContact
		}
		if _, err := InsertLedger(ctx, cdb, db, mixed); err != nil {
			t.Fatal(err)
		}
		byRule, err := LedgerRunCounts(ctx, cdb, "sales/b2c-retention", "run-4")
		if err != nil {
			t.Fatal(err)
		}
		want := []LedgerRuleCount{{Rule: "inactive-3y", Action: "delete", Count: 3}, {Rule: "leads", Action: ActionAnonymizeContact, Count: 2}}
		if diff := cmp.Diff(want, byRule); diff != "" {
			t.Errorf("LedgerRunCounts (-want +got):\n%s", diff)
		}
		if none, err := LedgerRunCounts(ctx, cdb, "sales/b2c-retention", "run-9"); err != nil || len(none) != 0 {
			t.Errorf("LedgerRunCounts of a run without rows = %v, %v", none, err)
		}
	})
}

// A table of the ledger's name in the CRM's own schema is not the operator's ledger: on
// PostgreSQL and MariaDB it is neither written to nor copied (the ledger lives in the
// operator's schema); on SQLite, where the ledger lives in the file, it is refused.
func TestEnsureLedgerIgnoresOrRefusesForeignTable(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, cdb *crm.Database, admin *sql.DB) {
		crmtest.ExecAll(t, admin, "CREATE TABLE "+LedgerTable+" (id INTEGER PRIMARY KEY, policy VARCHAR(20), note TEXT)",
			"INSERT INTO "+LedgerTable+" (id, policy, note) VALUES (1, 'p', 'n')")
		err := EnsureLedger(crmtest.TestContext(t), cdb)
		if ec.Engine == crm.EngineSQLite {
			if err == nil {
				t.Fatal("EnsureLedger accepted a foreign table")
			}
			for _, w := range []string{"is not usable", "run_id", "subject_hmac"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			return
		}
		if err != nil {
			t.Fatalf("EnsureLedger: %v", err)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT count(*) FROM "+ledgerOf(ec.Engine)); n != 0 {
			t.Errorf("%d rows copied from a table that is not a ledger", n)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT count(*) FROM "+LedgerTable); n != 1 {
			t.Errorf("the foreign table has %d rows, want its 1", n)
		}
	})
}

func TestCountContacts(t *testing.T) {
	t.Run("generic", func(t *testing.T) {
		crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, cdb *crm.Database, admin *sql.DB) {
			crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
			crmtest.ExecAll(t, admin,
				"INSERT INTO contacts (id, email, contact_type) VALUES (1, 'a@example.com', 'B2B')",
				"INSERT INTO contacts (id, email, contact_type) VALUES (2, 'b@example.com', 'B2C')",
				"INSERT INTO contacts (id, email) VALUES (3, NULL)",
			)
			m, _ := crm.Preset(crm.PresetGeneric)
			if n, err := cdb.CountContacts(crmtest.TestContext(t), m); err != nil || n != 3 {
				t.Errorf("CountContacts = %d, %v; want 3", n, err)
			}
		})
	})
	for _, tc := range []struct {
		name   string
		open   func(testing.TB) *testdb.Database
		sample string
		flags  []string
	}{
		{"suitecrm/mariadb", testdb.MariaDB, "suitecrm-mysql.sql", []string{"0", "1", "NULL", "0"}},
		{"suitecrm/postgres", testdb.Postgres, "suitecrm-postgres.sql", []string{"false", "true", "NULL", "false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tdb := tc.open(t)
			admin := tdb.Open(t)
			crmtest.LoadSample(t, admin, tc.sample)
			for i, flag := range tc.flags {
				crmtest.ExecAll(t, admin, fmt.Sprintf("INSERT INTO contacts (id, last_name, deleted) VALUES ('%036d', 'n', %s)", i, flag))
			}
			cdb := crmtest.OpenCRM(t, tdb)
			m, _ := crm.Preset(crm.PresetSuiteCRM)
			if n, err := cdb.CountContacts(crmtest.TestContext(t), m); err != nil || n != 3 {
				t.Errorf("CountContacts = %d, %v; want 3 (one soft-deleted)", n, err)
			}
		})
	}
	t.Run("timestamp soft delete", func(t *testing.T) {
		crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, cdb *crm.Database, admin *sql.DB) {
			ts := map[crm.Engine]string{crm.EnginePostgres: "timestamptz", crm.EngineMySQL: "DATETIME", crm.EngineSQLite: "TIMESTAMP"}[ec.Engine]
			crmtest.ExecAll(t, admin,
				"CREATE TABLE people (id INTEGER PRIMARY KEY, deleted_at "+ts+")",
				"INSERT INTO people VALUES (1, NULL)",
				"INSERT INTO people VALUES (2, '2024-01-02 03:04:05')",
				"INSERT INTO people VALUES (3, NULL)",
			)
			m := crm.Mapping{Contacts: crm.ContactsTable{Table: "people", Key: "id", SoftDeleteColumn: "deleted_at"}}
			if n, err := cdb.CountContacts(crmtest.TestContext(t), m); err != nil || n != 2 {
				t.Errorf("CountContacts = %d, %v; want 2", n, err)
			}
		})
	})
}
