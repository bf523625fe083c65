package crm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Row filters become PostgreSQL row-level security policies. A policy's expression is part
// of the DDL and cannot take bind parameters, so the selector's values are rendered as
// string constants by PostgresLiteral, the only place that turns a value into SQL text.
//
// The design keeps other users of the table unaffected: when the operator enables RLS on
// a table it also creates one permissive policy for PUBLIC that lets every row through
// (crm_privacy_operator_base), so that roles without a filter see what they saw before;
// each filtered role gets a RESTRICTIVE policy, which PostgreSQL ANDs with the permissive
// ones. When the last filter of the operator on a table goes, the base policy goes and RLS
// is disabled again. On a table where RLS was already enabled by someone else, the
// operator adds its restrictive policy only and leaves the rest alone.

// basePolicyName is the permissive policy the operator adds to tables it enables RLS on.
const basePolicyName = "crm_privacy_operator_base"

// rolePolicyPrefix starts the name of each role's restrictive policy.
const rolePolicyPrefix = "crm_privacy_role_"

// basePolicyComment marks the base policy as the operator's.
const basePolicyComment = "managed by crm-privacy-operator: lets every row through for roles without a row filter"

// ErrInvalidLiteral is wrapped by PostgresLiteral's errors.
var ErrInvalidLiteral = errors.New("value cannot be used in a row filter")

// PostgresLiteral renders s as a PostgreSQL escape string constant, E'…', that denotes
// exactly s whatever the server's standard_conforming_strings setting: a quote is doubled
// and a backslash is written \\. Values that PostgreSQL text cannot hold (NUL bytes) or
// that are not valid UTF-8 are rejected.
func PostgresLiteral(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: it is not valid UTF-8", ErrInvalidLiteral)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("%w: it contains a NUL character", ErrInvalidLiteral)
	}
	var b strings.Builder
	b.Grow(len(s) + 3)
	b.WriteString("E'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}

// rolePolicyName is the name of a role's restrictive policy: the prefix and the role, or,
// when that exceeds 63 characters, a shortened role and a hash of it.
func rolePolicyName(role string) string {
	name := rolePolicyPrefix + role
	if len(name) <= MaxIdentLength {
		return name
	}
	sum := sha256.Sum256([]byte(role))
	keep := MaxIdentLength - len(rolePolicyPrefix) - 9
	return rolePolicyPrefix + role[:keep] + "_" + hex.EncodeToString(sum[:4])
}

// rowFilterPolicy is the policy a row filter compiles to.
type rowFilterPolicy struct {
	expr    string
	comment string
}

// compileRowFilter turns a selector over logical fields into a policy expression on the
// contacts table. Every field must be mapped to a column of the contacts table itself (a
// policy expression sees the row of its table only).
//
// Semantics: In matches a field equal to one of the values (compared as text, case
// included); NotIn matches a field that holds a value none of the values — a NULL field is
// not matched, so that a filter never widens on missing data; Exists and DoesNotExist test
// for NULL; optOut and legalHold compare by truth ("true"/"false"). An empty selector lets
// every row through.
func compileRowFilter(d Dialect, m Mapping, sel Selector, owner string) (rowFilterPolicy, error) {
	parts := make([]string, 0, len(sel))
	for i, r := range sel {
		expr, err := rowFilterRequirement(d, m, r)
		if err != nil {
			return rowFilterPolicy{}, &AccessSpecError{Message: fmt.Sprintf("rowFilter.matchExpressions[%d]: %v", i, err)}
		}
		parts = append(parts, "("+expr+")")
	}
	expr := "true"
	if len(parts) > 0 {
		expr = strings.Join(parts, " AND ")
	}
	sum := sha256.Sum256([]byte(expr))
	comment := ownerMarker(owner) + "; row filter " + hex.EncodeToString(sum[:8])
	return rowFilterPolicy{expr: expr, comment: comment}, nil
}

func rowFilterRequirement(d Dialect, m Mapping, r Requirement) (string, error) {
	f, ok := m.Fields[r.Field]
	if !ok || f.Column == "" {
		return "", fmt.Errorf("field %q is not mapped on the CRMDatabase: map it or change the filter", r.Field)
	}
	if f.Source.Normal() != SourceContacts {
		return "", fmt.Errorf("field %q lives in the extension table: a row filter can only use fields of the contacts table", r.Field)
	}
	col, err := d.QuoteIdent(f.Column)
	if err != nil {
		return "", err
	}
	switch r.Operator {
	case OpExists:
		return col + " IS NOT NULL", nil
	case OpDoesNotExist:
		return col + " IS NULL", nil
	case OpIn, OpNotIn:
	default:
		return "", fmt.Errorf("unknown operator %q: use In, NotIn, Exists or DoesNotExist", r.Operator)
	}
	if len(r.Values) == 0 {
		return "", fmt.Errorf("%s needs at least one value", r.Operator)
	}
	if booleanFields[r.Field] {
		return flagFilter(col, r)
	}
	lits := make([]string, len(r.Values))
	for i, v := range r.Values {
		if lits[i], err = PostgresLiteral(v); err != nil {
			return "", fmt.Errorf("values[%d]: %w", i, err)
		}
	}
	op := " IN ("
	if r.Operator == OpNotIn {
		op = " NOT IN ("
	}
	return "(" + col + ")::text" + op + strings.Join(lits, ", ") + ")", nil
}

// flagFilter renders In/NotIn over a yes/no field.
func flagFilter(col string, r Requirement) (string, error) {
	wantTrue, wantFalse := false, false
	for _, v := range r.Values {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "", fmt.Errorf("field %s is a flag: use the values \"true\" or \"false\", not %q", r.Field, v)
		}
		wantTrue, wantFalse = wantTrue || b, wantFalse || !b
	}
	if r.Operator == OpNotIn {
		wantTrue, wantFalse = !wantTrue, !wantFalse
	}
	truthy := "lower((" + col + ")::text) IN ('1', 't', 'true', 'y', 'yes')"
	switch {
	case wantTrue && wantFalse:
		return col + " IS NOT NULL", nil
	case wantTrue:
		return truthy, nil
	case wantFalse:
		return col + " IS NOT NULL AND NOT (" + truthy + ")", nil
	}
	return "false", nil
}

// filterBypassingViews lists, when the spec has a row filter, the views and materialized
// views that read the contacts table — directly or through other views — with someone
// else's rights: a view that is not security_invoker runs as its owner (often the table's
// owner, whom RLS does not restrict, and in any case not the filtered role), and a
// materialized view holds rows computed by whoever refreshed it. A SELECT on such a view
// returns rows the filter hides. Keys are {schema, name}.
func (a *pgAccess) filterBypassingViews(ctx context.Context) (_ map[[2]string]bool, err error) {
	out := map[[2]string]bool{}
	if a.spec.RowFilter == nil {
		return out, nil
	}
	arg, err := a.d.regclassArg(a.m.Contacts.Table)
	if err != nil {
		return nil, &AccessSpecError{Message: fmt.Sprintf("contacts table %s: %v", a.m.Contacts.Table, err)}
	}
	rows, err := a.tx.QueryContext(ctx, `
WITH RECURSIVE readers(view, safe) AS (
  SELECT r.ev_class, v.relkind = 'v' AND `+pgInvoker+`
  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
  JOIN pg_catalog.pg_class v ON v.oid = r.ev_class
  WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
    AND d.refobjid = pg_catalog.to_regclass($1) AND r.ev_class <> d.refobjid
  UNION
  SELECT r.ev_class, rd.safe AND v.relkind = 'v' AND `+pgInvoker+`
  FROM readers rd JOIN pg_catalog.pg_depend d ON d.refobjid = rd.view
    AND d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
  JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
  JOIN pg_catalog.pg_class v ON v.oid = r.ev_class
  WHERE r.ev_class <> rd.view
)
SELECT n.nspname, c.relname FROM readers rd
JOIN pg_catalog.pg_class c ON c.oid = rd.view JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
GROUP BY n.nspname, c.relname HAVING NOT bool_and(rd.safe)`, arg)
	if err != nil {
		return nil, fmt.Errorf("while finding the views that read the filtered table %s: %w", a.m.Contacts.Table, err)
	}
	defer closeRows(rows, &err)
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, nil
}

// pgInvoker is true for a view declared WITH (security_invoker = true) (PostgreSQL 15+).
const pgInvoker = `COALESCE((SELECT o.option_value::bool FROM pg_catalog.pg_options_to_table(v.reloptions) o
  WHERE o.option_name = 'security_invoker'), false)`
