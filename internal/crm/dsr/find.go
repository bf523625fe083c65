package dsr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
)

// Find returns the contacts whose mapped column for field holds the identity value
// (normalised by NormalizeIdentity), soft-deleted contacts included (their data is still
// held). The comparison, per field and engine:
//
//   - email, PostgreSQL and SQLite: lower(column) = lower(value), which the index
//     ON contacts (lower(email)) serves;
//   - email, MySQL/MariaDB: column = value under the column's collation, which the plain
//     index ON contacts (email) serves when the collation is case-insensitive (the
//     default, *_ci), then an exact check of LOWER(column) = LOWER(value) as bytes, so that
//     the collation's accent and trailing-space folding never widens the match; with a
//     case-sensitive collation only the exact check (no index can serve it);
//   - any other field: column = value, exactly (on MySQL/MariaDB also checked as bytes),
//     with the value bound for the column's type; the index ON table (column) serves it.
//
// A field kept in a related table (mapping.related: EspoCRM's email_address through
// entity_email_address, SuiteCRM's email_addresses through email_addr_bean_rel) is read as
// the selector compiler's field resolver renders it (crm.FieldResolver): the value of the
// contact's primary related row (the first in key order without a primary flag), so a
// contact is found by that address, not by its other addresses. The same comparison is
// made on the related table's column in a subquery of the contacts it ties to, which the
// index ON related (lower(column)) — on MySQL/MariaDB ON related (column) — serves.
//
// The database lowercases the column: SQLite, and PostgreSQL under the C locale, change
// the case of ASCII letters only, so there an address stored with upper-case accented
// letters is not found from its lower-case form.
//
// CheckLookupIndex tells whether the database has the index. More than MaxMatches
// contacts is a *TooManyMatchesError. The value and the keys never appear in errors.
func Find(ctx context.Context, db *crm.Database, m crm.Mapping, field, normalizedValue string) (Match, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	keys, err := find(ctx, db, m, field, normalizedValue)
	return Match{Keys: keys}, db.Scrub(err)
}

func find(ctx context.Context, db *crm.Database, m crm.Mapping, field, value string) ([]string, error) {
	s, err := newSchema(ctx, db, m)
	if err != nil {
		return nil, err
	}
	q, err := s.lookup(ctx, field, value)
	if err != nil {
		return nil, err
	}
	rows, err := db.DB().QueryContext(ctx, q.Query(s.d), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("while looking up contacts by field %s: %w", field, crm.NewPrivilegeError(valueFree(err), "SELECT", "table "+m.Contacts.Table))
	}
	found, err := erasure.ScanKeys(rows)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(found))
	for i, k := range found {
		keys[i] = erasure.KeyText(k)
	}
	if len(keys) > MaxMatches {
		return nil, &TooManyMatchesError{Field: field}
	}
	return keys, nil
}

// lookup renders the statement Find runs.
func (s *schema) lookup(ctx context.Context, field, value string) (*crm.SQLText, error) {
	f, ok, err := s.field(ctx, field)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &FieldError{Field: field, Message: "is not mapped on the CRMDatabase: a request can only name a mapped field"}
	}
	from, err := s.from(f.source == crm.SourceExtension)
	if err != nil {
		return nil, err
	}
	key, err := s.qa(aliasContacts, s.m.Contacts.Key)
	if err != nil {
		return nil, err
	}
	col := f.value
	if f.related == nil {
		if col, err = s.qa(lookupAlias(f), f.col.Name); err != nil {
			return nil, err
		}
	}
	q := &crm.SQLText{}
	q.W("SELECT ", key, " FROM ", from, " WHERE ")
	if f.related != nil && !f.defaulted {
		if err := s.relatedCandidates(ctx, q, f, value); err != nil {
			return nil, err
		}
		q.W(" AND ")
	}
	if err := s.match(ctx, q, f, col, value); err != nil {
		return nil, err
	}
	q.W(" ORDER BY ", key, " LIMIT ").Arg(MaxMatches + 1)
	return q, nil
}

// Aliases of a related table and its link table in Find's candidate subquery.
const (
	aliasFindRelated = "fr"
	aliasFindLink    = "fl"
)

// lookupAlias is the alias of the table whose column Find compares with the value.
func lookupAlias(f mapped) string {
	switch {
	case f.related != nil:
		return aliasFindRelated
	case f.source == crm.SourceExtension:
		return aliasExtension
	}
	return aliasContacts
}

// relatedCandidates renders, for a field kept in a related table, "the contact is tied to
// a related row whose column matches the value": the contacts column the related rows
// refer to (through the link table when there is one) IN the rows matching, so that an
// index on the related table's column serves the lookup. It only narrows what the field's
// own value (mapped.value) then decides exactly, so the match is the selector's; it is
// left out for a field whose value has a default without a related row (a flag), which
// a contact without a row would match.
func (s *schema) relatedCandidates(ctx context.Context, q *crm.SQLText, f mapped, value string) error {
	rel := *f.related
	names, err := crm.QuoteAll(s.d, rel.Table, aliasFindRelated)
	if err != nil {
		return err
	}
	rcol, err := s.qa(aliasFindRelated, f.col.Name)
	if err != nil {
		return err
	}
	rkey, err := s.qa(aliasFindRelated, rel.Key)
	if err != nil {
		return err
	}
	contactCol, ref, join, match := s.m.Contacts.Key, rkey, "", ""
	if rel.Link != nil {
		j, err := crm.RelatedJoinSQL(s.d, rel, aliasFindLink, rkey)
		if err != nil {
			return err
		}
		ref, join, match = j.Contact, j.Join, j.Match
	} else if rel.ContactColumn != "" {
		contactCol = rel.ContactColumn
	}
	own, err := crm.MatchSQL(s.d, aliasFindRelated, rel.Match)
	if err != nil {
		return err
	}
	cc, err := s.qa(aliasContacts, contactCol)
	if err != nil {
		return err
	}
	q.W(cc, " IN (SELECT ", ref, " FROM ", names[0], " ", names[1], join, " WHERE ")
	if err := s.match(ctx, q, f, rcol, value); err != nil {
		return err
	}
	q.W(match, own, ")")
	return nil
}

// match renders the lookup condition (see Find).
func (s *schema) match(ctx context.Context, q *crm.SQLText, f mapped, col, value string) error {
	e := s.d.Engine()
	if f.name == subject.FieldEmail {
		if f.col.Class != crm.ClassText && f.col.Class != crm.ClassUnknown {
			return &FieldError{Field: f.name, Message: fmt.Sprintf("has a %s column: an email address is looked up in a text column", f.col.Class)}
		}
		if e != crm.EngineMySQL {
			q.W("LOWER(", col, ") = LOWER(").Arg(value).W(")")
			return nil
		}
		ci, err := s.caseInsensitive(ctx, f)
		if err != nil {
			return err
		}
		if ci {
			q.W(col, " = ").Arg(value).W(" AND ")
		}
		q.W("CAST(LOWER(CONVERT(", col, " USING utf8mb4)) AS BINARY) = CAST(LOWER(CONVERT(").Arg(value).W(" USING utf8mb4)) AS BINARY)")
		return nil
	}
	expr, arg, err := bindValue(e, f.name, f.col, value)
	if err != nil {
		return err
	}
	q.W(col, " = ", expr)
	q.Args = append(q.Args, arg)
	if e == crm.EngineMySQL && f.col.Class == crm.ClassText {
		q.W(" AND CAST(CONVERT(", col, " USING utf8mb4) AS BINARY) = CAST(CONVERT(").Arg(value).W(" USING utf8mb4) AS BINARY)")
	}
	return nil
}

// caseInsensitive reports whether a MySQL/MariaDB text column's collation ignores case.
func (s *schema) caseInsensitive(ctx context.Context, f mapped) (bool, error) {
	var coll sql.NullString
	err := s.db.DB().QueryRowContext(ctx, "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?",
		f.table, f.col.Name).Scan(&coll)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("column %s of table %s is not in the catalog", f.col.Name, f.table)
	}
	if err != nil {
		return false, fmt.Errorf("while reading the collation of column %s of table %s: %w", f.col.Name, f.table, err)
	}
	return coll.Valid && strings.HasSuffix(strings.ToLower(coll.String), "_ci"), nil
}

// LookupIndex says whether the database can serve Find with an index.
type LookupIndex struct {
	// Usable is true when the engine's planner uses an index for Find's lookup.
	Usable bool
	// Index is the name of the index the plan uses ("" when none).
	Index string
	// Want is the index Find needs, as a statement to give the database administrator.
	Want string
	// Plan is the engine's plan of the lookup (EXPLAIN), for logs and benchmarks: it holds
	// table, column and index names only, no value.
	Plan string
}

// CheckLookupIndex asks the engine's planner how it would run Find's lookup by field —
// the same statement, with a placeholder value — and reports whether it uses an index:
// PostgreSQL with sequential scans disabled for the question (EXPLAIN; an Index Scan,
// Index Only Scan or Bitmap Index Scan on the table), MySQL/MariaDB by the keys EXPLAIN
// finds possible, SQLite by EXPLAIN QUERY PLAN's SEARCH … USING INDEX. It changes nothing.
func CheckLookupIndex(ctx context.Context, db *crm.Database, m crm.Mapping, field string) (LookupIndex, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	li, err := checkLookupIndex(ctx, db, m, field)
	return li, db.Scrub(err)
}

// placeholderIdentity is the value the lookup is explained with.
const placeholderIdentity = "nobody@example.invalid"

func checkLookupIndex(ctx context.Context, db *crm.Database, m crm.Mapping, field string) (LookupIndex, error) {
	s, err := newSchema(ctx, db, m)
	if err != nil {
		return LookupIndex{}, err
	}
	f, ok, err := s.field(ctx, field)
	if err != nil {
		return LookupIndex{}, err
	}
	if !ok {
		return LookupIndex{}, &FieldError{Field: field, Message: "is not mapped on the CRMDatabase: a request can only name a mapped field"}
	}
	want, err := s.requiredIndex(ctx, f)
	if err != nil {
		return LookupIndex{}, err
	}
	value := placeholderIdentity
	if field != subject.FieldEmail {
		value = samplePlaceholder(f.col.Class)
	}
	q, err := s.lookup(ctx, field, value)
	if err != nil {
		return LookupIndex{}, err
	}
	li := LookupIndex{Want: want}
	switch s.d.Engine() {
	case crm.EnginePostgres:
		err = explainPostgres(ctx, s, q, f, &li)
	case crm.EngineMySQL:
		err = explainMySQL(ctx, s, q, f, &li)
	default:
		err = explainSQLite(ctx, s, q, f, &li)
	}
	if err != nil {
		return LookupIndex{}, fmt.Errorf("while explaining the lookup by field %s: %w", field, err)
	}
	return li, nil
}

// samplePlaceholder is a value of the class to explain a lookup with.
func samplePlaceholder(c crm.TypeClass) string {
	switch c {
	case crm.ClassInteger, crm.ClassNumeric:
		return "0"
	case crm.ClassBoolean:
		return "false"
	case crm.ClassDate:
		return "2000-01-01"
	case crm.ClassTimestamp:
		return "2000-01-01T00:00:00Z"
	case crm.ClassUUID:
		return "00000000-0000-0000-0000-000000000000"
	}
	return "placeholder"
}

// requiredIndex is the index Find needs, as a CREATE INDEX statement.
func (s *schema) requiredIndex(ctx context.Context, f mapped) (string, error) {
	t, err := s.q(f.table)
	if err != nil {
		return "", err
	}
	c, err := s.q(f.col.Name)
	if err != nil {
		return "", err
	}
	name := indexName(f.table, f.col.Name)
	switch {
	case f.name != subject.FieldEmail:
		return fmt.Sprintf("CREATE INDEX %s ON %s (%s)", name, t, c), nil
	case s.d.Engine() != crm.EngineMySQL:
		return fmt.Sprintf("CREATE INDEX %s ON %s (lower(%s))", indexName(f.table, "lower_"+f.col.Name), t, c), nil
	}
	ci, err := s.caseInsensitive(ctx, f)
	if err != nil {
		return "", err
	}
	if !ci {
		return fmt.Sprintf("CREATE INDEX %s ON %s (%s), after giving column %s a case-insensitive collation such as utf8mb4_unicode_ci "+
			"(ALTER TABLE … MODIFY, restating its type and attributes): under its case-sensitive collation no index serves a lookup without regard to case", name, t, c, f.col.Name), nil
	}
	return fmt.Sprintf("CREATE INDEX %s ON %s (%s)", name, t, c), nil
}

// indexName is a name for a new index on table(column), within 63 characters.
func indexName(table, column string) string {
	n := table + "_" + column + "_idx"
	if len(n) > 63 {
		n = n[len(n)-63:]
		n = strings.TrimLeft(n, "_0123456789$")
	}
	return n
}

var pgIndexRE = regexp.MustCompile(`(?:(?:Index Scan|Index Only Scan) using (\S+) on \S+|Bitmap Index Scan on (\S+))(?: (\S+))?`)

// explainPostgres explains the lookup with sequential scans disabled: an index node whose
// Index Cond names the field's column is an index the planner can use for it (an index
// scan of the primary key filtering rows one by one is not).
func explainPostgres(ctx context.Context, s *schema, q *crm.SQLText, f mapped, li *LookupIndex) error {
	tx, err := s.db.DB().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		return err
	}
	plan, err := explainLines(ctx, tx, "EXPLAIN "+q.Query(s.d), q.Args, 0)
	if err != nil {
		return err
	}
	li.Plan = plan
	li.Index, li.Usable = pgIndexFor(plan, lookupAlias(f), f.col.Name)
	return nil
}

// pgIndexFor returns the index of the plan node on the table aliased alias ("" for any;
// a node that shows no alias, such as a Bitmap Index Scan, is taken whatever its table)
// whose Index Cond names column (as a whole word: the index of a join on email_address_id
// is not one on email_address).
func pgIndexFor(plan, alias, column string) (string, bool) {
	col := regexp.MustCompile(`\b` + regexp.QuoteMeta(column) + `\b`)
	index := ""
	for _, line := range strings.Split(plan, "\n") {
		if m := pgIndexRE.FindStringSubmatch(line); m != nil {
			index = ""
			if alias == "" || m[3] == "" || m[3] == alias {
				index = strings.Trim(m[1]+m[2], `"`)
			}
			continue
		}
		t := strings.TrimSpace(line)
		if index != "" && strings.HasPrefix(t, "Index Cond:") && col.MatchString(strings.ReplaceAll(t, `"`, "")) {
			return index, true
		}
	}
	return "", false
}

// explainMySQL reads the keys EXPLAIN finds possible for the table of the field.
func explainMySQL(ctx context.Context, s *schema, q *crm.SQLText, f mapped, li *LookupIndex) error {
	cols, rows, err := textRows(ctx, s.db.DB(), "EXPLAIN "+q.Query(s.d), q.Args)
	if err != nil {
		return err
	}
	alias := lookupAlias(f)
	lines := []string{strings.Join(cols, " | ")}
	for _, vals := range rows {
		row := map[string]string{}
		parts := make([]string, len(cols))
		for i, c := range cols {
			row[strings.ToLower(c)] = vals[i].String
			parts[i] = vals[i].String
			if !vals[i].Valid {
				parts[i] = "NULL"
			}
		}
		lines = append(lines, strings.Join(parts, " | "))
		if row["table"] != alias || li.Usable {
			continue
		}
		switch t := strings.ToLower(row["type"]); {
		case t == "ref" || t == "eq_ref" || t == "const" || t == "range" || t == "index_merge" || t == "ref_or_null":
			li.Usable, li.Index = true, row["key"]
		case row["possible_keys"] != "" && row["possible_keys"] != "PRIMARY":
			// The planner found an index but chose a scan (a tiny table): usable all the same.
			li.Usable, li.Index = true, strings.Split(row["possible_keys"], ",")[0]
		}
	}
	li.Plan = strings.Join(lines, "\n")
	return nil
}

// explainSQLite reads EXPLAIN QUERY PLAN: "SEARCH c USING INDEX name (…=?)" on the table.
func explainSQLite(ctx context.Context, s *schema, q *crm.SQLText, f mapped, li *LookupIndex) error {
	plan, err := explainLines(ctx, s.db.DB(), "EXPLAIN QUERY PLAN "+q.Query(s.d), q.Args, 3)
	if err != nil {
		return err
	}
	li.Plan = plan
	alias := lookupAlias(f)
	re := regexp.MustCompile(`^SEARCH ` + alias + ` USING (?:COVERING )?INDEX (\S+) \(`)
	for _, line := range strings.Split(plan, "\n") {
		if m := re.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			li.Usable, li.Index = true, m[1]
			return nil
		}
	}
	return nil
}

// explainLines runs an EXPLAIN and joins column col of its rows (0 for single-column
// plans) into lines.
func explainLines(ctx context.Context, q crm.Querier, query string, args []any, col int) (string, error) {
	cols, rows, err := textRows(ctx, q, query, args)
	if err != nil {
		return "", err
	}
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = r[min(col, len(cols)-1)].String
	}
	return strings.Join(lines, "\n"), nil
}

// textRows runs a query and reads every column of every row as text.
func textRows(ctx context.Context, q crm.Querier, query string, args []any) (cols []string, out [][]sql.NullString, err error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer crm.CloseRows(rows, &err)
	if cols, err = rows.Columns(); err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		out = append(out, vals)
	}
	return cols, out, nil
}
