package erasure

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// A run can erase with several workers at once, each in its own transactions, on its own
// share of the contacts: blocks of shareBlock consecutive integer keys, dealt out to the
// workers in turn. Every contact belongs to exactly one share, so each worker's batches
// are those a single worker would run on that share, rule after rule; two workers never
// lock the same contact. Blocks rather than single keys keep a worker's batch on
// neighbouring rows, and keep the shares even when keys follow a short period (odd and
// even keys of different kinds, servers numbering with auto_increment_increment).
//
// The run keeps one checkpoint row. With several workers its last_key holds one position per
// worker ("workers:" and the positions, comma-separated): "" before the worker's first
// window, a key after it, sharePassed once the worker found no contact left in the current
// rule. A worker reads its position when its batch starts (no other worker moves it) and
// writes it, under the row's lock, as its transaction's last statement; the worker that
// finds every share passed moves the run to the next rule. Each batch's erasures and its
// position commit together, so a run stopped at any moment resumes exactly where each
// worker stopped.

// lane is one worker's share: index of count.
type lane struct {
	index, count int
}

// singleLane is the share of a run's only worker: every contact.
var singleLane = lane{count: 1}

const (
	// workersPrefix starts the last_key of a checkpoint written by a run with several
	// workers.
	workersPrefix = "workers:"
	// sharePassed is the position of a worker that found no contact left in its share of
	// the current rule.
	sharePassed = "*"
	// shareBlock is how many consecutive keys go to one worker in turn.
	shareBlock = 128
	// MaxWorkers is the most workers one run may use.
	MaxWorkers = 8
	// batchAttempts is how often a batch that lost a deadlock or a serialization conflict
	// (and was rolled back whole) is run again before the run pauses.
	batchAttempts = 3
)

// encodeShares is the last_key of a checkpoint with these worker positions.
func encodeShares(pos []string) string {
	return workersPrefix + strings.Join(pos, ",")
}

// decodeShares reads the worker positions of a checkpoint's last_key; ok is false when the
// checkpoint was written by a run with one worker.
func decodeShares(lastKey string) ([]string, bool) {
	rest, ok := strings.CutPrefix(lastKey, workersPrefix)
	if !ok {
		return nil, false
	}
	return strings.Split(rest, ","), true
}

// storedWorkers is how many workers the run of a checkpoint uses. Only integer keys are
// shared out, so a text key that happens to start with workersPrefix is a single worker's.
func storedWorkers(p *planner, cp SweepCheckpoint) int {
	if p.keyText {
		return 1
	}
	if pos, ok := decodeShares(cp.LastKey); ok {
		return len(pos)
	}
	return 1
}

// checkLanes refuses a batch whose number of workers is not the one its run started with.
func checkLanes(run SweepRun, p *planner, cp SweepCheckpoint) error {
	want := max(run.lane.count, 1)
	if got := storedWorkers(p, cp); got != want {
		return &CheckpointMismatchError{Policy: run.Policy, Reason: fmt.Sprintf("the run started with %d worker(s), not %d", got, want)}
	}
	if want > 1 {
		pos, _ := decodeShares(cp.LastKey)
		for _, k := range pos {
			if k == "" || k == sharePassed {
				continue
			}
			if _, err := strconv.ParseInt(k, 10, 64); err != nil {
				return &CheckpointMismatchError{Policy: run.Policy, Reason: "a worker's position is not an integer key"}
			}
		}
	}
	return nil
}

// newCheckpoint is the checkpoint of a run before its first batch.
func newCheckpoint(run SweepRun, plan RetentionPlan, workers int) SweepCheckpoint {
	started := run.StartedAt
	if started.IsZero() {
		started = run.Now
	}
	cp := SweepCheckpoint{RunID: run.RunID, StartedAt: started.UTC().Truncate(time.Microsecond)}
	if len(plan.Rules) > 0 {
		cp.Rule = plan.Rules[0].Name
	}
	if workers > 1 {
		cp.LastKey = encodeShares(make([]string, workers))
	}
	return cp
}

// laneInTx is one batch of one worker of several: sweepInTx's loop over the worker's share
// of the current rule, then the worker's position written under the checkpoint row's lock.
// A worker whose share of the rule is passed writes sharePassed and waits for the others;
// the last one moves the run to the next rule.
func laneInTx(ctx context.Context, db *crm.Database, tx crm.Querier, p *planner, plan RetentionPlan, run SweepRun, cp SweepCheckpoint) (BatchResult, error) {
	pos, _ := decodeShares(cp.LastKey)
	own := pos[run.lane.index]
	res := BatchResult{RuleIndex: cp.RuleIndex}
	var acted int64
	if cp.RuleIndex < len(plan.Rules) && own != sharePassed {
		rule := plan.Rules[cp.RuleIndex]
		res.Rule = rule.Name
		empty := 0
		pos, n, passed, err := sweepWindows(ctx, db, tx, p, plan, run, cp, own, &empty)
		if err != nil {
			return BatchResult{}, err
		}
		own, acted = pos, n
		if passed {
			own = sharePassed
		}
		res.count(rule, acted)
	}
	return moveShare(ctx, db, tx, plan, run, cp, own, acted, res)
}

// moveShare writes the worker's position and count into the checkpoint row, locked and
// read again so that the other workers' positions written since this batch began are kept,
// and moves the run to the next rule when every share of the current one is passed.
func moveShare(ctx context.Context, db *crm.Database, tx crm.Querier, plan RetentionPlan, run SweepRun, began SweepCheckpoint, own string, acted int64, res BatchResult) (BatchResult, error) {
	cp, found, err := readCheckpointLocked(ctx, db, tx, run.Policy)
	if err != nil {
		return BatchResult{}, err
	}
	if !found || cp.RunID != began.RunID || cp.RuleIndex != began.RuleIndex || cp.LastKey == "" {
		return BatchResult{}, fmt.Errorf("the checkpoint of run %s of %s moved under one of its workers: the batch is rolled back", run.RunID, run.Policy)
	}
	pos, ok := decodeShares(cp.LastKey)
	if !ok || len(pos) != run.lane.count {
		return BatchResult{}, &CheckpointMismatchError{Policy: run.Policy, Reason: "the checkpoint no longer records this run's workers"}
	}
	pos[run.lane.index] = own
	cp.Acted += acted
	if allPassed(pos) && cp.RuleIndex < len(plan.Rules) {
		cp.RuleIndex++
		cp.Rule = ""
		if cp.RuleIndex < len(plan.Rules) {
			cp.Rule = plan.Rules[cp.RuleIndex].Name
		}
		pos = make([]string, run.lane.count)
		res.advanced = true
	}
	cp.LastKey = encodeShares(pos)
	res.Checkpoint = cp
	res.Done = cp.RuleIndex >= len(plan.Rules)
	res.waiting = own == sharePassed && !res.advanced && !res.Done
	return res, updateCheckpoint(ctx, db, tx, run.Policy, cp)
}

func allPassed(pos []string) bool {
	for _, k := range pos {
		if k != sharePassed {
			return false
		}
	}
	return true
}

// SweepOptions says how Sweep runs.
type SweepOptions struct {
	// Workers is how many batches run at once, each on its own connection and share of the
	// contacts. A run keeps the number it started with; it is 1 on SQLite (one writer at a
	// time) and for contacts with text keys. Values above MaxWorkers count as MaxWorkers.
	Workers int
	// Budget is the most contacts the call may erase or anonymise in all (the run's limit
	// less what it did already); at least 1.
	Budget int64
	// Continue is asked before each batch but each worker's first: false stops the sweep
	// once the batches in flight are committed.
	Continue func() bool
	// OnBatch receives each committed batch, one at a time.
	OnBatch func(BatchResult)
	// Now, when set, gives each batch the erasure time its ledger rows record (SweepRun.Now
	// otherwise).
	Now func() time.Time
}

// SweepOutcome says why Sweep returned.
type SweepOutcome int

const (
	// SweepStopped: Continue said stop, or the context ended; the run goes on later.
	SweepStopped SweepOutcome = iota
	// SweepDone: no rule selects any contact past the checkpoint; the run is finished.
	SweepDone
	// SweepBudgetSpent: the batches erased or anonymised Budget contacts.
	SweepBudgetSpent
)

// Workers is how many workers a run on db with mapping m can use when want are asked for:
// 1 on SQLite and for text keys, at most MaxWorkers.
func Workers(ctx context.Context, db *crm.Database, m crm.Mapping, want int) (int, error) {
	p, release, err := takePlanner(ctx, db, m)
	if err != nil {
		return 0, db.Scrub(err)
	}
	defer release()
	return workersFor(db, p, want), nil
}

// workersFor is Workers with the mapping's planner at hand.
func workersFor(db *crm.Database, p *planner, want int) int {
	if want <= 1 || db.Dialect().Engine() == crm.EngineSQLite || p.keyText {
		return 1
	}
	return min(want, MaxWorkers)
}

// Sweep runs the run's batches, on opts.Workers workers at once, until the run is done,
// its budget is spent, Continue says stop or a batch fails. Each batch is SweepBatch's: one
// transaction that re-checks the rule, erases, writes the ledger and moves the checkpoint.
// A batch rolled back by a deadlock or serialization failure is run again (batchAttempts).
// With several workers the first error stops the others after their batch in flight.
func Sweep(ctx context.Context, db *crm.Database, m crm.Mapping, plan RetentionPlan, run SweepRun, opts SweepOptions) (SweepOutcome, error) {
	if opts.Budget <= 0 {
		return SweepBudgetSpent, nil
	}
	workers, err := BeginSweep(ctx, db, m, plan, run, opts.Workers)
	if err != nil {
		return SweepStopped, err
	}
	s := &sweeper{ctx: ctx, db: db, m: m, plan: plan, run: run, opts: opts, workers: workers,
		budget: opts.Budget, results: make(chan laneReport)}
	s.freed = sync.NewCond(&s.mu)
	return s.sweep()
}

// BeginSweep prepares a run: the operator's tables, and, for a run not yet begun, its
// checkpoint with one position per worker. It returns the number of workers the run uses:
// the one it began with when it has a checkpoint already.
func BeginSweep(ctx context.Context, db *crm.Database, m crm.Mapping, plan RetentionPlan, run SweepRun, want int) (int, error) {
	if err := checkSweepRun(db, run); err != nil {
		return 0, err
	}
	if err := ensureOperatorTables(ctx, db, run.Ledger); err != nil {
		return 0, err
	}
	p, release, err := takePlanner(ctx, db, m)
	if err != nil {
		return 0, db.Scrub(err)
	}
	defer release()
	workers := workersFor(db, p, want)
	tx, err := db.DB().BeginTx(ctx, nil)
	if err != nil {
		return 0, db.Scrub(fmt.Errorf("while beginning the run of %s: %w", run.Policy, err))
	}
	defer func() { _ = tx.Rollback() }()
	cp, found, err := readCheckpointLocked(ctx, db, tx, run.Policy)
	switch {
	case err != nil:
		return 0, db.Scrub(err)
	case found && cp.RunID != run.RunID:
		return 0, fmt.Errorf("%w: run %s", ErrOtherRunInProgress, cp.RunID)
	case found:
		return storedWorkers(p, cp), nil
	}
	if workers > 1 {
		if err := writeCheckpoint(ctx, db, tx, run.Policy, newCheckpoint(run, plan, workers)); err != nil {
			return 0, db.Scrub(err)
		}
	}
	return workers, db.Scrub(tx.Commit())
}

// laneReport is one worker's batch, or why it stopped.
type laneReport struct {
	lane int
	res  *BatchResult
	err  error
	// ended: the worker stopped (its share of the rule passed, stop asked, budget spent,
	// run done or error); no further report comes from it.
	ended bool
}

// sweeper runs Sweep's workers and collects their batches.
type sweeper struct {
	ctx     context.Context
	db      *crm.Database
	m       crm.Mapping
	plan    RetentionPlan
	run     SweepRun
	opts    SweepOptions
	workers int
	results chan laneReport

	asking   sync.Mutex // held while opts.Continue runs
	mu       sync.Mutex
	freed    *sync.Cond // on mu: a batch gave back its reservation, or the sweep stops
	budget   int64      // not yet reserved by a batch
	reserved int64      // reserved by batches in flight
	stopping bool
}

// sweep starts every worker and collects their reports until none runs. When a batch moves
// the run to the next rule, every other worker has passed its share of the rule (it stopped,
// or is about to): each is started again once it has stopped.
func (s *sweeper) sweep() (SweepOutcome, error) {
	running := make([]bool, s.workers)
	restart := make([]bool, s.workers)
	start := func(i int, first bool) {
		running[i], restart[i] = true, false
		go s.work(i, first)
	}
	for i := range running {
		start(i, true)
	}
	var firstErr error
	done := false
	for active := s.workers; active > 0; {
		r := <-s.results
		if r.res != nil {
			if s.opts.OnBatch != nil {
				s.opts.OnBatch(*r.res)
			}
			done = done || r.res.Done
			if r.res.advanced && !r.res.Done {
				for i := range restart {
					restart[i] = i != r.lane
				}
			}
		}
		if r.err != nil && firstErr == nil {
			firstErr = r.err
			s.stop()
		}
		if r.ended {
			running[r.lane], active = false, active-1
		}
		for i, want := range restart {
			if want && !running[i] && !done && !s.stopped() {
				start(i, false)
				active++
			}
		}
	}
	switch {
	case firstErr != nil:
		return SweepStopped, firstErr
	case done:
		return SweepDone, nil
	case s.spentAll():
		return SweepBudgetSpent, nil
	}
	return SweepStopped, nil
}

// work runs worker i's batches until its share of the rule is passed, the run is done, or
// the sweep stops; first skips Continue before its first batch.
func (s *sweeper) work(i int, first bool) {
	run := s.run
	if s.workers > 1 {
		run.lane = lane{index: i, count: s.workers}
	}
	for ; ; first = false {
		if !first && !s.mayContinue() {
			s.results <- laneReport{lane: i, ended: true}
			return
		}
		reserved := s.reserve(int64(run.BatchSize))
		if reserved == 0 {
			s.results <- laneReport{lane: i, ended: true}
			return
		}
		run.MaxErasures = int(reserved)
		if s.opts.Now != nil {
			run.Now = s.now()
		}
		res, err := sweepWithRetries(s.ctx, s.db, s.m, s.plan, run)
		s.release(reserved, res.Erased+res.Anonymized)
		if err != nil {
			s.results <- laneReport{lane: i, err: err, ended: true}
			return
		}
		end := res.Done || res.waiting
		s.results <- laneReport{lane: i, res: &res, ended: end}
		if end {
			return
		}
	}
}

// mayContinue asks opts.Continue, once the sweep is not stopping already. The workers ask
// one at a time: Continue need not be safe for concurrent use.
func (s *sweeper) mayContinue() bool {
	s.asking.Lock()
	defer s.asking.Unlock()
	if s.stopped() || s.ctx.Err() != nil {
		return false
	}
	if s.opts.Continue != nil && !s.opts.Continue() {
		s.stop()
		return false
	}
	return true
}

// now asks opts.Now, one worker at a time.
func (s *sweeper) now() time.Time {
	s.asking.Lock()
	defer s.asking.Unlock()
	return s.opts.Now()
}

// stop makes every worker end after its batch in flight.
func (s *sweeper) stop() {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.freed.Broadcast()
}

func (s *sweeper) stopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// reserve takes up to n of the budget left for one batch. When the rest is reserved by
// batches in flight it waits for them: they may give some back. 0 when the budget is
// spent, or the sweep stops.
func (s *sweeper) reserve(n int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.budget == 0 && s.reserved > 0 && !s.stopping {
		s.freed.Wait()
	}
	if s.stopping {
		return 0
	}
	got := min(n, s.budget)
	s.budget -= got
	s.reserved += got
	return got
}

// spentAll says whether the batches erased or anonymised the whole budget.
func (s *sweeper) spentAll() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.budget == 0
}

// release ends a batch's reservation, giving back what it did not use.
func (s *sweeper) release(reserved, used int64) {
	s.mu.Lock()
	s.reserved -= reserved
	s.budget += max(reserved-used, 0)
	s.mu.Unlock()
	s.freed.Broadcast()
}

// sweepWithRetries runs SweepBatch, again when the database rolled it back to break a
// deadlock or a serialization conflict (with a CRM writer or another worker).
func sweepWithRetries(ctx context.Context, db *crm.Database, m crm.Mapping, plan RetentionPlan, run SweepRun) (BatchResult, error) {
	for attempt := 1; ; attempt++ {
		res, err := SweepBatch(ctx, db, m, plan, run)
		if err == nil || attempt == batchAttempts || !crm.IsTransient(err) || ctx.Err() != nil {
			return res, err
		}
	}
}
