package erasure

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
)

// workerSeed loads 80 contacts with keys 37·i for i in -20..60 but 0, so that they fall in
// 23 blocks of shareBlock keys (negative keys too: the shares take the remainder made
// non-negative; MariaDB would number a 0 itself). A key divisible by 3 was in touch last month and is kept;
// the others are three years old. Keys divisible by 5 are customers (rule "customers"
// anonymises their email), the rest prospects (rule "prospects" deletes them). Each contact
// has a note and an interaction. It returns the keys expected to be left and those
// anonymised.
func workerSeed(t *testing.T, e crm.Engine, admin *sql.DB) (left, anonymised []int) {
	t.Helper()
	crmtest.LoadSample(t, admin, crmtest.GenericSample(e))
	old := time.Now().AddDate(-3, 0, 0).UTC().Format("2006-01-02 15:04:05")
	recent := time.Now().AddDate(0, -1, 0).UTC().Format("2006-01-02 15:04:05")
	var stmts []string
	for i := -20; i <= 60; i++ {
		if i == 0 {
			continue
		}
		last, stage := old, "prospect"
		if i%3 == 0 {
			last = recent
		}
		if i%5 == 0 {
			stage = "customer"
		}
		id := 37 * i
		switch {
		case i%3 == 0:
			left = append(left, id)
		case stage == "customer":
			left = append(left, id)
			anonymised = append(anonymised, id)
		}
		stmts = append(stmts,
			fmt.Sprintf("INSERT INTO contacts (id, email, lifecycle_stage, contact_type, created_at, last_contact_at) VALUES (%d, 'c%d@example.test', '%s', 'B2B', '%s', '%s')", id, i+100, stage, old, last),
			fmt.Sprintf("INSERT INTO notes (contact_id, body) VALUES (%d, 'note')", id),
			fmt.Sprintf("INSERT INTO interactions (contact_id, occurred_at, kind) VALUES (%d, '%s', 'email')", id, last))
	}
	crmtest.ExecAll(t, admin, stmts...)
	return left, anonymised
}

// workerPlan deletes expired prospects, then anonymises the email of expired customers.
func workerPlan() RetentionPlan {
	cutoff := time.Now().AddDate(-2, 0, 0)
	return RetentionPlan{Rules: []RetentionRule{
		{Name: "prospects", Selector: crm.Selector{{Field: crm.FieldLifecycleStage, Operator: crm.OpIn, Values: []string{"prospect"}}},
			Cutoff: cutoff, RenewKinds: []string{"call"}, Action: ActionDeleteContact},
		{Name: "customers", Selector: crm.Selector{{Field: crm.FieldLifecycleStage, Operator: crm.OpIn, Values: []string{"customer"}}},
			Cutoff: cutoff, RenewKinds: []string{"call"}, Action: ActionAnonymizeContact,
			Anonymize: []AnonymizeField{{Field: crm.FieldEmail, Strategy: StrategyNull}}},
	}}
}

// assertWorkerOutcome checks the database after the whole run: the contacts left, the
// emails cleared, the notes left, one ledger row per contact acted on.
func assertWorkerOutcome(t *testing.T, e crm.Engine, admin *sql.DB, left, anonymised []int) {
	t.Helper()
	var got []int
	rows, err := admin.Query("SELECT id FROM contacts ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	rows.Close()
	if !slices.Equal(got, left) {
		t.Errorf("contacts left %v, want %v", got, left)
	}
	if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM contacts WHERE email IS NULL"); n != int64(len(anonymised)) {
		t.Errorf("%d emails cleared, want %d", n, len(anonymised))
	}
	if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM notes"); n != int64(len(left)-len(anonymised)) {
		t.Errorf("%d notes left, want %d (the kept contacts'; anonymised contacts' dependents go)", n, len(left)-len(anonymised))
	}
	acted := 80 - len(left) + len(anonymised)
	if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(e)); n != int64(acted) {
		t.Errorf("ledger has %d rows, want %d", n, acted)
	}
	if n := crmtest.QueryInt(t, admin, "SELECT COUNT(DISTINCT subject_hmac) FROM "+ledgerOf(e)); n != int64(acted) {
		t.Errorf("ledger has %d distinct subjects, want %d", n, acted)
	}
}

// wantWorkers is what Workers gives for 2 on an engine: SQLite has one writer.
func wantWorkers(e crm.Engine) int {
	if e == crm.EngineSQLite {
		return 1
	}
	return 2
}

func TestSweepWithWorkersActsOnWhatOneWorkerActsOn(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		left, anonymised := workerSeed(t, ec.Engine, admin)
		m, _ := crm.Preset(crm.PresetGeneric)
		if n, err := Workers(ctx, db, m, 2); err != nil || n != wantWorkers(ec.Engine) {
			t.Fatalf("Workers = %d, %v; want %d", n, err, wantWorkers(ec.Engine))
		}
		var batches []BatchResult
		outcome, err := Sweep(ctx, db, m, workerPlan(), sweepRun("run-w", 4), SweepOptions{Workers: 2, Budget: 1000,
			OnBatch: func(r BatchResult) { batches = append(batches, r) }})
		if err != nil || outcome != SweepDone {
			t.Fatalf("Sweep = %v, %v; want done", outcome, err)
		}
		var erased, anon int64
		for _, b := range batches {
			erased, anon = erased+b.Erased, anon+b.Anonymized
			if b.Erased > 4 || b.Anonymized > 4 {
				t.Errorf("a batch acted on %d+%d contacts, more than its 4", b.Erased, b.Anonymized)
			}
		}
		if erased != int64(80-len(left)) || anon != int64(len(anonymised)) {
			t.Errorf("batches report %d erased, %d anonymised; want %d, %d", erased, anon, 80-len(left), len(anonymised))
		}
		if last := batches[len(batches)-1].Checkpoint; last.Acted != erased+anon || last.RuleIndex != 2 {
			t.Errorf("final checkpoint %+v: want rule index 2 and %d acted", last, erased+anon)
		}
		assertWorkerOutcome(t, ec.Engine, admin, left, anonymised)
	})
}

func TestSweepWithWorkersResumesExactlyAfterAKill(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		left, anonymised := workerSeed(t, ec.Engine, admin)
		m, _ := crm.Preset(crm.PresetGeneric)
		run := sweepRun("run-k", 3)

		// A slice ends: Continue says stop after a few batches.
		var mu sync.Mutex
		asked := 0
		outcome, err := Sweep(crmtest.TestContext(t), db, m, workerPlan(), run, SweepOptions{Workers: 2, Budget: 1000,
			Continue: func() bool { mu.Lock(); defer mu.Unlock(); asked++; return asked < 3 }})
		if err != nil || outcome != SweepStopped {
			t.Fatalf("first slice = %v, %v; want stopped", outcome, err)
		}
		cp, ok, err := StoredCheckpoint(crmtest.TestContext(t), db, run.Policy)
		if err != nil || !ok || cp.Acted == 0 {
			t.Fatalf("checkpoint after the slice = %+v %v %v", cp, ok, err)
		}
		if w := wantWorkers(ec.Engine); w > 1 {
			// Each worker ran its first batch on its own share and recorded where it is.
			pos, ok := decodeShares(cp.LastKey)
			if !ok || len(pos) != w || slices.Contains(pos, "") {
				t.Errorf("checkpoint of a run with %d workers has last key %q", w, cp.LastKey)
			}
		}

		// The process dies in the middle of batches: the context ends while both workers'
		// transactions are open; they roll back.
		killCtx, kill := context.WithCancel(crmtest.TestContext(t))
		batches := 0
		_, err = Sweep(killCtx, db, m, workerPlan(), run, SweepOptions{Workers: 2, Budget: 1000,
			OnBatch: func(BatchResult) {
				if batches++; batches == 2 {
					kill()
				}
			}})
		kill()
		if err != nil && killCtx.Err() == nil {
			t.Fatalf("killed sweep: %v", err)
		}

		// A new process, a new pool; it asks for 3 workers, the run keeps its 2.
		db2 := crmtest.OpenCRM(t, crmtest.Source(t, db))
		if n, err := BeginSweep(crmtest.TestContext(t), db2, m, workerPlan(), run, 3); err != nil || n != wantWorkers(ec.Engine) {
			t.Fatalf("BeginSweep of the resumed run = %d, %v; want the %d workers it started with", n, err, wantWorkers(ec.Engine))
		}
		outcome, err = Sweep(crmtest.TestContext(t), db2, m, workerPlan(), run, SweepOptions{Workers: 3, Budget: 1000})
		if err != nil || outcome != SweepDone {
			t.Fatalf("resumed sweep = %v, %v; want done", outcome, err)
		}
		assertWorkerOutcome(t, ec.Engine, admin, left, anonymised)
		cp, _, _ = StoredCheckpoint(crmtest.TestContext(t), db2, run.Policy)
		if acted := int64(80 - len(left) + len(anonymised)); cp.Acted != acted {
			t.Errorf("checkpoint counts %d acted, want %d", cp.Acted, acted)
		}
	})
}

func TestSweepWithWorkersStopsAtItsBudget(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		workerSeed(t, ec.Engine, admin)
		m, _ := crm.Preset(crm.PresetGeneric)
		var acted int64
		outcome, err := Sweep(ctx, db, m, workerPlan(), sweepRun("run-b", 4), SweepOptions{Workers: 2, Budget: 7,
			OnBatch: func(r BatchResult) { acted += r.Erased + r.Anonymized }})
		if err != nil || outcome != SweepBudgetSpent {
			t.Fatalf("Sweep = %v, %v; want the budget spent", outcome, err)
		}
		if acted != 7 {
			t.Errorf("acted on %d contacts, want the budget of 7", acted)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM contacts"); n != 80-7 {
			t.Errorf("%d contacts left, want %d", n, 80-7)
		}
		if n := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM "+ledgerOf(ec.Engine)); n != 7 {
			t.Errorf("ledger has %d rows, want 7", n)
		}
	})
}

func TestSweepWorkersOfAnotherRunAreRefused(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		ctx := crmtest.TestContext(t)
		workerSeed(t, ec.Engine, admin)
		m, _ := crm.Preset(crm.PresetGeneric)
		stop := func() bool { return false }
		if _, err := Sweep(ctx, db, m, workerPlan(), sweepRun("run-a", 2), SweepOptions{Workers: 2, Budget: 100, Continue: stop}); err != nil {
			t.Fatal(err)
		}
		if _, err := Sweep(ctx, db, m, workerPlan(), sweepRun("run-b", 2), SweepOptions{Workers: 2, Budget: 100}); !errors.Is(err, ErrOtherRunInProgress) {
			t.Errorf("a second run swept while the first is unfinished: %v", err)
		}
		if ec.Engine == crm.EngineSQLite {
			return
		}
		// A single-worker batch of the run with two workers is refused, not misread.
		_, err := SweepBatch(ctx, db, m, workerPlan(), sweepRun("run-a", 2))
		var mismatch *CheckpointMismatchError
		if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), "2 worker(s), not 1") {
			t.Errorf("one worker resumed a run of two: %v", err)
		}
	})
}

func TestShareEncoding(t *testing.T) {
	pos := []string{"", "17", sharePassed, "-4"}
	got, ok := decodeShares(encodeShares(pos))
	if !ok || !slices.Equal(got, pos) {
		t.Errorf("decode(encode(%q)) = %q, %v", pos, got, ok)
	}
	if _, ok := decodeShares("42"); ok {
		t.Error("a single worker's key was read as worker positions")
	}
	if !allPassed([]string{sharePassed, sharePassed}) || allPassed([]string{sharePassed, ""}) {
		t.Error("allPassed is wrong")
	}
}
