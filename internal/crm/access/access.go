package access

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// This file holds the engine-neutral part of access management (AccessRoles): the desired
// state of one managed role, the result of a pass, the errors, and the two-way diff of
// privileges (see doc.go for the other files).

// Table privileges an AccessRole may declare.
const (
	PrivSelect = "SELECT"
	PrivInsert = "INSERT"
	PrivUpdate = "UPDATE"
	PrivDelete = "DELETE"
)

// columnPrivileges are the privileges that a column list restricts; DELETE always applies
// to whole rows.
var columnPrivileges = map[string]bool{PrivSelect: true, PrivInsert: true, PrivUpdate: true}

// ManagedMarkerPrefix starts the marker the operator records on every database role it
// manages (PostgreSQL: the role's comment; MySQL/MariaDB: a row of
// crm_privacy_access_roles). A role without the marker of its AccessRole is never touched.
// On PostgreSQL the marker also carries a MAC under the operator's marker key (see
// postgres_marker.go), so that nobody who can COMMENT ON ROLE can forge it.
const ManagedMarkerPrefix = "managed by crm-privacy-operator: "

// managedLoginMarker is the comment of the login roles (members' users) the operator
// created before logins had owners. On PostgreSQL it is a legacy marker that is no longer
// trusted on its own (see postgres_marker.go); MySQL/MariaDB still use it.
const managedLoginMarker = "login managed by crm-privacy-operator"

// Spec is the state the operator wants for one managed database role.
type Spec struct {
	// Role is the group role: a PostgreSQL NOLOGIN role, a MySQL/MariaDB role.
	Role string
	// Owner names the AccessRole that manages the role, "namespace/name". It is recorded
	// in the database as the role's marker; a role marked by another owner, or not marked,
	// is refused (RoleNotManagedError).
	Owner string
	// Grants are the table privileges of the role. Nothing else is granted; any other
	// privilege the role holds in the database is revoked.
	Grants []TableGrant
	// RowFilter, when not nil, restricts the rows of the mapping's contacts table the role
	// sees (PostgreSQL row-level security). An empty selector lets every row through.
	RowFilter *crm.Selector
	// Members are the users who should or should not hold the role.
	Members []Member
	// AdoptLegacy lets a pass adopt the group role when it carries the marker the operator
	// wrote before markers were authenticated, naming this Owner (PostgreSQL): the marker
	// is then rewritten with its MAC. Without it such a role is refused
	// (RoleNotManagedError), as anybody who can COMMENT ON ROLE can write that text.
	AdoptLegacy bool
}

// TableGrant is the privileges of the role on one table, view or partitioned table.
type TableGrant struct {
	// Table is the table's name, resolved like every table of the mapping.
	Table string
	// Privileges are among SELECT, INSERT, UPDATE and DELETE.
	Privileges []string
	// Columns, when not empty, restrict SELECT, INSERT and UPDATE to these columns: they
	// are granted as column privileges only, never on the whole table.
	Columns []string
}

// Member is one declared member of the role.
type Member struct {
	// User is the member's login role (PostgreSQL) or account 'user'@'%' (MySQL/MariaDB).
	User string
	// Active says the member holds the role now (designated, instructed, not expired).
	// An inactive member's membership is revoked.
	Active bool
	// ManageLogin says the operator owns the user: it creates it when missing (with the
	// marker), sets its password, and lets it log in only while it holds a role.
	ManageLogin bool
	// Password, when not empty and ManageLogin is set, is the password the user must
	// have. It is hashed here (SCRAM-SHA-256 on PostgreSQL, mysql_native_password on
	// MySQL/MariaDB); the cleartext is never sent to the server.
	Password string
}

// Result is what one pass found and did.
type Result struct {
	// Created is true when the role was created by this pass.
	Created bool
	// Held is the number of privileges (table, column, schema) the role holds after the
	// pass, as declared.
	Held int
	// Granted and Revoked count the privileges granted and revoked by this pass, including
	// role attributes and memberships of the role in other roles (drift).
	Granted, Revoked int
	// MembersAdded and MembersRemoved count the memberships granted and revoked.
	MembersAdded, MembersRemoved int
	// Members gives, for each declared member, whether it holds the role after the pass.
	Members map[string]MemberOutcome
	// Unsupported says which part of the spec the engine cannot apply (a row filter on
	// MySQL/MariaDB); that part was not applied.
	Unsupported string
	// Remaining lists the privileges and memberships that are still not as declared after
	// the pass (for example a privilege granted by another user, which only that user or
	// a superuser can revoke). Empty when the role is in sync.
	Remaining []string
	// Statements counts what the pass sent to the server.
	Statements StatementCounts
	// Refused lists the declared grants the pass refused to apply because they would
	// undo the row filter (a view that reads the filtered table with its owner's rights);
	// they are not granted, and revoked when held. See ViewBypassesRowFilter.
	Refused []RefusedGrant
	// LoginsLocked counts the logins owned by the AccessRole that this pass set to
	// NOLOGIN (PostgreSQL) or ACCOUNT LOCK (MySQL/MariaDB).
	LoginsLocked int
	// SessionsEnded counts the open sessions of locked logins the pass ended.
	SessionsEnded int
	// PasswordsWithheld lists the members whose password was not sent because the server
	// would have written it (its verifier) to its statement log; see docs/accessrole.md.
	PasswordsWithheld []string
}

// RefusedGrant is a declared grant a pass did not apply, and why.
type RefusedGrant struct {
	// Table is the declared table or view.
	Table string
	// Reason is why: ViewBypassesRowFilter.
	Reason string
	// Message explains it in a sentence (names of objects only).
	Message string
}

// ViewBypassesRowFilter is the Reason of a refused grant on a view (or materialized view)
// that reads the row-filtered contacts table, directly or through other views, with the
// rights of its owner rather than of its reader: a SELECT on it would return every row.
const ViewBypassesRowFilter = "ViewBypassesRowFilter"

// MemberOutcome is the state of one declared member after a pass.
type MemberOutcome struct {
	// Holds is true when the member holds the role.
	Holds bool
	// Problem says why an active member could not be given the role: one of the Member*
	// constants below. Both engines use the same names for the same causes.
	Problem string
}

// Problems of members that are active but could not be given the role.
const (
	// MemberUserMissing: the member's user does not exist and the operator does not
	// manage it (no password Secret).
	MemberUserMissing = "UserNotFound"
	// MemberUserNotManaged: the spec asks the operator to manage the user's login, but the
	// user exists and was not created by the operator (or carries an unauthenticated,
	// legacy marker); it is not touched.
	MemberUserNotManaged = "UserNotManaged"
	// MemberUserOwnedElsewhere: the user is a login the operator created for another
	// AccessRole; only that AccessRole may change its password or LOGIN, and it is not
	// given this role.
	MemberUserOwnedElsewhere = "UserOwnedElsewhere"
	// MemberUserNotLogin: the member has no password Secret and its user is not a login
	// role (a NOLOGIN group role): granting the role to it would hand the privileges to
	// every member of that group. It is not given the role.
	MemberUserNotLogin = "UserNotLogin"
	// MemberUserPrivileged: the member's user holds administrative attributes (superuser,
	// CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS): the operator does not give it roles
	// or manage its login.
	MemberUserPrivileged = "UserPrivileged"
	// MemberMarkerNotVerified: a marker names the member's login as the operator's, but
	// its MAC does not verify under the operator's key (written by someone else, copied
	// from another login, or altered): the login is left alone and not given the role.
	MemberMarkerNotVerified = "MarkerNotVerified"
	// MemberPasswordUnavailable: the login must be created, but the pass was given no
	// password for it (the controller sends a password only when its Secret changed, and
	// must send it again): no login without a password is ever created.
	MemberPasswordUnavailable = "PasswordUnavailable"
	// MemberPasswordWithheld: the login must be created, but the server would write the
	// password's verifier to a log (statement log, general query log, binary log) that the
	// operator may not switch off for its own session: nothing is created. An existing
	// login whose password could not be changed for the same reason keeps its old one and
	// is listed in Result.PasswordsWithheld instead.
	MemberPasswordWithheld = "PasswordWithheld"
)

// PasswordNotSent reports whether a pass did not set the member's password it was given
// (or needed): the member is in PasswordsWithheld, or its problem is
// MemberPasswordWithheld or MemberPasswordUnavailable. The caller must send the password
// again at the next pass rather than take it as set.
func (r Result) PasswordNotSent(user string) bool {
	for _, u := range r.PasswordsWithheld {
		if u == user {
			return true
		}
	}
	switch r.Members[user].Problem {
	case MemberPasswordWithheld, MemberPasswordUnavailable:
		return true
	}
	return false
}

// MarkerNotVerifiedError is returned for a group role whose marker names an AccessRole but
// does not verify under the operator's key (the marker was written by someone else, or
// altered): the role is left alone.
type MarkerNotVerifiedError struct {
	// Kind is "role" or "login".
	Kind string
	// Name is the role or login the marker names.
	Name string
}

func (e *MarkerNotVerifiedError) Error() string {
	return fmt.Sprintf("the marker of %s %s does not verify under the operator's key (written by someone else, or altered): the %s is left alone, see docs/accessrole.md#which-roles-the-operator-touches",
		e.Kind, e.Name, e.Kind)
}

// StatementCounts counts the statements a pass sent, by kind.
type StatementCounts struct {
	// Grant counts GRANT statements (privileges and memberships).
	Grant int
	// Revoke counts REVOKE statements.
	Revoke int
	// Other counts every other changing statement (CREATE/ALTER/DROP ROLE, policies…).
	Other int
}

// Changes is the total of changing statements.
func (s StatementCounts) Changes() int { return s.Grant + s.Revoke + s.Other }

// InSync reports whether the role matched its spec after the pass.
func (r Result) InSync() bool { return len(r.Remaining) == 0 }

// SpecError is a spec the operator cannot apply as it is (a missing table or column,
// a row filter naming an unmapped field). Nothing was changed.
type SpecError struct{ Message string }

func (e *SpecError) Error() string { return e.Message }

// RoleNotManagedError is returned for a role that exists in the database without the
// marker of the AccessRole that declares it: the operator never adopts or changes it.
type RoleNotManagedError struct {
	Role string
	// Marker is the marker found ("" when none), without its MAC.
	Marker string
	// Legacy is true when the marker names this AccessRole but has no MAC (written by an
	// older operator, or forged): it is only adopted with Spec.AdoptLegacy.
	Legacy bool
	// Privileged is true when the role holds administrative attributes.
	Privileged bool
}

func (e *RoleNotManagedError) Error() string {
	if e.Legacy {
		return fmt.Sprintf("role %s carries an unauthenticated marker written before markers had a MAC: it is left alone (to adopt it, see docs/accessrole.md)", e.Role)
	}
	if e.Privileged {
		return fmt.Sprintf("role %s holds administrative attributes (superuser, CREATEROLE, REPLICATION or BYPASSRLS): the operator never manages it", e.Role)
	}
	if e.Marker == "" {
		return fmt.Sprintf("role %s already exists and is not managed by the operator: it is left alone (mark it to adopt it, see docs/accessrole.md)", e.Role)
	}
	return fmt.Sprintf("role %s is managed by another object (%s): it is left alone", e.Role, strings.TrimPrefix(e.Marker, ManagedMarkerPrefix))
}

// UnsupportedError says that the engine cannot manage access at all (SQLite).
type UnsupportedError struct {
	Engine crm.Engine
	What   string
}

func (e *UnsupportedError) Error() string { return fmt.Sprintf("%s: %s", e.Engine, e.What) }

// ErrRoleNotFound is wrapped by Remove when the role does not exist (nothing to do).
var ErrRoleNotFound = errors.New("role not found")

// Apply makes the database match spec both ways: it creates the role if missing,
// grants the missing privileges and memberships, revokes the extra ones (also those
// granted out of band), and keeps the row filter's policy. On PostgreSQL all of it is one
// transaction; on MySQL/MariaDB grants commit one by one (the engine's DDL autocommits)
// and a failed pass is completed by the next one.
func Apply(ctx context.Context, db *crm.Database, m crm.Mapping, spec Spec) (Result, error) {
	res, err := applyOnEngine(ctx, db, m, spec, false)
	return res, db.Scrub(err)
}

// applyOnEngine validates spec and runs one pass of the engine's access code: applying
// spec, or (removing) stripping the role of everything spec no longer declares.
func applyOnEngine(ctx context.Context, db *crm.Database, m crm.Mapping, spec Spec, removing bool) (Result, error) {
	if err := spec.validate(); err != nil {
		return Result{}, err
	}
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	switch db.Engine() {
	case crm.EnginePostgres:
		return pgApplyAccess(ctx, db, m, spec, removing)
	case crm.EngineMySQL:
		return myApplyAccess(ctx, db, m, spec, removing)
	default:
		return Result{}, &UnsupportedError{Engine: db.Engine(), What: "SQLite has no users, roles or privileges: AccessRoles cannot be enforced"}
	}
}

// Remove undoes an AccessRole: it revokes every privilege and membership of the
// role, drops its row filter policy, locks the logins the AccessRole owns (NOLOGIN,
// ACCOUNT LOCK) and ends their sessions, and, when drop is true, drops the role. Members of the spec are
// only used to know which users the operator manages. The error wraps ErrRoleNotFound when
// the role does not exist.
func Remove(ctx context.Context, db *crm.Database, m crm.Mapping, spec Spec, drop bool) (Result, error) {
	spec.Grants, spec.RowFilter = nil, nil
	members := make([]Member, len(spec.Members))
	for i, mb := range spec.Members {
		members[i] = Member{User: mb.User, ManageLogin: mb.ManageLogin}
	}
	spec.Members = members
	res, err := applyOnEngine(ctx, db, m, spec, true)
	if err != nil || !drop {
		return res, db.Scrub(err)
	}
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	switch db.Engine() {
	case crm.EnginePostgres:
		err = pgDropRole(ctx, db, spec)
	case crm.EngineMySQL:
		err = myDropRole(ctx, db, spec)
	}
	if err == nil {
		res.Statements.Other++
	}
	return res, db.Scrub(err)
}

// reservedRoleNames are names no AccessRole may use for its role or a member's user, on
// any engine (compared in lower case): PostgreSQL's PUBLIC pseudo-role, bootstrap
// superuser and special role specifications, MySQL/MariaDB's root account and PUBLIC role.
// Names starting with pg_ (PostgreSQL's predefined roles), crm_privacy_ (the operator's
// objects) and the MySQL/MariaDB system accounts (mysql.*, mariadb.sys: already refused by
// the identifier syntax) are refused too. The API server's schema refuses the same names.
var reservedRoleNames = map[string]bool{
	"public": true, "postgres": true, "root": true, "none": true,
	"current_user": true, "session_user": true, "current_role": true,
}

// reservedRoleName says why name may not be used as a role or user, or "".
func reservedRoleName(name string) string {
	lower := strings.ToLower(name)
	switch {
	case reservedRoleNames[lower]:
		return fmt.Sprintf("%q is a reserved role or account name (PostgreSQL or MySQL/MariaDB)", name)
	case strings.HasPrefix(lower, "pg_"):
		return fmt.Sprintf("%q: names starting with pg_ are reserved for PostgreSQL's predefined roles", name)
	case strings.HasPrefix(lower, crm.OperatorObjectPrefix):
		return fmt.Sprintf("%q: names starting with %s are reserved for the operator's own objects", name, crm.OperatorObjectPrefix)
	case strings.HasPrefix(lower, "mysql.") || lower == "mariadb.sys":
		return fmt.Sprintf("%q is a MySQL/MariaDB system account", name)
	}
	return ""
}

// LockResult is what LockOwnedLogins did.
type LockResult struct {
	// Locked counts the logins set to NOLOGIN (PostgreSQL) or ACCOUNT LOCK (MySQL/MariaDB)
	// by this call.
	Locked int
	// Owned counts the logins the AccessRole owns on the server.
	Owned int
	// SessionsEnded counts the open sessions ended.
	SessionsEnded int
	// Remaining says what could not be done (sessions the operator may not end).
	Remaining []string
}

// LockOwnedLogins sets every login the AccessRole owner created (its authenticated
// marker names owner) to NOLOGIN (PostgreSQL) or ACCOUNT LOCK (MySQL/MariaDB) and ends
// their open sessions, leaving the role, its
// privileges and memberships as they are. It is what skip-cleanup still does: an
// AccessRole let go without cleanup never leaves a working login behind.
func LockOwnedLogins(ctx context.Context, db *crm.Database, owner string) (LockResult, error) {
	if owner == "" || strings.ContainsAny(owner, "'\\\x00\n") {
		return LockResult{}, &SpecError{Message: "the owner of the logins must be namespace/name"}
	}
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	switch db.Engine() {
	case crm.EnginePostgres:
		res, err := pgLockOwnedLogins(ctx, db, owner)
		return res, db.Scrub(err)
	case crm.EngineMySQL:
		res, err := myLockOwnedLogins(ctx, db, owner)
		return res, db.Scrub(err)
	}
	return LockResult{}, &UnsupportedError{Engine: db.Engine(), What: "SQLite has no logins"}
}

// validate checks the names and privileges of a spec before anything is sent.
func (s Spec) validate() error {
	if _, err := crm.ParseIdent(s.Role); err != nil {
		return &SpecError{Message: "role name: " + err.Error()}
	}
	if why := reservedRoleName(s.Role); why != "" {
		return &SpecError{Message: "roleName: " + why}
	}
	if s.Owner == "" || strings.ContainsAny(s.Owner, "'\\\x00\n") {
		return &SpecError{Message: "the owner of the role must be namespace/name"}
	}
	for i, g := range s.Grants {
		if err := g.validate(); err != nil {
			return &SpecError{Message: fmt.Sprintf("grants[%d]: %v", i, err)}
		}
	}
	seen := map[string]bool{}
	for i, mb := range s.Members {
		if _, err := crm.ParseIdent(mb.User); err != nil {
			return &SpecError{Message: fmt.Sprintf("members[%d]: %v", i, err)}
		}
		if why := reservedRoleName(mb.User); why != "" {
			return &SpecError{Message: fmt.Sprintf("members[%d].user: %s", i, why)}
		}
		if mb.User == s.Role {
			return &SpecError{Message: fmt.Sprintf("members[%d]: the role cannot be a member of itself", i)}
		}
		if seen[mb.User] {
			return &SpecError{Message: fmt.Sprintf("members[%d]: user %s is listed twice", i, mb.User)}
		}
		seen[mb.User] = true
	}
	return nil
}

func (g TableGrant) validate() error {
	if _, err := crm.ParseIdent(g.Table); err != nil {
		return err
	}
	if strings.HasPrefix(strings.ToLower(g.Table), crm.OperatorObjectPrefix) {
		return fmt.Errorf("table %s: names starting with %s are the operator's own objects (ledger, checkpoints, markers): no AccessRole may be granted privileges on them", g.Table, crm.OperatorObjectPrefix)
	}
	if len(g.Privileges) == 0 {
		return fmt.Errorf("table %s: no privilege", g.Table)
	}
	for _, p := range g.Privileges {
		switch p {
		case PrivSelect, PrivInsert, PrivUpdate, PrivDelete:
		default:
			return fmt.Errorf("table %s: unknown privilege %q: use SELECT, INSERT, UPDATE or DELETE", g.Table, p)
		}
	}
	for _, c := range g.Columns {
		if _, err := crm.ParseIdent(c); err != nil {
			return fmt.Errorf("table %s: %w", g.Table, err)
		}
	}
	return nil
}

// ownerMarker is the marker of the roles an owner manages.
func ownerMarker(owner string) string { return ManagedMarkerPrefix + owner }

// Kinds of objects a privilege is on.
const (
	objDatabase = "database"
	objSchema   = "schema"
	objTable    = "table"
	objColumn   = "column"
)

// grantKey is one privilege of a role on one object, with names as the catalog holds
// them. Schema is the PostgreSQL schema or the MySQL database.
type grantKey struct {
	Kind, Schema, Table, Column, Privilege string
}

func (k grantKey) String() string {
	switch k.Kind {
	case "global":
		return k.Privilege + " on every database (global)"
	case objDatabase:
		return k.Privilege + " on the database"
	case objSchema:
		return k.Privilege + " on schema " + k.Schema
	case objColumn:
		return fmt.Sprintf("%s (%s) on %s", k.Privilege, k.Column, k.Table)
	}
	return k.Privilege + " on " + k.Table
}

// tableOf is the key of the table-level privilege of the same table and kind.
func (k grantKey) tableOf() grantKey {
	return grantKey{Kind: objTable, Schema: k.Schema, Table: k.Table, Privilege: k.Privilege}
}

// grantDiff is what a pass changes in privileges.
type grantDiff struct {
	grant, revoke []grantKey
}

// diffGrants compares the privileges wanted with the ones held. When clears is true
// (PostgreSQL and MariaDB), revoking a table-level privilege also revokes that privilege on
// every column of the table, so wanted column privileges of that kind are granted again
// after.
func diffGrants(want, have []grantKey, clears bool) grantDiff {
	wantSet := make(map[grantKey]bool, len(want))
	for _, k := range want {
		wantSet[k] = true
	}
	haveSet := make(map[grantKey]bool, len(have))
	for _, k := range have {
		haveSet[k] = true
	}
	var d grantDiff
	clearedTables := map[grantKey]bool{}
	for _, k := range have {
		if !wantSet[k] {
			d.revoke = append(d.revoke, k)
			if k.Kind == objTable {
				clearedTables[k] = true
			}
		}
	}
	for _, k := range want {
		cleared := clears && k.Kind == objColumn && clearedTables[k.tableOf()]
		if !haveSet[k] || cleared {
			d.grant = append(d.grant, k)
		}
	}
	sortKeys(d.grant)
	sortKeys(d.revoke)
	return d
}

func sortKeys(keys []grantKey) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Schema != b.Schema {
			return a.Schema < b.Schema
		}
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Privilege < b.Privilege
	})
}

// grantGroup is the privileges of one statement: one object (a table, a schema, the
// database), table-level privileges and column privileges together.
type grantGroup struct {
	kind, schema, table string
	privileges          []string            // table-, schema- or database-level
	columns             map[string][]string // privilege → columns
}

// groupGrants groups keys by object, so that a table's privileges go in one statement.
func groupGrants(keys []grantKey) []*grantGroup {
	var out []*grantGroup
	index := map[[3]string]*grantGroup{}
	for _, k := range keys {
		kind := k.Kind
		if kind == objColumn {
			kind = objTable
		}
		id := [3]string{kind, k.Schema, k.Table}
		g, ok := index[id]
		if !ok {
			g = &grantGroup{kind: kind, schema: k.Schema, table: k.Table, columns: map[string][]string{}}
			index[id] = g
			out = append(out, g)
		}
		if k.Kind == objColumn {
			g.columns[k.Privilege] = append(g.columns[k.Privilege], k.Column)
		} else {
			g.privileges = append(g.privileges, k.Privilege)
		}
	}
	return out
}

// privilegeList renders "SELECT, INSERT, SELECT (a, b)" for a group, quoting columns.
func (g *grantGroup) privilegeList(d crm.Dialect) (string, error) {
	parts := append([]string(nil), g.privileges...)
	privs := make([]string, 0, len(g.columns))
	for p := range g.columns {
		privs = append(privs, p)
	}
	sort.Strings(privs)
	for _, p := range privs {
		cols, err := crm.QuoteAll(d, g.columns[p]...)
		if err != nil {
			return "", err
		}
		parts = append(parts, p+" ("+strings.Join(cols, ", ")+")")
	}
	return strings.Join(parts, ", "), nil
}

// tableGrants resolves the grants of a spec, once every table and column is known by
// its catalog name, into privilege keys: table-level privileges, or column privileges for
// SELECT, INSERT and UPDATE when columns are listed (never a table-level grant that would
// undercut them).
func tableGrants(grants []resolvedGrant) []grantKey {
	seen := map[grantKey]bool{}
	var out []grantKey
	add := func(k grantKey) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, g := range grants {
		for _, p := range g.privileges {
			if len(g.columns) > 0 && columnPrivileges[p] {
				for _, c := range g.columns {
					add(grantKey{Kind: objColumn, Schema: g.schema, Table: g.table, Column: c, Privilege: p})
				}
				continue
			}
			add(grantKey{Kind: objTable, Schema: g.schema, Table: g.table, Privilege: p})
		}
	}
	return out
}

// resolvedGrant is a TableGrant whose table and columns were found in the catalog.
type resolvedGrant struct {
	schema, table string
	privileges    []string
	columns       []string
}

// resolveGrant finds a grant's table and columns through DescribeTable, returning an
// SpecError naming what is missing.
func resolveGrant(ctx context.Context, d crm.Dialect, q crm.Querier, schemaOf func(context.Context, string) (string, error), g TableGrant) (resolvedGrant, error) {
	t, err := d.DescribeTable(ctx, q, g.Table)
	if errors.Is(err, crm.ErrTableNotFound) {
		return resolvedGrant{}, &SpecError{Message: fmt.Sprintf("table %s does not exist: nothing is granted until it does or the grant is removed", g.Table)}
	}
	if err != nil {
		return resolvedGrant{}, fmt.Errorf("while describing table %s: %w", g.Table, err)
	}
	schema, err := schemaOf(ctx, t.Name)
	if err != nil {
		return resolvedGrant{}, fmt.Errorf("while finding the schema of table %s: %w", g.Table, err)
	}
	rg := resolvedGrant{schema: schema, table: t.Name, privileges: g.Privileges}
	for _, c := range g.Columns {
		col, ok := t.Column(d, c)
		if !ok {
			return resolvedGrant{}, &SpecError{Message: fmt.Sprintf("column %s of table %s does not exist: nothing is granted until it does or the column is removed", c, g.Table)}
		}
		rg.columns = append(rg.columns, col.Name)
	}
	return rg, nil
}

// describeRemaining renders what a pass could not bring in line.
func describeRemaining(d grantDiff, extraMembers, missingMembers []string) []string {
	var out []string
	for _, k := range d.revoke {
		out = append(out, "extra "+k.String())
	}
	for _, k := range d.grant {
		out = append(out, "missing "+k.String())
	}
	for _, u := range extraMembers {
		out = append(out, "extra member "+u)
	}
	for _, u := range missingMembers {
		out = append(out, "missing member "+u)
	}
	return out
}
