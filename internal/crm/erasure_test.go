package crm

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

var testKey = []byte("erasure-test-hmac-key-0123456789abcdef")

// seedExpired loads the generic schema and n expired prospects (ids 1..n), each with a
// note and an interaction, plus one fresh prospect (id n+1).
func seedExpired(t *testing.T, e Engine, admin *sql.DB, n int) {
	t.Helper()
	loadSample(t, admin, genericSample(e))
	old := time.Now().AddDate(-3, 0, 0).UTC().Format("2006-01-02 15:04:05")
	recent := time.Now().AddDate(0, -1, 0).UTC().Format("2006-01-02 15:04:05")
	var stmts []string
	for i := 1; i <= n+1; i++ {
		last := old
		if i == n+1 {
			last = recent
		}
		stmts = append(stmts,
			fmt.Sprintf("INSERT INTO contacts (id, email, lifecycle_stage, contact_type, created_at, last_contact_at) VALUES (%d, 'p%d@example.test', 'prospect', 'B2B', '%s', '%s')", i, i, old, last),
			fmt.Sprintf("INSERT INTO notes (contact_id, body) VALUES (%d, 'note')", i),
			fmt.Sprintf("INSERT INTO interactions (contact_id, occurred_at, kind) VALUES (%d, '%s', 'email')", i, last))
	}
	execAll(t, admin, stmts...)
}

func prospectPlan() RetentionPlan {
	return RetentionPlan{Rules: []RetentionRule{{
		Name: "prospects", Selector: Selector{{Field: FieldLifecycleStage, Operator: OpIn, Values: []string{"prospect"}}},
		Cutoff: time.Now().AddDate(-2, 0, 0), RenewKinds: []string{"call"}, Action: ActionDeleteContact,
	}}}
}

func sweepRun(runID string, batch int) SweepRun {
	return SweepRun{Policy: "sales/prospects", RunID: runID, BatchSize: batch, Ledger: true, HMACKey: testKey, Now: time.Now()}
}

func TestSweepResumesExactlyAfterAKill(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, db *Database, admin *sql.DB) {
		seedExpired(t, ec.engine, admin, 10)
		m, _ := Preset(PresetGeneric)
		if err := db.EnsureLedger(testContext(t)); err != nil {
			t.Fatal(err)
		}
		counts, err := db.CountPlan(testContext(t), m, prospectPlan())
		if err != nil || len(counts) != 1 || counts[0].Pending != 10 {
			t.Fatalf("plan = %+v, %v; want 10 pending", counts, err)
		}
		run := sweepRun("run-1", 3)
		for i := 0; i < 2; i++ {
			res, err := db.SweepBatch(testContext(t), m, prospectPlan(), run)
			if err != nil || res.Erased != 3 || res.Done {
				t.Fatalf("batch %d = %+v, %v", i, res, err)
			}
		}
		// The process dies: a new pool, nothing kept in memory.
		db2 := openCRM(t, db.testSource(t))
		cp, ok, err := db2.SweepCheckpoint(testContext(t), run.Policy)
		if err != nil || !ok || cp.RunID != "run-1" || cp.LastKey != "6" {
			t.Fatalf("stored checkpoint = %+v %v %v; want run-1 at key 6", cp, ok, err)
		}
		var erased int64 = 6
		for {
			res, err := db2.SweepBatch(testContext(t), m, prospectPlan(), run)
			if err != nil {
				t.Fatal(err)
			}
			erased += res.Erased
			if res.Done {
				break
			}
		}
		if erased != 10 {
			t.Errorf("erased %d, want 10", erased)
		}
		if n := queryInt(t, admin, "SELECT COUNT(*) FROM contacts"); n != 1 {
			t.Errorf("%d contacts left, want the fresh one", n)
		}
		if n := queryInt(t, admin, "SELECT COUNT(*) FROM notes"); n != 1 {
			t.Errorf("%d notes left, want the fresh contact's", n)
		}
		if n := queryInt(t, admin, "SELECT COUNT(DISTINCT subject_hmac) FROM "+ledgerOf(ec.engine)+" AND run_id = 'run-1'"); n != 10 {
			t.Errorf("ledger has %d distinct subjects, want 10", n)
		}
		if n := queryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(ec.engine)); n != 10 {
			t.Errorf("ledger has %d rows, want 10", n)
		}
		// Another run cannot start while this one's checkpoint is stored.
		if _, err := db2.SweepBatch(testContext(t), m, prospectPlan(), sweepRun("run-2", 3)); !errors.Is(err, ErrOtherRunInProgress) {
			t.Errorf("a second run started while the first is unfinished: %v", err)
		}
		if err := db2.FinishSweep(testContext(t), run.Policy, run.RunID); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := db2.SweepCheckpoint(testContext(t), run.Policy); ok {
			t.Error("the checkpoint is still there after FinishSweep")
		}
	})
}

// testSource returns the test database this Database was opened on (for a second pool).
func (db *Database) testSource(t *testing.T) *testdb.Database {
	t.Helper()
	src, ok := openedFrom.Load(db)
	if !ok {
		t.Fatal("unknown test database")
	}
	return src.(*testdb.Database)
}

func TestSweepBatchIsAllOrNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, db *Database, admin *sql.DB) {
		seedExpired(t, ec.engine, admin, 4)
		execAll(t, admin, "INSERT INTO deals (contact_id, title) VALUES (2, 'deal')")
		if err := db.EnsureLedger(testContext(t)); err != nil {
			t.Fatal(err)
		}
		m, _ := Preset(PresetGeneric)
		// The mapping forgets deals: deleting contact 2 violates its foreign key after the
		// notes and interactions of the batch are already deleted in the transaction.
		m.Dependents = m.Dependents[:2]
		_, err := db.SweepBatch(testContext(t), m, prospectPlan(), sweepRun("run-1", 10))
		if err == nil {
			t.Fatal("the batch succeeded despite the foreign key")
		}
		for _, c := range []struct {
			q    string
			want int64
		}{
			{"SELECT COUNT(*) FROM contacts", 5},
			{"SELECT COUNT(*) FROM notes", 5},
			{"SELECT COUNT(*) FROM interactions", 5},
			{"SELECT COUNT(*) FROM " + ledgerOf(ec.engine), 0},
		} {
			if n := queryInt(t, admin, c.q); n != c.want {
				t.Errorf("after a failed batch %s = %d, want %d (half-applied)", c.q, n, c.want)
			}
		}
		if _, ok, _ := db.SweepCheckpoint(testContext(t), "sales/prospects"); ok {
			t.Error("a failed batch moved the checkpoint")
		}
	})
}

func TestSweepLockKeepsReplicasApart(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, db *Database, admin *sql.DB) {
		unlock, ok, err := db.LockSweep(testContext(t), "sales/prospects")
		if err != nil || !ok {
			t.Fatalf("first lock: %v %v", ok, err)
		}
		other := db
		if ec.engine != EngineSQLite {
			other = openCRM(t, db.testSource(t)) // another replica: another pool
		}
		if _, ok, err := other.LockSweep(testContext(t), "sales/prospects"); err != nil || ok {
			t.Fatalf("a second holder got the lock: %v %v", ok, err)
		}
		if u, ok, err := other.LockSweep(testContext(t), "sales/other-policy"); err != nil || !ok {
			t.Fatalf("another policy's lock is blocked: %v %v", ok, err)
		} else {
			u()
		}
		unlock()
		u, ok, err := other.LockSweep(testContext(t), "sales/prospects")
		if err != nil || !ok {
			t.Fatalf("lock not released: %v %v", ok, err)
		}
		u()
	})
}

func TestSelectorNeverWidensOnUnmappedFields(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, db *Database, admin *sql.DB) {
		seedExpired(t, ec.engine, admin, 2)
		m, _ := Preset(PresetGeneric)
		plan := prospectPlan()
		plan.Rules[0].Selector = Selector{{Field: "favouriteColour", Operator: OpIn, Values: []string{"blue"}}}
		_, err := db.CountPlan(testContext(t), m, plan)
		var se *SelectorError
		if !errors.As(err, &se) || !strings.Contains(se.Message, "favouriteColour") {
			t.Fatalf("want a SelectorError naming the field, got %v", err)
		}
		if _, err := db.SweepBatch(testContext(t), m, plan, sweepRun("r", 10)); !errors.As(err, &se) {
			t.Fatalf("the sweep ran with an unmapped field: %v", err)
		}
		if n := queryInt(t, admin, "SELECT COUNT(*) FROM contacts"); n != 3 {
			t.Errorf("%d contacts left, want 3", n)
		}
	})
}

// Policies of one database that start together all create the operator's schema and the
// checkpoint table at once; every one of them must get it, not a "duplicate key" error from
// PostgreSQL's catalog.
func TestCheckpointTableSurvivesConcurrentCreation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, db *Database, admin *sql.DB) {
		drop := "DROP TABLE IF EXISTS " + checkpointTableOf(ec.engine)
		if ec.engine == EnginePostgres {
			drop = "DROP SCHEMA IF EXISTS " + OperatorSchema + " CASCADE"
		}
		if _, err := admin.ExecContext(testContext(t), drop); err != nil {
			t.Fatalf("dropping the checkpoint table: %v", err)
		}
		const policies = 8
		replicas := make([]*Database, policies)
		for i := range replicas {
			replicas[i] = db
			if ec.engine != EngineSQLite {
				replicas[i] = openCRM(t, db.testSource(t)) // a pool each: truly concurrent DDL
			}
		}
		start := make(chan struct{})
		errs := make(chan error, policies)
		for i, r := range replicas {
			go func() {
				<-start
				if err := r.ensureCheckpointTable(testContext(t)); err != nil {
					errs <- err
					return
				}
				_, _, err := r.SweepCheckpoint(testContext(t), fmt.Sprintf("sales/policy-%d", i))
				errs <- err
			}()
		}
		close(start)
		for range policies {
			if err := <-errs; err != nil {
				t.Errorf("a policy could not read its checkpoint: %v", err)
			}
		}
	})
}
