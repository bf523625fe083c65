package crm

import (
	"context"
	"fmt"
)

// CountContacts returns the number of contacts in the mapped contacts table, leaving out
// the rows the CRM has soft-deleted when the mapping has a soft-delete column.
func (db *Database) CountContacts(ctx context.Context, m Mapping) (int64, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	table, err := db.dialect.QuoteIdent(m.Contacts.Table)
	if err != nil {
		return 0, fmt.Errorf("mapping.contacts.table: %w", err)
	}
	active, err := db.ActiveContactCondition(ctx, m, "")
	if err != nil {
		return 0, db.Scrub(err)
	}
	query := "SELECT COUNT(*) FROM " + table
	if active != "" {
		query += " WHERE " + active
	}
	var n int64
	if err := db.db.QueryRowContext(ctx, query).Scan(&n); err != nil {
		return 0, db.Scrub(fmt.Errorf("while counting the contacts of table %s: %w", m.Contacts.Table, err))
	}
	return n, nil
}

// ActiveContactCondition returns the SQL condition that keeps contacts the CRM has not
// soft-deleted ("" without a soft-delete column). alias, when set, qualifies the column.
// The form depends on the column's type, read from the catalog: a flag is active when NULL
// or false/0, a timestamp when NULL. When the flag lives in a 1:1 related table
// (SoftDeleteRelated), it is read there for the contact's row: a contact without one is
// active.
func (db *Database) ActiveContactCondition(ctx context.Context, m Mapping, alias string) (string, error) {
	c := m.Contacts
	if c.SoftDeleteColumn == "" {
		return "", nil
	}
	table := c.Table
	if c.SoftDeleteRelated != "" {
		rel, ok := m.RelatedByName(c.SoftDeleteRelated)
		if !ok {
			return "", fmt.Errorf("mapping.contacts.softDeleteRelated: no related table is named %s", c.SoftDeleteRelated)
		}
		table = rel.Table
	}
	tbl, err := db.dialect.DescribeTable(ctx, db.db, table)
	if err != nil {
		return "", fmt.Errorf("while reading the soft-delete column of table %s: %w", table, err)
	}
	info, ok := tbl.Column(db.dialect, c.SoftDeleteColumn)
	if !ok {
		return "", fmt.Errorf("soft-delete column %s does not exist in table %s", c.SoftDeleteColumn, table)
	}
	var col string
	if c.SoftDeleteRelated != "" {
		rel, _ := m.RelatedByName(c.SoftDeleteRelated)
		rel.SoftDeleteColumn = "" // the flag is the value read, not a filter on it
		contacts := alias
		if contacts == "" {
			contacts = c.Table
		}
		qc, err := db.dialect.QuoteIdent(contacts)
		if err != nil {
			return "", err
		}
		tables := func(ctx context.Context, name string) (*Table, error) {
			return db.dialect.DescribeTable(ctx, db.db, name)
		}
		if col, err = RelatedValueSQL(ctx, db.dialect, tables, m, rel, c.SoftDeleteColumn, qc); err != nil {
			return "", err
		}
	} else {
		if col, err = db.dialect.QuoteIdent(c.SoftDeleteColumn); err != nil {
			return "", fmt.Errorf("mapping.contacts.softDeleteColumn: %w", err)
		}
		if alias != "" {
			qa, err := db.dialect.QuoteIdent(alias)
			if err != nil {
				return "", err
			}
			col = qa + "." + col
		}
	}
	return SoftDeleteCondition(db.dialect.Engine(), col, info.Class)
}

// SoftDeleteCondition is the "not soft-deleted" condition for a quoted column of a class.
func SoftDeleteCondition(e Engine, col string, class TypeClass) (string, error) {
	switch class {
	case ClassDate, ClassTimestamp:
		return col + " IS NULL", nil
	case ClassBoolean:
		if e == EnginePostgres {
			return col + " IS NOT TRUE", nil
		}
		return "(" + col + " IS NULL OR " + col + " = 0)", nil
	case ClassInteger, ClassUnknown:
		return "(" + col + " IS NULL OR " + col + " = 0)", nil
	}
	return "", fmt.Errorf("soft-delete column %s has a %s type: it must be a boolean/integer flag or a date/timestamp", col, class)
}
