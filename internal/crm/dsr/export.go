package dsr

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
)

// Export reads everything the mapping relates to the contacts of keys (GDPR Art. 15), in
// one read-only pass: for each contact, every column of its contact row, its mapped
// logical fields (a field kept in a related table read as the selector compiler's field
// resolver reads it: the primary related row's value), its extension row, the rows of each interaction source linked to it
// (through the link table when there is one) and the rows of each dependent table that
// refer to it (a dependent that is also a direct interaction source is listed once, under
// interactions). Soft-deleted rows are included: their data is still held. Values are
// text or null (times in RFC 3339, UTC; binary values that are not UTF-8 text as
// "base64:…"); rows are sorted by their values and contacts by key, so the same data
// gives the same export. The result is personal data: it goes to the request's own
// Secret, never to status, events or logs. Export.Database is left for the caller.
func Export(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string) (subject.Export, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	e, err := export(ctx, db, m, keys)
	return e, db.Scrub(err)
}

func export(ctx context.Context, db *crm.Database, m crm.Mapping, keys []string) (subject.Export, error) {
	out := subject.Export{Contacts: []subject.Contact{}}
	if len(keys) == 0 {
		return out, nil
	}
	s, err := newSchema(ctx, db, m)
	if err != nil {
		return out, err
	}
	args, err := s.keyArgs(keys)
	if err != nil {
		return out, err
	}
	r, err := s.readRelated(ctx, args)
	if err != nil {
		return out, err
	}
	for _, k := range sortedKeys(r.contacts, s.key.Class == crm.ClassInteger) {
		c, err := s.contact(ctx, r, k)
		if err != nil {
			return out, err
		}
		out.Contacts = append(out.Contacts, c)
	}
	return out, nil
}

// related is every row an export reads, grouped by contact key.
type related struct {
	contacts, extension map[string]subject.Table
	interactions        []map[string]subject.Table // per mapped interaction source
	deps                []crm.Dependent            // the dependents exported
	depRows             []map[string]subject.Table // per exported dependent
	// relatedValues are, per contact key, the values of the logical fields kept in
	// related tables, by field name.
	relatedValues map[string]map[string]*string
}

// readRelated reads the rows of the contacts of keys in every mapped table.
func (s *schema) readRelated(ctx context.Context, keys []any) (*related, error) {
	m := s.m
	r := &related{deps: s.exportedDependents()}
	var err error
	if r.contacts, err = s.rowsBy(ctx, m.Contacts.Table, m.Contacts.Table, m.Contacts.Key, nil, keys); err != nil {
		return nil, err
	}
	if m.Extension != nil {
		if r.extension, err = s.rowsBy(ctx, m.Extension.Table, m.Extension.Table, m.Extension.Key, nil, keys); err != nil {
			return nil, err
		}
	}
	r.interactions = make([]map[string]subject.Table, len(m.Interactions))
	for i, ia := range m.Interactions {
		if r.interactions[i], err = s.interactionRows(ctx, ia, keys); err != nil {
			return nil, err
		}
	}
	r.depRows = make([]map[string]subject.Table, len(r.deps))
	for i, d := range r.deps {
		if r.depRows[i], err = s.rowsBy(ctx, d.Table, d.Table, d.Column, d.Match, keys); err != nil {
			return nil, err
		}
	}
	if r.relatedValues, err = s.relatedValues(ctx, keys); err != nil {
		return nil, err
	}
	return r, nil
}

// fieldNames are the logical fields an export lists (mapped, then restricted fields not
// also mapped), sorted.
func (s *schema) fieldNames() []string {
	names := s.m.FieldNames()
	for _, r := range s.m.RestrictedFields {
		if _, dup := s.m.Fields[r.Name]; !dup {
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	return names
}

// relatedValues reads the logical fields kept in related tables for the contacts of keys,
// as the selector compiler's field resolver renders them (the primary related row first),
// in one statement; nil when no field is kept in a related table.
func (s *schema) relatedValues(ctx context.Context, keys []any) (_ map[string]map[string]*string, err error) {
	var fields []mapped
	for _, n := range s.fieldNames() {
		f, ok, err := s.field(ctx, n)
		if err != nil {
			return nil, err
		}
		if ok && f.related != nil {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	values := make([]string, len(fields))
	for i, f := range fields {
		values[i] = f.value
	}
	q, _, err := s.selectContacts(false, values, keys)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.DB().QueryContext(ctx, q.Query(s.d), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("while reading the related tables' fields for an access export: %w", crm.NewPrivilegeError(err, "SELECT", "table "+fields[0].table))
	}
	defer crm.CloseRows(rows, &err)
	out := map[string]map[string]*string{}
	for rows.Next() {
		vals, err := scanValues(rows, len(fields)+1)
		if err != nil {
			return nil, fmt.Errorf("while reading the related tables' fields for an access export: %w", err)
		}
		byName := map[string]*string{}
		for i, f := range fields {
			byName[f.name] = textOf(vals[i+1])
		}
		out[erasure.KeyText(vals[0])] = byName
	}
	return out, nil
}

// contact assembles the export of contact k from the rows read.
func (s *schema) contact(ctx context.Context, r *related, k string) (subject.Contact, error) {
	c := subject.Contact{Key: k, Row: r.contacts[k]}
	if x, ok := r.extension[k]; ok {
		c.Extension = &x
	}
	for i, ia := range s.m.Interactions {
		t, err := s.group(ctx, r.interactions[i], k, ia.Name, ia.Table)
		if err != nil {
			return c, err
		}
		c.Interactions = append(c.Interactions, t)
	}
	for i, d := range r.deps {
		t, err := s.group(ctx, r.depRows[i], k, d.Table, d.Table)
		if err != nil {
			return c, err
		}
		c.Dependents = append(c.Dependents, t)
	}
	var err error
	c.Fields, err = s.fields(ctx, c, r.relatedValues[k])
	return c, err
}

// exportedDependents are the dependents whose rows the export lists: all but a direct
// interaction source's own table and column (listed under interactions).
func (s *schema) exportedDependents() []crm.Dependent {
	var out []crm.Dependent
	for _, d := range s.m.Dependents {
		dup := false
		for _, ia := range s.m.Interactions {
			if ia.Link == nil && strings.EqualFold(ia.Table, d.Table) && strings.EqualFold(ia.ContactKey, d.Column) {
				dup = true
			}
		}
		if !dup {
			out = append(out, d)
		}
	}
	return out
}

// rowsBy reads every column of table for the rows whose column by is one of keys and that
// hold match's fixed values (in a polymorphic table, the rows about contacts: a row of
// another kind of record whose key equals the contact's is not the person's), grouped by
// by's value (canonical text), each group's rows sorted.
func (s *schema) rowsBy(ctx context.Context, name, table, by string, match []crm.Match, keys []any) (_ map[string]subject.Table, err error) {
	t, err := s.table(ctx, table)
	if err != nil {
		return nil, err
	}
	qt, err := s.q(table)
	if err != nil {
		return nil, err
	}
	qb, err := s.q(by)
	if err != nil {
		return nil, err
	}
	q := &crm.SQLText{}
	q.W("SELECT ", qb)
	cols := t.ColumnNames()
	for _, c := range cols {
		qc, err := s.q(c)
		if err != nil {
			return nil, err
		}
		q.W(", ", qc)
	}
	q.W(" FROM ", qt, " WHERE ", qb, " IN ")
	inList(q, keys)
	cond, err := crm.MatchSQL(s.d, "", match)
	if err != nil {
		return nil, err
	}
	q.W(cond)
	return s.readGrouped(ctx, q, name, table, cols)
}

// interactionRows reads the rows of an interaction source linked to the contacts.
func (s *schema) interactionRows(ctx context.Context, ia crm.Interaction, keys []any) (map[string]subject.Table, error) {
	if ia.Link == nil && ia.Related == "" {
		return s.rowsBy(ctx, ia.Name, ia.Table, ia.ContactKey, ia.Match, keys)
	}
	t, err := s.table(ctx, ia.Table)
	if err != nil {
		return nil, err
	}
	it, err := s.q(ia.Table)
	if err != nil {
		return nil, err
	}
	from, ref, err := s.interactionFrom(ia, it)
	if err != nil {
		return nil, err
	}
	contact, match := ref, ""
	if ia.Related != "" {
		rel, ok := s.m.RelatedByName(ia.Related)
		if !ok {
			return nil, fmt.Errorf("interaction source %s names related table %s, which the mapping does not have", ia.Name, ia.Related)
		}
		j, err := crm.RelatedJoinSQL(s.d, rel, "rl", ref)
		if err != nil {
			return nil, err
		}
		from += j.Join
		contact, match = j.Contact, j.Match
	}
	q := &crm.SQLText{}
	q.W("SELECT ", contact)
	cols := t.ColumnNames()
	for _, c := range cols {
		qc, err := s.qa("i", c)
		if err != nil {
			return nil, err
		}
		q.W(", ", qc)
	}
	q.W(" FROM ", from, " WHERE ", contact, " IN ")
	inList(q, keys)
	own, err := s.interactionMatches(ia)
	if err != nil {
		return nil, err
	}
	q.W(match, own)
	return s.readGrouped(ctx, q, ia.Name, ia.Table, cols)
}

// interactionMatches renders the fixed values an interaction source's rows and link rows
// must hold (a polymorphic table's rows about contacts), so that the export lists no row
// of another kind of record whose key happens to equal the contact's.
func (s *schema) interactionMatches(ia crm.Interaction) (string, error) {
	own, err := crm.MatchSQL(s.d, "i", ia.Match)
	if err != nil || ia.Link == nil {
		return own, err
	}
	link, err := crm.MatchSQL(s.d, "l", ia.Link.Match)
	return own + link, err
}

// interactionFrom renders the FROM clause of an interaction source's rows (the table
// aliased i, joined to its link table aliased l) and the quoted column that ties a row to
// its contact (or, with Interaction.Related, to the related row).
func (s *schema) interactionFrom(ia crm.Interaction, it string) (from, ref string, err error) {
	if ia.Link == nil {
		ref, err = s.qa("i", ia.ContactKey)
		return it + " i", ref, err
	}
	lt, err := s.q(ia.Link.Table)
	if err != nil {
		return "", "", err
	}
	if ref, err = s.qa("l", ia.Link.ContactKey); err != nil {
		return "", "", err
	}
	lik, err := s.qa("l", ia.Link.InteractionKey)
	if err != nil {
		return "", "", err
	}
	ik, err := s.qa("i", ia.Key)
	if err != nil {
		return "", "", err
	}
	return it + " i JOIN " + lt + " l ON " + lik + " = " + ik, ref, nil
}

// readGrouped runs q, whose first column is the contact key and the others cols.
func (s *schema) readGrouped(ctx context.Context, q *crm.SQLText, name, table string, cols []string) (_ map[string]subject.Table, err error) {
	rows, err := s.db.DB().QueryContext(ctx, q.Query(s.d), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("while reading table %s for an access export: %w", table, crm.NewPrivilegeError(err, "SELECT", "table "+table))
	}
	defer crm.CloseRows(rows, &err)
	out := map[string]subject.Table{}
	for rows.Next() {
		vals, err := scanValues(rows, len(cols)+1)
		if err != nil {
			return nil, fmt.Errorf("while reading table %s for an access export: %w", table, err)
		}
		k := erasure.KeyText(vals[0])
		t := out[k]
		t.Name, t.Table, t.Columns = name, table, cols
		row := make([]*string, len(cols))
		for i := range cols {
			row[i] = textOf(vals[i+1])
		}
		t.Rows = append(t.Rows, row)
		out[k] = t
	}
	for k, t := range out {
		sortRows(t.Rows)
		out[k] = t
	}
	return out, nil
}

// scanValues reads the n columns of the current row as the driver gives them.
func scanValues(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	dest := make([]any, n)
	for i := range vals {
		dest[i] = &vals[i]
	}
	return vals, rows.Scan(dest...)
}

// fields lists the mapped logical fields of a contact with their values; related holds
// the values of the fields kept in related tables (relatedValues).
func (s *schema) fields(ctx context.Context, c subject.Contact, related map[string]*string) ([]subject.Field, error) {
	var out []subject.Field
	for _, n := range s.fieldNames() {
		f, ok, err := s.field(ctx, n)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var value *string
		switch {
		case f.related != nil:
			value = related[n]
		case f.source == crm.SourceExtension:
			value = cell(s.d, c.Extension, f.col.Name)
		default:
			value = cell(s.d, &c.Row, f.col.Name)
		}
		out = append(out, subject.Field{Name: n, Table: f.table, Column: f.col.Name, Value: value})
	}
	return out, nil
}

// cell is the value of column in the one row of t (nil without a row).
func cell(d crm.Dialect, t *subject.Table, column string) *string {
	if t == nil || len(t.Rows) == 0 {
		return nil
	}
	for i, c := range t.Columns {
		if normalName(d, c) == normalName(d, column) {
			return t.Rows[0][i]
		}
	}
	return nil
}

// textOf renders a value read from a driver as export text (nil for NULL).
func textOf(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case []byte:
		if utf8.Valid(x) {
			s = string(x)
		} else {
			s = "base64:" + base64.StdEncoding.EncodeToString(x)
		}
	case time.Time:
		s = x.UTC().Format(time.RFC3339Nano)
	case bool:
		s = strconv.FormatBool(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	default:
		s = fmt.Sprint(x)
	}
	return &s
}

// sortRows orders rows by their values, column by column (NULL first).
func sortRows(rows [][]*string) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		for c := range a {
			switch {
			case a[c] == nil && b[c] == nil:
				continue
			case a[c] == nil:
				return true
			case b[c] == nil:
				return false
			case *a[c] != *b[c]:
				return lessText(*a[c], *b[c])
			}
		}
		return false
	})
}

// lessText orders integers numerically, anything else as text.
func lessText(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}

// sortedKeys returns the keys of the contacts read, in key order.
func sortedKeys(m map[string]subject.Table, numeric bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if numeric {
			return lessText(keys[i], keys[j])
		}
		return keys[i] < keys[j]
	})
	return keys
}

// group returns the rows of one contact in a table read by rowsBy: the table's columns
// and no rows (an empty list, not null) when it has none.
func (s *schema) group(ctx context.Context, groups map[string]subject.Table, key, name, table string) (subject.Table, error) {
	if t, ok := groups[key]; ok {
		return t, nil
	}
	t, err := s.table(ctx, table)
	if err != nil {
		return subject.Table{}, err
	}
	return subject.Table{Name: name, Table: table, Columns: t.ColumnNames(), Rows: [][]*string{}}, nil
}
