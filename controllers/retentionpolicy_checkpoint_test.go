package controllers

import (
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
)

// A worker that finished its share of a rule reports a batch without a rule of its own;
// the status must still name the rule the run is on (the API server refuses an empty one),
// and a run past its last rule has no checkpoint to show.
func TestStatusCheckpointNamesTheRunsRule(t *testing.T) {
	now := time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)
	got := statusCheckpoint(erasure.SweepCheckpoint{RunID: "run-1", RuleIndex: 1, Rule: "customers", LastKey: "workers:*,1280"}, now)
	if got == nil || got.Rule != "customers" || got.LastKey != "workers:*,1280" || got.RunID != "run-1" || !got.UpdatedAt.Time.Equal(now) {
		t.Errorf("statusCheckpoint = %+v", got)
	}
	if got := statusCheckpoint(erasure.SweepCheckpoint{RunID: "run-1", RuleIndex: 2, LastKey: "workers:,"}, now); got != nil {
		t.Errorf("a run past its last rule shows checkpoint %+v", got)
	}
}
