package selector

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Row holds a contact's values by logical field, as the database driver returns them:
// nil (NULL), bool, an integer, a float, string, []byte or time.Time. A field absent from
// the row is NULL.
type Row map[string]any

// Evaluate is the reference semantics of a selector, in Go: whether it selects a row
// whose columns are cols. It checks the selector exactly as Compile does and returns the
// same *Error; the SQL of Compile selects, on every engine, the rows Evaluate selects.
//
//   - In: the field holds one of the values; NotIn: the field holds a value that is none
//     of them. A NULL field matches neither: missing data never widens a selector.
//   - Exists: the field is not NULL; DoesNotExist: it is NULL.
//   - Text compares exactly (case, accents and spaces count); "" is a value, not NULL.
//   - A number compares numerically with whole-number values.
//   - A flag is set when it holds true, a number other than 0, or a text that, trimmed of
//     spaces and lowercased, is one of TrueWords; any other value is unset. "true" selects
//     set flags, "false" unset ones, never NULL ones.
func Evaluate(path string, sel Selector, cols Columns, row Row) (bool, error) {
	conds, err := parse(path, sel, cols)
	if err != nil {
		return false, err
	}
	for _, c := range conds {
		if !evalCond(c, row[c.field]) {
			return false, nil
		}
	}
	return true, nil
}

func evalCond(c cond, v any) bool {
	null := v == nil
	switch c.op {
	case OpExists:
		return !null
	case OpDoesNotExist:
		return null
	}
	if null {
		return false
	}
	switch c.col.Kind {
	case KindFlag:
		set := IsSet(v)
		return (set && c.wantTrue) || (!set && c.wantFalse)
	case KindNumber:
		found := false
		for _, n := range c.numbers {
			found = found || numberEquals(v, n)
		}
		return found != (c.op == OpNotIn)
	case KindText:
		s := TextOf(v)
		found := false
		for _, t := range c.texts {
			found = found || s == t
		}
		return found != (c.op == OpNotIn)
	}
	return false
}

// IsSet is the truthiness of a non-NULL flag value (see Compiler.Truthy).
func IsSet(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		w := strings.ToLower(strings.Trim(x, " "))
		for _, t := range TrueWords {
			if w == t {
				return true
			}
		}
		return false
	case float64:
		return x != 0
	case float32:
		return x != 0
	}
	if n, ok := asInt(v); ok {
		return n != 0
	}
	return false
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// numberEquals compares a value with a whole number, numerically; text and other values
// (SQLite stores text in any column) are never equal to a number.
func numberEquals(v any, n int64) bool {
	if i, ok := asInt(v); ok {
		return i == n
	}
	switch x := v.(type) {
	case float64:
		return x == float64(n)
	case float32:
		return float64(x) == float64(n)
	}
	return false
}

// TextOf is a value as text, as the compiled SQL casts it: strings and bytes as they are,
// numbers in decimal, booleans as PostgreSQL writes them, floats as SQLite does.
func TextOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		s := strconv.FormatFloat(x, 'g', 15, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	if n, ok := asInt(v); ok {
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprint(v)
}
