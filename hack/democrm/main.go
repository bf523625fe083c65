// Command democrm creates the demo CRM of make demo: the project's reference schema
// (config/samples/crm/generic-sqlite.sql or generic-postgres.sql) filled with a few thousand
// fictitious, deterministic contacts and interactions, and prints counts of what is in it.
//
//	go run ./hack/democrm seed -db .demo/crm.sqlite -contacts 3000
//	go run ./hack/democrm count -db .demo/crm.sqlite
//	go run ./hack/democrm seed -engine postgres -db 'postgres://user@127.0.0.1:5432/crm?sslmode=disable'
//
// With -engine postgres, -db is a connection URL of an empty database; the password comes
// from PGPASSWORD (so that it is not on the command line), and the tables are created by
// (and so owned by) that user. The schema file defaults to the engine's generic one.
//
// It is demo tooling: its SQL builds and reads the demo data, the operator never runs it.
package main

import (
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: democrm seed|count|pick|person [-engine sqlite|postgres] -db FILE|URL [-contacts N] [-skip N] [-id N]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	engine := fs.String("engine", "sqlite", "sqlite or postgres")
	path := fs.String("db", ".demo/crm.sqlite", "the SQLite file, or the PostgreSQL connection URL")
	n := fs.Int("contacts", 3000, "how many contacts to create")
	schema := fs.String("schema", "", "the schema to load (default: config/samples/crm/generic-<engine>.sql)")
	skip := fs.Int("skip", 0, "pick: how many matching customers to skip")
	id := fs.Int("id", 0, "person: the contact's id")
	_ = fs.Parse(os.Args[2:])
	t, err := newTarget(*engine, *path)
	if err == nil {
		switch os.Args[1] {
		case "seed":
			if *schema == "" {
				*schema = "config/samples/crm/generic-" + *engine + ".sql"
			}
			err = seed(t, *schema, *n)
		case "count":
			err = count(t)
		case "pick":
			err = pick(t, *skip)
		case "person":
			err = person(t, *id)
		default:
			err = fmt.Errorf("unknown command %q: use seed, count, pick or person", os.Args[1])
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "democrm:", err)
		os.Exit(1)
	}
}

// target is the demo database and what differs between the engines: placeholders and
// how times and booleans are written.
type target struct {
	engine, driver, dsn string
}

func newTarget(engine, dsn string) (target, error) {
	switch engine {
	case "sqlite":
		return target{engine: engine, driver: "sqlite", dsn: dsn}, nil
	case "postgres":
		return target{engine: engine, driver: "pgx", dsn: dsn}, nil
	}
	return target{}, fmt.Errorf("unknown engine %q: use sqlite or postgres", engine)
}

// openShared opens the database to read it while the operator writes to it: on SQLite, a
// reader waits for the operator's transaction to end instead of failing with SQLITE_BUSY.
func (t target) openShared() (*sql.DB, error) {
	if t.engine == "sqlite" {
		return sql.Open(t.driver, "file:"+t.dsn+"?_pragma=busy_timeout(10000)")
	}
	return sql.Open(t.driver, t.dsn)
}

// name is what to call the database in messages: the file, or the URL without password.
func (t target) name() string {
	if t.engine == "sqlite" {
		return t.dsn
	}
	return regexp.MustCompile(`:[^:@/]*@`).ReplaceAllString(t.dsn, "@")
}

// q rewrites the ? placeholders of a statement for the engine ($1, $2… on PostgreSQL).
func (t target) q(query string) string {
	if t.engine != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ts writes a time as the SQLite CRM stores it (ISO text), or as a timestamptz.
func (t target) ts(at time.Time) any {
	if t.engine == "postgres" {
		return at
	}
	return at.Format("2006-01-02 15:04:05+00:00")
}

// flag writes a boolean as SQLite's 0/1, or as a PostgreSQL boolean.
func (t target) flag(b bool) any {
	if t.engine == "postgres" {
		return b
	}
	if b {
		return 1
	}
	return 0
}

var comment = regexp.MustCompile(`--[^\n]*`)

func seed(t target, schema string, n int) error {
	if t.engine == "sqlite" {
		_ = os.Remove(t.dsn)
	}
	db, err := sql.Open(t.driver, t.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	text, err := os.ReadFile(schema)
	if err != nil {
		return err
	}
	for _, stmt := range strings.Split(comment.ReplaceAllString(string(text), ""), ";") {
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			if _, err := db.Exec(stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	r := rand.New(rand.NewSource(42))
	now := time.Now().UTC()
	for id := 1; id <= n; id++ {
		if err := insertContact(t, tx, r, id, now); err != nil {
			return err
		}
	}
	if t.engine == "postgres" {
		// The contacts were inserted with explicit keys: move the identity past them, so
		// that a contact added later (by the sales team, say) gets a fresh key.
		if _, err := tx.Exec("SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT max(id) FROM contacts))"); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Printf("democrm: %s seeded with %d fictitious contacts\n", t.name(), n)
	return nil
}

var (
	firstNames = []string{"Alex", "Camille", "Dominique", "Jordan", "Morgan", "Sacha", "Charlie", "Robin", "Noa", "Eden"}
	lastNames  = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"}
	companies  = []string{"Acme Tools", "Initech", "Umbrella Logistics", "Hooli", "Vandelay Imports", "Globex Corporation", "Stark Metals", "Wayne Foods"}
	jobRoles   = []string{"board", "sales", "technical", "purchasing", "marketing", "assistant"}
	methods    = []string{"web form", "phone", "email", "in person"}
)

// insertContact adds one contact with its interactions and notes. The mix: half
// prospects, a third customers, the rest leads; last contact spread over five years;
// some logged phone calls; a few opt-outs, legal holds, missing consent evidence and
// filled-in private fields, so that every check of the operator has something to find.
func insertContact(t target, tx *sql.Tx, r *rand.Rand, id int, now time.Time) error {
	stage := "prospect"
	switch x := r.Intn(10); {
	case x >= 8:
		stage = "lead"
	case x >= 5:
		stage = "customer"
	}
	ctype := "B2B"
	if r.Intn(20) == 0 {
		ctype = "B2C"
	}
	basis := map[string]string{"prospect": "LegitimateInterests", "customer": "Contract", "lead": "Consent"}[stage]
	if r.Intn(40) == 0 {
		basis = ""
	}
	var consentAt, consentMethod any
	if basis == "Consent" && r.Intn(6) != 0 {
		consentAt, consentMethod = t.ts(now.AddDate(0, 0, -r.Intn(1500))), methods[r.Intn(len(methods))]
	}
	created := now.AddDate(0, 0, -(400 + r.Intn(2200)))
	last := now.AddDate(0, 0, -r.Intn(5*365))
	if last.Before(created) {
		last = created
	}
	var birth any
	if r.Intn(50) == 0 {
		birth = "1980-01-01"
	}
	first, family := firstNames[r.Intn(len(firstNames))], lastNames[r.Intn(len(lastNames))]
	_, err := tx.Exec(t.q(`INSERT INTO contacts (id, email, first_name, last_name, phone, company, contact_type, job_role,
		legal_basis, consent_at, consent_method, opt_out, legal_hold, lifecycle_stage, created_at, last_contact_at, birth_date)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, fmt.Sprintf("%s.%s.%d@example.test", strings.ToLower(first), strings.ToLower(family), id), first, family,
		fmt.Sprintf("+33 1 00 00 %02d %02d", id/100%100, id%100), companies[r.Intn(len(companies))], ctype,
		jobRoles[r.Intn(len(jobRoles))], nullIfEmpty(basis), consentAt, consentMethod,
		t.flag(r.Intn(20) == 0), t.flag(r.Intn(100) == 0), stage, t.ts(created), t.ts(last), birth)
	if err != nil {
		return err
	}
	if err := insertInteractions(t, tx, r, id, created, now); err != nil {
		return err
	}
	if r.Intn(3) == 0 {
		if _, err := tx.Exec(t.q("INSERT INTO notes (contact_id, created_at, body) VALUES (?, ?, ?)"), id, t.ts(last), "Met at a trade fair."); err != nil {
			return err
		}
	}
	return nil
}

func insertInteractions(t target, tx *sql.Tx, r *rand.Rand, id int, created, now time.Time) error {
	kinds := []string{"call", "email", "meeting"}
	dirs := []string{"inbound", "outbound"}
	for k := r.Intn(4); k > 0; k-- {
		at := created.Add(time.Duration(r.Int63n(int64(now.Sub(created)))))
		if _, err := tx.Exec(t.q("INSERT INTO interactions (contact_id, occurred_at, kind, direction) VALUES (?, ?, ?, ?)"),
			id, t.ts(at), kinds[r.Intn(len(kinds))], dirs[r.Intn(len(dirs))]); err != nil {
			return err
		}
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func count(t target) error {
	db, err := t.openShared()
	if err != nil {
		return err
	}
	defer db.Close()
	// The operator creates the ledger table on its first pass: none yet counts as no rows.
	var ledger bool
	exists := "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'crm_privacy_erasure_ledger'"
	ledgerTable := "crm_privacy_erasure_ledger"
	if t.engine == "postgres" {
		// The operator keeps its ledger in its own schema, crm_privacy.
		ledgerTable = "crm_privacy.crm_privacy_erasure_ledger"
		exists = "SELECT to_regclass('crm_privacy.crm_privacy_erasure_ledger') IS NOT NULL"
	}
	if err := db.QueryRow(exists).Scan(&ledger); err != nil {
		return fmt.Errorf("looking for the ledger table in %s: %w", t.name(), err)
	}
	for _, q := range []struct {
		label, query string
		skip         bool
	}{
		{"contacts", "SELECT COUNT(*) FROM contacts", false},
		{"prospects", "SELECT COUNT(*) FROM contacts WHERE lifecycle_stage = 'prospect'", false},
		{"interactions", "SELECT COUNT(*) FROM interactions", false},
		{"ledger rows (proof of erasure)", "SELECT COUNT(*) FROM " + ledgerTable, !ledger},
	} {
		var n int64
		if !q.skip {
			if err := db.QueryRow(q.query).Scan(&n); err != nil {
				return fmt.Errorf("counting %s in %s: %w", q.label, t.name(), err)
			}
		}
		fmt.Printf("  %-32s %d\n", q.label, n)
	}
	return nil
}

// pick prints the id and the email of a customer who has not opted out and is not on a
// legal hold (skipping the first skip of them), for the demo's data-subject requests: the
// id on standard error, the email alone on standard output, to pipe into the plugin.
func pick(t target, skip int) error {
	db, err := t.openShared()
	if err != nil {
		return err
	}
	defer db.Close()
	var id int64
	var email string
	err = db.QueryRow(t.q(`SELECT id, email FROM contacts WHERE lifecycle_stage = 'customer' AND contact_type = 'B2B'
		AND opt_out = ? AND legal_hold = ? ORDER BY id LIMIT 1 OFFSET ?`), t.flag(false), t.flag(false), skip).Scan(&id, &email)
	if err != nil {
		return fmt.Errorf("picking a customer in %s: %w", t.name(), err)
	}
	fmt.Fprintf(os.Stderr, "democrm: contact %d\n", id)
	fmt.Println(email)
	return nil
}

// person prints what the demo shows of one contact: whether it exists and has opted out.
func person(t target, id int) error {
	db, err := t.openShared()
	if err != nil {
		return err
	}
	defer db.Close()
	var optOut bool
	err = db.QueryRow(t.q("SELECT opt_out FROM contacts WHERE id = ?"), id).Scan(&optOut)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		fmt.Printf("  contact %d: not in the CRM\n", id)
		return nil
	case err != nil:
		return fmt.Errorf("reading contact %d in %s: %w", id, t.name(), err)
	}
	fmt.Printf("  contact %d: opt_out = %v\n", id, optOut)
	return nil
}
