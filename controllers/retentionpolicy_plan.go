package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/retention"
)

// defaultBatchSize is the batch size when the policy sets none (the API's default).
const defaultBatchSize = 500

// policySettings are the parsed, validated parts of a RetentionPolicy spec.
type policySettings struct {
	schedule *retention.Schedule
	terms    []retention.Term
	budget   retention.Budget
	approval *retention.Approval
}

// parsePolicy checks what the API server cannot: the cron expression, the time zone and the
// terms. The error names the field to fix.
func parsePolicy(p *privacyv1alpha1.RetentionPolicy) (policySettings, error) {
	var s policySettings
	var err error
	if s.schedule, err = retention.ParseSchedule(p.Spec.Schedule, p.Spec.TimeZone); err != nil {
		return s, condErr(privacyv1alpha1.ReasonInvalidSchedule, "spec.schedule/spec.timeZone: %v", err)
	}
	minimize := -1 // the first minimize rule
	for i, r := range p.Spec.Rules {
		if isMinimize(r) {
			// The API server refuses these too; a policy stored by hand or through an older
			// CRD must not turn into "anonymise everyone now".
			switch {
			case r.RetainFor != "":
				return s, condErr(privacyv1alpha1.ReasonInvalidSpec, "spec.rules[%d] (%s): a minimize rule has no retainFor", i, r.Name)
			case r.Action != privacyv1alpha1.ActionAnonymize:
				return s, condErr(privacyv1alpha1.ReasonInvalidSpec, "spec.rules[%d] (%s): a minimize rule needs action Anonymize", i, r.Name)
			}
			if minimize < 0 {
				minimize = i
			}
			s.terms = append(s.terms, retention.Term{})
			continue
		}
		if minimize >= 0 {
			return s, condErr(privacyv1alpha1.ReasonInvalidSpec, "spec.rules[%d] (%s) comes after the minimize rule spec.rules[%d]: put minimize rules last", i, r.Name, minimize)
		}
		t, err := retention.ParseTerm(string(r.RetainFor))
		if err != nil {
			return s, condErr(privacyv1alpha1.ReasonInvalidSpec, "spec.rules[%d] (%s).retainFor: %v", i, r.Name, err)
		}
		s.terms = append(s.terms, t)
	}
	s.budget = retention.Budget{MaxDeletionPercent: retention.DefaultMaxDeletionPercent}
	if b := p.Spec.Budget; b != nil {
		if b.MaxDeletionPercent != nil {
			s.budget.MaxDeletionPercent = int(*b.MaxDeletionPercent)
		}
		if b.MaxDeletionsPerRun != nil {
			s.budget.MaxDeletionsPerRun = *b.MaxDeletionsPerRun
		}
	}
	if a := p.Spec.Approval; a != nil {
		s.approval = &retention.Approval{RunID: a.RunID, SpecHash: a.SpecHash, MaxDeletions: a.MaxDeletions}
	}
	return s, nil
}

// retentionPlan converts the rules and holds into the CRM layer's plan, with cutoffs seen
// from now.
func retentionPlan(p *privacyv1alpha1.RetentionPolicy, s policySettings, now time.Time) erasure.RetentionPlan {
	plan := erasure.RetentionPlan{}
	for i, r := range p.Spec.Rules {
		rule := erasure.RetentionRule{
			Name:         string(r.Name),
			Selector:     toSelector(r.Selector),
			SinceCreated: r.Since == privacyv1alpha1.SinceCreated,
			Action:       string(r.Action),
		}
		if isMinimize(r) {
			rule.Minimize = true // no term, no cutoff: every contact the selector matches
		} else {
			rule.Cutoff = s.terms[i].Cutoff(now)
		}
		if rb := r.RenewedBy; rb != nil {
			rule.RenewKinds = append([]string(nil), rb.Kinds...)
			rule.RenewDirection = string(rb.Direction)
		}
		for _, f := range r.Anonymize {
			rule.Anonymize = append(rule.Anonymize, erasure.AnonymizeField{Field: string(f.Field), Strategy: erasure.Strategy(f.Strategy)})
		}
		plan.Rules = append(plan.Rules, rule)
	}
	for _, h := range p.Spec.LegalHolds {
		plan.Holds = append(plan.Holds, toSelector(&h.Selector))
	}
	return plan
}

// isMinimize says whether the rule is a data minimisation rule, without a term.
func isMinimize(r privacyv1alpha1.RetentionRule) bool { return r.Minimize != nil && *r.Minimize }

func toSelector(sel *privacyv1alpha1.ContactSelector) crm.Selector {
	if sel == nil {
		return nil
	}
	out := make(crm.Selector, 0, len(sel.MatchExpressions))
	for _, r := range sel.MatchExpressions {
		out = append(out, crm.Requirement{Field: string(r.Field), Operator: string(r.Operator), Values: append([]string(nil), r.Values...)})
	}
	return out
}

// policyKey is how the policy is named in the ledger and the sweep lock.
func policyKey(p *privacyv1alpha1.RetentionPolicy) string { return p.Namespace + "/" + p.Name }

// specHash is the hash of what decides what a run erases: the database, the rules, the
// legal holds and the budget. The schedule, time zone, mode, suspend, batch size and
// approval are left out: they say when and whether a run goes, not what it erases.
func specHash(p *privacyv1alpha1.RetentionPolicy) string {
	b, err := json.Marshal(struct {
		DatabaseRef privacyv1alpha1.LocalObjectReference `json:"databaseRef"`
		Rules       []privacyv1alpha1.RetentionRule      `json:"rules"`
		LegalHolds  []privacyv1alpha1.LegalHold          `json:"legalHolds"`
		Budget      *privacyv1alpha1.RetentionBudget     `json:"budget"`
	}{p.Spec.DatabaseRef, p.Spec.Rules, p.Spec.LegalHolds, p.Spec.Budget})
	if err != nil {
		// The spec types always marshal; a hash nothing matches keeps every run stopped.
		return strings.Repeat("0", 64)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// runIDLayout is the scheduled time's part of a run id.
const runIDLayout = "20060102T150405Z"

// newRunID names a run: its scheduled time and the policy's UID prefix, and for the runs
// that take over a scheduled time after a stop, their attempt number
// (20261122T100000Z-abcd1234, then 20261122T100000Z-abcd1234-2).
func newRunID(p *privacyv1alpha1.RetentionPolicy, scheduledAt time.Time, attempt int32) string {
	id := scheduledAt.UTC().Format(runIDLayout) + "-" + uidPrefix(p)
	if attempt > 1 {
		id += "-" + strconv.Itoa(int(attempt))
	}
	return id
}

// uidPrefix is the start of the policy's UID, which tells its runs from those of an earlier
// policy of the same name.
func uidPrefix(p *privacyv1alpha1.RetentionPolicy) string {
	uid := strings.ReplaceAll(string(p.UID), "-", "")
	if len(uid) > 8 {
		uid = uid[:8]
	}
	return uid
}

// runIDParts are the parts of a run id. They tell whose run an id claims to be, nothing
// more: a run's cutoffs come from status.currentRun, never from an id read back from the
// database.
type runIDParts struct {
	scheduledAt time.Time
	uid         string
	attempt     int32
}

// parseRunID reads a run id back.
func parseRunID(runID string) (runIDParts, error) {
	parts := strings.Split(runID, "-")
	if len(parts) < 2 || len(parts) > 3 || parts[1] == "" {
		return runIDParts{}, fmt.Errorf("run id %q is not <scheduled time>-<policy uid>[-<attempt>]", runID)
	}
	t, err := time.Parse(runIDLayout, parts[0])
	if err != nil {
		return runIDParts{}, fmt.Errorf("run id %q: %w", runID, err)
	}
	id := runIDParts{scheduledAt: t, uid: parts[1], attempt: 1}
	if len(parts) == 3 {
		n, err := strconv.ParseInt(parts[2], 10, 32)
		if err != nil || n < 2 {
			return runIDParts{}, fmt.Errorf("run id %q has no valid attempt number", runID)
		}
		id.attempt = int32(n)
	}
	return id, nil
}
