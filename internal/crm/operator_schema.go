package crm

// OperatorSchema is where the operator keeps its own tables (the erasure ledger, sweep
// checkpoints, MySQL/MariaDB role and login markers): a PostgreSQL schema inside the CRM
// database, or a MySQL/MariaDB database on the CRM's server, that only the operator's login
// may use (REVOKE ALL … FROM PUBLIC; no AccessRole may name its objects). SQLite has no
// users: its operator tables stay in the main database file.
const OperatorSchema = "crm_privacy"

// OperatorObjectPrefix starts the name of every object the operator creates in a CRM
// database; AccessRoles may not grant privileges on such objects.
const OperatorObjectPrefix = "crm_privacy_"

// operatorTable returns the quoted, schema-qualified name of one of the operator's own
// tables.
func (db *Database) operatorTable(table string) string {
	t, _ := db.dialect.QuoteIdent(table)
	if db.dialect.Engine() == EngineSQLite {
		return t
	}
	s, _ := db.dialect.QuoteIdent(OperatorSchema)
	return s + "." + t
}
