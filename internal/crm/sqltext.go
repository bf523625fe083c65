package crm

import (
	"strings"
	"time"
)

// SQLText builds a statement with "?" markers and the matching arguments, in order.
type SQLText struct {
	b    strings.Builder
	Args []any
}

// W appends parts to the statement.
func (s *SQLText) W(parts ...string) *SQLText {
	for _, p := range parts {
		s.b.WriteString(p)
	}
	return s
}

// Arg appends a marker and binds v to it.
func (s *SQLText) Arg(v any) *SQLText {
	s.Args = append(s.Args, v)
	s.b.WriteByte('?')
	return s
}

// Text is the statement with its "?" markers.
func (s *SQLText) Text() string { return s.b.String() }

// Query renders the statement for the dialect: PostgreSQL numbers its markers. The text
// holds no "?" other than markers: identifiers cannot contain one and the only literals
// are constants of the statements' builders.
func (s *SQLText) Query(d Dialect) string {
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

// BindTime converts a time for a bound parameter: UTC everywhere; on SQLite, which has no
// time type, a fixed-width text form that sorts in time order, that SQLite's date functions
// understand, and that the driver reads back as time.Time from DATETIME/TIMESTAMP columns.
func BindTime(e Engine, t time.Time) any {
	t = t.UTC()
	if e == EngineSQLite {
		return t.Format("2006-01-02 15:04:05.000000-07:00")
	}
	return t
}
