package crm

import (
	"strings"
)

// TypeClass is the family of a column's type, the level at which a column is checked
// against the role a mapping gives it.
type TypeClass string

const (
	// ClassText is char, varchar, text, enum and set types.
	ClassText TypeClass = "text"
	// ClassInteger is the integer types.
	ClassInteger TypeClass = "integer"
	// ClassNumeric is decimal and floating-point types.
	ClassNumeric TypeClass = "numeric"
	// ClassBoolean is boolean, MySQL tinyint(1) and bit(1), SQLite BOOLEAN.
	ClassBoolean TypeClass = "boolean"
	// ClassDate is a calendar date without a time.
	ClassDate TypeClass = "date"
	// ClassTimestamp is a date and time (timestamp, timestamptz, datetime).
	ClassTimestamp TypeClass = "timestamp"
	// ClassTimeOfDay is a time of day without a date: not a point in time.
	ClassTimeOfDay TypeClass = "time-of-day"
	// ClassUUID is a native UUID type.
	ClassUUID TypeClass = "uuid"
	// ClassBinary is bytea, binary, blob.
	ClassBinary TypeClass = "binary"
	// ClassJSON is json and jsonb.
	ClassJSON TypeClass = "json"
	// ClassOther is any other type (arrays, intervals, network addresses, years…).
	ClassOther TypeClass = "other"
	// ClassUnknown is a column without a declared type (a SQLite expression in a view):
	// it is accepted for any role, since nothing can be checked.
	ClassUnknown TypeClass = "unknown"
)

// classifyPostgres classifies a PostgreSQL type rendered by format_type(oid, NULL) (no
// modifiers), after domains have been resolved to their base type.
func classifyPostgres(t string) TypeClass {
	t = strings.ToLower(strings.TrimSpace(t))
	switch {
	case strings.HasSuffix(t, "[]"):
		return ClassOther
	case t == "boolean":
		return ClassBoolean
	case t == "smallint" || t == "integer" || t == "bigint":
		return ClassInteger
	case t == "numeric" || t == "real" || t == "double precision" || t == "money":
		return ClassNumeric
	case t == "text" || t == "character varying" || t == "character" || t == `"char"` ||
		t == "name" || t == "citext" || t == "bpchar":
		return ClassText
	case t == "uuid":
		return ClassUUID
	case t == "date":
		return ClassDate
	case strings.HasPrefix(t, "timestamp"):
		return ClassTimestamp
	case strings.HasPrefix(t, "time"):
		return ClassTimeOfDay
	case t == "json" || t == "jsonb":
		return ClassJSON
	case t == "bytea":
		return ClassBinary
	}
	return ClassOther
}

// classifyMySQL classifies a MySQL/MariaDB COLUMN_TYPE such as "tinyint(1)",
// "int(10) unsigned", "varchar(255)", "enum('B2B','B2C')", "datetime(6)".
func classifyMySQL(columnType string) TypeClass {
	t := strings.ToLower(strings.TrimSpace(columnType))
	base := t
	if i := strings.IndexAny(base, "( "); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "tinyint":
		if strings.HasPrefix(t, "tinyint(1)") {
			return ClassBoolean
		}
		return ClassInteger
	case "bool", "boolean":
		return ClassBoolean
	case "bit":
		if strings.HasPrefix(t, "bit(1)") {
			return ClassBoolean
		}
		return ClassOther
	case "smallint", "mediumint", "int", "integer", "bigint":
		return ClassInteger
	case "decimal", "numeric", "float", "double", "real":
		return ClassNumeric
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		return ClassText
	case "json":
		return ClassJSON
	case "uuid":
		return ClassUUID
	case "date":
		return ClassDate
	case "datetime", "timestamp":
		return ClassTimestamp
	case "time":
		return ClassTimeOfDay
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return ClassBinary
	}
	return ClassOther
}

// classifySQLite classifies a SQLite declared type. SQLite stores any value in any column;
// the declared type only gives the column an affinity, found by the rules of section 3.1 of
// https://www.sqlite.org/datatype3.html (INT → INTEGER; CHAR, CLOB, TEXT → TEXT; BLOB or
// none → BLOB; REAL, FLOA, DOUB → REAL; otherwise NUMERIC). Date and time types have NUMERIC
// affinity there, so affinity alone cannot tell a timestamp from a decimal: names containing
// DATE or TIME are classed as dates and timestamps (the pure-Go driver also reads such
// columns back as time.Time), and names containing BOOL as booleans.
func classifySQLite(declared string) TypeClass {
	t := strings.ToUpper(strings.TrimSpace(declared))
	has := func(s string) bool { return strings.Contains(t, s) }
	switch {
	case t == "":
		return ClassUnknown
	case has("BOOL"):
		return ClassBoolean
	case has("INT"):
		return ClassInteger
	case has("UUID") || has("GUID"):
		return ClassUUID
	case has("CHAR") || has("CLOB") || has("TEXT"):
		return ClassText
	case has("BLOB"):
		return ClassBinary
	case has("REAL") || has("FLOA") || has("DOUB"):
		return ClassNumeric
	case has("DATETIME") || has("TIMESTAMP"):
		return ClassTimestamp
	case has("DATE"):
		return ClassDate
	case has("TIME"):
		return ClassTimeOfDay
	case has("JSON"):
		return ClassJSON
	}
	return ClassNumeric
}

// Role is what a mapped column is used for; it decides which types fit.
type Role string

const (
	// RoleKey is a row key: integer, text or UUID.
	RoleKey Role = "key"
	// RoleText is free text holding personal data (email, names, phone): a text type.
	RoleText Role = "text"
	// RoleCategory is a value a selector compares (contactType, legalBasis, an interaction
	// kind): text or an integer code.
	RoleCategory Role = "category"
	// RoleFlag is a yes/no value (optOut, legalHold): boolean, integer or text (read as the
	// selector package's truthiness says: internal/crm/selector.Compiler.Truthy).
	RoleFlag Role = "flag"
	// RoleTime is a point in time (consentAt, lastContactAt, an interaction's time): a date,
	// timestamp or datetime type.
	RoleTime Role = "time"
	// RoleSoftDelete marks a soft-deleted row: a boolean or integer flag (deleted = 1) or a
	// date/time (deleted_at IS NOT NULL).
	RoleSoftDelete Role = "soft-delete"
	// RoleAny accepts any type (custom and restricted fields).
	RoleAny Role = "any"
)

var roleClasses = map[Role][]TypeClass{
	RoleKey:        {ClassInteger, ClassText, ClassUUID},
	RoleText:       {ClassText},
	RoleCategory:   {ClassText, ClassInteger},
	RoleFlag:       {ClassBoolean, ClassInteger, ClassText},
	RoleTime:       {ClassDate, ClassTimestamp},
	RoleSoftDelete: {ClassBoolean, ClassInteger, ClassDate, ClassTimestamp},
}

// Accepts reports whether a column of class c can play the role.
func (r Role) Accepts(c TypeClass) bool {
	if r == RoleAny || c == ClassUnknown {
		return true
	}
	for _, ok := range roleClasses[r] {
		if ok == c {
			return true
		}
	}
	return false
}

// Expectation describes, for an error message, the types the role accepts.
func (r Role) Expectation(e Engine) string {
	switch r {
	case RoleKey:
		return "an integer, text or uuid column"
	case RoleText:
		return "a text column (char, varchar or text)"
	case RoleCategory:
		return "a text or integer column"
	case RoleFlag:
		if e == EngineMySQL {
			return "a boolean column (BOOLEAN/TINYINT(1)), an integer or text"
		}
		return "a boolean, integer or text column"
	case RoleTime:
		switch e {
		case EngineSQLite:
			return "a date or time column: declare it DATE, DATETIME or TIMESTAMP (SQLite has no date type; the declared name is what marks it)"
		case EngineMySQL:
			return "a DATE, DATETIME or TIMESTAMP column"
		default:
			return "a date or timestamp column"
		}
	case RoleSoftDelete:
		return "a boolean/integer flag or a date/timestamp column"
	}
	return "any column"
}

// referenceGroup is the family within which a key and a column referencing it can be
// compared without a cast.
func referenceGroup(e Engine, c TypeClass) string {
	switch c {
	case ClassInteger, ClassNumeric, ClassBoolean:
		return "number"
	case ClassUUID:
		if e == EnginePostgres {
			return "uuid"
		}
		return "text"
	case ClassText:
		return "text"
	}
	return string(c)
}

// referenceCompatible reports whether a column of class ref can hold values of a key of
// class key and be joined to it: integers with integers, text with text; on PostgreSQL a
// uuid only with a uuid (text = uuid needs a cast there).
func referenceCompatible(e Engine, key, ref TypeClass) bool {
	if key == ClassUnknown || ref == ClassUnknown {
		return true
	}
	return referenceGroup(e, key) == referenceGroup(e, ref)
}
