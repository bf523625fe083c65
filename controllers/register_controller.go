package controllers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/metrics"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

// RegisterDebounce is how long the register builder waits after a change before it renders
// the register, so that a burst of changes (a `kubectl apply` of many objects, a GitOps
// sync) makes one revision rather than one per object.
const RegisterDebounce = 2 * time.Second

// registerRaceRetry is the delay before retrying after another writer created the revision
// this one meant to create.
const registerRaceRetry = time.Second

// registerExclusionRecheck is how often the register builder runs again while objects are
// recorded by placeholder, so that their Registered condition is restored if another
// writer's status patch dropped it.
const registerExclusionRecheck = 5 * time.Minute

// registerRequest is the one key the register builder reconciles: the register is one
// document over every namespace.
var registerRequest = reconcile.Request{NamespacedName: types.NamespacedName{Name: "register"}}

// ErrRevisionRace is returned by RegisterBuilder.Sync when the revision it meant to create
// already exists: another writer got there first; sync again.
var ErrRevisionRace = errors.New("the next register revision was created by another writer")

// RegisterBuilder renders every register-relevant spec of the cluster into the register
// document and writes a RegisterRevision when the document's content hash differs from the
// latest revision's. The hash comparison is what decides: an operator restart, a status
// update or an unchanged apply writes nothing.
type RegisterBuilder struct {
	// Client lists the register's objects (the manager's cache) and creates, updates the
	// status of, and prunes revisions.
	Client client.Client
	// Reader reads the revisions from the API server itself, never from a cache that could
	// be behind: the latest revision decides the next number and the previous hash.
	Reader client.Reader
	// Clock gives the revisions' creation time.
	Clock clock.PassiveClock
	// HistoryLimit is how many revisions are kept; 0 keeps every one. Each revision records
	// the history start it allows (register.HistoryStart), and the builder prunes only below
	// the latest revision's: a lower limit takes effect with the next revision.
	HistoryLimit int
	// Recorder emits the RevisionCreated, TooLargeForRegister and Recorded events; nil emits
	// none.
	Recorder events.EventRecorder

	// excluded is how many objects the last Sync recorded by placeholder.
	excluded int
}

// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=processingactivities;legitimateinterestassessments;retentionpolicies;accessroles;crmdatabases,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=databreaches,verbs=get;list;watch
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=registerrevisions,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=privacy.crmoperator.io,resources=registerrevisions/status,verbs=get;update;patch

func setupRegister(env *Env) error {
	mgr := env.Manager
	b := &RegisterBuilder{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Clock: env.Clock,
		HistoryLimit: env.Options.RegisterHistoryLimit, Recorder: env.Recorder}
	specChanged := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	bld := ctrl.NewControllerManagedBy(mgr).Named("register")
	for _, obj := range []client.Object{
		&privacyv1alpha1.ProcessingActivity{}, &privacyv1alpha1.LegitimateInterestAssessment{},
		&privacyv1alpha1.RetentionPolicy{}, &privacyv1alpha1.CRMDatabase{},
		&privacyv1alpha1.DataBreach{},
	} {
		bld = bld.Watches(obj, debouncedRegisterHandler(), specChanged)
	}
	// An AccessRole's status.deletion is part of the register (what its deletion left in
	// the database), and the AccessRole waits for a revision that records it.
	bld = bld.Watches(&privacyv1alpha1.AccessRole{}, debouncedRegisterHandler(),
		builder.WithPredicates(predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, accessRoleDeletionChanged)))
	// Data-subject requests enter the register as counts: a new request, a deleted one, or
	// a change of its phase or timing changes them.
	bld = bld.Watches(&privacyv1alpha1.DataSubjectRequest{}, debouncedRegisterHandler(), builder.WithPredicates(requestCountsChanged))
	return bld.Complete(&registerReconciler{builder: b})
}

// accessRoleDeletionChanged passes the updates of an AccessRole whose status.deletion
// changed.
var accessRoleDeletionChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok := e.ObjectOld.(*privacyv1alpha1.AccessRole)
		n, ok2 := e.ObjectNew.(*privacyv1alpha1.AccessRole)
		return ok && ok2 && !equality.Semantic.DeepEqual(o.Status.Deletion, n.Status.Deletion)
	},
	CreateFunc:  func(event.CreateEvent) bool { return false },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// debouncedRegisterHandler queues the register key RegisterDebounce after any event; the
// queue keeps one pending key, so a burst of events makes one reconcile.
func debouncedRegisterHandler() handler.EventHandler {
	add := func(q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		q.AddAfter(registerRequest, RegisterDebounce)
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, _ event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(q)
		},
		UpdateFunc: func(_ context.Context, _ event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(q)
		},
		DeleteFunc: func(_ context.Context, _ event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(q)
		},
		GenericFunc: func(_ context.Context, _ event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(q)
		},
	}
}

// registerReconciler runs the builder for the one register key.
type registerReconciler struct{ builder *RegisterBuilder }

// Reconcile renders the register and writes a revision when it changed.
func (r *registerReconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	rev, err := r.builder.Sync(ctx)
	if errors.Is(err, ErrRevisionRace) {
		ctrl.LoggerFrom(ctx).Info("Another writer created the next register revision; retrying")
		return ctrl.Result{RequeueAfter: registerRaceRetry}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if rev != nil {
		ctrl.LoggerFrom(ctx).Info("Register revision created", "revision", rev.Spec.Revision,
			"changes", rev.Spec.ChangeCount, "contentHash", rev.Spec.ContentHash, "placeholders", r.builder.excluded)
	}
	if r.builder.excluded > 0 {
		return ctrl.Result{RequeueAfter: registerExclusionRecheck}, nil
	}
	return ctrl.Result{}, nil
}

// Sync renders the register from the cluster and creates the next RegisterRevision when
// its content hash differs from the latest one's, then prunes revisions beyond the history
// limit. It returns the revision it created, or nil when the register is unchanged (or
// empty and never recorded). Creating revision N+1 under its deterministic name makes two
// concurrent writers collide: the loser gets ErrRevisionRace and writes nothing. Objects too
// large for the register are recorded by name and hash only (register.Fit), and told so by a
// Registered=False condition and a Warning event, so that one namespace cannot stop the
// register of all the others.
func (b *RegisterBuilder) Sync(ctx context.Context) (*privacyv1alpha1.RegisterRevision, error) {
	doc, objs, excluded, err := b.document(ctx)
	if err != nil {
		return nil, err
	}
	b.excluded = len(excluded)
	numbers, err := b.revisionNumbers(ctx)
	if err != nil {
		return nil, err
	}
	var latest *register.Revision
	if len(numbers) > 0 {
		if latest, err = b.revision(ctx, numbers[len(numbers)-1]); err != nil {
			return nil, err
		}
	} else if len(doc.Entries) == 0 {
		return nil, nil
	}
	rev, changed, err := register.Next(latest, doc, b.Clock.Now(), "")
	if err != nil {
		return nil, fmt.Errorf("while computing the next register revision: %w", err)
	}
	if !changed {
		if err := b.reportExclusions(ctx, objs, excluded); err != nil {
			return nil, err
		}
		return nil, b.prune(ctx, numbers, latest.Start())
	}
	rev.SourceRevision = register.SourceRevision(doc, rev.Changes)
	rev.SetHistoryStart(latest, b.HistoryLimit)
	obj, err := b.create(ctx, rev)
	if err != nil {
		return nil, err
	}
	if err := b.reportExclusions(ctx, objs, excluded); err != nil {
		return obj, err
	}
	return obj, b.prune(ctx, append(numbers, rev.Number), rev.Start())
}

// document lists the register's objects in every namespace and renders them, each bounded
// to what one object may take in the register. It returns the objects by key, for
// reportExclusions, and the objects recorded as placeholders.
func (b *RegisterBuilder) document(ctx context.Context) (*register.Document, map[register.Key]client.Object, []register.Exclusion, error) {
	objs, err := register.ListObjects(ctx, b.Client)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("while listing the objects of the register: %w", err)
	}
	doc, err := register.FromObjects(objs)
	if err != nil {
		return nil, nil, nil, err
	}
	doc, excluded, err := register.Fit(doc)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("while bounding the register: %w", err)
	}
	byKey := map[register.Key]client.Object{}
	add := func(kind string, o client.Object) {
		byKey[register.Key{Kind: kind, Namespace: o.GetNamespace(), Name: o.GetName()}] = o
	}
	for i := range objs.ProcessingActivities {
		add(register.KindProcessingActivity, &objs.ProcessingActivities[i])
	}
	for i := range objs.LegitimateInterestAssessments {
		add(register.KindLegitimateInterestAssessment, &objs.LegitimateInterestAssessments[i])
	}
	for i := range objs.RetentionPolicies {
		add(register.KindRetentionPolicy, &objs.RetentionPolicies[i])
	}
	for i := range objs.AccessRoles {
		add(register.KindAccessRole, &objs.AccessRoles[i])
	}
	for i := range objs.CRMDatabases {
		add(register.KindCRMDatabase, &objs.CRMDatabases[i])
	}
	for i := range objs.DataBreaches {
		add(register.KindDataBreach, &objs.DataBreaches[i])
	}
	return doc, byKey, excluded, nil
}

// reportExclusions sets Registered=False (TooLargeForRegister) on the objects the register
// records by name and hash only, with a Warning event naming the limit, and Registered=True
// on objects that carried Registered=False and fit again. Only changes are written: the same
// register twice patches nothing and emits no event.
func (b *RegisterBuilder) reportExclusions(ctx context.Context, objs map[register.Key]client.Object, excluded []register.Exclusion) error {
	byKey := map[register.Key]register.Exclusion{}
	for _, x := range excluded {
		byKey[x.Key] = x
	}
	keys := make([]register.Key, 0, len(objs))
	for k := range objs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		obj := objs[k]
		conds := conditionsOf(obj)
		if conds == nil {
			continue
		}
		current := meta.FindStatusCondition(*conds, privacyv1alpha1.TypeRegistered)
		x, isExcluded := byKey[k]
		want := metav1.Condition{Type: privacyv1alpha1.TypeRegistered, ObservedGeneration: obj.GetGeneration()}
		switch {
		case isExcluded:
			want.Status, want.Reason, want.Message = metav1.ConditionFalse, privacyv1alpha1.ReasonTooLargeForRegister, exclusionMessage(x)
		case current != nil && current.Status != metav1.ConditionTrue:
			want.Status, want.Reason, want.Message = metav1.ConditionTrue, privacyv1alpha1.ReasonRecorded, "The register records this object's spec in full"
		default:
			continue
		}
		if current != nil && current.Status == want.Status && current.Reason == want.Reason &&
			current.Message == want.Message && current.ObservedGeneration == want.ObservedGeneration {
			continue
		}
		before := obj.DeepCopyObject().(client.Object)
		meta.SetStatusCondition(conds, want)
		// The optimistic lock keeps a stale copy from overwriting conditions another
		// controller set since; a conflict is retried with the reconcile's backoff.
		patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
		if err := b.Client.Status().Patch(ctx, obj, patch); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("while setting the Registered condition of %s: %w", k, err)
		}
		if b.Recorder == nil {
			continue
		}
		if isExcluded {
			b.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, privacyv1alpha1.ReasonTooLargeForRegister, "Record", "%s", want.Message)
		} else {
			b.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonRecorded, "Record", "%s", want.Message)
		}
	}
	return nil
}

// exclusionMessage says why the register records an object by name and hash only.
func exclusionMessage(x register.Exclusion) string {
	what := fmt.Sprintf("its spec takes %d bytes of canonical JSON, above the %d bytes one object may take in the register", x.SpecBytes, x.Limit())
	if x.Reason == register.RegisterFull {
		what = fmt.Sprintf("the register would exceed the %d bytes a RegisterRevision holds, and its spec (%d bytes of canonical JSON) is among the largest", x.Limit(), x.SpecBytes)
	}
	return fmt.Sprintf("The register records only this object's kind, namespace, name and spec hash %s, not its content: %s. Shorten the spec or split it into several objects", x.SpecHash, what)
}

// conditionsOf returns the conditions of the status of one of the API's kinds; nil for another
// kind.
func conditionsOf(obj client.Object) *[]metav1.Condition {
	switch o := obj.(type) {
	case *privacyv1alpha1.ProcessingActivity:
		return &o.Status.Conditions
	case *privacyv1alpha1.LegitimateInterestAssessment:
		return &o.Status.Conditions
	case *privacyv1alpha1.RetentionPolicy:
		return &o.Status.Conditions
	case *privacyv1alpha1.AccessRole:
		return &o.Status.Conditions
	case *privacyv1alpha1.CRMDatabase:
		return &o.Status.Conditions
	case *privacyv1alpha1.DataBreach:
		return &o.Status.Conditions
	case *privacyv1alpha1.DataSubjectRequest:
		return &o.Status.Conditions
	case *privacyv1alpha1.RegisterRevision:
		return &o.Status.Conditions
	case *privacyv1alpha1.ChangePreview:
		return &o.Status.Conditions
	}
	return nil
}

// revisionNumbers lists the numbers of the stored revisions, ascending, reading only their
// metadata (a revision's snapshot may weigh up to 1 MiB).
func (b *RegisterBuilder) revisionNumbers(ctx context.Context) ([]int64, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(privacyv1alpha1.GroupVersion.WithKind("RegisterRevisionList"))
	if err := b.Reader.List(ctx, list); err != nil {
		return nil, fmt.Errorf("while listing the register revisions: %w", err)
	}
	var numbers []int64
	for _, item := range list.Items {
		if n, ok := RevisionNumberOf(item.Name); ok {
			numbers = append(numbers, n)
		}
	}
	sort.Slice(numbers, func(i, j int) bool { return numbers[i] < numbers[j] })
	return numbers, nil
}

// RevisionNumberOf reads the revision number from a RegisterRevision's name
// ("register-000042" is 42); false for a name the operator does not give.
func RevisionNumberOf(name string) (int64, bool) {
	var n int64
	if _, err := fmt.Sscanf(name, "register-%d", &n); err != nil || n < 1 || register.RevisionObjectName(n) != name {
		return 0, false
	}
	return n, true
}

// revision reads one stored revision from the API server.
func (b *RegisterBuilder) revision(ctx context.Context, n int64) (*register.Revision, error) {
	obj := &privacyv1alpha1.RegisterRevision{}
	if err := b.Reader.Get(ctx, types.NamespacedName{Name: register.RevisionObjectName(n)}, obj); err != nil {
		return nil, fmt.Errorf("while reading register revision %d: %w", n, err)
	}
	rev := register.FromRegisterRevision(obj)
	return &rev, nil
}

// create writes the revision, marks it verified against its predecessor (Next computed its
// previous hash from it) and reports it.
func (b *RegisterBuilder) create(ctx context.Context, rev register.Revision) (*privacyv1alpha1.RegisterRevision, error) {
	obj := &privacyv1alpha1.RegisterRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:   register.RevisionObjectName(rev.Number),
			Labels: map[string]string{"app.kubernetes.io/managed-by": EventSource},
		},
		Spec: rev.RegisterRevisionSpec(),
	}
	if err := b.Client.Create(ctx, obj); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating register revision %d: %w", rev.Number, ErrRevisionRace)
		}
		return nil, fmt.Errorf("while creating register revision %d: %w", rev.Number, err)
	}
	metrics.RegisterRevisions.Inc()
	before := obj.DeepCopy()
	msg := "the snapshot matches its content hash"
	if rev.Number > 1 {
		msg += fmt.Sprintf(" and the previous hash is the chain hash of revision %d", rev.Number-1)
	}
	for _, t := range []string{privacyv1alpha1.TypeVerified, privacyv1alpha1.TypeReady} {
		meta.SetStatusCondition(&obj.Status.Conditions, metav1.Condition{Type: t, Status: metav1.ConditionTrue,
			Reason: privacyv1alpha1.ReasonChainVerified, Message: msg, ObservedGeneration: obj.Generation})
	}
	obj.Status.ObservedGeneration = obj.Generation
	if err := b.Client.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil {
		return nil, fmt.Errorf("while updating the status of register revision %d: %w", rev.Number, err)
	}
	if b.Recorder != nil {
		b.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, privacyv1alpha1.ReasonRevisionCreated, "Record",
			"Register revision %d records %d changes, content hash %s", rev.Number, rev.ChangeCount, rev.ContentHash)
	}
	return obj, nil
}

// prune deletes the revisions below start, the history start recorded by the latest
// revision. The operator never deletes a revision that the latest one does not let it delete,
// so `register verify` can tell its pruning from a deletion by someone else; a lower history
// limit takes effect with the next revision written.
func (b *RegisterBuilder) prune(ctx context.Context, numbers []int64, start int64) error {
	if b.HistoryLimit <= 0 {
		return nil
	}
	for _, n := range numbers {
		if n >= start {
			break
		}
		obj := &privacyv1alpha1.RegisterRevision{ObjectMeta: metav1.ObjectMeta{Name: register.RevisionObjectName(n)}}
		if err := b.Client.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("while pruning register revision %d: %w", n, err)
		}
	}
	return nil
}
