package crm

import (
	"strings"
	"time"
)

// sqlText builds a statement with "?" markers and the matching arguments, in order.
type sqlText struct {
	b    strings.Builder
	args []any
}

// w appends parts to the statement.
func (s *sqlText) w(parts ...string) *sqlText {
	for _, p := range parts {
		s.b.WriteString(p)
	}
	return s
}

// arg appends a marker and binds v to it.
func (s *sqlText) arg(v any) *sqlText {
	s.args = append(s.args, v)
	s.b.WriteByte('?')
	return s
}

// text is the statement with its "?" markers.
func (s *sqlText) text() string { return s.b.String() }

// query renders the statement for the dialect: PostgreSQL numbers its markers. The text
// holds no "?" other than markers: identifiers cannot contain one and the only literals
// are constants of the statements' builders.
func (s *sqlText) query(d Dialect) string {
	q := s.b.String()
	if d.Placeholder(1) == "?" {
		return q
	}
	var out strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			out.WriteString(d.Placeholder(n))
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// bindTime converts a time for a bound parameter: UTC everywhere; on SQLite, which has no
// time type, a fixed-width text form that sorts in time order, that SQLite's date functions
// understand, and that the driver reads back as time.Time from DATETIME/TIMESTAMP columns.
func bindTime(e Engine, t time.Time) any {
	t = t.UTC()
	if e == EngineSQLite {
		return t.Format("2006-01-02 15:04:05.000000-07:00")
	}
	return t
}
