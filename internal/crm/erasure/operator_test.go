package erasure

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// ledgerTableOf and checkpointTableOf are the operator's tables as a test names them.
func ledgerTableOf(e crm.Engine) string     { return crm.OperatorTableName(e, LedgerTable) }
func checkpointTableOf(e crm.Engine) string { return crm.OperatorTableName(e, CheckpointTable) }

// scopeCond selects the operator's rows of the test's own database: on MariaDB the
// operator's database is shared by every test database of the server.
func scopeCond(e crm.Engine) string {
	if e == crm.EngineMySQL {
		return "crm_database = DATABASE()"
	}
	return "crm_database = ''"
}

// ledgerOf is "ledger WHERE <this database's rows>".
func ledgerOf(e crm.Engine) string { return LedgerRowsSQL(e) }

// The documented grants and their logins (see crmtest).
const samplePassword = crmtest.SamplePassword

func randomLogin(prefix string) string { return crmtest.RandomLogin(prefix) }

func documentedGrants(t *testing.T, e crm.Engine, login, database string, enforce bool) []string {
	t.Helper()
	return crmtest.DocumentedGrants(t, e, login, database, enforce)
}

func loginAs(tdb *testdb.Database, login string) *testdb.Database { return crmtest.LoginAs(tdb, login) }

// catalogSnapshot lists the schemas and relations of the database (and, on MariaDB, of
// the operator's database) with their row counts in the operator's tables, to show that
// something wrote nothing.
func catalogSnapshot(t *testing.T, e crm.Engine, admin *sql.DB) string {
	t.Helper()
	var q string
	switch e {
	case crm.EnginePostgres:
		q = `SELECT string_agg(n.nspname || '.' || COALESCE(c.relname, '') || ':' || COALESCE(c.relkind::text, ''), ',' ORDER BY n.nspname, c.relname)
FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`
	default:
		q = `SELECT CONCAT((SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'crm_privacy'), ';',
  COALESCE((SELECT GROUP_CONCAT(CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) ORDER BY TABLE_SCHEMA, TABLE_NAME)
  FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (DATABASE(), 'crm_privacy')), ''))`
	}
	var s string
	if err := admin.QueryRowContext(crmtest.TestContext(t), q).Scan(&s); err != nil {
		t.Fatal(err)
	}
	if e == crm.EngineMySQL && strings.Contains(s, LedgerTable) {
		s += fmt.Sprintf(";%d", crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(e)))
	}
	return s
}

// serverEngines are the engines with logins and privileges.
var serverEngines = crmtest.EngineCases[:2]

func TestCheckLedgerSecret(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		want      string
	}{
		{"random", "7Jq9wGmB2v1hXyT0cZr8uLk4pNa6eDs3FoQiWtEgVbY5HnMj", ""},
		{"short", "0123456789", "at least 32"},
		{"the sample key", "3q2+7wExampleOnlyReplaceWithRandomBytesXXXXXXXXXXXXXXXXXXXXXXXX", "sample key"},
		{"the sample key with a newline", "3q2+7wExampleOnlyReplaceWithRandomBytesXXXXXXXXXXXXXXXXXXXXXXXX\n", "sample key"},
		{"a placeholder", "change-me-change-me-change-me-change-me", "placeholder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLedgerSecret([]byte(tc.key))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), strings.TrimSpace(tc.key)) {
				t.Fatal("the error repeats the key")
			}
		})
	}
}

// The attack: a row in the checkpoint table that the operator did not write makes
// the sweep resume a run nobody scheduled, with whatever position and start it claims.
// Such a row must be reported and never acted on.
func TestForgedCheckpointIsNeverActedOn(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		seedExpired(t, ec.Engine, admin, 10)
		if err := ensureOperatorTables(ctx, db, true); err != nil {
			t.Fatal(err)
		}
		scope, err := db.Scope(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := crm.Preset(crm.PresetGeneric)
		const policy, runID = "sales/prospects", "forged-run"
		// The forger claims a run started tomorrow: its cutoffs would reach contacts in
		// touch today.
		cp := SweepCheckpoint{RunID: runID, Rule: "prospects", StartedAt: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Microsecond)}
		key := crmtest.TestOperatorKeys.CheckpointKey()
		other := crmtest.MustOperatorKeys("another-operator-key-0123456789abcdef012345").CheckpointKey()
		tampered := cp
		tampered.LastKey = "5"
		insert := func(t *testing.T, keyID, mac string) {
			t.Helper()
			d := db.Dialect()
			ph := make([]string, 11)
			for i := range ph {
				ph[i] = d.Placeholder(i + 1)
			}
			crmtest.ExecAll(t, admin, "DELETE FROM "+checkpointTableOf(ec.Engine)+" WHERE "+scopeCond(ec.Engine))
			_, err := admin.ExecContext(ctx, "INSERT INTO "+checkpointTableOf(ec.Engine)+
				" (crm_database, policy, run_id, rule_index, rule, last_key, started_at, acted, updated_at, key_id, row_mac) VALUES ("+strings.Join(ph, ", ")+")",
				scope, policy, cp.RunID, cp.RuleIndex, cp.Rule, cp.LastKey, crm.BindTime(ec.Engine, cp.StartedAt), cp.Acted, crm.BindTime(ec.Engine, time.Now()), keyID, mac)
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name, keyID, mac, reason string
		}{
			{"without a MAC", crm.KeyID(key), "", crm.UnverifiedNoMAC},
			{"MAC under another key", crm.KeyID(other), checkpointMAC(other, scope, policy, cp), crm.UnverifiedOtherKey},
			{"MAC of another row", crm.KeyID(key), checkpointMAC(key, scope, policy, tampered), crm.UnverifiedBadMAC},
			{"MAC under another key, claiming the operator's key id", crm.KeyID(key), checkpointMAC(other, scope, policy, cp), crm.UnverifiedBadMAC},
		} {
			t.Run(tc.name, func(t *testing.T) {
				insert(t, tc.keyID, tc.mac)
				_, ok, err := StoredCheckpoint(ctx, db, policy)
				var ue *crm.UnverifiedRowError
				if !errors.As(err, &ue) || ok || ue.Reason != tc.reason || ue.Policy != policy {
					t.Fatalf("SweepCheckpoint = ok %v, %v; want an UnverifiedRowError (%s)", ok, err, tc.reason)
				}
				plan := prospectPlan()
				run := sweepRun(runID, 100)
				run.StartedAt = cp.StartedAt
				if _, err := SweepBatch(ctx, db, m, plan, run); !errors.As(err, &ue) {
					t.Fatalf("SweepBatch from a forged checkpoint: %v; want an UnverifiedRowError", err)
				}
				if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM contacts"); n != 11 {
					t.Errorf("%d contacts left, want all 11", n)
				}
				if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(ec.Engine)); n != 0 {
					t.Errorf("%d ledger rows written", n)
				}
			})
		}
		// The same row with the operator's MAC is the operator's: the forged rows above were
		// refused for their MAC, not for their layout.
		insert(t, crm.KeyID(key), checkpointMAC(key, scope, policy, cp))
		got, ok, err := StoredCheckpoint(ctx, db, policy)
		if err != nil || !ok {
			t.Fatalf("a checkpoint with the operator's MAC: %v %v", ok, err)
		}
		if diff := cmp.Diff(cp, got); diff != "" {
			t.Errorf("checkpoint read back (-want +got):\n%s", diff)
		}
		// Even so, a resumed run never uses a cutoff later than its recorded start with a
		// plan computed for another start.
		run := sweepRun(runID, 100)
		run.StartedAt = time.Now()
		var me *CheckpointMismatchError
		if _, err := SweepBatch(ctx, db, m, prospectPlan(), run); !errors.As(err, &me) {
			t.Errorf("SweepBatch with another start: %v; want a CheckpointMismatchError", err)
		}
	})
}

// A resumed run re-checks the rule at its index and the cutoffs against its recorded start.
func TestCheckResume(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	plan := RetentionPlan{Rules: []RetentionRule{{Name: "a", Cutoff: start.AddDate(-1, 0, 0)}, {Name: "b", Cutoff: start.AddDate(-2, 0, 0)}}}
	for _, tc := range []struct {
		name string
		cp   SweepCheckpoint
		run  SweepRun
		plan RetentionPlan
		want string
	}{
		{"same rule", SweepCheckpoint{RuleIndex: 1, Rule: "b", StartedAt: start}, SweepRun{StartedAt: start}, plan, ""},
		{"past the last rule", SweepCheckpoint{RuleIndex: 2, StartedAt: start}, SweepRun{}, plan, ""},
		{"another rule at the index", SweepCheckpoint{RuleIndex: 1, Rule: "a", StartedAt: start}, SweepRun{}, plan, "no longer the rule"},
		{"fewer rules", SweepCheckpoint{RuleIndex: 2, Rule: "c", StartedAt: start}, SweepRun{}, plan, "fewer rules"},
		{"index out of range", SweepCheckpoint{RuleIndex: 5, StartedAt: start}, SweepRun{}, plan, "has 2 rule(s)"},
		{"another start", SweepCheckpoint{RuleIndex: 0, Rule: "a", StartedAt: start}, SweepRun{StartedAt: start.Add(time.Hour)}, plan, "another start"},
		{"a cutoff after the start", SweepCheckpoint{RuleIndex: 0, Rule: "a", StartedAt: start.AddDate(-3, 0, 0)}, SweepRun{}, plan, "later than the run's recorded start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkResume(tc.run, tc.plan, tc.cp)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var me *CheckpointMismatchError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a CheckpointMismatchError saying %q", err, tc.want)
			}
		})
	}
}

// Ledger rows the operator did not write are not counted: counts re-read from the ledger
// after a crash are acted on.
func TestForgedLedgerRowsAreNotCounted(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		if err := EnsureLedger(ctx, db); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
		if _, err := InsertLedger(ctx, db, db.DB(), ledgerEntries("run-1", 1, 3, at)); err != nil {
			t.Fatal(err)
		}
		scope, _ := db.Scope(ctx)
		d := db.Dialect()
		ph := make([]string, 9)
		for i := range ph {
			ph[i] = d.Placeholder(i + 1)
		}
		ins := "INSERT INTO " + ledgerTableOf(ec.Engine) + " (crm_database, run_id, policy, rule, action, erased_at, subject_hmac, key_id, row_mac) VALUES (" + strings.Join(ph, ", ") + ")"
		for i, e := range ledgerEntries("run-1", 100, 5, at) {
			mac := sql.NullString{}
			if i%2 == 1 { // a MAC under another operator key
				mac = sql.NullString{Valid: true, String: ledgerRowMAC(crmtest.MustOperatorKeys("another-operator-key-0123456789abcdef012345").LedgerRowKey(), scope, e)}
			}
			if _, err := admin.ExecContext(ctx, ins, scope, e.RunID, e.Policy, e.Rule, e.Action, crm.BindTime(ec.Engine, e.ErasedAt), e.SubjectHMAC, e.KeyID, mac); err != nil {
				t.Fatal(err)
			}
		}
		// A legitimate row whose erasure time is moved no longer verifies either.
		if _, err := admin.ExecContext(ctx, "UPDATE "+ledgerTableOf(ec.Engine)+" SET erased_at = "+d.Placeholder(1)+" WHERE subject_hmac = "+d.Placeholder(2),
			crm.BindTime(ec.Engine, at.Add(time.Hour)), SubjectHMAC([]byte("ledger-key"), "1")); err != nil {
			t.Fatal(err)
		}
		got, err := LedgerRunCounts(ctx, db, "sales/b2c-retention", "run-1")
		if err != nil {
			t.Fatal(err)
		}
		want := []LedgerRuleCount{{Rule: "inactive-3y", Action: "delete", Count: 2, Unverified: 6}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LedgerRunCounts (-want +got):\n%s", diff)
		}
	})
}

// DryRun works for a login that may only read, and writes nothing, not even DDL: the
// plan is counted, and the ledger's installation reports the missing privilege by name.
func TestDryRunAsSelectOnlyLogin(t *testing.T) {
	for _, ec := range serverEngines {
		t.Run(ec.Name, func(t *testing.T) {
			ctx := crmtest.TestContext(t)
			tdb := ec.Open(t)
			admin := tdb.Open(t)
			seedExpired(t, ec.Engine, admin, 5)
			login := randomLogin("dryrun_")
			crmtest.ExecAll(t, admin, documentedGrants(t, ec.Engine, login, tdb.Name, false)...)
			before := catalogSnapshot(t, ec.Engine, admin)

			db := crmtest.OpenCRM(t, loginAs(tdb, login))
			m, _ := crm.Preset(crm.PresetGeneric)
			if problems, err := crm.Validate(ctx, db, m); err != nil || len(problems) > 0 {
				t.Fatalf("Validate = %v, %v", problems, err)
			}
			counts, err := CountPlan(ctx, db, m, prospectPlan())
			if err != nil || len(counts) != 1 || counts[0].Pending != 5 {
				t.Fatalf("CountPlan = %+v, %v; want 5 pending", counts, err)
			}
			if n, err := db.CountContacts(ctx, m); err != nil || n != 6 {
				t.Fatalf("CountContacts = %d, %v", n, err)
			}
			// Reading a checkpoint runs no DDL: with no operator schema yet there is none. (On
			// the shared MariaDB test server the operator's database may exist already, and a
			// login without privileges on it is told which one it lacks.)
			var pe *crm.PrivilegeError
			if _, ok, err := StoredCheckpoint(ctx, db, "sales/prospects"); ok || (err != nil && (ec.Engine == crm.EnginePostgres || !errors.As(err, &pe))) {
				t.Errorf("SweepCheckpoint as a SELECT-only login = %v, %v; want none", ok, err)
			}
			if err := EnsureLedger(ctx, db); !errors.As(err, &pe) || pe.Privilege != "CREATE" {
				t.Errorf("EnsureLedger as a SELECT-only login: %v; want a PrivilegeError naming CREATE", err)
			} else if strings.Contains(err.Error(), "missing") || strings.Contains(err.Error(), "drop") {
				t.Errorf("the error misdiagnoses a missing privilege: %v", err)
			}
			if _, err := SweepBatch(ctx, db, m, prospectPlan(), sweepRun("run-1", 10)); !errors.As(err, &pe) {
				t.Errorf("SweepBatch as a SELECT-only login: %v; want a PrivilegeError", err)
			}
			if after := catalogSnapshot(t, ec.Engine, admin); after != before {
				t.Errorf("the catalog changed:\nbefore %s\nafter  %s", before, after)
			}
			if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM contacts"); n != 6 {
				t.Errorf("%d contacts left, want 6", n)
			}
		})
	}
}

// An enforced run works with exactly the documented grants, and a missing privilege is
// named, not taken for a broken table.
func TestEnforcedSweepWithDocumentedGrants(t *testing.T) {
	for _, ec := range serverEngines {
		t.Run(ec.Name, func(t *testing.T) {
			ctx := crmtest.TestContext(t)
			tdb := ec.Open(t)
			admin := tdb.Open(t)
			seedExpired(t, ec.Engine, admin, 10)
			crmtest.ExecAll(t, admin, "INSERT INTO deals (contact_id, title) VALUES (2, 'deal')")
			login := randomLogin("enforce_")
			crmtest.ExecAll(t, admin, documentedGrants(t, ec.Engine, login, tdb.Name, true)...)
			if ec.Engine == crm.EngineMySQL {
				// The login must be able to create the operator's database itself (on the shared
				// test server an earlier test may have created it as the administrator).
				crmtest.ExecAll(t, admin, "DROP DATABASE IF EXISTS "+crm.OperatorSchema)
			}

			db := crmtest.OpenCRM(t, loginAs(tdb, login))
			if err := EnsureLedger(ctx, db); err != nil {
				t.Fatalf("EnsureLedger: %v", err)
			}
			m, _ := crm.Preset(crm.PresetGeneric)
			run := sweepRun("run-1", 4)
			var erased int64
			for i := 0; ; i++ {
				res, err := SweepBatch(ctx, db, m, prospectPlan(), run)
				if err != nil {
					t.Fatalf("batch %d: %v", i, err)
				}
				erased += res.Erased
				if res.Done {
					if res.Checkpoint.Acted != 10 {
						t.Errorf("checkpoint counts %d contacts acted on, want 10", res.Checkpoint.Acted)
					}
					break
				}
			}
			if erased != 10 {
				t.Errorf("erased %d, want 10", erased)
			}
			counts, err := LedgerRunCounts(ctx, db, run.Policy, run.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]LedgerRuleCount{{Rule: "prospects", Action: ActionDeleteContact, Count: 10}}, counts); diff != "" {
				t.Errorf("LedgerRunCounts (-want +got):\n%s", diff)
			}
			for _, c := range []struct {
				q    string
				want int64
			}{
				{"SELECT COUNT(*) FROM contacts", 1},
				{"SELECT COUNT(*) FROM notes", 1},
				{"SELECT COUNT(*) FROM interactions", 1},
				{"SELECT COUNT(*) FROM deals WHERE contact_id IS NULL", 1},
				{"SELECT COUNT(*) FROM " + ledgerOf(ec.Engine) + " AND row_mac IS NOT NULL AND key_id = '" + crm.KeyID(LedgerSubjectKey(testKey)) + "'", 10},
			} {
				if n := crmtest.QueryInt(t, admin, c.q); n != c.want {
					t.Errorf("%s = %d, want %d", c.q, n, c.want)
				}
			}
			if err := FinishSweep(ctx, db, run.Policy, run.RunID); err != nil {
				t.Fatal(err)
			}

			// Without DELETE on a dependent table, the batch names the privilege and the table.
			revoke := "REVOKE DELETE ON notes FROM " + login
			if ec.Engine == crm.EngineMySQL {
				revoke = "REVOKE DELETE ON `" + tdb.Name + "`.`notes` FROM '" + login + "'@'%'"
			}
			old := time.Now().AddDate(-3, 0, 0).UTC().Format("2006-01-02 15:04:05")
			crmtest.ExecAll(t, admin, revoke,
				"INSERT INTO contacts (id, email, lifecycle_stage, contact_type, created_at, last_contact_at) VALUES (100, 'x@example.test', 'prospect', 'B2B', '"+old+"', '"+old+"')",
				"INSERT INTO notes (contact_id, body) VALUES (100, 'note')")
			_, err = SweepBatch(ctx, db, m, prospectPlan(), sweepRun("run-2", 4))
			var pe *crm.PrivilegeError
			if !errors.As(err, &pe) || pe.Privilege != "DELETE" || pe.Object != "table notes" {
				t.Fatalf("SweepBatch without DELETE on notes: %v; want a PrivilegeError naming DELETE on table notes", err)
			}
			if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM contacts WHERE id = 100"); n != 1 {
				t.Error("the contact was deleted by a failed batch")
			}
		})
	}
}

// The attack: a CRM user granted everything on the CRM's tables (and even on an
// old ledger in the CRM's schema) must not read, write or delete the operator's ledger and
// checkpoints.
func TestOperatorTablesAreOutOfReachOfCRMUsers(t *testing.T) {
	for _, ec := range serverEngines {
		t.Run(ec.Name, func(t *testing.T) {
			ctx := crmtest.TestContext(t)
			tdb := ec.Open(t)
			admin := tdb.Open(t)
			seedExpired(t, ec.Engine, admin, 3)
			op := randomLogin("op_")
			crmtest.ExecAll(t, admin, documentedGrants(t, ec.Engine, op, tdb.Name, true)...)
			db := crmtest.OpenCRM(t, loginAs(tdb, op))
			m, _ := crm.Preset(crm.PresetGeneric)
			for {
				res, err := SweepBatch(ctx, db, m, prospectPlan(), sweepRun("run-1", 2))
				if err != nil {
					t.Fatal(err)
				}
				if res.Done {
					break // the checkpoint row stays until FinishSweep
				}
			}

			user := randomLogin("crmuser_")
			if ec.Engine == crm.EnginePostgres {
				crmtest.ExecAll(t, admin,
					"CREATE TABLE "+LedgerTable+" (ledger_id integer PRIMARY KEY, run_id text, policy text, rule text, action text, erased_at timestamptz, subject_hmac text)",
					"CREATE ROLE "+user+" LOGIN PASSWORD '"+samplePassword+"'",
					`GRANT ALL ON DATABASE "`+tdb.Name+`" TO `+user,
					"GRANT ALL ON SCHEMA public TO "+user,
					"GRANT ALL ON ALL TABLES IN SCHEMA public TO "+user)
			} else {
				crmtest.ExecAll(t, admin,
					"CREATE TABLE "+LedgerTable+" (ledger_id integer PRIMARY KEY, run_id text, policy text, rule text, action text, erased_at datetime, subject_hmac text)",
					"CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+samplePassword+"'",
					"GRANT ALL ON `"+tdb.Name+"`.* TO '"+user+"'@'%'")
			}
			crmUser := crmtest.OpenCRM(t, loginAs(tdb, user)).DB()
			ledger, checkpoint := ledgerTableOf(ec.Engine), checkpointTableOf(ec.Engine)
			for _, stmt := range []string{
				"SELECT COUNT(*) FROM " + ledger,
				"SELECT COUNT(*) FROM " + checkpoint,
				"DELETE FROM " + ledger,
				"UPDATE " + ledger + " SET erased_at = erased_at",
				"INSERT INTO " + checkpoint + " (crm_database, policy, run_id, rule_index, rule, last_key, started_at, acted, updated_at, key_id, row_mac) " +
					"VALUES ('', 'sales/other', 'forged', 0, 'prospects', '', '2030-01-01 00:00:00', 0, '2030-01-01 00:00:00', 'x', 'x')",
				"UPDATE " + checkpoint + " SET last_key = '0'",
				"DELETE FROM " + checkpoint,
				"DROP TABLE " + ledger,
				"GRANT SELECT ON " + ledger + " TO " + map[crm.Engine]string{crm.EnginePostgres: user, crm.EngineMySQL: "'" + user + "'@'%'"}[ec.Engine],
			} {
				_, err := crmUser.ExecContext(ctx, stmt)
				if !crm.IsPermissionDenied(err) {
					t.Errorf("a CRM user with every privilege on the CRM ran %q: %v; want permission denied", stmt, err)
				}
			}
			if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(ec.Engine)); n != 3 {
				t.Errorf("the ledger has %d rows, want 3", n)
			}
			if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+checkpointTableOf(ec.Engine)+" WHERE "+scopeCond(ec.Engine)); n != 1 {
				t.Errorf("%d checkpoint rows, want 1", n)
			}
		})
	}
}

// On PostgreSQL a CRM user allowed to create schemas could create crm_privacy before the
// operator and own what the operator puts in it: the operator refuses a schema it does not
// own.
func TestOperatorRefusesASchemaItDoesNotOwn(t *testing.T) {
	ctx := crmtest.TestContext(t)
	tdb := testdb.Postgres(t)
	admin := tdb.Open(t)
	op, user := randomLogin("op_"), randomLogin("crmuser_")
	crmtest.LoadSample(t, admin, crmtest.GenericSample(crm.EnginePostgres))
	crmtest.ExecAll(t, admin, documentedGrants(t, crm.EnginePostgres, op, tdb.Name, true)...)
	crmtest.ExecAll(t, admin, "CREATE ROLE "+user+" LOGIN PASSWORD '"+samplePassword+"'", `GRANT CREATE ON DATABASE "`+tdb.Name+`" TO `+user)
	crmUser := crmtest.OpenCRM(t, loginAs(tdb, user)).DB()
	crmtest.ExecAll(t, crmUser, "CREATE SCHEMA crm_privacy", "GRANT USAGE, CREATE ON SCHEMA crm_privacy TO PUBLIC")
	db := crmtest.OpenCRM(t, loginAs(tdb, op))
	err := EnsureLedger(ctx, db)
	if err == nil || !strings.Contains(err.Error(), "not owned by the operator's login") {
		t.Fatalf("EnsureLedger in a schema a CRM user owns: %v", err)
	}
	m, _ := crm.Preset(crm.PresetGeneric)
	if _, err := SweepBatch(ctx, db, m, prospectPlan(), sweepRun("run-1", 10)); err == nil {
		t.Fatal("a sweep ran with its checkpoints in a schema a CRM user owns")
	}
	if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'crm_privacy'"); n != 0 {
		t.Errorf("the operator created %d relation(s) in the foreign schema", n)
	}
}

// oldLedgerDDL is the ledger of the versions that kept it in the CRM's own schema.
var oldLedgerDDL = map[crm.Engine]string{
	crm.EnginePostgres: `CREATE TABLE crm_privacy_erasure_ledger (ledger_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_id varchar(64) NOT NULL,
  policy varchar(320) NOT NULL, rule varchar(253) NOT NULL, action varchar(32) NOT NULL, erased_at timestamptz NOT NULL, subject_hmac char(64) NOT NULL,
  CONSTRAINT crm_privacy_erasure_ledger_once UNIQUE (policy, run_id, subject_hmac))`,
	crm.EngineMySQL: "CREATE TABLE `crm_privacy_erasure_ledger` (`ledger_id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, `run_id` VARCHAR(64) NOT NULL, " +
		"`policy` VARCHAR(320) NOT NULL, `rule` VARCHAR(253) NOT NULL, `action` VARCHAR(32) NOT NULL, `erased_at` DATETIME(6) NOT NULL, `subject_hmac` CHAR(64) NOT NULL, " +
		"UNIQUE KEY `crm_privacy_erasure_ledger_once` (`policy`, `run_id`, `subject_hmac`))",
	crm.EngineSQLite: `CREATE TABLE crm_privacy_erasure_ledger (ledger_id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, policy TEXT NOT NULL, rule TEXT NOT NULL,
  action TEXT NOT NULL, erased_at TIMESTAMP NOT NULL, subject_hmac TEXT NOT NULL, CONSTRAINT crm_privacy_erasure_ledger_once UNIQUE (policy, run_id, subject_hmac))`,
}

// A ledger an earlier version kept in the CRM's schema loses no proof: its rows are copied
// once into the operator's ledger (PostgreSQL, MariaDB) or kept in place with the new
// columns (SQLite), as legacy rows without key id or MAC that are never counted.
func TestOldLedgerIsKept(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		oldRow := func(subject int) string {
			return fmt.Sprintf("INSERT INTO crm_privacy_erasure_ledger (run_id, policy, rule, action, erased_at, subject_hmac) VALUES ('old-run', 'sales/p', 'r', 'Delete', '2024-05-06 07:08:09', '%s')",
				SubjectHMAC([]byte("raw-secret"), fmt.Sprint(subject)))
		}
		crmtest.ExecAll(t, admin, oldLedgerDDL[ec.Engine], oldRow(1), oldRow(2), oldRow(3))
		if err := EnsureLedger(ctx, db); err != nil {
			t.Fatal(err)
		}
		legacy := "SELECT COUNT(*) FROM " + ledgerOf(ec.Engine) + " AND run_id = 'old-run' AND key_id IS NULL AND row_mac IS NULL"
		if n := crmtest.QueryInt(t, admin, legacy); n != 3 {
			t.Fatalf("%d legacy rows in the operator's ledger, want 3", n)
		}
		crmtest.ExecAll(t, admin, oldRow(4))
		if err := EnsureLedger(ctx, db); err != nil {
			t.Fatal(err)
		}
		want := int64(3) // copied once
		if ec.Engine == crm.EngineSQLite {
			want = 4 // the same table
		} else if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM crm_privacy_erasure_ledger"); n != 4 {
			t.Errorf("the old table has %d rows, want its 4", n)
		}
		if n := crmtest.QueryInt(t, admin, legacy); n != want {
			t.Errorf("%d legacy rows after a second check, want %d", n, want)
		}
		counts, err := LedgerRunCounts(ctx, db, "sales/p", "old-run")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]LedgerRuleCount{{Rule: "r", Action: "Delete", Unverified: want}}, counts); diff != "" {
			t.Errorf("legacy rows counted (-want +got):\n%s", diff)
		}
		// New rows go into the same ledger.
		if n, err := InsertLedger(ctx, db, db.DB(), ledgerEntries("new-run", 1, 2, time.Now())); err != nil || n != 2 {
			t.Fatalf("InsertLedger after the upgrade = %d, %v", n, err)
		}
	})
}

func TestPruneLedger(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		if err := EnsureLedger(ctx, db); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		for i, at := range []time.Time{now.AddDate(-11, 0, 0), now.AddDate(-10, 0, -1), now.AddDate(-9, 0, 0), now} {
			if _, err := InsertLedger(ctx, db, db.DB(), ledgerEntries(fmt.Sprintf("run-%d", i), 1, 3, at)); err != nil {
				t.Fatal(err)
			}
		}
		n, err := PruneLedger(ctx, db, now.AddDate(-10, 0, 0))
		if err != nil || n != 6 {
			t.Fatalf("PruneLedger = %d, %v; want 6", n, err)
		}
		if left := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(ec.Engine)); left != 6 {
			t.Errorf("%d rows left, want 6", left)
		}
		if c, _ := LedgerCount(ctx, db, "sales/b2c-retention", "run-2"); c != 3 {
			t.Errorf("a row younger than the retention was deleted: run-2 has %d", c)
		}
	})
}

// Anonymize handles the contact's dependents as the mapping says: what the contact did
// (notes, interactions mapped as dependents) goes, deals are unlinked; the contact row
// stays, anonymised.
func TestAnonymizeHandlesDependentsAsMapped(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		seedExpired(t, ec.Engine, admin, 2)
		crmtest.ExecAll(t, admin, "INSERT INTO deals (contact_id, title) VALUES (1, 'deal')", "INSERT INTO deals (contact_id, title) VALUES (3, 'deal')")
		m, _ := crm.Preset(crm.PresetGeneric)
		plan := prospectPlan()
		plan.Rules[0].Action = ActionAnonymizeContact
		plan.Rules[0].Anonymize = []AnonymizeField{{Field: crm.FieldEmail, Strategy: StrategyHash}}
		for {
			res, err := SweepBatch(ctx, db, m, plan, sweepRun("run-1", 10))
			if err != nil {
				t.Fatal(err)
			}
			if res.Done {
				break
			}
		}
		for _, c := range []struct {
			q    string
			want int64
		}{
			{"SELECT COUNT(*) FROM contacts", 3},
			{"SELECT COUNT(*) FROM contacts WHERE email LIKE 'anon:%'", 2},
			{"SELECT COUNT(*) FROM notes WHERE contact_id IN (1, 2)", 0},
			{"SELECT COUNT(*) FROM interactions WHERE contact_id IN (1, 2)", 0},
			{"SELECT COUNT(*) FROM deals WHERE contact_id IS NULL", 1},
			{"SELECT COUNT(*) FROM notes WHERE contact_id = 3", 1},
			{"SELECT COUNT(*) FROM deals WHERE contact_id = 3", 1},
		} {
			if n := crmtest.QueryInt(t, admin, c.q); n != c.want {
				t.Errorf("%s = %d, want %d", c.q, n, c.want)
			}
		}
		// The Hash strategy uses its own key, derived from the ledger secret: not the raw
		// secret, and not the ledger's subject key.
		var email string
		if err := admin.QueryRowContext(ctx, "SELECT email FROM contacts WHERE id = 1").Scan(&email); err != nil {
			t.Fatal(err)
		}
		hashKey := crm.DeriveKey(testKey, crm.PurposeAnonymiseHash)
		if want := hashedValue(hashKey, sql.NullString{Valid: true, String: "p1@example.test"}); email != want {
			t.Errorf("email = %s, want %s (keyed with the derived Hash key)", email, want)
		}
	})
}

// docs/crmdatabase.md shows how to find a contact in the ledger with openssl (HKDF, then
// HMAC); these are the values that command prints for this secret and key.
func TestLedgerSubjectKeyMatchesTheDocumentedCommand(t *testing.T) {
	k := LedgerSubjectKey([]byte("erasure-test-hmac-key-0123456789abcdef"))
	if got, want := hex.EncodeToString(k), "76dfb539598b6c917c00d9889fe819cae06c1a105cf18c12278f5d35cafa1164"; got != want {
		t.Errorf("subject key = %s, want %s (openssl kdf … HKDF)", got, want)
	}
	if got, want := SubjectHMAC(k, "12345"), "18cab39b4e4073723ae45f9a2db0db6166dff74898cf1d0d01af166717bc1c29"; got != want {
		t.Errorf("subject HMAC = %s, want %s (openssl dgst -mac HMAC)", got, want)
	}
}
