package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// MySQL/MariaDB markers. MySQL and MariaDB have no comment on roles and accounts, so the
// operator records the roles and logins it created in a table of its own database,
// `crm_privacy`.`crm_privacy_access_roles`, one row per object: kind ("role" or "login"),
// name, owner (the "namespace/name" of the AccessRole) and a MAC over the three under the
// operator's marker key. Accounts and roles are server-wide, and so is this table: an
// AccessRole on one CRM database sees the logins of an AccessRole on another database of
// the same server, and leaves them alone.
//
// A row is trusted only when its MAC verifies: a row written by anyone else (a CRM user, an
// administrator, an operator with another key) names no object the operator acts on, and is
// reported. Rows of the table the operator used before (crm_privacy_access_roles inside the
// CRM database, no MAC) are never read: any CRM user with rights on that database could
// write them. See docs/accessrole.md for the migration.

// accessRolesTable is the operator's marker table on MySQL/MariaDB, in OperatorSchema.
const accessRolesTable = "crm_privacy_access_roles"

// Kinds of marker rows.
const (
	markerRole  = "role"
	markerLogin = "login"
)

// markerMACLabel versions the fields a marker MAC covers.
const markerMACLabel = "mysql-access-marker/v1"

// myMarker is one marker row as read.
type myMarker struct {
	found    bool
	owner    string
	verified bool
}

// ownedBy reports whether the row is a verified marker of owner.
func (m myMarker) ownedBy(owner string) bool { return m.found && m.verified && m.owner == owner }

// markerMAC is the MAC a marker row carries.
func markerMAC(key []byte, kind, name, owner string) string {
	return crm.RowMAC(key, markerMACLabel, kind, name, owner)
}

// ensureMarkerTable creates the operator's database and its marker table when they are
// missing. Both are looked up first, so that once they exist the operator's account needs
// no CREATE privilege for them.
func (a *myAccess) ensureMarkerTable(ctx context.Context) error {
	var n int
	if err := a.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		crm.OperatorSchema, accessRolesTable).Scan(&n); err != nil {
		return fmt.Errorf("while looking for the %s table: %w", accessRolesTable, err)
	}
	if n > 0 {
		return nil
	}
	if err := a.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", crm.OperatorSchema).Scan(&n); err != nil {
		return fmt.Errorf("while looking for the %s database: %w", crm.OperatorSchema, err)
	}
	if n == 0 {
		if _, err := a.conn.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+crm.QuoteWith(crm.OperatorSchema, '`')+" CHARACTER SET utf8mb4"); err != nil {
			return fmt.Errorf("while creating the operator's database %s (the operator's account needs CREATE on %s.*): %w", crm.OperatorSchema, crm.OperatorSchema, err)
		}
	}
	if _, err := a.conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+a.db.OperatorTable(accessRolesTable)+` (
  kind  VARCHAR(8) CHARACTER SET ascii NOT NULL,
  name  VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  owner VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  mac   CHAR(64) CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (kind, name)
)`); err != nil {
		return fmt.Errorf("while creating the %s table in %s: %w", accessRolesTable, crm.OperatorSchema, err)
	}
	return nil
}

// readMarker reads and verifies the marker of a name of a kind.
func (a *myAccess) readMarker(ctx context.Context, kind, name string) (myMarker, error) {
	var m myMarker
	var mac string
	err := a.conn.QueryRowContext(ctx, "SELECT owner, mac FROM "+a.db.OperatorTable(accessRolesTable)+" WHERE kind = ? AND name = ?",
		kind, name).Scan(&m.owner, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return myMarker{}, nil
	}
	if err != nil {
		return myMarker{}, fmt.Errorf("while reading the marker of %s %s: %w", kind, name, err)
	}
	m.found = true
	m.verified = crm.VerifyRowMAC(a.keys.MarkerKey(), mac, markerMACLabel, kind, name, m.owner)
	return m, nil
}

// insertMarker records that this pass created a role or a login for the spec's owner.
func (a *myAccess) insertMarker(ctx context.Context, kind, name string) error {
	_, err := a.conn.ExecContext(ctx, "INSERT INTO "+a.db.OperatorTable(accessRolesTable)+" (kind, name, owner, mac) VALUES (?, ?, ?, ?)",
		kind, name, a.spec.Owner, markerMAC(a.keys.MarkerKey(), kind, name, a.spec.Owner))
	if err != nil {
		return fmt.Errorf("while recording the marker of %s %s: %w", kind, name, err)
	}
	return nil
}

// deleteMarker removes the verified marker of a name (only a row of this owner).
func (a *myAccess) deleteMarker(ctx context.Context, kind, name string) error {
	_, err := a.conn.ExecContext(ctx, "DELETE FROM "+a.db.OperatorTable(accessRolesTable)+" WHERE kind = ? AND name = ? AND owner = ? AND mac = ?",
		kind, name, a.spec.Owner, markerMAC(a.keys.MarkerKey(), kind, name, a.spec.Owner))
	if err != nil {
		return fmt.Errorf("while removing the marker of %s %s: %w", kind, name, err)
	}
	return nil
}

// ownedLogins returns the logins whose verified markers name the spec's owner, and the
// names of the login rows that claim the owner but do not verify (reported, never acted on).
func (a *myAccess) ownedLogins(ctx context.Context) (owned, unverified []string, err error) {
	rows, err := a.conn.QueryContext(ctx, "SELECT name, mac FROM "+a.db.OperatorTable(accessRolesTable)+" WHERE kind = ? AND owner = ? ORDER BY name",
		markerLogin, a.spec.Owner)
	if err != nil {
		return nil, nil, fmt.Errorf("while reading the logins of %s: %w", a.spec.Owner, err)
	}
	defer crm.CloseRows(rows, &err)
	for rows.Next() {
		var name, mac string
		if err := rows.Scan(&name, &mac); err != nil {
			return nil, nil, err
		}
		if crm.VerifyRowMAC(a.keys.MarkerKey(), mac, markerMACLabel, markerLogin, name, a.spec.Owner) {
			owned = append(owned, name)
		} else {
			unverified = append(unverified, name)
		}
	}
	return owned, unverified, nil
}
