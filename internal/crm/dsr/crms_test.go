package dsr

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/dsr/subject"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// An access export on EspoCRM (its own schema, MariaDB) lists the e-mails that reach the
// person by address, as sender and as recipient, and no row of another kind of record
// whose id equals the contact's: not the e-mail sent to an account's address, an e-mail or
// a task whose parent is an account, although that account's id is the contact's.
func TestExportEspoCRMEmailsByAddress(t *testing.T) {
	const gus = "64b7f00000000000g"
	p := openPreset(t, testdb.MariaDB, "espocrm-mysql.sql", crm.PresetEspoCRM,
		"INSERT INTO contact (id, first_name, last_name) VALUES ('"+gus+"', 'Gus', 'G')",
		"INSERT INTO email_address (id, name, `lower`) VALUES ('ea000000000000004', 'gus@g.test', 'gus@g.test'), ('ea000000000000006', 'info@account.test', 'info@account.test')",
		"INSERT INTO entity_email_address (entity_id, email_address_id, entity_type, `primary`) VALUES ('"+gus+"', 'ea000000000000004', 'Contact', 1), ('"+gus+"', 'ea000000000000006', 'Account', 1)",
		"INSERT INTO email (id, name, date_sent, parent_id, parent_type, from_email_address_id) VALUES "+
			"('em000000000000001', 'to Gus', '2024-01-01 10:00:00', NULL, NULL, NULL), "+
			"('em000000000000002', 'from Gus', '2024-01-02 10:00:00', NULL, NULL, 'ea000000000000004'), "+
			"('em000000000000003', 'to the account', '2024-01-03 10:00:00', NULL, NULL, NULL), "+
			"('em000000000000004', 'about the account', '2024-01-04 10:00:00', '"+gus+"', 'Account', NULL), "+
			"('em000000000000005', 'about Gus', '2024-01-05 10:00:00', '"+gus+"', 'Contact', NULL)",
		"INSERT INTO email_email_address (email_id, email_address_id, address_type) VALUES "+
			"('em000000000000001', 'ea000000000000004', 'to'), ('em000000000000003', 'ea000000000000006', 'to')",
		"INSERT INTO task (id, name, parent_id, parent_type) VALUES "+
			"('ta000000000000001', 'call Gus', '"+gus+"', 'Contact'), ('ta000000000000002', 'account task', '"+gus+"', 'Account')",
	)
	e, err := Export(p.ctx, p.db, p.m, []string{gus})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Contacts) != 1 {
		t.Fatalf("exported %d contacts, want 1", len(e.Contacts))
	}
	got := map[string][]string{}
	for _, tb := range append(e.Contacts[0].Interactions, e.Contacts[0].Dependents...) {
		if ids := columnValues(tb, "id"); len(ids) > 0 {
			got[tb.Name] = ids
		}
	}
	want := map[string][]string{
		"emails":           {"em000000000000005"},
		"email-senders":    {"em000000000000002"},
		"email-recipients": {"em000000000000001"},
		"task":             {"ta000000000000001"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exported rows by source (-want +got):\n%s", diff)
	}
}

// columnValues returns the values of one column of an exported table, in row order.
func columnValues(tb subject.Table, column string) []string {
	var out []string
	for i, c := range tb.Columns {
		if c != column {
			continue
		}
		for _, r := range tb.Rows {
			if r[i] != nil {
				out = append(out, *r[i])
			}
		}
	}
	return out
}
