package erasure

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// CheckpointTable keeps, per policy, where its run in progress stopped. It is written in
// the same transaction as each batch, so it is exact whenever the process stops. It lives in
// the operator's schema, and each row carries a MAC under the operator key: a row the
// operator did not write is never resumed from.
const CheckpointTable = "crm_privacy_sweep_checkpoint"

// SweepRun identifies a run and how it erases.
type SweepRun struct {
	// Policy is the RetentionPolicy, "namespace/name".
	Policy string
	// RunID names the run; a resumed run keeps it.
	RunID string
	// BatchSize is how many contacts one transaction handles.
	BatchSize int
	// Ledger writes one ledger row per contact.
	Ledger bool
	// HMACKey is the CRMDatabase's ledger secret. The ledger's subject HMACs and the Hash
	// strategy each use their own key derived from it (LedgerSubjectKey, PurposeAnonymiseHash).
	HMACKey []byte
	// Now is the erasure time recorded in the ledger.
	Now time.Time
	// MaxErasures, when positive, caps the contacts the batch erases or anonymises: what is
	// left of the run's budget. The checkpoint then stops after the last contact handled.
	MaxErasures int
	// StartedAt is the time the run's cutoffs are computed from. The first batch records it
	// in the checkpoint (Now when zero); a resumed run must pass the recorded value
	// (SweepCheckpoint.StartedAt), and no rule's cutoff may be later than it.
	StartedAt time.Time

	// lane is the worker's share of the contacts when Sweep runs several workers; the zero
	// value is the single worker of SweepBatch.
	lane lane
}

// SweepCheckpoint is where a run stopped: the rule it was on and the last contact key
// handled in that rule. Every field is under the row's MAC.
type SweepCheckpoint struct {
	RunID     string
	RuleIndex int
	// Rule is the name of the rule at RuleIndex when the checkpoint was written ("" past
	// the last rule): a resumed run whose plan has another rule there is refused.
	Rule    string
	LastKey string
	// StartedAt is the run's recorded start, which its cutoffs are computed from.
	StartedAt time.Time
	// Acted is how many contacts the run erased or anonymised so far, in committed batches.
	Acted int64
}

// CheckpointMismatchError says that a run cannot resume from its checkpoint with the plan
// it was given: the policy's rules changed, or the plan's times are not the run's. Nothing
// is done; abandon the run (FinishSweep) and start a new one.
type CheckpointMismatchError struct {
	Policy string
	Reason string
}

func (e *CheckpointMismatchError) Error() string {
	return fmt.Sprintf("the run of %s cannot resume from its checkpoint: %s", e.Policy, e.Reason)
}

// BatchResult is what one batch did.
type BatchResult struct {
	// Rule is the rule of the batch ("" when the run found nothing more to do).
	Rule       string
	RuleIndex  int
	Erased     int64
	Anonymized int64
	// Checkpoint is the position after the batch.
	Checkpoint SweepCheckpoint
	// Done is true when no rule selects any contact past the checkpoint.
	Done bool
	// Duration is how long the transaction took.
	Duration time.Duration

	// waiting: this worker's share of the rule is passed and other workers' shares are not
	// (a run with several workers). advanced: this batch moved the run to the next rule.
	waiting, advanced bool
}

// ErrOtherRunInProgress is returned by SweepBatch when the database holds the checkpoint
// of another run of the policy: finish that run first (SweepCheckpoint tells which).
var ErrOtherRunInProgress = errors.New("another run of this policy is in progress")

// SweepBatch handles the next batch of a run in one transaction: it picks up to BatchSize
// contacts of the current rule after the stored checkpoint (keyset order on the contact
// key), re-checking the rule inside the transaction, handles their dependents, deletes or
// anonymises them, writes their ledger rows and moves the checkpoint. On any error the
// transaction rolls back: nothing of the batch is applied.
func SweepBatch(ctx context.Context, db *crm.Database, m crm.Mapping, plan RetentionPlan, run SweepRun) (BatchResult, error) {
	start := time.Now()
	if err := checkSweepRun(db, run); err != nil {
		return BatchResult{}, err
	}
	if err := ensureOperatorTables(ctx, db, run.Ledger); err != nil {
		return BatchResult{}, err
	}
	res, err := sweepBatch(ctx, db, m, plan, run)
	if err != nil {
		// The next batch checks the operator's tables again (one may have been dropped),
		// and reads the catalog again.
		operatorReady.Delete(db)
		forgetPlanners(db)
		return BatchResult{}, db.Scrub(err)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// checkSweepRun refuses a run the sweep cannot do: no batch size, a ledger without its
// key, no operator key to authenticate the checkpoint with.
func checkSweepRun(db *crm.Database, run SweepRun) error {
	if run.BatchSize <= 0 {
		return errors.New("batch size must be positive")
	}
	if run.Ledger && len(run.HMACKey) == 0 {
		return errors.New("the ledger is enabled but no HMAC key is set")
	}
	_, err := db.OperatorKeys()
	return err
}

func sweepBatch(ctx context.Context, db *crm.Database, m crm.Mapping, plan RetentionPlan, run SweepRun) (BatchResult, error) {
	p, release, err := takePlanner(ctx, db, m)
	if err != nil {
		return BatchResult{}, err
	}
	opts, err := batchTxOptions(ctx, db)
	if err != nil {
		return BatchResult{}, err
	}
	tx, err := db.DB().BeginTx(ctx, opts)
	if err != nil {
		return BatchResult{}, fmt.Errorf("while starting a sweep batch of %s: %w", run.Policy, err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := sweepInTx(ctx, db, tx, p, plan, run)
	if err != nil {
		return BatchResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return BatchResult{}, fmt.Errorf("while committing a sweep batch of %s: %w", run.Policy, err)
	}
	release()
	return res, nil
}

// readCommittedOK remembers, per MySQL/MariaDB Database, whether its batches may run at
// READ COMMITTED (see batchTxOptions).
var readCommittedOK sync.Map // *crm.Database → bool

// batchTxOptions are the options of a batch's transaction. On MySQL/MariaDB a batch runs at
// READ COMMITTED where the server allows it: its locking read of the contacts then locks
// only the rows it selects and no gaps (at REPEATABLE READ InnoDB also keeps locks on the
// rows of the window the rule does not select, and on the gaps between them, which makes
// a run's workers and the CRM's writers wait for each other), and the rule is checked
// against the data committed when the statement starts, not when the transaction's first
// read did. A server that writes a statement-based binary log refuses row changes at READ
// COMMITTED: there the batch keeps the server's default. PostgreSQL runs at READ COMMITTED
// by default; SQLite has one writer.
func batchTxOptions(ctx context.Context, db *crm.Database) (*sql.TxOptions, error) {
	if db.Dialect().Engine() != crm.EngineMySQL {
		return nil, nil
	}
	ok, known := readCommittedOK.Load(db)
	if !known {
		var logBin sql.NullInt64
		var format sql.NullString
		if err := db.DB().QueryRowContext(ctx, "SELECT @@GLOBAL.log_bin, @@SESSION.binlog_format").Scan(&logBin, &format); err != nil {
			return nil, fmt.Errorf("while reading the server's binary log format: %w", err)
		}
		ok = logBin.Int64 != 1 || !strings.EqualFold(format.String, "STATEMENT")
		readCommittedOK.Store(db, ok)
	}
	if !ok.(bool) {
		return nil, nil
	}
	return &sql.TxOptions{Isolation: sql.LevelReadCommitted}, nil
}

// emptyWindowsPerBatch bounds how many windows without a selected contact one batch
// scans before it commits its progress, to keep transactions short on sparse plans.
const emptyWindowsPerBatch = 10

func sweepInTx(ctx context.Context, db *crm.Database, tx crm.Querier, p *planner, plan RetentionPlan, run SweepRun) (BatchResult, error) {
	if db.Dialect().Engine() == crm.EnginePostgres {
		// A batch is small: compiling its plan with JIT costs more than running it, and
		// its rows are found through the tables' indexes (on a table of 100,000 contacts
		// the planner scanned all of interactions for each batch's 2,000 rows). Both
		// settings last until the batch's transaction ends.
		if _, err := tx.ExecContext(ctx, "SELECT set_config('jit', 'off', true), set_config('enable_seqscan', 'off', true)"); err != nil {
			return BatchResult{}, err
		}
	}
	cp, found, err := readCheckpoint(ctx, db, tx, run.Policy)
	if err != nil {
		return BatchResult{}, err
	}
	if found && cp.RunID != run.RunID {
		return BatchResult{}, fmt.Errorf("%w: run %s", ErrOtherRunInProgress, cp.RunID)
	}
	if !found {
		if run.lane.count > 1 {
			return BatchResult{}, fmt.Errorf("the run %s of %s has no checkpoint: a run with several workers begins with BeginSweep", run.RunID, run.Policy)
		}
		cp = newCheckpoint(run, plan, 1)
	}
	if err := checkResume(run, plan, cp); err != nil {
		return BatchResult{}, err
	}
	if err := checkLanes(run, p, cp); err != nil {
		return BatchResult{}, err
	}
	if run.lane.count > 1 {
		return laneInTx(ctx, db, tx, p, plan, run, cp)
	}
	for empty := 0; cp.RuleIndex < len(plan.Rules); {
		rule := plan.Rules[cp.RuleIndex]
		pos, n, passed, err := sweepWindows(ctx, db, tx, p, plan, run, cp, cp.LastKey, &empty)
		if err != nil {
			return BatchResult{}, err
		}
		if passed {
			cp.RuleIndex, cp.LastKey, cp.Rule = cp.RuleIndex+1, "", ""
			if cp.RuleIndex < len(plan.Rules) {
				cp.Rule = plan.Rules[cp.RuleIndex].Name
			}
			continue
		}
		cp.LastKey = pos
		cp.Acted += n
		res := BatchResult{Rule: rule.Name, RuleIndex: cp.RuleIndex, Checkpoint: cp}
		res.count(rule, n)
		return res, writeCheckpoint(ctx, db, tx, run.Policy, cp)
	}
	return BatchResult{RuleIndex: cp.RuleIndex, Checkpoint: cp, Done: true}, writeCheckpoint(ctx, db, tx, run.Policy, cp)
}

// sweepWindows handles the next window after pos of the worker's share (run.lane) of the
// current rule: it selects and locks the window's contacts the rule acts on, and erases or
// anonymises them, writing their ledger rows. A window in which the rule selects nobody
// counts against *empty, and the next one is tried until emptyWindowsPerBatch of them.
// It returns the position after what it handled, the contacts acted on, and passed when no
// window is left in the rule.
func sweepWindows(ctx context.Context, db *crm.Database, tx crm.Querier, p *planner, plan RetentionPlan, run SweepRun, cp SweepCheckpoint, pos string, empty *int) (string, int64, bool, error) {
	rule := plan.Rules[cp.RuleIndex]
	for {
		end, ok, err := windowEnd(ctx, db, tx, p, pos, run.BatchSize, run.lane)
		if err != nil || !ok {
			return pos, 0, !ok, err
		}
		at := cp
		at.LastKey = pos
		keys, err := nextKeys(ctx, db, tx, p, plan, at, end, run.BatchSize, run.lane)
		if err != nil {
			return "", 0, false, err
		}
		if len(keys) >= run.BatchSize {
			// Either every contact of the window, or contacts inserted inside it since
			// windowEnd filled the limit: the batch got as far as its last contact.
			end = keyText(keys[len(keys)-1])
		}
		if run.MaxErasures > 0 && len(keys) > run.MaxErasures {
			keys = keys[:run.MaxErasures]
			end = keyText(keys[len(keys)-1])
		}
		pos = end
		if len(keys) == 0 {
			if *empty++; *empty < emptyWindowsPerBatch {
				continue
			}
			return pos, 0, false, nil
		}
		n, err := act(ctx, db, tx, p, rule, keys, run)
		if err != nil {
			return "", 0, false, fmt.Errorf("while erasing a batch of rule %s: %w", rule.Name, err)
		}
		return pos, n, false, nil
	}
}

// count adds the n contacts a batch of rule acted on to its erased or anonymised count.
func (res *BatchResult) count(rule RetentionRule, n int64) {
	if rule.Action == ActionAnonymizeContact {
		res.Anonymized += n
	} else {
		res.Erased += n
	}
}

// checkResume refuses to go on from a checkpoint the plan does not fit: the rule at the
// checkpoint's index must be the one recorded, the run's recorded start must be the one
// the plan was computed from, and no rule may have a cutoff later than that start (a
// later cutoff would select contacts in touch after the run began).
func checkResume(run SweepRun, plan RetentionPlan, cp SweepCheckpoint) error {
	mismatch := func(format string, args ...any) error {
		return &CheckpointMismatchError{Policy: run.Policy, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case cp.RuleIndex < 0 || cp.RuleIndex > len(plan.Rules):
		return mismatch("the checkpoint is at rule %d, the policy has %d rule(s)", cp.RuleIndex, len(plan.Rules))
	case cp.RuleIndex < len(plan.Rules) && plan.Rules[cp.RuleIndex].Name != cp.Rule:
		return mismatch("rule %d of the policy is no longer the rule the run was on", cp.RuleIndex)
	case cp.RuleIndex == len(plan.Rules) && cp.Rule != "":
		return mismatch("the policy has fewer rules than when the run started")
	case !run.StartedAt.IsZero() && !run.StartedAt.UTC().Truncate(time.Microsecond).Equal(cp.StartedAt):
		return mismatch("the plan was computed for another start than the run's recorded start")
	}
	for _, r := range plan.Rules {
		if r.Cutoff.After(cp.StartedAt) {
			return mismatch("rule %s has a cutoff later than the run's recorded start", r.Name)
		}
	}
	return nil
}

// window renders the next window of contact keys after the checkpoint, in key order: each
// batch looks at this many contacts, so its cost does not grow with the table.
func (p *planner) window(s *crm.SQLText, lastKey string, size int, ln lane) error {
	table, err := p.db.Dialect().QuoteIdent(p.m.Contacts.Table)
	if err != nil {
		return err
	}
	key, err := p.db.Dialect().QuoteIdent(p.m.Contacts.Key)
	if err != nil {
		return err
	}
	s.W("(SELECT ", key, " FROM ", table, " WHERE ")
	if err := p.keyRange(s, key, lastKey, "", ln); err != nil {
		return err
	}
	s.W(" ORDER BY ", key, " LIMIT ").Arg(size).W(")")
	return nil
}

// keyRange renders the condition on the key column col (quoted, qualified or not) of the
// worker's share (ln) of the contacts after lastKey up to end, "" standing for no bound
// on that side; "1 = 1" when nothing bounds it.
func (p *planner) keyRange(s *crm.SQLText, col, lastKey, end string, ln lane) error {
	and := ""
	if lastKey != "" {
		s.W(col, " > ")
		if err := p.keyArg(s, lastKey); err != nil {
			return err
		}
		and = " AND "
	}
	if end != "" {
		s.W(and, col, " <= ")
		if err := p.keyArg(s, end); err != nil {
			return err
		}
		and = " AND "
	}
	if ln.count > 1 {
		// The worker's share: blocks of shareBlock consecutive keys dealt out in turn
		// (block number modulo the number of workers, made non-negative). The scan still
		// walks the key index in order.
		div := " / "
		if p.db.Dialect().Engine() == crm.EngineMySQL {
			div = " DIV " // "/" is exact division there
		}
		n := strconv.Itoa(ln.count)
		s.W(and, "((", col, div, strconv.Itoa(shareBlock), ") % ", n, " + ", n, ") % ", n, " = ", strconv.Itoa(ln.index))
		and = " AND "
	}
	if and == "" {
		s.W("1 = 1")
	}
	return nil
}

func (p *planner) keyArg(s *crm.SQLText, key string) error {
	if p.keyText {
		s.Arg(key)
		return nil
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return fmt.Errorf("checkpoint key is not an integer: %w", err)
	}
	s.Arg(n)
	return nil
}

// windowEnd returns the last key of the next window, or false when no contact is left.
func windowEnd(ctx context.Context, db *crm.Database, tx crm.Querier, p *planner, lastKey string, size int, ln lane) (string, bool, error) {
	key, err := db.Dialect().QuoteIdent(p.m.Contacts.Key)
	if err != nil {
		return "", false, err
	}
	s := &crm.SQLText{}
	s.W("SELECT MAX(w.", key, ") FROM ")
	if err := p.window(s, lastKey, size, ln); err != nil {
		return "", false, err
	}
	s.W(" w")
	var end any
	if err := tx.QueryRowContext(ctx, s.Query(db.Dialect()), s.Args...).Scan(&end); err != nil {
		return "", false, fmt.Errorf("while reading the next window of contacts: %w", err)
	}
	if end == nil {
		return "", false, nil
	}
	if b, ok := end.([]byte); ok {
		end = string(b)
	}
	return keyText(end), true, nil
}

// nextKeys selects, and locks where the engine can, the contacts of the worker's share (ln)
// after the checkpoint up to end (the last key of the window, from windowEnd) that the rule
// acts on, at most size of them. The window is read again as a key range, not as "the
// next size keys": a contact another transaction inserted inside the window since
// windowEnd is examined too instead of pushing the window's last contact out of it, and
// SQLite walks the range of its rowid instead of joining a subquery. When the range holds
// more than size such contacts, the first size are returned: the caller moves its position
// to the last of them.
func nextKeys(ctx context.Context, db *crm.Database, tx crm.Querier, p *planner, plan RetentionPlan, cp SweepCheckpoint, end string, size int, ln lane) ([]any, error) {
	contacts, err := p.contactsTable()
	if err != nil {
		return nil, err
	}
	join, err := p.extensionJoin()
	if err != nil {
		return nil, err
	}
	s := &crm.SQLText{}
	s.W("SELECT ", p.key, " FROM ", contacts, join, " WHERE ")
	if err := p.keyRange(s, p.key, cp.LastKey, end, ln); err != nil {
		return nil, err
	}
	s.W(" AND ")
	if err := p.actedOn(ctx, s, plan, cp.RuleIndex); err != nil {
		return nil, err
	}
	s.W(" AND NOT ")
	if err := p.held(s, plan.Holds); err != nil {
		return nil, err
	}
	s.W(" ORDER BY ", p.key, " LIMIT ").Arg(size)
	switch db.Dialect().Engine() {
	case crm.EnginePostgres:
		s.W(" FOR UPDATE OF ", p.c)
	case crm.EngineMySQL:
		s.W(" FOR UPDATE")
	}
	rows, err := tx.QueryContext(ctx, s.Query(db.Dialect()), s.Args...)
	if err != nil {
		privilege := "SELECT"
		if db.Dialect().Engine() == crm.EnginePostgres {
			// SELECT … FOR UPDATE needs UPDATE on some column of the locked table.
			privilege = "SELECT, and UPDATE on one column of " + p.m.Contacts.Table + " (the batch locks its rows)"
		}
		err = crm.NewPrivilegeError(err, privilege, "the mapped tables")
		return nil, fmt.Errorf("while selecting the contacts of rule %s: %w", plan.Rules[cp.RuleIndex].Name, err)
	}
	return ScanKeys(rows)
}

// keyText is the canonical text form of a contact key (see SubjectHMAC).
func keyText(k any) string {
	switch v := k.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// act deletes or anonymises the contacts of keys and writes their ledger rows.
func act(ctx context.Context, db *crm.Database, tx crm.Querier, p *planner, rule RetentionRule, keys []any, run SweepRun) (int64, error) {
	var n int64
	var err error
	action := ActionDeleteContact
	if rule.Action == ActionAnonymizeContact {
		action = ActionAnonymizeContact
		var hashKey []byte
		if len(run.HMACKey) > 0 {
			hashKey = crm.DeriveKey(run.HMACKey, crm.PurposeAnonymiseHash)
		}
		n, err = anonymise(ctx, db, tx, p, rule, keys, hashKey)
	} else {
		n, err = deleteContacts(ctx, db, tx, p.m, keys)
	}
	if err != nil {
		return 0, err
	}
	if n != int64(len(keys)) {
		return 0, fmt.Errorf("%d of %d selected contacts changed: the batch is rolled back", n, len(keys))
	}
	if !run.Ledger {
		return n, nil
	}
	subjectKey := LedgerSubjectKey(run.HMACKey)
	keyID := crm.KeyID(subjectKey)
	entries := make([]LedgerEntry, len(keys))
	for i, k := range keys {
		entries[i] = LedgerEntry{RunID: run.RunID, Policy: run.Policy, Rule: rule.Name, Action: action,
			ErasedAt: run.Now, SubjectHMAC: SubjectHMAC(subjectKey, keyText(k)), KeyID: keyID}
	}
	if _, err := InsertLedger(ctx, db, tx, entries); err != nil {
		return 0, err
	}
	return n, nil
}

// inKeys appends "(?, ?, …)".
func inKeys(s *crm.SQLText, keys []any) {
	s.W("(")
	for i, k := range keys {
		if i > 0 {
			s.W(", ")
		}
		s.Arg(k)
	}
	s.W(")")
}

// deleteContacts handles the dependents (and the extension row), then deletes the contacts.
func deleteContacts(ctx context.Context, db *crm.Database, tx crm.Querier, m crm.Mapping, keys []any) (int64, error) {
	d := db.Dialect()
	linked, err := linkedRelatedKeys(ctx, db, tx, m, keys)
	if err != nil {
		return 0, err
	}
	if err := handleDependents(ctx, db, tx, m.AllDependents(), keys); err != nil {
		return 0, err
	}
	cols, err := crm.QuoteAll(d, m.Contacts.Table, m.Contacts.Key)
	if err != nil {
		return 0, err
	}
	ks := newKeySet(d.Engine(), keys)
	s := &crm.SQLText{}
	s.W("DELETE FROM ", cols[0], " WHERE ")
	ks.match(s, cols[1])
	res, err := tx.ExecContext(ctx, s.Query(d), s.Args...)
	if err != nil {
		return 0, fmt.Errorf("while deleting contacts: %w", crm.NewPrivilegeError(err, "DELETE", "table "+m.Contacts.Table))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, deleteRelatedAfter(ctx, db, tx, m, keys, linked)
}

// handleDependents deletes the rows of Delete dependents of the contacts and sets the
// contact column of Nullify dependents to NULL. Hold dependents are left alone (their
// contacts are held, never erased: see planner.held).
func handleDependents(ctx context.Context, db *crm.Database, tx crm.Querier, deps []crm.Dependent, keys []any) error {
	d := db.Dialect()
	ks := newKeySet(d.Engine(), keys)
	for _, dep := range deps {
		if dep.Action.Normal() == crm.ActionHold {
			continue
		}
		cols, err := crm.QuoteAll(d, dep.Table, dep.Column)
		if err != nil {
			return err
		}
		s := &crm.SQLText{}
		privilege := "DELETE"
		if dep.Action.Normal() == crm.ActionNullify {
			s.W("UPDATE ", cols[0], " SET ", cols[1], " = NULL WHERE ")
			privilege = "UPDATE (" + dep.Column + ")"
		} else {
			s.W("DELETE FROM ", cols[0], " WHERE ")
		}
		ks.match(s, cols[1])
		match, err := crm.MatchSQL(d, "", dep.Match)
		if err != nil {
			return err
		}
		s.W(match)
		if _, err := tx.ExecContext(ctx, s.Query(d), s.Args...); err != nil {
			return fmt.Errorf("while handling dependent table %s: %w", dep.Table, crm.NewPrivilegeError(err, privilege, "table "+dep.Table))
		}
	}
	return nil
}

// anonymise overwrites the rule's fields of the contacts.
func anonymise(ctx context.Context, db *crm.Database, tx crm.Querier, p *planner, rule RetentionRule, keys []any, hmacKey []byte) (int64, error) {
	byTable := map[crm.Source][]AnonymizeField{}
	for _, f := range rule.Anonymize {
		fm, ok := p.m.Lookup(f.Field)
		if !ok {
			return 0, &crm.SelectorError{Field: "rule " + rule.Name, Message: fmt.Sprintf("field %q to anonymise is not mapped", f.Field)}
		}
		if fm.Source.Normal() == crm.SourceRelated {
			return 0, &crm.SelectorError{Field: "rule " + rule.Name, Message: fmt.Sprintf("field %q lives in related table %s, which anonymisation cannot rewrite: delete the contact instead", f.Field, fm.Related)}
		}
		if f.Strategy != StrategyNull {
			if err := p.requireText(ctx, fm, f); err != nil {
				return 0, err
			}
		}
		if f.Strategy == StrategyHash && len(hmacKey) == 0 {
			return 0, errors.New("the Hash strategy needs the CRMDatabase's HMAC key (spec.ledger.hmacKeySecretRef)")
		}
		byTable[fm.Source.Normal()] = append(byTable[fm.Source.Normal()], f)
	}
	var contacts int64 = -1
	for _, src := range []crm.Source{crm.SourceContacts, crm.SourceExtension} {
		fields := byTable[src]
		if len(fields) == 0 {
			continue
		}
		n, err := anonymiseTable(ctx, db, tx, p, src, fields, keys, hmacKey)
		if err != nil {
			return 0, err
		}
		if src == crm.SourceContacts {
			contacts = n
		}
	}
	if contacts < 0 {
		// Only extension fields: the contacts themselves are not touched; count the keys.
		contacts = int64(len(keys))
	}
	// The contact's dependents are handled as the mapping says, as for a deletion (the
	// contact and extension rows stay, anonymised): rows of Delete dependents (notes,
	// interactions mapped as dependents) are deleted, Nullify dependents are unlinked. A
	// minimize rule only clears the fields: the contact stays a contact.
	if rule.Minimize {
		return contacts, nil
	}
	if err := handleDependents(ctx, db, tx, p.m.Dependents, keys); err != nil {
		return 0, err
	}
	return contacts, nil
}

func (p *planner) requireText(ctx context.Context, fm crm.Field, f AnonymizeField) error {
	table := p.m.SourceTable(fm.Source)
	col, err := p.columnInfo(ctx, table, fm.Column)
	if err != nil {
		return err
	}
	if col.Class != crm.ClassText {
		return fmt.Errorf("field %s is a %s column: the %s strategy needs text; use Null", f.Field, col.Class, f.Strategy)
	}
	return nil
}

// anonymiseTable updates one table: Null and Redact in one statement, Hash row by row
// (the hash of each value is computed here, keyed, so the key never reaches the server).
func anonymiseTable(ctx context.Context, db *crm.Database, tx crm.Querier, p *planner, src crm.Source, fields []AnonymizeField, keys []any, hmacKey []byte) (int64, error) {
	d := db.Dialect()
	table, keyCol := p.m.Contacts.Table, p.m.Contacts.Key
	if src == crm.SourceExtension {
		table, keyCol = p.m.Extension.Table, p.m.Extension.Key
	}
	cols, err := crm.QuoteAll(d, table, keyCol)
	if err != nil {
		return 0, err
	}
	var hashed []string
	s := &crm.SQLText{}
	s.W("UPDATE ", cols[0], " SET ")
	set := 0
	for _, f := range fields {
		fm, _ := p.m.Lookup(f.Field)
		col, err := d.QuoteIdent(fm.Column)
		if err != nil {
			return 0, err
		}
		switch f.Strategy {
		case StrategyHash:
			hashed = append(hashed, col)
			continue
		case StrategyNull:
			s.W(sep(set), col, " = NULL")
		case StrategyRedact:
			s.W(sep(set), col, " = CASE WHEN ", col, " IS NULL THEN NULL ELSE ").Arg(RedactedValue).W(" END")
		}
		set++
	}
	n := int64(len(keys))
	if set > 0 {
		s.W(" WHERE ")
		newKeySet(d.Engine(), keys).match(s, cols[1])
		res, err := tx.ExecContext(ctx, s.Query(d), s.Args...)
		if err != nil {
			return 0, fmt.Errorf("while anonymising table %s: %w", table, crm.NewPrivilegeError(err, "UPDATE", "table "+table))
		}
		if n, err = res.RowsAffected(); err != nil {
			return 0, err
		}
	}
	if len(hashed) > 0 {
		if err := hashColumns(ctx, db, tx, cols[0], cols[1], hashed, keys, hmacKey); err != nil {
			return 0, fmt.Errorf("while hashing fields of table %s: %w", table, err)
		}
	}
	return n, nil
}

func sep(i int) string {
	if i == 0 {
		return ""
	}
	return ", "
}

// hashColumns reads the current values of the columns and writes back their keyed hashes.
func hashColumns(ctx context.Context, db *crm.Database, tx crm.Querier, table, keyCol string, cols []string, keys []any, hmacKey []byte) error {
	d := db.Dialect()
	s := &crm.SQLText{}
	s.W("SELECT ", keyCol)
	for _, c := range cols {
		s.W(", ", c)
	}
	s.W(" FROM ", table, " WHERE ")
	newKeySet(d.Engine(), keys).match(s, keyCol)
	rows, err := tx.QueryContext(ctx, s.Query(d), s.Args...)
	if err != nil {
		return err
	}
	type update struct {
		key    any
		values []any
	}
	var updates []update
	for rows.Next() {
		dest := make([]any, len(cols)+1)
		vals := make([]sql.NullString, len(cols))
		var key any
		dest[0] = &key
		for i := range vals {
			dest[i+1] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return err
		}
		if b, ok := key.([]byte); ok {
			key = string(b)
		}
		u := update{key: key}
		for _, v := range vals {
			u.values = append(u.values, hashedValue(hmacKey, v))
		}
		updates = append(updates, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range updates {
		s := &crm.SQLText{}
		s.W("UPDATE ", table, " SET ")
		for i, c := range cols {
			s.W(sep(i), c, " = ").Arg(u.values[i])
		}
		s.W(" WHERE ", keyCol, " = ").Arg(u.key)
		if _, err := tx.ExecContext(ctx, s.Query(d), s.Args...); err != nil {
			return err
		}
	}
	return nil
}

// hashedValue is HashedPrefix and the first hex digits of HMAC-SHA-256(key, value); NULL
// and already hashed values stay as they are.
func hashedValue(key []byte, v sql.NullString) any {
	if !v.Valid {
		return nil
	}
	if len(v.String) >= len(HashedPrefix) && v.String[:len(HashedPrefix)] == HashedPrefix {
		return v.String
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(v.String))
	return HashedPrefix + hex.EncodeToString(mac.Sum(nil))[:hashedHexLength]
}
