package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
// MySQL/MariaDB have no comment on roles: the operator keeps its markers in a table of the
// CRM database, crm_privacy_access_roles (name, kind, owner). A role that exists without a
// row naming its AccessRole is never touched; neither is a user without a 'login' row.

// accessRolesTable is the operator's bookkeeping table on MySQL/MariaDB.
const accessRolesTable = "crm_privacy_access_roles"

// myAccessLock is the name of the GET_LOCK lock that serialises access passes.
const myAccessLock = "crm-privacy-operator/access"

// myAccess is one pass over one role on MySQL/MariaDB.
type myAccess struct {
	db      *Database
	conn    *sql.Conn
	d       mysqlDialect
	m       Mapping
	spec    AccessSpec
	remove  bool
	mariadb bool
	role    string // quoted
	grantee string // as information_schema writes it
	schema  string // DATABASE()
	counts  StatementCounts
}

func (db *Database) myApplyAccess(ctx context.Context, m Mapping, spec AccessSpec, remove bool) (res AccessResult, err error) {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("while getting a connection: %w", err)
	}
	defer func() { _ = conn.Close() }()
	a, err := newMyAccess(ctx, db, conn, m, spec, remove)
	if err != nil {
		return res, err
	}
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
	return res, nil
}

func newMyAccess(ctx context.Context, db *Database, conn *sql.Conn, m Mapping, spec AccessSpec, remove bool) (*myAccess, error) {
	a := &myAccess{db: db, conn: conn, m: m, spec: spec, remove: remove, role: mysqlDialect{}.Quote(MustIdent(spec.Role))}
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
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+accessRolesTable+` (
  name  VARCHAR(64) NOT NULL,
  kind  VARCHAR(8) NOT NULL,
  owner VARCHAR(512) NOT NULL,
  PRIMARY KEY (name, kind)
)`); err != nil {
		return nil, fmt.Errorf("while creating the %s table: %w", accessRolesTable, err)
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

// marker returns the owner recorded for a name of a kind ("" when none).
func (a *myAccess) marker(ctx context.Context, name, kind string) (string, error) {
	var owner string
	err := a.conn.QueryRowContext(ctx, "SELECT owner FROM "+accessRolesTable+" WHERE name = ? AND kind = ?", name, kind).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return owner, err
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

// ensureRole checks the role's marker and creates the role when it is missing.
func (a *myAccess) ensureRole(ctx context.Context) (bool, error) {
	exists, err := a.roleExists(ctx)
	if err != nil {
		return false, err
	}
	owner, err := a.marker(ctx, a.spec.Role, "role")
	if err != nil {
		return false, fmt.Errorf("while reading the marker of role %s: %w", a.spec.Role, err)
	}
	want := ownerMarker(a.spec.Owner)
	switch {
	case owner != "" && owner != want:
		return false, &RoleNotManagedError{Role: a.spec.Role, Marker: owner}
	case exists && owner == "":
		return false, &RoleNotManagedError{Role: a.spec.Role}
	case exists:
		return false, nil
	case a.remove:
		return false, fmt.Errorf("role %s: %w", a.spec.Role, ErrRoleNotFound)
	}
	if owner == "" {
		if err := a.exec(ctx, stepOther, "INSERT INTO "+accessRolesTable+" (name, kind, owner) VALUES (?, 'role', ?)", a.spec.Role, want); err != nil {
			return false, err
		}
	}
	return true, a.exec(ctx, stepOther, "CREATE ROLE "+a.role)
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
	defer closeRows(rows, &err)
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
		return nil, fmt.Errorf("while reading the global privileges of role %s: %w", a.spec.Role, err)
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
func (a *myAccess) syncGrants(ctx context.Context, res *AccessResult) error {
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
	return quoteCatalogName(a.d, u.user) + "@" + quoteWith(u.host, '`')
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
	defer closeRows(rows, &err)
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

// myUser is what the server says of a member's account 'user'@'%'.
type myUser struct {
	exists, locked bool
	auth, plugin   string
	defaultRole    string
	otherRoles     int
	managed        bool
}

func (a *myAccess) readUser(ctx context.Context, name string) (myUser, error) {
	u := myUser{exists: true}
	var query string
	if a.mariadb {
		query = `SELECT u.authentication_string, u.plugin, u.default_role,
  COALESCE(JSON_VALUE(g.Priv, '$.account_locked'), 'false') IN ('true', '1'),
  (SELECT COUNT(*) FROM mysql.roles_mapping r WHERE r.User = u.User AND r.Host = u.Host AND r.Role <> ?)
FROM mysql.user u JOIN mysql.global_priv g ON g.User = u.User AND g.Host = u.Host
WHERE u.User = ? AND u.Host = '%'`
	} else {
		query = `SELECT u.authentication_string, u.plugin, '', u.account_locked = 'Y',
  (SELECT COUNT(*) FROM mysql.role_edges r WHERE r.TO_USER = u.User AND r.TO_HOST = u.Host AND r.FROM_USER <> ?)
FROM mysql.user u WHERE u.User = ? AND u.Host = '%'`
	}
	err := a.conn.QueryRowContext(ctx, query, a.spec.Role, name).Scan(&u.auth, &u.plugin, &u.defaultRole, &u.locked, &u.otherRoles)
	if errors.Is(err, sql.ErrNoRows) {
		return myUser{}, nil
	}
	if err != nil {
		return myUser{}, fmt.Errorf("while reading user %s: %w", name, err)
	}
	owner, err := a.marker(ctx, name, "login")
	u.managed = owner != ""
	return u, err
}

// syncMembers revokes the role from undeclared and inactive accounts, grants it to the
// active members, and keeps the logins the operator manages.
func (a *myAccess) syncMembers(ctx context.Context, res *AccessResult) error {
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
		holds, outcome := memberDecision(mb, u.exists, u.managed)
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
		if err := a.revokeMember(ctx, u, users[u.user]); err != nil {
			return err
		}
		res.MembersRemoved++
	}
	for _, mb := range a.spec.Members {
		if err := a.syncMember(ctx, mb, users[mb.User], isMember, want, res); err != nil {
			return err
		}
	}
	return nil
}

// memberDecision says whether a declared member holds the role, and why not.
func memberDecision(mb AccessMember, exists, managed bool) (bool, MemberOutcome) {
	switch {
	case !mb.Active:
		return false, MemberOutcome{}
	case !exists && !mb.ManageLogin:
		return false, MemberOutcome{Problem: MemberUserMissing}
	case exists && mb.ManageLogin && !managed:
		return false, MemberOutcome{Problem: MemberUserNotManaged}
	}
	return true, MemberOutcome{Holds: true}
}

func (a *myAccess) revokeMember(ctx context.Context, u myAccount, info myUser) error {
	if err := a.exec(ctx, stepRevoke, "REVOKE "+a.role+" FROM "+a.account(u)); err != nil {
		return err
	}
	if a.mariadb && u.host == "%" && info.defaultRole == a.spec.Role {
		return a.exec(ctx, stepOther, "SET DEFAULT ROLE NONE FOR "+a.account(u))
	}
	return nil
}

// syncMember creates, unlocks or locks an operator-managed login, sets its password, and
// grants the role to an active member that does not hold it.
func (a *myAccess) syncMember(ctx context.Context, mb AccessMember, u myUser, isMember, want map[myAccount]bool, res *AccessResult) error {
	acct := myAccount{user: mb.User, host: "%"}
	if mb.ManageLogin && (u.managed || !u.exists) {
		if err := a.syncLogin(ctx, mb, u); err != nil {
			return err
		}
	}
	if !want[acct] || isMember[acct] {
		return nil
	}
	if err := a.exec(ctx, stepGrant, "GRANT "+a.role+" TO "+a.account(acct)); err != nil {
		return err
	}
	res.MembersAdded++
	switch {
	case a.mariadb && u.defaultRole == "":
		return a.exec(ctx, stepOther, "SET DEFAULT ROLE "+a.role+" FOR "+a.account(acct))
	case !a.mariadb:
		return a.exec(ctx, stepOther, "SET DEFAULT ROLE ALL TO "+a.account(acct))
	}
	return nil
}

// syncLogin keeps an operator-managed login: created while active, password as declared
// (mysql_native_password hash, computed here), locked when it holds no role.
func (a *myAccess) syncLogin(ctx context.Context, mb AccessMember, u myUser) error {
	acct := a.account(myAccount{user: mb.User, host: "%"})
	hash := ""
	if mb.Password != "" {
		hash = MySQLNativePassword(mb.Password)
	}
	identified := ""
	if hash != "" && mysqlNativeRE.MatchString(hash) {
		identified = " IDENTIFIED BY PASSWORD '" + hash + "'"
		if !a.mariadb {
			identified = " IDENTIFIED WITH mysql_native_password AS '" + hash + "'"
		}
	}
	if !u.exists {
		if !mb.Active {
			return nil
		}
		if err := a.exec(ctx, stepOther, "INSERT INTO "+accessRolesTable+" (name, kind, owner) VALUES (?, 'login', ?) ON DUPLICATE KEY UPDATE owner = owner",
			mb.User, managedLoginMarker); err != nil {
			return err
		}
		return a.exec(ctx, stepOther, "CREATE USER "+acct+identified)
	}
	if identified != "" && (u.auth != hash || u.plugin != "mysql_native_password") {
		if err := a.exec(ctx, stepOther, "ALTER USER "+acct+identified); err != nil {
			return err
		}
	}
	switch {
	case mb.Active && u.locked:
		return a.exec(ctx, stepOther, "ALTER USER "+acct+" ACCOUNT UNLOCK")
	case !mb.Active && !u.locked && u.otherRoles == 0:
		return a.exec(ctx, stepOther, "ALTER USER "+acct+" ACCOUNT LOCK")
	}
	return nil
}

// verify reads the privileges and members again and lists what still differs.
func (a *myAccess) verify(ctx context.Context, res *AccessResult) error {
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
	res.Remaining = describeRemaining(diffGrants(want, have, true), extra, missing)
	return nil
}

// myDropRole drops a managed role and its marker.
func (db *Database) myDropRole(ctx context.Context, spec AccessSpec) error {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	a, err := newMyAccess(ctx, db, conn, Mapping{}, spec, true)
	if err != nil {
		return err
	}
	unlock, err := a.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	owner, err := a.marker(ctx, spec.Role, "role")
	if err != nil {
		return err
	}
	if owner != ownerMarker(spec.Owner) {
		return &RoleNotManagedError{Role: spec.Role, Marker: owner}
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
	_, err = conn.ExecContext(ctx, "DELETE FROM "+accessRolesTable+" WHERE name = ? AND kind = 'role'", spec.Role)
	return err
}
