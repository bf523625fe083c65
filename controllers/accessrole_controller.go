package controllers

import (
	"context"
	"errors"
	"fmt"
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
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/access"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

const (
	// AccessRoleFinalizer keeps an AccessRole until its database role was stripped (or
	// dropped, with reclaimPolicy Delete).
	AccessRoleFinalizer = "privacy.crmoperator.io/accessrole-cleanup"
	// AnnotationSkipCleanup, set to "true" on an AccessRole being deleted, lets it go
	// without touching the database: the escape hatch when its CRMDatabase is gone for
	// good. The database role and its privileges are then left as they are.
	AnnotationSkipCleanup = "privacy.crmoperator.io/skip-cleanup"
	// AnnotationAdoptLegacyRole, set to "true", lets the AccessRole adopt its database role
	// when the role carries the unauthenticated marker of older versions naming this
	// AccessRole (PostgreSQL). Without it such a role is refused: anybody who may COMMENT
	// ON ROLE can write that text. See docs/accessrole.md.
	AnnotationAdoptLegacyRole = "privacy.crmoperator.io/adopt-legacy-role"
)

// AccessRoleReconciler keeps each AccessRole's database role, privileges, row filter and
// memberships as declared, both ways, and strips the role when the object is deleted.
type AccessRoleReconciler struct {
	client.Client
	env     *Env
	secrets secretReader
	// apiReader reads the RegisterRevisions from the API server (awaitRegister).
	apiReader client.Reader
	// passwords remembers, per member, the Secret version whose password was last set, so
	// that a password is sent again only when it changes.
	passwords sync.Map // passwordKey → string
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=accessroles,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=accessroles/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=accessroles/finalizers,verbs=update
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=crmdatabases,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=registerrevisions,verbs=get;list
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch

func setupAccessRole(env *Env) error {
	mgr := env.Manager
	r := &AccessRoleReconciler{Client: mgr.GetClient(), env: env, secrets: secretReader{reader: mgr.GetAPIReader()}, apiReader: mgr.GetAPIReader()}
	return ctrl.NewControllerManagedBy(mgr).
		Named("accessrole").
		For(&privacyv1alpha1.AccessRole{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&privacyv1alpha1.CRMDatabase{}, enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.AccessRoleList{}, IndexDatabaseRef),
			builder.WithPredicates(readyChanged{})).
		WatchesMetadata(&corev1.Secret{}, enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.AccessRoleList{}, IndexSecretRef)).
		// The first check of a database in this process (after a start or a failover) and
		// each change of its connection wake the objects that use it at once.
		WatchesRawSource(source.Channel(env.Connections.Subscribe(), enqueueReferrers(mgr.GetClient(), &privacyv1alpha1.AccessRoleList{}, IndexDatabaseRef))).
		WithOptions(controller.Options{MaxConcurrentReconciles: env.Options.MaxConcurrentReconciles}).
		Complete(r)
}

// accessPass is the state of one reconcile of one AccessRole.
type accessPass struct {
	ar       *privacyv1alpha1.AccessRole
	now      time.Time
	conn     Connection
	members  []access.Member
	states   map[string]memberState // by user
	versions map[string]string      // passwordKey → Secret version sent this pass
	expired  bool
	result   ctrl.Result
	// withheld are the members whose password the database pass did not send.
	withheld map[string]bool
	// audited is set when the database answered the pass.
	audited bool
	// unchecked is set when this process has not checked the role's database yet: the pass
	// writes nothing, and the check wakes the AccessRole (Connections.Subscribe).
	unchecked bool
}

// memberState is a member's state before the database is asked.
type memberState struct {
	active          bool
	reason, message string
}

func (ap *accessPass) requeueWithin(d time.Duration) { requeueWithin(&ap.result, d, time.Second) }

func (ap *accessPass) condition(condType string, ok bool, reason, format string, args ...any) {
	setCondition(&ap.ar.Status.Conditions, ap.ar.Generation, condType, ok, reason, format, args...)
}

// Reconcile handles one AccessRole.
func (r *AccessRoleReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ar := &privacyv1alpha1.AccessRole{}
	if err := r.Get(ctx, req.NamespacedName, ar); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetAccessRole(req.Namespace, req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !ar.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, ar)
	}
	if !controllerutil.ContainsFinalizer(ar, AccessRoleFinalizer) {
		patch := client.MergeFrom(ar.DeepCopy())
		controllerutil.AddFinalizer(ar, AccessRoleFinalizer)
		if err := r.Patch(ctx, ar, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("while adding the finalizer to AccessRole %s: %w", ar.Name, err)
		}
	}
	before := ar.DeepCopy()
	// Only the deletion writes status.deletion: a value found on a live object was written
	// by someone else, and would make a later deletion skip its cleanup.
	ar.Status.Deletion = nil
	ap := &accessPass{ar: ar, now: r.env.Clock.Now()}
	err := r.reconcileAccess(ctx, ap)
	if ap.unchecked {
		return ctrl.Result{}, nil
	}
	if err == nil {
		ar.Status.ObservedGeneration = ar.Generation
	}
	// lastAuditAt moves only with a change the audit found: a recheck that finds the role
	// as it was writes nothing (the access_last_audit metric has every audit).
	if ap.audited && !sameJSON(withoutAuditTime(before.Status), withoutAuditTime(ar.Status)) {
		now := metav1.NewTime(ap.now)
		ar.Status.LastAuditAt = &now
	}
	if _, werr := writeStatus(ctx, r.Client, ar, before, accessRoleStatus); werr != nil {
		werr = fmt.Errorf("while updating the status of AccessRole %s: %w", ar.Name, werr)
		if err != nil {
			return ctrl.Result{}, errors.Join(err, werr)
		}
		return conflictResult(werr)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	r.rememberPasswords(ap)
	return ap.result, nil
}

func accessRoleStatus(ar *privacyv1alpha1.AccessRole) any { return &ar.Status }

// withoutAuditTime is the status but its lastAuditAt.
func withoutAuditTime(st privacyv1alpha1.AccessRoleStatus) privacyv1alpha1.AccessRoleStatus {
	st = *st.DeepCopy()
	st.LastAuditAt = nil
	return st
}

// reconcileAccess runs the phases in order: database, members, apply, status.
func (r *AccessRoleReconciler) reconcileAccess(ctx context.Context, ap *accessPass) error {
	ap.requeueWithin(r.env.Options.RecheckInterval)
	if !r.database(ctx, ap) {
		return nil
	}
	if err := r.designations(ctx, ap); err != nil {
		return err
	}
	res, err := access.Apply(ctx, ap.conn.DB, ap.conn.Mapping, r.accessSpec(ap))
	if err != nil {
		return r.applyFailed(ap, err)
	}
	ap.withheld = map[string]bool{}
	for _, u := range res.PasswordsWithheld {
		ap.withheld[u] = true
	}
	for _, m := range ap.ar.Spec.Members {
		if m.PasswordSecretRef == nil || !passwordNotSet(res, string(m.User)) {
			continue
		}
		// Not set (withheld, not given, or refused): forget the version so that the next
		// pass sends the password again, and make that pass come soon when the login is
		// waiting for it.
		delete(ap.versions, passwordKey(ap.ar, m))
		r.passwords.Delete(passwordKey(ap.ar, m))
		if res.Members[string(m.User)].Problem == access.MemberPasswordUnavailable {
			ap.requeueWithin(time.Second)
		}
	}
	r.recordResult(ap, res)
	return nil
}

// passwordNotSet reports whether a pass left a member's password unset: the CRM layer says
// it was not sent (withheld because the server would log it, or not given), or Remaining
// names the member's password (a rotation the server refused, a login with no password
// yet). The password is then sent again at the next pass.
func passwordNotSet(res access.Result, user string) bool {
	if res.PasswordNotSent(user) {
		return true
	}
	for _, rem := range res.Remaining {
		if strings.Contains(rem, "password") && containsWord(rem, user) {
			return true
		}
	}
	return false
}

// containsWord reports whether s holds word delimited by non-identifier characters.
func containsWord(s, word string) bool {
	isIdent := func(b byte) bool {
		return b == '_' || b == '$' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
	}
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 || word == "" {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !isIdent(s[start-1])) && (end == len(s) || !isIdent(s[end])) {
			return true
		}
		i = start + 1
	}
}

// database gets the connection of the role's CRMDatabase, when it is ready.
func (r *AccessRoleReconciler) database(ctx context.Context, ap *accessPass) bool {
	conn, reason, msg := r.connection(ctx, ap.ar)
	if reason == reasonUnchecked {
		ap.unchecked = true
		return false
	}
	if reason != "" {
		meta.SetStatusCondition(&ap.ar.Status.Conditions, metav1.Condition{Type: privacyv1alpha1.TypeInSync, Status: metav1.ConditionUnknown,
			Reason: reason, Message: truncateMessage("the privileges cannot be checked: " + msg), ObservedGeneration: ap.ar.Generation})
		ap.condition(privacyv1alpha1.TypeReady, false, reason, "nothing is granted or revoked while the database cannot be used: %s", msg)
		return false
	}
	ap.conn = conn
	return true
}

// reasonUnchecked is what connection returns for a database this process has not checked
// yet (never a condition reason).
const reasonUnchecked = "-unchecked-"

// connection returns the ready connection of the AccessRole's database, or a reason and
// a message saying why there is none: reasonUnchecked for a database that exists and this
// process has not checked yet.
func (r *AccessRoleReconciler) connection(ctx context.Context, ar *privacyv1alpha1.AccessRole) (Connection, string, string) {
	key := types.NamespacedName{Namespace: ar.Namespace, Name: string(ar.Spec.DatabaseRef.Name)}
	return readyConnection(ctx, r.Client, r.env.Connections, key)
}

// readyConnection returns the ready connection of the CRMDatabase key, or a reason and a
// message saying why there is none: reasonUnchecked for a database that exists and this
// process has not checked yet.
func readyConnection(ctx context.Context, c client.Reader, conns *Connections, key types.NamespacedName) (Connection, string, string) {
	conn, err := conns.Ready(key)
	if err == nil {
		return conn, "", ""
	}
	switch gerr := c.Get(ctx, key, &privacyv1alpha1.CRMDatabase{}); {
	case apierrors.IsNotFound(gerr):
		return Connection{}, privacyv1alpha1.ReasonDatabaseNotFound, fmt.Sprintf("CRMDatabase %s not found in namespace %s", key.Name, key.Namespace)
	case gerr != nil:
		return Connection{}, privacyv1alpha1.ReasonDatabaseNotReady, fmt.Sprintf("CRMDatabase %s cannot be read: %v", key.Name, gerr)
	}
	var nr *NotReadyError
	if errors.As(err, &nr) && nr.Unchecked {
		return Connection{}, reasonUnchecked, nr.Error()
	}
	if errors.As(err, &nr) && nr.Reason != "" {
		return Connection{}, privacyv1alpha1.ReasonDatabaseNotReady, nr.Error()
	}
	return Connection{}, privacyv1alpha1.ReasonDatabaseNotReady, err.Error()
}

// designations decides which members hold the role now, reads the passwords of the
// members the operator manages, and requeues at the next expiry or start.
func (r *AccessRoleReconciler) designations(ctx context.Context, ap *accessPass) error {
	ar := ap.ar
	ap.states = map[string]memberState{}
	ap.versions = map[string]string{}
	if vu := ar.Spec.ValidUntil; vu != nil {
		if !ap.now.Before(vu.Time) {
			ap.expired = true
		} else {
			ap.requeueWithin(vu.Sub(ap.now))
		}
	}
	for _, m := range ar.Spec.Members {
		st := r.designation(ap, m)
		am := access.Member{User: string(m.User), ManageLogin: m.PasswordSecretRef != nil}
		if am.ManageLogin {
			password, version, err := r.password(ctx, ar, m)
			switch {
			case err != nil && st.active:
				var ce *conditionError
				if !errors.As(err, &ce) {
					return err
				}
				st = memberState{reason: ce.reason, message: ce.message}
			case err == nil && st.active && r.passwordChanged(ar, m, version):
				am.Password = password
				ap.versions[passwordKey(ar, m)] = version
			}
		}
		am.Active = st.active
		ap.states[string(m.User)] = st
		ap.members = append(ap.members, am)
	}
	return nil
}

// designation evaluates one member's designation record at ap.now.
func (r *AccessRoleReconciler) designation(ap *accessPass, m privacyv1alpha1.RoleMember) memberState {
	d := m.Designation
	switch {
	case ap.expired:
		return memberState{reason: privacyv1alpha1.ReasonExpired, message: "the AccessRole is past its validUntil"}
	case d == nil:
		return memberState{reason: privacyv1alpha1.ReasonDesignationMissing, message: "no designation record: the member holds no access"}
	case d.ValidUntil != nil && !ap.now.Before(d.ValidUntil.Time):
		return memberState{reason: privacyv1alpha1.ReasonDesignationExpired,
			message: fmt.Sprintf("the designation ended at %s", d.ValidUntil.UTC().Format(time.RFC3339))}
	}
	start := d.DesignatedAt.Time
	if d.InstructedAt.After(start) {
		start = d.InstructedAt.Time
	}
	if ap.now.Before(start) {
		ap.requeueWithin(start.Sub(ap.now))
		return memberState{reason: privacyv1alpha1.ReasonDesignationPending,
			message: fmt.Sprintf("designated and instructed only from %s", start.UTC().Format(time.RFC3339))}
	}
	if d.ValidUntil != nil {
		ap.requeueWithin(d.ValidUntil.Sub(ap.now))
	}
	return memberState{active: true}
}

// password reads a managed member's password and the version of its Secret.
func (r *AccessRoleReconciler) password(ctx context.Context, ar *privacyv1alpha1.AccessRole, m privacyv1alpha1.RoleMember) (string, string, error) {
	ref := m.PasswordSecretRef
	s, err := r.secrets.get(ctx, ar.Namespace, string(ref.Name))
	if err != nil {
		return "", "", err
	}
	v, ok := s.Data[ref.Key]
	if !ok || len(v) == 0 {
		return "", "", condErr(privacyv1alpha1.ReasonSecretKeyMissing, "Secret %s has no key %q (or it is empty)", ref.Name, ref.Key)
	}
	return string(v), string(s.UID) + "/" + s.ResourceVersion, nil
}

func passwordKey(ar *privacyv1alpha1.AccessRole, m privacyv1alpha1.RoleMember) string {
	return ar.Namespace + "/" + ar.Name + "/" + string(m.User)
}

// passwordChanged reports whether the Secret version differs from the last one set.
func (r *AccessRoleReconciler) passwordChanged(ar *privacyv1alpha1.AccessRole, m privacyv1alpha1.RoleMember, version string) bool {
	last, ok := r.passwords.Load(passwordKey(ar, m))
	return !ok || last.(string) != version
}

// rememberPasswords records the Secret versions whose passwords a successful pass set.
func (r *AccessRoleReconciler) rememberPasswords(ap *accessPass) {
	for k, v := range ap.versions {
		r.passwords.Store(k, v)
	}
	for _, m := range ap.ar.Spec.Members {
		if st := ap.states[string(m.User)]; !st.active {
			// A member who becomes active again gets the password sent again (the
			// operator creates its user only then).
			r.passwords.Delete(passwordKey(ap.ar, m))
		}
	}
}

// accessSpec converts the AccessRole into the CRM layer's spec. An expired role keeps no
// privilege.
func (r *AccessRoleReconciler) accessSpec(ap *accessPass) access.Spec {
	ar := ap.ar
	spec := access.Spec{Role: string(ar.Spec.RoleName), Owner: accessOwner(ar), Members: ap.members,
		AdoptLegacy: ar.Annotations[AnnotationAdoptLegacyRole] == "true"}
	if ap.expired {
		return spec
	}
	for _, g := range ar.Spec.Grants {
		tg := access.TableGrant{Table: string(g.Table)}
		for _, p := range g.Privileges {
			tg.Privileges = append(tg.Privileges, string(p))
		}
		for _, c := range g.Columns {
			tg.Columns = append(tg.Columns, string(c))
		}
		spec.Grants = append(spec.Grants, tg)
	}
	if ar.Spec.RowFilter != nil {
		sel := toSelector(ar.Spec.RowFilter)
		if sel == nil {
			sel = crm.Selector{}
		}
		spec.RowFilter = &sel
	}
	return spec
}

// accessOwner is the owner an AccessRole's markers name: "namespace/name".
func accessOwner(ar *privacyv1alpha1.AccessRole) string { return ar.Namespace + "/" + ar.Name }

// applyFailed reports a pass that changed nothing (PostgreSQL rolled back) or stopped
// half-way (MySQL): spec errors wait for a spec change, the rest is retried with backoff.
func (r *AccessRoleReconciler) applyFailed(ap *accessPass, err error) error {
	var se *access.SpecError
	var nm *access.RoleNotManagedError
	var nv *access.MarkerNotVerifiedError
	var ue *access.UnsupportedError
	reason, retry := privacyv1alpha1.ReasonGrantFailed, true
	switch {
	case errors.As(err, &se):
		reason, retry = privacyv1alpha1.ReasonInvalidSpec, false
	case errors.As(err, &nm):
		reason, retry = privacyv1alpha1.ReasonRoleNotManaged, false
	case errors.As(err, &nv):
		reason, retry = privacyv1alpha1.ReasonMarkerNotVerified, false
	case errors.As(err, &ue):
		reason, retry = privacyv1alpha1.ReasonUnsupported, false
	}
	prev := meta.FindStatusCondition(ap.ar.Status.Conditions, privacyv1alpha1.TypeReady)
	// One Warning per failure, not one per retry of it (the retries back off).
	if prev == nil || prev.Reason != reason || prev.Message != truncateMessage(err.Error()) {
		r.env.Recorder.Eventf(ap.ar, nil, corev1.EventTypeWarning, reason, "Sync", "Cannot bring role %s in line: %v", ap.ar.Spec.RoleName, err)
	}
	ap.condition(privacyv1alpha1.TypeInSync, false, reason, "%v", err)
	ap.condition(privacyv1alpha1.TypeReady, false, reason, "%v", err)
	r.setMemberStatuses(ap, nil)
	if retry {
		return fmt.Errorf("while syncing role %s of AccessRole %s: %w", ap.ar.Spec.RoleName, ap.ar.Name, err)
	}
	return nil
}

// recordResult fills the status, the metrics and the events from a successful pass.
func (r *AccessRoleReconciler) recordResult(ap *accessPass, res access.Result) {
	ar := ap.ar
	wasInSync := meta.IsStatusConditionTrue(ar.Status.Conditions, privacyv1alpha1.TypeInSync) && ar.Status.ObservedGeneration == ar.Generation
	ap.audited = true
	ar.Status.Granted = int32(res.Held)
	ar.Status.Revoked = int32(res.Revoked)
	if ar.Status.LastAuditAt == nil {
		now := metav1.NewTime(ap.now)
		ar.Status.LastAuditAt = &now
	}
	r.setMemberStatuses(ap, res.Members)
	r.recordMetrics(ar, res, wasInSync)
	r.recordEvents(ap, res, wasInSync)
	r.setConditions(ap, res)
}

func (r *AccessRoleReconciler) recordMetrics(ar *privacyv1alpha1.AccessRole, res access.Result, wasInSync bool) {
	metrics.AccessDriftCorrected.WithLabelValues(ar.Namespace, ar.Name, "granted").Add(float64(res.Granted + res.MembersAdded))
	metrics.AccessDriftCorrected.WithLabelValues(ar.Namespace, ar.Name, "revoked").Add(float64(res.Revoked + res.MembersRemoved))
	if wasInSync {
		metrics.AccessOutOfBandRevoked.WithLabelValues(ar.Namespace, ar.Name).Add(float64(outOfBand(ar, res)))
	}
	metrics.AccessPrivileges.WithLabelValues(ar.Namespace, ar.Name).Set(float64(res.Held))
	metrics.AccessMembers.WithLabelValues(ar.Namespace, ar.Name, string(privacyv1alpha1.MemberActive)).Set(float64(ar.Status.ActiveMembers))
	metrics.AccessMembers.WithLabelValues(ar.Namespace, ar.Name, string(privacyv1alpha1.MemberSuspended)).Set(float64(len(ar.Status.Members) - int(ar.Status.ActiveMembers)))
	metrics.AccessLastAudit.WithLabelValues(ar.Namespace, ar.Name).Set(float64(r.env.Clock.Now().Unix()))
}

// outOfBand counts the revocations of a pass that no spec change explains: privileges
// revoked, and members removed who are not declared members the pass suspended.
func outOfBand(ar *privacyv1alpha1.AccessRole, res access.Result) int {
	declared := 0
	for _, m := range ar.Spec.Members {
		if o, ok := res.Members[string(m.User)]; ok && !o.Holds {
			declared++
		}
	}
	return res.Revoked + max(0, res.MembersRemoved-declared)
}

// recordEvents emits a Warning when out-of-band grants were revoked, a Normal event when a
// spec change or a designation was applied.
func (r *AccessRoleReconciler) recordEvents(ap *accessPass, res access.Result, wasInSync bool) {
	ar := ap.ar
	changed := res.Granted + res.Revoked + res.MembersAdded + res.MembersRemoved
	if changed == 0 && !res.Created {
		return
	}
	if n := outOfBand(ar, res); wasInSync && n > 0 {
		r.env.Recorder.Eventf(ar, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonDriftCorrected, "Sync",
			"Revoked %d privilege(s) or membership(s) granted out of band to role %s", n, ar.Spec.RoleName)
		return
	}
	r.env.Recorder.Eventf(ar, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonReconciled, "Sync",
		"Role %s: granted %d, revoked %d privilege(s); %d member(s) added, %d removed", ar.Spec.RoleName,
		res.Granted, res.Revoked, res.MembersAdded, res.MembersRemoved)
}

// setConditions sets InSync, MembersDesignated and Ready from a pass.
func (r *AccessRoleReconciler) setConditions(ap *accessPass, res access.Result) {
	ar := ap.ar
	switch {
	case len(res.Refused) > 0:
		var names []string
		for _, g := range res.Refused {
			names = append(names, g.Table)
		}
		ap.condition(privacyv1alpha1.TypeInSync, false, privacyv1alpha1.ReasonViewBypassesRowFilter,
			"%d grant(s) refused, on %s: %s; make the view security_invoker (PostgreSQL 15+) or remove the grant", len(res.Refused), strings.Join(names, ", "), res.Refused[0].Message)
		if prev := meta.FindStatusCondition(ar.Status.Conditions, privacyv1alpha1.TypeReady); prev == nil || prev.Reason != privacyv1alpha1.ReasonViewBypassesRowFilter {
			r.env.Recorder.Eventf(ar, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonViewBypassesRowFilter, "Sync",
				"Refused to grant %s to role %s: it would bypass the row filter", strings.Join(names, ", "), ar.Spec.RoleName)
		}
	case !res.InSync():
		ap.condition(privacyv1alpha1.TypeInSync, false, privacyv1alpha1.ReasonGrantFailed,
			"%d difference(s) could not be corrected (granted by another user?): %s", len(res.Remaining), strings.Join(res.Remaining, "; "))
	case res.Granted+res.Revoked+res.MembersAdded+res.MembersRemoved > 0:
		ap.condition(privacyv1alpha1.TypeInSync, true, privacyv1alpha1.ReasonDriftCorrected,
			"role %s holds the %d declared privilege(s): granted %d, revoked %d", ar.Spec.RoleName, res.Held, res.Granted, res.Revoked)
	default:
		ap.condition(privacyv1alpha1.TypeInSync, true, privacyv1alpha1.ReasonReconciled,
			"role %s holds exactly the %d declared privilege(s)", ar.Spec.RoleName, res.Held)
	}
	suspended := len(ar.Status.Members) - int(ar.Status.ActiveMembers)
	if suspended == 0 {
		ap.condition(privacyv1alpha1.TypeMembersDesignated, true, privacyv1alpha1.ReasonReconciled, "%d member(s), all designated and active", ar.Status.ActiveMembers)
	} else {
		first := firstSuspended(ar.Status.Members)
		ap.condition(privacyv1alpha1.TypeMembersDesignated, false, first.Reason, "%d of %d member(s) suspended (first: %s: %s)",
			suspended, len(ar.Status.Members), first.User, first.Message)
	}
	// A role past its validUntil (revoked, as declared) and members without a current
	// designation (no access, as declared) are the spec in effect: Ready stays True with
	// their reason, and MembersDesignated reports the members (docs/gitops.md).
	ready := meta.FindStatusCondition(ar.Status.Conditions, privacyv1alpha1.TypeInSync)
	switch {
	case ap.expired:
		ap.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonExpired, "the AccessRole is past its validUntil: its privileges and memberships were revoked")
	case res.Unsupported != "":
		ap.condition(privacyv1alpha1.TypeReady, false, privacyv1alpha1.ReasonUnsupported, "%s", res.Unsupported)
	case ready.Status != metav1.ConditionTrue:
		ap.condition(privacyv1alpha1.TypeReady, false, ready.Reason, "%s", ready.Message)
	case suspended > 0:
		c := meta.FindStatusCondition(ar.Status.Conditions, privacyv1alpha1.TypeMembersDesignated)
		ap.condition(privacyv1alpha1.TypeReady, true, c.Reason, "privileges in sync; %s (see the MembersDesignated condition)", c.Message)
	default:
		ap.condition(privacyv1alpha1.TypeReady, true, privacyv1alpha1.ReasonReconciled, "role %s in sync, %d active member(s)", ar.Spec.RoleName, ar.Status.ActiveMembers)
	}
}

func firstSuspended(ms []privacyv1alpha1.MemberStatus) privacyv1alpha1.MemberStatus {
	for _, m := range ms {
		if m.State == privacyv1alpha1.MemberSuspended {
			return m
		}
	}
	return privacyv1alpha1.MemberStatus{}
}

// memberProblems says, for each problem the CRM layer reports about a member, the member's
// status reason and message.
var memberProblems = map[string]struct{ reason, message string }{
	access.MemberUserMissing:         {privacyv1alpha1.ReasonUserNotFound, "the database user does not exist and is managed elsewhere"},
	access.MemberUserNotManaged:      {privacyv1alpha1.ReasonUserNotManaged, "the database user exists and was not created by the operator (or carries an unauthenticated marker): its login is not touched"},
	access.MemberUserOwnedElsewhere:  {privacyv1alpha1.ReasonUserOwnedElsewhere, "the database user is a login the operator created for another AccessRole: only that one may change it"},
	access.MemberUserNotLogin:        {privacyv1alpha1.ReasonUserNotLogin, "the database user cannot log in (a group role, or a login the operator locked): the role is only granted to logins"},
	access.MemberUserPrivileged:      {privacyv1alpha1.ReasonUserPrivileged, "the database user holds administrative attributes (superuser, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS): it is left alone"},
	access.MemberMarkerNotVerified:   {privacyv1alpha1.ReasonMarkerNotVerified, "a marker names the database user as a login of the operator, but it does not verify under the operator's key (written by someone else, or altered): the login is left alone"},
	access.MemberPasswordUnavailable: {privacyv1alpha1.ReasonPasswordUnavailable, "the login does not exist and the pass had no password for it: it is created with its password at the next pass"},
	access.MemberPasswordWithheld:    {privacyv1alpha1.ReasonPasswordWithheld, "the login was not created: the database server would log its password and the operator may not switch that off for its own session (see docs/accessrole.md)"},
}

// setMemberStatuses fills status.members from the designations and, when the database
// answered, what it says about each user. Since is kept while the state does not change.
func (r *AccessRoleReconciler) setMemberStatuses(ap *accessPass, outcomes map[string]access.MemberOutcome) {
	ar := ap.ar
	previous := map[privacyv1alpha1.SQLIdentifier]privacyv1alpha1.MemberStatus{}
	for _, m := range ar.Status.Members {
		previous[m.User] = m
	}
	ar.Status.Members = nil
	ar.Status.ActiveMembers = 0
	for _, m := range ar.Spec.Members {
		st, known := ap.states[string(m.User)]
		ms := privacyv1alpha1.MemberStatus{User: m.User, State: privacyv1alpha1.MemberSuspended, Reason: st.reason, Message: st.message}
		o, answered := outcomes[string(m.User)]
		problem, knownProblem := memberProblems[o.Problem]
		switch {
		case !known:
			ms.Reason, ms.Message = privacyv1alpha1.ReasonProgressing, "not checked yet"
		case answered && o.Holds:
			ms.State, ms.Reason, ms.Message = privacyv1alpha1.MemberActive, "", ""
		case answered && knownProblem:
			ms.Reason, ms.Message = problem.reason, problem.message
		case answered && o.Problem != "":
			ms.Reason, ms.Message = privacyv1alpha1.ReasonProgressing, "the role could not be granted: "+o.Problem
		case st.active:
			ms.Reason, ms.Message = privacyv1alpha1.ReasonProgressing, "the role could not be granted yet"
		}
		if ap.withheld[string(m.User)] {
			ms.State, ms.Reason = privacyv1alpha1.MemberSuspended, privacyv1alpha1.ReasonPasswordWithheld
			ms.Message = "the password was not sent: the database server logs statements and the operator may not switch that off for its own (see docs/accessrole.md)"
		}
		since := metav1.NewTime(ap.now)
		ms.Since = &since
		p, ok := previous[m.User]
		if ok && p.State == ms.State && p.Reason == ms.Reason && p.Since != nil {
			ms.Since = p.Since
		}
		if answered && trustProblem[ms.Reason] && (!ok || p.Reason != ms.Reason) {
			r.env.Recorder.Eventf(ar, nil, corev1.EventTypeWarning, ms.Reason, "Sync", "Member %s not given role %s: %s", m.User, ar.Spec.RoleName, ms.Message)
		}
		if ms.State == privacyv1alpha1.MemberActive {
			ar.Status.ActiveMembers++
		}
		ar.Status.Members = append(ar.Status.Members, ms)
	}
}

// trustProblem are the member reasons that an event reports when they appear: a spec that
// names a login it may not have, or a password that could not be sent safely.
var trustProblem = map[string]bool{
	privacyv1alpha1.ReasonUserNotManaged:      true,
	privacyv1alpha1.ReasonUserOwnedElsewhere:  true,
	privacyv1alpha1.ReasonUserNotLogin:        true,
	privacyv1alpha1.ReasonUserPrivileged:      true,
	privacyv1alpha1.ReasonPasswordWithheld:    true,
	privacyv1alpha1.ReasonMarkerNotVerified:   true,
	privacyv1alpha1.ReasonPasswordUnavailable: true,
}

// reconcileDelete strips (Retain) or drops (Delete) the role, or with skip-cleanup only
// locks the AccessRole's logins; records what it did in status.deletion; and, when the
// deletion leaves the role (or logins the operator could not lock) in the database, lets
// the object go only once the register records that (awaitRegister). A database that
// cannot be used keeps the finalizer, with the reason in Ready, unless the skip-cleanup
// annotation says to let go.
func (r *AccessRoleReconciler) reconcileDelete(ctx context.Context, ar *privacyv1alpha1.AccessRole) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(ar, AccessRoleFinalizer) {
		return ctrl.Result{}, nil
	}
	if ar.Status.Deletion == nil {
		var d *privacyv1alpha1.AccessRoleDeletion
		var err error
		if ar.Annotations[AnnotationSkipCleanup] == "true" {
			d, err = r.skipCleanup(ctx, ar)
		} else {
			d, err = r.cleanupOrWait(ctx, ar)
		}
		if err != nil {
			return ctrl.Result{}, err
		}
		for _, m := range ar.Spec.Members {
			r.passwords.Delete(passwordKey(ar, m))
		}
		before := ar.DeepCopy()
		ar.Status.Deletion = d
		meta.SetStatusCondition(&ar.Status.Conditions, metav1.Condition{Type: privacyv1alpha1.TypeReady, Status: metav1.ConditionFalse,
			Reason: privacyv1alpha1.ReasonDeletionRecorded, Message: "deleted (" + deletionSummary(d) + "); the object goes once the register records it",
			ObservedGeneration: ar.Generation})
		if _, err := writeStatus(ctx, r.Client, ar, before, accessRoleStatus); err != nil {
			return conflictResult(client.IgnoreNotFound(fmt.Errorf("while recording the deletion of AccessRole %s: %w", ar.Name, err)))
		}
	}
	if !leavesSomething(ar.Status.Deletion) {
		return ctrl.Result{}, r.removeFinalizer(ctx, ar)
	}
	return r.awaitRegister(ctx, ar)
}

// leavesSomething reports whether a deletion left the AccessRole's role, or logins the
// operator could not lock, in the database: the register must record it before the object
// goes.
func leavesSomething(d *privacyv1alpha1.AccessRoleDeletion) bool {
	switch {
	case d.LoginsNotLocked != "":
		return true
	case d.Cleanup == privacyv1alpha1.CleanupDropped, d.Cleanup == privacyv1alpha1.CleanupNoRole:
		return false
	}
	return true
}

// deletionSummary says in a phrase what a deletion did and left.
func deletionSummary(d *privacyv1alpha1.AccessRoleDeletion) string {
	s := fmt.Sprintf("cleanup %s, %d login(s) locked, %d session(s) ended", d.Cleanup, d.LoginsLocked, d.SessionsEnded)
	if d.LoginsNotLocked != "" {
		s += "; logins not locked: " + d.LoginsNotLocked
	}
	return s
}

// RegisterRecordTimeout is how long an AccessRole being deleted waits for a RegisterRevision
// that records its deletion. After it the object goes anyway, with a DeletionNotRecorded
// Warning event: a register that cannot write (its revisions refused by the API server, the
// register controller not running) must not keep AccessRoles forever.
const RegisterRecordTimeout = 10 * time.Minute

// awaitRegister removes the finalizer once the latest RegisterRevision records the
// deletion as status.deletion says, or once RegisterRecordTimeout has passed; until then
// it polls, less often as the wait grows (the register writes a revision RegisterDebounce
// after a change).
func (r *AccessRoleReconciler) awaitRegister(ctx context.Context, ar *privacyv1alpha1.AccessRole) (ctrl.Result, error) {
	d := ar.Status.Deletion
	revision, err := r.deletionRecordedIn(ctx, ar)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("while checking that the register records the deletion of AccessRole %s: %w", ar.Name, err)
	}
	if revision > 0 {
		r.env.Recorder.Eventf(ar, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonDeletionRecorded, "Delete",
			"Register revision %d records the deletion of role %s: %s", revision, ar.Spec.RoleName, deletionSummary(d))
		return ctrl.Result{}, r.removeFinalizer(ctx, ar)
	}
	waited := r.env.Clock.Since(d.At.Time)
	if waited >= RegisterRecordTimeout {
		r.env.Recorder.Eventf(ar, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonDeletionNotRecorded, "Delete",
			"No register revision recorded the deletion of role %s within %s (%s): the object goes without it", ar.Spec.RoleName, RegisterRecordTimeout, deletionSummary(d))
		return ctrl.Result{}, r.removeFinalizer(ctx, ar)
	}
	return ctrl.Result{RequeueAfter: min(max(waited/2, RegisterDebounce), time.Minute)}, nil
}

// deletionRecordedIn returns the number of the latest RegisterRevision when its snapshot
// records the AccessRole's deletion, or 0. It reads the revisions from the API server.
func (r *AccessRoleReconciler) deletionRecordedIn(ctx context.Context, ar *privacyv1alpha1.AccessRole) (int64, error) {
	b := &RegisterBuilder{Reader: r.apiReader}
	numbers, err := b.revisionNumbers(ctx)
	if err != nil || len(numbers) == 0 {
		return 0, err
	}
	latest, err := b.revision(ctx, numbers[len(numbers)-1])
	if err != nil {
		return 0, err
	}
	doc, err := register.Decode(latest.Encoding, latest.Data)
	if err != nil {
		return 0, fmt.Errorf("while reading register revision %d: %w", latest.Number, err)
	}
	ok, err := register.AccessRoleDeletionRecorded(doc, ar)
	if err != nil || !ok {
		return 0, err
	}
	return latest.Number, nil
}

// cleanupOrWait runs cleanup; when it fails, Ready says why the deletion waits and the
// error makes the reconcile retry with backoff.
func (r *AccessRoleReconciler) cleanupOrWait(ctx context.Context, ar *privacyv1alpha1.AccessRole) (*privacyv1alpha1.AccessRoleDeletion, error) {
	d, err := r.cleanup(ctx, ar)
	if err == nil {
		return d, nil
	}
	msg := fmt.Sprintf("deletion waits: %v (set the annotation %s=\"true\" to let the object go and leave the role as it is)", err, AnnotationSkipCleanup)
	return nil, r.deletionWaits(ctx, ar, msg, fmt.Errorf("while cleaning up AccessRole %s: %w", ar.Name, err))
}

// deletionWaits records in the status why the deletion waits (msg) and returns err, for
// the error backoff, joined with the status write's own error if it failed.
func (r *AccessRoleReconciler) deletionWaits(ctx context.Context, ar *privacyv1alpha1.AccessRole, msg string, err error) error {
	before := ar.DeepCopy()
	r.cleanupFailed(ar, msg)
	if _, perr := writeStatus(ctx, r.Client, ar, before, accessRoleStatus); perr != nil && !apierrors.IsNotFound(perr) {
		err = errors.Join(err, perr)
	}
	return err
}

// cleanupFailed sets Ready to say why the deletion waits, with a Warning event when that
// is new: a deletion retried with backoff is one event per failure, not one per retry.
func (r *AccessRoleReconciler) cleanupFailed(ar *privacyv1alpha1.AccessRole, msg string) {
	msg = truncateMessage(msg)
	prev := meta.FindStatusCondition(ar.Status.Conditions, privacyv1alpha1.TypeReady)
	if prev == nil || prev.Reason != privacyv1alpha1.ReasonCleanupFailed || prev.Message != msg {
		r.env.Recorder.Eventf(ar, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonCleanupFailed, "Delete", "%s", msg)
	}
	meta.SetStatusCondition(&ar.Status.Conditions, metav1.Condition{Type: privacyv1alpha1.TypeReady, Status: metav1.ConditionFalse,
		Reason: privacyv1alpha1.ReasonCleanupFailed, Message: msg, ObservedGeneration: ar.Generation})
}

// skipCleanup lets an AccessRole go without stripping its role, but never leaves a working
// login behind: the logins it owns are locked and their sessions ended first. While the
// CRMDatabase exists but cannot be used, the deletion waits (the logins could still work);
// when the CRMDatabase is gone the operator can no longer reach them: the deletion record
// and the Warning event name the logins to lock by hand.
func (r *AccessRoleReconciler) skipCleanup(ctx context.Context, ar *privacyv1alpha1.AccessRole) (*privacyv1alpha1.AccessRoleDeletion, error) {
	d := &privacyv1alpha1.AccessRoleDeletion{Cleanup: privacyv1alpha1.CleanupSkipped, At: metav1.NewTime(r.env.Clock.Now())}
	conn, reason, msg := r.connection(ctx, ar)
	if reason == privacyv1alpha1.ReasonDatabaseNotFound {
		d.LoginsNotLocked = truncateMessage(fmt.Sprintf("the CRMDatabase is gone: lock the logins of members with a password Secret (%s) by hand if the server still exists", managedLogins(ar)))
		r.env.Recorder.Eventf(ar, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonCleanupFailed, "Delete",
			"Annotation %s=true: role %s is left in the database as it is; %s", AnnotationSkipCleanup, ar.Spec.RoleName, d.LoginsNotLocked)
		return d, nil
	}
	var err error
	var res access.LockResult
	if reason != "" {
		err = fmt.Errorf("the logins of the AccessRole cannot be locked: %s", msg)
	} else {
		res, err = access.LockOwnedLogins(ctx, conn.DB, accessOwner(ar))
	}
	var ue *access.UnsupportedError
	switch {
	case errors.As(err, &ue):
		d.LoginsNotLocked = truncateMessage(fmt.Sprintf("%v; members with a password Secret: %s", err, managedLogins(ar)))
		r.env.Recorder.Eventf(ar, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonCleanupFailed, "Delete",
			"Annotation %s=true: role %s is left in the database as it is; its logins were not locked: %s", AnnotationSkipCleanup, ar.Spec.RoleName, d.LoginsNotLocked)
		return d, nil
	case err == nil && len(res.Remaining) > 0:
		err = errors.New(strings.Join(res.Remaining, "; "))
	}
	if err != nil {
		msg := fmt.Sprintf("deletion with %s waits until the AccessRole's logins are locked: %v (delete the CRMDatabase if the database is gone for good)", AnnotationSkipCleanup, err)
		return nil, r.deletionWaits(ctx, ar, msg, fmt.Errorf("while locking the logins of AccessRole %s: %w", ar.Name, err))
	}
	d.LoginsLocked, d.SessionsEnded = int32(res.Locked), int32(res.SessionsEnded)
	r.env.Recorder.Eventf(ar, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonLoginsLocked, "Delete",
		"Annotation %s=true: role %s is left in the database with its privileges; %d login(s) of the AccessRole locked now (%d owned), %d session(s) ended",
		AnnotationSkipCleanup, ar.Spec.RoleName, res.Locked, res.Owned, res.SessionsEnded)
	return d, nil
}

// managedLogins names the members whose login the AccessRole manages.
func managedLogins(ar *privacyv1alpha1.AccessRole) string {
	var names []string
	for _, m := range ar.Spec.Members {
		if m.PasswordSecretRef != nil {
			names = append(names, string(m.User))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// cleanup revokes everything the role holds and, with reclaimPolicy Delete, drops it; the
// logins the AccessRole owns are locked either way. It returns what it did.
func (r *AccessRoleReconciler) cleanup(ctx context.Context, ar *privacyv1alpha1.AccessRole) (*privacyv1alpha1.AccessRoleDeletion, error) {
	conn, reason, msg := r.connection(ctx, ar)
	if reason != "" {
		return nil, errors.New(msg)
	}
	ap := &accessPass{ar: ar, now: r.env.Clock.Now()}
	for _, m := range ar.Spec.Members {
		ap.members = append(ap.members, access.Member{User: string(m.User), ManageLogin: m.PasswordSecretRef != nil})
	}
	drop := ar.Spec.ReclaimPolicy == privacyv1alpha1.ReclaimDelete
	d := &privacyv1alpha1.AccessRoleDeletion{Cleanup: privacyv1alpha1.CleanupRoleRetained, At: metav1.NewTime(ap.now)}
	if drop {
		d.Cleanup = privacyv1alpha1.CleanupDropped
	}
	res, err := access.Remove(ctx, conn.DB, conn.Mapping, r.accessSpec(ap), drop)
	var nm *access.RoleNotManagedError
	var nv *access.MarkerNotVerifiedError
	var ue *access.UnsupportedError
	switch {
	case err == nil:
		d.LoginsLocked, d.SessionsEnded = int32(res.LoginsLocked), int32(res.SessionsEnded)
	case errors.As(err, &ue):
		// The operator cannot manage access on this engine: nothing to undo.
		ctrl.LoggerFrom(ctx).Info("Nothing to clean up in the database", "role", ar.Spec.RoleName, "why", err.Error())
		d.Cleanup = privacyv1alpha1.CleanupNoRole
	case errors.Is(err, access.ErrRoleNotFound), errors.As(err, &nm), errors.As(err, &nv):
		// The role is gone or not the operator's, but logins the AccessRole owns may still
		// exist (the role was dropped by hand, or still carries a legacy marker): lock them.
		ctrl.LoggerFrom(ctx).Info("No role to clean up in the database; locking the AccessRole's logins", "role", ar.Spec.RoleName, "why", err.Error())
		d.Cleanup = privacyv1alpha1.CleanupNoRole
		lres, lerr := access.LockOwnedLogins(ctx, conn.DB, accessOwner(ar))
		switch {
		case errors.As(lerr, &ue):
		case lerr != nil:
			return nil, lerr
		case len(lres.Remaining) > 0:
			return nil, errors.New(strings.Join(lres.Remaining, "; "))
		}
		d.LoginsLocked, d.SessionsEnded = int32(lres.Locked), int32(lres.SessionsEnded)
	default:
		return nil, err
	}
	r.env.Recorder.Eventf(ar, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonReconciled, "Delete",
		"Role %s stripped of its privileges and members (reclaimPolicy %s)", ar.Spec.RoleName, reclaimPolicy(ar))
	return d, nil
}

func reclaimPolicy(ar *privacyv1alpha1.AccessRole) privacyv1alpha1.ReclaimPolicy {
	if ar.Spec.ReclaimPolicy == "" {
		return privacyv1alpha1.ReclaimRetain
	}
	return ar.Spec.ReclaimPolicy
}

func (r *AccessRoleReconciler) removeFinalizer(ctx context.Context, ar *privacyv1alpha1.AccessRole) error {
	patch := client.MergeFrom(ar.DeepCopy())
	controllerutil.RemoveFinalizer(ar, AccessRoleFinalizer)
	if err := r.Patch(ctx, ar, patch); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("while removing the finalizer of AccessRole %s: %w", ar.Name, err)
	}
	metrics.ForgetAccessRole(ar.Namespace, ar.Name)
	return nil
}
