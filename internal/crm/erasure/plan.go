package erasure

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// Strategy is how an anonymised field is overwritten.
type Strategy string

const (
	// StrategyNull sets the field to NULL.
	StrategyNull Strategy = "Null"
	// StrategyRedact sets the field to RedactedValue.
	StrategyRedact Strategy = "Redact"
	// StrategyHash replaces the field with HashedPrefix and a keyed hash of its value, so
	// that equal values stay equal (for statistics) without being readable.
	StrategyHash Strategy = "Hash"
)

// RedactedValue replaces a field anonymised with the Redact strategy.
const RedactedValue = "REDACTED"

// HashedPrefix starts every value anonymised with the Hash strategy.
const HashedPrefix = "anon:"

// hashedHexLength is how many hex digits of the HMAC a hashed value keeps (96 bits).
const hashedHexLength = 24

// AnonymizeField is one field an Anonymize rule overwrites.
type AnonymizeField struct {
	Field    string
	Strategy Strategy
}

// Retention rule actions.
const (
	ActionDeleteContact    = "Delete"
	ActionAnonymizeContact = "Anonymize"
)

// RetentionRule is one rule of a policy, with its cutoff already computed.
type RetentionRule struct {
	Name     string
	Selector crm.Selector
	// Cutoff: a contact whose reference time is before it has outlived the term.
	Cutoff time.Time
	// Minimize: no term; every contact the selector matches is selected (data
	// minimisation: an Anonymize rule whose fields are cleared, dependents left alone).
	Minimize bool
	// SinceCreated counts the term from the creation time instead of the last contact.
	SinceCreated bool
	// RenewKinds are the interaction kinds that renew the term (compared case-insensitively);
	// empty means every kind.
	RenewKinds []string
	// RenewDirection is "", "Any", "Inbound" or "Outbound".
	RenewDirection string
	// Action is ActionDeleteContact or ActionAnonymizeContact.
	Action    string
	Anonymize []AnonymizeField
}

// RetentionPlan is the rules of a policy, in order, and its legal holds.
type RetentionPlan struct {
	Rules []RetentionRule
	Holds []crm.Selector
}

// RuleCount is what one rule selects now.
type RuleCount struct {
	Rule string
	// Pending is how many contacts the rule would erase or anonymise now.
	Pending int64
	// Held is how many contacts the rule selects that a legal hold keeps.
	Held int64
}

// planner turns a plan into SQL conditions over the contacts table (alias c) and its
// extension (alias x).
type planner struct {
	db      *crm.Database
	m       crm.Mapping
	tables  map[string]*crm.Table
	fields  *crm.FieldResolver // the logical fields, for selectors
	c, x    string             // quoted aliases
	key     string             // c.key
	keyText bool               // the key is not an integer
	// existsProbes renders the interaction probes as [NOT] EXISTS: over a whole table,
	// PostgreSQL and MariaDB turn them into (anti-)joins (see CountPlan).
	existsProbes bool
	// splitsCounts lets a count split on whether the last-contact time is known (see
	// countStatement).
	splitsCounts bool
	// last restricts expired to contacts whose last-contact time is known, or to those
	// whose is not; the statement must restrict its contacts alike (lastContactIs).
	last lastContact
	// countPrefix goes before each count statement (mariadbCountPrefix).
	countPrefix string
}

// lastContact is which contacts expired renders the term of, by their lastContactAt.
type lastContact int

const (
	// lastContactAny: every contact, whether its last-contact time is known or not (the
	// predicate as the sweep applies it).
	lastContactAny lastContact = iota
	// lastContactKnown: only contacts whose lastContactAt is set.
	lastContactKnown
	// lastContactUnknown: only contacts whose lastContactAt is NULL.
	lastContactUnknown
)

const (
	aliasContacts  = "c"
	aliasExtension = "x"
	aliasInter     = "i"
	aliasLink      = "l"
	aliasHold      = "hd"
	// aliasRelatedLink is the link table of a related table an interaction reaches its
	// contacts through (Interaction.Related).
	aliasRelatedLink = "rl"
	// aliasInterBase is the base table holding an interaction's soft-delete flag
	// (Interaction.SoftDeleteTable).
	aliasInterBase = "ib"
)

func newPlanner(ctx context.Context, db *crm.Database, m crm.Mapping) (*planner, error) {
	p := &planner{db: db, m: m, tables: map[string]*crm.Table{}}
	var err error
	if p.c, err = db.Dialect().QuoteIdent(aliasContacts); err != nil {
		return nil, err
	}
	if p.x, err = db.Dialect().QuoteIdent(aliasExtension); err != nil {
		return nil, err
	}
	if p.key, err = p.column(aliasContacts, m.Contacts.Key); err != nil {
		return nil, err
	}
	col, err := p.columnInfo(ctx, m.Contacts.Table, m.Contacts.Key)
	if err != nil {
		return nil, err
	}
	p.keyText = col.Class != crm.ClassInteger
	p.fields = crm.NewFieldResolver(db.Dialect(), db.DB(), m, p.c, p.x)
	p.fields.ShareTables(p.tables)
	if err := p.fields.ResolveAll(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *planner) table(ctx context.Context, name string) (*crm.Table, error) {
	if t, ok := p.tables[name]; ok {
		return t, nil
	}
	t, err := p.db.Dialect().DescribeTable(ctx, p.db.DB(), name)
	if err != nil {
		return nil, fmt.Errorf("while reading table %s: %w", name, err)
	}
	p.tables[name] = t
	return t, nil
}

func (p *planner) columnInfo(ctx context.Context, table, column string) (crm.Column, error) {
	t, err := p.table(ctx, table)
	if err != nil {
		return crm.Column{}, err
	}
	c, ok := t.Column(p.db.Dialect(), column)
	if !ok {
		return crm.Column{}, fmt.Errorf("column %s does not exist in table %s", column, table)
	}
	return c, nil
}

// column returns alias.column, quoted.
func (p *planner) column(alias, column string) (string, error) {
	a, err := p.db.Dialect().QuoteIdent(alias)
	if err != nil {
		return "", err
	}
	c, err := p.db.Dialect().QuoteIdent(column)
	if err != nil {
		return "", err
	}
	return a + "." + c, nil
}

// from renders the FROM clause: contacts, left-joined with the extension when mapped.
func (p *planner) from() (string, error) {
	t, err := p.contactsTable()
	if err != nil {
		return "", err
	}
	join, err := p.extensionJoin()
	return t + join, err
}

// contactsTable renders "contacts c".
func (p *planner) contactsTable() (string, error) {
	t, err := p.db.Dialect().QuoteIdent(p.m.Contacts.Table)
	return t + " " + p.c, err
}

// extensionJoin renders " LEFT JOIN extension x ON x.key = c.key", or "" without one.
func (p *planner) extensionJoin() (string, error) {
	ext := p.m.Extension
	if ext == nil {
		return "", nil
	}
	et, err := p.db.Dialect().QuoteIdent(ext.Table)
	if err != nil {
		return "", err
	}
	ek, err := p.column(aliasExtension, ext.Key)
	if err != nil {
		return "", err
	}
	return " LEFT JOIN " + et + " " + p.x + " ON " + ek + " = " + p.key, nil
}

// field returns the quoted column of a logical field (mapped, or restricted), or false
// when the mapping names it nowhere.
func (p *planner) field(name string) (string, bool, error) {
	col, ok, err := p.fields.Field(name)
	return col.SQL, ok, err
}

// timeCompare is "col < ?" (or >=) with the right time comparison for the engine.
func (p *planner) timeCompare(s *crm.SQLText, col, op string, t time.Time) {
	if p.db.Dialect().Engine() == crm.EngineSQLite {
		s.W("julianday(", col, ") ", op, " julianday(").Arg(crm.BindTime(crm.EngineSQLite, t)).W(")")
		return
	}
	s.W(col, " ", op, " ").Arg(t.UTC())
}

// selector renders a selector (see internal/crm/selector) as a condition that is never
// NULL ("(1=1)" when empty). path names it in the spec.
func (p *planner) selector(s *crm.SQLText, path string, sel crm.Selector) error {
	return p.fields.Compile(s, path, sel)
}

// held renders "a legal hold keeps the contact": the mapped legalHold flag, one of holds,
// or a row of a Hold dependent referencing it.
func (p *planner) held(s *crm.SQLText, holds []crm.Selector) error {
	s.W("(1=0")
	if cond, ok, err := p.fields.Truthy(crm.FieldLegalHold); err != nil {
		return err
	} else if ok {
		s.W(" OR ", cond)
	}
	for _, dep := range p.m.HoldDependents() {
		if err := p.heldByDependent(s, dep); err != nil {
			return err
		}
	}
	for i, h := range holds {
		s.W(" OR (")
		if err := p.selector(s, fmt.Sprintf("spec.legalHolds[%d].selector", i), h); err != nil {
			return err
		}
		s.W(")")
	}
	s.W(")")
	return nil
}

// heldByDependent renders " OR EXISTS (a row of dep referencing the contact)".
func (p *planner) heldByDependent(s *crm.SQLText, dep crm.Dependent) error {
	d := p.db.Dialect()
	q, err := crm.QuoteAll(d, dep.Table, aliasHold, dep.Column)
	if err != nil {
		return err
	}
	match, err := crm.MatchSQL(d, aliasHold, dep.Match)
	if err != nil {
		return err
	}
	s.W(" OR EXISTS (SELECT 1 FROM ", q[0], " ", q[1], " WHERE ", q[1], ".", q[2], " = ", p.key, match, ")")
	return nil
}

// expired renders "the contact's term under the rule has run out". A contact whose
// reference time is unknown is never expired.
func (p *planner) expired(ctx context.Context, s *crm.SQLText, where string, r RetentionRule) error {
	if r.Minimize {
		s.W("1=1")
		return nil
	}
	created, hasCreated, err := p.field(crm.FieldCreatedAt)
	if err != nil {
		return err
	}
	if r.SinceCreated {
		if !hasCreated {
			return &crm.SelectorError{Field: where, Message: "the term counts since creation but createdAt is not mapped"}
		}
		s.W("(", created, " IS NOT NULL AND ")
		p.timeCompare(s, created, "<", r.Cutoff)
		s.W(")")
		return nil
	}
	last, hasLast, err := p.field(crm.FieldLastContactAt)
	if err != nil {
		return err
	}
	sources := p.renewingSources(r)
	if !hasLast && !hasCreated && len(sources) == 0 {
		return &crm.SelectorError{Field: where, Message: "no last-contact time can be known: map lastContactAt, createdAt or an interaction source"}
	}
	// The last contact is before the cutoff, or, with no last contact, an older interaction
	// or the creation time is (p.last leaves out the case its statement excludes)…
	s.W("((")
	if hasLast && p.last != lastContactUnknown {
		s.W("(", last, " IS NOT NULL AND ")
		p.timeCompare(s, last, "<", r.Cutoff)
		s.W(")")
	}
	if hasLast && p.last == lastContactAny {
		s.W(" OR ")
	}
	if !hasLast || p.last != lastContactKnown {
		if err := p.expiredWithoutLast(ctx, s, sources, r, last, created); err != nil {
			return err
		}
	}
	// …and no renewing interaction is at or after it. The column comparison comes first:
	// MariaDB and SQLite evaluate a WHERE clause's conditions in the order written, so a
	// contact whose last contact is recent never runs the interaction subquery.
	s.W(") AND ")
	if err := p.interactions(ctx, s, sources, r, true, true); err != nil {
		return err
	}
	s.W(")")
	return nil
}

// expiredWithoutLast renders "the contact has no last contact, and a renewing interaction
// or its creation time is before the cutoff" (expired adds "and no renewing interaction is
// after it"). last and created are the columns of lastContactAt and createdAt, "" when not
// mapped.
func (p *planner) expiredWithoutLast(ctx context.Context, s *crm.SQLText, sources []crm.Interaction, r RetentionRule, last, created string) error {
	s.W("(")
	if last != "" {
		s.W(last, " IS NULL AND ")
	}
	s.W("(")
	if err := p.interactions(ctx, s, sources, r, false, false); err != nil {
		return err
	}
	if created != "" {
		s.W(" OR (", created, " IS NOT NULL AND ")
		p.timeCompare(s, created, "<", r.Cutoff)
		s.W(")")
	}
	s.W("))")
	return nil
}

// renewingSources are the interaction sources that can renew the rule's term.
func (p *planner) renewingSources(r RetentionRule) []crm.Interaction {
	var out []crm.Interaction
	for _, ia := range p.m.Interactions {
		if ia.Kind == "" && ia.FixedKind != "" && len(r.RenewKinds) > 0 && !containsFold(r.RenewKinds, ia.FixedKind) {
			continue
		}
		out = append(out, ia)
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// interactions renders, over the sources, either "no renewing interaction since the
// cutoff" (none=true, recent=true) or "some renewing interaction exists" (none=false,
// recent=false). The scalar subquery with LIMIT 1 makes every engine probe the
// (contact, time) index per contact rather than build a hash anti-join over the table.
func (p *planner) interactions(ctx context.Context, s *crm.SQLText, sources []crm.Interaction, r RetentionRule, none, recent bool) error {
	if len(sources) == 0 {
		if none {
			s.W("1=1")
		} else {
			s.W("1=0")
		}
		return nil
	}
	s.W("(")
	for i, ia := range sources {
		if i > 0 {
			if none {
				s.W(" AND ")
			} else {
				s.W(" OR ")
			}
		}
		if p.existsProbes && none {
			s.W("NOT ")
		}
		if p.existsProbes {
			s.W("EXISTS ")
		}
		s.W("(")
		if err := p.interactionProbe(ctx, s, ia, r, recent); err != nil {
			return err
		}
		switch {
		case p.existsProbes:
			s.W(")")
		case none:
			s.W(") IS NULL")
		default:
			s.W(") IS NOT NULL")
		}
	}
	s.W(")")
	return nil
}

// interactionProbe renders "SELECT 1 FROM … LIMIT 1" for one source and one contact.
func (p *planner) interactionProbe(ctx context.Context, s *crm.SQLText, ia crm.Interaction, r RetentionRule, recent bool) error {
	d := p.db.Dialect()
	table, err := d.QuoteIdent(ia.Table)
	if err != nil {
		return err
	}
	ia2, err := d.QuoteIdent(aliasInter)
	if err != nil {
		return err
	}
	timeCol, err := p.column(aliasInter, ia.Time)
	if err != nil {
		return err
	}
	s.W("SELECT 1 FROM ", table, " ", ia2)
	if l := ia.Link; l != nil {
		lt, err := d.QuoteIdent(l.Table)
		if err != nil {
			return err
		}
		la, _ := d.QuoteIdent(aliasLink)
		lik, err := p.column(aliasLink, l.InteractionKey)
		if err != nil {
			return err
		}
		ik, err := p.column(aliasInter, ia.Key)
		if err != nil {
			return err
		}
		lck, err := p.column(aliasLink, l.ContactKey)
		if err != nil {
			return err
		}
		s.W(" JOIN ", lt, " ", la, " ON ", lik, " = ", ik)
		if err := p.belongsToContact(s, ia, lck); err != nil {
			return err
		}
		if err := p.notDeleted(ctx, s, l.Table, aliasLink, l.SoftDeleteColumn); err != nil {
			return err
		}
		if err := p.match(s, aliasLink, l.Match); err != nil {
			return err
		}
	} else {
		ck, err := p.column(aliasInter, ia.ContactKey)
		if err != nil {
			return err
		}
		if err := p.belongsToContact(s, ia, ck); err != nil {
			return err
		}
	}
	if err := p.interactionNotDeleted(ctx, s, ia); err != nil {
		return err
	}
	if err := p.match(s, aliasInter, ia.Match); err != nil {
		return err
	}
	if recent {
		s.W(" AND ")
		p.timeCompare(s, timeCol, ">=", r.Cutoff)
	} else {
		s.W(" AND ", timeCol, " IS NOT NULL")
	}
	if err := p.kindAndDirection(s, ia, r); err != nil {
		return err
	}
	s.W(" LIMIT 1")
	return nil
}

// interactionNotDeleted adds "the interaction is not soft-deleted": its own soft-delete
// column, or, with Interaction.SoftDeleteTable, "no row of that base table with the
// interaction's key is marked deleted" (an interaction without a base row still counts:
// when in doubt, the contact is kept rather than erased).
func (p *planner) interactionNotDeleted(ctx context.Context, s *crm.SQLText, ia crm.Interaction) error {
	if ia.SoftDeleteTable == "" {
		return p.notDeleted(ctx, s, ia.Table, aliasInter, ia.SoftDeleteColumn)
	}
	info, err := p.columnInfo(ctx, ia.SoftDeleteTable, ia.SoftDeleteColumn)
	if err != nil {
		return err
	}
	bt, err := p.db.Dialect().QuoteIdent(ia.SoftDeleteTable)
	if err != nil {
		return err
	}
	ba, _ := p.db.Dialect().QuoteIdent(aliasInterBase)
	bk, err := p.column(aliasInterBase, ia.SoftDeleteKey)
	if err != nil {
		return err
	}
	ik, err := p.column(aliasInter, ia.Key)
	if err != nil {
		return err
	}
	col, err := p.column(aliasInterBase, ia.SoftDeleteColumn)
	if err != nil {
		return err
	}
	notDeleted, err := crm.SoftDeleteCondition(p.db.Dialect().Engine(), col, info.Class)
	if err != nil {
		return err
	}
	s.W(" AND NOT EXISTS (SELECT 1 FROM ", bt, " ", ba, " WHERE ", bk, " = ", ik, " AND NOT (", notDeleted, "))")
	return nil
}

// belongsToContact renders " WHERE <ref> = <contact key>", or, for an interaction whose
// reference column holds a related table's key (Interaction.Related), the join to that
// related table's link rows and " WHERE <link contact column> = <contact key>" with the
// link's matches.
func (p *planner) belongsToContact(s *crm.SQLText, ia crm.Interaction, ref string) error {
	if ia.Related == "" {
		s.W(" WHERE ", ref, " = ", p.key)
		return nil
	}
	rel, ok := p.m.RelatedByName(ia.Related)
	if !ok {
		return fmt.Errorf("interaction source %s names related table %s, which the mapping does not have", ia.Name, ia.Related)
	}
	j, err := crm.RelatedJoinSQL(p.db.Dialect(), rel, aliasRelatedLink, ref)
	if err != nil {
		return err
	}
	s.W(j.Join, " WHERE ", j.Contact, " = ", p.key, j.Match)
	return nil
}

// kindAndDirection restricts interactions to the kinds and direction the rule counts. A
// source without a direction column renews whatever the rule's direction: when the
// direction cannot be known, the contact is kept rather than erased.
func (p *planner) kindAndDirection(s *crm.SQLText, ia crm.Interaction, r RetentionRule) error {
	if len(r.RenewKinds) > 0 && ia.Kind != "" {
		kind, err := p.column(aliasInter, ia.Kind)
		if err != nil {
			return err
		}
		s.W(" AND LOWER(", kind, ") IN (")
		for i, k := range r.RenewKinds {
			if i > 0 {
				s.W(", ")
			}
			s.Arg(strings.ToLower(k))
		}
		s.W(")")
	}
	dir := strings.ToLower(r.RenewDirection)
	if (dir == "inbound" || dir == "outbound") && ia.Direction != "" {
		col, err := p.column(aliasInter, ia.Direction)
		if err != nil {
			return err
		}
		s.W(" AND LOWER(", col, ") = ").Arg(dir)
	}
	return nil
}

// match adds "the row holds the fixed values" of a polymorphic table (crm.MatchSQL).
func (p *planner) match(s *crm.SQLText, alias string, ms []crm.Match) error {
	cond, err := crm.MatchSQL(p.db.Dialect(), alias, ms)
	s.W(cond)
	return err
}

// notDeleted adds "the row is not soft-deleted" for a soft-delete column.
func (p *planner) notDeleted(ctx context.Context, s *crm.SQLText, table, alias, column string) error {
	if column == "" {
		return nil
	}
	info, err := p.columnInfo(ctx, table, column)
	if err != nil {
		return err
	}
	col, err := p.column(alias, column)
	if err != nil {
		return err
	}
	cond, err := crm.SoftDeleteCondition(p.db.Dialect().Engine(), col, info.Class)
	if err != nil {
		return err
	}
	s.W(" AND ", cond)
	return nil
}

// selected renders "rule i selects the contact": its selector matches and its term has
// run out. Holds are not considered here.
func (p *planner) selected(ctx context.Context, s *crm.SQLText, plan RetentionPlan, i int) error {
	r := plan.Rules[i]
	where := fmt.Sprintf("spec.rules[%d]", i)
	s.W("((")
	if err := p.selector(s, where+".selector", r.Selector); err != nil {
		return err
	}
	s.W(") AND ")
	if err := p.expired(ctx, s, where, r); err != nil {
		return err
	}
	s.W(")")
	return nil
}

// actedOn renders "rule i is the first rule that selects the contact", and, for an
// Anonymize rule, "something is left to anonymise" so that a contact is anonymised once.
func (p *planner) actedOn(ctx context.Context, s *crm.SQLText, plan RetentionPlan, i int) error {
	if err := p.selected(ctx, s, plan, i); err != nil {
		return err
	}
	for j := 0; j < i; j++ {
		s.W(" AND NOT ")
		if err := p.selected(ctx, s, plan, j); err != nil {
			return err
		}
	}
	if plan.Rules[i].Action == ActionAnonymizeContact {
		s.W(" AND ")
		return p.leftToAnonymise(s, plan.Rules[i])
	}
	return nil
}

// leftToAnonymise renders "some field of the rule still holds its original value".
func (p *planner) leftToAnonymise(s *crm.SQLText, r RetentionRule) error {
	if len(r.Anonymize) == 0 {
		return &crm.SelectorError{Field: "rule " + r.Name, Message: "action Anonymize needs fields to anonymise"}
	}
	s.W("(")
	for i, f := range r.Anonymize {
		col, ok, err := p.field(f.Field)
		if err != nil {
			return err
		}
		if !ok {
			return &crm.SelectorError{Field: "rule " + r.Name, Message: fmt.Sprintf("field %q to anonymise is not mapped on the CRMDatabase", f.Field)}
		}
		if i > 0 {
			s.W(" OR ")
		}
		switch f.Strategy {
		case StrategyNull:
			s.W(col, " IS NOT NULL")
		case StrategyRedact:
			s.W("(", col, " IS NOT NULL AND ", col, " <> '"+RedactedValue+"')")
		case StrategyHash:
			s.W("(", col, " IS NOT NULL AND ", col, " NOT LIKE '"+HashedPrefix+"%')")
		default:
			return &crm.SelectorError{Field: "rule " + r.Name, Message: fmt.Sprintf("unknown strategy %q: use Null, Redact or Hash", f.Strategy)}
		}
	}
	s.W(")")
	return nil
}

// CountPlan counts, for each rule in order, the contacts it would erase or anonymise now
// and the ones a legal hold keeps. Only counts leave the database.
//
// Each count is one read-only statement that takes no lock blocking the CRM's writers
// (PostgreSQL and MariaDB read a snapshot, SQLite in WAL mode reads while one writer
// writes). On PostgreSQL the counts run in a read-only transaction with JIT off: compiling
// the count's plan took longer than running it. Elsewhere they run outside any transaction
// (the operator's SQLite transactions begin IMMEDIATE, as writers).
func CountPlan(ctx context.Context, db *crm.Database, m crm.Mapping, plan RetentionPlan) ([]RuleCount, error) {
	counts, err := CountPlans(ctx, db, m, plan)
	if err != nil {
		return nil, err
	}
	return counts[0], nil
}

// CountPlans counts several plans over one mapping as CountPlan counts one, the counts of
// plan i in result i. On PostgreSQL they all run in the same read-only transaction, so they
// read one snapshot of the database and can be compared (a ChangePreview counts a candidate
// policy beside the live one this way).
func CountPlans(ctx context.Context, db *crm.Database, m crm.Mapping, plans ...RetentionPlan) ([][]RuleCount, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	p, err := countPlanner(ctx, db, m)
	if err != nil {
		return nil, db.Scrub(err)
	}
	if db.Dialect().Engine() == crm.EngineMySQL {
		if p.countPrefix, err = mariadbCountPrefix(ctx, db); err != nil {
			return nil, db.Scrub(err)
		}
	}
	if db.Dialect().Engine() != crm.EnginePostgres {
		return countPlans(ctx, db, db.DB(), p, plans)
	}
	tx, err := db.DB().BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, db.Scrub(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SET LOCAL jit = off"); err != nil {
		return nil, db.Scrub(err)
	}
	counts, err := countPlans(ctx, db, tx, p, plans)
	if err != nil {
		return nil, err
	}
	return counts, db.Scrub(tx.Commit())
}

// countTempTableBytes is how much memory a count on MariaDB lets its one statement give
// to an in-memory temporary table. MariaDB runs a count's NOT EXISTS over the renewing
// interactions by materialising them; past tmp_table_size (16 MiB by default, reached at
// about 1,000,000 contacts) the table moves to disk and the count took 5.7–6.6 s where the
// hand-written count, which probes per contact, took 3.3–3.8 s; with this much it took
// 4.0–4.5 s. The memory is taken only as the table grows, and given back when the
// statement ends.
const countTempTableBytes = 256 << 20

// mariadbCounts caches mariadbCountPrefix per Database.
var mariadbCounts sync.Map // *crm.Database → string

// mariadbCountPrefix returns, on MariaDB, the "SET STATEMENT … FOR " that lets one count
// statement keep up to countTempTableBytes of temporary table in memory, never lowering
// the session's own limits; "" on MySQL, whose SET STATEMENT does not exist (its TempTable
// engine has its own limits).
func mariadbCountPrefix(ctx context.Context, db *crm.Database) (string, error) {
	if v, ok := mariadbCounts.Load(db); ok {
		return v.(string), nil
	}
	var version string
	var tmp, heap int64
	if err := db.DB().QueryRowContext(ctx, "SELECT VERSION(), @@SESSION.tmp_table_size, @@SESSION.max_heap_table_size").Scan(&version, &tmp, &heap); err != nil {
		return "", fmt.Errorf("while reading the server's temporary table limits: %w", err)
	}
	prefix := ""
	if strings.Contains(strings.ToLower(version), "mariadb") {
		prefix = fmt.Sprintf("SET STATEMENT tmp_table_size = %d, max_heap_table_size = %d FOR ",
			max(tmp, countTempTableBytes), max(heap, countTempTableBytes))
	}
	mariadbCounts.Store(db, prefix)
	return prefix, nil
}

// countPlans runs countPlan for each plan through q.
func countPlans(ctx context.Context, db *crm.Database, q crm.Querier, p *planner, plans []RetentionPlan) ([][]RuleCount, error) {
	out := make([][]RuleCount, 0, len(plans))
	for _, plan := range plans {
		counts, err := countPlan(ctx, db, q, p, plan)
		if err != nil {
			return nil, err
		}
		out = append(out, counts)
	}
	return out, nil
}

// countPlanner returns the planner of CountPlan. A count reads every contact: joining the
// interactions once beats probing them per contact, except on SQLite, whose EXISTS is a
// probe per contact anyway (and measured slower than the scalar probe). Its counts split
// on the last-contact time (countStatement) on every engine: PostgreSQL then scans the
// contacts in parallel workers, and on MariaDB and SQLite the split count measured no
// slower than the unsplit one.
func countPlanner(ctx context.Context, db *crm.Database, m crm.Mapping) (*planner, error) {
	p, err := newPlanner(ctx, db, m)
	if err != nil {
		return nil, err
	}
	p.existsProbes = db.Dialect().Engine() != crm.EngineSQLite
	p.splitsCounts = true
	return p, nil
}

// countPlan runs CountPlan's statements through q.
func countPlan(ctx context.Context, db *crm.Database, q crm.Querier, p *planner, plan RetentionPlan) ([]RuleCount, error) {
	counts := make([]RuleCount, 0, len(plan.Rules))
	for i, r := range plan.Rules {
		s, err := p.countStatement(ctx, plan, i)
		if err != nil {
			return nil, err
		}
		var all, held int64
		if err := q.QueryRowContext(ctx, p.countPrefix+s.Query(db.Dialect()), s.Args...).Scan(&all, &held); err != nil {
			return nil, db.Scrub(fmt.Errorf("while counting the contacts rule %s selects: %w", r.Name, err))
		}
		counts = append(counts, RuleCount{Rule: r.Name, Pending: all - held, Held: held})
	}
	return counts, nil
}

// countStatement renders the count of rule i: the contacts it acts on, and how many of
// them a legal hold keeps.
//
// When a term reads the last-contact time (splitsOnLastContact), the count is the sum of
// two disjoint ones, in one statement so that both read the same snapshot: the contacts
// whose lastContactAt is set, and those whose is not. With the case fixed, expired leaves
// out the branch of the other case, and with it, from the first count, the probe for an
// older interaction that sat under an OR: PostgreSQL cannot turn that probe into a join,
// and a scan of contacts filtered by it stays out of the parallel workers.
func (p *planner) countStatement(ctx context.Context, plan RetentionPlan, i int) (*crm.SQLText, error) {
	s := &crm.SQLText{}
	if !p.splitsOnLastContact(plan, i) {
		return s, p.countCase(ctx, s, plan, i)
	}
	s.W("SELECT SUM(n), SUM(h) FROM (")
	if err := p.restrictedTo(lastContactKnown).countCase(ctx, s, plan, i); err != nil {
		return nil, err
	}
	s.W(" UNION ALL ")
	if err := p.restrictedTo(lastContactUnknown).countCase(ctx, s, plan, i); err != nil {
		return nil, err
	}
	s.W(") t")
	return s, nil
}

// countCase renders "SELECT COUNT(*) n, <held> h FROM … WHERE <rule i acts on the contact>"
// over the contacts of p.last.
func (p *planner) countCase(ctx context.Context, s *crm.SQLText, plan RetentionPlan, i int) error {
	from, err := p.from()
	if err != nil {
		return err
	}
	s.W("SELECT COUNT(*) n, COALESCE(SUM(CASE WHEN ")
	if err := p.held(s, plan.Holds); err != nil {
		return err
	}
	s.W(" THEN 1 ELSE 0 END), 0) h FROM ", from, " WHERE ")
	if err := p.lastContactIs(s); err != nil {
		return err
	}
	return p.actedOn(ctx, s, plan, i)
}

// splitsOnLastContact says whether the count of rule i splits on the last-contact time:
// the planner may (splitsCounts), lastContactAt is mapped, and the term of rule i or of an
// earlier one (actedOn renders them all) reads it and probes the interactions for the
// contacts without it. A field that cannot be read does not split: rendering the count
// reports its error.
func (p *planner) splitsOnLastContact(plan RetentionPlan, i int) bool {
	if !p.splitsCounts {
		return false
	}
	if _, ok, err := p.field(crm.FieldLastContactAt); err != nil || !ok {
		return false
	}
	for _, r := range plan.Rules[:i+1] {
		if !r.Minimize && !r.SinceCreated && len(p.renewingSources(r)) > 0 {
			return true
		}
	}
	return false
}

// restrictedTo returns a copy of p that renders the terms of the contacts of one case of
// the last-contact time only.
func (p *planner) restrictedTo(c lastContact) *planner {
	q := *p
	q.last = c
	return &q
}

// lastContactIs renders "the contact is of the case p.last AND " ("" for lastContactAny).
func (p *planner) lastContactIs(s *crm.SQLText) error {
	if p.last == lastContactAny {
		return nil
	}
	last, ok, err := p.field(crm.FieldLastContactAt)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("a count split on the last-contact time, which is not mapped")
	}
	if p.last == lastContactKnown {
		s.W(last, " IS NOT NULL AND ")
	} else {
		s.W(last, " IS NULL AND ")
	}
	return nil
}
