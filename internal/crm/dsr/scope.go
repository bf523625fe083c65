package dsr

import (
	"context"
	"fmt"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// CountSelected returns how many of the contacts of keys sel selects: the selector is
// compiled by the selector compiler (internal/crm/selector, through crm.FieldResolver, as
// the compliance scan and the sweep compile theirs), the keys and the selector's values
// are bound as parameters. path names the selector in errors ("spec.contactSelector"); a
// selector that cannot be compiled on this mapping (an unmapped field, a value that does
// not fit the column) is a *crm.SelectorError. An empty selector selects every contact of
// keys that exists. An Access request uses it to tell the person only the processing
// activities whose scope includes them.
func CountSelected(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string, path string, sel crm.Selector) (int64, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	n, err := countSelected(ctx, db, m, keys, path, sel)
	return n, db.Scrub(err)
}

func countSelected(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string, path string, sel crm.Selector) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	s, err := newSchema(ctx, db, m)
	if err != nil {
		return 0, err
	}
	args, err := s.keyArgs(keys)
	if err != nil {
		return 0, err
	}
	c, _ := s.q(aliasContacts)
	x, _ := s.q(aliasExtension)
	r := crm.NewFieldResolver(s.d, s.db.DB(), s.m, c, x)
	r.ShareTables(s.tables)
	if err := r.ResolveAll(ctx); err != nil {
		return 0, err
	}
	cond := &crm.SQLText{}
	if err := r.Compile(cond, path, sel); err != nil {
		return 0, err
	}
	from, err := s.from(r.UsesExt)
	if err != nil {
		return 0, err
	}
	key, err := s.qa(aliasContacts, s.m.Contacts.Key)
	if err != nil {
		return 0, err
	}
	q := &crm.SQLText{}
	q.W("SELECT COUNT(*) FROM ", from, " WHERE ", key, " IN ")
	inList(q, args)
	q.W(" AND (", cond.Text(), ")")
	q.Args = append(q.Args, cond.Args...)
	var n int64
	if err := s.db.DB().QueryRowContext(ctx, q.Query(s.d), q.Args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("while counting the contacts of %d key(s) that %s selects: %w", len(keys), path, err)
	}
	return n, nil
}
