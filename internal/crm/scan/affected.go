package scan

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// Affected counts the contacts a selector picks: the not soft-deleted contacts of the
// mapped contacts table that the selector, compiled by internal/crm/selector as for the
// compliance scan, retention rules and row filters, selects. An empty selector counts every
// contact. Only the count leaves the database.
func Affected(ctx context.Context, db *crm.Database, m crm.Mapping, sel crm.Selector) (int64, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	q, err := newScanQuery(ctx, db, m)
	if err != nil {
		return 0, db.Scrub(err)
	}
	where, err := q.where(ctx, sel)
	if err != nil {
		return 0, db.Scrub(err)
	}
	query := &crm.SQLText{Args: q.args}
	query.W("SELECT COUNT(*) FROM "+q.from(), where)
	var n int64
	if err := db.DB().QueryRowContext(ctx, query.Query(db.Dialect()), query.Args...).Scan(&n); err != nil {
		return 0, db.Scrub(fmt.Errorf("while counting the affected contacts of table %s: %w", m.Contacts.Table, err))
	}
	return n, nil
}

// NotifyChannels are the logical fields a notify list holds, in its column order: the
// channels through which a person affected by a breach can be told (Art. 34). Nothing else
// of the contact — no name, no key — enters the list.
var NotifyChannels = []string{crm.FieldEmail, crm.FieldPhone}

// ErrNotifyListTooLarge says that a notify list exceeds the size it may take.
var ErrNotifyListTooLarge = errors.New("the notify list exceeds its size limit")

// NotifyList is the list of contacts to notify of a breach, as CSV.
type NotifyList struct {
	// CSV is a header `email,phone` and one line per contact that has at least one of
	// them, ordered by the contact key. A channel the mapping lacks is an empty column.
	CSV []byte
	// Contacts is the number of lines after the header.
	Contacts int64
	// Unreachable is the number of selected contacts with neither an email nor a phone
	// (empty or blank), left out of the list.
	Unreachable int64
	// Missing names the channels the mapping does not map.
	Missing []string
}

// ReadNotifyList reads the notification channels (NotifyChannels) of the contacts the
// selector picks, streaming the rows in key order and stopping with ErrNotifyListTooLarge
// once the CSV would exceed maxBytes. The rows hold personal data: the caller writes them
// to a Secret and nowhere else (no log, no event, no status).
func ReadNotifyList(ctx context.Context, db *crm.Database, m crm.Mapping, sel crm.Selector, maxBytes int) (NotifyList, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	q, err := newScanQuery(ctx, db, m)
	if err != nil {
		return NotifyList{}, db.Scrub(err)
	}
	var out NotifyList
	var cols []string
	for _, f := range NotifyChannels {
		c, ok := q.cols[f]
		if !ok {
			out.Missing = append(out.Missing, f)
			cols = append(cols, "NULL")
			continue
		}
		cols = append(cols, c.sql)
	}
	if len(out.Missing) == len(NotifyChannels) {
		return out, fmt.Errorf("the mapping maps none of %s: there is no channel to notify the contacts through", strings.Join(NotifyChannels, ", "))
	}
	where, err := q.where(ctx, sel)
	if err != nil {
		return NotifyList{}, db.Scrub(err)
	}
	key, err := db.Dialect().QuoteIdent(m.Contacts.Key)
	if err != nil {
		return NotifyList{}, err
	}
	query := &crm.SQLText{Args: q.args}
	query.W("SELECT "+strings.Join(cols, ", ")+" FROM "+q.from(), where, " ORDER BY "+contactsAlias+"."+key)
	rows, err := db.DB().QueryContext(ctx, query.Query(db.Dialect()), query.Args...)
	if err != nil {
		return NotifyList{}, db.Scrub(fmt.Errorf("while reading the contacts to notify from table %s: %w", m.Contacts.Table, err))
	}
	defer func() { _ = rows.Close() }()
	if err := out.write(rows, maxBytes); err != nil {
		return NotifyList{}, err
	}
	return out, nil
}

// write streams the rows into the CSV.
func (l *NotifyList) write(rows *sql.Rows, maxBytes int) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(NotifyChannels); err != nil {
		return err
	}
	vals := make([]sql.NullString, len(NotifyChannels))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	line := make([]string, len(vals))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("while reading a contact to notify: %w", err)
		}
		reachable := false
		for i, v := range vals {
			line[i] = strings.TrimSpace(v.String)
			reachable = reachable || line[i] != ""
		}
		if !reachable {
			l.Unreachable++
			continue
		}
		if err := w.Write(line); err != nil {
			return err
		}
		l.Contacts++
		w.Flush()
		if buf.Len() > maxBytes {
			return ErrNotifyListTooLarge
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("while reading the contacts to notify: %w", err)
	}
	w.Flush()
	l.CSV = buf.Bytes()
	return w.Error()
}
