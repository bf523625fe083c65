package crm

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// testOperatorKeys are the operator keys of every Database openCRM opens.
var testOperatorKeys = mustOperatorKeys("operator-test-key-0123456789abcdef0123456789")

func mustOperatorKeys(secret string) OperatorKeys {
	k, err := NewOperatorKeys([]byte(secret))
	if err != nil {
		panic(err)
	}
	return k
}

// ledgerTableOf and checkpointTableOf are the operator's tables as a test names them.
func ledgerTableOf(e Engine) string     { return operatorTableName(e, LedgerTable) }
func checkpointTableOf(e Engine) string { return operatorTableName(e, CheckpointTable) }

// scopeCond selects the operator's rows of the test's own database: on MariaDB the
// operator's database is shared by every test database of the server.
func scopeCond(e Engine) string {
	if e == EngineMySQL {
		return "crm_database = DATABASE()"
	}
	return "crm_database = ''"
}

// ledgerOf is "ledger WHERE <this database's rows>".
func ledgerOf(e Engine) string { return ledgerTableOf(e) + " WHERE " + scopeCond(e) }

// samplePassword is the password of the logins of config/samples/crm/operator-grants-*.sql.
const samplePassword = "change-me-example-only"

func randomLogin(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// documentedGrants returns the statements of config/samples/crm/operator-grants-<engine>.sql
// (docs/security.md links them) for login on database: the DryRun part, or all of it.
func documentedGrants(t *testing.T, e Engine, login, database string, enforce bool) []string {
	t.Helper()
	name := map[Engine]string{EnginePostgres: "operator-grants-postgres.sql", EngineMySQL: "operator-grants-mariadb.sql"}[e]
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "crm", name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if !enforce {
		text = text[:strings.Index(text, "-- @enforce")]
	}
	text = strings.ReplaceAll(text, "crm_privacy_operator", login)
	if e == EnginePostgres {
		text = strings.ReplaceAll(text, `"crm"`, `"`+database+`"`)
	} else {
		text = strings.ReplaceAll(text, "`crm`", "`"+database+"`")
	}
	return splitSQL(text)
}

// loginAs returns tdb with the credentials of login (sample password).
func loginAs(tdb *testdb.Database, login string) *testdb.Database {
	c := *tdb
	c.User, c.Password = login, samplePassword
	return &c
}

// catalogSnapshot lists the schemas and relations of the database (and, on MariaDB, of
// the operator's database) with their row counts in the operator's tables, to show that
// something wrote nothing.
func catalogSnapshot(t *testing.T, e Engine, admin *sql.DB) string {
	t.Helper()
	var q string
	switch e {
	case EnginePostgres:
		q = `SELECT string_agg(n.nspname || '.' || COALESCE(c.relname, '') || ':' || COALESCE(c.relkind::text, ''), ',' ORDER BY n.nspname, c.relname)
FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`
	default:
		q = `SELECT CONCAT((SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'crm_privacy'), ';',
  COALESCE((SELECT GROUP_CONCAT(CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) ORDER BY TABLE_SCHEMA, TABLE_NAME)
  FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (DATABASE(), 'crm_privacy')), ''))`
	}
	var s string
	if err := admin.QueryRowContext(testContext(t), q).Scan(&s); err != nil {
		t.Fatal(err)
	}
	if e == EngineMySQL && strings.Contains(s, LedgerTable) {
		s += fmt.Sprintf(";%d", queryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(e)))
	}
	return s
}

// serverEngines are the engines with logins and privileges.
var serverEngines = engineCases[:2]

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
	forEachEngine(t, func(t *testing.T, ec engineCase, db *Database, admin *sql.DB) {
		ctx := testContext(t)
		seedExpired(t, ec.engine, admin, 10)
		if err := db.ensureOperatorTables(ctx, true); err != nil {
			t.Fatal(err)
		}
		scope, err := db.scope(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Preset(PresetGeneric)
		const policy, runID = "sales/prospects", "forged-run"
		// The forger claims a run started tomorrow: its cutoffs would reach contacts in
		// touch today.
		cp := SweepCheckpoint{RunID: runID, Rule: "prospects", StartedAt: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Microsecond)}
		key := testOperatorKeys.CheckpointKey()
		other := mustOperatorKeys("another-operator-key-0123456789abcdef012345").CheckpointKey()
		tampered := cp
		tampered.LastKey = "5"
		insert := func(t *testing.T, keyID, mac string) {
			t.Helper()
			d := db.dialect
			ph := make([]string, 11)
			for i := range ph {
				ph[i] = d.Placeholder(i + 1)
			}
			execAll(t, admin, "DELETE FROM "+checkpointTableOf(ec.engine)+" WHERE "+scopeCond(ec.engine))
			_, err := admin.ExecContext(ctx, "INSERT INTO "+checkpointTableOf(ec.engine)+
				" (crm_database, policy, run_id, rule_index, rule, last_key, started_at, acted, updated_at, key_id, row_mac) VALUES ("+strings.Join(ph, ", ")+")",
				scope, policy, cp.RunID, cp.RuleIndex, cp.Rule, cp.LastKey, bindTime(ec.engine, cp.StartedAt), cp.Acted, bindTime(ec.engine, time.Now()), keyID, mac)
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name, keyID, mac, reason string
		}{
			{"without a MAC", KeyID(key), "", UnverifiedNoMAC},
			{"MAC under another key", KeyID(other), checkpointMAC(other, scope, policy, cp), UnverifiedOtherKey},
			{"MAC of another row", KeyID(key), checkpointMAC(key, scope, policy, tampered), UnverifiedBadMAC},
			{"MAC under another key, claiming the operator's key id", KeyID(key), checkpointMAC(other, scope, policy, cp), UnverifiedBadMAC},
		} {
			t.Run(tc.name, func(t *testing.T) {
				insert(t, tc.keyID, tc.mac)
				_, ok, err := db.SweepCheckpoint(ctx, policy)
				var ue *UnverifiedRowError
				if !errors.As(err, &ue) || ok || ue.Reason != tc.reason || ue.Policy != policy {
					t.Fatalf("SweepCheckpoint = ok %v, %v; want an UnverifiedRowError (%s)", ok, err, tc.reason)
				}
				plan := prospectPlan()
				run := sweepRun(runID, 100)
				run.StartedAt = cp.StartedAt
				if _, err := db.SweepBatch(ctx, m, plan, run); !errors.As(err, &ue) {
					t.Fatalf("SweepBatch from a forged checkpoint: %v; want an UnverifiedRowError", err)
				}
				if n := queryInt(t, admin, "SELECT COUNT(*) FROM contacts"); n != 11 {
					t.Errorf("%d contacts left, want all 11", n)
				}
				if n := queryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(ec.engine)); n != 0 {
					t.Errorf("%d ledger rows written", n)
				}
			})
		}
		// The same row with the operator's MAC is the operator's: the forged rows above were
		// refused for their MAC, not for their layout.
		insert(t, KeyID(key), checkpointMAC(key, scope, policy, cp))
		got, ok, err := db.SweepCheckpoint(ctx, policy)
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
		if _, err := db.SweepBatch(ctx, m, prospectPlan(), run); !errors.As(err, &me) {
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
	forEachEngine(t, func(t *testing.T, ec engineCase, db *Database, admin *sql.DB) {
		ctx := testContext(t)
		if err := db.EnsureLedger(ctx); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
		if _, err := db.InsertLedger(ctx, db.DB(), ledgerEntries("run-1", 1, 3, at)); err != nil {
			t.Fatal(err)
		}
		scope, _ := db.scope(ctx)
		d := db.dialect
		ph := make([]string, 9)
		for i := range ph {
			ph[i] = d.Placeholder(i + 1)
		}
		ins := "INSERT INTO " + ledgerTableOf(ec.engine) + " (crm_database, run_id, policy, rule, action, erased_at, subject_hmac, key_id, row_mac) VALUES (" + strings.Join(ph, ", ") + ")"
		for i, e := range ledgerEntries("run-1", 100, 5, at) {
			mac := sql.NullString{}
			if i%2 == 1 { // a MAC under another operator key
				mac = sql.NullString{Valid: true, String: ledgerRowMAC(mustOperatorKeys("another-operator-key-0123456789abcdef012345").LedgerRowKey(), scope, e)}
			}
			if _, err := admin.ExecContext(ctx, ins, scope, e.RunID, e.Policy, e.Rule, e.Action, bindTime(ec.engine, e.ErasedAt), e.SubjectHMAC, e.KeyID, mac); err != nil {
				t.Fatal(err)
			}
		}
		// A legitimate row whose erasure time is moved no longer verifies either.
		if _, err := admin.ExecContext(ctx, "UPDATE "+ledgerTableOf(ec.engine)+" SET erased_at = "+d.Placeholder(1)+" WHERE subject_hmac = "+d.Placeholder(2),
			bindTime(ec.engine, at.Add(time.Hour)), SubjectHMAC([]byte("ledger-key"), "1")); err != nil {
			t.Fatal(err)
		}
		got, err := db.LedgerRunCounts(ctx, "sales/b2c-retention", "run-1")
		if err != nil {
			t.Fatal(err)
		}
		want := []LedgerRuleCount{{Rule: "inactive-3y", Action: "delete", Count: 2, Unverified: 6}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LedgerRunCounts (-want +got):\n%s", diff)
		}
	})
}
