package dsr

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/selector"
)

// Aliases of the contacts and extension tables in the statements of this package.
const (
	aliasContacts  = "c"
	aliasExtension = "x"
)

// schema is a mapping read against the catalog: the tables it names, described once.
type schema struct {
	db     *crm.Database
	d      crm.Dialect
	m      crm.Mapping
	tables map[string]*crm.Table
	key    crm.Column // the contact key column
}

func newSchema(ctx context.Context, db *crm.Database, m crm.Mapping) (*schema, error) {
	s := &schema{db: db, d: db.Dialect(), m: m, tables: map[string]*crm.Table{}}
	key, err := s.column(ctx, m.Contacts.Table, m.Contacts.Key)
	if err != nil {
		return nil, err
	}
	s.key = key
	return s, nil
}

func (s *schema) table(ctx context.Context, name string) (*crm.Table, error) {
	if t, ok := s.tables[name]; ok {
		return t, nil
	}
	t, err := s.d.DescribeTable(ctx, s.db.DB(), name)
	if err != nil {
		return nil, fmt.Errorf("while reading table %s: %w", name, err)
	}
	s.tables[name] = t
	return t, nil
}

func (s *schema) column(ctx context.Context, table, column string) (crm.Column, error) {
	t, err := s.table(ctx, table)
	if err != nil {
		return crm.Column{}, err
	}
	c, ok := t.Column(s.d, column)
	if !ok {
		return crm.Column{}, fmt.Errorf("column %s does not exist in table %s", column, table)
	}
	return c, nil
}

// q quotes a name; qa quotes alias.name.
func (s *schema) q(name string) (string, error) { return s.d.QuoteIdent(name) }

func (s *schema) qa(alias, name string) (string, error) {
	a, err := s.d.QuoteIdent(alias)
	if err != nil {
		return "", err
	}
	n, err := s.d.QuoteIdent(name)
	if err != nil {
		return "", err
	}
	return a + "." + n, nil
}

// mapped is a logical field resolved against the catalog.
type mapped struct {
	name   string
	source crm.Source
	table  string // the table of its source
	keyCol string // the contact key column of that table
	col    crm.Column
	// related is the related table of a field kept there (nil otherwise), and value the
	// field's value for the contact aliased c, as the selector compiler's field resolver
	// renders it (a correlated subquery reading the primary related row first).
	related *crm.RelatedTable
	value   string
	// defaulted is set when value has a default for a contact without a related row (a
	// flag reads false there).
	defaulted bool
}

// field resolves a logical field (mapped or restricted); ok is false when the mapping
// names it nowhere.
func (s *schema) field(ctx context.Context, name string) (mapped, bool, error) {
	f, ok := s.m.Lookup(name)
	if !ok {
		return mapped{}, false, nil
	}
	src := f.Source.Normal()
	if src == crm.SourceRelated {
		return s.relatedField(ctx, name, f)
	}
	table, keyCol := s.m.Contacts.Table, s.m.Contacts.Key
	if src == crm.SourceExtension {
		if s.m.Extension == nil {
			return mapped{}, false, &FieldError{Field: name, Message: "is mapped to the extension table, but the mapping has none"}
		}
		table, keyCol = s.m.Extension.Table, s.m.Extension.Key
	}
	col, err := s.column(ctx, table, f.Column)
	if err != nil {
		return mapped{}, false, fmt.Errorf("field %s: %w", name, err)
	}
	return mapped{name: name, source: src, table: table, keyCol: keyCol, col: col}, true, nil
}

// relatedField resolves a field kept in a related table through the selector compiler's
// field resolver (crm.FieldResolver), over the contacts table aliased c.
func (s *schema) relatedField(ctx context.Context, name string, f crm.Field) (mapped, bool, error) {
	rel, ok := s.m.RelatedByName(f.Related)
	if !ok {
		return mapped{}, false, &FieldError{Field: name, Message: fmt.Sprintf("is mapped to related table %s, which the mapping does not have", f.Related)}
	}
	c, err := s.q(aliasContacts)
	if err != nil {
		return mapped{}, false, err
	}
	r := crm.NewFieldResolver(s.d, s.db.DB(), s.m, c, "")
	r.ShareTables(s.tables)
	sel, col, err := r.Resolve(ctx, name, f)
	if err != nil {
		return mapped{}, false, err
	}
	return mapped{name: name, source: crm.SourceRelated, table: rel.Table, keyCol: rel.Key, col: col, related: &rel, value: sel.SQL,
		defaulted: sel.Kind == selector.KindFlag}, true, nil
}

// keyArgs converts contact keys in canonical text form to the values bound for the key
// column: int64 for an integer key, the text otherwise.
func (s *schema) keyArgs(keys []string) ([]any, error) {
	out := make([]any, len(keys))
	for i, k := range keys {
		if s.key.Class == crm.ClassInteger {
			n, err := strconv.ParseInt(k, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("contact key %d of the match is not an integer", i)
			}
			out[i] = n
			continue
		}
		out[i] = k
	}
	return out, nil
}

// from renders "contacts c", joined with "extension x" when join is set.
func (s *schema) from(join bool) (string, error) {
	t, err := s.q(s.m.Contacts.Table)
	if err != nil {
		return "", err
	}
	c, _ := s.q(aliasContacts)
	out := t + " " + c
	if !join || s.m.Extension == nil {
		return out, nil
	}
	et, err := s.q(s.m.Extension.Table)
	if err != nil {
		return "", err
	}
	x, _ := s.q(aliasExtension)
	ek, err := s.qa(aliasExtension, s.m.Extension.Key)
	if err != nil {
		return "", err
	}
	ck, err := s.qa(aliasContacts, s.m.Contacts.Key)
	if err != nil {
		return "", err
	}
	return out + " LEFT JOIN " + et + " " + x + " ON " + ek + " = " + ck, nil
}

// selectContacts renders "SELECT c.key[, exprs…] FROM contacts c [LEFT JOIN extension x]
// WHERE c.key IN (keys…)" and returns it with the quoted c.key.
func (s *schema) selectContacts(join bool, exprs []string, keys []any) (*crm.SQLText, string, error) {
	from, err := s.from(join)
	if err != nil {
		return nil, "", err
	}
	key, err := s.qa(aliasContacts, s.m.Contacts.Key)
	if err != nil {
		return nil, "", err
	}
	q := &crm.SQLText{}
	q.W("SELECT ", key)
	for _, e := range exprs {
		q.W(", ", e)
	}
	q.W(" FROM ", from, " WHERE ", key, " IN ")
	inList(q, keys)
	return q, key, nil
}

// inList appends "(?, ?, …)" binding args: the sweep's own list (erasure.AppendKeys).
func inList(s *crm.SQLText, args []any) { erasure.AppendKeys(s, args) }

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// bindValue converts a value given as text to what is bound for a column of the class,
// and the SQL expression of its marker ("?", or a cast). The grammar per class:
//
//   - text (and SQLite columns without a declared type): any UTF-8 text without NUL;
//   - integer: a whole number ("42", "-7");
//   - numeric: a decimal number ("12.50", "-3", "1e3");
//   - boolean: "true" or "false" (lowercase, as in selectors);
//   - date: "2006-01-02";
//   - timestamp: RFC 3339 ("2006-01-02T15:04:05Z", "2006-01-02T15:04:05.5+02:00"),
//     stored in UTC;
//   - uuid: 8-4-4-4-12 hex digits, stored lowercase.
//
// Other classes (binary, JSON, time of day, arrays…) are refused. Errors are *FieldError
// and never quote the value.
func bindValue(e crm.Engine, field string, c crm.Column, v string) (string, any, error) {
	bad := func(want string) error {
		return &FieldError{Field: field, Message: fmt.Sprintf("the value does not fit its %s column: give %s", c.Class, want)}
	}
	switch c.Class {
	case crm.ClassText, crm.ClassUnknown:
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return "", nil, &FieldError{Field: field, Message: "the value must be UTF-8 text without NUL characters"}
		}
		return "?", v, nil
	case crm.ClassInteger:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", nil, bad(`a whole number such as "42"`)
		}
		return "?", n, nil
	case crm.ClassNumeric:
		if _, err := strconv.ParseFloat(v, 64); err != nil || strings.ContainsAny(v, "xXpP_") || strings.EqualFold(strings.TrimLeft(v, "+-"), "inf") || strings.EqualFold(v, "nan") {
			return "", nil, bad(`a decimal number such as "12.50"`)
		}
		if e == crm.EnginePostgres {
			return "CAST(? AS numeric)", v, nil
		}
		return "?", v, nil
	case crm.ClassBoolean:
		var b bool
		switch v {
		case "true":
			b = true
		case "false":
		default:
			return "", nil, bad(`"true" or "false"`)
		}
		if e == crm.EnginePostgres {
			return "?", b, nil
		}
		if b {
			return "?", int64(1), nil
		}
		return "?", int64(0), nil
	case crm.ClassDate:
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return "", nil, bad(`a date such as "2006-01-02"`)
		}
		return "?", bindDate(e, t), nil
	case crm.ClassTimestamp:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return "", nil, bad(`an RFC 3339 time such as "2006-01-02T15:04:05Z"`)
		}
		return "?", crm.BindTime(e, t), nil
	case crm.ClassUUID:
		if !uuidRE.MatchString(v) {
			return "", nil, bad("a UUID (8-4-4-4-12 hex digits)")
		}
		return "?", strings.ToLower(v), nil
	}
	return "", nil, &FieldError{Field: field, Message: fmt.Sprintf("its column has a %s type: only text, number, yes/no, date, timestamp and uuid columns can be set", c.Class)}
}

// bindDate binds the calendar date of t (in UTC).
func bindDate(e crm.Engine, t time.Time) any {
	t = t.UTC()
	if e == crm.EnginePostgres {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return t.Format(time.DateOnly)
}

// bindTimeFor binds the time t for a date or timestamp column.
func bindTimeFor(e crm.Engine, c crm.Column, t time.Time) any {
	if c.Class == crm.ClassDate {
		return bindDate(e, t)
	}
	return crm.BindTime(e, t)
}

func toLower(s string) string { return strings.ToLower(s) }

// splitMarker splits an expression around its one "?" marker.
func splitMarker(expr string) []string { return strings.SplitN(expr, "?", 2) }
