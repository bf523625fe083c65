package crm

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// checkpointDDL creates the checkpoint table if it is missing.
func (db *Database) checkpointDDL() string {
	switch db.dialect.Engine() {
	case EnginePostgres:
		return `CREATE TABLE IF NOT EXISTS "` + CheckpointTable + `" (policy varchar(253) PRIMARY KEY, run_id varchar(64) NOT NULL, rule_index integer NOT NULL, last_key varchar(255) NOT NULL, updated_at timestamptz NOT NULL)`
	case EngineMySQL:
		return "CREATE TABLE IF NOT EXISTS `" + CheckpointTable + "` (policy varchar(253) NOT NULL PRIMARY KEY, run_id varchar(64) NOT NULL, rule_index int NOT NULL, last_key varchar(255) NOT NULL, updated_at datetime(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	default:
		return `CREATE TABLE IF NOT EXISTS "` + CheckpointTable + `" (policy TEXT PRIMARY KEY, run_id TEXT NOT NULL, rule_index INTEGER NOT NULL, last_key TEXT NOT NULL, updated_at TEXT NOT NULL)`
	}
}

// checkpointDDLAttempts bounds how often ensureCheckpointTable tries its DDL. PostgreSQL's
// CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin: when two policies of one
// database start at the same moment, the loser fails with a unique violation on pg_type while
// the winner commits. Once it has, the same statement is a no-op, so a short retry settles it.
const checkpointDDLAttempts = 3

func (db *Database) ensureCheckpointTable(ctx context.Context) error {
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	var err error
	for attempt := 1; attempt <= checkpointDDLAttempts; attempt++ {
		if _, err = db.db.ExecContext(ctx, db.checkpointDDL()); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return db.scrub(fmt.Errorf("while creating the sweep checkpoint table: %w", err))
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
	return db.scrub(fmt.Errorf("while creating the sweep checkpoint table: %w", err))
}

func (db *Database) readCheckpoint(ctx context.Context, q Querier, policy string) (SweepCheckpoint, bool, error) {
	t, _ := db.dialect.QuoteIdent(CheckpointTable)
	s := &sqlText{}
	s.w("SELECT run_id, rule_index, last_key FROM ", t, " WHERE policy = ").arg(policy)
	var cp SweepCheckpoint
	err := q.QueryRowContext(ctx, s.query(db.dialect), s.args...).Scan(&cp.RunID, &cp.RuleIndex, &cp.LastKey)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return SweepCheckpoint{}, false, nil
	case err != nil:
		return SweepCheckpoint{}, false, fmt.Errorf("while reading the sweep checkpoint of %s: %w", policy, err)
	}
	return cp, true, nil
}

func (db *Database) writeCheckpoint(ctx context.Context, tx *sql.Tx, policy string, cp SweepCheckpoint) error {
	t, _ := db.dialect.QuoteIdent(CheckpointTable)
	del := &sqlText{}
	del.w("DELETE FROM ", t, " WHERE policy = ").arg(policy)
	ins := &sqlText{}
	ins.w("INSERT INTO ", t, " (policy, run_id, rule_index, last_key, updated_at) VALUES (").
		arg(policy).w(", ").arg(cp.RunID).w(", ").arg(cp.RuleIndex).w(", ").arg(cp.LastKey).w(", ").arg(bindTime(db.dialect.Engine(), time.Now())).w(")")
	for _, s := range []*sqlText{del, ins} {
		if _, err := tx.ExecContext(ctx, s.query(db.dialect), s.args...); err != nil {
			return fmt.Errorf("while writing the sweep checkpoint of %s: %w", policy, err)
		}
	}
	return nil
}

// SweepCheckpoint returns the checkpoint of the policy's run in progress, if any.
func (db *Database) SweepCheckpoint(ctx context.Context, policy string) (SweepCheckpoint, bool, error) {
	if err := db.ensureCheckpointTable(ctx); err != nil {
		return SweepCheckpoint{}, false, err
	}
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	cp, ok, err := db.readCheckpoint(ctx, db.db, policy)
	return cp, ok, db.scrub(err)
}

// FinishSweep removes the checkpoint of a finished (or abandoned) run.
func (db *Database) FinishSweep(ctx context.Context, policy, runID string) error {
	if err := db.ensureCheckpointTable(ctx); err != nil {
		return err
	}
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	t, _ := db.dialect.QuoteIdent(CheckpointTable)
	s := &sqlText{}
	s.w("DELETE FROM ", t, " WHERE policy = ").arg(policy).w(" AND run_id = ").arg(runID)
	if _, err := db.db.ExecContext(ctx, s.query(db.dialect), s.args...); err != nil {
		return db.scrub(fmt.Errorf("while clearing the sweep checkpoint of %s: %w", policy, err))
	}
	return nil
}

// sqliteLocks are the sweep locks of SQLite databases, held in this process: one SQLite
// file has one writer at a time anyway, and is not shared by operator replicas.
var sqliteLocks sync.Map

// lockName is the server-side lock name of a policy: a hash, to fit every engine's limit.
func lockName(policy string) string {
	sum := sha256.Sum256([]byte(policy))
	return "crm_privacy_sweep_" + hex.EncodeToString(sum[:])[:40]
}

// LockSweep takes the sweep lock of a policy without waiting: ok is false when another
// session (another operator replica) holds it. PostgreSQL uses an advisory lock and
// MySQL/MariaDB GET_LOCK, both held by a dedicated connection until unlock, and released
// by the server if the operator dies.
func (db *Database) LockSweep(ctx context.Context, policy string) (unlock func(), ok bool, err error) {
	name := lockName(policy)
	if db.dialect.Engine() == EngineSQLite {
		key := fmt.Sprintf("%p/%s", db, name)
		if _, loaded := sqliteLocks.LoadOrStore(key, true); loaded {
			return nil, false, nil
		}
		return func() { sqliteLocks.Delete(key) }, true, nil
	}
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return nil, false, db.scrub(fmt.Errorf("while opening a connection for the sweep lock: %w", err))
	}
	lock, release := "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", "SELECT pg_advisory_unlock(hashtextextended($1, 0))"
	if db.dialect.Engine() == EngineMySQL {
		lock, release = "SELECT GET_LOCK(?, 0) = 1", "SELECT RELEASE_LOCK(?)"
	}
	var got sql.NullBool
	if err := conn.QueryRowContext(ctx, lock, name).Scan(&got); err != nil {
		_ = conn.Close()
		return nil, false, db.scrub(fmt.Errorf("while taking the sweep lock: %w", err))
	}
	if !got.Valid || !got.Bool {
		_ = conn.Close()
		return nil, false, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var released sql.NullBool
		_ = conn.QueryRowContext(ctx, release, name).Scan(&released)
		_ = conn.Close()
	}, true, nil
}
