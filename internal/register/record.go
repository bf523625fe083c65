package register

import (
	"sort"
	"strings"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// Record is a register laid out for people: the GDPR Art. 30(1) record of processing
// activities, the register of assessments (LIAs and the DPIAs they and the activities
// reference), the retention terms, the access roles and the databases. Every value is text,
// resolved and worded; the exports print a Record.
type Record struct {
	Revision    RevisionInfo
	Activities  []ActivityRecord
	Assessments []AssessmentRecord
	DPIAs       []DPIARecord
	Retention   []RetentionRecord
	AccessRoles []AccessRoleRecord
	Databases   []DatabaseRecord
	// Breaches are the personal data breaches documented (Art. 33(5)).
	Breaches []BreachRecord
	// Requests are the data-subject requests of each namespace, as counts.
	Requests []RequestSummaryRecord
}

// Detail is a labelled value that has no column of its own: a spec member that the layout
// does not know (a newer API field, a field of an older revision). Nothing is dropped.
type Detail struct {
	Label, Value string
}

// ActivityRecord is one Art. 30(1) entry.
type ActivityRecord struct {
	Namespace, Name string
	Description     string
	// Controller is the controller's name and contact details (Art. 30(1)(a)).
	Controller       string
	Representative   string
	JointControllers []string
	DPO              string
	Purposes         []string
	// LegalBasis is the Art. 6(1) basis in words, with its details.
	LegalBasis string
	// LIA is the legitimate interests assessment relied on and its decision.
	LIA            string
	DataSubjects   []string
	DataCategories []string
	// DataSources are where the data come from (Art. 14(2)(f)).
	DataSources       []string
	SpecialCategories []string
	Recipients        []string
	// Processors are each processor with its role, country and Art. 28 contract status.
	Processors []string
	// Transfers are each third-country transfer with its safeguard.
	Transfers []string
	// ErasureTimeLimits are the retention rules of the policies that implement the activity
	// ("prospects: 24 months after last contact, then deleted") and the limits in words.
	ErasureTimeLimits []string
	SecurityMeasures  []string
	DPIA              string
	Profiling         string
	// DirectMarketing says whether the activity sends direct marketing, which an opt-out
	// stops (Art. 21(2)-(3)); empty when the activity does not say.
	DirectMarketing string
	PrivacyNotice   string
	Databases       []string
	ContactScope    string
	Other           []Detail
}

// AssessmentRecord is one legitimate interests assessment in the register of assessments.
type AssessmentRecord struct {
	Namespace, Name string
	// Purpose is the legitimate interest pursued (purpose test).
	Purpose   string
	Necessity string
	Balancing string
	Scope     string
	Outcome   string
	DecidedBy string
	DecidedAt string
	ReviewBy  string
	Rationale string
	// Status is Draft, Approved, Rejected or Expired, judged at the revision's time.
	Status string
	DPIA   string
	// UsedBy are the activities that rely on the assessment.
	UsedBy []string
	Other  []Detail
}

// DPIARecord is a data protection impact assessment referenced by an activity or an LIA.
type DPIARecord struct {
	Reference string
	Status    string
	Criteria  []string
	// ReferencedBy are the activities and assessments that name it.
	ReferencedBy []string
}

// RetentionRecord is one retention policy.
type RetentionRecord struct {
	Namespace, Name string
	Activity        string
	Database        string
	Mode            string
	Rules           []string
	LegalHolds      []string
	Other           []Detail
}

// AccessRoleRecord is one job function's access to a CRM database.
type AccessRoleRecord struct {
	Namespace, Name string
	Activity        string
	Database        string
	Role            string
	Grants          []string
	RowFilter       string
	Members         []string
	ValidUntil      string
	// Deletion says, for an AccessRole being deleted, what its deletion did and left in
	// the database; empty otherwise.
	Deletion string
	Other    []Detail
}

// DatabaseRecord is one CRM database, as far as the register is concerned.
type DatabaseRecord struct {
	Namespace, Name string
	Details         []Detail
}

// BuildRecord lays a document out as a Record. Dates that depend on "now" (an expired
// contract, an LIA past its review date) are judged at the revision's creation time, so the
// same revision always gives the same record.
func BuildRecord(doc *Document, rev RevisionInfo) Record {
	b := recordBuilder{doc: doc, at: rev.CreatedAt}
	rec := Record{Revision: rev}
	for _, e := range doc.OfKind(KindProcessingActivity) {
		rec.Activities = append(rec.Activities, b.activity(e))
	}
	for _, e := range doc.OfKind(KindLegitimateInterestAssessment) {
		rec.Assessments = append(rec.Assessments, b.assessment(e))
	}
	for _, e := range doc.OfKind(KindRetentionPolicy) {
		rec.Retention = append(rec.Retention, b.retention(e))
	}
	for _, e := range doc.OfKind(KindAccessRole) {
		rec.AccessRoles = append(rec.AccessRoles, b.accessRole(e))
	}
	for _, e := range doc.OfKind(KindCRMDatabase) {
		rec.Databases = append(rec.Databases, database(e))
	}
	for _, e := range doc.OfKind(KindDataBreach) {
		rec.Breaches = append(rec.Breaches, breach(e))
	}
	for _, e := range doc.OfKind(KindRequestSummary) {
		rec.Requests = append(rec.Requests, requestSummaryRecord(e))
	}
	rec.DPIAs = b.dpias()
	return rec
}

// recordBuilder resolves references within one document.
type recordBuilder struct {
	doc   *Document
	at    time.Time
	dpiaS map[string]*DPIARecord
}

// picker reads members of a spec object and remembers which it read, so that rest can
// return the others: whatever the layout does not know still reaches the export.
type picker struct {
	obj  map[string]any
	used map[string]bool
}

func newPicker(obj map[string]any) *picker {
	return &picker{obj: obj, used: map[string]bool{}}
}

// get returns a member (a dot path) and marks its first segment as read.
func (p *picker) get(path string) any {
	p.used[strings.SplitN(path, ".", 2)[0]] = true
	v, _ := at(p.obj, path)
	return v
}

func (p *picker) str(path string) string    { return text(p.get(path)) }
func (p *picker) strs(path string) []string { return texts(p.get(path)) }
func (p *picker) sub(path string) *picker   { return newPicker(object(p.get(path))) }
func (p *picker) skip(names ...string) {
	for _, n := range names {
		p.used[n] = true
	}
}
func (p *picker) has(path string) bool { v, _ := at(p.obj, path); return !isEmpty(v) }

// unread returns the names of the non-empty members not read, sorted.
func (p *picker) unread() []string {
	var out []string
	for _, k := range sortedKeys(p.obj) {
		if !p.used[k] && !isEmpty(p.obj[k]) {
			out = append(out, k)
		}
	}
	return out
}

// rest returns the non-empty members not read, sorted by name, as labelled details.
func (p *picker) rest() []Detail {
	var out []Detail
	for _, k := range p.unread() {
		out = append(out, Detail{Label: capitalize(humanize(k)), Value: text(p.obj[k])})
	}
	return out
}

// restText appends the members not read to s, in parentheses: "s (key: value, …)".
func (p *picker) restText(s string) string {
	var parts []string
	for _, k := range p.unread() {
		parts = append(parts, humanize(k)+": "+text(p.obj[k]))
	}
	if len(parts) == 0 {
		return s
	}
	if s == "" {
		return strings.Join(parts, ", ")
	}
	return s + " (" + strings.Join(parts, ", ") + ")"
}

func (b *recordBuilder) activity(e Entry) ActivityRecord {
	p := newPicker(e.Spec)
	a := ActivityRecord{Namespace: e.Namespace, Name: e.Name}
	a.Description = p.str("description")
	controller := p.sub("controller")
	a.Representative = party(controller.sub("representative"))
	a.Controller = party(controller)
	a.DPO = party(p.sub("dpo"))
	for _, jc := range list(p.get("jointControllers")) {
		a.JointControllers = append(a.JointControllers, party(newPicker(object(jc))))
	}
	a.Purposes = p.strs("purposes")
	a.LegalBasis, a.LIA = b.legalBasis(e.Namespace, p.sub("legalBasis"))
	a.DataSubjects = p.strs("dataSubjectCategories")
	a.DataCategories = p.strs("personalDataCategories")
	a.DataSources = p.strs("dataSources")
	for _, sc := range list(p.get("specialCategories")) {
		a.SpecialCategories = append(a.SpecialCategories, specialCategory(newPicker(object(sc))))
	}
	a.Recipients = p.strs("recipients")
	for _, pr := range list(p.get("processors")) {
		a.Processors = append(a.Processors, b.processor(newPicker(object(pr))))
	}
	for _, tr := range list(p.get("transfers")) {
		a.Transfers = append(a.Transfers, transfer(newPicker(object(tr))))
	}
	a.ErasureTimeLimits = b.erasureTimeLimits(e, p)
	a.SecurityMeasures = p.strs("securityMeasures")
	a.DPIA = b.activityDPIA(e, p.sub("dpia"))
	a.Profiling = yesNo(p.get("profiling"))
	if v := p.get("directMarketing"); v != nil {
		a.DirectMarketing = yesNo(v)
	}
	a.PrivacyNotice = p.str("privacyNoticeURI")
	for _, ref := range list(p.get("databaseRefs")) {
		a.Databases = append(a.Databases, refName(ref))
	}
	if p.has("contactSelector") {
		a.ContactScope = selectorText(p.sub("contactSelector"))
	} else {
		p.skip("contactSelector")
		a.ContactScope = "every contact of the databases"
	}
	a.Other = p.rest()
	return a
}

// party renders a person or organisation with contact details: "Name, address, email, phone".
func party(p *picker) string {
	parts := []string{}
	for _, k := range []string{"name", "address", "email", "phone"} {
		if s := p.str(k); s != "" {
			parts = append(parts, s)
		}
	}
	p.skip("representative") // rendered on its own
	s := strings.Join(parts, ", ")
	if r := p.str("responsibilities"); r != "" {
		s += " — responsibilities: " + r
	}
	return p.restText(s)
}

// legalBasisWords names the Art. 6(1) bases.
var legalBasisWords = map[string]string{
	"Consent":             "Consent (Art. 6(1)(a))",
	"Contract":            "Contract or pre-contractual steps (Art. 6(1)(b))",
	"LegalObligation":     "Legal obligation (Art. 6(1)(c))",
	"VitalInterests":      "Vital interests (Art. 6(1)(d))",
	"PublicTask":          "Public task (Art. 6(1)(e))",
	"LegitimateInterests": "Legitimate interests (Art. 6(1)(f))",
}

// legalBasis renders the basis and, for legitimate interests, the assessment relied on.
func (b *recordBuilder) legalBasis(namespace string, p *picker) (basis, lia string) {
	raw := p.str("basis")
	basis = raw
	if w, ok := legalBasisWords[raw]; ok {
		basis = w
	}
	if d := p.str("details"); d != "" {
		basis += " — " + d
	}
	if ref := p.get("legitimateInterestAssessmentRef"); ref != nil {
		lia = b.liaSummary(namespace, refName(ref))
	} else if raw == "LegitimateInterests" {
		lia = "missing: legitimate interests need an approved assessment"
	}
	return p.restText(basis), lia
}

// liaSummary describes the LIA an activity relies on, found in the same namespace.
func (b *recordBuilder) liaSummary(namespace, name string) string {
	e, ok := b.doc.Lookup(Key{Kind: KindLegitimateInterestAssessment, Namespace: namespace, Name: name})
	if !ok {
		return name + " (not found in the register)"
	}
	status, _ := b.liaStatus(newPicker(object(e.Spec["decision"])))
	return name + " (" + status + ")"
}

// liaStatus judges an LIA's decision at the revision's time.
func (b *recordBuilder) liaStatus(d *picker) (status, outcome string) {
	outcome = d.str("outcome")
	review := d.str("reviewBy")
	switch {
	case outcome == "":
		return "Draft: no decision recorded", ""
	case outcome == "Approved" && review != "" && b.past(review):
		return "Expired: approved, review was due " + day(review), outcome
	case outcome == "Approved" && review != "":
		return "Approved, review by " + day(review), outcome
	default:
		return outcome, outcome
	}
}

// past tells whether an RFC 3339 time is before the revision's time (never when unknown).
func (b *recordBuilder) past(rfc3339 string) bool {
	t, err := time.Parse(time.RFC3339, rfc3339)
	return err == nil && !b.at.IsZero() && t.Before(b.at)
}

func specialCategory(p *picker) string {
	s := p.str("category")
	if c := p.str("condition"); c != "" {
		s += " — Art. 9(2) condition: " + c
	}
	return p.restText(s)
}

// processor renders "Name — role, country; Art. 28 contract: signed …, expires …".
func (b *recordBuilder) processor(p *picker) string {
	s := p.str("name")
	var what []string
	if r := p.str("role"); r != "" {
		what = append(what, r)
	}
	if c := p.str("country"); c != "" {
		what = append(what, "in "+c)
	}
	if len(what) > 0 {
		s += " — " + strings.Join(what, ", ")
	}
	s += "; " + b.contract(p.sub("contract"))
	return p.restText(s)
}

// contract renders the Art. 28 contract status.
func (b *recordBuilder) contract(c *picker) string {
	if len(c.obj) == 0 {
		return "no Art. 28 contract recorded"
	}
	signed, expires := c.str("signedAt"), c.str("expiresAt")
	var parts []string
	switch {
	case expires != "" && b.past(expires):
		parts = append(parts, "Art. 28 contract EXPIRED")
	default:
		parts = append(parts, "Art. 28 contract")
	}
	if signed != "" {
		parts = append(parts, "signed "+day(signed))
	}
	if expires != "" {
		parts = append(parts, "expires "+day(expires))
	} else {
		parts = append(parts, "until terminated")
	}
	if yes, ok := c.get("subProcessorsAllowed").(bool); ok && yes {
		parts = append(parts, "general authorisation for sub-processors")
	}
	if d := c.str("documentURI"); d != "" {
		parts = append(parts, "document "+d)
	}
	return c.restText(strings.Join(parts, ", "))
}

// safeguardWords names the Chapter V grounds.
var safeguardWords = map[string]string{
	"Adequacy":   "adequacy decision (Art. 45)",
	"SCC":        "standard contractual clauses (Art. 46(2)(c))",
	"BCR":        "binding corporate rules (Art. 47)",
	"Derogation": "derogation for a specific situation (Art. 49)",
}

func transfer(p *picker) string {
	s := p.str("country")
	if r := p.str("recipient"); r != "" {
		s += " — " + r
	}
	sg := p.str("safeguard")
	if w, ok := safeguardWords[sg]; ok {
		sg = w
	}
	if sg == "" {
		sg = "NO SAFEGUARD RECORDED"
	}
	s += ": " + sg
	if d := p.str("details"); d != "" {
		s += " — " + d
	}
	return p.restText(s)
}

// erasureTimeLimits resolves the activity's retention policies (named by the activity, or
// naming it) to their rules, and adds the limits described in words.
func (b *recordBuilder) erasureTimeLimits(e Entry, p *picker) []string {
	names := map[string]bool{}
	for _, ref := range list(p.get("retentionPolicyRefs")) {
		names[refName(ref)] = true
	}
	for _, rp := range b.doc.OfKind(KindRetentionPolicy) {
		if rp.Namespace == e.Namespace && refName(rp.Spec["processingActivityRef"]) == e.Name {
			names[rp.Name] = true
		}
	}
	var out []string
	for _, name := range sortedSet(names) {
		rp, ok := b.doc.Lookup(Key{Kind: KindRetentionPolicy, Namespace: e.Namespace, Name: name})
		if !ok {
			out = append(out, "RetentionPolicy "+name+" (not found in the register)")
			continue
		}
		mode := text(rp.Spec["mode"])
		for _, rule := range list(rp.Spec["rules"]) {
			out = append(out, ruleText(newPicker(object(rule)))+" (RetentionPolicy "+name+modeSuffix(mode)+")")
		}
	}
	if s := p.str("erasureTimeLimits"); s != "" {
		out = append(out, s)
	}
	return out
}

func modeSuffix(mode string) string {
	switch mode {
	case "":
		return ""
	case "DryRun":
		return ", dry run: not enforced yet"
	default:
		return ", " + strings.ToLower(mode) + "d"
	}
}

// ruleText renders a retention rule: "prospects: 24 months after last contact, then deleted
// — contacts where lifecycleStage in (prospect)".
func ruleText(p *picker) string {
	name, term := p.str("name"), termWords(p.str("retainFor"))
	s := name + ": " + term
	minimize := p.str("minimize") == "yes" // data minimisation: no term, every contact now
	if minimize {
		s = name + ": kept for no time (data minimisation)"
		if term != "" { // refused by the API; shown rather than dropped
			s += " [retainFor " + term + "]"
		}
	}
	switch since := p.str("since"); {
	case minimize && (since == "" || since == "LastContact"):
	case since == "" || since == "LastContact":
		s += " after last contact"
	case since == "Created":
		s += " after creation"
	default:
		s += " after " + since
	}
	if p.has("renewedBy") {
		s += " (renewed by " + renewalText(p.sub("renewedBy")) + ")"
	} else {
		p.skip("renewedBy")
	}
	switch action := p.str("action"); action {
	case "Delete":
		s += ", then deleted"
	case "Anonymize":
		var fields []string
		for _, f := range list(p.get("anonymize")) {
			fp := newPicker(object(f))
			fields = append(fields, fp.restText(fp.str("field")+" → "+fp.str("strategy")))
		}
		s += ", then anonymised (" + strings.Join(fields, ", ") + ")"
	case "":
	default:
		s += ", then " + action
	}
	if p.has("selector") {
		s += " — contacts where " + selectorText(p.sub("selector"))
	} else {
		p.skip("selector")
	}
	return p.restText(s)
}

func renewalText(p *picker) string {
	kinds := strings.Join(p.strs("kinds"), ", ")
	if kinds == "" {
		kinds = "any interaction"
	}
	switch dir := p.str("direction"); dir {
	case "", "Any":
	case "Inbound":
		kinds += " coming from the person"
	case "Outbound":
		kinds += " made by the company"
	default:
		kinds += " (" + dir + ")"
	}
	return p.restText(kinds)
}

// termWords turns a retention term into words: "24m" → "24 months"; other text is kept.
func termWords(term string) string {
	if len(term) < 2 {
		return term
	}
	n, unit := term[:len(term)-1], term[len(term)-1]
	for _, c := range n {
		if c < '0' || c > '9' {
			return term
		}
	}
	word := map[byte]string{'d': "day", 'm': "month", 'y': "year"}[unit]
	if word == "" {
		return term
	}
	if n != "1" {
		word += "s"
	}
	return n + " " + word
}

// selectorText renders a contact selector: "contactType in (B2B) and optOut does not exist".
func selectorText(p *picker) string {
	var conds []string
	for _, m := range list(p.get("matchExpressions")) {
		mp := newPicker(object(m))
		field, op, values := mp.str("field"), mp.str("operator"), mp.strs("values")
		var c string
		switch op {
		case "In":
			c = field + " in (" + strings.Join(values, ", ") + ")"
		case "NotIn":
			c = field + " not in (" + strings.Join(values, ", ") + ")"
		case "Exists":
			c = field + " is set"
		case "DoesNotExist":
			c = field + " is empty"
		default:
			c = strings.TrimSpace(field + " " + op + " " + strings.Join(values, ", "))
		}
		conds = append(conds, mp.restText(c))
	}
	if len(conds) == 0 {
		return p.restText("every contact")
	}
	return p.restText(strings.Join(conds, " and "))
}

// activityDPIA renders the activity's DPIA and records it in the register of assessments.
func (b *recordBuilder) activityDPIA(e Entry, p *picker) string {
	if len(p.obj) == 0 {
		return "not recorded"
	}
	s := b.noteDPIA(p, "ProcessingActivity "+e.Namespace+"/"+e.Name)
	return p.restText(s)
}

// noteDPIA renders a DPIA and adds it to the DPIAs of the record under its reference.
func (b *recordBuilder) noteDPIA(p *picker, by string) string {
	ref := p.str("reference")
	criteria := p.strs("criteriaMet")
	required := yesNo(p.get("required")) == "yes"
	completed := p.str("completedAt")
	var status string
	switch {
	case completed != "" && required:
		status = "required, completed " + day(completed)
	case completed != "":
		status = "completed " + day(completed)
	case required:
		status = "REQUIRED, not completed"
	default:
		status = "not required"
	}
	s := status
	if ref != "" {
		s += ", reference " + ref
	}
	if len(criteria) > 0 {
		s += "; WP248 criteria met: " + strings.Join(criteria, ", ")
	}
	if ref != "" || status != "not required" {
		b.addDPIA(ref, status, criteria, by)
	}
	return s
}

func (b *recordBuilder) addDPIA(ref, status string, criteria []string, by string) {
	if b.dpiaS == nil {
		b.dpiaS = map[string]*DPIARecord{}
	}
	key := ref
	if key == "" {
		key = "(no reference) " + by
	}
	d, ok := b.dpiaS[key]
	if !ok {
		d = &DPIARecord{Reference: ref, Status: status}
		b.dpiaS[key] = d
	}
	if status != "" && (d.Status == "" || strings.HasPrefix(status, "completed")) {
		d.Status = status
	}
	d.Criteria = mergeSorted(d.Criteria, criteria)
	d.ReferencedBy = mergeSorted(d.ReferencedBy, []string{by})
}

// dpias returns the DPIAs noted while building, sorted by reference.
func (b *recordBuilder) dpias() []DPIARecord {
	keys := make([]string, 0, len(b.dpiaS))
	for k := range b.dpiaS {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]DPIARecord, 0, len(keys))
	for _, k := range keys {
		out = append(out, *b.dpiaS[k])
	}
	return out
}

func (b *recordBuilder) assessment(e Entry) AssessmentRecord {
	p := newPicker(e.Spec)
	a := AssessmentRecord{Namespace: e.Namespace, Name: e.Name}
	purpose := p.sub("purposeTest")
	a.Purpose = purpose.restText(purpose.str("interest"))
	necessity := p.sub("necessityTest")
	a.Necessity = necessityText(necessity)
	a.Balancing = balancingText(p.sub("balancingTest"))
	scope := p.sub("scope")
	a.Scope = scopeText(scope)
	decision := p.sub("decision")
	a.Status, a.Outcome = b.liaStatus(decision)
	a.DecidedBy = decision.str("decidedBy")
	a.DecidedAt = day(decision.str("decidedAt"))
	a.ReviewBy = day(decision.str("reviewBy"))
	a.Rationale = decision.restText(decision.str("rationale"))
	if ref := p.str("dpiaReference"); ref != "" {
		a.DPIA = ref
		b.addDPIA(ref, "", nil, "LegitimateInterestAssessment "+e.Namespace+"/"+e.Name)
	}
	a.UsedBy = b.liaUsers(e)
	a.Other = p.rest()
	return a
}

func necessityText(p *picker) string {
	var parts []string
	if s := p.str("howItHelps"); s != "" {
		parts = append(parts, s)
	}
	if v := p.get("proportionate"); v != nil {
		parts = append(parts, "proportionate: "+yesNo(v))
	}
	if s := p.str("lessIntrusiveAlternatives"); s != "" {
		parts = append(parts, "less intrusive alternatives: "+s)
	}
	return p.restText(strings.Join(parts, "; "))
}

func balancingText(p *picker) string {
	var parts []string
	nature := p.sub("natureOfData")
	if len(nature.obj) > 0 {
		s := "nature of data: " + nature.str("description")
		s += "; special categories: " + yesNo(nature.get("specialCategories"))
		s += "; vulnerable people: " + yesNo(nature.get("vulnerablePeople"))
		parts = append(parts, nature.restText(s))
	}
	exp := p.sub("reasonableExpectations")
	if len(exp.obj) > 0 {
		s := "reasonably expected: " + yesNo(exp.get("expected"))
		if d := exp.str("description"); d != "" {
			s += " — " + d
		}
		if r := exp.str("existingRelationship"); r != "" {
			s += " (relationship: " + r + ")"
		}
		parts = append(parts, exp.restText(s))
	}
	impact := p.sub("likelyImpact")
	if len(impact.obj) > 0 {
		s := "likely impact: " + impact.str("level")
		if d := impact.str("description"); d != "" {
			s += " — " + d
		}
		parts = append(parts, impact.restText(s))
	}
	if sg := p.strs("safeguards"); len(sg) > 0 {
		parts = append(parts, "safeguards: "+strings.Join(sg, ", "))
	}
	if v := p.get("optOutOffered"); v != nil {
		parts = append(parts, "opt-out offered: "+yesNo(v))
	}
	return p.restText(strings.Join(parts, "; "))
}

func scopeText(p *picker) string {
	var parts []string
	if s := p.strs("contactTypes"); len(s) > 0 {
		parts = append(parts, "contact types: "+strings.Join(s, ", "))
	}
	if s := p.strs("jobRoles"); len(s) > 0 {
		parts = append(parts, "job roles: "+strings.Join(s, ", "))
	}
	if s := p.strs("dataCategories"); len(s) > 0 {
		parts = append(parts, "data: "+strings.Join(s, ", "))
	}
	return p.restText(strings.Join(parts, "; "))
}

// liaUsers lists the activities of the LIA's namespace that rely on it.
func (b *recordBuilder) liaUsers(lia Entry) []string {
	var out []string
	for _, pa := range b.doc.OfKind(KindProcessingActivity) {
		if pa.Namespace != lia.Namespace {
			continue
		}
		ref, _ := at(pa.Spec, "legalBasis.legitimateInterestAssessmentRef")
		if ref != nil && refName(ref) == lia.Name {
			out = append(out, pa.Name)
		}
	}
	return out
}

func (b *recordBuilder) retention(e Entry) RetentionRecord {
	p := newPicker(e.Spec)
	r := RetentionRecord{Namespace: e.Namespace, Name: e.Name}
	r.Activity = refName(p.get("processingActivityRef"))
	r.Database = refName(p.get("databaseRef"))
	r.Mode = p.str("mode")
	if suspended, _ := p.get("suspend").(bool); suspended {
		r.Mode += " (suspended)"
	}
	for _, rule := range list(p.get("rules")) {
		r.Rules = append(r.Rules, ruleText(newPicker(object(rule))))
	}
	for _, h := range list(p.get("legalHolds")) {
		hp := newPicker(object(h))
		s := hp.str("name") + ": " + hp.str("reason")
		if hp.has("selector") {
			s += " — contacts where " + selectorText(hp.sub("selector"))
		}
		r.LegalHolds = append(r.LegalHolds, hp.restText(s))
	}
	r.Other = p.rest()
	return r
}

func (b *recordBuilder) accessRole(e Entry) AccessRoleRecord {
	p := newPicker(e.Spec)
	r := AccessRoleRecord{Namespace: e.Namespace, Name: e.Name}
	r.Activity = refName(p.get("processingActivityRef"))
	r.Database = refName(p.get("databaseRef"))
	r.Role = p.str("roleName")
	for _, g := range list(p.get("grants")) {
		gp := newPicker(object(g))
		s := strings.Join(gp.strs("privileges"), ", ") + " on " + gp.str("table")
		if cols := gp.strs("columns"); len(cols) > 0 {
			s += " (columns " + strings.Join(cols, ", ") + ")"
		}
		r.Grants = append(r.Grants, gp.restText(s))
	}
	if p.has("rowFilter") {
		r.RowFilter = selectorText(p.sub("rowFilter"))
	} else {
		p.skip("rowFilter")
		r.RowFilter = "all rows"
	}
	for _, m := range list(p.get("members")) {
		r.Members = append(r.Members, b.member(newPicker(object(m))))
	}
	r.ValidUntil = day(p.str("validUntil"))
	if p.has("deletion") {
		r.Deletion = deletionText(p.sub("deletion"))
	} else {
		p.skip("deletion")
	}
	r.Other = p.rest()
	return r
}

// deletionText renders what an AccessRole's deletion did in the database.
func deletionText(d *picker) string {
	var what string
	switch c := d.str("cleanup"); c {
	case string(v1alpha1.CleanupDropped):
		what = "role dropped"
	case string(v1alpha1.CleanupRoleRetained):
		what = "role left in the database without privileges or members (reclaimPolicy Retain)"
	case string(v1alpha1.CleanupSkipped):
		what = "role and grants left in the database as they were (cleanup skipped)"
	case string(v1alpha1.CleanupNoRole):
		what = "no role of the operator's to strip"
	default:
		what = "cleanup " + c
	}
	s := "deleted on " + day(d.str("at")) + "; " + what + "; " + d.str("loginsLocked") + " login(s) locked, " + d.str("sessionsEnded") + " session(s) ended"
	if v := d.str("loginsNotLocked"); v != "" {
		s += "; LOGINS NOT LOCKED: " + v
	}
	return d.restText(s)
}

// member renders a role member and its designation record.
func (b *recordBuilder) member(p *picker) string {
	s := p.str("user")
	d := p.sub("designation")
	if len(d.obj) == 0 {
		return p.restText(s + ": NOT DESIGNATED (does not hold the role)")
	}
	parts := []string{"designated by " + d.str("designatedBy") + " on " + day(d.str("designatedAt"))}
	if v := d.str("instructedAt"); v != "" {
		parts = append(parts, "instructed on "+day(v))
	}
	if v := d.str("validUntil"); v != "" {
		word := "valid until "
		if b.past(v) {
			word = "EXPIRED on "
		}
		parts = append(parts, word+day(v))
	}
	if v := d.str("documentURI"); v != "" {
		parts = append(parts, "document "+v)
	}
	return p.restText(s + ": " + d.restText(strings.Join(parts, ", ")))
}

// database lists what the register records of a CRM database (see databaseFacts).
func database(e Entry) DatabaseRecord {
	p := newPicker(e.Spec)
	d := DatabaseRecord{Namespace: e.Namespace, Name: e.Name}
	add := func(label, value string) {
		if value != "" {
			d.Details = append(d.Details, Detail{Label: label, Value: value})
		}
	}
	add("Engine", p.str("engine"))
	add("Schema preset", p.str("preset"))
	add("Mapped logical fields", strings.Join(p.strs("mappedFields"), ", "))
	add("Personal data fields", strings.Join(p.strs("personalFields"), ", "))
	add("Restricted fields (must stay empty)", strings.Join(p.strs("restrictedFields"), ", "))
	if v := p.get("erasureLedger"); v != nil {
		add("Erasure ledger (proof of erasure)", yesNo(v))
	}
	add("Erasure ledger kept for (pseudonymous data)", termWords(p.str("ledgerRetainFor")))
	d.Details = append(d.Details, p.rest()...)
	return d
}

// refName returns the name of a reference ({"name": …}) or the string itself.
func refName(v any) string {
	if m, ok := v.(map[string]any); ok {
		p := newPicker(m)
		return p.restText(p.str("name"))
	}
	return text(v)
}

// day shortens an RFC 3339 time at midnight UTC to its date: "2026-01-31".
func day(s string) string {
	return strings.TrimSuffix(s, "T00:00:00Z")
}

// yesNo renders a boolean; anything else as text, nothing as "no".
func yesNo(v any) string {
	switch v := v.(type) {
	case nil:
		return "no"
	case bool:
		if v {
			return "yes"
		}
		return "no"
	default:
		return text(v)
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// mergeSorted returns the sorted union of a and b without repeats.
func mergeSorted(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range append(append([]string(nil), a...), b...) {
		set[s] = true
	}
	return sortedSet(set)
}
