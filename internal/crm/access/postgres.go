package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// PostgreSQL access management. A pass is one transaction: plan (read the catalogs), and
// when anything differs take the access lock, plan again and apply, then read the
// catalogs once more to report what could not be brought in line. Privileges are read from
// the ACLs (aclexplode over pg_class.relacl, pg_attribute.attacl, pg_namespace.nspacl and
// pg_database.datacl), memberships from pg_auth_members, the marker from the role's
// comment.

// accessLockKey is the transaction-level advisory lock that serialises the changes of
// access passes on one database: concurrent GRANTs on one table fail with "tuple
// concurrently updated", and RLS bookkeeping needs a stable view.
const accessLockKey = 0x63726d70726976 // "crmpriv"

// pgRole is what the catalog says of a role.
type pgRole struct {
	exists                                                  bool
	oid                                                     int64
	login, super, createDB, createRole, replication, bypass bool
	marker                                                  markerState
}

// pgUser is what the catalog says of a member's user.
type pgUser struct {
	exists, login, super                      bool
	createDB, createRole, replication, bypass bool
	oid                                       int64
	marker                                    markerState
	memberOfThis                              bool // a member of the AccessRole's role
	otherRoles                                int  // memberships in other roles
	verifier                                  sql.NullString
}

// privileged reports administrative attributes: such a user is never given a role or
// managed by the operator.
func (u pgUser) privileged() bool {
	return u.super || u.createRole || u.createDB || u.replication || u.bypass
}

// pgStep is one statement of a plan.
type pgStep struct {
	kind   stepKind
	sql    string
	secret bool // holds a password verifier: sent with logging off
	// markKind and markRole, when set, make the step write the authenticated marker of
	// markRole once it exists (the SQL is rendered at execution: the MAC covers the OID).
	markKind, markRole string
}

type stepKind int

const (
	stepGrant stepKind = iota
	stepRevoke
	stepOther
)

// pgPlan is what a pass would change.
type pgPlan struct {
	steps        []pgStep
	grants       grantDiff
	held         int
	granted      int
	revoked      int
	added        int
	removed      int
	created      bool
	extraMembers []string
	missing      []string
	outcomes     map[string]MemberOutcome
	refused      []RefusedGrant
	// locked are the owned logins this plan sets NOLOGIN; mustNotLogIn every owned login
	// that may not log in after the pass (their sessions are ended after the commit).
	locked, mustNotLogIn []string
	withheld             []string
	// unlockable are owned logins that someone gave SUPERUSER or REPLICATION: the
	// operator cannot lock them, and says so.
	unlockable []string
}

func (p *pgPlan) add(kind stepKind, secret bool, format string, args ...any) {
	p.steps = append(p.steps, pgStep{kind: kind, sql: fmt.Sprintf(format, args...), secret: secret})
}

// pgAccess is one pass over one role.
type pgAccess struct {
	db     *crm.Database
	tx     *sql.Tx
	d      crm.PostgresDialect
	m      crm.Mapping
	spec   Spec
	remove bool
	role   string // quoted
	key    []byte // the operator's marker key
	// quiet is true when the server will not log this transaction's statements, so that
	// password verifiers may be sent.
	quiet bool
}

func pgApplyAccess(ctx context.Context, db *crm.Database, m crm.Mapping, spec Spec, remove bool) (res Result, err error) {
	keys, err := db.OperatorKeys()
	if err != nil {
		return res, err
	}
	tx, err := db.DB().BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("while starting the access transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	a := &pgAccess{db: db, tx: tx, d: crm.PostgresDialect{}, m: m, spec: spec, remove: remove, role: crm.PostgresDialect{}.Quote(crm.MustIdent(spec.Role)), key: keys.MarkerKey()}
	for _, mb := range spec.Members {
		if mb.Password != "" {
			if a.quiet, err = a.silenceLogging(ctx); err != nil {
				return res, fmt.Errorf("while turning statement logging off for the password statements: %w", err)
			}
			break
		}
	}
	plan, err := a.plan(ctx)
	if err != nil {
		return res, err
	}
	if len(plan.steps) > 0 {
		if _, err := tx.ExecContext(ctx, "SELECT pg_catalog.pg_advisory_xact_lock($1)", int64(accessLockKey)); err != nil {
			return res, fmt.Errorf("while taking the access lock: %w", err)
		}
		if plan, err = a.plan(ctx); err != nil {
			return res, err
		}
		if res.Statements, err = a.execute(ctx, plan); err != nil {
			return res, err
		}
	}
	after, err := a.plan(ctx)
	if err != nil {
		return res, fmt.Errorf("while checking the role after the changes: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("while committing the access changes of role %s: %w", spec.Role, err)
	}
	res.Created, res.Held = plan.created, after.held
	res.Granted, res.Revoked = plan.granted, plan.revoked
	res.MembersAdded, res.MembersRemoved = plan.added, plan.removed
	res.Members = after.outcomes
	res.Refused = after.refused
	res.LoginsLocked = len(plan.locked)
	res.PasswordsWithheld = plan.withheld
	res.Remaining = describeRemaining(after.grants, after.extraMembers, after.missing)
	for _, u := range after.locked {
		res.Remaining = append(res.Remaining, "login "+u+" can still log in")
	}
	for _, u := range after.unlockable {
		res.Remaining = append(res.Remaining, "login "+u+" was given SUPERUSER or REPLICATION by someone else: the operator cannot lock it")
	}
	if after.created {
		res.Remaining = append(res.Remaining, "role "+spec.Role+" does not exist")
	}
	// The sessions end after the commit: a session ended before it could log in again
	// while NOLOGIN was not committed.
	ended, remaining, err := pgEndSessions(ctx, db, after.mustNotLogIn)
	res.SessionsEnded = ended
	res.Remaining = append(res.Remaining, remaining...)
	return res, err
}

// plan reads the catalogs and lists the statements that bring the role in line.
func (a *pgAccess) plan(ctx context.Context) (*pgPlan, error) {
	p := &pgPlan{outcomes: map[string]MemberOutcome{}}
	role, err := a.readRole(ctx)
	if err != nil {
		return nil, err
	}
	if role.exists {
		if err := a.checkRoleMarker(p, role); err != nil {
			return nil, err
		}
	}
	if !role.exists && a.remove {
		return nil, fmt.Errorf("role %s: %w", a.spec.Role, ErrRoleNotFound)
	}
	if !role.exists {
		p.created = true
		p.add(stepOther, false, "CREATE ROLE %s NOLOGIN", a.role)
		p.steps = append(p.steps, markRoleStep(markerKindRole, a.spec.Role))
	}
	a.planAttributes(p, role)
	if err := a.planMemberOf(ctx, p, role); err != nil {
		return nil, err
	}
	want, err := a.wantedGrants(ctx, p)
	if err != nil {
		return nil, err
	}
	var have []grantKey
	if role.exists {
		if have, err = a.heldGrants(ctx, role.oid); err != nil {
			return nil, err
		}
	}
	if err := a.planGrants(p, want, have); err != nil {
		return nil, err
	}
	if err := a.planPolicy(ctx, p); err != nil {
		return nil, err
	}
	if err := a.planMembers(ctx, p, role); err != nil {
		return nil, err
	}
	return p, nil
}

// readRole reads the role's attributes and marker.
func (a *pgAccess) readRole(ctx context.Context) (pgRole, error) {
	r := pgRole{exists: true}
	var comment string
	err := a.tx.QueryRowContext(ctx, `
SELECT r.oid::int8, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
       COALESCE(pg_catalog.shobj_description(r.oid, 'pg_authid'), '')
FROM pg_catalog.pg_roles r WHERE r.rolname = $1`, a.spec.Role).Scan(
		&r.oid, &r.login, &r.super, &r.createDB, &r.createRole, &r.replication, &r.bypass, &comment)
	if errors.Is(err, sql.ErrNoRows) {
		return pgRole{}, nil
	}
	if err != nil {
		return pgRole{}, fmt.Errorf("while reading role %s: %w", a.spec.Role, err)
	}
	r.marker = readMarker(a.key, markerKindRole, a.spec.Role, r.oid, comment)
	return r, nil
}

// checkRoleMarker accepts an existing role only when its authenticated marker names this
// AccessRole, or when it carries the legacy marker naming it and the spec asks to adopt
// it (the marker is then rewritten with its MAC). A superuser, CREATEROLE, REPLICATION or
// BYPASSRLS role is never managed, whatever its marker says.
func (a *pgAccess) checkRoleMarker(p *pgPlan, r pgRole) error {
	if r.super || r.createRole || r.replication || r.bypass {
		return &RoleNotManagedError{Role: a.spec.Role, Privileged: true}
	}
	switch {
	case r.marker.owner == a.spec.Owner:
		return nil
	case r.marker.owner == "" && r.marker.legacyOwner == a.spec.Owner && a.spec.AdoptLegacy:
		p.steps = append(p.steps, markRoleStep(markerKindRole, a.spec.Role))
		return nil
	case r.marker.owner == "" && r.marker.legacyOwner == a.spec.Owner:
		return &RoleNotManagedError{Role: a.spec.Role, Legacy: true}
	case r.marker.owner != "":
		return &RoleNotManagedError{Role: a.spec.Role, Marker: ManagedMarkerPrefix + r.marker.owner}
	case r.marker.claimed != "" && r.marker.legacyOwner == "":
		// A marker with a MAC that does not verify: forged, copied from another role, or
		// left on a role dropped and created again.
		return &MarkerNotVerifiedError{Kind: "role", Name: a.spec.Role}
	}
	// No marker.
	return &RoleNotManagedError{Role: a.spec.Role}
}

// planAttributes strips attributes given out of band: a managed group role never logs in
// and has no administrative power.
func (a *pgAccess) planAttributes(p *pgPlan, r pgRole) {
	var fix []string
	for _, attr := range []struct {
		set  bool
		name string
	}{{r.login, "NOLOGIN"}, {r.super, "NOSUPERUSER"}, {r.createDB, "NOCREATEDB"}, {r.createRole, "NOCREATEROLE"},
		{r.replication, "NOREPLICATION"}, {r.bypass, "NOBYPASSRLS"}} {
		if attr.set {
			fix = append(fix, attr.name)
		}
	}
	if len(fix) > 0 {
		p.revoked += len(fix)
		p.add(stepOther, false, "ALTER ROLE %s %s", a.role, strings.Join(fix, " "))
	}
}

// planMemberOf revokes the managed role's membership in other roles: it would inherit
// their privileges.
func (a *pgAccess) planMemberOf(ctx context.Context, p *pgPlan, r pgRole) error {
	if !r.exists {
		return nil
	}
	groups, err := queryStrings(ctx, a.tx, `
SELECT DISTINCT g.rolname FROM pg_catalog.pg_auth_members am
JOIN pg_catalog.pg_roles g ON g.oid = am.roleid
WHERE am.member = $1 ORDER BY 1`, r.oid)
	if err != nil {
		return fmt.Errorf("while reading the roles %s is a member of: %w", a.spec.Role, err)
	}
	for _, g := range groups {
		p.revoked++
		p.extraMembers = append(p.extraMembers, "of "+g)
		p.add(stepRevoke, false, "REVOKE %s FROM %s", quoteCatalogName(a.d, g), a.role)
	}
	return nil
}

// wantedGrants resolves the spec's grants (and USAGE on their schemas). A grant on an
// object of the operator's schema is a spec error; a grant on a view that would bypass the
// row filter is refused (left out, so revoked when held) and listed in p.refused.
func (a *pgAccess) wantedGrants(ctx context.Context, p *pgPlan) ([]grantKey, error) {
	bypass, err := a.filterBypassingViews(ctx)
	if err != nil {
		return nil, err
	}
	var resolved []resolvedGrant
	for _, g := range a.spec.Grants {
		rg, err := resolveGrant(ctx, a.d, a.tx, a.schemaOf, g)
		if err != nil {
			return nil, err
		}
		if rg.schema == crm.OperatorSchema || strings.HasPrefix(strings.ToLower(rg.table), crm.OperatorObjectPrefix) {
			return nil, &SpecError{Message: fmt.Sprintf("table %s is in the operator's schema %s: no AccessRole may be granted privileges on the operator's objects", g.Table, crm.OperatorSchema)}
		}
		if bypass[[2]string{rg.schema, rg.table}] {
			p.refused = append(p.refused, RefusedGrant{Table: g.Table, Reason: ViewBypassesRowFilter,
				Message: fmt.Sprintf("%s reads the filtered table %s through a view that runs with its owner's rights (not security_invoker): it would show every row", g.Table, a.m.Contacts.Table)})
			continue
		}
		resolved = append(resolved, rg)
	}
	keys := tableGrants(resolved)
	schemas := map[string]bool{}
	for _, rg := range resolved {
		if !schemas[rg.schema] {
			schemas[rg.schema] = true
			keys = append(keys, grantKey{Kind: objSchema, Schema: rg.schema, Privilege: "USAGE"})
		}
	}
	return keys, nil
}

// schemaOf returns the schema a table name resolves to through the search_path.
func (a *pgAccess) schemaOf(ctx context.Context, table string) (string, error) {
	arg, err := a.d.RegclassArg(table)
	if err != nil {
		return "", err
	}
	var schema string
	err = a.tx.QueryRowContext(ctx, `
SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = pg_catalog.to_regclass($1)`, arg).Scan(&schema)
	return schema, err
}

// heldGrants reads every privilege the role holds in this database, from the ACLs.
func (a *pgAccess) heldGrants(ctx context.Context, oid int64) (keys []grantKey, err error) {
	rows, err := a.tx.QueryContext(ctx, `
SELECT 'table', n.nspname, c.relname, '', x.privilege_type
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) x
WHERE c.relacl IS NOT NULL AND c.relkind IN (`+crm.PostgresRelKinds+`) AND x.grantee = $1
UNION ALL
SELECT 'column', n.nspname, c.relname, att.attname, x.privilege_type
FROM pg_catalog.pg_attribute att JOIN pg_catalog.pg_class c ON c.oid = att.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) x
WHERE att.attacl IS NOT NULL AND NOT att.attisdropped AND x.grantee = $1
UNION ALL
SELECT 'schema', n.nspname, '', '', x.privilege_type
FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) x
WHERE n.nspacl IS NOT NULL AND x.grantee = $1
UNION ALL
SELECT 'database', d.datname, '', '', x.privilege_type
FROM pg_catalog.pg_database d CROSS JOIN LATERAL pg_catalog.aclexplode(d.datacl) x
WHERE d.datname = pg_catalog.current_database() AND d.datacl IS NOT NULL AND x.grantee = $1`, oid)
	if err != nil {
		return nil, fmt.Errorf("while reading the privileges of role %s: %w", a.spec.Role, err)
	}
	defer crm.CloseRows(rows, &err)
	for rows.Next() {
		var k grantKey
		if err := rows.Scan(&k.Kind, &k.Schema, &k.Table, &k.Column, &k.Privilege); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// planGrants adds the REVOKE and GRANT statements: every revoke first (a table-level
// revoke also clears that privilege on the columns), then the grants.
func (a *pgAccess) planGrants(p *pgPlan, want, have []grantKey) error {
	d := diffGrants(want, have, true)
	p.grants = d
	// Held counts what the catalog shows, not what is wanted.
	haveSet := make(map[grantKey]bool, len(have))
	for _, k := range have {
		haveSet[k] = true
	}
	for _, k := range want {
		if (k.Kind == objTable || k.Kind == objColumn) && haveSet[k] {
			p.held++
		}
	}
	p.revoked += len(d.revoke)
	p.granted += len(d.grant)
	for _, g := range groupGrants(d.revoke) {
		obj, list, err := a.grantTarget(g)
		if err != nil {
			return err
		}
		p.add(stepRevoke, false, "REVOKE %s ON %s FROM %s", list, obj, a.role)
	}
	for _, g := range groupGrants(d.grant) {
		obj, list, err := a.grantTarget(g)
		if err != nil {
			return err
		}
		p.add(stepGrant, false, "GRANT %s ON %s TO %s", list, obj, a.role)
	}
	return nil
}

// grantTarget renders the object and privilege list of a group of privileges.
func (a *pgAccess) grantTarget(g *grantGroup) (obj, list string, err error) {
	list, err = g.privilegeList(a.d)
	if err != nil {
		return "", "", err
	}
	switch g.kind {
	case objDatabase:
		return "DATABASE " + quoteCatalogName(a.d, g.schema), list, nil
	case objSchema:
		return "SCHEMA " + quoteCatalogName(a.d, g.schema), list, nil
	}
	return "TABLE " + quoteCatalogName(a.d, g.schema) + "." + quoteCatalogName(a.d, g.table), list, nil
}

// quoteCatalogName quotes a name read from the catalog (a schema or table that holds an
// out-of-band privilege may have any name): validated names through the dialect, others
// with the same delimiter doubling.
func quoteCatalogName(d crm.Dialect, name string) string {
	if q, err := d.QuoteIdent(name); err == nil {
		return q
	}
	if d.Engine() == crm.EngineMySQL {
		return crm.QuoteWith(name, '`')
	}
	return crm.QuoteWith(name, '"')
}

// mustLiteral is PostgresLiteral for texts the operator builds itself (markers), which
// are always valid.
func mustLiteral(s string) string {
	l, err := PostgresLiteral(s)
	if err != nil {
		panic(err)
	}
	return l
}

// queryStrings runs a query returning one text column.
func queryStrings(ctx context.Context, q crm.Querier, query string, args ...any) (out []string, err error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer crm.CloseRows(rows, &err)
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// pgPolicy is a policy of the operator found on a table.
type pgPolicy struct {
	schema, table, comment string
}

// planPolicy keeps the role's restrictive policy on the contacts table in line with the
// row filter, enabling RLS (with the base policy) where needed and disabling it where the
// operator's last filter goes.
func (a *pgAccess) planPolicy(ctx context.Context, p *pgPlan) error {
	name := rolePolicyName(a.spec.Role)
	qname := a.d.Quote(crm.MustIdent(name))
	existing, err := a.policies(ctx, name)
	if err != nil {
		return err
	}
	var want *rowFilterPolicy
	var wantSchema, wantTable string
	if a.spec.RowFilter != nil {
		pol, err := a.rowFilter(ctx)
		if err != nil {
			return err
		}
		want = &pol
		if wantSchema, err = a.schemaOf(ctx, a.m.Contacts.Table); err != nil {
			return &SpecError{Message: fmt.Sprintf("the contacts table %s of the mapping was not found: the row filter cannot be applied", a.m.Contacts.Table)}
		}
		wantTable = a.m.Contacts.Table
	}
	kept := false
	for _, e := range existing {
		if want != nil && e.schema == wantSchema && e.table == wantTable && e.comment == want.comment {
			kept = true
			continue
		}
		table := quoteCatalogName(a.d, e.schema) + "." + quoteCatalogName(a.d, e.table)
		p.revoked++
		p.add(stepOther, false, "DROP POLICY %s ON %s", qname, table)
		if want == nil || e.schema != wantSchema || e.table != wantTable {
			if err := a.planRLSCleanup(ctx, p, e.schema, e.table, name); err != nil {
				return err
			}
		}
	}
	if want == nil || kept {
		return nil
	}
	return a.planCreatePolicy(ctx, p, qname, wantSchema, wantTable, *want)
}

// policies lists the policies of the given name on the tables of this database.
func (a *pgAccess) policies(ctx context.Context, name string) (out []pgPolicy, err error) {
	rows, err := a.tx.QueryContext(ctx, `
SELECT n.nspname, c.relname, COALESCE(pg_catalog.obj_description(p.oid, 'pg_policy'), '')
FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE p.polname = $1`, name)
	if err != nil {
		return nil, fmt.Errorf("while reading the row filter policies of role %s: %w", a.spec.Role, err)
	}
	defer crm.CloseRows(rows, &err)
	for rows.Next() {
		var pol pgPolicy
		if err := rows.Scan(&pol.schema, &pol.table, &pol.comment); err != nil {
			return nil, err
		}
		out = append(out, pol)
	}
	return out, nil
}

// rlsState is what the catalog says of RLS on a table.
type rlsState struct {
	enabled bool
	ourBase bool
	others  int // restrictive role policies of the operator other than the one named
}

func (a *pgAccess) rlsState(ctx context.Context, schema, table, except string) (rlsState, error) {
	var s rlsState
	err := a.tx.QueryRowContext(ctx, `
SELECT c.relrowsecurity,
       EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND p.polname = $3
               AND pg_catalog.obj_description(p.oid, 'pg_policy') = $4),
       (SELECT count(*) FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND NOT p.polpermissive
               AND p.polname LIKE 'crm\_privacy\_role\_%' AND p.polname <> $5)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2`, schema, table, basePolicyName, basePolicyComment, except).Scan(&s.enabled, &s.ourBase, &s.others)
	if err != nil {
		return s, fmt.Errorf("while reading the row-level security of table %s: %w", table, err)
	}
	return s, nil
}

func (a *pgAccess) planRLSCleanup(ctx context.Context, p *pgPlan, schema, table, name string) error {
	s, err := a.rlsState(ctx, schema, table, name)
	if err != nil {
		return err
	}
	if s.others > 0 || !s.ourBase {
		return nil
	}
	qt := quoteCatalogName(a.d, schema) + "." + quoteCatalogName(a.d, table)
	p.add(stepOther, false, "DROP POLICY %s ON %s", a.d.Quote(crm.MustIdent(basePolicyName)), qt)
	p.add(stepOther, false, "ALTER TABLE %s DISABLE ROW LEVEL SECURITY", qt)
	return nil
}

func (a *pgAccess) planCreatePolicy(ctx context.Context, p *pgPlan, qname, schema, table string, pol rowFilterPolicy) error {
	s, err := a.rlsState(ctx, schema, table, rolePolicyName(a.spec.Role))
	if err != nil {
		return err
	}
	qt := quoteCatalogName(a.d, schema) + "." + quoteCatalogName(a.d, table)
	if !s.enabled {
		base := a.d.Quote(crm.MustIdent(basePolicyName))
		if !s.ourBase {
			p.add(stepOther, false, "CREATE POLICY %s ON %s AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true)", base, qt)
			p.add(stepOther, false, "COMMENT ON POLICY %s ON %s IS %s", base, qt, mustLiteral(basePolicyComment))
		}
		p.add(stepOther, false, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY", qt)
	}
	p.granted++
	p.add(stepOther, false, "CREATE POLICY %s ON %s AS RESTRICTIVE FOR ALL TO %s USING (%s) WITH CHECK (%s)", qname, qt, a.role, pol.expr, pol.expr)
	p.add(stepOther, false, "COMMENT ON POLICY %s ON %s IS %s", qname, qt, mustLiteral(pol.comment))
	return nil
}

// planMembers grants the role to the active members, revokes it from everyone else, and
// keeps the logins this AccessRole owns: created when missing, password as in the spec,
// LOGIN only while declared, active and in good standing; every other owned login —
// removed from the spec, expired, without its Secret — is NOLOGIN, whatever other roles it
// holds, and its sessions are ended after the commit.
func (a *pgAccess) planMembers(ctx context.Context, p *pgPlan, r pgRole) error {
	var current []string
	var err error
	if r.exists {
		current, err = queryStrings(ctx, a.tx, `
SELECT DISTINCT u.rolname FROM pg_catalog.pg_auth_members am
JOIN pg_catalog.pg_roles u ON u.oid = am.member
WHERE am.roleid = $1 AND u.rolname <> current_user ORDER BY 1`, r.oid)
		if err != nil {
			return fmt.Errorf("while reading the members of role %s: %w", a.spec.Role, err)
		}
	}
	users, err := a.readUsers(ctx, r)
	if err != nil {
		return err
	}
	owned, err := ownedLogins(ctx, a.tx, a.key, a.spec.Owner)
	if err != nil {
		return err
	}
	isMember := map[string]bool{}
	for _, u := range current {
		isMember[u] = true
	}
	want := map[string]bool{}
	mayLogIn := map[string]bool{}
	var afterRevoke []pgStep
	for _, mb := range a.spec.Members {
		d := a.planMember(p, mb, users[mb.User])
		want[mb.User] = d.holds
		mayLogIn[mb.User] = d.mayLogIn
		afterRevoke = append(afterRevoke, d.steps...)
		o := MemberOutcome{Problem: d.problem}
		u := users[mb.User]
		// What the catalog shows: a member holds the role when it is a member and, for a
		// login the operator manages, can log in.
		o.Holds = d.holds && isMember[mb.User] && (!mb.ManageLogin || u.login)
		p.outcomes[mb.User] = o
	}
	for _, u := range current {
		if !want[u] {
			p.removed++
			p.extraMembers = append(p.extraMembers, u)
			p.add(stepRevoke, false, "REVOKE %s FROM %s", a.role, quoteCatalogName(a.d, u))
		}
	}
	for _, mb := range a.spec.Members {
		if want[mb.User] && !isMember[mb.User] {
			p.added++
			p.missing = append(p.missing, mb.User)
			p.add(stepGrant, false, "GRANT %s TO %s", a.role, a.d.Quote(crm.MustIdent(mb.User)))
		}
	}
	p.steps = append(p.steps, afterRevoke...)
	for _, l := range owned {
		if l.super && !mayLogIn[l.name] {
			p.unlockable = append(p.unlockable, l.name)
		}
		if mayLogIn[l.name] || l.super {
			continue
		}
		p.mustNotLogIn = append(p.mustNotLogIn, l.name)
		if l.login {
			p.locked = append(p.locked, l.name)
			p.revoked++
			p.add(stepOther, false, "ALTER ROLE %s NOLOGIN", a.d.Quote(crm.MustIdent(l.name)))
		}
	}
	return nil
}

// pgMemberDecision is what a pass does for one declared member.
type pgMemberDecision struct {
	holds    bool // the member should hold the role
	mayLogIn bool // an owned login that keeps (or gets) LOGIN
	problem  string
	steps    []pgStep // run after the memberships changed
}

// planMember decides for one declared member.
func (a *pgAccess) planMember(p *pgPlan, mb Member, u pgUser) pgMemberDecision {
	user := a.d.Quote(crm.MustIdent(mb.User))
	problem := func(pr string) pgMemberDecision {
		if !mb.Active {
			return pgMemberDecision{}
		}
		return pgMemberDecision{problem: pr}
	}
	if !mb.ManageLogin {
		switch {
		case !u.exists:
			return problem(MemberUserMissing)
		case u.privileged():
			return problem(MemberUserPrivileged)
		case !u.login:
			// A group role: every member of it would inherit the role. (Also a login the
			// operator locked, for example because its Secret left the spec.)
			return problem(MemberUserNotLogin)
		}
		return pgMemberDecision{holds: mb.Active}
	}
	var d pgMemberDecision
	switch {
	case !u.exists && !mb.Active:
		return d
	case !u.exists && mb.Password == "":
		// No login without a password is ever created: the caller sends it again.
		return problem(MemberPasswordUnavailable)
	case !u.exists:
		verifier := a.verifier(p, mb, u)
		if verifier == "" {
			// Withheld (the server would log it): nothing is created.
			return problem(MemberPasswordWithheld)
		}
		d.steps = append(d.steps, pgStep{kind: stepOther, secret: true, sql: fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", user, verifier)})
		d.steps = append(d.steps, markRoleStep(markerKindLogin, mb.User))
		// The membership is granted after the role exists: move the grant after it.
		p.steps = append(p.steps, d.steps...)
		return pgMemberDecision{holds: true, mayLogIn: true}
	case u.marker.owner != "" && u.marker.owner != a.spec.Owner:
		return problem(MemberUserOwnedElsewhere)
	case u.privileged():
		return problem(MemberUserPrivileged)
	case u.marker.owner == a.spec.Owner:
	case u.marker.legacyLogin && u.memberOfThis && u.otherRoles == 0:
		// A login of an older version that only this AccessRole's role was granted to:
		// it was created for this AccessRole. It is marked as its own.
		d.steps = append(d.steps, markRoleStep(markerKindLogin, mb.User))
	case u.marker.claimed != "":
		// A login marker whose MAC does not verify (forged, or copied from another login).
		return problem(MemberMarkerNotVerified)
	default:
		return problem(MemberUserNotManaged)
	}
	if !mb.Active {
		if len(d.steps) > 0 && u.login {
			// A legacy login adopted while its member is inactive: locked now (it was
			// not in the list of owned logins read before its marker was written).
			p.locked = append(p.locked, mb.User)
			p.mustNotLogIn = append(p.mustNotLogIn, mb.User)
			p.revoked++
			d.steps = append(d.steps, pgStep{kind: stepOther, sql: fmt.Sprintf("ALTER ROLE %s NOLOGIN", user)})
		}
		// Owned logins that may not log in are locked in planMembers.
		return pgMemberDecision{steps: d.steps}
	}
	if v := a.verifier(p, mb, u); v != "" {
		d.steps = append(d.steps, pgStep{kind: stepOther, secret: true, sql: fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", user, v)})
	}
	if !u.login {
		d.steps = append(d.steps, pgStep{kind: stepOther, sql: fmt.Sprintf("ALTER ROLE %s LOGIN", user)})
	}
	d.holds, d.mayLogIn = true, true
	return d
}

// verifier returns the verifier to set for a member, or "" when the password is not
// declared, already right (when the operator can read pg_authid to tell), or withheld
// because the server would log it.
func (a *pgAccess) verifier(p *pgPlan, mb Member, u pgUser) string {
	if mb.Password == "" {
		return ""
	}
	if u.verifier.Valid && ScramVerifierMatches(u.verifier.String, mb.Password) {
		return ""
	}
	if !a.quiet {
		p.withheld = append(p.withheld, mb.User)
		return ""
	}
	v, err := NewScramVerifier(mb.Password)
	if err != nil || !validScramVerifier(v) {
		return ""
	}
	return v
}

// readUsers reads the declared members' users: existence, attributes, marker, whether
// they are members of the role and how many other roles they hold, and (when the
// operator may read pg_authid) their password verifier.
func (a *pgAccess) readUsers(ctx context.Context, r pgRole) (_ map[string]pgUser, err error) {
	names := make([]string, 0, len(a.spec.Members))
	for _, mb := range a.spec.Members {
		names = append(names, mb.User)
	}
	out := map[string]pgUser{}
	if len(names) == 0 {
		return out, nil
	}
	var canRead bool
	if err := a.tx.QueryRowContext(ctx, "SELECT pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT')").Scan(&canRead); err != nil {
		return nil, fmt.Errorf("while checking access to pg_authid: %w", err)
	}
	verifier := "NULL::text"
	if canRead {
		verifier = "(SELECT a.rolpassword FROM pg_catalog.pg_authid a WHERE a.oid = u.oid)"
	}
	rows, err := a.tx.QueryContext(ctx, `
SELECT u.rolname, u.oid::int8, u.rolcanlogin, u.rolsuper, u.rolcreatedb, u.rolcreaterole, u.rolreplication, u.rolbypassrls,
       COALESCE(pg_catalog.shobj_description(u.oid, 'pg_authid'), ''),
       EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members am WHERE am.member = u.oid AND am.roleid = $2),
       (SELECT count(*) FROM pg_catalog.pg_auth_members am WHERE am.member = u.oid AND am.roleid <> $2), `+verifier+`
FROM pg_catalog.pg_roles u WHERE u.rolname = ANY ($1)`, names, r.oid)
	if err != nil {
		return nil, fmt.Errorf("while reading the members' users of role %s: %w", a.spec.Role, err)
	}
	defer crm.CloseRows(rows, &err)
	for rows.Next() {
		var name, comment string
		u := pgUser{exists: true}
		if err := rows.Scan(&name, &u.oid, &u.login, &u.super, &u.createDB, &u.createRole, &u.replication, &u.bypass,
			&comment, &u.memberOfThis, &u.otherRoles, &u.verifier); err != nil {
			return nil, err
		}
		u.marker = readMarker(a.key, markerKindLogin, name, u.oid, comment)
		out[name] = u
	}
	return out, nil
}

// execute runs the plan's statements in the transaction. Statements carrying a password
// verifier are only planned when statement logging is off for the transaction.
func (a *pgAccess) execute(ctx context.Context, p *pgPlan) (StatementCounts, error) {
	var counts StatementCounts
	for _, s := range p.steps {
		if s.secret && !a.quiet {
			return counts, errors.New("a password statement was planned while statement logging is on: nothing was sent")
		}
		stmt := s.sql
		if s.markRole != "" {
			var err error
			if stmt, err = a.markSQL(ctx, s); err != nil {
				return counts, err
			}
		}
		if _, err := a.tx.ExecContext(ctx, stmt); err != nil {
			if s.secret {
				// The server's error may quote the statement; it holds a verifier.
				return counts, fmt.Errorf("while setting a password for role %s: %s", a.spec.Role, pgErrorCode(err))
			}
			return counts, fmt.Errorf("while changing the access of role %s: %w", a.spec.Role, describePgError(err))
		}
		switch s.kind {
		case stepGrant:
			counts.Grant++
		case stepRevoke:
			counts.Revoke++
		default:
			counts.Other++
		}
	}
	return counts, nil
}

// pgErrorCode renders only the SQLSTATE and message of a server error.
func pgErrorCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code + " " + pgErr.Message
	}
	return "the statement failed"
}

// quietSettings are the logging settings that would write a statement (with the password
// verifier it carries) to the server log, and the values that keep it out.
var quietSettings = []struct{ name, value string }{
	{"log_statement", "none"},
	{"log_min_duration_statement", "-1"},
	{"log_min_duration_sample", "-1"},
	{"log_transaction_sample_rate", "0"},
	{"log_min_error_statement", "panic"},
}

// silenceLogging turns the statement-logging settings off for the rest of the transaction
// where the operator may (a superuser, or a role granted SET on them on PostgreSQL 15+; a
// savepoint keeps the transaction usable when it may not), then reports whether the
// server would still log the transaction's statements. When it would, no password is
// sent (see verifier).
func (a *pgAccess) silenceLogging(ctx context.Context) (bool, error) {
	for _, st := range quietSettings {
		if _, err := a.tx.ExecContext(ctx, "SAVEPOINT crm_privacy_quiet"); err != nil {
			return false, err
		}
		if _, err := a.tx.ExecContext(ctx, "SET LOCAL "+st.name+" = '"+st.value+"'"); err != nil {
			if _, rerr := a.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT crm_privacy_quiet"); rerr != nil {
				return false, rerr
			}
		}
		if _, err := a.tx.ExecContext(ctx, "RELEASE SAVEPOINT crm_privacy_quiet"); err != nil {
			return false, err
		}
	}
	var quiet bool
	err := a.tx.QueryRowContext(ctx, `
SELECT current_setting('log_statement') = 'none'
   AND current_setting('log_min_duration_statement') = '-1'
   AND COALESCE(current_setting('log_min_duration_sample', true), '-1') = '-1'
   AND COALESCE(current_setting('log_transaction_sample_rate', true), '0')::float8 = 0`).Scan(&quiet)
	return quiet, err
}

// pgDropRole drops a managed role (after Remove revoked everything). A role that
// still owns objects or holds privileges in other databases cannot be dropped: the error
// says which dependencies remain.
func pgDropRole(ctx context.Context, db *crm.Database, spec Spec) error {
	tx, err := db.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	keys, err := db.OperatorKeys()
	if err != nil {
		return err
	}
	a := &pgAccess{db: db, tx: tx, d: crm.PostgresDialect{}, spec: spec, key: keys.MarkerKey()}
	if _, err := tx.ExecContext(ctx, "SELECT pg_catalog.pg_advisory_xact_lock($1)", int64(accessLockKey)); err != nil {
		return err
	}
	r, err := a.readRole(ctx)
	if err != nil {
		return err
	}
	if !r.exists {
		return nil
	}
	if r.marker.owner != spec.Owner {
		return &RoleNotManagedError{Role: spec.Role, Marker: r.marker.claimed}
	}
	if _, err := tx.ExecContext(ctx, "DROP ROLE "+a.d.Quote(crm.MustIdent(spec.Role))); err != nil {
		return fmt.Errorf("while dropping role %s: %w", spec.Role, describePgError(err))
	}
	return tx.Commit()
}

// describePgError adds the server's detail (the list of dependent objects of a role that
// cannot be dropped, for example) to the error message.
func describePgError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Detail != "" {
		return fmt.Errorf("%w (%s)", err, strings.ReplaceAll(pgErr.Detail, "\n", "; "))
	}
	return err
}
