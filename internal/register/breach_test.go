package register

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func int64Ptr(n int64) *int64 { return &n }

func instant(s string) metav1.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return metav1.NewTime(t)
}

// fixtureBreaches are two breaches of the fixture's CRM: a leaked export notified late,
// and a lost laptop whose risk is assessed as None.
func fixtureBreaches() []v1alpha1.DataBreach {
	notified := instant("2026-03-31T14:00:00+02:00")
	subjects := instant("2026-04-01T09:00:00+02:00")
	return []v1alpha1.DataBreach{{
		ObjectMeta: meta("sales", "export-leak-2026-03"),
		Spec: v1alpha1.DataBreachSpec{
			DetectedAt: instant("2026-03-28T09:15:00+01:00"),
			AwareAt:    instant("2026-03-28T10:00:00+01:00"),
			Nature: v1alpha1.BreachNature{Types: []v1alpha1.BreachType{v1alpha1.BreachConfidentiality},
				Description: "A CRM export of customer contacts was sent to an external mailing list by mistake."},
			DataSubjects:       v1alpha1.BreachDataSubjects{Categories: []string{"customer contacts"}, ApproximateNumber: int64Ptr(1200)},
			PersonalData:       v1alpha1.BreachPersonalData{Categories: []string{"identity", "business email", "phone"}, ApproximateRecords: int64Ptr(1200)},
			LikelyConsequences: []string{"phishing emails impersonating Northwind"},
			Measures: &v1alpha1.BreachMeasures{Taken: []string{"the recipients were asked to delete the file", "exports need a second approval"},
				Proposed: []string{"DLP rule on outgoing attachments"}},
			ProcessingActivityRefs: []v1alpha1.LocalObjectReference{ref("customer-accounts")},
			DatabaseRefs:           []v1alpha1.LocalObjectReference{ref("crm")},
			ContactSelector: &v1alpha1.ContactSelector{MatchExpressions: []v1alpha1.FieldRequirement{
				{Field: "lifecycleStage", Operator: v1alpha1.SelectorOpIn, Values: []string{"customer"}}}},
			RiskAssessment: v1alpha1.BreachRiskAssessment{Level: v1alpha1.RiskHigh,
				Reasoning: "Contact details of identifiable people reached unknown recipients; phishing is likely.", AssessedBy: "DPO"},
			Notifications: &v1alpha1.BreachNotifications{
				Authority: &v1alpha1.AuthorityNotification{NotifiedAt: &notified, AuthorityName: "HmbBfDI", CaseNumber: "HH-2026-0412",
					LateNotificationReason: "the scope of the export was only established on 31 March"},
				DataSubjects: &v1alpha1.DataSubjectNotification{NotifiedAt: &subjects, Method: "email to each contact"},
			},
			NotifyList: &v1alpha1.BreachNotifyList{Export: true},
		},
	}, {
		ObjectMeta: meta("sales", "laptop-2026-05"),
		Spec: v1alpha1.DataBreachSpec{
			DetectedAt:         instant("2026-05-04T08:00:00Z"),
			AwareAt:            instant("2026-05-04T08:30:00Z"),
			Nature:             v1alpha1.BreachNature{Types: []v1alpha1.BreachType{v1alpha1.BreachAvailability, v1alpha1.BreachConfidentiality}, Description: "A sales laptop was stolen from a car."},
			DataSubjects:       v1alpha1.BreachDataSubjects{Categories: []string{"B2B prospects"}},
			PersonalData:       v1alpha1.BreachPersonalData{Categories: []string{"business contact details"}},
			LikelyConsequences: []string{"none expected: the disk is encrypted"},
			Measures:           &v1alpha1.BreachMeasures{Taken: []string{"the laptop's certificates were revoked"}},
			RiskAssessment:     v1alpha1.BreachRiskAssessment{Level: v1alpha1.RiskNone, Reasoning: "Full-disk encryption with a key that was not compromised."},
		},
	}}
}

func breachFixture(t *testing.T) (*Document, RevisionInfo) {
	t.Helper()
	objs := fixtureObjects()
	objs.DataBreaches = fixtureBreaches()
	doc, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := Hash(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, RevisionInfo{Number: 8, CreatedAt: fixtureCreatedAt, SourceRevision: SourceRevision(doc, nil), ContentHash: hash}
}

// TestBreachExportGolden: the breaches have a section of their own in every format.
func TestBreachExportGolden(t *testing.T) {
	doc, rev := breachFixture(t)
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var got bytes.Buffer
			if err := Export(&got, doc, rev, format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "register-breaches."+format+".golden")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/register/ -run TestBreachExportGolden -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("%s export differs from %s (-want +got); if the change is intended, rerun with -update:\n%s", format, path, diff)
			}
			for _, s := range []string{"export-leak-2026-03", "laptop-2026-05", "HH-2026-0412", "2026-03-31T09:00:00Z"} {
				if format == FormatJSON && s == "2026-03-31T09:00:00Z" {
					continue // the deadline is derived; the JSON export is the canonical spec
				}
				if !strings.Contains(got.String(), s) {
					t.Errorf("%s export lacks %q", format, s)
				}
			}
		})
	}
}

// TestBreachRecord checks the worded record of the late-notified breach.
func TestBreachRecord(t *testing.T) {
	doc, rev := breachFixture(t)
	rec := BuildRecord(doc, rev)
	if len(rec.Breaches) != 2 {
		t.Fatalf("got %d breaches, want 2", len(rec.Breaches))
	}
	got := rec.Breaches[0]
	want := BreachRecord{
		Namespace: "sales", Name: "export-leak-2026-03",
		DetectedAt: "2026-03-28T08:15:00Z", AwareAt: "2026-03-28T09:00:00Z",
		AuthorityDeadline:    "2026-03-31T09:00:00Z",
		Nature:               "Confidentiality: A CRM export of customer contacts was sent to an external mailing list by mistake.",
		DataSubjects:         "customer contacts (about 1200 people)",
		PersonalData:         "identity, business email, phone (about 1200 records)",
		Consequences:         []string{"phishing emails impersonating Northwind"},
		MeasuresTaken:        []string{"the recipients were asked to delete the file", "exports need a second approval"},
		MeasuresProposed:     []string{"DLP rule on outgoing attachments"},
		Activities:           []string{"customer-accounts"},
		Databases:            []string{"crm"},
		AffectedScope:        "lifecycleStage in (customer)",
		Risk:                 "HighRisk: Contact details of identifiable people reached unknown recipients; phishing is likely. (assessed by: DPO)",
		Authority:            "notified HmbBfDI at 2026-03-31T12:00:00Z, case number HH-2026-0412; late (deadline 2026-03-31T09:00:00Z): the scope of the export was only established on 31 March",
		DataSubjectsNotified: "notified at 2026-04-01T07:00:00Z, email to each contact",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("breach record (-want +got):\n%s", diff)
	}
	if r := rec.Breaches[1]; r.Authority != "not required: risk assessed as None (Art. 33(1))" || r.AffectedScope != "" || !strings.HasPrefix(r.Risk, "None: ") {
		t.Errorf("risk-None breach: authority %q scope %q risk %q", r.Authority, r.AffectedScope, r.Risk)
	}
}

// TestBreachNotifyListNotInRegister: asking for a notify list is operational; it changes
// neither the register nor its hash.
func TestBreachNotifyListNotInRegister(t *testing.T) {
	objs := Objects{DataBreaches: fixtureBreaches()}
	a, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	objs.DataBreaches[0].Spec.NotifyList = &v1alpha1.BreachNotifyList{Export: false}
	b, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	ha, _ := Hash(a)
	hb, _ := Hash(b)
	if ha != hb {
		t.Errorf("the notify list request changed the register hash")
	}
	e, _ := a.Lookup(Key{Kind: KindDataBreach, Namespace: "sales", Name: "export-leak-2026-03"})
	if _, ok := e.Spec["notifyList"]; ok {
		t.Errorf("the register entry holds notifyList")
	}
}

// TestBreachDiffAndChain: recording the authority's notification is a Modified change of
// the breach in the next revision, whose chain verifies; editing the breach in the stored
// snapshot breaks the content hash.
func TestBreachDiffAndChain(t *testing.T) {
	objs := fixtureObjects()
	breaches := fixtureBreaches()
	breaches[0].Spec.Notifications = nil
	objs.DataBreaches = breaches[:1]
	doc1, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	rev1, _, err := Next(nil, doc1, fixtureCreatedAt, "")
	if err != nil {
		t.Fatal(err)
	}
	objs.DataBreaches = fixtureBreaches()
	doc2, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	rev2, created, err := Next(&rev1, doc2, fixtureCreatedAt.Add(time.Hour), "")
	if err != nil || !created {
		t.Fatalf("Next: created=%v err=%v", created, err)
	}
	want := []Change{
		{Kind: KindDataBreach, Namespace: "sales", Name: "export-leak-2026-03", Type: Modified, Fields: []string{"spec.notifications"}},
		{Kind: KindDataBreach, Namespace: "sales", Name: "laptop-2026-05", Type: Added},
	}
	if diff := cmp.Diff(want, rev2.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if rev2.PreviousHash != rev1.ChainHash() {
		t.Errorf("revision 2 does not chain to revision 1")
	}
	if problems := Verify([]Revision{rev1, rev2}); len(problems) != 0 {
		t.Errorf("Verify: %v", problems)
	}
	// A breach's notification edited in the stored snapshot is caught.
	tampered := rev2
	_, raw, err := decodeForTest(t, rev2)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(raw, "HH-2026-0412", "HH-2026-9999", 1)
	if edited == raw {
		t.Fatal("the snapshot does not hold the notification reference")
	}
	tampered.Encoding, tampered.Data = EncodeBytes([]byte(edited))
	problems := Verify([]Revision{rev1, tampered})
	if len(problems) == 0 || problems[0].Reason != ContentHashMismatch {
		t.Errorf("Verify of an edited breach: %v, want ContentHashMismatch", problems)
	}
	// No change, no revision.
	if _, created, _ := Next(&rev2, doc2, fixtureCreatedAt.Add(2*time.Hour), ""); created {
		t.Errorf("an unchanged register made a new revision")
	}
}

// decodeForTest returns the canonical JSON of a revision's snapshot.
func decodeForTest(t *testing.T, r Revision) (*Document, string, error) {
	t.Helper()
	doc, err := Decode(r.Encoding, r.Data)
	if err != nil {
		return nil, "", err
	}
	canonical, err := Canonical(doc)
	return doc, string(canonical), err
}

// TestBreachCSVTables: the CSV holds the activities' table, an empty line, then the
// breaches' table with its own header; each table is rectangular.
func TestBreachCSVTables(t *testing.T) {
	doc, rev := breachFixture(t)
	var out bytes.Buffer
	if err := Export(&out, doc, rev, FormatCSV); err != nil {
		t.Fatal(err)
	}
	tables := strings.Split(out.String(), "\r\n\r\n")
	if len(tables) != 2 {
		t.Fatalf("got %d CSV tables, want 2", len(tables))
	}
	records, err := csv.NewReader(strings.NewReader(tables[1])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 || records[0][0] != "Breach namespace" || records[1][1] != "export-leak-2026-03" {
		t.Errorf("breach table: %v", records)
	}
	if _, err := csv.NewReader(strings.NewReader(tables[0])).ReadAll(); err != nil {
		t.Errorf("activity table: %v", err)
	}
}
