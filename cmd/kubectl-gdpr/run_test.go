package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// runNow is the fixed clock of the run tests.
var runNow = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func runTestPolicy(answer *privacyv1alpha1.RunRequestStatus, history ...privacyv1alpha1.RunRecord) *privacyv1alpha1.RetentionPolicy {
	p := &privacyv1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "prospects"}}
	p.Spec.Mode = privacyv1alpha1.ModeEnforce
	p.Status.LastRunRequest = answer
	p.Status.History = history
	return p
}

func TestRunSetsTheAnnotationOnly(t *testing.T) {
	ctx := context.Background()
	p := runTestPolicy(nil)
	p.Annotations = map[string]string{"keep": "me"}
	c := fakePluginClient(t, p)
	var out bytes.Buffer
	if err := runPolicy(ctx, c, &out, "sales", "prospects", &runOptions{now: func() time.Time { return runNow }}); err != nil {
		t.Fatal(err)
	}
	got := &privacyv1alpha1.RetentionPolicy{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(p), got); err != nil {
		t.Fatal(err)
	}
	if v := got.Annotations[privacyv1alpha1.AnnotationRunRequestedAt]; v != "2026-12-02T10:00:00Z" {
		t.Errorf("annotation = %q, want the request time", v)
	}
	if got.Annotations["keep"] != "me" || got.Spec.Mode != privacyv1alpha1.ModeEnforce {
		t.Errorf("the patch changed more than the annotation: %+v %+v", got.Annotations, got.Spec)
	}
	if !strings.Contains(out.String(), "run requested at 2026-12-02T10:00:00Z (mode Enforce)") {
		t.Errorf("output: %s", out.String())
	}
}

func TestRunWaitPrintsTheOutcome(t *testing.T) {
	requested := "2026-12-02T10:00:00Z"
	finished := metav1.NewTime(runNow.Add(time.Minute))
	tests := []struct {
		name     string
		answer   privacyv1alpha1.RunRequestStatus
		history  []privacyv1alpha1.RunRecord
		want     []string
		wantExit string // "", "findings" or "error"
	}{
		{name: "succeeded",
			answer: privacyv1alpha1.RunRequestStatus{RequestedAt: requested, Result: privacyv1alpha1.RunRequestStarted, RunID: "r1", Message: "run r1 started"},
			history: []privacyv1alpha1.RunRecord{{RunID: "r1", Mode: privacyv1alpha1.ModeEnforce, Trigger: privacyv1alpha1.TriggerManual,
				Result: privacyv1alpha1.RunSucceeded, FinishedAt: &finished, Planned: 3, Erased: 2, Anonymized: 1, Held: 1}},
			want: []string{"answered: Started (run r1)", "run r1 (Enforce, Manual): Succeeded", "planned 3, erased 2, anonymised 1, held 1"}},
		{name: "dry run",
			answer: privacyv1alpha1.RunRequestStatus{RequestedAt: requested, Result: privacyv1alpha1.RunRequestDryRun, RunID: "d1", Message: "dry run d1"},
			history: []privacyv1alpha1.RunRecord{{RunID: "d1", Mode: privacyv1alpha1.ModeDryRun, Trigger: privacyv1alpha1.TriggerManual,
				Result: privacyv1alpha1.RunDryRun, FinishedAt: &finished, Planned: 5}},
			want: []string{"run d1 (DryRun, Manual): DryRun", "planned 5, erased 0"}},
		{name: "awaiting approval",
			answer:   privacyv1alpha1.RunRequestStatus{RequestedAt: requested, Result: privacyv1alpha1.RunRequestAwaitingApproval, RunID: "a1", Message: "over budget"},
			want:     []string{"answered: AwaitingApproval (run a1): over budget"},
			wantExit: "findings"},
		{name: "refused",
			answer:   privacyv1alpha1.RunRequestStatus{RequestedAt: requested, Result: privacyv1alpha1.RunRequestRefused, Message: "the policy is suspended"},
			want:     []string{"answered: Refused: the policy is suspended"},
			wantExit: "error"},
		{name: "limit reached",
			answer:   privacyv1alpha1.RunRequestStatus{RequestedAt: requested, Result: privacyv1alpha1.RunRequestInProgress, RunID: "r0"},
			history:  []privacyv1alpha1.RunRecord{{RunID: "r0", Mode: privacyv1alpha1.ModeEnforce, Result: privacyv1alpha1.RunLimitReached, FinishedAt: &finished}},
			want:     []string{"run r0 (Enforce, Schedule): LimitReached"},
			wantExit: "findings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakePluginClient(t, runTestPolicy(&tt.answer, tt.history...))
			var out bytes.Buffer
			err := runPolicy(context.Background(), c, &out, "sales", "prospects", &runOptions{wait: true, timeout: time.Second, now: func() time.Time { return runNow }})
			for _, s := range tt.want {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
			var fe *findingsError
			switch tt.wantExit {
			case "":
				if err != nil {
					t.Errorf("err = %v, want none", err)
				}
			case "findings":
				if !errors.As(err, &fe) {
					t.Errorf("err = %v, want a findings error (exit 2)", err)
				}
			case "error":
				if err == nil || errors.As(err, &fe) {
					t.Errorf("err = %v, want an error (exit 1)", err)
				}
			}
		})
	}
}

func TestRunWaitTimesOutWhenNobodyAnswers(t *testing.T) {
	defer func(d time.Duration) { annotationPollInterval = d }(annotationPollInterval)
	annotationPollInterval = 10 * time.Millisecond
	// The status answers an older request: this one stays unanswered.
	old := &privacyv1alpha1.RunRequestStatus{RequestedAt: "2026-12-01T10:00:00Z", Result: privacyv1alpha1.RunRequestStarted, RunID: "r0"}
	c := fakePluginClient(t, runTestPolicy(old))
	err := runPolicy(context.Background(), c, &bytes.Buffer{}, "sales", "prospects", &runOptions{wait: true, timeout: 50 * time.Millisecond, now: func() time.Time { return runNow }})
	if !errors.Is(err, errWaitTimedOut) {
		t.Errorf("err = %v, want a timeout", err)
	}
}
