package dsr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
)

// Object records an objection (GDPR Art. 21) on the contacts of keys, in one
// transaction: the mapped optOut field is set, and the mapped optOutAt field, when there
// is one, to req.Now. Setting a flag follows the selectors' truthiness
// (internal/crm/selector.Compiler.Truthy): a boolean column becomes true, an integer
// column 1, a text column "1". Contacts already opted out are left as they are, their
// objection time included (the first objection stands). When a field lives in the
// extension table and a contact has no extension row, the row is created with that
// field. An optOut or optOutAt kept in a related table (EspoCRM's email_address.opt_out,
// Odoo's mail_blacklist) is refused with a *FieldError naming the field and the table,
// before anything is written: those rows are shared with other records or keyed by
// something other than the contact. Objections write no ledger row: the CRM's own optOut (and optOutAt) is the record,
// and the request's status keeps the count and time.
func Object(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string, req Request) (ObjectResult, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	res, err := object(ctx, db, m, keys, req)
	return res, db.Scrub(err)
}

func object(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string, req Request) (ObjectResult, error) {
	if err := req.check(); err != nil {
		return ObjectResult{}, err
	}
	s, err := newSchema(ctx, db, m)
	if err != nil {
		return ObjectResult{}, err
	}
	sets, err := s.objection(ctx, req.Now)
	if err != nil {
		return ObjectResult{}, err
	}
	cond, err := s.notOptedOut(ctx)
	if err != nil {
		return ObjectResult{}, err
	}
	args, err := s.keyArgs(keys)
	if err != nil {
		return ObjectResult{}, err
	}
	var res ObjectResult
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		all, err := s.lockContacts(ctx, tx, args, "")
		if err != nil {
			return err
		}
		todo, err := s.lockContacts(ctx, tx, args, cond)
		if err != nil {
			return err
		}
		if err := s.set(ctx, tx, sets, todo); err != nil {
			return err
		}
		res = ObjectResult{Objected: int64(len(todo)), AlreadyOptedOut: int64(len(all) - len(todo))}
		return nil
	})
	return res, err
}

// objection returns the assignments of an objection at now: optOut set, and optOutAt
// when mapped.
func (s *schema) objection(ctx context.Context, now time.Time) ([]assignment, error) {
	optOut, ok, err := s.field(ctx, crm.FieldOptOut)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNoOptOutField
	}
	if err := refuseRelated(optOut, "an objection"); err != nil {
		return nil, err
	}
	expr, arg := trueValue(s.d.Engine(), optOut.col)
	sets := []assignment{{field: optOut, expr: expr, arg: arg}}
	at, ok, err := s.field(ctx, crm.FieldOptOutAt)
	if err != nil || !ok {
		return sets, err
	}
	if err := refuseRelated(at, "an objection"); err != nil {
		return nil, err
	}
	if at.col.Class != crm.ClassDate && at.col.Class != crm.ClassTimestamp && at.col.Class != crm.ClassUnknown {
		return nil, &FieldError{Field: crm.FieldOptOutAt, Message: fmt.Sprintf("has a %s column: the objection time needs a date or timestamp column", at.col.Class)}
	}
	return append(sets, assignment{field: at, expr: "?", arg: bindTimeFor(s.d.Engine(), at.col, now)}), nil
}

// refuseRelated refuses to write a field kept in a related table (see Object and
// Rectify): the preset's related rows are reached through a link table shared with other
// records (an e-mail address of EspoCRM and SuiteCRM belongs to every record linked to
// it) or keyed by something other than the contact (Odoo's mail_blacklist, by address, a
// row to create rather than update), so no single row is the contact's to change.
func refuseRelated(f mapped, what string) error {
	if f.related == nil {
		return nil
	}
	return &FieldError{Field: f.name, Message: fmt.Sprintf("is kept in related table %s (column %s), which %s does not write: "+
		"its rows are shared with other records or keyed by something other than the contact; set it in the CRM, "+
		"or map the field to a column of the contacts or extension table", f.table, f.col.Name, what)}
}

// trueValue is what sets a flag column: see Object.
func trueValue(e crm.Engine, c crm.Column) (string, any) {
	switch {
	case c.Class == crm.ClassBoolean && e == crm.EnginePostgres:
		return "?", true
	case c.Class == crm.ClassText:
		return "?", "1"
	}
	return "?", int64(1)
}

// notOptedOut renders "the contact's optOut flag is not set" over c and x.
func (s *schema) notOptedOut(ctx context.Context) (string, error) {
	c, _ := s.q(aliasContacts)
	x, _ := s.q(aliasExtension)
	r := crm.NewFieldResolver(s.d, s.db.DB(), s.m, c, x)
	r.ShareTables(s.tables)
	if err := r.ResolveAll(ctx); err != nil {
		return "", err
	}
	truthy, ok, err := r.Truthy(crm.FieldOptOut)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrNoOptOutField
	}
	return "NOT " + truthy, nil
}

// Erase erases the contacts of keys exactly as a RetentionPolicy's Delete rule would
// (erasure.ContactEraser: the mapped dependents deleted or unlinked, the extension row and
// the contact row deleted), in one transaction: all of it or, on any error, nothing.
// Contacts a legal hold keeps — the mapped legalHold flag, one of holds (the legal
// holds of the RetentionPolicies that act on the database, as a sweep applies them), or a
// row of a Hold dependent referencing them (a sales order Odoo cannot detach) — are
// left untouched and counted in Held, never erased. With req.HMACKey, one ledger row per
// erased contact is written in the same transaction: run id req.ID, policy req.Name, rule
// LedgerRulePrefix+req.Type, action LedgerActionDelete. Keys without a contact (erased
// meanwhile) are neither erased nor held.
func Erase(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string, holds []crm.Selector, req Request) (EraseResult, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	res, err := erase(ctx, db, m, keys, holds, req)
	return res, db.Scrub(err)
}

func erase(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string, holds []crm.Selector, req Request) (EraseResult, error) {
	if err := req.check(); err != nil {
		return EraseResult{}, err
	}
	if err := ensureLedger(ctx, db, req); err != nil {
		return EraseResult{}, err
	}
	s, err := newSchema(ctx, db, m)
	if err != nil {
		return EraseResult{}, err
	}
	args, err := s.keyArgs(keys)
	if err != nil {
		return EraseResult{}, err
	}
	eraser, err := erasure.NewContactEraser(ctx, db, m)
	if err != nil {
		return EraseResult{}, err
	}
	var res EraseResult
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		free, held, err := eraser.SplitHeld(ctx, tx, holds, args)
		if err != nil {
			return err
		}
		n, err := eraser.Delete(ctx, tx, free)
		if err != nil {
			return err
		}
		if n != int64(len(free)) {
			return fmt.Errorf("%d of %d contacts were deleted: the erasure is rolled back", n, len(free))
		}
		if err := writeLedger(ctx, db, tx, req, LedgerActionDelete, free); err != nil {
			return err
		}
		res = EraseResult{Erased: n, Held: int64(len(held))}
		return nil
	})
	if err != nil {
		erasure.ForgetEnsured(db)
	}
	return res, err
}

// Rectify sets logical fields of the contacts of keys to the given values (GDPR Art. 16),
// in one transaction. values maps a logical field (mapped or restricted) to its new value
// as text, bound for the column's type (see bindValue's grammar: "true"/"false",
// "2006-01-02", RFC 3339 times, numbers); an empty value sets NULL. Refused, before
// anything is written, with a *FieldError naming the field (never the value): a field
// the mapping does not name; one kept in a related table (see Object); one whose column
// is a key or the soft-delete column; and the
// fields a rectification must not change — optOut and optOutAt (an Objection sets them),
// legalHold (a legal hold is not the person's to lift), createdAt and lastContactAt (they
// drive retention). With req.HMACKey, one ledger row per rectified contact is written in
// the same transaction, action LedgerActionRectify.
func Rectify(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string, values map[string]string, req Request) (RectifyResult, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	res, err := rectify(ctx, db, m, keys, values, req)
	return res, db.Scrub(err)
}

// notRectifiable are the fields a rectification may not set, with the reason.
var notRectifiable = map[string]string{
	crm.FieldOptOut:        "is set by an Objection request, not a rectification",
	crm.FieldOptOutAt:      "is set by an Objection request, not a rectification",
	crm.FieldLegalHold:     "is a legal hold: it is not the data subject's to change",
	crm.FieldCreatedAt:     "drives retention: it is not rectified",
	crm.FieldLastContactAt: "drives retention: it is not rectified",
}

// CheckRectification checks, without writing, that every field of values can be
// rectified on the mapping and that its value fits its column: the checks Rectify runs
// first. The controller can call it to refuse a request before acting.
func CheckRectification(ctx context.Context, db *crm.Database, m crm.Mapping, values map[string]string) error {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	s, err := newSchema(ctx, db, m)
	if err != nil {
		return db.Scrub(err)
	}
	_, err = s.rectifications(ctx, values)
	return db.Scrub(err)
}

func rectify(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string, values map[string]string, req Request) (RectifyResult, error) {
	if err := req.check(); err != nil {
		return RectifyResult{}, err
	}
	s, err := newSchema(ctx, db, m)
	if err != nil {
		return RectifyResult{}, err
	}
	sets, err := s.rectifications(ctx, values)
	if err != nil {
		return RectifyResult{}, err
	}
	if err := ensureLedger(ctx, db, req); err != nil {
		return RectifyResult{}, err
	}
	args, err := s.keyArgs(keys)
	if err != nil {
		return RectifyResult{}, err
	}
	res := RectifyResult{}
	for _, a := range sets {
		res.Fields = append(res.Fields, a.field.name)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		found, err := s.lockContacts(ctx, tx, args, "")
		if err != nil {
			return err
		}
		if err := s.set(ctx, tx, sets, found); err != nil {
			return err
		}
		if err := writeLedger(ctx, db, tx, req, LedgerActionRectify, found); err != nil {
			return err
		}
		res.Rectified = int64(len(found))
		return nil
	})
	if err != nil {
		erasure.ForgetEnsured(db)
		return RectifyResult{}, err
	}
	return res, nil
}

// rectifications checks values and returns their assignments, sorted by field.
func (s *schema) rectifications(ctx context.Context, values map[string]string) ([]assignment, error) {
	if len(values) == 0 {
		return nil, errors.New("a rectification needs at least one field to set")
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	columns := map[string]string{}
	var out []assignment
	for _, name := range names {
		if why, ok := notRectifiable[name]; ok {
			return nil, &FieldError{Field: name, Message: why}
		}
		f, ok, err := s.field(ctx, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &FieldError{Field: name, Message: "is not mapped on the CRMDatabase: only mapped fields can be rectified"}
		}
		if err := refuseRelated(f, "a rectification"); err != nil {
			return nil, err
		}
		if s.isKeyOrMarker(f) {
			return nil, &FieldError{Field: name, Message: "is mapped to a key or soft-delete column, which a rectification never changes"}
		}
		id := string(f.source) + "." + normalName(s.d, f.col.Name)
		if other, dup := columns[id]; dup {
			return nil, &FieldError{Field: name, Message: fmt.Sprintf("is mapped to the same column as field %s: set only one of them", other)}
		}
		columns[id] = name
		a := assignment{field: f, expr: "NULL"}
		if v := values[name]; v != "" {
			if a.expr, a.arg, err = bindValue(s.d.Engine(), name, f.col, v); err != nil {
				return nil, err
			}
		} else if !f.col.Nullable {
			return nil, &FieldError{Field: name, Message: "an empty value sets NULL, and its column is NOT NULL"}
		}
		out = append(out, a)
	}
	return out, nil
}

// isKeyOrMarker reports a column a rectification must not write: the contact key, the
// extension key, the soft-delete column.
func (s *schema) isKeyOrMarker(f mapped) bool {
	same := func(a, b string) bool { return normalName(s.d, a) == normalName(s.d, b) }
	if f.source == crm.SourceExtension {
		return same(f.col.Name, s.m.Extension.Key)
	}
	return same(f.col.Name, s.m.Contacts.Key) || (s.m.Contacts.SoftDeleteColumn != "" && same(f.col.Name, s.m.Contacts.SoftDeleteColumn))
}

func normalName(d crm.Dialect, n string) string {
	if d.IdentsCaseSensitive() {
		return n
	}
	return toLower(n)
}

// assignment is "column = expr" with expr's bound argument (none for NULL).
type assignment struct {
	field mapped
	expr  string
	arg   any
}

// set applies assignments to the contacts of keys, per table: an UPDATE of the contacts
// table; for the extension table an UPDATE, then an INSERT of the rows missing.
func (s *schema) set(ctx context.Context, tx *sql.Tx, sets []assignment, keys []any) error {
	if len(keys) == 0 {
		return nil
	}
	bySource := map[crm.Source][]assignment{}
	for _, a := range sets {
		if err := refuseRelated(a.field, "a request"); err != nil {
			return err
		}
		bySource[a.field.source] = append(bySource[a.field.source], a)
	}
	if as := bySource[crm.SourceContacts]; len(as) > 0 {
		if err := s.update(ctx, tx, s.m.Contacts.Table, s.m.Contacts.Key, as, keys); err != nil {
			return err
		}
	}
	if as := bySource[crm.SourceExtension]; len(as) > 0 {
		if err := s.update(ctx, tx, s.m.Extension.Table, s.m.Extension.Key, as, keys); err != nil {
			return err
		}
		if err := s.insertMissingExtension(ctx, tx, as, keys); err != nil {
			return err
		}
	}
	return nil
}

func (s *schema) update(ctx context.Context, tx *sql.Tx, table, keyCol string, as []assignment, keys []any) error {
	cols, err := crm.QuoteAll(s.d, table, keyCol)
	if err != nil {
		return err
	}
	q := &crm.SQLText{}
	q.W("UPDATE ", cols[0], " SET ")
	for i, a := range as {
		c, err := s.q(a.field.col.Name)
		if err != nil {
			return err
		}
		if i > 0 {
			q.W(", ")
		}
		q.W(c, " = ")
		writeExpr(q, a)
	}
	q.W(" WHERE ", cols[1], " IN ")
	inList(q, keys)
	if _, err := tx.ExecContext(ctx, q.Query(s.d), q.Args...); err != nil {
		return fmt.Errorf("while updating table %s: %w", table, crm.NewPrivilegeError(valueFree(err), "UPDATE", "table "+table))
	}
	return nil
}

// writeExpr writes an assignment's expression, binding its argument at its marker.
func writeExpr(q *crm.SQLText, a assignment) {
	if a.expr == "NULL" {
		q.W("NULL")
		return
	}
	for i, part := range splitMarker(a.expr) {
		if i > 0 {
			q.Arg(a.arg)
		}
		q.W(part)
	}
}

// insertMissingExtension creates the extension rows of the contacts that have none, with
// the assigned columns.
func (s *schema) insertMissingExtension(ctx context.Context, tx *sql.Tx, as []assignment, keys []any) error {
	ext := s.m.Extension
	cols, err := crm.QuoteAll(s.d, ext.Table, ext.Key)
	if err != nil {
		return err
	}
	q := &crm.SQLText{}
	q.W("SELECT ", cols[1], " FROM ", cols[0], " WHERE ", cols[1], " IN ")
	inList(q, keys)
	rows, err := tx.QueryContext(ctx, q.Query(s.d), q.Args...)
	if err != nil {
		return fmt.Errorf("while reading extension rows: %w", err)
	}
	existing, err := erasure.ScanKeys(rows)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, k := range existing {
		have[erasure.KeyText(k)] = true
	}
	for _, k := range keys {
		if have[erasure.KeyText(k)] {
			continue
		}
		ins := &crm.SQLText{}
		ins.W("INSERT INTO ", cols[0], " (", cols[1])
		for _, a := range as {
			c, err := s.q(a.field.col.Name)
			if err != nil {
				return err
			}
			ins.W(", ", c)
		}
		ins.W(") VALUES (").Arg(k)
		for _, a := range as {
			ins.W(", ")
			writeExpr(ins, a)
		}
		ins.W(")")
		if _, err := tx.ExecContext(ctx, ins.Query(s.d), ins.Args...); err != nil {
			return fmt.Errorf("while creating the extension row of a contact in %s: %w", ext.Table, crm.NewPrivilegeError(valueFree(err), "INSERT", "table "+ext.Table))
		}
	}
	return nil
}

// lockContacts returns, in key order, the contacts of keys that exist and meet cond (a
// condition over c and x; "" for none), locking their rows where the engine can.
func (s *schema) lockContacts(ctx context.Context, tx *sql.Tx, keys []any, cond string) ([]any, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	q, key, err := s.selectContacts(cond != "", nil, keys)
	if err != nil {
		return nil, err
	}
	if cond != "" {
		q.W(" AND ", cond)
	}
	q.W(" ORDER BY ", key)
	switch s.d.Engine() {
	case crm.EnginePostgres:
		c, _ := s.q(aliasContacts)
		q.W(" FOR UPDATE OF ", c)
	case crm.EngineMySQL:
		q.W(" FOR UPDATE")
	}
	rows, err := tx.QueryContext(ctx, q.Query(s.d), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("while locking the contacts of the request: %w", crm.NewPrivilegeError(err, "SELECT, and UPDATE on "+s.m.Contacts.Table, "table "+s.m.Contacts.Table))
	}
	return erasure.ScanKeys(rows)
}

// inTx runs f in a transaction, committed when f succeeds.
func (s *schema) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("while starting the request's transaction: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("while committing the request's transaction: %w", err)
	}
	return nil
}

// ensureLedger makes sure the ledger exists when the request writes to it.
func ensureLedger(ctx context.Context, db *crm.Database, req Request) error {
	if len(req.HMACKey) == 0 {
		return nil
	}
	if _, err := db.OperatorKeys(); err != nil {
		return err
	}
	return erasure.EnsureLedgerOnce(ctx, db)
}

// writeLedger writes one ledger row per contact of keys, in tx, when the request has a key.
func writeLedger(ctx context.Context, db *crm.Database, tx *sql.Tx, req Request, action string, keys []any) error {
	if len(req.HMACKey) == 0 || len(keys) == 0 {
		return nil
	}
	_, err := erasure.InsertLedger(ctx, db, tx, req.ledgerEntries(action, keys))
	return err
}
