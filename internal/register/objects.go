package register

import (
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// Objects are the API objects the register is built from, as listed from the cluster.
type Objects struct {
	ProcessingActivities          []v1alpha1.ProcessingActivity
	LegitimateInterestAssessments []v1alpha1.LegitimateInterestAssessment
	RetentionPolicies             []v1alpha1.RetentionPolicy
	AccessRoles                   []v1alpha1.AccessRole
	CRMDatabases                  []v1alpha1.CRMDatabase
	// DataBreaches enter with their spec but notifyList (see breachEntries).
	DataBreaches []v1alpha1.DataBreach
	// DataSubjectRequests enter as counts per namespace, month and type only
	// (KindRequestSummary).
	DataSubjectRequests []v1alpha1.DataSubjectRequest
}

// FromObjects builds the register document from the objects' specs. Nothing else is read but
// the namespace, the name and the source-revision annotation (which is not hashed), so a
// status update or a new resourceVersion yields the same document. ProcessingActivities and
// LegitimateInterestAssessments enter whole; RetentionPolicies, AccessRoles and CRMDatabases
// enter with what the register records of them (see retentionTerms, accessGrant and
// databaseFacts), so that operational settings — a schedule, a batch size, a password
// Secret, a connection — do not make a new revision.
func FromObjects(objs Objects) (*Document, error) {
	var entries []Entry
	add := func(kind string, meta metav1.ObjectMeta, spec any) error {
		e, err := NewEntry(kind, meta.Namespace, meta.Name, spec)
		if err != nil {
			return err
		}
		e.SourceRevision = meta.Annotations[v1alpha1.AnnotationSourceRevision]
		entries = append(entries, e)
		return nil
	}
	for i := range objs.ProcessingActivities {
		o := &objs.ProcessingActivities[i]
		if err := add(KindProcessingActivity, o.ObjectMeta, o.Spec); err != nil {
			return nil, err
		}
	}
	for i := range objs.LegitimateInterestAssessments {
		o := &objs.LegitimateInterestAssessments[i]
		if err := add(KindLegitimateInterestAssessment, o.ObjectMeta, o.Spec); err != nil {
			return nil, err
		}
	}
	for i := range objs.RetentionPolicies {
		o := &objs.RetentionPolicies[i]
		if err := add(KindRetentionPolicy, o.ObjectMeta, newRetentionTerms(&o.Spec)); err != nil {
			return nil, err
		}
	}
	for i := range objs.AccessRoles {
		o := &objs.AccessRoles[i]
		if err := add(KindAccessRole, o.ObjectMeta, newAccessGrant(o)); err != nil {
			return nil, err
		}
	}
	for i := range objs.CRMDatabases {
		o := &objs.CRMDatabases[i]
		if err := add(KindCRMDatabase, o.ObjectMeta, newDatabaseFacts(&o.Spec)); err != nil {
			return nil, err
		}
	}
	breaches, err := breachEntries(objs.DataBreaches)
	if err != nil {
		return nil, err
	}
	entries = append(entries, breaches...)
	summaries, err := requestSummaryEntries(objs.DataSubjectRequests)
	if err != nil {
		return nil, err
	}
	entries = append(entries, summaries...)
	doc, err := NewDocument(entries...)
	if err != nil {
		return nil, fmt.Errorf("while building the register: %w", err)
	}
	return doc, nil
}

// retentionTerms is what the register records of a RetentionPolicy: the erasure time limits
// (rules and legal holds), which activity and database they apply to, and whether they are
// enforced. Left out: schedule, time zone, batch size, budget and approvals.
type retentionTerms struct {
	DatabaseRef           v1alpha1.LocalObjectReference `json:"databaseRef"`
	ProcessingActivityRef v1alpha1.LocalObjectReference `json:"processingActivityRef"`
	Mode                  v1alpha1.RetentionMode        `json:"mode,omitempty"`
	Suspend               *bool                         `json:"suspend,omitempty"`
	Rules                 []v1alpha1.RetentionRule      `json:"rules"`
	LegalHolds            []v1alpha1.LegalHold          `json:"legalHolds,omitempty"`
}

func newRetentionTerms(s *v1alpha1.RetentionPolicySpec) retentionTerms {
	return retentionTerms{
		DatabaseRef:           s.DatabaseRef,
		ProcessingActivityRef: s.ProcessingActivityRef,
		Mode:                  s.Mode,
		Suspend:               s.Suspend,
		Rules:                 s.Rules,
		LegalHolds:            s.LegalHolds,
	}
}

// accessGrant is what the register records of an AccessRole: who may access which data for
// which purpose, with each member's designation, and, once it is being deleted, what its
// deletion did and left in the database (status.deletion). Left out: members' password
// Secrets and the reclaim policy.
type accessGrant struct {
	DatabaseRef           v1alpha1.LocalObjectReference `json:"databaseRef"`
	RoleName              v1alpha1.SQLIdentifier        `json:"roleName"`
	ProcessingActivityRef v1alpha1.LocalObjectReference `json:"processingActivityRef"`
	Grants                []v1alpha1.TableGrant         `json:"grants"`
	RowFilter             *v1alpha1.ContactSelector     `json:"rowFilter,omitempty"`
	Members               []accessMember                `json:"members,omitempty"`
	ValidUntil            *metav1.Time                  `json:"validUntil,omitempty"`
	Deletion              *accessDeletion               `json:"deletion,omitempty"`
}

// accessDeletion is what the register records of an AccessRole's deletion: what happened to
// its role, how many of its logins were locked, and when. The counts are always written,
// zero included.
type accessDeletion struct {
	Cleanup         v1alpha1.DeletionCleanup `json:"cleanup"`
	LoginsLocked    int32                    `json:"loginsLocked"`
	SessionsEnded   int32                    `json:"sessionsEnded"`
	LoginsNotLocked string                   `json:"loginsNotLocked,omitempty"`
	At              metav1.Time              `json:"at"`
}

type accessMember struct {
	User        v1alpha1.SQLIdentifier `json:"user"`
	Designation *v1alpha1.Designation  `json:"designation,omitempty"`
}

func newAccessGrant(ar *v1alpha1.AccessRole) accessGrant {
	s := &ar.Spec
	g := accessGrant{
		DatabaseRef:           s.DatabaseRef,
		RoleName:              s.RoleName,
		ProcessingActivityRef: s.ProcessingActivityRef,
		Grants:                s.Grants,
		RowFilter:             s.RowFilter,
		ValidUntil:            s.ValidUntil,
	}
	for _, m := range s.Members {
		g.Members = append(g.Members, accessMember{User: m.User, Designation: m.Designation})
	}
	if d := ar.Status.Deletion; d != nil {
		g.Deletion = &accessDeletion{Cleanup: d.Cleanup, LoginsLocked: d.LoginsLocked, SessionsEnded: d.SessionsEnded,
			LoginsNotLocked: d.LoginsNotLocked, At: d.At}
	}
	return g
}

// AccessRoleDeletionRecorded reports whether doc records the deletion of ar as its
// status.deletion says: the AccessRole's entry carries that deletion, or the entry is a
// placeholder (the spec was too large for the register) whose spec hash is the hash of the
// entry that carries it. False when ar has no status.deletion.
func AccessRoleDeletionRecorded(doc *Document, ar *v1alpha1.AccessRole) (bool, error) {
	if ar.Status.Deletion == nil {
		return false, nil
	}
	got, ok := doc.Lookup(Key{Kind: KindAccessRole, Namespace: ar.Namespace, Name: ar.Name})
	if !ok {
		return false, nil
	}
	want, err := NewEntry(KindAccessRole, ar.Namespace, ar.Name, newAccessGrant(ar))
	if err != nil {
		return false, err
	}
	if got.IsPlaceholder() {
		b, err := CanonicalValue(want.Spec)
		if err != nil {
			return false, err
		}
		x, _ := got.Spec[ExcludedMember].(map[string]any)
		return x["specHash"] == HashBytes(b), nil
	}
	return sameValue(got.Spec["deletion"], want.Spec["deletion"]), nil
}

// databaseFacts is what the register records of a CRMDatabase: the engine and schema preset,
// which logical fields it holds, which of them are personal, which private fields must stay
// empty, and whether erasures leave a proof in the ledger. Left out: connection, credentials,
// tables and columns.
type databaseFacts struct {
	Engine           v1alpha1.DatabaseEngine     `json:"engine"`
	Preset           v1alpha1.SchemaPreset       `json:"preset,omitempty"`
	MappedFields     []v1alpha1.LogicalFieldName `json:"mappedFields,omitempty"`
	PersonalFields   []v1alpha1.LogicalFieldName `json:"personalFields,omitempty"`
	RestrictedFields []v1alpha1.LogicalFieldName `json:"restrictedFields,omitempty"`
	ErasureLedger    bool                        `json:"erasureLedger"`
	// LedgerRetainFor is how long the ledger (pseudonymous personal data) keeps its rows;
	// empty keeps them indefinitely.
	LedgerRetainFor v1alpha1.RetentionTerm `json:"ledgerRetainFor,omitempty"`
}

func newDatabaseFacts(s *v1alpha1.CRMDatabaseSpec) databaseFacts {
	f := databaseFacts{
		Engine:        s.Engine,
		Preset:        s.Preset,
		ErasureLedger: s.Ledger == nil || s.Ledger.Enabled == nil || *s.Ledger.Enabled,
	}
	if s.Ledger != nil {
		f.LedgerRetainFor = s.Ledger.RetainFor
	}
	if m := s.Mapping; m != nil {
		for _, fm := range m.Fields {
			f.MappedFields = append(f.MappedFields, fm.Name)
		}
		f.PersonalFields = append(f.PersonalFields, m.PersonalFields...)
		for _, rf := range m.RestrictedFields {
			f.RestrictedFields = append(f.RestrictedFields, rf.Name)
		}
	}
	sortNames(f.MappedFields)
	sortNames(f.PersonalFields)
	sortNames(f.RestrictedFields)
	return f
}

func sortNames(names []v1alpha1.LogicalFieldName) {
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
}

// FromRegisterRevision reads a stored RegisterRevision.
func FromRegisterRevision(r *v1alpha1.RegisterRevision) Revision {
	s := &r.Spec
	rev := Revision{
		Number:         s.Revision,
		CreatedAt:      s.CreatedAt.Time,
		SourceRevision: s.SourceRevision,
		ContentHash:    s.ContentHash,
		PreviousHash:   s.PreviousHash,
		HistoryStart:   s.HistoryStart,
		ChangeCount:    s.ChangeCount,
		Encoding:       string(s.Snapshot.Encoding),
		Data:           s.Snapshot.Data,
	}
	for _, c := range s.Changes {
		rev.Changes = append(rev.Changes, Change{Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Type: ChangeType(c.Type), Fields: c.Fields})
	}
	return rev
}

// RegisterRevisionSpec gives the spec of the RegisterRevision that stores rev.
func (r Revision) RegisterRevisionSpec() v1alpha1.RegisterRevisionSpec {
	s := v1alpha1.RegisterRevisionSpec{
		Revision:       r.Number,
		CreatedAt:      metav1.NewTime(r.CreatedAt),
		ContentHash:    r.ContentHash,
		PreviousHash:   r.PreviousHash,
		SourceRevision: r.SourceRevision,
		ChangeCount:    r.ChangeCount,
		Snapshot:       v1alpha1.RegisterSnapshot{Encoding: v1alpha1.SnapshotEncoding(r.Encoding), Data: r.Data},
	}
	if r.HistoryStart > 1 {
		s.HistoryStart = r.HistoryStart
	}
	for _, c := range r.Changes {
		s.Changes = append(s.Changes, v1alpha1.RegisterChange{Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Type: v1alpha1.ChangeType(c.Type), Fields: c.Fields})
	}
	return s
}

// RevisionObjectName is the name of the RegisterRevision of a revision number:
// "register-000042".
func RevisionObjectName(number int64) string {
	return fmt.Sprintf("register-%06d", number)
}

// VerifyRegisterRevisions runs Verify over stored RegisterRevisions.
func VerifyRegisterRevisions(revs []v1alpha1.RegisterRevision) []Problem {
	out := make([]Revision, len(revs))
	for i := range revs {
		out[i] = FromRegisterRevision(&revs[i])
	}
	return Verify(out)
}
