package erasure

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
)

var testKey = []byte("erasure-test-hmac-key-0123456789abcdef")

// seedExpired loads the generic schema and n expired prospects (ids 1..n), each with a
// note and an interaction, plus one fresh prospect (id n+1).
func seedExpired(t *testing.T, e crm.Engine, admin *sql.DB, n int) {
	t.Helper()
	crmtest.LoadSample(t, admin, crmtest.GenericSample(e))
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
	crmtest.ExecAll(t, admin, stmts...)
}

func prospectPlan() RetentionPlan {
	return RetentionPlan{Rules: []RetentionRule{{
		Name: "prospects", Selector: crm.Selector{{Field: crm.FieldLifecycleStage, Operator: crm.OpIn, Values: []string{"prospect"}}},
		Cutoff: time.Now().AddDate(-2, 0, 0), RenewKinds: []string{"call"}, Action: ActionDeleteContact,
	}}}
}

func sweepRun(runID string, batch int) SweepRun {
	return SweepRun{Policy: "sales/prospects", RunID: runID, BatchSize: batch, Ledger: true, HMACKey: testKey, Now: time.Now()}
}

func TestSweepResumesExactlyAfterAKill(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		seedExpired(t, ec.Engine, admin, 10)
		m, _ := crm.Preset(crm.PresetGeneric)
		if err := EnsureLedger(crmtest.TestContext(t), db); err != nil {
			t.Fatal(err)
		}
		counts, err := CountPlan(crmtest.TestContext(t), db, m, prospectPlan())
		if err != nil || len(counts) != 1 || counts[0].Pending != 10 {
			t.Fatalf("plan = %+v, %v; want 10 pending", counts, err)
		}
		run := sweepRun("run-1", 3)
		for i := 0; i < 2; i++ {
			res, err := SweepBatch(crmtest.TestContext(t), db, m, prospectPlan(), run)
			if err != nil || res.Erased != 3 || res.Done {
				t.Fatalf("batch %d = %+v, %v", i, res, err)
			}
		}
		// The process dies: a new pool, nothing kept in memory.
		db2 := crmtest.OpenCRM(t, crmtest.Source(t, db))
		cp, ok, err := StoredCheckpoint(crmtest.TestContext(t), db2, run.Policy)
		if err != nil || !ok || cp.RunID != "run-1" || cp.LastKey != "6" {
			t.Fatalf("stored checkpoint = %+v %v %v; want run-1 at key 6", cp, ok, err)
		}
		var erased int64 = 6
		for {
			res, err := SweepBatch(crmtest.TestContext(t), db2, m, prospectPlan(), run)
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
		if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM contacts"); n != 1 {
			t.Errorf("%d contacts left, want the fresh one", n)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM notes"); n != 1 {
			t.Errorf("%d notes left, want the fresh contact's", n)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT COUNT(DISTINCT subject_hmac) FROM "+ledgerOf(ec.Engine)+" AND run_id = 'run-1'"); n != 10 {
			t.Errorf("ledger has %d distinct subjects, want 10", n)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(ec.Engine)); n != 10 {
			t.Errorf("ledger has %d rows, want 10", n)
		}
		// Another run cannot start while this one's checkpoint is stored.
		if _, err := SweepBatch(crmtest.TestContext(t), db2, m, prospectPlan(), sweepRun("run-2", 3)); !errors.Is(err, ErrOtherRunInProgress) {
			t.Errorf("a second run started while the first is unfinished: %v", err)
		}
		if err := FinishSweep(crmtest.TestContext(t), db2, run.Policy, run.RunID); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := StoredCheckpoint(crmtest.TestContext(t), db2, run.Policy); ok {
			t.Error("the checkpoint is still there after FinishSweep")
		}
	})
}

func TestSweepBatchIsAllOrNothing(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		seedExpired(t, ec.Engine, admin, 4)
		crmtest.ExecAll(t, admin, "INSERT INTO deals (contact_id, title) VALUES (2, 'deal')")
		if err := EnsureLedger(crmtest.TestContext(t), db); err != nil {
			t.Fatal(err)
		}
		m, _ := crm.Preset(crm.PresetGeneric)
		// The mapping forgets deals: deleting contact 2 violates its foreign key after the
		// notes and interactions of the batch are already deleted in the transaction.
		m.Dependents = m.Dependents[:2]
		_, err := SweepBatch(crmtest.TestContext(t), db, m, prospectPlan(), sweepRun("run-1", 10))
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
			{"SELECT COUNT(*) FROM " + ledgerOf(ec.Engine), 0},
		} {
			if n := crmtest.QueryInt(t, admin, c.q); n != c.want {
				t.Errorf("after a failed batch %s = %d, want %d (half-applied)", c.q, n, c.want)
			}
		}
		if _, ok, _ := StoredCheckpoint(crmtest.TestContext(t), db, "sales/prospects"); ok {
			t.Error("a failed batch moved the checkpoint")
		}
	})
}

func TestSweepLockKeepsReplicasApart(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		unlock, ok, err := LockSweep(crmtest.TestContext(t), db, "sales/prospects")
		if err != nil || !ok {
			t.Fatalf("first lock: %v %v", ok, err)
		}
		other := db
		if ec.Engine != crm.EngineSQLite {
			other = crmtest.OpenCRM(t, crmtest.Source(t, db)) // another replica: another pool
		}
		if _, ok, err := LockSweep(crmtest.TestContext(t), other, "sales/prospects"); err != nil || ok {
			t.Fatalf("a second holder got the lock: %v %v", ok, err)
		}
		if u, ok, err := LockSweep(crmtest.TestContext(t), other, "sales/other-policy"); err != nil || !ok {
			t.Fatalf("another policy's lock is blocked: %v %v", ok, err)
		} else {
			u()
		}
		unlock()
		u, ok, err := LockSweep(crmtest.TestContext(t), other, "sales/prospects")
		if err != nil || !ok {
			t.Fatalf("lock not released: %v %v", ok, err)
		}
		u()
	})
}

func TestSelectorNeverWidensOnUnmappedFields(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		seedExpired(t, ec.Engine, admin, 2)
		m, _ := crm.Preset(crm.PresetGeneric)
		plan := prospectPlan()
		plan.Rules[0].Selector = crm.Selector{{Field: "favouriteColour", Operator: crm.OpIn, Values: []string{"blue"}}}
		_, err := CountPlan(crmtest.TestContext(t), db, m, plan)
		var se *crm.SelectorError
		if !errors.As(err, &se) || !strings.Contains(se.Message, "favouriteColour") {
			t.Fatalf("want a SelectorError naming the field, got %v", err)
		}
		if _, err := SweepBatch(crmtest.TestContext(t), db, m, plan, sweepRun("r", 10)); !errors.As(err, &se) {
			t.Fatalf("the sweep ran with an unmapped field: %v", err)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM contacts"); n != 3 {
			t.Errorf("%d contacts left, want 3", n)
		}
	})
}

// Policies of one database that start together all create the operator's schema and the
// checkpoint table at once; every one of them must get it, not a "duplicate key" error from
// PostgreSQL's catalog.
func TestCheckpointTableSurvivesConcurrentCreation(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		drop := "DROP TABLE IF EXISTS " + checkpointTableOf(ec.Engine)
		if ec.Engine == crm.EnginePostgres {
			drop = "DROP SCHEMA IF EXISTS " + crm.OperatorSchema + " CASCADE"
		}
		if _, err := admin.ExecContext(crmtest.TestContext(t), drop); err != nil {
			t.Fatalf("dropping the checkpoint table: %v", err)
		}
		const policies = 8
		replicas := make([]*crm.Database, policies)
		for i := range replicas {
			replicas[i] = db
			if ec.Engine != crm.EngineSQLite {
				replicas[i] = crmtest.OpenCRM(t, crmtest.Source(t, db)) // a pool each: truly concurrent DDL
			}
		}
		start := make(chan struct{})
		errs := make(chan error, policies)
		for i, r := range replicas {
			go func() {
				<-start
				if err := ensureCheckpointTable(crmtest.TestContext(t), r); err != nil {
					errs <- err
					return
				}
				_, _, err := StoredCheckpoint(crmtest.TestContext(t), r, fmt.Sprintf("sales/policy-%d", i))
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

// insertInWindow runs its statements through the batch's transaction just before the
// first query that follows the window's end (SELECT MAX(…)): another writer's contact
// landing inside the window between the two reads.
type insertInWindow struct {
	*sql.Tx
	stmts         []string
	afterEnd, did bool
}

func (q *insertInWindow) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if strings.HasPrefix(query, "SELECT MAX(") {
		q.afterEnd = true
	}
	return q.Tx.QueryRowContext(ctx, query, args...)
}

func (q *insertInWindow) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if q.afterEnd && !q.did {
		q.did = true
		for _, s := range q.stmts {
			if _, err := q.Tx.ExecContext(ctx, s); err != nil {
				return nil, err
			}
		}
	}
	return q.Tx.QueryContext(ctx, query, args...)
}

// A contact inserted inside a batch's window after the batch read where the window ends is
// examined, and the window's last contact is not pushed out and skipped: the batch's
// position stops at the last contact it examined.
func TestWindowKeepsItsEndWhenAContactLandsInside(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		seedExpired(t, ec.Engine, admin, 5) // 1–5 expired, 6 fresh
		crmtest.ExecAll(t, admin, "DELETE FROM notes WHERE contact_id = 3",
			"DELETE FROM interactions WHERE contact_id = 3", "DELETE FROM contacts WHERE id = 3")
		if err := ensureOperatorTables(ctx, db, true); err != nil {
			t.Fatal(err)
		}
		m, _ := crm.Preset(crm.PresetGeneric)
		p, err := newPlanner(ctx, db, m)
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().AddDate(-3, 0, 0).UTC().Format("2006-01-02 15:04:05")
		tx, err := db.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		q := &insertInWindow{Tx: tx, stmts: []string{fmt.Sprintf(
			"INSERT INTO contacts (id, email, lifecycle_stage, contact_type, created_at, last_contact_at) VALUES (3, 'p3@example.test', 'prospect', 'B2B', '%s', '%s')", old, old)}}
		// The first window is 1, 2, 4; contact 3 arrives before the batch selects.
		res, err := sweepInTx(ctx, db, q, p, prospectPlan(), sweepRun("run-1", 3))
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if !q.did {
			t.Fatal("the contact was never inserted: the batch's queries changed")
		}
		if res.Erased != 3 || res.Checkpoint.LastKey != "3" {
			t.Fatalf("first batch erased %d up to %q, want 3 up to \"3\" (1, 2 and the new 3)", res.Erased, res.Checkpoint.LastKey)
		}
		for {
			res, err := SweepBatch(ctx, db, m, prospectPlan(), sweepRun("run-1", 3))
			if err != nil {
				t.Fatal(err)
			}
			if res.Done {
				break
			}
		}
		if got := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM contacts WHERE id <> 6"); got != 0 {
			t.Errorf("%d expired contacts left after the run: the window's last one was skipped", got)
		}
	})
}
