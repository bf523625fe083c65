// Command democrm creates the demo CRM of make demo: a SQLite file with the project's
// reference schema (config/samples/crm/generic-sqlite.sql) and a few thousand fictitious,
// deterministic contacts and interactions, and prints counts of what is in it.
//
//	go run ./hack/democrm seed -db .demo/crm.sqlite -contacts 3000
//	go run ./hack/democrm count -db .demo/crm.sqlite
//
// It is demo tooling: its SQL builds and reads the demo data, the operator never runs it.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: democrm seed|count -db FILE [-contacts N]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	path := fs.String("db", ".demo/crm.sqlite", "the SQLite file")
	n := fs.Int("contacts", 3000, "how many contacts to create")
	schema := fs.String("schema", "config/samples/crm/generic-sqlite.sql", "the schema to load")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "seed":
		err = seed(*path, *schema, *n)
	case "count":
		err = count(*path)
	default:
		err = fmt.Errorf("unknown command %q: use seed or count", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "democrm:", err)
		os.Exit(1)
	}
}

var comment = regexp.MustCompile(`--[^\n]*`)

func seed(path, schema string, n int) error {
	_ = os.Remove(path)
	db, err := sql.Open("sqlite", path)
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
		if err := insertContact(tx, r, id, now); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Printf("democrm: %s seeded with %d fictitious contacts\n", path, n)
	return nil
}

var (
	firstNames = []string{"Alex", "Camille", "Dominique", "Jordan", "Morgan", "Sacha", "Charlie", "Robin", "Noa", "Eden"}
	lastNames  = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"}
	companies  = []string{"Acme Tools", "Initech", "Umbrella Logistics", "Hooli", "Vandelay Imports", "Globex Corporation", "Stark Metals", "Wayne Foods"}
	jobRoles   = []string{"board", "sales", "technical", "purchasing", "marketing", "assistant"}
	methods    = []string{"web form", "phone", "email", "in person"}
)

func ts(t time.Time) any {
	return t.Format("2006-01-02 15:04:05+00:00")
}

// insertContact adds one contact with its interactions and notes. The mix: half
// prospects, a third customers, the rest leads; last contact spread over five years;
// some logged phone calls; a few opt-outs, legal holds, missing consent evidence and
// filled-in private fields, so that every check of the operator has something to find.
func insertContact(tx *sql.Tx, r *rand.Rand, id int, now time.Time) error {
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
		consentAt, consentMethod = ts(now.AddDate(0, 0, -r.Intn(1500))), methods[r.Intn(len(methods))]
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
	_, err := tx.Exec(`INSERT INTO contacts (id, email, first_name, last_name, phone, company, contact_type, job_role,
		legal_basis, consent_at, consent_method, opt_out, legal_hold, lifecycle_stage, created_at, last_contact_at, birth_date)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, fmt.Sprintf("%s.%s.%d@example.test", strings.ToLower(first), strings.ToLower(family), id), first, family,
		fmt.Sprintf("+33 1 00 00 %02d %02d", id/100%100, id%100), companies[r.Intn(len(companies))], ctype,
		jobRoles[r.Intn(len(jobRoles))], nullIfEmpty(basis), consentAt, consentMethod,
		boolInt(r.Intn(20) == 0), boolInt(r.Intn(100) == 0), stage, ts(created), ts(last), birth)
	if err != nil {
		return err
	}
	if err := insertInteractions(tx, r, id, created, now); err != nil {
		return err
	}
	if r.Intn(3) == 0 {
		if _, err := tx.Exec("INSERT INTO notes (contact_id, created_at, body) VALUES (?, ?, ?)", id, ts(last), "Met at a trade fair."); err != nil {
			return err
		}
	}
	return nil
}

func insertInteractions(tx *sql.Tx, r *rand.Rand, id int, created, now time.Time) error {
	kinds := []string{"call", "email", "meeting"}
	dirs := []string{"inbound", "outbound"}
	for k := r.Intn(4); k > 0; k-- {
		at := created.Add(time.Duration(r.Int63n(int64(now.Sub(created)))))
		if _, err := tx.Exec("INSERT INTO interactions (contact_id, occurred_at, kind, direction) VALUES (?, ?, ?, ?)",
			id, ts(at), kinds[r.Intn(len(kinds))], dirs[r.Intn(len(dirs))]); err != nil {
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

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func count(path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []struct{ label, query string }{
		{"contacts", "SELECT COUNT(*) FROM contacts"},
		{"prospects", "SELECT COUNT(*) FROM contacts WHERE lifecycle_stage = 'prospect'"},
		{"interactions", "SELECT COUNT(*) FROM interactions"},
		{"ledger rows (proof of erasure)", "SELECT COUNT(*) FROM crm_privacy_erasure_ledger"},
	} {
		var n int64
		if err := db.QueryRow(q.query).Scan(&n); err != nil {
			n = 0
		}
		fmt.Printf("  %-32s %d\n", q.label, n)
	}
	return nil
}
