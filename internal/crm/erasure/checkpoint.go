package erasure

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// checkpointColumns are the columns of the checkpoint table. Every field the sweep acts on
// is under the row's MAC (see checkpointMAC), so that a row the operator did not write is
// never acted on.
var checkpointColumns = []string{"crm_database", "policy", "run_id", "rule_index", "rule", "last_key", "started_at", "acted", "updated_at", "key_id", "row_mac"}

// checkpointDDL creates the checkpoint table in the operator's schema if it is missing.
func checkpointDDL(db *crm.Database) []string {
	t := db.OperatorTable(CheckpointTable)
	switch db.Dialect().Engine() {
	case crm.EnginePostgres:
		return []string{
			`CREATE TABLE IF NOT EXISTS ` + t + ` (crm_database varchar(64) NOT NULL, policy varchar(320) NOT NULL, run_id varchar(64) NOT NULL,
  rule_index integer NOT NULL, rule varchar(253) NOT NULL, last_key varchar(255) NOT NULL, started_at timestamptz NOT NULL,
  acted bigint NOT NULL, updated_at timestamptz NOT NULL, key_id char(16) NOT NULL, row_mac char(64) NOT NULL,
  PRIMARY KEY (crm_database, policy))`,
			`REVOKE ALL ON TABLE ` + t + ` FROM PUBLIC`,
		}
	case crm.EngineMySQL:
		return []string{"CREATE TABLE IF NOT EXISTS " + t + " (crm_database varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, " +
			"policy varchar(320) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, run_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, " +
			"rule_index int NOT NULL, rule varchar(253) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, last_key varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, " +
			"started_at datetime(6) NOT NULL, acted bigint NOT NULL, updated_at datetime(6) NOT NULL, " +
			"key_id char(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, row_mac char(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, " +
			"PRIMARY KEY (crm_database, policy)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"}
	default:
		return []string{`CREATE TABLE IF NOT EXISTS ` + t + ` (crm_database TEXT NOT NULL, policy TEXT NOT NULL, run_id TEXT NOT NULL,
  rule_index INTEGER NOT NULL, rule TEXT NOT NULL, last_key TEXT NOT NULL, started_at TIMESTAMP NOT NULL, acted INTEGER NOT NULL,
  updated_at TIMESTAMP NOT NULL, key_id TEXT NOT NULL, row_mac TEXT NOT NULL, PRIMARY KEY (crm_database, policy))`}
	}
}

// checkpointDDLAttempts bounds how often ensureCheckpointTable tries its DDL. PostgreSQL's
// CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin: when two policies of one
// database start at the same moment, the loser fails with a unique violation on pg_type while
// the winner commits. Once it has, the same statement is a no-op, so a short retry settles it.
const checkpointDDLAttempts = 3

// ensureCheckpointTable creates the operator's schema and the checkpoint table when they
// are missing. Only an enforced sweep calls it: reading a checkpoint never runs DDL.
func ensureCheckpointTable(ctx context.Context, db *crm.Database) error {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	info, err := db.DescribeOperatorTable(ctx, db.DB(), CheckpointTable)
	if err != nil {
		return db.Scrub(err)
	}
	if info.Exists && db.Dialect().Engine() == crm.EngineSQLite && !info.Columns["row_mac"] {
		// The checkpoint of an earlier version, without MACs: its position cannot be
		// trusted, and it is only a position (the ledger keeps the proofs).
		if _, err := db.DB().ExecContext(ctx, "DROP TABLE "+db.OperatorTable(CheckpointTable)); err != nil {
			return db.Scrub(fmt.Errorf("while replacing the sweep checkpoint table of an earlier version: %w", err))
		}
		info.Exists = false
	}
	if !info.Exists {
		if err := db.EnsureOperatorSchema(ctx); err != nil {
			return db.Scrub(err)
		}
		for attempt := 1; attempt <= checkpointDDLAttempts; attempt++ {
			if err = db.ExecAll(ctx, checkpointDDL(db)); err == nil || crm.IsPermissionDenied(err) {
				break
			}
			select {
			case <-ctx.Done():
				return db.Scrub(fmt.Errorf("while creating the sweep checkpoint table: %w", err))
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			}
		}
		if err != nil {
			err = crm.NewPrivilegeError(err, "CREATE", operatorSchemaObject(db))
			return db.Scrub(fmt.Errorf("while creating the sweep checkpoint table: %w", err))
		}
		if info, err = db.DescribeOperatorTable(ctx, db.DB(), CheckpointTable); err != nil {
			return db.Scrub(err)
		}
	}
	if err := db.CheckOperatorTable(info, CheckpointTable, checkpointColumns); err != nil {
		return db.Scrub(fmt.Errorf("the sweep checkpoint table is not usable: %w", err))
	}
	return nil
}

// checkpointMAC authenticates a checkpoint row: every field the sweep acts on.
func checkpointMAC(key []byte, scope, policy string, cp SweepCheckpoint) string {
	return crm.RowMAC(key, scope, policy, cp.RunID, strconv.Itoa(cp.RuleIndex), cp.Rule, cp.LastKey,
		strconv.FormatInt(cp.StartedAt.UTC().UnixMicro(), 10), strconv.FormatInt(cp.Acted, 10))
}

// isUndefinedTable reports whether err says that a table, schema or column the statement
// names does not exist (the operator's tables were never created, or are of an earlier
// version).
func isUndefinedTable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "42P01", "3F000", "42703": // undefined table, schema, column
			return true
		}
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		switch my.Number {
		case 1146, 1049, 1054: // no such table, unknown database, unknown column
			return true
		}
	}
	return err != nil && sqliteMissing(err)
}

// sqliteMissing matches SQLite's messages for a missing table or column.
func sqliteMissing(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "no such column")
}

// readCheckpoint returns the policy's checkpoint. A row whose MAC does not verify under
// the operator key is an *UnverifiedRowError: the caller must not act on it.
func readCheckpoint(ctx context.Context, db *crm.Database, q crm.Querier, policy string) (SweepCheckpoint, bool, error) {
	return readCheckpointFor(ctx, db, q, policy, false)
}

// readCheckpointLocked is readCheckpoint that also locks the row until the transaction ends
// (PostgreSQL and MySQL; SQLite's transaction holds the database's write lock already), and
// reads its latest committed version: a run's workers each write their position under
// this lock.
func readCheckpointLocked(ctx context.Context, db *crm.Database, tx crm.Querier, policy string) (SweepCheckpoint, bool, error) {
	return readCheckpointFor(ctx, db, tx, policy, db.Dialect().Engine() != crm.EngineSQLite)
}

func readCheckpointFor(ctx context.Context, db *crm.Database, q crm.Querier, policy string, lock bool) (SweepCheckpoint, bool, error) {
	scope, err := db.Scope(ctx)
	if err != nil {
		return SweepCheckpoint{}, false, err
	}
	s := &crm.SQLText{}
	s.W("SELECT run_id, rule_index, rule, last_key, started_at, acted, key_id, row_mac FROM ", db.OperatorTable(CheckpointTable),
		" WHERE crm_database = ").Arg(scope).W(" AND policy = ").Arg(policy)
	if lock {
		s.W(" FOR UPDATE")
	}
	var (
		cp         SweepCheckpoint
		keyID, mac sql.NullString
	)
	err = q.QueryRowContext(ctx, s.Query(db.Dialect()), s.Args...).Scan(&cp.RunID, &cp.RuleIndex, &cp.Rule, &cp.LastKey, &cp.StartedAt, &cp.Acted, &keyID, &mac)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return SweepCheckpoint{}, false, nil
	case err != nil:
		err = crm.NewPrivilegeError(err, "SELECT", crm.OperatorTableName(db.Dialect().Engine(), CheckpointTable))
		return SweepCheckpoint{}, false, fmt.Errorf("while reading the sweep checkpoint of %s: %w", policy, err)
	}
	cp.StartedAt = cp.StartedAt.UTC()
	keys, err := db.OperatorKeys()
	if err != nil {
		return SweepCheckpoint{}, false, err
	}
	key := keys.CheckpointKey()
	if reason := crm.VerifyRow(key, keyID, mac, checkpointMAC(key, scope, policy, cp)); reason != "" {
		return SweepCheckpoint{}, false, &crm.UnverifiedRowError{Table: crm.OperatorTableName(db.Dialect().Engine(), CheckpointTable), Policy: policy, Reason: reason}
	}
	return cp, true, nil
}

// checkpointSigner is what writing a checkpoint row needs: the database's scope and the
// key of the rows' MACs.
type checkpointSigner struct {
	scope string
	key   []byte
}

func newCheckpointSigner(ctx context.Context, db *crm.Database) (checkpointSigner, error) {
	keys, err := db.OperatorKeys()
	if err != nil {
		return checkpointSigner{}, err
	}
	scope, err := db.Scope(ctx)
	if err != nil {
		return checkpointSigner{}, err
	}
	return checkpointSigner{scope: scope, key: keys.CheckpointKey()}, nil
}

func writeCheckpoint(ctx context.Context, db *crm.Database, tx crm.Querier, policy string, cp SweepCheckpoint) error {
	sig, err := newCheckpointSigner(ctx, db)
	if err != nil {
		return err
	}
	scope, key := sig.scope, sig.key
	cp.StartedAt = cp.StartedAt.UTC().Truncate(time.Microsecond)
	t := db.OperatorTable(CheckpointTable)
	e := db.Dialect().Engine()
	del := &crm.SQLText{}
	del.W("DELETE FROM ", t, " WHERE crm_database = ").Arg(scope).W(" AND policy = ").Arg(policy)
	ins := &crm.SQLText{}
	ins.W("INSERT INTO ", t, " (crm_database, policy, run_id, rule_index, rule, last_key, started_at, acted, updated_at, key_id, row_mac) VALUES (").
		Arg(scope).W(", ").Arg(policy).W(", ").Arg(cp.RunID).W(", ").Arg(cp.RuleIndex).W(", ").Arg(cp.Rule).W(", ").Arg(cp.LastKey).W(", ").
		Arg(crm.BindTime(e, cp.StartedAt)).W(", ").Arg(cp.Acted).W(", ").Arg(crm.BindTime(e, time.Now())).W(", ").
		Arg(crm.KeyID(key)).W(", ").Arg(checkpointMAC(key, scope, policy, cp)).W(")")
	for i, s := range []*crm.SQLText{del, ins} {
		if _, err := tx.ExecContext(ctx, s.Query(db.Dialect()), s.Args...); err != nil {
			err = crm.NewPrivilegeError(err, []string{"DELETE", "INSERT"}[i], crm.OperatorTableName(e, CheckpointTable))
			return fmt.Errorf("while writing the sweep checkpoint of %s: %w", policy, err)
		}
	}
	return nil
}

// updateCheckpoint rewrites the run's checkpoint row in place (readCheckpointLocked took
// its lock): an UPDATE, not a delete and insert, so that a worker waiting on the lock reads
// this version once the transaction commits.
func updateCheckpoint(ctx context.Context, db *crm.Database, tx crm.Querier, policy string, cp SweepCheckpoint) error {
	sig, err := newCheckpointSigner(ctx, db)
	if err != nil {
		return err
	}
	scope, key := sig.scope, sig.key
	cp.StartedAt = cp.StartedAt.UTC().Truncate(time.Microsecond)
	e := db.Dialect().Engine()
	s := &crm.SQLText{}
	s.W("UPDATE ", db.OperatorTable(CheckpointTable), " SET rule_index = ").Arg(cp.RuleIndex).W(", rule = ").Arg(cp.Rule).
		W(", last_key = ").Arg(cp.LastKey).W(", acted = ").Arg(cp.Acted).W(", updated_at = ").Arg(crm.BindTime(e, time.Now())).
		W(", key_id = ").Arg(crm.KeyID(key)).W(", row_mac = ").Arg(checkpointMAC(key, scope, policy, cp)).
		W(" WHERE crm_database = ").Arg(scope).W(" AND policy = ").Arg(policy).W(" AND run_id = ").Arg(cp.RunID)
	res, err := tx.ExecContext(ctx, s.Query(db.Dialect()), s.Args...)
	if err != nil {
		err = crm.NewPrivilegeError(err, "UPDATE", crm.OperatorTableName(e, CheckpointTable))
		return fmt.Errorf("while writing the sweep checkpoint of %s: %w", policy, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("while writing the sweep checkpoint of %s: %w", policy, err)
	}
	if n != 1 {
		return fmt.Errorf("while writing the sweep checkpoint of %s: %d rows updated, want 1", policy, n)
	}
	return nil
}

// StoredCheckpoint returns the checkpoint of the policy's run in progress, if any. It only
// reads: with no checkpoint table yet (no enforced run ever started) there is none. A row
// that does not verify under the operator key is reported as an *UnverifiedRowError (ok
// false): it was not written by this operator, and no run may resume from it.
func StoredCheckpoint(ctx context.Context, db *crm.Database, policy string) (SweepCheckpoint, bool, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	cp, ok, err := readCheckpoint(ctx, db, db.DB(), policy)
	if isUndefinedTable(err) {
		return SweepCheckpoint{}, false, nil
	}
	return cp, ok, db.Scrub(err)
}

// FinishSweep removes the checkpoint of a finished (or abandoned) run. Removing a row is
// never acting on it, so it needs no MAC.
func FinishSweep(ctx context.Context, db *crm.Database, policy, runID string) error {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	scope, err := db.Scope(ctx)
	if err != nil {
		return db.Scrub(err)
	}
	s := &crm.SQLText{}
	s.W("DELETE FROM ", db.OperatorTable(CheckpointTable), " WHERE crm_database = ").Arg(scope).W(" AND policy = ").Arg(policy).W(" AND run_id = ").Arg(runID)
	if _, err := db.DB().ExecContext(ctx, s.Query(db.Dialect()), s.Args...); err != nil && !isUndefinedTable(err) {
		err = crm.NewPrivilegeError(err, "DELETE", crm.OperatorTableName(db.Dialect().Engine(), CheckpointTable))
		return db.Scrub(fmt.Errorf("while clearing the sweep checkpoint of %s: %w", policy, err))
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
func LockSweep(ctx context.Context, db *crm.Database, policy string) (unlock func(), ok bool, err error) {
	name := lockName(policy)
	if db.Dialect().Engine() == crm.EngineSQLite {
		key := fmt.Sprintf("%p/%s", db, name)
		if _, loaded := sqliteLocks.LoadOrStore(key, true); loaded {
			return nil, false, nil
		}
		return func() { sqliteLocks.Delete(key) }, true, nil
	}
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return nil, false, db.Scrub(fmt.Errorf("while opening a connection for the sweep lock: %w", err))
	}
	lock, release := "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", "SELECT pg_advisory_unlock(hashtextextended($1, 0))"
	if db.Dialect().Engine() == crm.EngineMySQL {
		lock, release = "SELECT GET_LOCK(?, 0) = 1", "SELECT RELEASE_LOCK(?)"
	}
	var got sql.NullBool
	if err := conn.QueryRowContext(ctx, lock, name).Scan(&got); err != nil {
		_ = conn.Close()
		return nil, false, db.Scrub(fmt.Errorf("while taking the sweep lock: %w", err))
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

// operatorReady remembers the Databases whose operator tables were ensured, so that a
// sweep does not run DDL for every batch. An error in a batch forgets it.
var operatorReady sync.Map // *Database → whether the ledger was ensured too

// ensureOperatorTables creates (once per Database and process) the operator schema, the
// checkpoint table and, with ledger, the erasure ledger.
func ensureOperatorTables(ctx context.Context, db *crm.Database, ledger bool) error {
	if withLedger, ok := operatorReady.Load(db); ok && (withLedger.(bool) || !ledger) {
		return nil
	}
	if err := ensureCheckpointTable(ctx, db); err != nil {
		return err
	}
	if ledger {
		if err := EnsureLedger(ctx, db); err != nil {
			return err
		}
	}
	operatorReady.Store(db, ledger)
	return nil
}
