package erasure

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// ContactEraser erases given contacts exactly as a RetentionPolicy's Delete rule does —
// the mapped dependents deleted or unlinked, the extension row deleted, then the contact
// row — for callers that know which contacts to erase (data-subject requests). It reuses
// the sweep's own statements (deleteContacts) and legal-hold condition (planner.held),
// so that a request and a policy erase and hold alike.
//
// Create it before the transaction (it reads the catalog), then use it inside one.
type ContactEraser struct {
	p *planner
}

// NewContactEraser reads the catalog for m.
func NewContactEraser(ctx context.Context, db *crm.Database, m crm.Mapping) (*ContactEraser, error) {
	p, err := newPlanner(ctx, db, m)
	if err != nil {
		return nil, db.Scrub(err)
	}
	return &ContactEraser{p: p}, nil
}

// SplitHeld reads, in tx, which of the contacts of keys exist and whether a legal hold
// keeps them: the mapped legalHold flag, one of holds (selectors over logical fields,
// as a RetentionPolicy's spec.legalHolds), or a row of a Hold dependent referencing
// them (planner.held, as the sweep and the plan apply it). It locks the rows it reads where the engine can
// (FOR UPDATE), so that nothing changes them before tx ends. Keys are returned in key
// order; a key without a contact is in neither list.
func (e *ContactEraser) SplitHeld(ctx context.Context, tx *sql.Tx, holds []crm.Selector, keys []any) (free, held []any, err error) {
	if len(keys) == 0 {
		return nil, nil, nil
	}
	p := e.p
	from, err := p.from()
	if err != nil {
		return nil, nil, err
	}
	s := &crm.SQLText{}
	s.W("SELECT ", p.key, ", CASE WHEN ")
	if err := p.held(s, holds); err != nil {
		return nil, nil, err
	}
	s.W(" THEN 1 ELSE 0 END FROM ", from, " WHERE ", p.key, " IN ")
	inKeys(s, keys)
	s.W(" ORDER BY ", p.key)
	switch p.db.Dialect().Engine() {
	case crm.EnginePostgres:
		s.W(" FOR UPDATE OF ", p.c)
	case crm.EngineMySQL:
		s.W(" FOR UPDATE")
	}
	rows, err := tx.QueryContext(ctx, s.Query(p.db.Dialect()), s.Args...)
	if err != nil {
		return nil, nil, fmt.Errorf("while reading the legal holds of %d contact(s): %w", len(keys), err)
	}
	defer crm.CloseRows(rows, &err)
	for rows.Next() {
		var k any
		var h int64
		if err := rows.Scan(&k, &h); err != nil {
			return nil, nil, err
		}
		k = scannedKey(k)
		if h != 0 {
			held = append(held, k)
		} else {
			free = append(free, k)
		}
	}
	return free, held, nil
}

// Delete handles the dependents of the contacts of keys as the mapping says, deletes
// their extension rows and the contacts, in tx, and returns how many contacts it deleted.
// It writes no ledger row (InsertLedger does, in the same tx).
func (e *ContactEraser) Delete(ctx context.Context, tx *sql.Tx, keys []any) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	return deleteContacts(ctx, e.p.db, tx, e.p.m, keys)
}

// KeyText is the canonical text form of a contact key read from the database, as the
// ledger hashes it (see SubjectHMAC).
func KeyText(k any) string { return keyText(scannedKey(k)) }

// scannedKey is a contact key as the sweep binds it: a key the driver returned as bytes
// becomes text.
func scannedKey(k any) any {
	if b, ok := k.([]byte); ok {
		return string(b)
	}
	return k
}

// AppendKeys appends "(?, ?, …)" to s, binding keys: the key list of the sweep's
// statements, for callers that build their own.
func AppendKeys(s *crm.SQLText, keys []any) { inKeys(s, keys) }

// ScanKeys reads and closes rows of one column, contact keys ([]byte read as text), in
// the form the sweep binds them.
func ScanKeys(rows *sql.Rows) (_ []any, err error) {
	defer crm.CloseRows(rows, &err)
	var out []any
	for rows.Next() {
		var k any
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, scannedKey(k))
	}
	return out, nil
}

// EnsureLedgerOnce makes sure the operator's tables, the ledger included, exist, once per
// Database and process: what the sweep checks before its batches (a request needs the
// same tables and must not pay for DDL checks each time). After a failed transaction call
// ForgetEnsured, so that the next call checks again (a table may have been dropped).
func EnsureLedgerOnce(ctx context.Context, db *crm.Database) error {
	return ensureOperatorTables(ctx, db, true)
}

// ForgetEnsured makes the next EnsureLedgerOnce (or sweep batch) check the operator's
// tables again.
func ForgetEnsured(db *crm.Database) { operatorReady.Delete(db) }
