package access

import (
	"context"
	"crypto/sha512"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"filippo.io/edwards25519"
	"github.com/go-sql-driver/mysql"
)

// Member logins on MySQL/MariaDB: the verifier the operator sends, how it keeps the
// verifier out of the server's logs, and how it ends the sessions of a locked login.
//
// MariaDB writes statements to its general query log and binary log as received: a
// password or a hash in CREATE USER, ALTER USER or SET PASSWORD lands in both (MariaDB
// rewrites none of them). So:
//
//   - a login is created with an unusable credential (mysql_native_password 'invalid', that
//     no password matches), a statement with no secret that replicates like any other;
//   - its verifier is set by ALTER USER alone, with the general log (sql_log_off), the
//     binary log (sql_log_bin) and the slow log switched off for that one statement. When a
//     log is on and cannot be switched off (the operator's account lacks SUPER or BINLOG
//     ADMIN), the verifier is not sent, and the pass says so;
//   - the verifier is the strongest the server offers: ed25519 when the plugin is active
//     (MariaDB's auth_ed25519: a public key, from which the password cannot be recovered),
//     else a mysql_native_password hash. Both are computed here: the cleartext never
//     reaches the server.
//
// As the verifier never enters the binary log, replicas keep the unusable credential:
// members log in on the primary the operator manages.

// myUnusableAuth is the credential of a login before its verifier is set: no password
// matches it.
const (
	mariadbUnusableAuth = " IDENTIFIED VIA mysql_native_password USING 'invalid'"
	mysqlUnusableAuth   = " IDENTIFIED WITH mysql_native_password AS '*THISISNOTAVALIDPASSWORDTHATCANBEUSEDHERE'"
)

// Privileges the operator's account needs for parts of a pass; named in messages.
const (
	myPrivDefaultRole = "UPDATE ON mysql.*"
	myPrivKill        = "CONNECTION ADMIN (or SUPER)"
	myPrivGeneralLog  = "SUPER"
	myPrivBinlog      = "BINLOG ADMIN (or SUPER)"
)

// MariaDBEd25519Verifier returns what MariaDB's ed25519 plugin stores for password: the
// Ed25519 public key whose secret scalar is the clamped first half of SHA-512(password),
// base64 without padding (43 characters). It is what `PASSWORD('…')` gives under
// `IDENTIFIED VIA ed25519 USING`.
func MariaDBEd25519Verifier(password string) string {
	h := sha512.Sum512([]byte(password))
	s, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	if err != nil {
		// SetBytesWithClamping fails only for an input that is not 32 bytes.
		panic(fmt.Sprintf("crm: ed25519 scalar: %v", err))
	}
	return base64.RawStdEncoding.EncodeToString(new(edwards25519.Point).ScalarBaseMult(s).Bytes())
}

// myCredential is the verifier of one password for this server.
type myCredential struct {
	plugin, auth string
	clause       string // " IDENTIFIED …"
}

// credential computes the verifier of a password with the strongest plugin the server has.
func (a *myAccess) credential(ctx context.Context, password string) (myCredential, error) {
	ed, err := a.ed25519Active(ctx)
	if err != nil {
		return myCredential{}, err
	}
	if ed {
		v := MariaDBEd25519Verifier(password)
		return myCredential{plugin: "ed25519", auth: v, clause: " IDENTIFIED VIA ed25519 USING '" + v + "'"}, nil
	}
	h := MySQLNativePassword(password)
	if !mysqlNativeRE.MatchString(h) {
		return myCredential{}, fmt.Errorf("the mysql_native_password hash has an unexpected form")
	}
	c := myCredential{plugin: "mysql_native_password", auth: h, clause: " IDENTIFIED BY PASSWORD '" + h + "'"}
	if !a.mariadb {
		c.clause = " IDENTIFIED WITH mysql_native_password AS '" + h + "'"
	}
	return c, nil
}

// ed25519Active reports (once per pass) whether MariaDB's ed25519 plugin is loaded.
func (a *myAccess) ed25519Active(ctx context.Context) (bool, error) {
	if a.ed25519 != nil {
		return *a.ed25519, nil
	}
	active := false
	if a.mariadb {
		var n int
		if err := a.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.PLUGINS
WHERE PLUGIN_NAME = 'ed25519' AND PLUGIN_STATUS = 'ACTIVE' AND PLUGIN_TYPE = 'AUTHENTICATION'`).Scan(&n); err != nil {
			return false, fmt.Errorf("while looking for the ed25519 plugin: %w", err)
		}
		active = n > 0
	}
	a.ed25519 = &active
	return active, nil
}

// hasPrivilege reports whether the operator's account holds one of the global privileges
// (information_schema.USER_PRIVILEGES, which lists the current account's own).
func (a *myAccess) hasPrivilege(ctx context.Context, privileges ...string) (bool, error) {
	args := make([]any, len(privileges))
	marks := make([]string, len(privileges))
	for i, p := range privileges {
		args[i], marks[i] = p, "?"
	}
	var n int
	err := a.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')
  AND PRIVILEGE_TYPE IN (`+strings.Join(marks, ", ")+`)`, args...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("while reading the privileges of the operator's account: %w", err)
	}
	return n > 0, nil
}

// secretLogs reads which of the server's logs would record a statement of this session, and
// returns the session settings that switch them off and back on; or a problem when a log
// is on and the operator's account may not switch it off for its session.
func (a *myAccess) secretLogs(ctx context.Context) (set, reset []string, problem string, err error) {
	var general, output string
	var binlog, sessionBin, sessionOff int
	query := "SELECT @@global.general_log, @@global.log_output, @@global.log_bin, @@session.sql_log_bin, @@session.sql_log_off"
	if !a.mariadb {
		query = "SELECT @@global.general_log, @@global.log_output, @@global.log_bin, @@session.sql_log_bin, 0"
	}
	if err := a.conn.QueryRowContext(ctx, query).Scan(&general, &output, &binlog, &sessionBin, &sessionOff); err != nil {
		return nil, nil, "", fmt.Errorf("while reading the state of the server's logs: %w", err)
	}
	generalOn := (general == "1" || strings.EqualFold(general, "ON")) && !strings.Contains(strings.ToUpper(output), "NONE") && sessionOff == 0
	binlogOn := binlog == 1 && sessionBin == 1
	var missing, privs []string
	if generalOn {
		// MySQL has no session switch for its general log (it rewrites passwords there,
		// but writes the verifier).
		if !a.mariadb {
			return nil, nil, "the general query log is on and MySQL cannot switch it off for one session: turn it off", nil
		}
		set, reset = append(set, "sql_log_off = 1"), append(reset, "sql_log_off = 0")
		missing, privs = append(missing, "the general query log"), append(privs, myPrivGeneralLog)
	}
	if binlogOn {
		set, reset = append(set, "sql_log_bin = 0"), append(reset, "sql_log_bin = 1")
		missing, privs = append(missing, "the binary log"), append(privs, myPrivBinlog)
	}
	if len(privs) > 0 {
		// Only SUPER sets sql_log_off, BINLOG ADMIN or SUPER sql_log_bin.
		ok := true
		for _, p := range privs {
			if p == myPrivGeneralLog {
				ok, err = a.hasPrivilege(ctx, "SUPER")
			} else {
				ok, err = a.hasPrivilege(ctx, "BINLOG ADMIN", "SUPER")
			}
			if err != nil {
				return nil, nil, "", err
			}
			if !ok {
				break
			}
		}
		if !ok {
			return nil, nil, fmt.Sprintf("%s would record the password verifier and the operator's account may not switch it off for its session: grant it %s, or turn the log off",
				strings.Join(missing, " and "), strings.Join(privs, " and ")), nil
		}
	}
	if a.mariadb {
		set, reset = append(set, "slow_query_log = 0"), append(reset, "slow_query_log = DEFAULT")
	} else {
		set, reset = append(set, "long_query_time = 31536000"), append(reset, "long_query_time = DEFAULT")
	}
	return set, reset, "", nil
}

// execSecret runs one statement that carries a password verifier, with the general query
// log, the binary log and the slow log off for it. It returns a problem (and sends
// nothing) when a log is on and the operator's account may not switch it off. The error
// of a failed statement never quotes the statement.
func (a *myAccess) execSecret(ctx context.Context, query string) (problem string, err error) {
	set, reset, problem, err := a.secretLogs(ctx)
	if err != nil || problem != "" {
		return problem, err
	}
	if _, err := a.conn.ExecContext(ctx, "SET SESSION "+strings.Join(set, ", ")); err != nil {
		if isAccessDenied(err) {
			return "the operator's account may not switch the server's logs off for its session: grant it " + myPrivBinlog + " (and " + myPrivGeneralLog + " when the general query log is on)", nil
		}
		return "", fmt.Errorf("while switching the server's logs off for a password statement: %w", err)
	}
	defer func() {
		if _, rerr := a.conn.ExecContext(context.WithoutCancel(ctx), "SET SESSION "+strings.Join(reset, ", ")); rerr != nil {
			// The connection must not go back to the pool with logging off.
			a.discard = true
			if err == nil {
				err = fmt.Errorf("while switching the server's logs back on: %w", rerr)
			}
		}
	}()
	if _, err := a.conn.ExecContext(ctx, query); err != nil {
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			return "", fmt.Errorf("while setting a member's password: MySQL error %d", me.Number)
		}
		return "", errors.New("while setting a member's password: the statement failed")
	}
	a.counts.Other++
	return "", nil
}

// canKill reports (once per pass) whether the operator's account may end other accounts'
// sessions.
func (a *myAccess) canKill(ctx context.Context) (bool, error) {
	if a.kill == nil {
		ok, err := a.hasPrivilege(ctx, "CONNECTION ADMIN", "SUPER")
		if err != nil {
			return false, err
		}
		a.kill = &ok
	}
	return *a.kill, nil
}

// endSessions ends every session of a login; it returns how many were ended, or a problem
// naming the privilege the operator's account lacks.
func (a *myAccess) endSessions(ctx context.Context, user string) (int64, string, error) {
	ok, err := a.canKill(ctx)
	if err != nil {
		return 0, "", err
	}
	if !ok {
		return 0, fmt.Sprintf("open sessions of locked login %s cannot be ended: the operator's account needs %s", user, myPrivKill), nil
	}
	acct := a.account(myAccount{user: user, host: "%"})
	if a.mariadb {
		r, err := a.conn.ExecContext(ctx, "KILL CONNECTION USER "+acct)
		if err != nil {
			return 0, "", fmt.Errorf("while ending the sessions of login %s: %w", user, err)
		}
		n, _ := r.RowsAffected()
		return n, "", nil
	}
	// MySQL has no KILL USER: end each session of the account (seeing them needs PROCESS).
	ids, err := queryStrings(ctx, a.conn, "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()", user)
	if err != nil {
		return 0, "", fmt.Errorf("while listing the sessions of login %s: %w", user, err)
	}
	var n int64
	for _, id := range ids {
		if _, err := a.conn.ExecContext(ctx, "KILL CONNECTION "+id); err != nil {
			var me *mysql.MySQLError
			if errors.As(err, &me) && me.Number == 1094 { // the session ended meanwhile
				continue
			}
			return n, "", fmt.Errorf("while ending a session of login %s: %w", user, err)
		}
		n++
	}
	return n, "", nil
}

// isAccessDenied reports whether err is MySQL's "access denied" for a statement.
func isAccessDenied(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1044 || me.Number == 1142 || me.Number == 1227 || me.Number == 1045)
}

// isAccountExists reports whether err is CREATE USER/ROLE failing on an existing account.
func isAccountExists(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1396
}

// discardConn makes the connection leave the pool instead of going back to it.
func discardConn(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}
