package crm

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// LedgerTable is the erasure ledger the operator creates in each CRM database.
//
// One row is proof that one contact was erased (deleted or anonymised) by one run of one
// retention policy. It holds no personal data: the contact is identified by a keyed hash of
// its key (SubjectHMAC), which proves an erasure to whoever holds the HMAC key and a
// contact key, and is meaningless to anyone else.
//
// Columns:
//
//	ledger_id     surrogate key, increasing (insert order)
//	run_id        the run that erased the contact (kept across a resume)
//	policy        the RetentionPolicy, "namespace/name"
//	rule          the rule of the policy that selected the contact
//	action        what was done ("delete", "anonymise")
//	erased_at     when, in UTC
//	subject_hmac  hex HMAC-SHA-256 of the contact key (64 lowercase hex digits)
//
// Uniqueness — resuming after a crash: rows are written in the same transaction as the
// erasure of their batch, and UNIQUE (policy, run_id, subject_hmac) makes recording the
// same contact twice in the same run impossible. A run killed at any point either
// committed a batch (contacts erased and ledger rows present) or did not (neither). When
// it resumes under the same run_id from a checkpoint older than its last committed batch,
// deleted contacts are simply not found again, and an anonymised contact selected again is
// skipped by InsertLedger (ON CONFLICT DO NOTHING), which reports only the rows it really
// inserted — so counts taken from InsertLedger or LedgerCount are never doubled. The run
// is part of the key on purpose: a later run may legitimately erase a contact that
// reappeared under the same key (SQLite reuses rowids; CRMs re-import contacts), and that
// is a new erasure. The subject index serves "was this person erased, when, by what?"
// lookups, and lets a sweep skip subjects it already anonymised in an earlier run.
const LedgerTable = "crm_privacy_erasure_ledger"

// Ledger column sizes.
const (
	maxRunIDLength  = 64
	maxPolicyLength = 320 // namespace (63) + "/" + name (253), rounded up
	maxRuleLength   = 253
	maxActionLength = 32
)

// ledgerColumns are the columns InsertLedger writes, in order.
var ledgerColumns = []string{"run_id", "policy", "rule", "action", "erased_at", "subject_hmac"}

const (
	ledgerUniqueName  = "crm_privacy_erasure_ledger_once"
	ledgerSubjectName = "crm_privacy_erasure_ledger_subject"
	ledgerHMACCheck   = "crm_privacy_erasure_ledger_hmac_hex"
)

// ledgerInsertChunk is how many rows go into one INSERT (6 parameters each, far below the
// engines' limits of 32766 to 65535 parameters).
const ledgerInsertChunk = 500

// LedgerEntry is one erased contact.
type LedgerEntry struct {
	// RunID identifies the run; a resumed run keeps its RunID.
	RunID string
	// Policy is the RetentionPolicy, "namespace/name".
	Policy string
	// Rule is the name of the rule that selected the contact.
	Rule string
	// Action is what was done, e.g. "delete" or "anonymise".
	Action string
	// ErasedAt is when; stored in UTC.
	ErasedAt time.Time
	// SubjectHMAC is SubjectHMAC(key, contactKey).
	SubjectHMAC string
}

var hmacHexRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// SubjectHMAC returns the hex HMAC-SHA-256 of a contact key under secret: the only trace of
// the contact the ledger keeps. contactKey is the key's canonical text form: decimal for
// integers, lowercase 8-4-4-4-12 for UUIDs, the value itself for text keys.
func SubjectHMAC(secret []byte, contactKey string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(contactKey))
	return hex.EncodeToString(mac.Sum(nil))
}

// check validates an entry before it is written; the message names the field, never a value.
func (e LedgerEntry) check() error {
	var problems []string
	checkLen := func(field, v string, max int) {
		if v == "" || len(v) > max {
			problems = append(problems, fmt.Sprintf("%s must have 1 to %d bytes", field, max))
		}
	}
	checkLen("run id", e.RunID, maxRunIDLength)
	checkLen("policy", e.Policy, maxPolicyLength)
	checkLen("rule", e.Rule, maxRuleLength)
	checkLen("action", e.Action, maxActionLength)
	if e.ErasedAt.IsZero() {
		problems = append(problems, "erasure time is not set")
	}
	if !hmacHexRE.MatchString(e.SubjectHMAC) {
		problems = append(problems, "subject HMAC must be 64 lowercase hex digits")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// EnsureLedger creates the erasure ledger table and its indexes if they are missing, and
// checks that an existing table has the expected columns. Running it again changes nothing.
func (db *Database) EnsureLedger(ctx context.Context) error {
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	// In steady state the table exists: checking the catalog takes no lock, where CREATE
	// INDEX IF NOT EXISTS would queue behind (and then block) a sweep writing to the ledger.
	exists, err := db.ledgerExists(ctx)
	if err != nil {
		return db.scrub(err)
	}
	if exists {
		return db.scrub(db.checkLedgerLayout(ctx))
	}
	if err := db.createLedger(ctx); err != nil {
		return db.scrub(fmt.Errorf("while creating the erasure ledger %s: %w", LedgerTable, err))
	}
	if err := db.checkLedgerLayout(ctx); err != nil {
		return db.scrub(err)
	}
	return nil
}

// ledgerExists reports whether the ledger table exists.
func (db *Database) ledgerExists(ctx context.Context) (bool, error) {
	_, err := db.dialect.DescribeTable(ctx, db.db, LedgerTable)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrTableNotFound):
		return false, nil
	}
	return false, fmt.Errorf("while looking for the erasure ledger %s: %w", LedgerTable, err)
}

// createLedger runs the DDL; a concurrent creator (another replica) can make a CREATE ... IF
// NOT EXISTS fail with a duplicate-object error, so it is tried a second time.
func (db *Database) createLedger(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if err = db.execAll(ctx, db.dialect.ledgerDDL()); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (db *Database) execAll(ctx context.Context, statements []string) error {
	for _, s := range statements {
		if _, err := db.db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// checkLedgerLayout verifies that the ledger table (possibly created by someone else) has
// the columns the operator writes, with fitting types, and the uniqueness that prevents
// double counting.
func (db *Database) checkLedgerLayout(ctx context.Context) error {
	tbl, err := db.dialect.DescribeTable(ctx, db.db, LedgerTable)
	if err != nil {
		return fmt.Errorf("while checking the erasure ledger %s: %w", LedgerTable, err)
	}
	want := map[string]Role{
		"run_id": RoleText, "policy": RoleText, "rule": RoleText, "action": RoleText,
		"erased_at": RoleTime, "subject_hmac": RoleText,
	}
	var problems []string
	for _, name := range ledgerColumns {
		col, ok := tbl.Column(db.dialect, name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("column %s is missing", name))
		case !want[name].Accepts(col.Class):
			problems = append(problems, fmt.Sprintf("column %s has type %s, want %s", name, col.DataType, want[name].Expectation(db.dialect.Engine())))
		}
	}
	if len(problems) == 0 {
		unique, err := IsUnique(ctx, db.dialect, db.db, LedgerTable, []string{"policy", "run_id", "subject_hmac"})
		if err != nil {
			return fmt.Errorf("while checking the erasure ledger %s: %w", LedgerTable, err)
		}
		if !unique {
			problems = append(problems, "no unique key on (policy, run_id, subject_hmac)")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("table %s exists but is not an erasure ledger the operator can use (%s): rename or drop it", LedgerTable, strings.Join(problems, "; "))
	}
	return nil
}

// InsertLedger records entries in the ledger through q — normally the transaction that
// erases the same contacts — and returns how many rows it inserted. Entries already
// recorded for the same (policy, run, subject) are skipped, not counted, and not an error.
func InsertLedger(ctx context.Context, d Dialect, q Querier, entries []LedgerEntry) (int64, error) {
	for i, e := range entries {
		if err := e.check(); err != nil {
			return 0, fmt.Errorf("ledger entry %d: %w", i, err)
		}
	}
	var inserted int64
	for start := 0; start < len(entries); start += ledgerInsertChunk {
		end := min(start+ledgerInsertChunk, len(entries))
		n, err := insertLedgerChunk(ctx, d, q, entries[start:end])
		if err != nil {
			return inserted, fmt.Errorf("while writing %d rows to the erasure ledger: %w", end-start, err)
		}
		inserted += n
	}
	return inserted, nil
}

func insertLedgerChunk(ctx context.Context, d Dialect, q Querier, entries []LedgerEntry) (int64, error) {
	args := make([]any, 0, len(entries)*len(ledgerColumns))
	for _, e := range entries {
		args = append(args, e.RunID, e.Policy, e.Rule, e.Action, bindTime(d.Engine(), e.ErasedAt), e.SubjectHMAC)
	}
	res, err := q.ExecContext(ctx, d.insertLedgerSQL(len(entries)), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// LedgerCount returns how many contacts a run of a policy has recorded in the ledger.
func (db *Database) LedgerCount(ctx context.Context, policy, runID string) (int64, error) {
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	d := db.dialect
	cols, err := quoteAll(d, LedgerTable, "policy", "run_id")
	if err != nil {
		return 0, err
	}
	query := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s = %s AND %s = %s",
		cols[0], cols[1], d.Placeholder(1), cols[2], d.Placeholder(2))
	var n int64
	if err := db.db.QueryRowContext(ctx, query, policy, runID).Scan(&n); err != nil {
		return 0, db.scrub(fmt.Errorf("while counting the ledger rows of a run of %s: %w", policy, err))
	}
	return n, nil
}

// LedgerRuleCount is how many contacts one rule of a run erased with one action, as the
// ledger records them.
type LedgerRuleCount struct {
	Rule   string
	Action string
	Count  int64
}

// LedgerRunCounts returns the ledger rows of one run of a policy, counted by rule and
// action (ActionDeleteContact, ActionAnonymizeContact), ordered by rule and action. The
// ledger is written in the erasure's own transaction, so these are the run's true counts
// whatever happened to the operator meanwhile.
func (db *Database) LedgerRunCounts(ctx context.Context, policy, runID string) ([]LedgerRuleCount, error) {
	ctx, cancel := db.withTimeout(ctx)
	defer cancel()
	d := db.dialect
	cols, err := quoteAll(d, LedgerTable, "policy", "run_id", "rule", "action")
	if err != nil {
		return nil, err
	}
	query := fmt.Sprintf("SELECT %[4]s, %[5]s, COUNT(*) FROM %[1]s WHERE %[2]s = %[6]s AND %[3]s = %[7]s GROUP BY %[4]s, %[5]s ORDER BY %[4]s, %[5]s",
		cols[0], cols[1], cols[2], cols[3], cols[4], d.Placeholder(1), d.Placeholder(2))
	rows, err := db.db.QueryContext(ctx, query, policy, runID)
	if err != nil {
		return nil, db.scrub(fmt.Errorf("while counting the ledger rows of a run of %s: %w", policy, err))
	}
	defer rows.Close()
	var out []LedgerRuleCount
	for rows.Next() {
		var c LedgerRuleCount
		if err := rows.Scan(&c.Rule, &c.Action, &c.Count); err != nil {
			return nil, db.scrub(fmt.Errorf("while counting the ledger rows of a run of %s: %w", policy, err))
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, db.scrub(fmt.Errorf("while counting the ledger rows of a run of %s: %w", policy, err))
	}
	return out, nil
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

// insertLedgerValues returns "(p1, …, p6), (p7, …)" for rows rows.
func insertLedgerValues(d Dialect, rows int) string {
	var b strings.Builder
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range ledgerColumns {
			if c > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString(d.Placeholder(n))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// ledgerInsertHead returns "INSERT INTO ledger (cols) VALUES ".
func ledgerInsertHead(d Dialect) string {
	cols, _ := quoteAll(d, ledgerColumns...)
	table, _ := d.QuoteIdent(LedgerTable)
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
}

// ledgerUniqueColumns returns the quoted columns of the ledger's unique key.
func ledgerUniqueColumns(d Dialect) string {
	cols, _ := quoteAll(d, "policy", "run_id", "subject_hmac")
	return strings.Join(cols, ", ")
}

func (d postgresDialect) insertLedgerSQL(rows int) string {
	return ledgerInsertHead(d) + insertLedgerValues(d, rows) +
		" ON CONFLICT (" + ledgerUniqueColumns(d) + ") DO NOTHING"
}

// On MySQL, INSERT IGNORE would also turn data errors into warnings; a no-op ON DUPLICATE
// KEY UPDATE skips duplicates only, and counts 0 affected rows for them.
func (d mysqlDialect) insertLedgerSQL(rows int) string {
	return ledgerInsertHead(d) + insertLedgerValues(d, rows) +
		" ON DUPLICATE KEY UPDATE `ledger_id` = `ledger_id`"
}

func (d sqliteDialect) insertLedgerSQL(rows int) string {
	return ledgerInsertHead(d) + insertLedgerValues(d, rows) +
		" ON CONFLICT (" + ledgerUniqueColumns(d) + ") DO NOTHING"
}

func (postgresDialect) ledgerDDL() []string {
	return []string{
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %[1]s (
  ledger_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id varchar(%[2]d) NOT NULL,
  policy varchar(%[3]d) NOT NULL,
  rule varchar(%[4]d) NOT NULL,
  action varchar(%[5]d) NOT NULL,
  erased_at timestamptz NOT NULL,
  subject_hmac char(64) NOT NULL CONSTRAINT %[6]s CHECK (subject_hmac ~ '^[0-9a-f]{64}$'),
  CONSTRAINT %[7]s UNIQUE (policy, run_id, subject_hmac)
)`, LedgerTable, maxRunIDLength, maxPolicyLength, maxRuleLength, maxActionLength, ledgerHMACCheck, ledgerUniqueName),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (subject_hmac)`, ledgerSubjectName, LedgerTable),
		fmt.Sprintf(`COMMENT ON TABLE %s IS 'Erasure ledger of crm-privacy-operator: proof of erasure, no personal data (subject_hmac is a keyed hash of the contact key).'`, LedgerTable),
	}
}

// The MySQL ledger keeps its indexes inside CREATE TABLE: MySQL 8 has no CREATE INDEX IF
// NOT EXISTS. Identifiers and hashes are ASCII with binary collation (exact comparison).
func (mysqlDialect) ledgerDDL() []string {
	return []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS `%[1]s` (\n"+
		"  `ledger_id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,\n"+
		"  `run_id` VARCHAR(%[2]d) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,\n"+
		"  `policy` VARCHAR(%[3]d) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,\n"+
		"  `rule` VARCHAR(%[4]d) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,\n"+
		"  `action` VARCHAR(%[5]d) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,\n"+
		"  `erased_at` DATETIME(6) NOT NULL COMMENT 'UTC',\n"+
		"  `subject_hmac` CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,\n"+
		"  PRIMARY KEY (`ledger_id`),\n"+
		"  UNIQUE KEY `%[6]s` (`policy`, `run_id`, `subject_hmac`),\n"+
		"  KEY `%[7]s` (`subject_hmac`),\n"+
		"  CONSTRAINT `%[8]s` CHECK (`subject_hmac` REGEXP '^[0-9a-f]{64}$')\n"+
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin\n"+
		"  COMMENT='Erasure ledger of crm-privacy-operator: proof of erasure, no personal data'",
		LedgerTable, maxRunIDLength, maxPolicyLength, maxRuleLength, maxActionLength,
		ledgerUniqueName, ledgerSubjectName, ledgerHMACCheck)}
}

func (sqliteDialect) ledgerDDL() []string {
	return []string{
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %[1]s (
  ledger_id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL CHECK (length(run_id) BETWEEN 1 AND %[2]d),
  policy TEXT NOT NULL CHECK (length(policy) BETWEEN 1 AND %[3]d),
  rule TEXT NOT NULL CHECK (length(rule) BETWEEN 1 AND %[4]d),
  action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND %[5]d),
  erased_at TIMESTAMP NOT NULL,
  subject_hmac TEXT NOT NULL CONSTRAINT %[6]s CHECK (length(subject_hmac) = 64 AND subject_hmac NOT GLOB '*[^0-9a-f]*'),
  CONSTRAINT %[7]s UNIQUE (policy, run_id, subject_hmac)
)`, LedgerTable, maxRunIDLength, maxPolicyLength, maxRuleLength, maxActionLength, ledgerHMACCheck, ledgerUniqueName),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (subject_hmac)`, ledgerSubjectName, LedgerTable),
	}
}
