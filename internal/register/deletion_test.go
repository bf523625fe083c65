package register

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// deletedAccessRole is the fixture with its first AccessRole let go by skip-cleanup.
func deletedAccessRole() (Objects, *v1alpha1.AccessRole) {
	objs := fixtureObjects()
	ar := &objs.AccessRoles[0]
	ar.Status.Deletion = &v1alpha1.AccessRoleDeletion{Cleanup: v1alpha1.CleanupSkipped, LoginsLocked: 2, SessionsEnded: 1,
		At: metav1.NewTime(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))}
	return objs, ar
}

// The deletion of an AccessRole that leaves its role in the database enters the register as
// a change of the AccessRole's entry, and the exports say what was left.
func TestAccessRoleDeletionIsRecorded(t *testing.T) {
	before, err := FromObjects(fixtureObjects())
	if err != nil {
		t.Fatal(err)
	}
	objs, ar := deletedAccessRole()
	after, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{Kind: KindAccessRole, Namespace: ar.Namespace, Name: ar.Name, Type: Modified, Fields: []string{"spec.deletion"}}}
	if diff := cmp.Diff(want, Diff(before, after)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	rev := RevisionInfo{Number: 3, CreatedAt: fixtureCreatedAt}
	for _, format := range []string{FormatMarkdown, FormatHTML} {
		var out bytes.Buffer
		if err := Export(&out, after, rev, format); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"Deletion", "deleted on 2026-03-04", "role and grants left in the database as they were (cleanup skipped)", "2 login(s) locked, 1 session(s) ended"} {
			if !strings.Contains(out.String(), s) {
				t.Errorf("the %s export does not say %q", format, s)
			}
		}
	}
	rec := BuildRecord(after, rev)
	for _, r := range rec.AccessRoles {
		if len(r.Other) != 0 {
			t.Errorf("deletion fields without a place: %v", r.Other)
		}
	}
	ar.Status.Deletion.LoginsNotLocked = "the CRMDatabase is gone"
	doc, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	if got := BuildRecord(doc, rev).AccessRoles[0].Deletion; !strings.Contains(got, "LOGINS NOT LOCKED: the CRMDatabase is gone") {
		t.Errorf("deletion %q does not say the logins were not locked", got)
	}
}

func TestAccessRoleDeletionRecorded(t *testing.T) {
	objs, ar := deletedAccessRole()
	with, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	without, err := FromObjects(fixtureObjects())
	if err != nil {
		t.Fatal(err)
	}
	other := ar.DeepCopy()
	other.Status.Deletion.Cleanup = v1alpha1.CleanupRoleRetained
	// The register records the object by placeholder: its hash must be the one of the
	// entry carrying the deletion.
	placeholder := func(d *Document, spec map[string]any) *Document {
		out := &Document{Entries: append([]Entry(nil), d.Entries...)}
		for i, e := range out.Entries {
			if e.Key() == (Key{Kind: KindAccessRole, Namespace: ar.Namespace, Name: ar.Name}) {
				b, err := CanonicalValue(spec)
				if err != nil {
					t.Fatal(err)
				}
				out.Entries[i].Spec = placeholderSpec(EntryTooLarge, len(b), HashBytes(b))
			}
		}
		return out
	}
	entryOf := func(d *Document) map[string]any {
		e, _ := d.Lookup(Key{Kind: KindAccessRole, Namespace: ar.Namespace, Name: ar.Name})
		return e.Spec
	}
	notDeleted := ar.DeepCopy()
	notDeleted.Status.Deletion = nil
	tests := []struct {
		name string
		doc  *Document
		ar   *v1alpha1.AccessRole
		want bool
	}{
		{"recorded", with, ar, true},
		{"revision before the deletion", without, ar, false},
		{"another outcome", with, other, false},
		{"no deletion in the status", with, notDeleted, false},
		{"empty register", &Document{}, ar, false},
		{"placeholder of the deleted object", placeholder(with, entryOf(with)), ar, true},
		{"placeholder of the object before its deletion", placeholder(without, entryOf(without)), ar, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AccessRoleDeletionRecorded(tt.doc, tt.ar)
			if err != nil || got != tt.want {
				t.Errorf("AccessRoleDeletionRecorded = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
