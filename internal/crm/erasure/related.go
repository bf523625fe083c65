package erasure

import (
	"context"
	"fmt"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// linkedRelatedKeys reads, before the link rows go, the keys of the rows of each related
// table reached through a link table with Erase delete that the contacts of keys link to
// (their e-mail addresses), by related table name.
func linkedRelatedKeys(ctx context.Context, db *crm.Database, tx crm.Querier, m crm.Mapping, keys []any) (map[string][]any, error) {
	d := db.Dialect()
	out := map[string][]any{}
	for _, r := range m.Related {
		if r.Link == nil || r.Erase.Normal() != crm.RelatedDelete {
			continue
		}
		cols, err := crm.QuoteAll(d, r.Link.Table, r.Link.RelatedKey, r.Link.ContactKey)
		if err != nil {
			return nil, err
		}
		s := &crm.SQLText{}
		s.W("SELECT DISTINCT ", cols[1], " FROM ", cols[0], " WHERE ", cols[2], " IN ")
		inKeys(s, keys)
		match, err := crm.MatchSQL(d, "", r.Link.Match)
		if err != nil {
			return nil, err
		}
		s.W(match)
		rows, err := tx.QueryContext(ctx, s.Query(d), s.Args...)
		if err != nil {
			return nil, fmt.Errorf("while reading the %s rows of the contacts: %w", r.Name, crm.NewPrivilegeError(err, "SELECT", "table "+r.Link.Table))
		}
		ks, err := ScanKeys(rows)
		if err != nil {
			return nil, err
		}
		for _, k := range ks {
			if k != nil {
				out[r.Name] = append(out[r.Name], k)
			}
		}
	}
	return out, nil
}

// deleteRelatedAfter runs after the contacts are deleted: it deletes the link rows of
// linked related tables with Erase delete, then the related rows no link row references
// any more (an address another record still uses stays), and the rows of base tables.
func deleteRelatedAfter(ctx context.Context, db *crm.Database, tx crm.Querier, m crm.Mapping, keys []any, linked map[string][]any) error {
	for _, r := range m.Related {
		if r.Erase.Normal() != crm.RelatedDelete {
			continue
		}
		var err error
		switch {
		case r.Link != nil:
			err = deleteLinked(ctx, db, tx, r, keys, linked[r.Name])
		case r.Base:
			err = handleDependents(ctx, db, tx, []crm.Dependent{{Table: r.Table, Column: r.Key, Action: crm.ActionDelete, Match: r.Match}}, keys)
		}
		if err != nil {
			return fmt.Errorf("while deleting the %s rows of the contacts: %w", r.Name, err)
		}
	}
	return nil
}

func deleteLinked(ctx context.Context, db *crm.Database, tx crm.Querier, r crm.RelatedTable, keys, related []any) error {
	d := db.Dialect()
	if err := handleDependents(ctx, db, tx, []crm.Dependent{{Table: r.Link.Table, Column: r.Link.ContactKey, Action: crm.ActionDelete, Match: r.Link.Match}}, keys); err != nil {
		return err
	}
	if len(related) == 0 {
		return nil
	}
	cols, err := crm.QuoteAll(d, r.Table, r.Key, r.Link.Table, r.Link.RelatedKey)
	if err != nil {
		return err
	}
	s := &crm.SQLText{}
	s.W("DELETE FROM ", cols[0], " WHERE ", cols[1], " IN ")
	inKeys(s, related)
	s.W(" AND NOT EXISTS (SELECT 1 FROM ", cols[2], " WHERE ", cols[2], ".", cols[3], " = ", cols[0], ".", cols[1], ")")
	if _, err := tx.ExecContext(ctx, s.Query(d), s.Args...); err != nil {
		return crm.NewPrivilegeError(err, "DELETE", "table "+r.Table)
	}
	return nil
}
