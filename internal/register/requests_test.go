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

func summaryRequest(ns, name string, typ v1alpha1.DataSubjectRequestType, received string, phase v1alpha1.DataSubjectRequestPhase, onTime *bool) v1alpha1.DataSubjectRequest {
	at, _ := time.Parse(time.RFC3339, received)
	t := metav1.NewTime(at)
	q := v1alpha1.DataSubjectRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	q.Spec.Type = typ
	q.Spec.IdentitySecretRef.Name = "jane-doe-identity"
	q.Status.ReceivedAt, q.Status.Phase, q.Status.OnTime = &t, phase, onTime
	q.Status.IdentityHash = strings.Repeat("ab", 32)
	return q
}

func TestRequestSummaries(t *testing.T) {
	yes, no := true, false
	reqs := []v1alpha1.DataSubjectRequest{
		summaryRequest("sales", "a", v1alpha1.RequestErasure, "2026-11-03T10:00:00Z", v1alpha1.RequestCompleted, &yes),
		summaryRequest("sales", "b", v1alpha1.RequestErasure, "2026-11-30T23:59:59Z", v1alpha1.RequestCompleted, &no),
		summaryRequest("sales", "c", v1alpha1.RequestErasure, "2026-11-15T00:00:00Z", v1alpha1.RequestPending, nil),
		summaryRequest("sales", "d", v1alpha1.RequestObjection, "2026-12-01T00:00:00Z", v1alpha1.RequestCompleted, &yes),
		summaryRequest("support", "e", v1alpha1.RequestAccess, "2026-12-01T00:30:00+02:00", v1alpha1.RequestAwaitingApproval, nil),
	}
	got := RequestSummaries(reqs)
	want := map[string][]RequestCounts{
		"sales": {
			{Month: "2026-11", Type: "Erasure", Received: 3, CompletedOnTime: 1, CompletedLate: 1, Open: 1},
			{Month: "2026-12", Type: "Objection", Received: 1, CompletedOnTime: 1},
		},
		// Received at 2026-11-30T22:30Z: months are counted in UTC.
		"support": {{Month: "2026-11", Type: "Access", Received: 1, Open: 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summaries (-want +got):\n%s", diff)
	}

	doc, err := FromObjects(Objects{DataSubjectRequests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	canon, err := Canonical(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"jane", "abab", `"a"`, "identity"} {
		if bytes.Contains(canon, []byte(leak)) {
			t.Errorf("the register holds %q of a request: %s", leak, canon)
		}
	}
	var md bytes.Buffer
	if err := Export(&md, doc, RevisionInfo{Number: 3}, "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "2026-11 Erasure: 3 received, 1 completed on time, 1 completed late, 1 open") {
		t.Errorf("the Markdown export lacks the request counts:\n%s", md.String())
	}

	// A register without requests has no request entry and no request chapter.
	empty, err := FromObjects(Objects{})
	if err != nil {
		t.Fatal(err)
	}
	md.Reset()
	if err := Export(&md, empty, RevisionInfo{Number: 1}, "markdown"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "Data-subject requests") || len(empty.OfKind(KindRequestSummary)) != 0 {
		t.Errorf("an empty register shows a request chapter")
	}
}
