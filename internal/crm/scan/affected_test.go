package scan

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest"
)

// TestAffected counts the contacts a breach's selector picks on the scan fixture (14
// contacts, whose fields are listed in scanFixture) on every engine.
func TestAffected(t *testing.T) {
	tests := []struct {
		name string
		sel  crm.Selector
		want int64
	}{
		{"no selector: every contact", nil, 14},
		{"B2C contacts", crm.Selector{{Field: crm.FieldContactType, Operator: "In", Values: []string{"B2C"}}}, 3},
		{"opted out", crm.Selector{{Field: crm.FieldOptOut, Operator: "In", Values: []string{"true"}}}, 2},
		{"B2B sales", crm.Selector{{Field: crm.FieldContactType, Operator: "In", Values: []string{"B2B"}},
			{Field: crm.FieldJobRole, Operator: "In", Values: []string{"sales"}}}, 6}, // 1, 2, 8, 9, 10, 14
		{"no job role", crm.Selector{{Field: crm.FieldJobRole, Operator: "DoesNotExist"}}, 3},
		{"injection attempt selects nothing", crm.Selector{{Field: crm.FieldJobRole, Operator: "In", Values: []string{"x' OR '1'='1"}}}, 0},
	}
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		insertScanFixture(t, ec.Engine, admin)
		m, _ := crm.Preset(crm.PresetGeneric)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := Affected(crmtest.TestContext(t), db, m, tt.sel)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("Affected = %d, want %d", got, tt.want)
				}
			})
		}
		t.Run("unmapped field is a selector error", func(t *testing.T) {
			_, err := Affected(crmtest.TestContext(t), db, m, crm.Selector{{Field: "shoeSize", Operator: "Exists"}})
			var se *crm.SelectorError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *crm.SelectorError", err)
			}
		})
	})
}

// TestReadNotifyList reads the channels of known contacts: the list holds email and phone
// only, in key order, leaves out contacts without either, and stops at its size limit.
func TestReadNotifyList(t *testing.T) {
	crmtest.ForEachEngine(t, func(t *testing.T, ec crmtest.EngineCase, db *crm.Database, admin *sql.DB) {
		crmtest.LoadSample(t, admin, crmtest.GenericSample(ec.Engine))
		crmtest.ExecAll(t, admin,
			"INSERT INTO contacts (email, phone, first_name, contact_type, lifecycle_stage) VALUES ('ann@example.com', '+33 1 23 45 67 89', 'Ann', 'B2B', 'customer')",
			"INSERT INTO contacts (email, phone, first_name, contact_type, lifecycle_stage) VALUES (NULL, '+49 30 1234', 'Bob', 'B2B', 'customer')",
			"INSERT INTO contacts (email, phone, first_name, contact_type, lifecycle_stage) VALUES ('  ', NULL, 'Cid', 'B2B', 'customer')",
			"INSERT INTO contacts (email, phone, first_name, contact_type, lifecycle_stage) VALUES ('dee@example.com', NULL, 'Dee', 'B2C', 'customer')",
			"INSERT INTO contacts (email, phone, first_name, contact_type, lifecycle_stage) VALUES ('eve@example.com', NULL, 'Eve', 'B2B', 'prospect')",
		)
		m, _ := crm.Preset(crm.PresetGeneric)
		sel := crm.Selector{{Field: crm.FieldLifecycleStage, Operator: "In", Values: []string{"customer"}}}
		got, err := ReadNotifyList(crmtest.TestContext(t), db, m, sel, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		want := "email,phone\nann@example.com,+33 1 23 45 67 89\n,+49 30 1234\ndee@example.com,\n"
		if string(got.CSV) != want {
			t.Errorf("CSV:\n%s\nwant:\n%s", got.CSV, want)
		}
		if got.Contacts != 3 || got.Unreachable != 1 || len(got.Missing) != 0 {
			t.Errorf("Contacts=%d Unreachable=%d Missing=%v, want 3, 1, none", got.Contacts, got.Unreachable, got.Missing)
		}
		if _, err := ReadNotifyList(crmtest.TestContext(t), db, m, sel, 40); !errors.Is(err, ErrNotifyListTooLarge) {
			t.Errorf("a 40-byte limit: got %v, want ErrNotifyListTooLarge", err)
		}
		delete(m.Fields, crm.FieldPhone)
		got, err = ReadNotifyList(crmtest.TestContext(t), db, m, sel, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if want := "email,phone\nann@example.com,\ndee@example.com,\n"; string(got.CSV) != want || got.Unreachable != 2 {
			t.Errorf("without phone mapped: CSV %q unreachable %d, want %q and 2", got.CSV, got.Unreachable, want)
		}
	})
}
