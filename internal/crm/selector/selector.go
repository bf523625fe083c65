package selector

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// Operators of a requirement, as in the API's SelectorOperator.
const (
	OpIn           = "In"
	OpNotIn        = "NotIn"
	OpExists       = "Exists"
	OpDoesNotExist = "DoesNotExist"
)

// Requirement is one condition on a logical field of a contact.
type Requirement struct {
	Field    string
	Operator string
	Values   []string
}

// Selector is a conjunction of requirements; an empty selector matches every contact.
// The semantics are those of docs/concepts.md ("Selectors"): see Evaluate.
type Selector []Requirement

// Kind is how a field's values compare.
type Kind string

const (
	// KindText compares exactly, as text: case, accents and spaces included, on every
	// engine.
	KindText Kind = "text"
	// KindFlag is a yes/no field compared with the values "true" and "false".
	KindFlag Kind = "flag"
	// KindNumber compares numerically with whole numbers ("3", "-1", "007" is 7).
	KindNumber Kind = "number"
	// KindTime is a point in time: only Exists and DoesNotExist apply.
	KindTime Kind = "time"
)

// Storage is the family of a column's type, spelt as internal/crm's TypeClass.
type Storage string

// Storages (the values of internal/crm's TypeClass).
const (
	StorageText      Storage = "text"
	StorageInteger   Storage = "integer"
	StorageNumeric   Storage = "numeric"
	StorageBoolean   Storage = "boolean"
	StorageDate      Storage = "date"
	StorageTimestamp Storage = "timestamp"
	StorageTimeOfDay Storage = "time-of-day"
	StorageUUID      Storage = "uuid"
	StorageBinary    Storage = "binary"
	StorageJSON      Storage = "json"
	StorageOther     Storage = "other"
	StorageUnknown   Storage = "unknown"
)

// builtinKinds are the kinds of the well-known fields whose kind does not depend on the
// column. Category fields (contactType, jobRole, legalBasis, consentMethod,
// lifecycleStage) take the kind of their column, as custom fields do.
var builtinKinds = map[string]Kind{
	mapping.FieldEmail:         KindText,
	mapping.FieldFirstName:     KindText,
	mapping.FieldLastName:      KindText,
	mapping.FieldPhone:         KindText,
	mapping.FieldCompany:       KindText,
	mapping.FieldOptOut:        KindFlag,
	mapping.FieldLegalHold:     KindFlag,
	mapping.FieldConsentAt:     KindTime,
	mapping.FieldOptOutAt:      KindTime,
	mapping.FieldCreatedAt:     KindTime,
	mapping.FieldLastContactAt: KindTime,
	mapping.FieldBirthDate:     KindTime,
}

// KindFor returns the kind of a field: fixed for the well-known text, flag and time
// fields; for the others (categories and custom fields) discovered from the column's
// type: a boolean column is a flag, an integer or decimal column a number, a date or
// timestamp column a time, anything else text.
func KindFor(field string, s Storage) Kind {
	if k, ok := builtinKinds[field]; ok {
		return k
	}
	switch s {
	case StorageBoolean:
		return KindFlag
	case StorageInteger, StorageNumeric:
		return KindNumber
	case StorageDate, StorageTimestamp:
		return KindTime
	}
	return KindText
}

// Error is a selector that cannot be used as written: an unmapped field, an unknown
// operator, a value that does not fit the field's kind. Field is the path of the spec
// at fault (spec.rules[0].selector.matchExpressions[1].values[0]); nothing is selected.
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// TrueWords are the texts a flag stored as text counts as true, compared after trimming
// spaces and lowercasing; any other text is false.
var TrueWords = []string{"1", "t", "true", "y", "yes"}

// cond is a parsed requirement.
type cond struct {
	field string
	op    string
	col   Column
	// texts for KindText, numbers for KindNumber; for KindFlag wantTrue/wantFalse after
	// NotIn has been folded in.
	texts     []string
	numbers   []int64
	wantTrue  bool
	wantFalse bool
}

// Columns resolves a logical field to its column, or false when the mapping does not map
// it.
type Columns func(field string) (Column, bool)

// parse checks a selector against the grammar and the mapped columns.
func parse(path string, sel Selector, cols Columns) ([]cond, error) {
	out := make([]cond, 0, len(sel))
	for i, r := range sel {
		where := fmt.Sprintf("%s.matchExpressions[%d]", path, i)
		bad := func(leaf, format string, args ...any) error {
			return &Error{Field: where + leaf, Message: fmt.Sprintf(format, args...)}
		}
		col, ok := cols(r.Field)
		if !ok {
			return nil, bad(".field", "field %q is not mapped on the CRMDatabase: map it (spec.mapping.fields) or change the selector; nothing is selected until then", r.Field)
		}
		c := cond{field: r.Field, op: r.Operator, col: col}
		switch r.Operator {
		case OpExists, OpDoesNotExist:
			if len(r.Values) > 0 {
				return nil, bad(".values", "%s takes no values", r.Operator)
			}
			out = append(out, c)
			continue
		case OpIn, OpNotIn:
			if len(r.Values) == 0 {
				return nil, bad(".values", "%s needs at least one value", r.Operator)
			}
		default:
			return nil, bad(".operator", "unknown operator %q: use In, NotIn, Exists or DoesNotExist", r.Operator)
		}
		for j, v := range r.Values {
			leaf := fmt.Sprintf(".values[%d]", j)
			switch col.Kind {
			case KindFlag:
				switch v {
				case "true":
					c.wantTrue = true
				case "false":
					c.wantFalse = true
				default:
					return nil, bad(leaf, "field %s is a yes/no flag: use the value \"true\" or \"false\" (lowercase), not %q", r.Field, v)
				}
			case KindNumber:
				n, err := parseNumber(v)
				if err != nil {
					return nil, bad(leaf, "field %s is a number: use a whole number such as \"3\" or \"-1\", not %q", r.Field, v)
				}
				c.numbers = append(c.numbers, n)
			case KindTime:
				return nil, bad(".operator", "field %s is a time: compare it with Exists or DoesNotExist (terms are the job of retainFor), not %s", r.Field, r.Operator)
			default:
				if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
					return nil, bad(leaf, "a value must be valid UTF-8 text without NUL characters")
				}
				c.texts = append(c.texts, v)
			}
		}
		if col.Kind == KindFlag && r.Operator == OpNotIn {
			c.wantTrue, c.wantFalse = !c.wantTrue, !c.wantFalse
		}
		out = append(out, c)
	}
	return out, nil
}

// parseNumber reads a whole number: an optional sign and decimal digits, within 64 bits.
func parseNumber(v string) (int64, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(v, "+"), "-")
	if s == "" || strings.Trim(s, "0123456789") != "" || len(v)-len(s) > 1 {
		return 0, fmt.Errorf("not a whole number")
	}
	return strconv.ParseInt(v, 10, 64)
}

// Validate checks a selector against the grammar and the mapped columns without
// rendering it.
func Validate(path string, sel Selector, cols Columns) error {
	_, err := parse(path, sel, cols)
	return err
}

// ErrInvalidLiteral is wrapped by Literal's errors.
var ErrInvalidLiteral = fmt.Errorf("value cannot be used in a row filter")
