package dsr

import (
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// An Erasure request on Odoo (PostgreSQL) of a partner who is the customer of a sales
// order and of an invoice — sale_order.partner_id is NOT NULL, account_move.partner_id
// and commercial_partner_id are ON DELETE RESTRICT, and orders and invoices are
// accounting records: Hold dependents of the preset — holds that partner, as a
// RetentionPolicy's sweep does: it is counted in Held and left untouched with its order,
// invoice, lead and messages, while the other partner of the same request is erased, its
// lead detached and the invoice it was the delivery address of kept without one. No
// ledger row is written for the held partner.
func TestEraseOdooHoldsSalesOrderCustomer(t *testing.T) {
	p := openPreset(t, testdb.Postgres, "odoo-postgres.sql", crm.PresetOdoo,
		"INSERT INTO res_partner (id, name, is_company, active, type, email) VALUES "+
			"(1, 'Ann', false, true, 'contact', 'ann@a.test'), (2, 'Flo', false, true, 'contact', 'flo@f.test')",
		"INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id, partner_shipping_id, state, amount_total, date_order) "+
			"VALUES ('S00002', 1, 2, 2, 2, 'sale', 250, '2015-03-02 10:00:00')",
		"INSERT INTO account_move (date, state, move_type, journal_id, currency_id, auto_post, partner_id, commercial_partner_id, partner_shipping_id, amount_total) "+
			"VALUES ('2015-03-02', 'posted', 'out_invoice', 1, 1, 'no', 2, 2, 1, 100)",
		"INSERT INTO crm_lead (id, name, type, partner_id) VALUES (1, 'Ann deal', 'opportunity', 1), (2, 'Flo deal', 'opportunity', 2)",
		"INSERT INTO mail_message (model, res_id, message_type, date, author_id, body) VALUES ('res.partner', 2, 'comment', '2015-03-02 10:00:00', 2, 'note')",
	)
	res, err := Erase(p.ctx, p.db, p.m, []string{"1", "2"}, nil, request(TypeErasure))
	if err != nil {
		t.Fatal(err)
	}
	if res != (EraseResult{Erased: 1, Held: 1}) {
		t.Errorf("Erase = %+v, want 1 erased, 1 held", res)
	}
	for _, c := range []check{
		{"SELECT COUNT(*) FROM res_partner WHERE id = 1", 0},
		{"SELECT COUNT(*) FROM crm_lead WHERE id = 1 AND partner_id IS NULL", 1},
		{"SELECT COUNT(*) FROM account_move WHERE partner_id = 2 AND commercial_partner_id = 2 AND partner_shipping_id IS NULL AND amount_total = 100", 1},
		{"SELECT COUNT(*) FROM res_partner WHERE id = 2 AND name = 'Flo' AND email = 'flo@f.test'", 1},
		{"SELECT COUNT(*) FROM sale_order WHERE partner_id = 2 AND amount_total = 250", 1},
		{"SELECT COUNT(*) FROM crm_lead WHERE id = 2 AND partner_id = 2", 1},
		{"SELECT COUNT(*) FROM mail_message WHERE res_id = 2 AND author_id = 2", 1},
	} {
		if n := crmtest.QueryInt(t, p.admin, c.q); n != c.want {
			t.Errorf("%s = %d, want %d", c.q, n, c.want)
		}
	}
	if rows := ledgerRows(t, p.admin, crm.EnginePostgres); len(rows) != 1 || rows[0][4] != subjectOf("1") {
		t.Errorf("ledger = %v, want one row, for partner 1", rows)
	}
}
