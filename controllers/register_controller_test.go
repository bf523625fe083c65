package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/controllers"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/register"
)

// listRevisions reads every RegisterRevision from the API server, sorted by number.
func listRevisions(t testing.TB, c client.Reader) []privacyv1alpha1.RegisterRevision {
	t.Helper()
	var list privacyv1alpha1.RegisterRevisionList
	if err := c.List(context.Background(), &list); err != nil {
		t.Fatalf("listing register revisions: %v", err)
	}
	items := list.Items
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			if items[j].Spec.Revision < items[i].Spec.Revision {
				items[i], items[j] = items[j], items[i]
			}
		}
	}
	return items
}

// touching returns the revisions whose changes name an object of the namespace, with the
// change of each.
func touching(revs []privacyv1alpha1.RegisterRevision, ns string) []privacyv1alpha1.RegisterChange {
	var out []privacyv1alpha1.RegisterChange
	for _, r := range revs {
		for _, c := range r.Spec.Changes {
			if c.Namespace == ns {
				out = append(out, c)
			}
		}
	}
	return out
}

// waitChanges waits until the revisions record exactly these changes of the namespace.
func waitChanges(t *testing.T, ns string, want []privacyv1alpha1.RegisterChange) []privacyv1alpha1.RegisterRevision {
	t.Helper()
	var revs []privacyv1alpha1.RegisterRevision
	eventually(t, 30*time.Second, fmt.Sprintf("%d register changes in %s", len(want), ns), func() (bool, error) {
		revs = listRevisions(t, k8s)
		diff := cmp.Diff(want, touching(revs, ns))
		return diff == "", errors.New(diff)
	})
	return revs
}

func apiReader(t testing.TB) client.Reader {
	t.Helper()
	c, err := client.New(cfg, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRegisterRevisionsOnlyOnChange(t *testing.T) {
	ns := newNamespace(t)
	pa := newActivity(t, ns, "accounts", nil)
	added := privacyv1alpha1.RegisterChange{Kind: "ProcessingActivity", Namespace: ns, Name: "accounts", Type: privacyv1alpha1.ChangeAdded}
	revs := waitChanges(t, ns, []privacyv1alpha1.RegisterChange{added})

	// The revision that added the activity (other tests write revisions too) is marked
	// verified, and its snapshot holds the activity.
	var latest privacyv1alpha1.RegisterRevision
	eventually(t, 20*time.Second, "the revision adding the activity to be verified", func() (bool, error) {
		for _, r := range listRevisions(t, k8s) {
			for _, c := range r.Spec.Changes {
				if c.Namespace == ns && c.Name == "accounts" {
					latest = r
				}
			}
		}
		c := meta.FindStatusCondition(latest.Status.Conditions, privacyv1alpha1.TypeVerified)
		return c != nil && c.Status == metav1.ConditionTrue, fmt.Errorf("Verified condition = %+v", c)
	})
	doc, err := register.FromRegisterRevision(&latest).Document()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Lookup(register.Key{Kind: "ProcessingActivity", Namespace: ns, Name: "accounts"}); !ok {
		t.Errorf("the snapshot of revision %d lacks the activity", latest.Spec.Revision)
	}

	// A status-only change, an annotation, and an operator restart (a new builder over the
	// same cluster, run twice) write nothing. The builder renders what the manager's cache
	// holds: once the cache holds both changes, a sync that records nothing about the
	// namespace proves that no builder, the manager's included, ever will for them.
	waitActivityCondition(t, pa, privacyv1alpha1.TypeReady, metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled)
	before := pa.DeepCopy()
	pa.Status.Findings = []privacyv1alpha1.Finding{{Code: "Manual", Severity: privacyv1alpha1.SeverityInfo, Message: "a status-only change"}}
	if err := k8s.Status().Patch(context.Background(), pa, client.MergeFrom(before)); err != nil {
		t.Fatal(err)
	}
	before = pa.DeepCopy()
	metav1.SetMetaDataAnnotation(&pa.ObjectMeta, "example.com/reviewed-by", "the DPO")
	if err := k8s.Patch(context.Background(), pa, client.MergeFrom(before)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the manager's cache to hold the status change and the annotation", func() (bool, error) {
		cur := &privacyv1alpha1.ProcessingActivity{}
		if err := k8s.Get(context.Background(), key(pa), cur); err != nil {
			return false, err
		}
		return len(cur.Status.Findings) > 0 && cur.Annotations["example.com/reviewed-by"] != "", nil
	})
	restarted := &controllers.RegisterBuilder{Client: k8s, Reader: apiReader(t), Clock: clock.RealClock{}}
	syncUnchanged(t, restarted, ns)
	if got := touching(listRevisions(t, k8s), ns); len(got) != 1 {
		t.Errorf("changes of %s after a status-only change and a restart: %+v, want only the addition", ns, got)
	}

	// A real change, carrying the git revision a GitOps tool annotated, makes one revision.
	updateActivity(t, pa, func(s *privacyv1alpha1.ProcessingActivitySpec) {
		s.Purposes = append(s.Purposes, "Renewal reminders for maintenance contracts")
	})
	eventually(t, 10*time.Second, "annotating the activity", func() (bool, error) {
		if err := k8s.Get(context.Background(), key(pa), pa); err != nil {
			return false, err
		}
		pa.Annotations = map[string]string{privacyv1alpha1.AnnotationSourceRevision: "0123abcd"}
		pa.Spec.Recipients = []string{"sales team"}
		err := k8s.Update(context.Background(), pa)
		return err == nil, err
	})
	modified := privacyv1alpha1.RegisterChange{Kind: "ProcessingActivity", Namespace: ns, Name: "accounts", Type: privacyv1alpha1.ChangeModified}
	revs = listRevisions(t, k8s)
	eventually(t, 30*time.Second, "the modification to be recorded", func() (bool, error) {
		revs = listRevisions(t, k8s)
		got := touching(revs, ns)
		return len(got) >= 2, fmt.Errorf("changes: %+v", got)
	})
	// A second revision, if any, exists once a sync over a cache that holds the last update
	// records nothing more: the manager's builder wrote it, or this sync does.
	eventually(t, 10*time.Second, "the manager's cache to hold the last update", func() (bool, error) {
		cur := &privacyv1alpha1.ProcessingActivity{}
		if err := k8s.Get(context.Background(), key(pa), cur); err != nil {
			return false, err
		}
		return cur.Generation >= pa.Generation && cur.Annotations[privacyv1alpha1.AnnotationSourceRevision] == "0123abcd", nil
	})
	syncCurrent(t, restarted)
	revs = listRevisions(t, k8s)
	got := touching(revs, ns)
	// The two updates were close enough to be debounced into one revision, or recorded as
	// two; either way every change of the activity is recorded once, as Modified.
	if !cmp.Equal(got[0], added) {
		t.Errorf("first change %+v, want %+v", got[0], added)
	}
	var fields []string
	for _, c := range got[1:] {
		if c.Kind != modified.Kind || c.Name != modified.Name || c.Type != modified.Type {
			t.Errorf("change %+v, want a modification of the activity", c)
		}
		fields = append(fields, c.Fields...)
	}
	for _, f := range []string{"spec.purposes", "spec.recipients"} {
		if !contains(fields, f) {
			t.Errorf("the modifications %+v do not name %s", got[1:], f)
		}
	}
	var last privacyv1alpha1.RegisterRevision
	for _, r := range revs {
		if len(touching([]privacyv1alpha1.RegisterRevision{r}, ns)) > 0 {
			last = r
		}
	}
	if last.Spec.SourceRevision != "0123abcd" {
		t.Errorf("source revision %q, want 0123abcd", last.Spec.SourceRevision)
	}

	// Removal is recorded, and the whole chain verifies.
	if err := k8s.Delete(context.Background(), pa); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the removal to be recorded", func() (bool, error) {
		revs = listRevisions(t, k8s)
		got := touching(revs, ns)
		return got[len(got)-1].Type == privacyv1alpha1.ChangeRemoved, fmt.Errorf("changes: %+v", got)
	})
	if problems := register.VerifyRegisterRevisions(revs); len(problems) > 0 {
		t.Errorf("the register's hash chain does not verify: %v", problems)
	}
}

// syncUnchanged runs a new builder, as after an operator restart, and checks that it
// records nothing about the namespace. Other tests' objects may still be settling in the
// shared cluster: a revision about them, or a race with the manager's own builder, is
// retried; once caught up, a second sync must record nothing at all.
func syncUnchanged(t *testing.T, b *controllers.RegisterBuilder, ns string) {
	t.Helper()
	for i := 0; ; i++ {
		rev, err := b.Sync(context.Background())
		if errors.Is(err, controllers.ErrRevisionRace) && i < 10 {
			continue
		}
		if err != nil {
			t.Fatalf("sync after a restart: %v", err)
		}
		if rev == nil {
			break
		}
		if changes := touching([]privacyv1alpha1.RegisterRevision{*rev}, ns); len(changes) > 0 || i >= 10 {
			t.Fatalf("sync after a restart recorded revision %d with changes %+v", rev.Spec.Revision, rev.Spec.Changes)
		}
	}
	if rev, err := b.Sync(context.Background()); err != nil || rev != nil {
		t.Fatalf("second sync of an unchanged register: revision %v, error %v; want none", rev, err)
	}
}

// syncCurrent syncs b until it writes nothing more: the register then records every change
// the manager's cache holds, whichever builder wrote the revisions.
func syncCurrent(t *testing.T, b *controllers.RegisterBuilder) {
	t.Helper()
	for i := 0; ; i++ {
		rev, err := b.Sync(context.Background())
		if i >= 10 {
			t.Fatalf("the register is not current after 10 syncs: revision %v, error %v", rev, err)
		}
		if errors.Is(err, controllers.ErrRevisionRace) {
			continue
		}
		if err != nil {
			t.Fatalf("sync: %v", err)
		}
		if rev == nil {
			return
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestRegisterTamperingIsDetected edits the snapshot of a stored revision (the API forbids
// editing it in place: a tamperer would delete and recreate it) and checks that Verify
// names the revision.
func TestRegisterTamperingIsDetected(t *testing.T) {
	ns := newNamespace(t)
	newActivity(t, ns, "tamper-me", nil)
	revs := waitChanges(t, ns, []privacyv1alpha1.RegisterChange{{Kind: "ProcessingActivity", Namespace: ns, Name: "tamper-me", Type: privacyv1alpha1.ChangeAdded}})
	if problems := register.VerifyRegisterRevisions(revs); len(problems) > 0 {
		t.Fatalf("the untouched chain does not verify: %v", problems)
	}
	target := &revs[len(revs)-1]
	doc, err := register.Decode(string(target.Spec.Snapshot.Encoding), target.Spec.Snapshot.Data)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range doc.Entries {
		if e.Name == "tamper-me" {
			doc.Entries[i].Spec["purposes"] = []any{"Something the DPO never approved"}
		}
	}
	enc, data, err := register.Encode(doc)
	if err != nil {
		t.Fatal(err)
	}
	target.Spec.Snapshot = privacyv1alpha1.RegisterSnapshot{Encoding: privacyv1alpha1.SnapshotEncoding(enc), Data: data}
	problems := register.VerifyRegisterRevisions(revs)
	if len(problems) == 0 || problems[0].Revision != target.Spec.Revision || problems[0].Reason != register.ContentHashMismatch {
		t.Errorf("tampered revision %d: problems %v, want a ContentHashMismatch on it", target.Spec.Revision, problems)
	}
}

// fakeRegister is a fake cluster for the builder alone.
func fakeRegister(objs ...client.Object) client.WithWatch {
	return fake.NewClientBuilder().WithScheme(testScheme).WithObjects(objs...).
		WithStatusSubresource(&privacyv1alpha1.RegisterRevision{}).Build()
}

func fakeActivity(name string, purpose string) *privacyv1alpha1.ProcessingActivity {
	spec := activitySpec()
	spec.Purposes = []string{purpose}
	return &privacyv1alpha1.ProcessingActivity{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: name}, Spec: spec}
}

func TestRegisterHistoryLimitKeepsAVerifiableChain(t *testing.T) {
	ctx := context.Background()
	pa := fakeActivity("accounts", "purpose 0")
	c := fakeRegister(pa)
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := &controllers.RegisterBuilder{Client: c, Reader: c, Clock: clk, HistoryLimit: 2}
	for i := 1; i <= 4; i++ {
		if i > 1 {
			if err := c.Get(ctx, key(pa), pa); err != nil {
				t.Fatal(err)
			}
			pa.Spec.Purposes = []string{fmt.Sprintf("purpose %d", i)}
			if err := c.Update(ctx, pa); err != nil {
				t.Fatal(err)
			}
		}
		clk.SetTime(clk.Now().Add(time.Hour))
		rev, err := b.Sync(ctx)
		if err != nil || rev == nil || rev.Spec.Revision != int64(i) {
			t.Fatalf("sync %d: revision %v, error %v", i, rev, err)
		}
		if again, err := b.Sync(ctx); err != nil || again != nil {
			t.Fatalf("sync %d again: revision %v, error %v; want none", i, again, err)
		}
	}
	revs := listRevisions(t, c)
	var numbers []int64
	for _, r := range revs {
		numbers = append(numbers, r.Spec.Revision)
	}
	if diff := cmp.Diff([]int64{3, 4}, numbers); diff != "" {
		t.Errorf("revisions kept (-want +got):\n%s", diff)
	}
	if problems := register.VerifyRegisterRevisions(revs); len(problems) > 0 {
		t.Errorf("the pruned chain does not verify from its oldest revision: %v", problems)
	}
	if got := revs[1].Spec.HistoryStart; got != 3 {
		t.Errorf("revision 4 records history start %d, want 3", got)
	}

	// Issue 14 (11): someone who may delete RegisterRevisions deletes the oldest one kept;
	// the history limit does not explain it, and verify says so.
	if err := c.Delete(ctx, &revs[0]); err != nil {
		t.Fatal(err)
	}
	problems := register.VerifyRegisterRevisions(listRevisions(t, c))
	if len(problems) != 1 || problems[0].Reason != register.HistoryMissing || problems[0].Revision != 4 {
		t.Errorf("verify after revision 3 was deleted: %v, want one HistoryMissing on revision 4", problems)
	}
}

// TestRegisterLowerHistoryLimitWaitsForTheNextRevision: a history limit lowered while the
// register is unchanged prunes nothing until the next revision records the new start, so the
// chain always verifies.
func TestRegisterLowerHistoryLimitWaitsForTheNextRevision(t *testing.T) {
	ctx := context.Background()
	pa := fakeActivity("accounts", "purpose 0")
	c := fakeRegister(pa)
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	all := &controllers.RegisterBuilder{Client: c, Reader: c, Clock: clk}
	change := func(i int) {
		t.Helper()
		if err := c.Get(ctx, key(pa), pa); err != nil {
			t.Fatal(err)
		}
		pa.Spec.Purposes = []string{fmt.Sprintf("purpose %d", i)}
		if err := c.Update(ctx, pa); err != nil {
			t.Fatal(err)
		}
		clk.SetTime(clk.Now().Add(time.Hour))
	}
	for i := 1; i <= 3; i++ {
		if i > 1 {
			change(i)
		}
		if rev, err := all.Sync(ctx); err != nil || rev == nil {
			t.Fatalf("sync %d: %v, %v", i, rev, err)
		}
	}
	numbers := func() []int64 {
		var out []int64
		for _, r := range listRevisions(t, c) {
			out = append(out, r.Spec.Revision)
		}
		return out
	}
	// The operator restarts with --register-history-limit=1; the register is unchanged.
	one := &controllers.RegisterBuilder{Client: c, Reader: c, Clock: clk, HistoryLimit: 1}
	if rev, err := one.Sync(ctx); err != nil || rev != nil {
		t.Fatalf("unchanged sync: %v, %v", rev, err)
	}
	if diff := cmp.Diff([]int64{1, 2, 3}, numbers()); diff != "" {
		t.Errorf("revisions after a lower limit and no change (-want +got):\n%s", diff)
	}
	change(4)
	if rev, err := one.Sync(ctx); err != nil || rev == nil || rev.Spec.HistoryStart != 4 {
		t.Fatalf("sync after a change: %v, %v; want revision 4 recording history start 4", rev, err)
	}
	if diff := cmp.Diff([]int64{4}, numbers()); diff != "" {
		t.Errorf("revisions kept (-want +got):\n%s", diff)
	}
	if problems := register.VerifyRegisterRevisions(listRevisions(t, c)); len(problems) > 0 {
		t.Errorf("chain: %v", problems)
	}
}

// staleReader hides the latest revision, as a second writer that has not seen it would.
type staleReader struct {
	client.Reader
	hide string
}

func (s staleReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if err := s.Reader.List(ctx, list, opts...); err != nil {
		return err
	}
	if l, ok := list.(*metav1.PartialObjectMetadataList); ok {
		kept := l.Items[:0]
		for _, item := range l.Items {
			if item.Name != s.hide {
				kept = append(kept, item)
			}
		}
		l.Items = kept
	}
	return nil
}

func TestRegisterConcurrentWriterLosesTheRace(t *testing.T) {
	ctx := context.Background()
	pa := fakeActivity("accounts", "purpose 0")
	c := fakeRegister(pa)
	b := &controllers.RegisterBuilder{Client: c, Reader: c, Clock: clock.RealClock{}}
	if rev, err := b.Sync(ctx); err != nil || rev == nil {
		t.Fatalf("first sync: %v, %v", rev, err)
	}
	pa.Spec.Purposes = []string{"purpose 1"}
	if err := c.Update(ctx, pa); err != nil {
		t.Fatal(err)
	}
	if rev, err := b.Sync(ctx); err != nil || rev == nil || rev.Spec.Revision != 2 {
		t.Fatalf("second sync: %v, %v", rev, err)
	}
	// A writer that has not seen revision 2 computes revision 2 too: its create fails.
	stale := &controllers.RegisterBuilder{Client: c, Reader: staleReader{Reader: c, hide: register.RevisionObjectName(2)}, Clock: clock.RealClock{}}
	pa.Spec.Purposes = []string{"purpose 2"}
	if err := c.Update(ctx, pa); err != nil {
		t.Fatal(err)
	}
	if rev, err := stale.Sync(ctx); !errors.Is(err, controllers.ErrRevisionRace) || rev != nil {
		t.Fatalf("stale writer: revision %v, error %v; want ErrRevisionRace", rev, err)
	}
	if rev, err := b.Sync(ctx); err != nil || rev == nil || rev.Spec.Revision != 3 {
		t.Fatalf("up-to-date writer: %v, %v; want revision 3", rev, err)
	}
	if problems := register.VerifyRegisterRevisions(listRevisions(t, c)); len(problems) > 0 {
		t.Errorf("chain: %v", problems)
	}
}

// Word lists for generated activities: varied enough that compression is not flattered.
var (
	genPurposes = []string{"Qualification of inbound leads from the website contact form", "Follow-up of business contacts met at trade fairs",
		"Sending the monthly product newsletter to subscribers", "Account management of existing B2B customers",
		"Renewal reminders for maintenance contracts", "Invitations to customer events and webinars",
		"Satisfaction surveys after support tickets", "Territory planning for the field sales team"}
	genCategories = []string{"identity", "professional contact details", "job title and role", "company", "interaction history",
		"consent evidence", "postal address", "marketing preferences", "order history"}
	genMeasures = []string{"TLS 1.2+ in transit", "AES-256 at rest", "SSO with MFA", "role-based access per job function",
		"quarterly access review", "audit logging of exports", "backups encrypted and tested monthly"}
	genProcessors = []string{"Cloudline CRM Ltd.", "MailRelay GmbH", "EventHub SAS", "SurveyPro Inc.", "DataCare Backup NV"}
)

func pick(r *rand.Rand, list []string, n int) []string {
	out := make([]string, 0, n)
	for _, i := range r.Perm(len(list))[:n] {
		out = append(out, list[i])
	}
	return out
}

// generatedActivity is activity number i of a generated register of realistic size.
func generatedActivity(r *rand.Rand, i int) *privacyv1alpha1.ProcessingActivity {
	pa := fakeActivity(fmt.Sprintf("activity-%04d", i), "")
	s := &pa.Spec
	s.Description = fmt.Sprintf("%s (business unit %d)", genPurposes[i%len(genPurposes)], i%37)
	s.DPO = &privacyv1alpha1.Party{Name: "Data Protection Office", Email: "dpo@northwind.example"}
	s.Purposes = pick(r, genPurposes, 1+r.IntN(3))
	s.PersonalDataCategories = pick(r, genCategories, 3+r.IntN(5))
	s.Recipients = pick(r, []string{"sales team", "marketing team", "customer support", "finance", "management"}, 1+r.IntN(3))
	s.SecurityMeasures = pick(r, genMeasures, 3+r.IntN(4))
	s.PrivacyNoticeURI = privacyv1alpha1.URI(fmt.Sprintf("https://northwind.example/privacy#activity-%d", i))
	s.DatabaseRefs = []privacyv1alpha1.LocalObjectReference{{Name: privacyv1alpha1.ObjectName(fmt.Sprintf("crm-%d", i%4))}}
	for _, name := range pick(r, genProcessors, 1+r.IntN(3)) {
		s.Processors = append(s.Processors, privacyv1alpha1.Processor{Name: name, Role: "hosting and maintenance of the CRM software", Country: "US",
			Contract: &privacyv1alpha1.ProcessorContract{SignedAt: metav1.NewTime(time.Date(2023+r.IntN(3), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)),
				DocumentURI: privacyv1alpha1.URI(fmt.Sprintf("https://contracts.northwind.example/dpa/%d", r.IntN(100000)))}})
	}
	s.Transfers = []privacyv1alpha1.Transfer{{Country: "US", Recipient: "CRM vendor support", Safeguard: privacyv1alpha1.SafeguardSCC, Details: "SCC module 2, 2021/914"}}
	return pa
}

// BenchmarkRegisterRevision1000 measures one register revision of 1,000 processing
// activities through the builder (list the objects, render, hash, diff against the latest
// revision, encode, create), against the register library alone as the baseline in the
// same run. DESIGN.md §6 asks for under a second per revision.
func BenchmarkRegisterRevision1000(b *testing.B) {
	ctx := context.Background()
	objs := make([]client.Object, 1000)
	var pas []privacyv1alpha1.ProcessingActivity
	r := rand.New(rand.NewPCG(1, 2))
	for i := range objs {
		pa := generatedActivity(r, i)
		objs[i] = pa
		pas = append(pas, *pa)
	}
	c := fakeRegister(objs...)
	builder := &controllers.RegisterBuilder{Client: c, Reader: c, Clock: clock.RealClock{}}
	if rev, err := builder.Sync(ctx); err != nil || rev == nil {
		b.Fatalf("first revision: %v, %v", rev, err)
	}

	// Baseline: the library alone, same objects, one change.
	latest := register.FromRegisterRevision(&listRevisions(b, c)[0])
	pas[500].Spec.Purposes = []string{"baseline change"}
	start := time.Now()
	doc, err := register.FromObjects(register.Objects{ProcessingActivities: pas})
	if err != nil {
		b.Fatal(err)
	}
	if _, ok, err := register.Next(&latest, doc, time.Now(), ""); err != nil || !ok {
		b.Fatalf("baseline: %v, %v", ok, err)
	}
	baseline := time.Since(start)

	b.ResetTimer()
	var created *privacyv1alpha1.RegisterRevision
	n := 0
	for b.Loop() {
		b.StopTimer()
		pa := objs[n%len(objs)].(*privacyv1alpha1.ProcessingActivity)
		if err := c.Get(ctx, key(pa), pa); err != nil {
			b.Fatal(err)
		}
		pa.Spec.Purposes = []string{fmt.Sprintf("changed purpose %d", n)}
		if err := c.Update(ctx, pa); err != nil {
			b.Fatal(err)
		}
		n++
		b.StartTimer()
		if created, err = builder.Sync(ctx); err != nil || created == nil || created.Spec.ChangeCount != 1 {
			b.Fatalf("sync: %v, %v; want a revision with one change", created, err)
		}
	}
	perRevision := b.Elapsed() / time.Duration(n)
	b.ReportMetric(float64(perRevision.Microseconds())/1000, "ms/revision")
	b.ReportMetric(float64(perRevision)/float64(baseline), "x-library")
	b.ReportMetric(float64(perRevision)/float64(time.Second), "x-budget-1s")
	b.ReportMetric(float64(len(created.Spec.Snapshot.Data)), "snapshot-bytes")
}

// hugeRetentionPolicy is a RetentionPolicy of about 1.2 MB that the CRD admits: 32 rules of
// 16 requirements of 32 values of 72 characters, random so that gzip cannot shrink them.
func hugeRetentionPolicy(ns, name string) *privacyv1alpha1.RetentionPolicy {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	r := rand.New(rand.NewPCG(3, 5))
	value := func() string {
		b := make([]byte, 72)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	p := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: privacyv1alpha1.RetentionPolicySpec{
		DatabaseRef:           privacyv1alpha1.LocalObjectReference{Name: "crm"},
		ProcessingActivityRef: privacyv1alpha1.LocalObjectReference{Name: "prospecting"},
		Schedule:              "0 3 * * *",
	}}
	for i := range 32 {
		sel := &privacyv1alpha1.ContactSelector{}
		for j := range 16 {
			req := privacyv1alpha1.FieldRequirement{Field: privacyv1alpha1.LogicalFieldName(fmt.Sprintf("custom%d", j)), Operator: privacyv1alpha1.SelectorOpIn}
			for range 32 {
				req.Values = append(req.Values, value())
			}
			sel.MatchExpressions = append(sel.MatchExpressions, req)
		}
		p.Spec.Rules = append(p.Spec.Rules, privacyv1alpha1.RetentionRule{Name: privacyv1alpha1.ItemName(fmt.Sprintf("rule-%02d", i)),
			Selector: sel, RetainFor: "24m", Action: privacyv1alpha1.ActionDelete})
	}
	return p
}

// TestRegisterOversizedObjectDoesNotStopTheRegister is issue 14 (12): one namespace's
// 1.2 MB RetentionPolicy, within the CRD's limits, made every snapshot exceed the 1 MiB a
// revision holds, and nothing of any namespace was recorded until it was deleted. The
// register must keep recording everyone else, and the offender must hear why.
func TestRegisterOversizedObjectDoesNotStopTheRegister(t *testing.T) {
	ctx := context.Background()
	rogue, honest := newNamespace(t), newNamespace(t)
	huge := hugeRetentionPolicy(rogue, "huge")
	if err := k8s.Create(ctx, huge); err != nil {
		t.Fatalf("creating the 1.2 MB RetentionPolicy: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), huge) })
	newActivity(t, honest, "accounts", nil)

	// The honest namespace's activity is recorded, and the oversized policy by placeholder.
	waitChanges(t, honest, []privacyv1alpha1.RegisterChange{{Kind: "ProcessingActivity", Namespace: honest, Name: "accounts", Type: privacyv1alpha1.ChangeAdded}})
	revs := waitChanges(t, rogue, []privacyv1alpha1.RegisterChange{{Kind: "RetentionPolicy", Namespace: rogue, Name: "huge", Type: privacyv1alpha1.ChangeAdded}})
	latest := revs[len(revs)-1]
	if n := len(latest.Spec.Snapshot.Data); n > register.MaxSnapshotData {
		t.Fatalf("snapshot of %d bytes", n)
	}
	doc, err := register.FromRegisterRevision(&latest).Document()
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := doc.Lookup(register.Key{Kind: "ProcessingActivity", Namespace: honest, Name: "accounts"}); !ok || e.IsPlaceholder() {
		t.Errorf("the honest activity is not recorded in full: %v", e.Spec)
	}
	entry, ok := doc.Lookup(register.Key{Kind: "RetentionPolicy", Namespace: rogue, Name: "huge"})
	if !ok || !entry.IsPlaceholder() {
		t.Fatalf("the oversized policy is not recorded as a placeholder: %v", ok)
	}
	if got, _ := entry.Spec[register.ExcludedMember].(map[string]any)["reason"].(string); got != string(register.EntryTooLarge) {
		t.Errorf("placeholder reason %q", got)
	}

	// The offender hears why: a condition and a Warning event naming the limit.
	limit := fmt.Sprint(register.MaxEntrySize)
	eventually(t, 20*time.Second, "Registered=False on the oversized policy", func() (bool, error) {
		p := &privacyv1alpha1.RetentionPolicy{}
		if err := k8s.Get(ctx, key(huge), p); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(p.Status.Conditions, privacyv1alpha1.TypeRegistered)
		ok := c != nil && c.Status == metav1.ConditionFalse && c.Reason == privacyv1alpha1.ReasonTooLargeForRegister &&
			strings.Contains(c.Message, limit) && c.ObservedGeneration == p.Generation
		return ok, fmt.Errorf("Registered condition %+v", c)
	})
	eventually(t, 20*time.Second, "a TooLargeForRegister Warning event", func() (bool, error) {
		for _, e := range findEvents(t, rogue, "huge", privacyv1alpha1.ReasonTooLargeForRegister) {
			if e.Type == "Warning" && strings.Contains(e.Note, limit) {
				return true, nil
			}
		}
		return false, errors.New("no event yet")
	})
	// Everyone else is told nothing.
	pa := &privacyv1alpha1.ProcessingActivity{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: honest, Name: "accounts"}, pa); err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(pa.Status.Conditions, privacyv1alpha1.TypeRegistered); c != nil {
		t.Errorf("the honest activity carries %+v", c)
	}

	// Shrunk to a normal size, the policy is recorded in full and told so.
	eventually(t, 10*time.Second, "shrinking the policy", func() (bool, error) {
		if err := k8s.Get(ctx, key(huge), huge); err != nil {
			return false, err
		}
		huge.Spec.Rules = huge.Spec.Rules[:1]
		huge.Spec.Rules[0].Selector.MatchExpressions = huge.Spec.Rules[0].Selector.MatchExpressions[:1]
		huge.Spec.Rules[0].Selector.MatchExpressions[0].Values = huge.Spec.Rules[0].Selector.MatchExpressions[0].Values[:1]
		err := k8s.Update(ctx, huge)
		return err == nil, err
	})
	eventually(t, 30*time.Second, "Registered=True on the shrunk policy", func() (bool, error) {
		p := &privacyv1alpha1.RetentionPolicy{}
		if err := k8s.Get(ctx, key(huge), p); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(p.Status.Conditions, privacyv1alpha1.TypeRegistered)
		return c != nil && c.Status == metav1.ConditionTrue && c.Reason == privacyv1alpha1.ReasonRecorded, fmt.Errorf("Registered condition %+v", c)
	})
	revs = listRevisions(t, k8s)
	doc, err = register.FromRegisterRevision(&revs[len(revs)-1]).Document()
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := doc.Lookup(register.Key{Kind: "RetentionPolicy", Namespace: rogue, Name: "huge"}); !ok || e.IsPlaceholder() {
		t.Errorf("the shrunk policy is not recorded in full")
	}
}
