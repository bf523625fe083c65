package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// MySQL/MariaDB access management. Roles are MariaDB 10.0.5+ / MySQL 8 roles; members are
// accounts 'user'@'%'. The privileges held are read from information_schema
// (USER_PRIVILEGES, SCHEMA_PRIVILEGES, TABLE_PRIVILEGES, COLUMN_PRIVILEGES) for this
// database, memberships from mysql.roles_mapping (MariaDB) or mysql.role_edges (MySQL).
//
// GRANT, REVOKE and CREATE ROLE commit on their own in MySQL: a pass cannot be one
// transaction. The statements run one by one under a named lock (GET_LOCK), revokes
// before grants; a pass that fails half-way leaves the role partly updated and the next
// pass (the controller retries with backoff) completes it.
//
// MySQL/MariaDB have no comment on roles: the operator keeps its markers in a table of its
// own database (mysql_marker.go). A role that exists without a verified marker naming
// its AccessRole is never touched; neither is a login without a verified marker naming the
// AccessRole that declares it (mysql_login.go for how logins are created and locked).

// myAccessLock is the name of the GET_LOCK lock that serialises access passes.
const myAccessLock = "crm-privacy-operator/access"

// myAccess is one pass over one role on MySQL/MariaDB.
type myAccess struct {
	db      *crm.Database
	conn    *sql.Conn
	d       crm.MySQLDialect
	m       crm.Mapping
	spec    Spec
	remove  bool
	mariadb bool
	role    string // quoted
	grantee string // as information_schema writes it
	schema  string // DATABASE()
	counts  StatementCounts
	keys    crm.OperatorKeys

	ed25519 *bool // the ed25519 plugin is active (read once)
	kill    *bool // the operator's account may end other sessions (read once)
	// discard is set when the connection must not go back to the pool (a session
	// variable could not be restored).
	discard bool
	// defaultRoleDenied is set when SET DEFAULT ROLE … FOR was refused.
	defaultRoleDenied bool
	// remaining collects what the pass could not do, for Result.Remaining.
	remaining []string
	// withheld are the members whose password was not sent (Result.PasswordsWithheld).
	withheld []string
	// locked counts the logins locked, ended the sessions ended.
	locked, ended int
}

func myApplyAccess(ctx context.Context, db *crm.Database, m crm.Mapping, spec Spec, remove bool) (res Result, err error) {
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("while getting a connection: %w", err)
	}
	defer func() { _ = conn.Close() }()
	a, err := newMyAccess(ctx, db, conn, m, spec, remove)
	if err != nil {
		return res, err
	}
	defer func() {
		if a.discard {
			discardConn(conn)
		}
	}()
	unlock, err := a.lock(ctx)
	if err != nil {
		return res, err
	}
	defer unlock()
	if spec.RowFilter != nil && !remove {
		res.Unsupported = fmt.Sprintf("row filters need row-level security, which %s does not have: nothing is granted on the contacts table %s until the filter is removed",
			a.engineName(), m.Contacts.Table)
	}
	res.Members = map[string]MemberOutcome{}
	created, err := a.ensureRole(ctx)
	if err != nil {
		return res, err
	}
	res.Created = created
	if err := a.syncGrants(ctx, &res); err != nil {
		return res, err
	}
	if err := a.syncMembers(ctx, &res); err != nil {
		return res, err
	}
	if err := a.verify(ctx, &res); err != nil {
		return res, err
	}
	res.Statements = a.counts
	res.PasswordsWithheld = a.withheld
	res.LoginsLocked, res.SessionsEnded = a.locked, a.ended
	return res, nil
}

func newMyAccess(ctx context.Context, db *crm.Database, conn *sql.Conn, m crm.Mapping, spec Spec, remove bool) (*myAccess, error) {
	keys, err := db.OperatorKeys()
	if err != nil {
		return nil, err
	}
	a := &myAccess{db: db, conn: conn, m: m, spec: spec, remove: remove, keys: keys, role: crm.MySQLDialect{}.Quote(crm.MustIdent(spec.Role))}
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION(), COALESCE(DATABASE(), '')").Scan(&version, &a.schema); err != nil {
		return nil, fmt.Errorf("while reading the server version: %w", err)
	}
	if a.schema == "" {
		return nil, fmt.Errorf("the connection has no current database")
	}
	a.mariadb = strings.Contains(strings.ToLower(version), "mariadb")
	if a.mariadb {
		a.grantee = "'" + spec.Role + "'@''"
	} else {
		a.grantee = "'" + spec.Role + "'@'%'"
	}
	if strings.EqualFold(a.schema, crm.OperatorSchema) {
		return nil, &SpecError{Message: fmt.Sprintf("the CRM database may not be the operator's own database %s", crm.OperatorSchema)}
	}
	if err := a.ensureMarkerTable(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *myAccess) engineName() string {
	if a.mariadb {
		return "MariaDB"
	}
	return "MySQL"
}

// lock takes the named lock that serialises access passes on the server.
func (a *myAccess) lock(ctx context.Context) (func(), error) {
	var got sql.NullInt64
	if err := a.conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 30)", myAccessLock).Scan(&got); err != nil {
		return nil, fmt.Errorf("while taking the access lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return nil, fmt.Errorf("the access lock is held by another pass: try again")
	}
	return func() { _, _ = a.conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", myAccessLock) }, nil
}

// exec runs one changing statement and counts it.
func (a *myAccess) exec(ctx context.Context, kind stepKind, query string, args ...any) error {
	if _, err := a.conn.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("while changing the access of role %s: %w", a.spec.Role, err)
	}
	switch kind {
	case stepGrant:
		a.counts.Grant++
	case stepRevoke:
		a.counts.Revoke++
	default:
		a.counts.Other++
	}
	return nil
}

// roleExists reports whether the role exists on the server.
func (a *myAccess) roleExists(ctx context.Context) (bool, error) {
	query := "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = '' AND is_role = 'Y'"
	if !a.mariadb {
		query = "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = '%'"
	}
	var n int
	if err := a.conn.QueryRowContext(ctx, query, a.spec.Role).Scan(&n); err != nil {
		return false, fmt.Errorf("while looking for role %s: %w", a.spec.Role, err)
	}
	return n > 0, nil
}

// ensureRole checks the role's marker and creates the role when it is missing. The marker
// is recorded only once CREATE ROLE succeeded: a role someone else created meanwhile makes
// CREATE ROLE fail, and is never adopted.
func (a *myAccess) ensureRole(ctx context.Context) (bool, error) {
	exists, err := a.roleExists(ctx)
	if err != nil {
		return false, err
	}
	mk, err := a.readMarker(ctx, markerRole, a.spec.Role)
	if err != nil {
		return false, err
	}
	switch {
	case mk.found && !mk.verified:
		return false, &MarkerNotVerifiedError{Kind: markerRole, Name: a.spec.Role}
	case mk.found && mk.owner != a.spec.Owner:
		return false, &RoleNotManagedError{Role: a.spec.Role, Marker: ownerMarker(mk.owner)}
	case exists && !mk.found:
		return false, &RoleNotManagedError{Role: a.spec.Role}
	case exists:
		return false, nil
	case a.remove:
		return false, fmt.Errorf("role %s: %w", a.spec.Role, ErrRoleNotFound)
	}
	if err := a.exec(ctx, stepOther, "CREATE ROLE "+a.role); err != nil {
		if isAccountExists(err) {
			return false, &RoleNotManagedError{Role: a.spec.Role}
		}
		return false, err
	}
	if !mk.found {
		if err := a.insertMarker(ctx, markerRole, a.spec.Role); err != nil {
			return false, err
		}
	}
	return true, nil
}

// wanted resolves the spec's grants in this database; with a row filter, the contacts
// table is left out (no row-level security).
func (a *myAccess) wanted(ctx context.Context) ([]grantKey, error) {
	var resolved []resolvedGrant
	schemaOf := func(context.Context, string) (string, error) { return a.schema, nil }
	for _, g := range a.spec.Grants {
		if a.spec.RowFilter != nil && strings.EqualFold(g.Table, a.m.Contacts.Table) {
			continue
		}
		rg, err := resolveGrant(ctx, a.d, a.conn, schemaOf, g)
		if err != nil {
			return nil, err
		}
		for i, c := range rg.columns {
			rg.columns[i] = strings.ToLower(c)
		}
		resolved = append(resolved, rg)
	}
	return tableGrants(resolved), nil
}

// held reads the role's privileges: global ones, and those on this database, its tables
// and their columns. GRANT OPTION shows as a privilege of its own.
func (a *myAccess) held(ctx context.Context) (keys []grantKey, err error) {
	if keys, err = a.globalGrants(ctx); err != nil {
		return nil, err
	}
	rows, err := a.conn.QueryContext(ctx, `
SELECT 'database', TABLE_SCHEMA, '', '', PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.SCHEMA_PRIVILEGES
 WHERE GRANTEE = ? AND TABLE_SCHEMA = DATABASE()
UNION ALL
SELECT 'table', TABLE_SCHEMA, TABLE_NAME, '', PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.TABLE_PRIVILEGES
 WHERE GRANTEE = ? AND TABLE_SCHEMA = DATABASE()
UNION ALL
SELECT 'column', TABLE_SCHEMA, TABLE_NAME, LOWER(COLUMN_NAME), PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.COLUMN_PRIVILEGES
 WHERE GRANTEE = ? AND TABLE_SCHEMA = DATABASE()`, a.grantee, a.grantee, a.grantee)
	if err != nil {
		return nil, fmt.Errorf("while reading the privileges of role %s: %w", a.spec.Role, err)
	}
	defer crm.CloseRows(rows, &err)
	seen := map[grantKey]bool{}
	for rows.Next() {
		var k grantKey
		var grantable string
		if err := rows.Scan(&k.Kind, &k.Schema, &k.Table, &k.Column, &k.Privilege, &grantable); err != nil {
			return nil, err
		}
		keys = append(keys, k)
		if grantable == "YES" {
			g := grantKey{Kind: k.Kind, Schema: k.Schema, Table: k.Table, Privilege: "GRANT OPTION"}
			if g.Kind == objColumn {
				g.Kind = objTable
			}
			if !seen[g] {
				seen[g] = true
				keys = append(keys, g)
			}
		}
	}
	return keys, nil
}

// globalGrants reads the role's global privileges (ON *.*) from SHOW GRANTS:
// information_schema.USER_PRIVILEGES does not list roles on MariaDB.
func (a *myAccess) globalGrants(ctx context.Context) ([]grantKey, error) {
	lines, err := queryStrings(ctx, a.conn, "SHOW GRANTS FOR "+a.role)
	if err != nil {
		return nil, fmt.Errorf("while reading the global privileges of role %s (SHOW GRANTS FOR another account needs SELECT ON mysql.*): %w", a.spec.Role, err)
	}
	var keys []grantKey
	for _, line := range lines {
		head, _, ok := strings.Cut(line, " ON *.* TO ")
		if !ok || !strings.HasPrefix(head, "GRANT ") {
			continue
		}
		for _, p := range strings.Split(strings.TrimPrefix(head, "GRANT "), ", ") {
			if p != "USAGE" {
				keys = append(keys, grantKey{Kind: "global", Privilege: p})
			}
		}
		if strings.HasSuffix(line, " WITH GRANT OPTION") {
			keys = append(keys, grantKey{Kind: "global", Privilege: "GRANT OPTION"})
		}
	}
	return keys, nil
}

// syncGrants revokes the extra privileges, then grants the missing ones.
func (a *myAccess) syncGrants(ctx context.Context, res *Result) error {
	want, err := a.wanted(ctx)
	if err != nil {
		return err
	}
	have, err := a.held(ctx)
	if err != nil {
		return err
	}
	d := diffGrants(want, have, true)
	for _, g := range groupGrants(d.revoke) {
		obj, list, err := a.target(g)
		if err != nil {
			return err
		}
		if err := a.exec(ctx, stepRevoke, "REVOKE "+list+" ON "+obj+" FROM "+a.role); err != nil {
			return err
		}
	}
	res.Revoked += len(d.revoke)
	for _, g := range groupGrants(d.grant) {
		obj, list, err := a.target(g)
		if err != nil {
			return err
		}
		if err := a.exec(ctx, stepGrant, "GRANT "+list+" ON "+obj+" TO "+a.role); err != nil {
			return err
		}
	}
	res.Granted += len(d.grant)
	for _, k := range want {
		if k.Kind == objTable || k.Kind == objColumn {
			res.Held++
		}
	}
	return nil
}

func (a *myAccess) target(g *grantGroup) (obj, list string, err error) {
	if list, err = g.privilegeList(a.d); err != nil {
		return "", "", err
	}
	switch g.kind {
	case "global":
		return "*.*", list, nil
	case objDatabase:
		return quoteCatalogName(a.d, g.schema) + ".*", list, nil
	}
	return quoteCatalogName(a.d, g.schema) + "." + quoteCatalogName(a.d, g.table), list, nil
}

// myAccount is an account that holds the role.
type myAccount struct{ user, host string }

func (u myAccount) String() string { return u.user + "@" + u.host }

// account renders an account for a statement: `user`@`host`.
func (a *myAccess) account(u myAccount) string {
	return quoteCatalogName(a.d, u.user) + "@" + crm.QuoteWith(u.host, '`')
}

// members reads the accounts (and roles) that hold the role, except the operator's own
// account (MariaDB grants a new role to its creator).
func (a *myAccess) members(ctx context.Context) (out []myAccount, err error) {
	query := `SELECT User, Host FROM mysql.roles_mapping WHERE Role = ?
  AND CONCAT(User, '@', Host) <> CURRENT_USER()`
	if !a.mariadb {
		query = `SELECT TO_USER, TO_HOST FROM mysql.role_edges WHERE FROM_USER = ? AND FROM_HOST = '%'
  AND CONCAT(TO_USER, '@', TO_HOST) <> CURRENT_USER()`
	}
	rows, err := a.conn.QueryContext(ctx, query, a.spec.Role)
	if err != nil {
		return nil, fmt.Errorf("while reading the members of role %s: %w", a.spec.Role, err)
	}
	defer crm.CloseRows(rows, &err)
	for rows.Next() {
		var u myAccount
		if err := rows.Scan(&u.user, &u.host); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// memberOf reads the roles granted to the managed role.
func (a *myAccess) memberOf(ctx context.Context) ([]string, error) {
	query := "SELECT Role FROM mysql.roles_mapping WHERE User = ? AND Host = ''"
	if !a.mariadb {
		query = "SELECT FROM_USER FROM mysql.role_edges WHERE TO_USER = ? AND TO_HOST = '%'"
	}
	return queryStrings(ctx, a.conn, query, a.spec.Role)
}

// myUser is what the server says of a member's account 'user'@'%', and the account's marker.
type myUser struct {
	exists, locked bool
	auth, plugin   string
	defaultRole    string
	marker         myMarker
}

func (a *myAccess) readUser(ctx context.Context, name string) (myUser, error) {
	u := myUser{exists: true}
	var query string
	if a.mariadb {
		query = `SELECT u.authentication_string, u.plugin, u.default_role,
  COALESCE(JSON_VALUE(g.Priv, '$.account_locked'), 'false') IN ('true', '1')
FROM mysql.user u JOIN mysql.global_priv g ON g.User = u.User AND g.Host = u.Host
WHERE u.User = ? AND u.Host = '%'`
	} else {
		query = `SELECT u.authentication_string, u.plugin, '', u.account_locked = 'Y'
FROM mysql.user u WHERE u.User = ? AND u.Host = '%'`
	}
	err := a.conn.QueryRowContext(ctx, query, name).Scan(&u.auth, &u.plugin, &u.defaultRole, &u.locked)
	if errors.Is(err, sql.ErrNoRows) {
		u = myUser{}
	} else if err != nil {
		return myUser{}, fmt.Errorf("while reading user %s: %w", name, err)
	}
	u.marker, err = a.readMarker(ctx, markerLogin, name)
	return u, err
}

// loginProblem says why the operator may not manage a login ("" when it may): its marker
// does not verify, names another AccessRole, or is missing on an existing account.
func (a *myAccess) loginProblem(u myUser) string {
	switch {
	case u.marker.found && !u.marker.verified:
		return MemberMarkerNotVerified
	case u.marker.found && u.marker.owner != a.spec.Owner:
		return MemberUserOwnedElsewhere
	case !u.marker.found && u.exists:
		return MemberUserNotManaged
	}
	return ""
}

// syncMembers revokes the role from undeclared and inactive accounts, grants it to the
// active members, keeps the logins the operator manages for this AccessRole, and locks
// those that are no longer active members.
func (a *myAccess) syncMembers(ctx context.Context, res *Result) error {
	groups, err := a.memberOf(ctx)
	if err != nil {
		return fmt.Errorf("while reading the roles granted to role %s: %w", a.spec.Role, err)
	}
	for _, g := range groups {
		if err := a.exec(ctx, stepRevoke, "REVOKE "+quoteCatalogName(a.d, g)+" FROM "+a.role); err != nil {
			return err
		}
		res.Revoked++
	}
	current, err := a.members(ctx)
	if err != nil {
		return err
	}
	want := map[myAccount]bool{}
	users := map[string]myUser{}
	for _, mb := range a.spec.Members {
		u, err := a.readUser(ctx, mb.User)
		if err != nil {
			return err
		}
		users[mb.User] = u
		holds, outcome := memberDecision(mb, u.exists, u.locked, a.loginProblem(u))
		res.Members[mb.User] = outcome
		if holds {
			want[myAccount{user: mb.User, host: "%"}] = true
		}
	}
	isMember := map[myAccount]bool{}
	for _, u := range current {
		isMember[u] = true
		if want[u] {
			continue
		}
		info, declared := users[u.user]
		if !declared && u.host == "%" {
			if info, err = a.readUser(ctx, u.user); err != nil {
				return err
			}
		}
		if err := a.revokeMember(ctx, u, info); err != nil {
			return err
		}
		res.MembersRemoved++
	}
	for _, mb := range a.spec.Members {
		if err := a.syncMember(ctx, mb, users[mb.User], isMember, want, res); err != nil {
			return err
		}
	}
	return a.lockLogins(ctx)
}

// memberDecision says whether a declared member holds the role, and why not. problem is
// the reason the operator may not manage the member's login ("" when it may). A member
// without a password Secret must be an account that can log in: a locked account (on
// MySQL also what CREATE ROLE makes, a role whose members would all inherit the grant, or a
// login the operator locked) is not given the role.
func memberDecision(mb Member, exists, locked bool, problem string) (bool, MemberOutcome) {
	switch {
	case !mb.Active:
		return false, MemberOutcome{}
	case mb.ManageLogin && problem != "":
		return false, MemberOutcome{Problem: problem}
	case !exists && !mb.ManageLogin:
		return false, MemberOutcome{Problem: MemberUserMissing}
	case !mb.ManageLogin && locked:
		return false, MemberOutcome{Problem: MemberUserNotLogin}
	}
	return true, MemberOutcome{Holds: true}
}

func (a *myAccess) revokeMember(ctx context.Context, u myAccount, info myUser) error {
	if err := a.exec(ctx, stepRevoke, "REVOKE "+a.role+" FROM "+a.account(u)); err != nil {
		return err
	}
	if a.mariadb && u.host == "%" && info.defaultRole == a.spec.Role {
		if err := a.exec(ctx, stepOther, "SET DEFAULT ROLE NONE FOR "+a.account(u)); err != nil {
			if !isAccessDenied(err) {
				return err
			}
			a.remaining = append(a.remaining, fmt.Sprintf("the default role of %s still names the role: SET DEFAULT ROLE … FOR needs %s", u.user, myPrivDefaultRole))
		}
	}
	return nil
}

// syncMember creates or unlocks an active member's login when the operator manages it,
// sets its password, grants the role, and sets the role as the member's default role.
func (a *myAccess) syncMember(ctx context.Context, mb Member, u myUser, isMember, want map[myAccount]bool, res *Result) error {
	acct := myAccount{user: mb.User, host: "%"}
	if !want[acct] {
		return nil
	}
	if mb.ManageLogin {
		created, problem, err := a.syncLogin(ctx, mb, u)
		if err != nil {
			return err
		}
		if problem != "" {
			res.Members[mb.User] = MemberOutcome{Problem: problem}
			return nil
		}
		if created {
			u = myUser{exists: true}
		}
	}
	if !isMember[acct] {
		if err := a.exec(ctx, stepGrant, "GRANT "+a.role+" TO "+a.account(acct)); err != nil {
			return err
		}
		res.MembersAdded++
		if !a.mariadb {
			return a.exec(ctx, stepOther, "SET DEFAULT ROLE ALL TO "+a.account(acct))
		}
	}
	if !a.mariadb || u.defaultRole != "" {
		return nil
	}
	// MariaDB: the member's sessions start with the role only once it is their default
	// role. Another user's default role is changed with UPDATE on the mysql database; when
	// refused, verify reports the member.
	if err := a.exec(ctx, stepOther, "SET DEFAULT ROLE "+a.role+" FOR "+a.account(acct)); err != nil {
		if !isAccessDenied(err) {
			return err
		}
		a.defaultRoleDenied = true
	}
	return nil
}

// syncLogin keeps an active member's login that the operator manages for this AccessRole:
// created when missing (then marked), its password as declared, unlocked. It returns a
// member problem when it may not.
func (a *myAccess) syncLogin(ctx context.Context, mb Member, u myUser) (created bool, problem string, err error) {
	acct := a.account(myAccount{user: mb.User, host: "%"})
	if !u.exists {
		if mb.Password == "" {
			return false, MemberPasswordUnavailable, nil
		}
		// Nothing is created when the verifier could not be set without being logged.
		if _, _, logProblem, err := a.secretLogs(ctx); err != nil {
			return false, "", err
		} else if logProblem != "" {
			a.remaining = append(a.remaining, fmt.Sprintf("login %s not created: %s", mb.User, logProblem))
			a.withheld = append(a.withheld, mb.User)
			return false, MemberPasswordWithheld, nil
		}
		unusable := mariadbUnusableAuth
		if !a.mariadb {
			unusable = mysqlUnusableAuth
		}
		// CREATE USER, never IF NOT EXISTS: an account created by anyone else meanwhile
		// makes it fail, and is not adopted.
		if err := a.exec(ctx, stepOther, "CREATE USER "+acct+unusable); err != nil {
			if isAccountExists(err) {
				return false, MemberUserNotManaged, nil
			}
			return false, "", err
		}
		if !u.marker.found {
			if err := a.insertMarker(ctx, markerLogin, mb.User); err != nil {
				return false, "", err
			}
		}
		created = true
		u = myUser{exists: true, auth: "invalid", plugin: "mysql_native_password"}
	}
	if mb.Password != "" {
		cred, err := a.credential(ctx, mb.Password)
		if err != nil {
			return created, "", err
		}
		if u.plugin != cred.plugin || u.auth != cred.auth {
			logProblem, err := a.execSecret(ctx, "ALTER USER "+acct+cred.clause)
			if err != nil {
				return created, "", err
			}
			if logProblem != "" {
				a.remaining = append(a.remaining, fmt.Sprintf("the password of login %s was not changed: %s", mb.User, logProblem))
				a.withheld = append(a.withheld, mb.User)
			} else {
				u.auth, u.plugin = cred.auth, cred.plugin
			}
		}
	}
	if u.auth == "invalid" || strings.HasPrefix(u.auth, "*THISISNOTAVALID") {
		a.remaining = append(a.remaining, fmt.Sprintf("login %s has no password yet: it cannot log in", mb.User))
	}
	if u.locked {
		if err := a.exec(ctx, stepOther, "ALTER USER "+acct+" ACCOUNT UNLOCK"); err != nil {
			return created, "", err
		}
	}
	return created, "", nil
}

// lockLogins locks the logins this AccessRole's marker names that are not active members
// any more (expired, suspended or removed from the spec), even when they hold other roles,
// and ends their sessions.
func (a *myAccess) lockLogins(ctx context.Context) error {
	owned, unverified, err := a.ownedLogins(ctx)
	if err != nil {
		return err
	}
	for _, name := range unverified {
		a.remaining = append(a.remaining, fmt.Sprintf("a marker of login %s names this AccessRole but does not verify under the operator's key: the login is left alone", name))
	}
	active := map[string]bool{}
	for _, mb := range a.spec.Members {
		if mb.Active {
			active[mb.User] = true
		}
	}
	for _, name := range owned {
		if active[name] {
			continue
		}
		if err := a.lockLogin(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// lockLogin locks one owned login (ACCOUNT LOCK: it can no longer log in, whatever roles
// it holds) and ends its open sessions, counting both; what it may not do goes to
// a.remaining.
func (a *myAccess) lockLogin(ctx context.Context, name string) error {
	u, err := a.readUser(ctx, name)
	if err != nil || !u.exists {
		return err
	}
	if !u.locked {
		if err := a.exec(ctx, stepOther, "ALTER USER "+a.account(myAccount{user: name, host: "%"})+" ACCOUNT LOCK"); err != nil {
			return err
		}
		a.locked++
	}
	ended, problem, err := a.endSessions(ctx, name)
	if err != nil {
		return err
	}
	if problem != "" {
		a.remaining = append(a.remaining, problem)
	}
	if ended > 0 {
		a.counts.Other++
		a.ended += int(ended)
	}
	return nil
}

// myLockOwnedLogins is LockOwnedLogins on MySQL/MariaDB: under the access lock, every
// login whose verified marker names owner is locked (ACCOUNT LOCK) and its sessions ended
// (KILL CONNECTION USER, which needs CONNECTION ADMIN or SUPER: without it the open
// sessions are reported in Remaining). Markers that claim owner but do not verify are
// reported and left alone.
func myLockOwnedLogins(ctx context.Context, db *crm.Database, owner string) (res LockResult, err error) {
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("while getting a connection: %w", err)
	}
	defer func() { _ = conn.Close() }()
	keys, err := db.OperatorKeys()
	if err != nil {
		return res, err
	}
	a := &myAccess{db: db, conn: conn, spec: Spec{Owner: owner}, remove: true, keys: keys}
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return res, fmt.Errorf("while reading the server version: %w", err)
	}
	a.mariadb = strings.Contains(strings.ToLower(version), "mariadb")
	if err := a.ensureMarkerTable(ctx); err != nil {
		return res, err
	}
	unlock, err := a.lock(ctx)
	if err != nil {
		return res, err
	}
	defer unlock()
	owned, unverified, err := a.ownedLogins(ctx)
	if err != nil {
		return res, err
	}
	res.Owned = len(owned)
	for _, name := range unverified {
		a.remaining = append(a.remaining, fmt.Sprintf("a marker of login %s names the AccessRole but does not verify under the operator's key: the login is left alone", name))
	}
	for _, name := range owned {
		if err := a.lockLogin(ctx, name); err != nil {
			return res, err
		}
	}
	res.Locked, res.SessionsEnded, res.Remaining = a.locked, a.ended, a.remaining
	return res, nil
}

// defaultRoles lists the active members holding the role whose sessions do not start with
// it: on MariaDB, members with no default role; on MySQL, members whose default roles do not
// include it.
func (a *myAccess) defaultRoles(ctx context.Context, res *Result) error {
	for _, mb := range a.spec.Members {
		if !res.Members[mb.User].Holds {
			continue
		}
		var n int
		var err error
		if a.mariadb {
			err = a.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = '%' AND default_role <> ''", mb.User).Scan(&n)
		} else {
			err = a.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.default_roles WHERE USER = ? AND HOST = '%' AND DEFAULT_ROLE_USER = ? AND DEFAULT_ROLE_HOST = '%'",
				mb.User, a.spec.Role).Scan(&n)
		}
		if err != nil {
			return fmt.Errorf("while reading the default role of %s: %w", mb.User, err)
		}
		if n > 0 {
			continue
		}
		msg := fmt.Sprintf("member %s has no default role: its sessions start without the role", mb.User)
		if a.defaultRoleDenied {
			msg += fmt.Sprintf(" (SET DEFAULT ROLE … FOR was refused: the operator's account needs %s)", myPrivDefaultRole)
		}
		a.remaining = append(a.remaining, msg)
	}
	return nil
}

// verify reads the privileges and members again and lists what still differs.
func (a *myAccess) verify(ctx context.Context, res *Result) error {
	want, err := a.wanted(ctx)
	if err != nil {
		return err
	}
	have, err := a.held(ctx)
	if err != nil {
		return err
	}
	current, err := a.members(ctx)
	if err != nil {
		return err
	}
	var extra, missing []string
	isMember := map[string]bool{}
	for _, u := range current {
		o, declared := res.Members[u.user]
		if u.host != "%" || !declared || !o.Holds {
			extra = append(extra, u.String())
		}
		if u.host == "%" {
			isMember[u.user] = true
		}
	}
	for _, mb := range a.spec.Members {
		if res.Members[mb.User].Holds && !isMember[mb.User] {
			missing = append(missing, mb.User)
		}
	}
	if err := a.defaultRoles(ctx, res); err != nil {
		return err
	}
	res.Remaining = append(describeRemaining(diffGrants(want, have, true), extra, missing), a.remaining...)
	return nil
}

// myDropRole drops a managed role and its marker.
func myDropRole(ctx context.Context, db *crm.Database, spec Spec) error {
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	a, err := newMyAccess(ctx, db, conn, crm.Mapping{}, spec, true)
	if err != nil {
		return err
	}
	unlock, err := a.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	mk, err := a.readMarker(ctx, markerRole, spec.Role)
	if err != nil {
		return err
	}
	switch {
	case mk.found && !mk.verified:
		return &MarkerNotVerifiedError{Kind: markerRole, Name: spec.Role}
	case !mk.ownedBy(spec.Owner):
		marker := ""
		if mk.found {
			marker = ownerMarker(mk.owner)
		}
		return &RoleNotManagedError{Role: spec.Role, Marker: marker}
	}
	exists, err := a.roleExists(ctx)
	if err != nil {
		return err
	}
	if exists {
		if err := a.exec(ctx, stepOther, "DROP ROLE "+a.role); err != nil {
			return err
		}
	}
	return a.deleteMarker(ctx, markerRole, spec.Role)
}
