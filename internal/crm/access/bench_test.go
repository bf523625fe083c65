package access

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// benchRoles is how many AccessRoles the benchmark reconciles on one database.
const benchRoles = 200

// benchWorkers is how many passes run at once: the controller's default
// MaxConcurrentReconciles in production deployments, over one pool of that many connections.
const benchWorkers = 4

// BenchmarkReconcile200Roles applies 200 AccessRole specs through Apply on one
// PostgreSQL database (4 at a time over one pool of 4 connections): each role has column
// grants on contacts, table grants on notes and deals and two members with managed logins
// and passwords; one role in ten has a row filter. The baseline is the hand-written
// CREATE ROLE / GRANT script for the same privileges, run on a second database.
//
// Reported: first_pass_s (target < 10 s), ms/role, second_pass_s, second_pass_grants (the
// GRANT/REVOKE statements of a second pass with nothing changed: must be 0), and
// vs_baseline (first pass time / baseline script time).
func BenchmarkReconcile200Roles(b *testing.B) {
	for i := 0; i < b.N; i++ {
		benchmarkReconcileRoles(b)
	}
}

func benchmarkReconcileRoles(b *testing.B) {
	b.StopTimer()
	ctx := context.Background()
	tdb, baseDB := testdb.Postgres(b), testdb.Postgres(b)
	admin, baseAdmin := tdb.Open(b), baseDB.Open(b)
	for _, d := range []*testdb.Database{tdb, baseDB} {
		d.LoadFile(b, filepath.Join(crmtest.SamplesDir(), crmtest.GenericSample(crm.EnginePostgres)))
	}
	db, err := crm.Open(crm.ConnConfig{Engine: crm.EnginePostgres, Host: tdb.Host, Port: tdb.Port, User: tdb.User,
		Password: tdb.Password, Database: tdb.Name, TLSMode: crm.TLSDisable, MaxOpenConns: benchWorkers})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetOperatorKeys(crmtest.TestOperatorKeys)
	prefix := uniqueName("bench")
	specs := benchSpecs(prefix)
	b.Cleanup(func() { dropBenchRoles(admin, specs) })

	baseline := runBaselineScript(b, baseAdmin, uniqueName("base"))

	b.StartTimer()
	start := time.Now()
	first := applyAll(ctx, b, db, specs)
	firstElapsed := time.Since(start)
	b.StopTimer()

	start = time.Now()
	second := applyAll(ctx, b, db, specs)
	secondElapsed := time.Since(start)

	if first.Grant == 0 {
		b.Fatal("the first pass granted nothing")
	}
	b.ReportMetric(firstElapsed.Seconds(), "first_pass_s")
	b.ReportMetric(float64(firstElapsed.Milliseconds())/benchRoles, "ms/role")
	b.ReportMetric(secondElapsed.Seconds(), "second_pass_s")
	b.ReportMetric(float64(second.Grant+second.Revoke), "second_pass_grants")
	b.ReportMetric(float64(second.Changes()), "second_pass_changes")
	b.ReportMetric(float64(first.Changes()), "first_pass_statements")
	b.ReportMetric(firstElapsed.Seconds()/baseline.Seconds(), "vs_baseline")
	if second.Grant+second.Revoke != 0 {
		b.Errorf("the second pass issued %d GRANT/REVOKE statements, want 0", second.Grant+second.Revoke)
	}
	if firstElapsed > 10*time.Second {
		b.Errorf("200 roles took %s, the target is under 10 s", firstElapsed)
	}
}

func benchSpecs(prefix string) []Spec {
	specs := make([]Spec, benchRoles)
	for i := range specs {
		role := fmt.Sprintf("%s_r%03d", prefix, i)
		specs[i] = Spec{Role: role, Owner: fmt.Sprintf("bench/role-%d", i), Grants: []TableGrant{
			{Table: "contacts", Privileges: []string{PrivSelect, PrivUpdate}, Columns: []string{"id", "email", "company", "contact_type"}},
			{Table: "notes", Privileges: []string{PrivSelect, PrivInsert}},
			{Table: "deals", Privileges: []string{PrivSelect, PrivInsert, PrivUpdate, PrivDelete}},
		}, Members: []Member{
			{User: role + "_a", Active: true, ManageLogin: true, Password: "pw-a-" + role},
			{User: role + "_b", Active: true, ManageLogin: true, Password: "pw-b-" + role},
		}}
		if i%10 == 0 {
			specs[i].RowFilter = &crm.Selector{{Field: crm.FieldContactType, Operator: crm.OpIn, Values: []string{"B2B"}}}
		}
	}
	return specs
}

// applyAll applies every spec, benchWorkers at a time, and sums the statements sent.
func applyAll(ctx context.Context, b *testing.B, db *crm.Database, specs []Spec) StatementCounts {
	m := crmtest.GenericMapping()
	var mu sync.Mutex
	var total StatementCounts
	var wg sync.WaitGroup
	next := make(chan Spec)
	for range benchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for spec := range next {
				res, err := Apply(ctx, db, m, spec)
				if err == nil && !res.InSync() {
					err = fmt.Errorf("drift left: %v", res.Remaining)
				}
				if err != nil {
					b.Errorf("role %s: %v", spec.Role, err)
					continue
				}
				mu.Lock()
				total.Grant += res.Statements.Grant
				total.Revoke += res.Statements.Revoke
				total.Other += res.Statements.Other
				mu.Unlock()
			}
		}()
	}
	for _, s := range specs {
		next <- s
	}
	close(next)
	wg.Wait()
	return total
}

// runBaselineScript runs the statements a DBA would write by hand for the same 200 roles
// (no observation, no diff, no password hashing on the client) and returns its duration.
func runBaselineScript(b *testing.B, admin *sql.DB, prefix string) time.Duration {
	var roles []string
	start := time.Now()
	for i := range benchRoles {
		role := fmt.Sprintf("%s_r%03d", prefix, i)
		roles = append(roles, role, role+"_a", role+"_b")
		for _, stmt := range []string{
			fmt.Sprintf(`CREATE ROLE %q NOLOGIN`, role),
			fmt.Sprintf(`GRANT SELECT (id, email, company, contact_type), UPDATE (id, email, company, contact_type) ON contacts TO %q`, role),
			fmt.Sprintf(`GRANT SELECT, INSERT ON notes TO %q`, role),
			fmt.Sprintf(`GRANT SELECT, INSERT, UPDATE, DELETE ON deals TO %q`, role),
			fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD 'pw-a'`, role+"_a"),
			fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD 'pw-b'`, role+"_b"),
			fmt.Sprintf(`GRANT %q TO %q, %q`, role, role+"_a", role+"_b"),
		} {
			if _, err := admin.Exec(stmt); err != nil {
				b.Fatalf("baseline %q: %v", stmt, err)
			}
		}
	}
	elapsed := time.Since(start)
	b.Cleanup(func() {
		for _, r := range roles {
			_, _ = admin.Exec(`DROP OWNED BY "` + r + `"`)
			_, _ = admin.Exec(`DROP ROLE IF EXISTS "` + r + `"`)
		}
	})
	return elapsed
}

func dropBenchRoles(admin *sql.DB, specs []Spec) {
	for _, s := range specs {
		for _, r := range []string{s.Role, s.Members[0].User, s.Members[1].User} {
			_, _ = admin.Exec(`DROP OWNED BY "` + r + `"`)
			_, _ = admin.Exec(`DROP ROLE IF EXISTS "` + r + `"`)
		}
	}
}
