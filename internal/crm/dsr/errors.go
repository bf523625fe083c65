package dsr

import (
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// valueFreeError replaces a driver's message that may quote a value the statement bound
// — MySQL's "Duplicate entry '…' for key …" or "Incorrect datetime value: '…'",
// PostgreSQL's "invalid input syntax for type …: "…"" — by one naming only the error
// code and the schema objects involved. The driver's error stays in the chain
// (errors.As), so that a missing privilege is still recognised.
type valueFreeError struct {
	msg string
	err error
}

func (e *valueFreeError) Error() string { return e.msg }
func (e *valueFreeError) Unwrap() error { return e.err }

// valueFree returns err with a message that quotes no value: used wherever a statement
// binds an identity or a rectified value, whose errors reach status and events.
func valueFree(err error) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		msg := fmt.Sprintf("the database refused the statement (SQLSTATE %s", pg.Code)
		if pg.ConstraintName != "" {
			msg += ", constraint " + pg.ConstraintName
		}
		if pg.ColumnName != "" {
			msg += ", column " + pg.ColumnName
		}
		if pg.Code == "42501" {
			msg += ": permission denied"
		}
		return &valueFreeError{msg: msg + ")", err: err}
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		msg := fmt.Sprintf("the database refused the statement (MySQL error %d", my.Number)
		switch my.Number {
		case 1062:
			msg += ": a unique index already holds one of the values"
		case 1406:
			msg += ": a value is too long for its column"
		case 1292, 1366:
			msg += ": a value does not fit its column"
		case 1142, 1143:
			msg += ": permission denied"
		}
		return &valueFreeError{msg: msg + ")", err: err}
	}
	// SQLite's messages name constraints and columns, never values.
	return err
}
