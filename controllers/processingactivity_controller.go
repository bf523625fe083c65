package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/scan"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/gdpr"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
)

// ComplianceScanInterval is the least time between two compliance scans of an activity on a
// database when nothing changed: the scan reads every contact in scope, so it runs on every
// change of the activity, its LIA or the database (mapping, readiness), and otherwise at
// this interval or the recheck interval, whichever is longer.
const ComplianceScanInterval = 10 * time.Minute

// maxFindings is the most findings status.findings holds (its schema bound).
const maxFindings = 32

// ProcessingActivityReconciler checks an Art. 30 entry against the rules of the register
// (legal basis, DPIA, retention, processors and transfers) and scans the contacts in scope
// of each database it covers.
type ProcessingActivityReconciler struct {
	client.Client
	// live reads Secrets' metadata from the API server: the operator caches no Secret.
	live  client.Reader
	env   *Env
	scans *scanMemo
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=legitimateinterestassessments,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=retentionpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=crmdatabases,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;delete

func setupProcessingActivity(env *Env) error {
	mgr := env.Manager
	c := mgr.GetClient()
	r := &ProcessingActivityReconciler{Client: c, live: mgr.GetAPIReader(), env: env, scans: &scanMemo{m: map[types.NamespacedName]map[string]scanMemoEntry{}}}
	specChanged := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	return ctrl.NewControllerManagedBy(mgr).
		Named("processingactivity").
		For(&privacyv1alpha1.ProcessingActivity{}, builder.WithPredicates(predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, annotationChanged(privacyv1alpha1.AnnotationExportFindings)))).
		Watches(&privacyv1alpha1.LegitimateInterestAssessment{}, enqueueReferrers(c, &privacyv1alpha1.ProcessingActivityList{}, IndexLIARef), specChanged).
		Watches(&privacyv1alpha1.RetentionPolicy{}, enqueueReferrers(c, &privacyv1alpha1.ProcessingActivityList{}, IndexRetentionPolicyRef), specChanged).
		// A database becoming ready or not, or changing its mapping, re-checks the activity.
		Watches(&privacyv1alpha1.CRMDatabase{}, enqueueReferrers(c, &privacyv1alpha1.ProcessingActivityList{}, IndexDatabaseRef),
			builder.WithPredicates(readyChanged{})).
		// The first check of a database in this process (after a start or a failover) and
		// each change of its connection wake the objects that use it at once.
		WatchesRawSource(source.Channel(env.Connections.Subscribe(), enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.ProcessingActivityList{}, IndexDatabaseRef))).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

// Reconcile checks one ProcessingActivity.
func (r *ProcessingActivityReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pa := &privacyv1alpha1.ProcessingActivity{}
	if err := r.Get(ctx, req.NamespacedName, pa); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !pa.DeletionTimestamp.IsZero() {
		r.forget(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	c := &activityCheck{now: r.env.Clock.Now()}
	if err := r.checkLegalBasis(ctx, pa, c); err != nil {
		return ctrl.Result{}, err
	}
	c.outcome(privacyv1alpha1.TypeDPIAInPlace, gdpr.CheckDPIA(&pa.Spec))
	if err := r.checkRetention(ctx, pa, c); err != nil {
		return uncheckedResult(err)
	}
	c.outcome(privacyv1alpha1.TypeProcessorsCovered, gdpr.CheckProcessors(&pa.Spec, c.now))
	if f := gdpr.MarketingHint(&pa.Spec); f != nil {
		c.find(f.Code, f.Severity, f.Field, "%s", f.Message)
	}
	compliance, err := r.scanCompliance(ctx, pa, c)
	if err != nil {
		return uncheckedResult(err)
	}
	c.setReady()
	before := pa.DeepCopy()
	c.apply(pa, compliance)
	if err := r.reconcileFindingsExport(ctx, pa, c); err != nil {
		return uncheckedResult(err)
	}
	wrote, err := writeStatus(ctx, r.Client, pa, before, activityStatus)
	switch {
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case err != nil:
		return conflictResult(fmt.Errorf("while updating the status of ProcessingActivity %s: %w", req.Name, err))
	case wrote:
		r.emitTransitionEvents(before, pa)
	}
	return ctrl.Result{RequeueAfter: c.requeueAfter()}, nil
}

func activityStatus(pa *privacyv1alpha1.ProcessingActivity) any { return &pa.Status }

// errDatabaseUnchecked says that a covered database exists and this process has not
// checked it yet (after a start or a failover): the activity's status is left as it is
// until the check, which wakes the activity (Connections.Subscribe).
var errDatabaseUnchecked = errors.New("a covered database has not been checked yet")

// uncheckedResult ends a pass that met errDatabaseUnchecked without an error; other
// errors go to the error backoff.
func uncheckedResult(err error) (ctrl.Result, error) {
	if errors.Is(err, errDatabaseUnchecked) {
		return ctrl.Result{}, nil
	}
	return ctrl.Result{}, err
}

// forget drops what the controller keeps of a deleted activity.
func (r *ProcessingActivityReconciler) forget(key types.NamespacedName) {
	r.scans.forget(key)
	metrics.ForgetActivity(key.Namespace, key.Name)
}

// activityCheck accumulates the outcome of one reconcile.
type activityCheck struct {
	now        time.Time
	conditions []metav1.Condition
	findings   []privacyv1alpha1.Finding
	// next is the earliest time at which the outcome changes without any edit (an LIA's
	// review date, a contract's expiry); zero when none.
	next time.Time
	// rescanIn is when the compliance scan is due next; zero without databases.
	rescanIn time.Duration
	// rules are the rules the compliance scan holds the contacts in scope to.
	rules gdpr.ContactRules
}

func (c *activityCheck) set(condType string, status metav1.ConditionStatus, reason, format string, args ...any) {
	c.conditions = append(c.conditions, metav1.Condition{Type: condType, Status: status, Reason: reason, Message: truncateMessage(fmt.Sprintf(format, args...))})
}

func (c *activityCheck) find(code string, severity privacyv1alpha1.FindingSeverity, field, format string, args ...any) {
	c.findings = append(c.findings, privacyv1alpha1.Finding{Code: code, Severity: severity, Field: field, Message: truncateText(fmt.Sprintf(format, args...), 1024)})
}

// outcome records what a rule of package gdpr decided: the condition, its findings and
// when it changes next.
func (c *activityCheck) outcome(condType string, o gdpr.Outcome) {
	c.set(condType, o.Status, o.Reason, "%s", o.Message)
	for _, f := range o.Findings {
		c.find(f.Code, f.Severity, f.Field, "%s", f.Message)
	}
	if !o.Next.IsZero() {
		c.wakeAt(o.Next)
	}
}

// wakeAt records a future moment at which the outcome changes.
func (c *activityCheck) wakeAt(t time.Time) {
	if t.After(c.now) && (c.next.IsZero() || t.Before(c.next)) {
		c.next = t
	}
}

func (c *activityCheck) rescanAfter(d time.Duration) {
	if d > 0 && (c.rescanIn == 0 || d < c.rescanIn) {
		c.rescanIn = d
	}
}

func (c *activityCheck) requeueAfter() time.Duration {
	d := untilChange(c.now, c.next)
	if c.rescanIn > 0 && (d == 0 || c.rescanIn < d) {
		d = c.rescanIn
	}
	return d
}

// conditionMessageLimit bounds condition messages well under the API's 32768 bytes.
const conditionMessageLimit = 2048

func truncateMessage(s string) string { return truncateText(s, conditionMessageLimit) }

// truncateText cuts s to at most n bytes on a character boundary, ending with "…" when cut.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// readyDatabase returns the connection of a covered database, or why it cannot be used.
func (r *ProcessingActivityReconciler) readyDatabase(ctx context.Context, ns string, name privacyv1alpha1.ObjectName) (Connection, *privacyv1alpha1.Finding, error) {
	return readyCRMDatabase(ctx, r.Client, r.env.Connections, ns, name)
}

// readyCRMDatabase returns the connection of a referenced CRMDatabase, or why it cannot be
// used (a finding whose Code is DatabaseNotFound or DatabaseNotReady), or
// errDatabaseUnchecked when this process has not checked it yet.
func readyCRMDatabase(ctx context.Context, r client.Reader, conns *Connections, ns string, name privacyv1alpha1.ObjectName) (Connection, *privacyv1alpha1.Finding, error) {
	db := &privacyv1alpha1.CRMDatabase{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: string(name)}, db); err != nil {
		if apierrors.IsNotFound(err) {
			return Connection{}, &privacyv1alpha1.Finding{Code: privacyv1alpha1.ReasonDatabaseNotFound,
				Message: fmt.Sprintf("CRMDatabase %s does not exist in namespace %s", name, ns)}, nil
		}
		return Connection{}, nil, fmt.Errorf("while reading CRMDatabase %s: %w", name, err)
	}
	conn, err := conns.Ready(types.NamespacedName{Namespace: ns, Name: string(name)})
	if err != nil {
		var nre *NotReadyError
		if errors.As(err, &nre) && nre.Unchecked {
			return Connection{}, nil, errDatabaseUnchecked
		}
		if errors.As(err, &nre) {
			return Connection{}, &privacyv1alpha1.Finding{Code: privacyv1alpha1.ReasonDatabaseNotReady,
				Message: fmt.Sprintf("CRMDatabase %s is not ready (%s): %s", name, nre.Reason, nre.Message)}, nil
		}
		return Connection{}, nil, err
	}
	return conn, nil, nil
}

// checkLegalBasis sets LegalBasisValid (the rules are gdpr.CheckLegitimateInterests,
// gdpr.CheckConsentEvidence and gdpr.CheckOtherBasis), and the rules the compliance scan
// holds the contacts to (gdpr.ContactRulesFor).
func (r *ProcessingActivityReconciler) checkLegalBasis(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity, c *activityCheck) error {
	var liaSpec *privacyv1alpha1.LegitimateInterestAssessmentSpec
	switch pa.Spec.LegalBasis.Basis {
	case privacyv1alpha1.BasisLegitimateInterests:
		lia, err := r.activityLIA(ctx, pa)
		if err != nil {
			return err
		}
		if lia != nil {
			liaSpec = &lia.Spec
		}
		c.outcome(privacyv1alpha1.TypeLegalBasisValid, gdpr.CheckLegitimateInterests(pa, lia, c.now))
	case privacyv1alpha1.BasisConsent:
		dbs, err := r.databaseFields(ctx, pa)
		if err != nil {
			return err
		}
		c.outcome(privacyv1alpha1.TypeLegalBasisValid, gdpr.CheckConsentEvidence(dbs))
	default:
		c.outcome(privacyv1alpha1.TypeLegalBasisValid, gdpr.CheckOtherBasis(pa.Spec.LegalBasis.Basis))
	}
	c.rules = gdpr.ContactRulesFor(&pa.Spec, liaSpec, c.now)
	return nil
}

// activityLIA reads the LIA an activity names; nil when it names none or it does not exist.
func (r *ProcessingActivityReconciler) activityLIA(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity) (*privacyv1alpha1.LegitimateInterestAssessment, error) {
	ref := pa.Spec.LegalBasis.LegitimateInterestAssessmentRef
	if ref == nil {
		return nil, nil
	}
	lia := &privacyv1alpha1.LegitimateInterestAssessment{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: pa.Namespace, Name: string(ref.Name)}, lia); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("while reading LegitimateInterestAssessment %s: %w", ref.Name, err)
	}
	return lia, nil
}

// databaseFields reads which logical fields each covered database maps, in the order of
// spec.databaseRefs, or why it cannot be read.
func (r *ProcessingActivityReconciler) databaseFields(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity) ([]gdpr.DatabaseFields, error) {
	var out []gdpr.DatabaseFields
	for _, ref := range pa.Spec.DatabaseRefs {
		conn, unavailable, err := r.readyDatabase(ctx, pa.Namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		db := gdpr.DatabaseFields{Name: string(ref.Name)}
		if unavailable != nil {
			db.Unavailable = unavailable.Message
		} else {
			db.Mapped = map[string]bool{}
			for name := range conn.Mapping.Fields {
				db.Mapped[name] = true
			}
		}
		out = append(out, db)
	}
	return out, nil
}

// checkRetention sets RetentionDefined: every referenced RetentionPolicy exists, or the
// limits are described in words.
func (r *ProcessingActivityReconciler) checkRetention(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity, c *activityCheck) error {
	refs := pa.Spec.RetentionPolicyRefs
	if len(refs) == 0 {
		if pa.Spec.ErasureTimeLimits != "" {
			c.set(privacyv1alpha1.TypeRetentionDefined, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled,
				"the erasure time limits are described in spec.erasureTimeLimits; no RetentionPolicy enforces them")
			return nil
		}
		msg := "the activity declares no erasure time limit: reference the RetentionPolicies that enforce them in spec.retentionPolicyRefs, or describe them in spec.erasureTimeLimits"
		c.set(privacyv1alpha1.TypeRetentionDefined, metav1.ConditionFalse, privacyv1alpha1.ReasonRetentionMissing, "%s", msg)
		c.find(privacyv1alpha1.ReasonRetentionMissing, privacyv1alpha1.SeverityViolation, "spec.retentionPolicyRefs", "%s", msg)
		return nil
	}
	var missing []string
	for i, ref := range refs {
		rp := &privacyv1alpha1.RetentionPolicy{}
		err := r.Get(ctx, types.NamespacedName{Namespace: pa.Namespace, Name: string(ref.Name)}, rp)
		field := fmt.Sprintf("spec.retentionPolicyRefs[%d]", i)
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, string(ref.Name))
			c.find(privacyv1alpha1.ReasonPolicyNotFound, privacyv1alpha1.SeverityViolation, field,
				"RetentionPolicy %s does not exist in namespace %s", ref.Name, pa.Namespace)
		case err != nil:
			return fmt.Errorf("while reading RetentionPolicy %s: %w", ref.Name, err)
		case rp.Spec.ProcessingActivityRef.Name != privacyv1alpha1.ObjectName(pa.Name):
			c.find(privacyv1alpha1.ReasonPolicyForOtherActivity, privacyv1alpha1.SeverityWarning, field,
				"RetentionPolicy %s implements the erasure time limits of activity %s, not of this one", ref.Name, rp.Spec.ProcessingActivityRef.Name)
		}
	}
	if len(missing) > 0 {
		c.set(privacyv1alpha1.TypeRetentionDefined, metav1.ConditionFalse, privacyv1alpha1.ReasonPolicyNotFound,
			"RetentionPolicy %s not found in namespace %s: create it or fix spec.retentionPolicyRefs", strings.Join(missing, ", "), pa.Namespace)
		return nil
	}
	c.set(privacyv1alpha1.TypeRetentionDefined, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled,
		"%d RetentionPolicies enforce the erasure time limits", len(refs))
	return nil
}

// scanSpecFor is the compliance scan of an activity under its contact rules.
func scanSpecFor(pa *privacyv1alpha1.ProcessingActivity, rules gdpr.ContactRules) scan.Spec {
	spec := scan.Spec{Marketing: rules.OptOut}
	if s := rules.LegitimateInterest; s != nil {
		spec.LegitimateInterest = &scan.LIAScope{ContactTypes: s.ContactTypes, JobRoles: s.JobRoles}
	}
	if sel := pa.Spec.ContactSelector; sel != nil {
		for _, e := range sel.MatchExpressions {
			spec.Selector = append(spec.Selector, crm.ScanRequirement{Field: string(e.Field), Operator: string(e.Operator), Values: e.Values})
		}
	}
	return spec
}

// scanMemo remembers, per activity and database, the inputs and outcome of the last scan,
// so that a reconcile without change does not scan again before the interval.
type scanMemo struct {
	mu sync.Mutex
	m  map[types.NamespacedName]map[string]scanMemoEntry
}

type scanMemoEntry struct {
	fingerprint string
	at          time.Time
	result      scan.Result
}

func (s *scanMemo) get(key types.NamespacedName, db string) (scanMemoEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key][db]
	return e, ok
}

func (s *scanMemo) put(key types.NamespacedName, db string, e scanMemoEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[key] == nil {
		s.m[key] = map[string]scanMemoEntry{}
	}
	s.m[key][db] = e
}

// keep drops the entries of databases no longer covered.
func (s *scanMemo) keep(key types.NamespacedName, dbs map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for db := range s.m[key] {
		if !dbs[db] {
			delete(s.m[key], db)
		}
	}
}

func (s *scanMemo) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

// scanInterval is how often an unchanged activity is scanned again.
func (r *ProcessingActivityReconciler) scanInterval() time.Duration {
	return max(r.env.Options.RecheckInterval, ComplianceScanInterval)
}

// dbScan is the outcome of the scan of one database.
type dbScan struct {
	entry privacyv1alpha1.DatabaseCompliance
	// problem is why the scan did not run (Code is the condition reason), nil when it ran.
	problem *privacyv1alpha1.Finding
	result  *scan.Result
}

// scanCompliance scans the contacts in scope on each covered database and sets Compliant.
func (r *ProcessingActivityReconciler) scanCompliance(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity, c *activityCheck) ([]privacyv1alpha1.DatabaseCompliance, error) {
	key := client.ObjectKeyFromObject(pa)
	covered := map[string]bool{}
	var scans []dbScan
	for _, ref := range pa.Spec.DatabaseRefs {
		covered[string(ref.Name)] = true
		s, err := r.scanDatabase(ctx, pa, ref.Name, c)
		if err != nil {
			return nil, err
		}
		scans = append(scans, s)
	}
	r.scans.keep(key, covered)
	for _, prev := range pa.Status.Compliance {
		if !covered[string(prev.Database)] {
			metrics.ForgetActivityDatabase(pa.Namespace, pa.Name, string(prev.Database))
		}
	}
	setCompliant(pa, scans, c)
	out := make([]privacyv1alpha1.DatabaseCompliance, len(scans))
	for i, s := range scans {
		out[i] = s.entry
	}
	return out, nil
}

// scanDatabase scans one database, or reuses the last scan when nothing changed and the
// interval has not passed. A database that cannot be scanned keeps its last counts, with a
// message saying why they are not current.
func (r *ProcessingActivityReconciler) scanDatabase(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity, name privacyv1alpha1.ObjectName, c *activityCheck) (dbScan, error) {
	s := dbScan{entry: privacyv1alpha1.DatabaseCompliance{Database: name}}
	conn, unavailable, err := r.readyDatabase(ctx, pa.Namespace, name)
	if err != nil {
		return s, err
	}
	if unavailable != nil {
		s.problem = unavailable
		s.entry = staleCompliance(pa, name, unavailable)
		c.rescanAfter(r.env.Options.RecheckInterval)
		return s, nil
	}
	spec := scanSpecFor(pa, c.rules)
	fp, _ := json.Marshal(struct {
		Generation, DatabaseGeneration int64
		Spec                           scan.Spec
	}{pa.Generation, conn.Generation, spec})
	key := client.ObjectKeyFromObject(pa)
	interval := r.scanInterval()
	memo, ok := r.scans.get(key, string(name))
	if !ok || memo.fingerprint != string(fp) || !c.now.Before(memo.at.Add(interval)) {
		res, err := scan.Compliance(ctx, conn.DB, conn.Mapping, spec)
		if err != nil {
			s.problem = scanProblem(name, err)
			s.entry = staleCompliance(pa, name, s.problem)
			c.rescanAfter(r.env.Options.RecheckInterval)
			ctrl.LoggerFrom(ctx).Info("Compliance scan failed", "database", name, "reason", s.problem.Code)
			return s, nil
		}
		memo = scanMemoEntry{fingerprint: string(fp), at: c.now, result: res}
		r.scans.put(key, string(name), memo)
		recordScanMetrics(pa, string(name), spec, res, c.now)
	}
	c.rescanAfter(memo.at.Add(interval).Sub(c.now))
	s.result = &memo.result
	s.entry = complianceEntry(name, memo, c.rules)
	return s, nil
}

// scanProblem turns a scan error into the reason and message of the Compliant condition.
func scanProblem(name privacyv1alpha1.ObjectName, err error) *privacyv1alpha1.Finding {
	var unmapped *crm.UnmappedFieldError
	var invalid *crm.InvalidSelectorError
	if errors.As(err, &unmapped) || errors.As(err, &invalid) {
		return &privacyv1alpha1.Finding{Code: privacyv1alpha1.ReasonInvalidSpec,
			Message: fmt.Sprintf("CRMDatabase %s cannot be scanned: %v; fix spec.contactSelector or the database's mapping", name, err)}
	}
	return &privacyv1alpha1.Finding{Code: privacyv1alpha1.ReasonScanFailed,
		Message: fmt.Sprintf("the compliance scan of CRMDatabase %s failed: %v", name, err)}
}

// staleCompliance is the status entry of a database that could not be scanned now: the
// counts of its last scan, if any, with the reason and message of the problem. A database
// never scanned lists every check as NotScanned.
func staleCompliance(pa *privacyv1alpha1.ProcessingActivity, name privacyv1alpha1.ObjectName, problem *privacyv1alpha1.Finding) privacyv1alpha1.DatabaseCompliance {
	e := privacyv1alpha1.DatabaseCompliance{Database: name}
	for _, prev := range pa.Status.Compliance {
		if prev.Database == name {
			e = *prev.DeepCopy()
		}
	}
	e.Reason = problem.Code
	if e.ScannedAt == nil {
		e.Unchecked = nil
		for _, check := range privacyv1alpha1.ComplianceChecks() {
			e.SetCount(check, nil)
			e.Unchecked = append(e.Unchecked, privacyv1alpha1.UncheckedCheck{Check: check, Reason: privacyv1alpha1.UncheckedNotScanned,
				Message: "the database has not been scanned yet"})
		}
		e.ContactsInScope = nil
		e.Message = truncateText(problem.Message+"; not scanned yet", 1024)
		return e
	}
	e.Message = truncateText(problem.Message+"; the counts are from the scan of "+e.ScannedAt.UTC().Format(time.RFC3339), 1024)
	return e
}

// complianceEntry is the status entry of a scan: a count for each check that ran, and
// for each other one why it did not (its fields are not mapped, or the rule does not apply
// to the activity).
func complianceEntry(name privacyv1alpha1.ObjectName, m scanMemoEntry, rules gdpr.ContactRules) privacyv1alpha1.DatabaseCompliance {
	at := metav1.NewTime(m.at)
	res := m.result
	inScope := res.InScope
	e := privacyv1alpha1.DatabaseCompliance{Database: name, ScannedAt: &at, ContactsInScope: &inScope}
	for _, check := range privacyv1alpha1.ComplianceChecks() {
		if n, ok := res.Counts[string(check)]; ok {
			e.SetCount(check, &n)
			continue
		}
		u := privacyv1alpha1.UncheckedCheck{Check: check, Reason: privacyv1alpha1.UncheckedNotApplicable, Message: rules.NotApplicableReason(check)}
		if why, ok := res.NotCheckable[string(check)]; ok {
			u.Reason, u.Message = privacyv1alpha1.UncheckedNotMapped, truncateText(why, 256)
		}
		e.Unchecked = append(e.Unchecked, u)
	}
	return e
}

// recordScanMetrics publishes a scan: the count of each check that ran, 0 in
// compliance_check_checkable for the ones that could not, no series for the ones that do
// not apply.
func recordScanMetrics(pa *privacyv1alpha1.ProcessingActivity, db string, spec scan.Spec, res scan.Result, at time.Time) {
	metrics.ForgetActivityDatabase(pa.Namespace, pa.Name, db)
	metrics.ComplianceContactsInScope.WithLabelValues(pa.Namespace, pa.Name, db).Set(float64(res.InScope))
	metrics.ComplianceLastScan.WithLabelValues(pa.Namespace, pa.Name, db).Set(float64(at.Unix()))
	for _, check := range scan.Checks() {
		if n, ok := res.Counts[check]; ok {
			metrics.ComplianceFindings.WithLabelValues(pa.Namespace, pa.Name, db, check).Set(float64(n))
			metrics.ComplianceCheckable.WithLabelValues(pa.Namespace, pa.Name, db, check).Set(1)
		} else if _, ok := res.NotCheckable[check]; ok {
			metrics.ComplianceCheckable.WithLabelValues(pa.Namespace, pa.Name, db, check).Set(0)
		}
	}
}

// checkWords name the checks in condition messages.
var checkWords = map[string]string{
	scan.CheckNoLegalBasis:                 "without a legal basis",
	scan.CheckConsentWithoutEvidence:       "on consent without evidence",
	scan.CheckLegitimateInterestOutOfScope: "on legitimate interests outside the LIA's scope",
	scan.CheckOptedOutInScope:              "opted out",
	scan.CheckRestrictedFieldsFilled:       "with restricted fields filled in",
}

// violations words the non-zero counts of a scan: "3 without a legal basis, 2 opted out".
func violations(res *scan.Result) string {
	var parts []string
	for _, check := range scan.Checks() {
		if n := res.Counts[check]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, checkWords[check]))
		}
	}
	return strings.Join(parts, ", ")
}

// setCompliant sets the Compliant condition from the scans: False when contacts break a
// rule, or a scan could not run because of the spec or failed; Unknown when a database is
// not ready; True otherwise.
func setCompliant(pa *privacyv1alpha1.ProcessingActivity, scans []dbScan, c *activityCheck) {
	if len(scans) == 0 {
		c.set(privacyv1alpha1.TypeCompliant, metav1.ConditionTrue, privacyv1alpha1.ReasonNotRequired,
			"no database is covered (spec.databaseRefs): there are no contacts to scan")
		return
	}
	var bad, problems, notCheckable []string
	problemReason := ""
	var inScope int64
	for i, s := range scans {
		field := fmt.Sprintf("spec.databaseRefs[%d]", i)
		if s.problem != nil {
			problems = append(problems, s.problem.Message)
			if problemReason == "" || problemReason == privacyv1alpha1.ReasonDatabaseNotReady {
				problemReason = s.problem.Code
			}
			continue
		}
		inScope += s.result.InScope
		if v := violations(s.result); v != "" {
			msg := fmt.Sprintf("CRMDatabase %s: of %d contacts in scope, %s", s.entry.Database, s.result.InScope, v)
			bad = append(bad, msg)
			c.find(privacyv1alpha1.ReasonNonCompliantContacts, privacyv1alpha1.SeverityViolation, field, "%s", msg)
		}
		if len(s.result.NotCheckable) > 0 {
			msg := fmt.Sprintf("CRMDatabase %s: %s", s.entry.Database, s.result.NotCheckableSummary())
			notCheckable = append(notCheckable, msg)
			c.find(privacyv1alpha1.ReasonNotCheckable, privacyv1alpha1.SeverityWarning, field, "%s; map the fields in the CRMDatabase to run these checks", msg)
		}
	}
	switch {
	case len(bad) > 0:
		c.set(privacyv1alpha1.TypeCompliant, metav1.ConditionFalse, privacyv1alpha1.ReasonNonCompliantContacts,
			"%s: fix these contacts in the CRM (record their basis and consent evidence, stop processing opted-out contacts, clear the private fields) or narrow spec.contactSelector", strings.Join(append(bad, problems...), "; "))
	case problemReason == privacyv1alpha1.ReasonDatabaseNotReady:
		c.set(privacyv1alpha1.TypeCompliant, metav1.ConditionUnknown, problemReason, "%s", strings.Join(problems, "; "))
	case problemReason != "":
		c.set(privacyv1alpha1.TypeCompliant, metav1.ConditionFalse, problemReason, "%s", strings.Join(problems, "; "))
	default:
		msg := fmt.Sprintf("no contact in scope breaks a rule (%d contacts in scope on %d databases)", inScope, len(scans))
		if len(notCheckable) > 0 {
			msg += "; " + strings.Join(notCheckable, "; ")
		}
		c.set(privacyv1alpha1.TypeCompliant, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled, "%s", msg)
	}
}

// activityFailureReasons are the reasons of an activity's conditions that say the operator
// could not check it (a covered database missing or not ready, a scan that failed, a
// selector it cannot compile), rather than what the check found.
var activityFailureReasons = map[string]bool{
	privacyv1alpha1.ReasonDatabaseNotFound: true,
	privacyv1alpha1.ReasonDatabaseNotReady: true,
	privacyv1alpha1.ReasonScanFailed:       true,
	privacyv1alpha1.ReasonInvalidSpec:      true,
}

// setReady sets Ready: False with the reason of the first condition that says the activity
// could not be checked; otherwise True, naming the conditions that report findings (a
// finding is the DPO's work, not a failure to reconcile: docs/gitops.md).
func (c *activityCheck) setReady() {
	var findings []string
	for _, cond := range c.conditions {
		switch {
		case cond.Status == metav1.ConditionTrue:
		case activityFailureReasons[cond.Reason]:
			c.set(privacyv1alpha1.TypeReady, metav1.ConditionFalse, cond.Reason, "%s: %s", cond.Type, cond.Message)
			return
		default:
			findings = append(findings, cond.Type+" ("+cond.Reason+")")
		}
	}
	if len(findings) > 0 {
		c.set(privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled,
			"the activity is checked; findings for the DPO in %s", strings.Join(findings, ", "))
		return
	}
	c.set(privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled, "the activity is valid and compliant as declared")
}

// activitySummary is the first condition of an activity's status that is not True, other
// than Ready and the health conditions; nil when every one is True. Events follow it, so a
// new finding is announced as a failure is.
func activitySummary(conds []metav1.Condition) *metav1.Condition {
	for i := range conds {
		switch conds[i].Type {
		case privacyv1alpha1.TypeReady, privacyv1alpha1.TypeReconciling, privacyv1alpha1.TypeStalled, privacyv1alpha1.TypeRegistered:
			continue
		}
		if conds[i].Status != metav1.ConditionTrue {
			return &conds[i]
		}
	}
	return nil
}

var severityRank = map[privacyv1alpha1.FindingSeverity]int{
	privacyv1alpha1.SeverityViolation: 0, privacyv1alpha1.SeverityWarning: 1, privacyv1alpha1.SeverityInfo: 2,
}

// apply writes the outcome into the status.
func (c *activityCheck) apply(pa *privacyv1alpha1.ProcessingActivity, compliance []privacyv1alpha1.DatabaseCompliance) {
	st := &pa.Status
	for _, cond := range c.conditions {
		cond.ObservedGeneration = pa.Generation
		meta.SetStatusCondition(&st.Conditions, cond)
	}
	findings := append([]privacyv1alpha1.Finding(nil), c.findings...)
	sort.SliceStable(findings, func(i, j int) bool { return severityRank[findings[i].Severity] < severityRank[findings[j].Severity] })
	if len(findings) > maxFindings {
		findings = findings[:maxFindings]
	}
	st.Findings = findings
	st.Compliance = compliance
	st.ObservedGeneration = pa.Generation
}

// emitTransitionEvents emits an event when the first condition that is not True changes
// (activitySummary), or its reason does: a Warning for a failure or a finding, a Normal
// event when every condition is True again.
func (r *ProcessingActivityReconciler) emitTransitionEvents(before, after *privacyv1alpha1.ProcessingActivity) {
	was, now := activitySummary(before.Status.Conditions), activitySummary(after.Status.Conditions)
	switch {
	case now == nil && was == nil && meta.FindStatusCondition(before.Status.Conditions, privacyv1alpha1.TypeReady) != nil:
	case now == nil:
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonReconciled, "Check", "The activity is valid and compliant")
	case was == nil || was.Reason != now.Reason:
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Check", "%s: %s", now.Type, truncateText(now.Message, 1024))
	}
}
