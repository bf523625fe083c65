package crm

import "fmt"

// Engine is a kind of SQL database server, as named in the CRMDatabase API.
type Engine string

const (
	// EnginePostgres is PostgreSQL, reached through pgx v5.
	EnginePostgres Engine = "postgres"
	// EngineMySQL is MySQL or MariaDB, reached through go-sql-driver/mysql.
	EngineMySQL Engine = "mysql"
	// EngineSQLite is a SQLite file, opened through the pure-Go modernc.org/sqlite.
	EngineSQLite Engine = "sqlite"
)

// Engines lists the supported engines.
func Engines() []Engine { return []Engine{EnginePostgres, EngineMySQL, EngineSQLite} }

// ParseEngine returns the Engine named s, or an error naming the supported engines.
func ParseEngine(s string) (Engine, error) {
	switch e := Engine(s); e {
	case EnginePostgres, EngineMySQL, EngineSQLite:
		return e, nil
	}
	return "", fmt.Errorf("unknown database engine %q: use postgres, mysql (MySQL or MariaDB) or sqlite", s)
}

// String returns the engine name.
func (e Engine) String() string { return string(e) }
