package scan

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// ErrTooManyKeys says that more contacts fail a check than an export may list: the export
// is refused as a whole, never cut.
var ErrTooManyKeys = errors.New("more contacts fail the check than the export may list")

// UnknownCheckError says that a check name is none of Checks().
type UnknownCheckError struct{ Check string }

func (e *UnknownCheckError) Error() string {
	return fmt.Sprintf("unknown compliance check %q: use one of %s", e.Check, strings.Join(Checks(), ", "))
}

// CheckNotRunError says that a known check does not run on this database for this scan:
// it does not apply to the activity (Spec) or the mapping lacks its fields (Reason).
type CheckNotRunError struct {
	Check  string
	Reason string
}

func (e *CheckNotRunError) Error() string {
	return fmt.Sprintf("check %s does not run here: %s", e.Check, e.Reason)
}

// FindingKeys lists the keys of the contacts in scope that fail one check: exactly the
// contacts Compliance counts for it, selected by the same condition (scanQuery.checks) over
// the same scope (scanQuery.where). It calls emit once per contact, in key order, with the
// key as text, and returns how many it emitted. Nothing but keys is read.
//
// At most limit keys are listed: when more contacts fail, it returns ErrTooManyKeys after
// emitting limit keys, and the caller discards what it received. A check that is not
// known fails with *UnknownCheckError, one that does not run with *CheckNotRunError.
func FindingKeys(ctx context.Context, db *crm.Database, m crm.Mapping, spec Spec, check string, limit int, emit func(key string) error) (int64, error) {
	if !knownCheck(check) {
		return 0, &UnknownCheckError{Check: check}
	}
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	q, err := newScanQuery(ctx, db, m)
	if err != nil {
		return 0, db.Scrub(err)
	}
	checks, notCheckable := q.checks(spec)
	c, ok := findCheck(checks, check)
	if !ok {
		reason := notCheckable[check]
		if reason == "" {
			reason = "the check does not apply to the activity"
		}
		return 0, &CheckNotRunError{Check: check, Reason: reason}
	}
	bound := len(q.args)
	where, err := q.where(ctx, spec.Selector)
	if err != nil {
		return 0, db.Scrub(err)
	}
	key, err := db.Dialect().QuoteIdent(m.Contacts.Key)
	if err != nil {
		return 0, err
	}
	keyCol := contactsAlias + "." + key
	query := &crm.SQLText{Args: append(append([]any(nil), q.args[bound:]...), c.args...)}
	if where == "" {
		where = " WHERE 1 = 1"
	}
	query.W("SELECT "+keyCol+" FROM "+q.from(), where, " AND "+c.cond, " ORDER BY "+keyCol+" LIMIT "+strconv.Itoa(limit+1))
	rows, err := db.DB().QueryContext(ctx, query.Query(db.Dialect()), query.Args...)
	if err != nil {
		return 0, db.Scrub(fmt.Errorf("while listing the contacts of table %s that fail check %s: %w", m.Contacts.Table, check, err))
	}
	defer func() { _ = rows.Close() }()
	var n int64
	for rows.Next() {
		var k any
		if err := rows.Scan(&k); err != nil {
			return n, db.Scrub(fmt.Errorf("while reading a contact key: %w", err))
		}
		if n == int64(limit) {
			return n, ErrTooManyKeys
		}
		if err := emit(keyText(k)); err != nil {
			return n, err
		}
		n++
	}
	return n, db.Scrub(rows.Err())
}

// knownCheck says whether name is one of Checks().
func knownCheck(name string) bool {
	for _, c := range Checks() {
		if c == name {
			return true
		}
	}
	return false
}

func findCheck(checks []scanCheck, name string) (scanCheck, bool) {
	for _, c := range checks {
		if c.name == name {
			return c, true
		}
	}
	return scanCheck{}, false
}

// keyText renders a contact key read from the database as text: a key the driver returns
// as bytes is text.
func keyText(k any) string {
	switch v := k.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(k)
}
