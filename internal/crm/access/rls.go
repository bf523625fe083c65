package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/selector"
)

// Row filters become PostgreSQL row-level security policies. A policy's expression is part
// of the DDL and cannot take bind parameters, so the selector compiler renders the values
// as constants (selector.Literals mode; text through selector.Literal).
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
var ErrInvalidLiteral = selector.ErrInvalidLiteral

// PostgresLiteral renders s as a PostgreSQL escape string constant, E'…', that denotes
// exactly s whatever the server's standard_conforming_strings setting (see
// selector.Literal, the only place that turns a value into SQL text).
func PostgresLiteral(s string) (string, error) { return selector.Literal(s) }

// rolePolicyName is the name of a role's restrictive policy: the prefix and the role, or,
// when that exceeds 63 characters, a shortened role and a hash of it.
func rolePolicyName(role string) string {
	name := rolePolicyPrefix + role
	if len(name) <= crm.MaxIdentLength {
		return name
	}
	sum := sha256.Sum256([]byte(role))
	keep := crm.MaxIdentLength - len(rolePolicyPrefix) - 9
	return rolePolicyPrefix + role[:keep] + "_" + hex.EncodeToString(sum[:4])
}

// rowFilterPolicy is the policy a row filter compiles to.
type rowFilterPolicy struct {
	expr    string
	comment string
}

// rowFilter compiles the spec's row filter against the contacts table as the catalog
// describes it (in the pass's transaction).
func (a *pgAccess) rowFilter(ctx context.Context) (rowFilterPolicy, error) {
	t, err := a.d.DescribeTable(ctx, a.tx, a.m.Contacts.Table)
	if err != nil {
		return rowFilterPolicy{}, &SpecError{Message: fmt.Sprintf("the contacts table %s of the mapping was not found: the row filter cannot be applied", a.m.Contacts.Table)}
	}
	return compileRowFilter(a.d, a.m, t, *a.spec.RowFilter, a.spec.Owner)
}

// compileRowFilter turns a selector over logical fields into a policy expression on the
// contacts table, described by contacts. The selector compiles in internal/crm/selector
// exactly as for retention rules and the compliance scan, with its values rendered as
// constants (a policy cannot take parameters). Every field must be mapped to a column of
// the contacts table itself: a policy expression sees the row of its table only. An empty
// selector lets every row through.
func compileRowFilter(d crm.Dialect, m crm.Mapping, contacts *crm.Table, sel crm.Selector, owner string) (rowFilterPolicy, error) {
	const path = "spec.rowFilter"
	for i, r := range sel {
		if f, ok := m.Lookup(r.Field); ok && f.Source.Normal() != crm.SourceContacts {
			return rowFilterPolicy{}, &SpecError{Message: fmt.Sprintf("%s.matchExpressions[%d].field: field %q lives in the %s table: a row filter can only use fields of the contacts table", path, i, r.Field, f.Source.Normal())}
		}
	}
	var colErr error
	cols := func(name string) (selector.Column, bool) {
		f, ok := m.Lookup(name)
		if !ok || f.Source.Normal() != crm.SourceContacts {
			return selector.Column{}, false
		}
		info, ok := contacts.Column(d, f.Column)
		if !ok {
			if colErr == nil {
				colErr = fmt.Errorf("field %s: column %s does not exist in table %s", name, f.Column, m.Contacts.Table)
			}
			return selector.Column{}, false
		}
		quoted, err := d.QuoteIdent(f.Column)
		if err != nil {
			if colErr == nil {
				colErr = fmt.Errorf("field %s: %w", name, err)
			}
			return selector.Column{}, false
		}
		st := selector.Storage(info.Class)
		return selector.Column{SQL: quoted, Kind: selector.KindFor(name, st), Storage: st}, true
	}
	c := selector.Compiler{Engine: selector.Engine(d.Engine()), Mode: selector.Literals, Columns: cols}
	expr, _, err := c.Compile(path, sel)
	if colErr != nil {
		err = colErr
	}
	if err != nil {
		return rowFilterPolicy{}, &SpecError{Message: err.Error()}
	}
	sum := sha256.Sum256([]byte(expr))
	comment := ownerMarker(owner) + "; row filter " + hex.EncodeToString(sum[:8])
	return rowFilterPolicy{expr: expr, comment: comment}, nil
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
	arg, err := a.d.RegclassArg(a.m.Contacts.Table)
	if err != nil {
		return nil, &SpecError{Message: fmt.Sprintf("contacts table %s: %v", a.m.Contacts.Table, err)}
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
	defer crm.CloseRows(rows, &err)
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
