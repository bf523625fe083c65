package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
)

// ComplianceScanInterval is the least time between two compliance scans of an activity on a
// database when nothing changed: the scan reads every contact in scope, so it runs on every
// change of the activity, its LIA or the database (mapping, readiness), and otherwise at
// this interval or the recheck interval, whichever is longer.
const ComplianceScanInterval = 10 * time.Minute

// ContractExpiryWarning is how long before a processor's contract expires a Warning finding
// says so.
const ContractExpiryWarning = 30 * 24 * time.Hour

// maxFindings is the most findings status.findings holds (its schema bound).
const maxFindings = 32

// ProcessingActivityReconciler checks an Art. 30 entry against the rules of the register
// (legal basis, DPIA, retention, processors and transfers) and scans the contacts in scope
// of each database it covers.
type ProcessingActivityReconciler struct {
	client.Client
	env   *Env
	scans *scanMemo
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=legitimateinterestassessments,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=retentionpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=crmdatabases,verbs=get;list;watch

func setupProcessingActivity(env *Env) error {
	mgr := env.Manager
	c := mgr.GetClient()
	r := &ProcessingActivityReconciler{Client: c, env: env, scans: &scanMemo{m: map[types.NamespacedName]map[string]scanMemoEntry{}}}
	specChanged := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	return ctrl.NewControllerManagedBy(mgr).
		Named("processingactivity").
		For(&privacyv1alpha1.ProcessingActivity{}, specChanged).
		Watches(&privacyv1alpha1.LegitimateInterestAssessment{}, enqueueReferrers(c, &privacyv1alpha1.ProcessingActivityList{}, IndexLIARef), specChanged).
		Watches(&privacyv1alpha1.RetentionPolicy{}, enqueueReferrers(c, &privacyv1alpha1.ProcessingActivityList{}, IndexRetentionPolicyRef), specChanged).
		// A database becoming ready or not, or changing its mapping, re-checks the activity.
		Watches(&privacyv1alpha1.CRMDatabase{}, enqueueReferrers(c, &privacyv1alpha1.ProcessingActivityList{}, IndexDatabaseRef),
			builder.WithPredicates(readyChanged{})).
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
	checkDPIA(pa, c)
	if err := r.checkRetention(ctx, pa, c); err != nil {
		return ctrl.Result{}, err
	}
	checkProcessors(pa, c)
	compliance, err := r.scanCompliance(ctx, pa, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	c.setReady()
	before := pa.DeepCopy()
	c.apply(pa, compliance)
	if !equality.Semantic.DeepEqual(before.Status, pa.Status) {
		if err := r.Status().Patch(ctx, pa, client.MergeFrom(before)); err != nil {
			if apierrors.IsNotFound(err) {
				return ctrl.Result{}, nil
			}
			return ctrl.Result{}, fmt.Errorf("while updating the status of ProcessingActivity %s: %w", req.Name, err)
		}
		r.emitTransitionEvents(before, pa)
	}
	return ctrl.Result{RequeueAfter: c.requeueAfter()}, nil
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
	// liaScope is the scope the scan checks legitimate-interest contacts against, for an
	// activity on legitimate interests (empty when its LIA is missing or not usable).
	liaScope *crm.LIAScope
}

func (c *activityCheck) set(condType string, status metav1.ConditionStatus, reason, format string, args ...any) {
	c.conditions = append(c.conditions, metav1.Condition{Type: condType, Status: status, Reason: reason, Message: truncateMessage(fmt.Sprintf(format, args...))})
}

func (c *activityCheck) find(code string, severity privacyv1alpha1.FindingSeverity, field, format string, args ...any) {
	c.findings = append(c.findings, privacyv1alpha1.Finding{Code: code, Severity: severity, Field: field, Message: truncateText(fmt.Sprintf(format, args...), 1024)})
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
	db := &privacyv1alpha1.CRMDatabase{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: string(name)}, db); err != nil {
		if apierrors.IsNotFound(err) {
			return Connection{}, &privacyv1alpha1.Finding{Code: privacyv1alpha1.ReasonDatabaseNotFound,
				Message: fmt.Sprintf("CRMDatabase %s does not exist in namespace %s", name, ns)}, nil
		}
		return Connection{}, nil, fmt.Errorf("while reading CRMDatabase %s: %w", name, err)
	}
	conn, err := r.env.Connections.Ready(types.NamespacedName{Namespace: ns, Name: string(name)})
	if err != nil {
		var nre *NotReadyError
		if errors.As(err, &nre) {
			return Connection{}, &privacyv1alpha1.Finding{Code: privacyv1alpha1.ReasonDatabaseNotReady,
				Message: fmt.Sprintf("CRMDatabase %s is not ready (%s): %s", name, nre.Reason, nre.Message)}, nil
		}
		return Connection{}, nil, err
	}
	return conn, nil, nil
}

// checkLegalBasis sets LegalBasisValid.
func (r *ProcessingActivityReconciler) checkLegalBasis(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity, c *activityCheck) error {
	switch pa.Spec.LegalBasis.Basis {
	case privacyv1alpha1.BasisLegitimateInterests:
		return r.checkLIA(ctx, pa, c)
	case privacyv1alpha1.BasisConsent:
		return r.checkConsentEvidence(ctx, pa, c)
	}
	c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled,
		"the %s basis needs no assessment; say which contract or law in spec.legalBasis.details", pa.Spec.LegalBasis.Basis)
	return nil
}

const liaRefField = "spec.legalBasis.legitimateInterestAssessmentRef"

// checkLIA checks that the activity's LIA exists, is approved, current, and covers it.
func (r *ProcessingActivityReconciler) checkLIA(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity, c *activityCheck) error {
	c.liaScope = &crm.LIAScope{}
	ref := pa.Spec.LegalBasis.LegitimateInterestAssessmentRef
	if ref == nil {
		c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, privacyv1alpha1.ReasonLIANotFound,
			"legitimate interests needs an approved LegitimateInterestAssessment: set %s", liaRefField)
		return nil
	}
	lia := &privacyv1alpha1.LegitimateInterestAssessment{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: pa.Namespace, Name: string(ref.Name)}, lia); err != nil {
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("while reading LegitimateInterestAssessment %s: %w", ref.Name, err)
		}
		msg := fmt.Sprintf("LegitimateInterestAssessment %s does not exist in namespace %s: create it, or rely on another legal basis (usually consent)", ref.Name, pa.Namespace)
		c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, privacyv1alpha1.ReasonLIANotFound, "%s", msg)
		c.find(privacyv1alpha1.ReasonLIANotFound, privacyv1alpha1.SeverityViolation, liaRefField, "%s", msg)
		return nil
	}
	state := LIAStateAt(&lia.Spec, c.now)
	if !state.Usable() {
		reason := privacyv1alpha1.ReasonLIANotApproved
		if state.Phase == privacyv1alpha1.PhaseExpired {
			reason = privacyv1alpha1.ReasonExpired
		}
		msg := fmt.Sprintf("LegitimateInterestAssessment %s is %s: %s", lia.Name, state.Phase, state.Message)
		c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, reason, "%s", msg)
		c.find(reason, privacyv1alpha1.SeverityViolation, liaRefField, "%s", msg)
		return nil
	}
	c.wakeAt(lia.Spec.Decision.ReviewBy.Add(-LIAReviewWarning))
	c.wakeAt(lia.Spec.Decision.ReviewBy.Time)
	c.liaScope = &crm.LIAScope{ContactTypes: contactTypeStrings(lia.Spec.Scope.ContactTypes), JobRoles: lia.Spec.Scope.JobRoles}
	if problems := liaScopeProblems(pa, lia); len(problems) > 0 {
		for _, p := range problems {
			c.find(privacyv1alpha1.ReasonLIAOutOfScope, privacyv1alpha1.SeverityViolation, p.field, "%s", p.message)
		}
		c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, privacyv1alpha1.ReasonLIAOutOfScope,
			"LegitimateInterestAssessment %s does not cover the activity: %s; narrow the activity or widen the LIA's scope (B2C contacts and other job roles need consent)", lia.Name, joinMessages(problems))
		return nil
	}
	if state.Reason == privacyv1alpha1.ReasonReviewDue {
		c.find(privacyv1alpha1.ReasonReviewDue, privacyv1alpha1.SeverityWarning, liaRefField, "LegitimateInterestAssessment %s: %s", lia.Name, state.Message)
	}
	c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled,
		"LegitimateInterestAssessment %s is approved until %s and covers the activity (contact types %s, %d job roles)",
		lia.Name, calendarDay(lia.Spec.Decision.ReviewBy.Time), strings.Join(c.liaScope.ContactTypes, ", "), len(lia.Spec.Scope.JobRoles))
	return nil
}

func contactTypeStrings(ts []privacyv1alpha1.ContactType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

type fieldProblem struct{ field, message string }

func joinMessages(ps []fieldProblem) string {
	ms := make([]string, len(ps))
	for i, p := range ps {
		ms[i] = p.message
	}
	return strings.Join(ms, "; ")
}

// consumerWords are words of a data-subject category that name consumers, whom legitimate
// interests cannot cover.
var consumerWords = regexp.MustCompile(`(?i)\b(b2c|consumers?|private (individuals?|persons?|customers?))\b`)

// liaScopeProblems lists where the activity reaches beyond its LIA's scope: contact types
// or job roles its contactSelector selects (with In) that the LIA does not list, and
// data-subject categories that name consumers.
func liaScopeProblems(pa *privacyv1alpha1.ProcessingActivity, lia *privacyv1alpha1.LegitimateInterestAssessment) []fieldProblem {
	var out []fieldProblem
	allowed := map[privacyv1alpha1.LogicalFieldName][]string{
		privacyv1alpha1.FieldContactType: contactTypeStrings(lia.Spec.Scope.ContactTypes),
		privacyv1alpha1.FieldJobRole:     lia.Spec.Scope.JobRoles,
	}
	if sel := pa.Spec.ContactSelector; sel != nil {
		for i, req := range sel.MatchExpressions {
			scope, ok := allowed[req.Field]
			if !ok || req.Operator != privacyv1alpha1.SelectorOpIn {
				continue
			}
			for _, v := range req.Values {
				if !containsFold(scope, v) {
					out = append(out, fieldProblem{fmt.Sprintf("spec.contactSelector.matchExpressions[%d]", i),
						fmt.Sprintf("the contactSelector selects %s %q, which the LIA's scope does not list", req.Field, v)})
				}
			}
		}
	}
	for i, cat := range pa.Spec.DataSubjectCategories {
		if consumerWords.MatchString(cat) {
			out = append(out, fieldProblem{fmt.Sprintf("spec.dataSubjectCategories[%d]", i),
				fmt.Sprintf("the data-subject category %q names consumers", cat)})
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}

// checkConsentEvidence checks that every covered database maps consentAt and
// consentMethod. A database that is not ready leaves the condition Unknown.
func (r *ProcessingActivityReconciler) checkConsentEvidence(ctx context.Context, pa *privacyv1alpha1.ProcessingActivity, c *activityCheck) error {
	if len(pa.Spec.DatabaseRefs) == 0 {
		c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled,
			"consent: no database is covered (spec.databaseRefs), so there is no consent evidence to check")
		return nil
	}
	var missing, unknown []string
	for i, ref := range pa.Spec.DatabaseRefs {
		conn, unavailable, err := r.readyDatabase(ctx, pa.Namespace, ref.Name)
		if err != nil {
			return err
		}
		if unavailable != nil {
			unknown = append(unknown, unavailable.Message)
			continue
		}
		var lacks []string
		for _, f := range []string{crm.FieldConsentAt, crm.FieldConsentMethod} {
			if _, ok := conn.Mapping.Fields[f]; !ok {
				lacks = append(lacks, f)
			}
		}
		if len(lacks) > 0 {
			msg := fmt.Sprintf("CRMDatabase %s does not map %s", ref.Name, strings.Join(lacks, " nor "))
			missing = append(missing, msg)
			c.find(privacyv1alpha1.ReasonConsentEvidenceMissing, privacyv1alpha1.SeverityViolation, fmt.Sprintf("spec.databaseRefs[%d]", i),
				"%s: consent cannot be shown without when and how it was given; map the fields in the CRMDatabase's spec.mapping.fields", msg)
		}
	}
	switch {
	case len(missing) > 0:
		c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionFalse, privacyv1alpha1.ReasonConsentEvidenceMissing,
			"consent needs its evidence (consentAt and consentMethod) on every covered database: %s; map them in the CRMDatabase's spec.mapping.fields", strings.Join(missing, "; "))
	case len(unknown) > 0:
		c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionUnknown, privacyv1alpha1.ReasonDatabaseNotReady,
			"the consent evidence could not be checked: %s", strings.Join(unknown, "; "))
	default:
		c.set(privacyv1alpha1.TypeLegalBasisValid, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled,
			"consent: every covered database maps the consent evidence (consentAt, consentMethod)")
	}
	return nil
}

// checkDPIA sets DPIAInPlace: a DPIA is needed when it is declared required, when the
// activity profiles people, or when it meets two or more WP248 criteria (special
// categories count as the SensitiveData criterion); it is in place when completed.
func checkDPIA(pa *privacyv1alpha1.ProcessingActivity, c *activityCheck) {
	d := pa.Spec.DPIA
	criteria := map[privacyv1alpha1.WP248Criterion]bool{}
	if d != nil {
		for _, cr := range d.CriteriaMet {
			criteria[cr] = true
		}
	}
	if len(pa.Spec.SpecialCategories) > 0 {
		criteria[privacyv1alpha1.CriterionSensitiveData] = true
	}
	var why []string
	if d != nil && d.Required {
		why = append(why, "it is declared required")
	}
	if pa.Spec.Profiling {
		why = append(why, "the activity profiles people")
	}
	if len(criteria) >= 2 {
		names := make([]string, 0, len(criteria))
		for cr := range criteria {
			names = append(names, string(cr))
		}
		sort.Strings(names)
		why = append(why, fmt.Sprintf("it meets %d WP248 criteria (%s)", len(names), strings.Join(names, ", ")))
	}
	switch {
	case len(why) == 0:
		c.set(privacyv1alpha1.TypeDPIAInPlace, metav1.ConditionTrue, privacyv1alpha1.ReasonNotRequired,
			"no DPIA is needed: %d WP248 criteria met, no profiling", len(criteria))
	case d != nil && d.CompletedAt != nil && d.Reference != "":
		c.set(privacyv1alpha1.TypeDPIAInPlace, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled,
			"a DPIA is needed (%s) and %s was completed on %s", strings.Join(why, "; "), d.Reference, calendarDay(d.CompletedAt.Time))
	default:
		msg := fmt.Sprintf("a DPIA is required (%s) and none is recorded as completed: carry it out with the DPO and record spec.dpia.reference and spec.dpia.completedAt", strings.Join(why, "; "))
		c.set(privacyv1alpha1.TypeDPIAInPlace, metav1.ConditionFalse, privacyv1alpha1.ReasonDPIARequired, "%s", msg)
		c.find(privacyv1alpha1.ReasonDPIARequired, privacyv1alpha1.SeverityViolation, "spec.dpia", "%s", msg)
	}
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

// eeaCountries are the countries of the European Economic Area (EU and Iceland,
// Liechtenstein, Norway): processing there is no transfer to a third country.
var eeaCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true,
	"FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true,
	"LT": true, "LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true,
	"SI": true, "ES": true, "SE": true, "IS": true, "LI": true, "NO": true,
}

// checkProcessors sets ProcessorsCovered: every processor has a current Art. 28 contract,
// and every processor outside the EEA has a transfer to its country recorded (the schema
// requires a safeguard on each transfer).
func checkProcessors(pa *privacyv1alpha1.ProcessingActivity, c *activityCheck) {
	if len(pa.Spec.Processors) == 0 {
		c.set(privacyv1alpha1.TypeProcessorsCovered, metav1.ConditionTrue, privacyv1alpha1.ReasonNotRequired, "no processor is declared")
		return
	}
	transferred := map[string]bool{}
	for _, t := range pa.Spec.Transfers {
		transferred[t.Country] = true
	}
	var firstReason string
	var problems []string
	violation := func(reason, field, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if firstReason == "" {
			firstReason = reason
		}
		problems = append(problems, msg)
		c.find(reason, privacyv1alpha1.SeverityViolation, field, "%s", msg)
	}
	for i, p := range pa.Spec.Processors {
		field := fmt.Sprintf("spec.processors[%d]", i)
		switch k := p.Contract; {
		case k == nil:
			violation(privacyv1alpha1.ReasonContractMissing, field+".contract", "processor %s has no Art. 28 contract recorded: sign a data processing agreement and record it in spec.processors[%d].contract", p.Name, i)
		case k.ExpiresAt != nil && !c.now.Before(k.ExpiresAt.Time):
			violation(privacyv1alpha1.ReasonContractExpired, field+".contract.expiresAt", "the Art. 28 contract of processor %s expired on %s: renew it and record the new one", p.Name, calendarDay(k.ExpiresAt.Time))
		case k.ExpiresAt != nil:
			warnFrom := k.ExpiresAt.Add(-ContractExpiryWarning)
			if !c.now.Before(warnFrom) {
				c.find(privacyv1alpha1.ReasonContractExpiring, privacyv1alpha1.SeverityWarning, field+".contract.expiresAt",
					"the Art. 28 contract of processor %s expires on %s: renew it", p.Name, calendarDay(k.ExpiresAt.Time))
			} else {
				c.wakeAt(warnFrom)
			}
			c.wakeAt(k.ExpiresAt.Time)
		}
		if p.Country != "" && !eeaCountries[p.Country] && !transferred[p.Country] {
			violation(privacyv1alpha1.ReasonTransferWithoutSafeguard, field+".country", "processor %s processes the data in %s, outside the EEA, and no transfer to %s is recorded with its safeguard: add it to spec.transfers", p.Name, p.Country, p.Country)
		}
	}
	if len(problems) > 0 {
		c.set(privacyv1alpha1.TypeProcessorsCovered, metav1.ConditionFalse, firstReason, "%s", strings.Join(problems, "; "))
		return
	}
	c.set(privacyv1alpha1.TypeProcessorsCovered, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled,
		"every processor (%d) has a current Art. 28 contract and every transfer a safeguard", len(pa.Spec.Processors))
}

// marketingWords are words of a purpose that make an activity direct marketing.
var marketingWords = regexp.MustCompile(`(?i)(marketing|newsletter|prospect|campaign|advertis|promotion|mailing)`)

// IsMarketing reports whether opted-out contacts break the activity's rules: an opt-out
// (withdrawal of consent, Art. 7(3); objection, Art. 21) stops an activity on consent or
// legitimate interests, and any activity whose purposes are direct marketing (a purpose
// mentions marketing, a newsletter, prospecting, a campaign, advertising, a promotion or a
// mailing).
func IsMarketing(spec *privacyv1alpha1.ProcessingActivitySpec) bool {
	switch spec.LegalBasis.Basis {
	case privacyv1alpha1.BasisConsent, privacyv1alpha1.BasisLegitimateInterests:
		return true
	}
	for _, p := range spec.Purposes {
		if marketingWords.MatchString(p) {
			return true
		}
	}
	return false
}

// scanSpecFor is the compliance scan of an activity.
func scanSpecFor(pa *privacyv1alpha1.ProcessingActivity, liaScope *crm.LIAScope) crm.ScanSpec {
	spec := crm.ScanSpec{Marketing: IsMarketing(&pa.Spec)}
	if pa.Spec.LegalBasis.Basis == privacyv1alpha1.BasisLegitimateInterests {
		spec.LegitimateInterest = liaScope
		if spec.LegitimateInterest == nil {
			spec.LegitimateInterest = &crm.LIAScope{}
		}
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
	result      crm.ScanResult
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
	result  *crm.ScanResult
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
		s.entry = previousCompliance(pa, name)
		s.entry.Message = truncateText(unavailable.Message+staleNote(s.entry), 1024)
		c.rescanAfter(r.env.Options.RecheckInterval)
		return s, nil
	}
	spec := scanSpecFor(pa, c.liaScope)
	fp, _ := json.Marshal(struct {
		Generation, DatabaseGeneration int64
		Spec                           crm.ScanSpec
	}{pa.Generation, conn.Generation, spec})
	key := client.ObjectKeyFromObject(pa)
	interval := r.scanInterval()
	memo, ok := r.scans.get(key, string(name))
	if !ok || memo.fingerprint != string(fp) || !c.now.Before(memo.at.Add(interval)) {
		res, err := conn.DB.ScanCompliance(ctx, conn.Mapping, spec)
		if err != nil {
			s.problem = scanProblem(name, err)
			s.entry = previousCompliance(pa, name)
			s.entry.Message = truncateText(s.problem.Message+staleNote(s.entry), 1024)
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
	s.entry = complianceEntry(name, memo)
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

func previousCompliance(pa *privacyv1alpha1.ProcessingActivity, name privacyv1alpha1.ObjectName) privacyv1alpha1.DatabaseCompliance {
	for _, e := range pa.Status.Compliance {
		if e.Database == name {
			e.Message = ""
			return e
		}
	}
	return privacyv1alpha1.DatabaseCompliance{Database: name}
}

func staleNote(e privacyv1alpha1.DatabaseCompliance) string {
	if e.ScannedAt == nil {
		return "; not scanned yet"
	}
	return "; the counts are from the scan of " + e.ScannedAt.UTC().Format(time.RFC3339)
}

// complianceEntry is the status entry of a scan.
func complianceEntry(name privacyv1alpha1.ObjectName, m scanMemoEntry) privacyv1alpha1.DatabaseCompliance {
	at := metav1.NewTime(m.at)
	res := m.result
	return privacyv1alpha1.DatabaseCompliance{
		Database:                     name,
		ScannedAt:                    &at,
		ContactsInScope:              res.InScope,
		NoLegalBasis:                 res.Counts[crm.CheckNoLegalBasis],
		ConsentWithoutEvidence:       res.Counts[crm.CheckConsentWithoutEvidence],
		LegitimateInterestOutOfScope: res.Counts[crm.CheckLegitimateInterestOutOfScope],
		OptedOutInScope:              res.Counts[crm.CheckOptedOutInScope],
		RestrictedFieldsFilled:       res.Counts[crm.CheckRestrictedFieldsFilled],
		Message:                      truncateText(res.NotCheckableSummary(), 1024),
	}
}

// recordScanMetrics publishes a scan: the count of each check that ran, 0 in
// compliance_check_checkable for the ones that could not, no series for the ones that do
// not apply.
func recordScanMetrics(pa *privacyv1alpha1.ProcessingActivity, db string, spec crm.ScanSpec, res crm.ScanResult, at time.Time) {
	metrics.ForgetActivityDatabase(pa.Namespace, pa.Name, db)
	metrics.ComplianceContactsInScope.WithLabelValues(pa.Namespace, pa.Name, db).Set(float64(res.InScope))
	metrics.ComplianceLastScan.WithLabelValues(pa.Namespace, pa.Name, db).Set(float64(at.Unix()))
	for _, check := range crm.ScanChecks() {
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
	crm.CheckNoLegalBasis:                 "without a legal basis",
	crm.CheckConsentWithoutEvidence:       "on consent without evidence",
	crm.CheckLegitimateInterestOutOfScope: "on legitimate interests outside the LIA's scope",
	crm.CheckOptedOutInScope:              "opted out",
	crm.CheckRestrictedFieldsFilled:       "with restricted fields filled in",
}

// violations words the non-zero counts of a scan: "3 without a legal basis, 2 opted out".
func violations(res *crm.ScanResult) string {
	var parts []string
	for _, check := range crm.ScanChecks() {
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

// setReady sums the conditions up: True when every one is True, otherwise the reason of the
// first that is not.
func (c *activityCheck) setReady() {
	for _, cond := range c.conditions {
		if cond.Status != metav1.ConditionTrue {
			c.set(privacyv1alpha1.TypeReady, metav1.ConditionFalse, cond.Reason, "%s: %s", cond.Type, cond.Message)
			return
		}
	}
	c.set(privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled, "the activity is valid and compliant as declared")
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

// emitTransitionEvents emits an event when Ready changes, or its reason does.
func (r *ProcessingActivityReconciler) emitTransitionEvents(before, after *privacyv1alpha1.ProcessingActivity) {
	was := meta.FindStatusCondition(before.Status.Conditions, privacyv1alpha1.TypeReady)
	now := meta.FindStatusCondition(after.Status.Conditions, privacyv1alpha1.TypeReady)
	if now == nil || (was != nil && was.Status == now.Status && was.Reason == now.Reason) {
		return
	}
	if now.Status == metav1.ConditionTrue {
		r.env.Recorder.Eventf(after, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonReconciled, "Check", "The activity is valid and compliant")
		return
	}
	r.env.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Check", "%s", truncateText(now.Message, 1024))
}
