package register

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// A status change, a new resourceVersion, labels or a new source revision must not change the
// document; a spec change must.
func TestFromObjectsReadsSpecsOnly(t *testing.T) {
	base, err := FromObjects(fixtureObjects())
	if err != nil {
		t.Fatal(err)
	}
	baseHash, err := Hash(base)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(o *Objects)
		same   bool
	}{
		{"nothing", func(o *Objects) {}, true},
		{"status and metadata", func(o *Objects) {
			pa := &o.ProcessingActivities[0]
			pa.Status.ObservedGeneration = 99
			pa.Status.Findings = append(pa.Status.Findings, v1alpha1.Finding{Code: "X", Severity: v1alpha1.SeverityInfo, Message: "m"})
			pa.ResourceVersion = "12345"
			pa.Generation = 8
			pa.Labels = map[string]string{"team": "growth"}
			pa.Annotations[v1alpha1.AnnotationSourceRevision] = "another-commit"
			o.LegitimateInterestAssessments[0].Status.Phase = v1alpha1.PhaseExpired
			o.RetentionPolicies[0].Status.Pending = func() *int64 { n := int64(5); return &n }()
		}, true},
		{"objects listed in another order", func(o *Objects) {
			o.ProcessingActivities[0], o.ProcessingActivities[2] = o.ProcessingActivities[2], o.ProcessingActivities[0]
		}, true},
		{"operational retention settings", func(o *Objects) {
			rp := &o.RetentionPolicies[0].Spec
			rp.Schedule = "0 4 * * *"
			rp.TimeZone = "UTC"
			rp.BatchSize = func() *int32 { n := int32(50); return &n }()
			rp.Approval = nil
		}, true},
		{"member password Secret and reclaim policy", func(o *Objects) {
			ar := &o.AccessRoles[0].Spec
			ar.Members[0].PasswordSecretRef = &v1alpha1.SecretKeySelector{Name: "rotated", Key: "pw"}
			ar.ReclaimPolicy = v1alpha1.ReclaimDelete
		}, true},
		{"database connection", func(o *Objects) {
			o.CRMDatabases[0].Spec.Connection.SecretRef.Name = "crm-db-v2"
			o.CRMDatabases[0].Spec.Mapping.Fields[0].Column = "role"
		}, true},
		{"a purpose", func(o *Objects) { o.ProcessingActivities[1].Spec.Purposes[0] = "Prospecting" }, false},
		{"a processor's contract", func(o *Objects) {
			o.ProcessingActivities[1].Spec.Processors[0].Contract.ExpiresAt = timePtr(date(2029, 1, 1))
		}, false},
		{"an LIA's review date", func(o *Objects) {
			o.LegitimateInterestAssessments[0].Spec.Decision.ReviewBy = date(2027, 1, 1)
		}, false},
		{"a retention term", func(o *Objects) { o.RetentionPolicies[0].Spec.Rules[0].RetainFor = "36m" }, false},
		{"a retention mode", func(o *Objects) { o.RetentionPolicies[1].Spec.Mode = v1alpha1.ModeEnforce }, false},
		{"a member's designation", func(o *Objects) {
			o.AccessRoles[0].Spec.Members[1].Designation = o.AccessRoles[0].Spec.Members[0].Designation
		}, false},
		{"a restricted field", func(o *Objects) {
			o.CRMDatabases[0].Spec.Mapping.RestrictedFields = o.CRMDatabases[0].Spec.Mapping.RestrictedFields[:1]
		}, false},
		{"the erasure ledger", func(o *Objects) { o.CRMDatabases[0].Spec.Ledger.Enabled = boolPtr(false) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := fixtureObjects()
			tt.change(&objs)
			doc, err := FromObjects(objs)
			if err != nil {
				t.Fatal(err)
			}
			hash, err := Hash(doc)
			if err != nil {
				t.Fatal(err)
			}
			if (hash == baseHash) != tt.same {
				t.Errorf("same hash = %v, want %v; changes: %v", hash == baseHash, tt.same, Diff(base, doc))
			}
		})
	}
}

func TestFromObjectsDiffPaths(t *testing.T) {
	objs := fixtureObjects()
	before, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	objs.ProcessingActivities[1].Spec.Purposes = append(objs.ProcessingActivities[1].Spec.Purposes, "Upselling")
	objs.ProcessingActivities[0].Spec.Processors[1].Contract.ExpiresAt = timePtr(date(2029, 2, 28))
	objs.LegitimateInterestAssessments[0].Spec.Decision.ReviewBy = date(2027, 1, 1)
	after, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Kind: KindLegitimateInterestAssessment, Namespace: "sales", Name: "b2b-prospecting", Type: Modified, Fields: []string{"spec.decision.reviewBy"}},
		{Kind: KindProcessingActivity, Namespace: "marketing", Name: "newsletter", Type: Modified, Fields: []string{"spec.processors[1].contract.expiresAt"}},
		{Kind: KindProcessingActivity, Namespace: "sales", Name: "b2b-prospecting", Type: Modified, Fields: []string{"spec.purposes"}},
	}
	if diff := cmp.Diff(want, Diff(before, after)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
}

func TestSourceRevisionFromAnnotation(t *testing.T) {
	objs := fixtureObjects()
	objs.ProcessingActivities[1].Annotations[v1alpha1.AnnotationSourceRevision] = "c0ffee"
	objs.ProcessingActivities[1].Spec.Purposes = []string{"changed"}
	before, err := FromObjects(fixtureObjects())
	if err != nil {
		t.Fatal(err)
	}
	after, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	if got := SourceRevision(after, Diff(before, after)); got != "c0ffee" {
		t.Errorf("SourceRevision = %q, want the changed object's c0ffee", got)
	}
}

// Revisions go to the API and come back unchanged, and VerifyRegisterRevisions checks them.
func TestRegisterRevisionRoundTrip(t *testing.T) {
	revs := history(t)
	var stored []v1alpha1.RegisterRevision
	for _, r := range revs {
		obj := v1alpha1.RegisterRevision{ObjectMeta: metav1.ObjectMeta{Name: RevisionObjectName(r.Number)}, Spec: r.RegisterRevisionSpec()}
		// Through JSON, as the API server stores it.
		raw, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		var back v1alpha1.RegisterRevision
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, FromRegisterRevision(&back)); diff != "" {
			t.Errorf("revision %d after a round trip (-want +got):\n%s", r.Number, diff)
		}
		stored = append(stored, back)
	}
	if got := stored[1].Name; got != "register-000002" {
		t.Errorf("object name %q, want register-000002", got)
	}
	if problems := VerifyRegisterRevisions(stored); len(problems) != 0 {
		t.Errorf("VerifyRegisterRevisions on an intact history: %v", problems)
	}
	stored[0].Spec.Snapshot.Data = strings.Replace(stored[0].Spec.Snapshot.Data, "newsletter", "newsletters", 1)
	problems := VerifyRegisterRevisions(stored)
	if len(problems) == 0 || problems[0].Revision != 1 || problems[0].Reason != ContentHashMismatch {
		t.Errorf("VerifyRegisterRevisions after editing snapshot 1: %v, want ContentHashMismatch on revision 1", problems)
	}
}

func TestBoundsMatchTheAPI(t *testing.T) {
	if MaxChanges != v1alpha1.MaxChanges {
		t.Errorf("MaxChanges = %d, the API allows %d", MaxChanges, v1alpha1.MaxChanges)
	}
	if EncodingJSON != string(v1alpha1.EncodingJSON) || EncodingGzipBase64 != string(v1alpha1.EncodingGzipBase64) {
		t.Errorf("snapshot encodings differ from the API's")
	}
	for _, c := range []struct{ ours, api string }{
		{string(Added), string(v1alpha1.ChangeAdded)},
		{string(Modified), string(v1alpha1.ChangeModified)},
		{string(Removed), string(v1alpha1.ChangeRemoved)},
	} {
		if c.ours != c.api {
			t.Errorf("change type %q, the API says %q", c.ours, c.api)
		}
	}
}

// filler sets every field of a value to something distinct: strings to markers ("mk12x"),
// numbers to distinct values, booleans to true, times to distinct dates, pointers and
// slices to one element. Enum fields get markers too: the exports must print unknown values
// as they are rather than drop them.
type filler struct{ n int }

var metaTimeType = reflect.TypeOf(metav1.Time{})

func (f *filler) fill(v reflect.Value) {
	f.n++
	if v.Type() == metaTimeType {
		v.Set(reflect.ValueOf(metav1.NewTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, f.n))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("mk%dx", f.n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(int64(70000 + f.n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		f.fill(v.Index(0))
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	default:
		panic(fmt.Sprintf("filler: no rule for %s", v.Type()))
	}
}

// leaves returns the string and number values of a JSON tree.
func leaves(v any, out []string) []string {
	switch v := v.(type) {
	case string:
		return append(out, v)
	case json.Number:
		return append(out, v.String())
	case []any:
		for _, x := range v {
			out = leaves(x, out)
		}
	case map[string]any:
		for _, x := range v {
			out = leaves(x, out)
		}
	}
	return out
}

// Every value that enters the register reaches the Markdown and HTML exports: with every
// field of every kind filled in, each string and number of the document appears in them.
// A field added to the API later lands in "Other details" and keeps this test green; a
// field the layout reads but forgets to print fails it.
func TestExportDropsNothing(t *testing.T) {
	var objs Objects
	f := &filler{}
	for _, target := range []any{
		&objs.ProcessingActivities, &objs.LegitimateInterestAssessments, &objs.RetentionPolicies, &objs.AccessRoles, &objs.CRMDatabases,
	} {
		list := reflect.ValueOf(target).Elem()
		list.Set(reflect.MakeSlice(list.Type(), 1, 1))
		item := list.Index(0)
		f.fill(item.FieldByName("Spec"))
		item.FieldByName("ObjectMeta").Set(reflect.ValueOf(metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("obj-%d", f.n)}))
	}
	doc, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	rev := RevisionInfo{Number: 1, CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, format := range []string{FormatMarkdown, FormatHTML} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			if err := Export(&out, doc, rev, format); err != nil {
				t.Fatal(err)
			}
			for _, e := range doc.Entries {
				for _, leaf := range leaves(e.Spec, nil) {
					if !strings.Contains(out.String(), day(leaf)) {
						t.Errorf("%s: value %q of %s is missing from the %s export", e.Key(), leaf, e.Kind, format)
					}
				}
			}
		})
	}
	rec := BuildRecord(doc, rev)
	for _, a := range rec.Activities {
		if len(a.Other) != 0 {
			t.Errorf("activity fields without a place in the Art. 30 layout: %v", a.Other)
		}
	}
	for _, a := range rec.Assessments {
		if len(a.Other) != 0 {
			t.Errorf("LIA fields without a place in the register of assessments: %v", a.Other)
		}
	}
	for _, r := range rec.Retention {
		if len(r.Other) != 0 {
			t.Errorf("retention fields without a place: %v", r.Other)
		}
	}
	for _, r := range rec.AccessRoles {
		if len(r.Other) != 0 {
			t.Errorf("access role fields without a place: %v", r.Other)
		}
	}
}
