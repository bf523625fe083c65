package selector

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Engine is the SQL engine a selector compiles for, spelt as internal/crm's Engine.
type Engine string

// Engines.
const (
	Postgres Engine = "postgres"
	MySQL    Engine = "mysql"
	SQLite   Engine = "sqlite"
)

// Mode is how values reach the SQL text.
type Mode int

const (
	// Bind renders every value as a "?" marker and returns it as an argument; the caller
	// renumbers the markers for its driver ($1, $2… on PostgreSQL). The text holds no "?"
	// other than the markers.
	Bind Mode = iota
	// Literals renders values as SQL constants, for PostgreSQL policy DDL, which cannot take
	// parameters: text as an escape string constant (see Literal), numbers as digits.
	Literals
)

// Column is a logical field resolved by the caller.
type Column struct {
	// SQL is the column as it appears in the statement, quoted and qualified as needed
	// (c."opt_out"); the compiler inserts it as is.
	SQL string
	// Kind is how the field's values compare (KindFor).
	Kind Kind
	// Storage is the family of the column's type, which decides how a flag is read and
	// whether text needs a cast.
	Storage Storage
}

// Compiler turns selectors into SQL conditions for one engine.
type Compiler struct {
	Engine  Engine
	Mode    Mode
	Columns Columns
}

// Compile renders a selector as a condition that is true or false, never NULL, so that it
// can be negated safely ("1=1" when the selector is empty). path names the selector in the
// spec (spec.rules[0].selector) for errors. In Bind mode, args are the values of the "?"
// markers, in order.
func (c Compiler) Compile(path string, sel Selector) (sql string, args []any, err error) {
	if c.Mode == Literals && c.Engine != Postgres {
		return "", nil, fmt.Errorf("literal rendering is for PostgreSQL policies only, not %s", c.Engine)
	}
	conds, err := parse(path, sel, c.Columns)
	if err != nil {
		return "", nil, err
	}
	if len(conds) == 0 {
		return "(1=1)", nil, nil
	}
	var b strings.Builder
	for i, cd := range conds {
		if i > 0 {
			b.WriteString(" AND ")
		}
		if err := c.cond(&b, &args, cd); err != nil {
			return "", nil, &Error{Field: fmt.Sprintf("%s.matchExpressions[%d]", path, i), Message: err.Error()}
		}
	}
	return b.String(), args, nil
}

func (c Compiler) cond(b *strings.Builder, args *[]any, cd cond) error {
	col := cd.col
	switch cd.op {
	case OpExists:
		b.WriteString("(" + col.SQL + " IS NOT NULL)")
		return nil
	case OpDoesNotExist:
		b.WriteString("(" + col.SQL + " IS NULL)")
		return nil
	}
	switch col.Kind {
	case KindFlag:
		switch {
		case cd.wantTrue && cd.wantFalse:
			b.WriteString("(" + col.SQL + " IS NOT NULL)")
		case cd.wantTrue:
			b.WriteString(c.Truthy(col))
		case cd.wantFalse:
			b.WriteString(c.Falsy(col))
		default:
			b.WriteString("(1=0)")
		}
		return nil
	case KindNumber:
		items := make([]string, len(cd.numbers))
		for i, n := range cd.numbers {
			items[i] = c.number(args, n)
		}
		c.in(b, col.SQL, col.SQL, cd.op, items)
		return nil
	case KindText:
		items := make([]string, len(cd.texts))
		for i, v := range cd.texts {
			item, err := c.text(args, v)
			if err != nil {
				return fmt.Errorf("values[%d]: %w", i, err)
			}
			items[i] = item
		}
		c.in(b, col.SQL, c.asText(col), cd.op, items)
		return nil
	}
	return fmt.Errorf("field %s of kind %s cannot be compared with %s", cd.field, col.Kind, cd.op)
}

// in writes "(col IS NOT NULL AND expr [NOT] IN (items))".
func (c Compiler) in(b *strings.Builder, col, expr, op string, items []string) {
	not := ""
	if op == OpNotIn {
		not = "NOT "
	}
	b.WriteString("(" + col + " IS NOT NULL AND " + expr + " " + not + "IN (" + strings.Join(items, ", ") + "))")
}

// number renders a whole number: bound as int64, cast to bigint on PostgreSQL so that it
// compares with any numeric column.
func (c Compiler) number(args *[]any, n int64) string {
	if c.Mode == Literals {
		return "CAST(" + strconv.FormatInt(n, 10) + " AS bigint)"
	}
	*args = append(*args, n)
	if c.Engine == Postgres {
		return "CAST(? AS bigint)"
	}
	return "?"
}

// text renders a text value.
func (c Compiler) text(args *[]any, v string) (string, error) {
	if c.Mode == Literals {
		return Literal(v)
	}
	*args = append(*args, v)
	return "?", nil
}

// asText is the column as exactly comparable text: on PostgreSQL cast when not text; on
// MySQL/MariaDB converted to utf8mb4 and compared as bytes, so that neither the
// collation (case, accents, trailing spaces) nor a numeric coercion decides; on SQLite
// cast to text under the BINARY collation, whatever the column's declared collation.
func (c Compiler) asText(col Column) string {
	switch c.Engine {
	case MySQL:
		return "CAST(CONVERT(" + col.SQL + " USING utf8mb4) AS BINARY)"
	case SQLite:
		return "CAST(" + col.SQL + " AS TEXT) COLLATE BINARY"
	}
	if col.Storage == StorageText {
		return col.SQL
	}
	return "CAST(" + col.SQL + " AS text)"
}

// trueWords renders TrueWords as constants.
func trueWords() string {
	return "'" + strings.Join(TrueWords, "', '") + "'"
}

// Truthy is the condition "the flag is set": true or false, never NULL (a NULL flag is
// neither set nor unset). Per engine and column type:
//   - PostgreSQL boolean: the value itself;
//   - an integer, decimal or MySQL/MariaDB boolean (TINYINT(1), BIT(1)): not 0;
//   - text: trimmed of spaces and lowercased, one of TrueWords;
//   - SQLite, whose columns hold any type: by the type of the stored value (typeof), as
//     above; a blob is not set.
func (c Compiler) Truthy(col Column) string {
	x := col.SQL
	textTrue := "LOWER(TRIM(" + x + ")) IN (" + trueWords() + ")"
	switch c.Engine {
	case SQLite:
		return "(CASE WHEN typeof(" + x + ") IN ('integer', 'real') THEN " + x + " <> 0 WHEN typeof(" + x + ") = 'text' THEN " +
			textTrue + " ELSE 0 END)"
	case MySQL:
		if isText(col.Storage) {
			return "(" + x + " IS NOT NULL AND CAST(LOWER(TRIM(CONVERT(" + x + " USING utf8mb4))) AS BINARY) IN (" + trueWords() + "))"
		}
		return "(" + x + " IS NOT NULL AND " + x + " <> 0)"
	}
	switch {
	case col.Storage == StorageBoolean:
		return "(" + x + " IS TRUE)"
	case isText(col.Storage):
		return "(" + x + " IS NOT NULL AND " + textTrue + ")"
	}
	return "(" + x + " IS NOT NULL AND " + x + " <> 0)"
}

// Falsy is the condition "the flag holds a value that is not set" (never NULL).
func (c Compiler) Falsy(col Column) string {
	if c.Engine == Postgres && col.Storage == StorageBoolean {
		return "(" + col.SQL + " IS FALSE)"
	}
	return "(" + col.SQL + " IS NOT NULL AND NOT " + c.Truthy(col) + ")"
}

// isText reports a column read as text by flag truthiness (text, or a type the engine
// only knows as text).
func isText(s Storage) bool {
	return s == StorageText || s == StorageUnknown
}

// Literal renders s as a PostgreSQL escape string constant, E'…', that denotes exactly s
// whatever the server's standard_conforming_strings setting: a quote is doubled and a
// backslash is written \\. Values that PostgreSQL text cannot hold (NUL characters) or
// that are not valid UTF-8 are refused. It is the only place that turns a value into SQL
// text.
func Literal(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: it is not valid UTF-8", ErrInvalidLiteral)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("%w: it contains a NUL character", ErrInvalidLiteral)
	}
	var b strings.Builder
	b.Grow(len(s) + 3)
	b.WriteString("E'")
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}
