package scan

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// The checks of a compliance scan, named as the fields of a ProcessingActivity's
// status.compliance that hold their counts.
const (
	// CheckNoLegalBasis counts contacts whose legalBasis is empty or is none of the six bases
	// (see LegalBasisOf): SuiteCRM's "withdrawn" is no basis.
	CheckNoLegalBasis = "noLegalBasis"
	// CheckConsentWithoutEvidence counts contacts on consent whose consentAt is empty or whose
	// consentMethod is empty or blank.
	CheckConsentWithoutEvidence = "consentWithoutEvidence"
	// CheckLegitimateInterestOutOfScope counts contacts on legitimate interests whose
	// contactType or jobRole is empty or not one the LIA's scope allows.
	CheckLegitimateInterestOutOfScope = "legitimateInterestOutOfScope"
	// CheckOptedOutInScope counts contacts whose optOut is true.
	CheckOptedOutInScope = "optedOutInScope"
	// CheckRestrictedFieldsFilled counts contacts with at least one restricted field filled in
	// (not NULL, and not blank for a text column).
	CheckRestrictedFieldsFilled = "restrictedFieldsFilled"
)

// Checks returns the checks in the order they are reported.
func Checks() []string {
	return []string{CheckNoLegalBasis, CheckConsentWithoutEvidence, CheckLegitimateInterestOutOfScope,
		CheckOptedOutInScope, CheckRestrictedFieldsFilled}
}

// The six legal bases of GDPR Art. 6(1), spelt as the API's LegalBasisType.
const (
	BasisConsent             = "Consent"
	BasisContract            = "Contract"
	BasisLegalObligation     = "LegalObligation"
	BasisVitalInterests      = "VitalInterests"
	BasisPublicTask          = "PublicTask"
	BasisLegitimateInterests = "LegitimateInterests"
)

// legalBasisSpellings are, for each basis, the values of the legalBasis field that record
// it, lowercase, compared with the trimmed and lowercased field: the API name, its
// snake_case and spaced forms, and SuiteCRM's lawful_basis_dom key.
var legalBasisSpellings = map[string][]string{
	BasisConsent:             {"consent"},
	BasisContract:            {"contract"},
	BasisLegalObligation:     {"legalobligation", "legal_obligation", "legal obligation"},
	BasisVitalInterests:      {"vitalinterests", "vital_interests", "vital interests", "protection_of_interest"},
	BasisPublicTask:          {"publictask", "public_task", "public task", "public_interest"},
	BasisLegitimateInterests: {"legitimateinterests", "legitimate_interests", "legitimate interests", "legitimate_interest", "legitimate interest"},
}

// suiteCRMBasisKeys are SuiteCRM's lawful_basis_dom keys. SuiteCRM stores its multienum as
// "^key^" or "^key1^,^key2^"; a value holding "^key^" anywhere records that basis.
var suiteCRMBasisKeys = map[string]string{
	BasisConsent:             "consent",
	BasisContract:            "contract",
	BasisLegalObligation:     "legal_obligation",
	BasisVitalInterests:      "protection_of_interest",
	BasisPublicTask:          "public_interest",
	BasisLegitimateInterests: "legitimate_interest",
}

// LegalBases returns the six bases in the API's order.
func LegalBases() []string {
	return []string{BasisConsent, BasisContract, BasisLegalObligation, BasisVitalInterests, BasisPublicTask, BasisLegitimateInterests}
}

// LegalBasisOf returns the bases a legalBasis value records, as the scan's SQL reads it:
// none for an empty or unknown value (such a contact has no legal basis), several for a
// SuiteCRM multienum such as "^consent^,^contract^".
func LegalBasisOf(value string) []string {
	v := strings.ToLower(strings.TrimSpace(value))
	var out []string
	for _, b := range LegalBases() {
		match := strings.Contains(v, "^"+suiteCRMBasisKeys[b]+"^")
		for _, s := range legalBasisSpellings[b] {
			match = match || v == s
		}
		if match {
			out = append(out, b)
		}
	}
	return out
}

// LIAScope is what a legitimate interests assessment covers.
type LIAScope struct {
	// ContactTypes are the contactType values allowed (B2B).
	ContactTypes []string
	// JobRoles are the jobRole values allowed.
	JobRoles []string
}

// Spec is what a compliance scan looks at.
type Spec struct {
	// Selector picks the contacts in scope (the activity's spec.contactSelector), compiled
	// by internal/crm/selector as for retention rules and row filters. Empty: every (not
	// soft-deleted) contact.
	Selector crm.Selector
	// LegitimateInterest, when not nil, runs CheckLegitimateInterestOutOfScope against this
	// scope. An empty scope (the LIA is missing or not approved) puts every contact on
	// legitimate interests out of scope.
	LegitimateInterest *LIAScope
	// Marketing runs CheckOptedOutInScope: an opt-out stops a marketing processing.
	Marketing bool
}

// Result is the outcome of a compliance scan: counts only, never contacts.
type Result struct {
	// InScope is the number of contacts the selector picks.
	InScope int64
	// Counts holds the count of each check that ran.
	Counts map[string]int64
	// NotCheckable holds, for each check that applies but could not run, why: the logical
	// fields the mapping lacks. Such a check has no count (it is not zero).
	NotCheckable map[string]string
}

// Compliance counts, in one query, the contacts in scope and the contacts in scope that
// break each applicable rule. Nothing but counts leaves the database. A check whose fields
// the mapping lacks is reported in NotCheckable and not run. The selector's values are
// bound parameters and every identifier is quoted; a selector that cannot be compiled (an
// unmapped field, a value that does not fit its field) fails with *SelectorError.
func Compliance(ctx context.Context, db *crm.Database, m crm.Mapping, spec Spec) (Result, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	q, err := newScanQuery(ctx, db, m)
	if err != nil {
		return Result{}, db.Scrub(err)
	}
	checks, notCheckable := q.checks(spec)
	selects := []string{"COUNT(*)"}
	for _, c := range checks {
		selects = append(selects, "COALESCE(SUM(CASE WHEN "+c.cond+" THEN 1 ELSE 0 END), 0)")
	}
	where, err := q.where(ctx, spec.Selector)
	if err != nil {
		return Result{}, db.Scrub(err)
	}
	query := &crm.SQLText{Args: q.args}
	query.W("SELECT "+strings.Join(selects, ", ")+" FROM "+q.from(), where)
	counts := make([]int64, len(selects))
	dest := make([]any, len(selects))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := db.DB().QueryRowContext(ctx, query.Query(db.Dialect()), query.Args...).Scan(dest...); err != nil {
		return Result{}, db.Scrub(fmt.Errorf("while scanning the contacts of table %s: %w", m.Contacts.Table, err))
	}
	res := Result{InScope: counts[0], Counts: map[string]int64{}, NotCheckable: notCheckable}
	for i, c := range checks {
		res.Counts[c.name] = counts[i+1]
	}
	return res, nil
}

// scanColumn is a mapped column as the scan query names it.
type scanColumn struct {
	sql   string // alias-qualified, quoted
	class crm.TypeClass
}

// scanQuery builds the scan's SQL: quoted columns, "?" markers and their arguments in
// order (renumbered for the dialect when the statement is run).
type scanQuery struct {
	db       *crm.Database
	m        crm.Mapping
	fields   *crm.FieldResolver
	cols     map[string]scanColumn // mapped fields
	restrict []scanColumn          // restricted fields
	args     []any
}

const (
	contactsAlias  = "c"
	extensionAlias = "e"
)

// newScanQuery resolves every mapped field and restricted field to its quoted column and
// type class, reading the catalog of the contacts and extension tables once.
func newScanQuery(ctx context.Context, db *crm.Database, m crm.Mapping) (*scanQuery, error) {
	q := &scanQuery{db: db, m: m, cols: map[string]scanColumn{},
		fields: crm.NewFieldResolver(db.Dialect(), db.DB(), m, contactsAlias, extensionAlias)}
	if err := q.fields.ResolveAll(ctx); err != nil {
		return nil, err
	}
	for _, name := range m.FieldNames() {
		col, ok, err := q.fields.Field(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", crm.PathField(name, "column"), err)
		}
		if ok {
			q.cols[name] = scanColumn{sql: col.SQL, class: crm.TypeClass(col.Storage)}
		}
	}
	for i, r := range m.RestrictedFields {
		col, _, err := q.fields.Resolve(ctx, r.Name, crm.Field{Column: r.Column, Source: r.Source, Related: r.Related})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", crm.PathRestricted(i, r, "column"), err)
		}
		q.restrict = append(q.restrict, scanColumn{sql: col.SQL, class: crm.TypeClass(col.Storage)})
	}
	return q, nil
}

// bind adds an argument and returns its placeholder.
func (q *scanQuery) bind(v any) string {
	q.args = append(q.args, v)
	return "?"
}

func (q *scanQuery) bindAll(values []string) string {
	ps := make([]string, len(values))
	for i, v := range values {
		ps[i] = q.bind(v)
	}
	return strings.Join(ps, ", ")
}

// from is the contacts table, joined to its extension when a field lives there.
func (q *scanQuery) from() string {
	d := q.db.Dialect()
	contacts, _ := d.QuoteIdent(q.m.Contacts.Table)
	out := contacts + " " + contactsAlias
	if q.fields.UsesExt && q.m.Extension != nil {
		ext, _ := d.QuoteIdent(q.m.Extension.Table)
		extKey, _ := d.QuoteIdent(q.m.Extension.Key)
		key, _ := d.QuoteIdent(q.m.Contacts.Key)
		out += " LEFT JOIN " + ext + " " + extensionAlias + " ON " + extensionAlias + "." + extKey + " = " + contactsAlias + "." + key
	}
	return out
}

// where keeps the contacts the CRM has not soft-deleted and the selector picks.
func (q *scanQuery) where(ctx context.Context, sel crm.Selector) (string, error) {
	var conds []string
	active, err := q.db.ActiveContactCondition(ctx, q.m, contactsAlias)
	if err != nil {
		return "", err
	}
	if active != "" {
		conds = append(conds, active)
	}
	if len(sel) > 0 {
		s := &crm.SQLText{}
		if err := q.fields.Compile(s, "spec.contactSelector", sel); err != nil {
			return "", err
		}
		conds = append(conds, s.Text())
		q.args = append(q.args, s.Args...)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), nil
}

// optedOut is true when the optOut flag is set (see selector.Compiler.Truthy).
func (q *scanQuery) optedOut() string {
	cond, _, _ := q.fields.Truthy(crm.FieldOptOut)
	return cond
}

// text renders a column as text, casting non-text columns.
func (q *scanQuery) text(col scanColumn) string {
	if col.class == crm.ClassText || col.class == crm.ClassUnknown {
		return col.sql
	}
	switch q.db.Engine() {
	case crm.EngineMySQL:
		return "CAST(" + col.sql + " AS CHAR)"
	case crm.EngineSQLite:
		return "CAST(" + col.sql + " AS TEXT)"
	}
	return "CAST(" + col.sql + " AS text)"
}

// normalised is the column as text, trimmed and lowercased.
func (q *scanQuery) normalised(col scanColumn) string {
	return "LOWER(TRIM(" + q.text(col) + "))"
}

// filled is true when a column holds a value (not blank, for text).
func (q *scanQuery) filled(col scanColumn) string {
	if col.class == crm.ClassText {
		return "(" + col.sql + " IS NOT NULL AND TRIM(" + col.sql + ") <> '')"
	}
	return col.sql + " IS NOT NULL"
}

// basis is true when the legalBasis column records the basis (see LegalBasisOf).
func (q *scanQuery) basis(col scanColumn, basis string) string {
	norm := q.normalised(col)
	key := strings.ReplaceAll(suiteCRMBasisKeys[basis], "_", "!_")
	return "(" + norm + " IN (" + q.bindAll(legalBasisSpellings[basis]) + ") OR " +
		norm + " LIKE " + q.bind("%^"+key+"^%") + " ESCAPE '!')"
}

// noBasis is true when the legalBasis column records none of the six bases.
func (q *scanQuery) noBasis(col scanColumn) string {
	parts := make([]string, 0, len(LegalBases()))
	for _, b := range LegalBases() {
		parts = append(parts, q.basis(col, b))
	}
	return "(" + col.sql + " IS NULL OR NOT (" + strings.Join(parts, " OR ") + "))"
}

// notIn is true when the column is empty or its normalised value is none of values.
func (q *scanQuery) notIn(col scanColumn, values []string) string {
	if len(values) == 0 {
		return "1 = 1"
	}
	lower := make([]string, len(values))
	for i, v := range values {
		lower[i] = strings.ToLower(strings.TrimSpace(v))
	}
	return "(" + col.sql + " IS NULL OR " + q.normalised(col) + " NOT IN (" + q.bindAll(lower) + "))"
}

// scanCheck is one check as SQL: the condition a contact in scope that fails it meets,
// and the arguments of its markers, in order. Compliance counts the contacts that meet
// cond; FindingKeys lists them: one condition for both.
type scanCheck struct {
	name string
	cond string
	args []any
}

// checks renders the applicable checks whose fields are mapped, and says why the others
// cannot run. Each check's arguments are bound in q.args, in the order of the checks, and
// kept with the check.
func (q *scanQuery) checks(spec Spec) ([]scanCheck, map[string]string) {
	var out []scanCheck
	notCheckable := map[string]string{}
	add := func(name string, render func() string) {
		from := len(q.args)
		cond := render()
		out = append(out, scanCheck{name: name, cond: cond, args: append([]any(nil), q.args[from:]...)})
	}
	need := func(check string, fields ...string) bool {
		var missing []string
		for _, f := range fields {
			if _, ok := q.cols[f]; !ok {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			notCheckable[check] = "the mapping has no " + strings.Join(missing, ", ") + " field"
			return false
		}
		return true
	}
	if need(CheckNoLegalBasis, crm.FieldLegalBasis) {
		add(CheckNoLegalBasis, func() string { return q.noBasis(q.cols[crm.FieldLegalBasis]) })
	}
	if need(CheckConsentWithoutEvidence, crm.FieldLegalBasis, crm.FieldConsentAt, crm.FieldConsentMethod) {
		add(CheckConsentWithoutEvidence, func() string {
			return "(" + q.basis(q.cols[crm.FieldLegalBasis], BasisConsent) + " AND (" + q.cols[crm.FieldConsentAt].sql +
				" IS NULL OR NOT " + q.filled(q.cols[crm.FieldConsentMethod]) + "))"
		})
	}
	if s := spec.LegitimateInterest; s != nil && need(CheckLegitimateInterestOutOfScope, crm.FieldLegalBasis, crm.FieldContactType, crm.FieldJobRole) {
		add(CheckLegitimateInterestOutOfScope, func() string {
			return "(" + q.basis(q.cols[crm.FieldLegalBasis], BasisLegitimateInterests) + " AND (" +
				q.notIn(q.cols[crm.FieldContactType], s.ContactTypes) + " OR " + q.notIn(q.cols[crm.FieldJobRole], s.JobRoles) + "))"
		})
	}
	if spec.Marketing && need(CheckOptedOutInScope, crm.FieldOptOut) {
		add(CheckOptedOutInScope, q.optedOut)
	}
	if len(q.restrict) == 0 {
		notCheckable[CheckRestrictedFieldsFilled] = "the mapping declares no restricted fields"
	} else {
		add(CheckRestrictedFieldsFilled, func() string {
			parts := make([]string, len(q.restrict))
			for i, c := range q.restrict {
				parts[i] = q.filled(c)
			}
			return "(" + strings.Join(parts, " OR ") + ")"
		})
	}
	return out, notCheckable
}

// NotCheckableSummary renders NotCheckable as one line, checks sorted:
// "not checkable: consentWithoutEvidence (the mapping has no consentAt field); …".
func (r Result) NotCheckableSummary() string {
	if len(r.NotCheckable) == 0 {
		return ""
	}
	names := make([]string, 0, len(r.NotCheckable))
	for n := range r.NotCheckable {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " (" + r.NotCheckable[n] + ")"
	}
	return "not checkable: " + strings.Join(parts, "; ")
}
