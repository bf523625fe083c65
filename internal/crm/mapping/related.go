package mapping

import (
	"regexp"
	"strings"
)

// SourceRelated is a related table (Mapping.Related), named by Field.Related.
const SourceRelated Source = "related"

// MatchValuePattern is the shape of a fixed value a row must hold (Match.Value): letters,
// digits and a few punctuation marks, no quote or backslash, so that the value can be
// written into SQL as a constant on every engine, as row-filter policies need, as safely as
// a quoted identifier.
const MatchValuePattern = `^[A-Za-z0-9_][A-Za-z0-9_.:/@ -]{0,63}$`

var matchValueRE = regexp.MustCompile(MatchValuePattern)

// ValidMatchValue reports whether v fits MatchValuePattern.
func ValidMatchValue(v string) bool { return matchValueRE.MatchString(v) && !strings.HasSuffix(v, " ") }

// Match restricts a table to the rows whose column holds a fixed value: the discriminator
// of a polymorphic table (Odoo mail_message.model = 'res.partner', EspoCRM
// note.parent_type = 'Contact', Dolibarr actioncomm_resources.element_type = 'socpeople').
type Match struct {
	// Column name.
	Column string
	// Value the column must equal (MatchValuePattern), compared as the column's type reads
	// it ('1' matches an integer 1 and a boolean true). With a Lookup, the value the
	// looked-up row's column must equal.
	Value string
	// Lookup, when set, makes Column a reference into another table and compares the
	// referenced row's column with Value instead: Dolibarr's
	// llx_element_contact.fk_c_type_contact → llx_c_type_contact.rowid, whose source is
	// 'external' for a contact's role (an internal role's fk_socpeople is a user id).
	Lookup *MatchLookup
}

// MatchLookup is the table a Match's column references and the column compared there.
type MatchLookup struct {
	// Table is the referenced table (a code list such as llx_c_type_contact).
	Table string
	// Key is the column of Table that Match.Column references.
	Key string
	// Column is the column of Table compared with Match.Value.
	Column string
}

// RelatedErase is what happens to a contact's related rows when the contact is deleted.
type RelatedErase string

const (
	// RelatedKeep leaves the related rows alone (a shared table such as Odoo's
	// mail_blacklist, keyed by an e-mail address rather than by the contact).
	RelatedKeep RelatedErase = "keep"
	// RelatedDelete deletes them: for a 1:1 table its row, before the contact's (or after
	// it for a Base table); through a link table the contact's link rows, then the related
	// rows that no link row references any more (an e-mail address no other record uses).
	RelatedDelete RelatedErase = "delete"
)

// Normal returns the value in canonical form (lowercase; keep when empty).
func (e RelatedErase) Normal() RelatedErase {
	if e == "" {
		return RelatedKeep
	}
	return RelatedErase(strings.ToLower(string(e)))
}

// RelatedTable is another table that holds facts about a contact, reached either 1:1
// (Key equals the contact's ContactColumn) or through a link table (Link). Fields read
// from it (Field.Source related, Field.Related the table's Name) become a correlated
// subquery that yields the value of the first matching row in key order, NULL when there
// is none; a flag field with no row reads as false.
type RelatedTable struct {
	// Name identifies the related table in the mapping (InteractionNamePattern).
	Name string
	// Table name.
	Table string
	// Key is the related table's key: the column equal to ContactColumn for a 1:1 table,
	// the column the link's RelatedKey references otherwise.
	Key string
	// ContactColumn is the column of the contacts table that Key matches without a link
	// (the contact key when empty): Odoo's mail_blacklist is keyed by the partner's
	// normalised e-mail address.
	ContactColumn string
	// Link is the link table between contacts and the related table (EspoCRM's
	// entity_email_address, SuiteCRM's email_addr_bean_rel); nil for a 1:1 table.
	Link *RelatedLink
	// Match restricts the related table's rows (vtiger_crmentity.setype = 'Contacts').
	Match []Match
	// SoftDeleteColumn marks related rows the CRM has soft-deleted: they are ignored.
	SoftDeleteColumn string
	// Base says that the contacts table extends this table and shares its key (vtiger's
	// vtiger_crmentity): the contact's row here is deleted after the contact's own row.
	Base bool
	// Erase is what happens to the related rows when the contact is deleted.
	Erase RelatedErase
}

// RelatedLink is a link table between contacts and a related table.
type RelatedLink struct {
	// Table name.
	Table string
	// ContactKey references the contact key.
	ContactKey string
	// RelatedKey references RelatedTable.Key.
	RelatedKey string
	// Match restricts the link rows (entity_type = 'Contact').
	Match []Match
	// PrimaryColumn is a flag of the link rows marking the contact's primary row
	// (EspoCRM's primary, SuiteCRM's primary_address): fields read the primary row first.
	PrimaryColumn string
	// SoftDeleteColumn marks link rows the CRM has soft-deleted: they are ignored.
	SoftDeleteColumn string
}

// RelatedByName returns the related table of that name.
func (m Mapping) RelatedByName(name string) (RelatedTable, bool) {
	for _, r := range m.Related {
		if r.Name == name {
			return r, true
		}
	}
	return RelatedTable{}, false
}

func cloneMatches(ms []Match) []Match {
	out := append([]Match(nil), ms...)
	for i := range out {
		if out[i].Lookup != nil {
			l := *out[i].Lookup
			out[i].Lookup = &l
		}
	}
	return out
}

// cloneRelated returns a deep copy of r.
func cloneRelated(r RelatedTable) RelatedTable {
	r.Match = cloneMatches(r.Match)
	if r.Link != nil {
		l := *r.Link
		l.Match = cloneMatches(l.Match)
		r.Link = &l
	}
	return r
}

func mergeRelated(m *Mapping, o Mapping) {
	for _, r := range o.Related {
		r = cloneRelated(r)
		replaced := false
		for i := range m.Related {
			if m.Related[i].Name == r.Name {
				m.Related[i], replaced = r, true
				break
			}
		}
		if !replaced {
			m.Related = append(m.Related, r)
		}
	}
}
