package crm

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// The reference schemas shipped in config/samples/crm validate clean with their presets.
func TestReferenceSchemasValidateClean(t *testing.T) {
	for _, tc := range []struct {
		name   string
		open   func(testing.TB) *testdb.Database
		sample string
		preset string
	}{
		{"generic/postgres", testdb.Postgres, "generic-postgres.sql", PresetGeneric},
		{"generic/mariadb", testdb.MariaDB, "generic-mysql.sql", PresetGeneric},
		{"generic/sqlite", testdb.SQLite, "generic-sqlite.sql", PresetGeneric},
		{"suitecrm/mariadb", testdb.MariaDB, "suitecrm-mysql.sql", PresetSuiteCRM},
		{"suitecrm/postgres", testdb.Postgres, "suitecrm-postgres.sql", PresetSuiteCRM},
		{"odoo/postgres", testdb.Postgres, "odoo-postgres.sql", PresetOdoo},
		{"dolibarr/mariadb", testdb.MariaDB, "dolibarr-mysql.sql", PresetDolibarr},
		{"espocrm/mariadb", testdb.MariaDB, "espocrm-mysql.sql", PresetEspoCRM},
		{"vtiger/mariadb", testdb.MariaDB, "vtiger-mysql.sql", PresetVtiger},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tdb := tc.open(t)
			loadSample(t, tdb.Open(t), tc.sample)
			crm := openCRM(t, tdb)
			m, err := ResolveFor(testContext(t), crm, tc.preset, Mapping{})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Preset(tc.preset)
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("ResolveFor changed the preset on its own schema (-want +got):\n%s", diff)
			}
			ps, err := Validate(testContext(t), crm, m)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) > 0 {
				t.Errorf("problems on the reference schema:\n%s", problemsText(ps))
			}
		})
	}
}

// SuiteCRM before 7.10 kept the GDPR fields as custom fields of contacts_cstm: ResolveFor
// finds them there, plain Resolve reports them missing.
func TestSuiteCRMLegacyCustomFields(t *testing.T) {
	tdb := testdb.MariaDB(t)
	admin := tdb.Open(t)
	loadSample(t, admin, "suitecrm-mysql.sql")
	execAll(t, admin,
		"ALTER TABLE contacts DROP COLUMN lawful_basis, DROP COLUMN lawful_basis_source, DROP COLUMN date_reviewed",
		"ALTER TABLE contacts_cstm ADD COLUMN lawful_basis_c TEXT, ADD COLUMN lawful_basis_source VARCHAR(100), ADD COLUMN date_reviewed_c DATE",
	)
	crm := openCRM(t, tdb)
	ctx := testContext(t)

	plain, _ := Resolve(PresetSuiteCRM, Mapping{})
	ps, err := Validate(ctx, crm, plain)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mapping.fields[consentAt].column", "mapping.fields[consentMethod].column", "mapping.fields[legalBasis].column"}
	if diff := cmp.Diff(want, fieldsOf(ps)); diff != "" {
		t.Errorf("Resolve + Validate problems (-want +got):\n%s", diff)
	}

	// An explicit field is never moved.
	explicit := Mapping{Fields: map[string]Field{FieldConsentAt: {Column: "date_entered"}}}
	m, err := ResolveFor(ctx, crm, PresetSuiteCRM, explicit)
	if err != nil {
		t.Fatal(err)
	}
	wantFields := map[string]Field{
		FieldLegalBasis:    {Column: "lawful_basis_c", Source: SourceExtension},
		FieldConsentMethod: {Column: "lawful_basis_source", Source: SourceExtension},
		FieldConsentAt:     {Column: "date_entered"},
	}
	for name, f := range wantFields {
		if m.Fields[name] != f {
			t.Errorf("ResolveFor: fields[%s] = %+v, want %+v", name, m.Fields[name], f)
		}
	}
	if ps, err := Validate(ctx, crm, m); err != nil || len(ps) > 0 {
		t.Errorf("Validate after ResolveFor: %v\n%s", err, problemsText(ps))
	}
}

// Each kind of mistake is reported at its own mapping path, all at once.
func TestValidateReportsEachProblemByField(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Mapping)
		want   map[string]string // path → fragment of the message
	}{
		{
			name: "missing tables",
			mutate: func(m *Mapping) {
				m.Interactions[0].Table = "interaction"
				m.Dependents = append(m.Dependents, Dependent{Table: "note", Column: "contact_id", Action: ActionDelete})
				m.Extension = &ExtensionTable{Table: "contacts_custom", Key: "id_c"}
				m.Fields["loyaltyNumber"] = Field{Column: "loyalty", Source: SourceExtension}
			},
			want: map[string]string{
				"mapping.extension.table":                  "table contacts_custom does not exist",
				"mapping.interactions[interactions].table": "table interaction does not exist",
				"mapping.dependents[3].table":              "table note does not exist",
			},
		},
		{
			name: "missing columns",
			mutate: func(m *Mapping) {
				m.Fields[FieldEmail] = Field{Column: "emial"}
				m.Interactions[0].Time = "occured_at" //nolint:misspell // a deliberate typo, which validation must catch
				m.Dependents[2].Column = "contact"
				m.RestrictedFields[1].Column = "private_phone"
				m.Contacts.SoftDeleteColumn = "deleted"
			},
			want: map[string]string{
				"mapping.fields[email].column":                   "column emial does not exist in table contacts (did you mean email?)",
				"mapping.interactions[interactions].time":        "column occured_at does not exist in table interactions (did you mean occurred_at?)", //nolint:misspell // the typo above
				"mapping.dependents[2].column":                   "column contact does not exist in table deals",
				"mapping.restrictedFields[personalPhone].column": "column private_phone does not exist",
				"mapping.contacts.softDeleteColumn":              "column deleted does not exist",
			},
		},
		{
			name: "wrong types",
			mutate: func(m *Mapping) {
				m.Fields[FieldConsentAt] = Field{Column: "consent_method"}
				m.Fields[FieldOptOut] = Field{Column: "created_at"} // a date is no flag (text is: see the selector grammar)
				m.Fields[FieldContactType] = Field{Column: "birth_date"}
				m.Fields[FieldEmail] = Field{Column: "created_at"}
				m.Interactions[0].Kind = "occurred_at"
				m.Contacts.SoftDeleteColumn = "company"
			},
			want: map[string]string{
				"mapping.fields[consentAt].column":        "but field consentAt needs a ",
				"mapping.fields[optOut].column":           "but field optOut needs a boolean",
				"mapping.fields[contactType].column":      "but field contactType needs a text or integer column",
				"mapping.fields[email].column":            "but field email needs a text column",
				"mapping.interactions[interactions].kind": "but the interaction kind needs a text or integer column",
				"mapping.contacts.softDeleteColumn":       "but the soft-delete marker needs a boolean/integer flag or a date/timestamp column",
			},
		},
		{
			name: "references and nullify",
			mutate: func(m *Mapping) {
				m.Dependents[1].Column = "body"
				m.Dependents[0].Action = "Nullify" // as spelt in the Kubernetes API
				m.Interactions[0].ContactKey = "kind"
			},
			want: map[string]string{
				"mapping.dependents[1].column":                  "column notes.body has type",
				"mapping.dependents[0].action":                  "nullify needs a nullable column, but interactions.contact_id is NOT NULL",
				"mapping.interactions[interactions].contactKey": "a column referencing contacts must have a type that joins to the key",
			},
		},
		{
			name: "non-unique contact key",
			mutate: func(m *Mapping) {
				*m = Mapping{Contacts: ContactsTable{Table: "contacts", Key: "last_name"}}
			},
			want: map[string]string{
				"mapping.contacts.key": "column last_name is not unique in table contacts, but the contact key identifies one contact: declare it PRIMARY KEY or add a UNIQUE constraint",
			},
		},
		{
			name: "non-unique extension key",
			mutate: func(m *Mapping) {
				m.Extension = &ExtensionTable{Table: "notes", Key: "contact_id"}
			},
			want: map[string]string{
				"mapping.extension.key": "column contact_id is not unique in table notes, but the extension table is 1:1",
			},
		},
		{
			name: "static and catalog problems together",
			mutate: func(m *Mapping) {
				m.Fields[FieldPhone] = Field{Column: "phone; DROP TABLE contacts"}
				m.Fields[FieldCompany] = Field{Column: "firm"}
				m.Dependents[0].Action = "cascade"
			},
			want: map[string]string{
				"mapping.fields[phone].column":   "is not a valid SQL identifier",
				"mapping.fields[company].column": "column firm does not exist",
				"mapping.dependents[0].action":   `"cascade" is not an action`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB) {
				loadSample(t, admin, genericSample(ec.engine))
				m, _ := Preset(PresetGeneric)
				tc.mutate(&m)
				ps, err := Validate(testContext(t), crm, m)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, p := range ps {
					got[p.Field] += p.Message
				}
				if diff := cmp.Diff(sortedKeys(tc.want), sortedKeys(got), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("problem fields (-want +got):\n%s\n%s", diff, problemsText(ps))
				}
				for path, fragment := range tc.want {
					if !strings.Contains(got[path], fragment) {
						t.Errorf("%s: message %q does not contain %q", path, got[path], fragment)
					}
				}
			})
		})
	}
}

// PostgreSQL compares quoted names exactly; MySQL and SQLite columns ignore case.
func TestValidateNameCase(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB) {
		loadSample(t, admin, genericSample(ec.engine))
		m, _ := Preset(PresetGeneric)
		m.Fields[FieldEmail] = Field{Column: "Email"}
		ps, err := Validate(testContext(t), crm, m)
		if err != nil {
			t.Fatal(err)
		}
		if ec.engine != EnginePostgres {
			if len(ps) > 0 {
				t.Errorf("problems:\n%s", problemsText(ps))
			}
			return
		}
		want := []Problem{{
			Field:   "mapping.fields[email].column",
			Message: "column Email does not exist in table contacts (did you mean email? names are case-sensitive on postgres)",
			Kind:    ProblemMissingColumn, Table: "contacts", Column: "Email",
		}}
		if diff := cmp.Diff(want, ps); diff != "" {
			t.Errorf("problems (-want +got):\n%s", diff)
		}
	})
}

// A time column of SQLite declared TEXT is refused with the SQLite-specific advice.
func TestValidateSQLiteTimeAffinity(t *testing.T) {
	tdb := testdb.SQLite(t)
	execAll(t, tdb.Open(t),
		"CREATE TABLE people (id INTEGER PRIMARY KEY, created TEXT, seen DATETIME, born NUMERIC)",
	)
	crm := openCRM(t, tdb)
	m := Mapping{
		Contacts: ContactsTable{Table: "people", Key: "id"},
		Fields: map[string]Field{
			FieldCreatedAt: {Column: "created"}, FieldLastContactAt: {Column: "seen"}, FieldBirthDate: {Column: "born"},
		},
	}
	ps, err := Validate(testContext(t), crm, m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mapping.fields[birthDate].column", "mapping.fields[createdAt].column"}
	if diff := cmp.Diff(want, fieldsOf(ps)); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	if !strings.Contains(ps[1].Message, "declare it DATE, DATETIME or TIMESTAMP") {
		t.Errorf("message = %q", ps[1].Message)
	}
}

// A contacts view cannot prove its key unique; the message says so.
func TestValidateContactsView(t *testing.T) {
	tdb := testdb.Postgres(t)
	execAll(t, tdb.Open(t),
		"CREATE TABLE people (id bigint PRIMARY KEY, mail text)",
		"CREATE VIEW contacts AS SELECT id, mail FROM people",
	)
	crm := openCRM(t, tdb)
	ps, err := Validate(testContext(t), crm, Mapping{Contacts: ContactsTable{Table: "contacts", Key: "id"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "a view cannot guarantee uniqueness") {
		t.Errorf("problems = %v", ps)
	}
}

func problemsText(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

// Table names: case-sensitive on PostgreSQL (quoted) and on MariaDB on Linux
// (lower_case_table_names=0), case-insensitive on SQLite.
func TestValidateTableNameCase(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB) {
		loadSample(t, admin, genericSample(ec.engine))
		m := Mapping{Contacts: ContactsTable{Table: "Contacts", Key: "id"}}
		ps, err := Validate(testContext(t), crm, m)
		if err != nil {
			t.Fatal(err)
		}
		if ec.engine == EngineSQLite {
			if len(ps) > 0 {
				t.Errorf("problems:\n%s", problemsText(ps))
			}
			if n, err := crm.CountContacts(testContext(t), m); err != nil || n != 0 {
				t.Errorf("CountContacts = %d, %v", n, err)
			}
			return
		}
		if len(ps) != 1 || ps[0].Field != "mapping.contacts.table" || !strings.Contains(ps[0].Message, "did you mean contacts?") {
			t.Errorf("problems:\n%s", problemsText(ps))
		}
		// The check agrees with the server: the statement fails too.
		if _, err := crm.CountContacts(testContext(t), m); err == nil {
			t.Error("CountContacts on a table the check reports missing succeeded")
		}
	})
}
