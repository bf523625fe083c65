package subject

import (
	"encoding/json"
	"fmt"
	"time"
)

// Document is the answer to an Access request (GDPR Art. 15): what each CRM database
// holds about the person and, from the register, what is done with it. The controller
// fills Request, GeneratedAt and Register; internal/crm/dsr.Export fills each Export.
type Document struct {
	// Request is the DataSubjectRequest, "namespace/name".
	Request string `json:"request"`
	// GeneratedAt is when the export was made.
	GeneratedAt time.Time `json:"generatedAt"`
	// Databases holds one export per CRM database searched, in the order given.
	Databases []Export `json:"databases"`
	// Register lists the processing activities that apply to the person (Art. 15(1)(a)–(h)):
	// purposes, legal bases, recipients, retention, source. The controller takes them from
	// the register; empty when it has none.
	Register []Activity `json:"register,omitempty"`
}

// Activity is what the register says about one processing activity that applies to the
// person: the facts Art. 15(1) lists.
type Activity struct {
	// Name is the ProcessingActivity's name.
	Name string `json:"name"`
	// Purposes of the processing.
	Purposes []string `json:"purposes,omitempty"`
	// LegalBasis is the legal basis (Art. 6(1)), with the legitimate interest pursued
	// when it is legitimate interests.
	LegalBasis string `json:"legalBasis,omitempty"`
	// DataCategories are the categories of personal data concerned.
	DataCategories []string `json:"dataCategories,omitempty"`
	// Recipients are the recipients or categories of recipients, processors included.
	Recipients []string `json:"recipients,omitempty"`
	// Transfers are the third countries the data goes to, each with its safeguard.
	Transfers []string `json:"transfers,omitempty"`
	// Retention is how long the data is kept, or the criteria that decide it.
	Retention string `json:"retention,omitempty"`
	// Source is where the data came from when not from the person.
	Source string `json:"source,omitempty"`
	// AutomatedDecisions says whether profiling or automated decision-making takes place.
	AutomatedDecisions string `json:"automatedDecisions,omitempty"`
}

// Export is everything one CRM database's mapping relates to the person: one Contact per
// matching contact row, ordered by contact key.
type Export struct {
	// Database is the CRMDatabase, "namespace/name" (set by the caller).
	Database string `json:"database"`
	// Contacts are the contact rows that matched the identity.
	Contacts []Contact `json:"contacts"`
}

// Contact is one contact row and everything that refers to it.
type Contact struct {
	// Key is the contact key, in canonical text form.
	Key string `json:"key"`
	// Fields are the mapped logical fields (mapping.fields and restricted fields), sorted
	// by name, with their column and value.
	Fields []Field `json:"fields"`
	// Row is every column of the contact row, in the table's column order: the logical
	// fields and whatever else the CRM keeps there.
	Row Table `json:"row"`
	// Extension is the 1:1 extension row (absent when the mapping has no extension table
	// or the contact has no row there).
	Extension *Table `json:"extension,omitempty"`
	// Interactions are, per mapped interaction source, the interactions linked to the
	// contact.
	Interactions []Table `json:"interactions,omitempty"`
	// Dependents are, per mapped dependent table (interaction tables already listed under
	// Interactions excepted), the rows referring to the contact.
	Dependents []Table `json:"dependents,omitempty"`
}

// Field is one logical field of a contact.
type Field struct {
	// Name is the logical field name (email, firstName, …).
	Name string `json:"name"`
	// Table and Column are where the CRM keeps it.
	Table  string `json:"table"`
	Column string `json:"column"`
	// Value is the value as text, nil for NULL.
	Value *string `json:"value"`
}

// Table is rows of one table: the contact row, the extension row, an interaction source
// or a dependent table.
type Table struct {
	// Name is the interaction source's name for interactions, else the table's name.
	Name string `json:"name"`
	// Table is the database table.
	Table string `json:"table"`
	// Columns are the column names, in the table's order.
	Columns []string `json:"columns"`
	// Rows are the rows, each with one value per column (nil for NULL), sorted by their
	// values so that the same data always gives the same export.
	Rows [][]*string `json:"rows"`
}

// JSON renders the document as indented JSON, for machines.
func (d Document) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("while encoding the access export: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseDocument reads a document written by Document.JSON.
func ParseDocument(b []byte) (Document, error) {
	var d Document
	if err := json.Unmarshal(b, &d); err != nil {
		return Document{}, fmt.Errorf("the access export is not valid JSON: %w", err)
	}
	return d, nil
}

// ContactCount is the number of contacts the document holds over all databases.
func (d Document) ContactCount() int {
	n := 0
	for _, e := range d.Databases {
		n += len(e.Contacts)
	}
	return n
}
