package erasure

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// writerDeadline bounds how long a CRM writer may take in TestCountPlanNeverBlocksWriters:
// a write that waits for a lock the count holds would wait until it and fail the test.
const writerDeadline = 5 * time.Second

// TestCountPlanNeverBlocksWriters proves that the DryRun count takes no lock the CRM's
// writers wait for, and waits for none of theirs. The count's statements run inside a
// transaction that stays open (so any lock they took is still held) while another
// connection updates a contact and inserts one, and commits; then a writer keeps an
// uncommitted update while the count runs.
func TestCountPlanNeverBlocksWriters(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		seedExpired(t, ec.Engine, admin, 10)
		m, _ := crm.Preset(crm.PresetGeneric)
		ctx := crmtest.TestContext(t)

		// 1. The count's locks, held until its transaction ends, do not stop a writer. The
		// transaction is a plain one on its own connection: CountPlan opens none (its
		// statements are autocommit reads), and the operator's own SQLite transactions
		// begin IMMEDIATE, as writers.
		reader, err := crmtest.Source(t, db).Open(t).BeginTx(ctx, &sql.TxOptions{ReadOnly: ec.Engine != crm.EngineSQLite})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = reader.Rollback() }()
		p, err := countPlanner(ctx, db, m)
		if err != nil {
			t.Fatal(err)
		}
		counts, err := countPlan(ctx, db, reader, p, prospectPlan())
		if err != nil || len(counts) != 1 || counts[0].Pending != 10 {
			t.Fatalf("count in a transaction = %+v, %v; want 10 pending", counts, err)
		}
		writeContacts(t, ec.Engine, admin, 1, 100)
		if got := crmtest.QueryInt(t, admin, "SELECT COUNT(*) FROM contacts WHERE id = 100 OR (id = 1 AND email = 'renamed@example.test')"); got != 2 {
			t.Fatalf("the writer's rows committed: %d of 2", got)
		}
		if err := reader.Rollback(); err != nil {
			t.Fatal(err)
		}

		// 2. A writer's uncommitted update does not stop the count.
		writer, err := admin.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = writer.Rollback() }()
		if _, err := writer.ExecContext(ctx, "UPDATE contacts SET email = 'pending@example.test' WHERE id = 2"); err != nil {
			t.Fatal(err)
		}
		countCtx, cancel := context.WithTimeout(ctx, writerDeadline)
		defer cancel()
		counts, err = CountPlan(countCtx, db, m, prospectPlan())
		// Contact 1 was in touch in step 1; contact 2's uncommitted change is not seen.
		if err != nil || len(counts) != 1 || counts[0].Pending != 9 {
			t.Fatalf("count beside an uncommitted write = %+v, %v; want 9 pending", counts, err)
		}
		if err := writer.Commit(); err != nil {
			t.Fatal(err)
		}
	})
}

// writeContacts renames contact id and inserts contact newID on conn, in one transaction
// that must commit within writerDeadline.
func writeContacts(t *testing.T, e crm.Engine, conn *sql.DB, id, newID int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), writerDeadline)
	defer cancel()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	now := crm.BindTime(e, time.Now())
	for _, s := range []struct {
		q    string
		args []any
	}{
		{"UPDATE contacts SET email = 'renamed@example.test', last_contact_at = ? WHERE id = ?", []any{now, id}},
		{"INSERT INTO contacts (id, email, lifecycle_stage, contact_type, created_at, last_contact_at) VALUES (?, 'new@example.test', 'prospect', 'B2B', ?, ?)", []any{newID, now, now}},
	} {
		if _, err := tx.ExecContext(ctx, rebind(t, e, s.q), s.args...); err != nil {
			t.Fatalf("a CRM writer is blocked or failed while the count's transaction is open: %v", err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("a CRM writer could not commit while the count's transaction is open: %v", err)
	}
}

// rebind numbers the "?" markers of q for the engine.
func rebind(t *testing.T, e crm.Engine, q string) string {
	d, err := crm.DialectFor(e)
	if err != nil {
		t.Fatal(err)
	}
	return (&crm.SQLText{}).W(q).Query(d)
}

// On MariaDB a count may keep its materialised interactions in memory up to
// countTempTableBytes, and never lowers a larger limit the session has.
func TestMariaDBCountKeepsItsTemporaryTableInMemory(t *testing.T) {
	tdb := testdb.MariaDB(t)
	tdb.Open(t)
	db := crmtest.OpenCRM(t, tdb)
	prefix, err := mariadbCountPrefix(crmtest.TestContext(t), db)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("SET STATEMENT tmp_table_size = %d, max_heap_table_size = %d FOR ", countTempTableBytes, countTempTableBytes)
	if prefix != want {
		t.Errorf("prefix = %q, want %q", prefix, want)
	}
	var tmp int64
	if err := db.DB().QueryRowContext(crmtest.TestContext(t), prefix+"SELECT @@SESSION.tmp_table_size").Scan(&tmp); err != nil || tmp != countTempTableBytes {
		t.Errorf("the statement ran with tmp_table_size %d (%v), want %d", tmp, err, countTempTableBytes)
	}
}
