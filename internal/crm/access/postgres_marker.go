package access

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// PostgreSQL markers. The operator records on every role it creates a comment that names
// the owning AccessRole ("namespace/name") and carries a MAC, under the operator's marker
// key, of the kind of role, its name, its OID and the owner:
//
//	managed by crm-privacy-operator: sales/sales; mac=<hex>          (group role)
//	login managed by crm-privacy-operator: sales/sales; mac=<hex>    (member login)
//
// Anybody with CREATEROLE (or ADMIN OPTION on a role) may COMMENT ON ROLE, but only the
// operator holds the key: a copied comment does not verify on another role (name), on a
// role dropped and created again under the same name (OID), or for another owner. A login
// is changed (password, LOGIN, NOLOGIN) only when its marker verifies and names the
// AccessRole of the pass.
//
// Markers written before they were authenticated (the owner without a MAC; the shared
// login text) are legacy: a legacy group role is adopted only when the AccessRole asks
// for it (Spec.AdoptLegacy); a legacy login only when it is a member of this
// AccessRole's role and of no other role. Everything else is reported and left alone.

// loginMarkerPrefix starts the marker of a member login.
const loginMarkerPrefix = "login managed by crm-privacy-operator: "

// markerMACSeparator separates the owner from the MAC in a marker.
const markerMACSeparator = "; mac="

// Kinds of role a marker is for (part of the MAC).
const (
	markerKindRole  = "pg-group-role"
	markerKindLogin = "pg-login"
)

func markerPrefix(kind string) string {
	if kind == markerKindLogin {
		return loginMarkerPrefix
	}
	return ManagedMarkerPrefix
}

// pgMarker is the marker of role (OID oid), of kind, owned by owner.
func pgMarker(key []byte, kind, role string, oid int64, owner string) string {
	return markerPrefix(kind) + owner + markerMACSeparator + crm.RowMAC(key, kind, role, strconv.FormatInt(oid, 10), owner)
}

// markerState is what a role's comment says about who manages it.
type markerState struct {
	// owner is the AccessRole named by an authenticated marker ("" when none).
	owner string
	// legacyOwner is the owner named by a group-role marker without MAC.
	legacyOwner string
	// legacyLogin is true for the shared, unauthenticated login marker of old versions.
	legacyLogin bool
	// claimed is the owner a marker of the right shape claims, verified or not (for
	// messages only).
	claimed string
}

// readMarker interprets the comment of role (OID oid) as a marker of kind.
func readMarker(key []byte, kind, role string, oid int64, comment string) markerState {
	var st markerState
	prefix := markerPrefix(kind)
	if kind == markerKindLogin && comment == managedLoginMarker {
		st.legacyLogin = true
		return st
	}
	if !strings.HasPrefix(comment, prefix) {
		return st
	}
	rest := strings.TrimPrefix(comment, prefix)
	i := strings.LastIndex(rest, markerMACSeparator)
	if i < 0 {
		if kind == markerKindRole {
			st.legacyOwner = rest
		}
		st.claimed = rest
		return st
	}
	owner, mac := rest[:i], rest[i+len(markerMACSeparator):]
	st.claimed = owner
	if crm.VerifyRowMAC(key, mac, kind, role, strconv.FormatInt(oid, 10), owner) {
		st.owner = owner
	}
	return st
}

// markRole is the step that writes the marker of role after it exists (its OID is part of
// the MAC): run by execute.
func markRoleStep(kind, role string) pgStep {
	return pgStep{kind: stepOther, markKind: kind, markRole: role}
}

// markSQL renders a marker step once the role exists.
func (a *pgAccess) markSQL(ctx context.Context, s pgStep) (string, error) {
	var oid int64
	if err := a.tx.QueryRowContext(ctx, "SELECT oid::int8 FROM pg_catalog.pg_roles WHERE rolname = $1", s.markRole).Scan(&oid); err != nil {
		return "", fmt.Errorf("while reading the OID of role %s to mark it: %w", s.markRole, err)
	}
	return fmt.Sprintf("COMMENT ON ROLE %s IS %s", a.d.Quote(crm.MustIdent(s.markRole)),
		mustLiteral(pgMarker(a.key, s.markKind, s.markRole, oid, a.spec.Owner))), nil
}

// pgOwnedLogin is a login whose authenticated marker names the owner.
type pgOwnedLogin struct {
	name  string
	login bool
	// super is true for a login given SUPERUSER or REPLICATION by someone else: the
	// operator's login may not alter it.
	super bool
}

// ownedLogins lists the logins whose authenticated marker names owner.
func ownedLogins(ctx context.Context, q crm.Querier, key []byte, owner string) (out []pgOwnedLogin, err error) {
	prefix := loginMarkerPrefix + owner + markerMACSeparator
	rows, err := q.QueryContext(ctx, `
SELECT u.rolname, u.oid::int8, u.rolcanlogin, u.rolsuper OR u.rolreplication, pg_catalog.shobj_description(u.oid, 'pg_authid')
FROM pg_catalog.pg_roles u
WHERE pg_catalog.left(pg_catalog.shobj_description(u.oid, 'pg_authid'), $2) = $1`, prefix, len(prefix))
	if err != nil {
		return nil, fmt.Errorf("while listing the logins of %s: %w", owner, err)
	}
	defer crm.CloseRows(rows, &err)
	for rows.Next() {
		var l pgOwnedLogin
		var oid int64
		var comment string
		if err := rows.Scan(&l.name, &oid, &l.login, &l.super, &comment); err != nil {
			return nil, err
		}
		if readMarker(key, markerKindLogin, l.name, oid, comment).owner == owner {
			out = append(out, l)
		}
	}
	return out, nil
}

// pgEndSessions ends the open sessions of logins (which the operator owns and just locked
// or keeps locked), waiting up to 5 s for each backend to exit. It needs superuser or
// membership in pg_signal_backend; without them the sessions are reported, never claimed
// ended.
func pgEndSessions(ctx context.Context, db *crm.Database, logins []string) (ended int, remaining []string, err error) {
	if len(logins) == 0 {
		return 0, nil, nil
	}
	var open int
	var canSignal bool
	err = db.DB().QueryRowContext(ctx, `
SELECT (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE usename = ANY ($1) AND pid <> pg_catalog.pg_backend_pid()),
       (SELECT r.rolsuper OR pg_catalog.pg_has_role(r.oid, 'pg_signal_backend', 'MEMBER') FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)`,
		logins).Scan(&open, &canSignal)
	if err != nil {
		return 0, nil, fmt.Errorf("while counting the open sessions of locked logins: %w", err)
	}
	if open == 0 {
		return 0, nil, nil
	}
	if !canSignal {
		return 0, []string{fmt.Sprintf("%d open session(s) of locked login(s) %s not ended: the operator's login needs pg_signal_backend", open, strings.Join(logins, ", "))}, nil
	}
	err = db.DB().QueryRowContext(ctx, `
SELECT count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(a.pid, 5000))
FROM pg_catalog.pg_stat_activity a JOIN pg_catalog.pg_roles r ON r.oid = a.usesysid
WHERE a.usename = ANY ($1) AND a.pid <> pg_catalog.pg_backend_pid() AND NOT r.rolsuper`, logins).Scan(&ended)
	if err != nil {
		return 0, nil, fmt.Errorf("while ending the open sessions of locked logins: %w", err)
	}
	if left := open - ended; left > 0 {
		remaining = append(remaining, fmt.Sprintf("%d open session(s) of locked login(s) %s could not be ended", left, strings.Join(logins, ", ")))
	}
	return ended, remaining, nil
}

// pgLockOwnedLogins is LockOwnedLogins on PostgreSQL: one transaction under the access
// lock sets the owner's logins NOLOGIN, then their sessions end.
func pgLockOwnedLogins(ctx context.Context, db *crm.Database, owner string) (res LockResult, err error) {
	keys, err := db.OperatorKeys()
	if err != nil {
		return res, err
	}
	tx, err := db.DB().BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("while starting the lock transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, "SELECT pg_catalog.pg_advisory_xact_lock($1)", int64(accessLockKey)); err != nil {
		return res, fmt.Errorf("while taking the access lock: %w", err)
	}
	owned, err := ownedLogins(ctx, tx, keys.MarkerKey(), owner)
	if err != nil {
		return res, err
	}
	res.Owned = len(owned)
	var names []string
	for _, l := range owned {
		if l.super {
			res.Remaining = append(res.Remaining, "login "+l.name+" was given SUPERUSER or REPLICATION by someone else: the operator cannot lock it")
			continue
		}
		names = append(names, l.name)
		if !l.login {
			continue
		}
		if _, err := tx.ExecContext(ctx, "ALTER ROLE "+crm.PostgresDialect{}.Quote(crm.MustIdent(l.name))+" NOLOGIN"); err != nil {
			return res, fmt.Errorf("while locking login %s: %w", l.name, describePgError(err))
		}
		res.Locked++
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("while committing the locked logins: %w", err)
	}
	ended, remaining, err := pgEndSessions(ctx, db, names)
	res.SessionsEnded = ended
	res.Remaining = append(res.Remaining, remaining...)
	return res, err
}
