package controllers

import (
	"fmt"
	"strings"
	"time"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
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
	for i, r := range p.Spec.Rules {
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
		s.approval = &retention.Approval{MaxDeletions: a.MaxDeletions}
	}
	return s, nil
}

// retentionPlan converts the rules and holds into the CRM layer's plan, with cutoffs seen
// from now.
func retentionPlan(p *privacyv1alpha1.RetentionPolicy, s policySettings, now time.Time) crm.RetentionPlan {
	plan := crm.RetentionPlan{}
	for i, r := range p.Spec.Rules {
		rule := crm.RetentionRule{
			Name:         string(r.Name),
			Selector:     toSelector(r.Selector),
			Cutoff:       s.terms[i].Cutoff(now),
			SinceCreated: r.Since == privacyv1alpha1.SinceCreated,
			Action:       string(r.Action),
		}
		if rb := r.RenewedBy; rb != nil {
			rule.RenewKinds = append([]string(nil), rb.Kinds...)
			rule.RenewDirection = string(rb.Direction)
		}
		for _, f := range r.Anonymize {
			rule.Anonymize = append(rule.Anonymize, crm.AnonymizeField{Field: string(f.Field), Strategy: crm.Strategy(f.Strategy)})
		}
		plan.Rules = append(plan.Rules, rule)
	}
	for _, h := range p.Spec.LegalHolds {
		plan.Holds = append(plan.Holds, toSelector(&h.Selector))
	}
	return plan
}

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

// runIDLayout is the scheduled time's part of a run id.
const runIDLayout = "20060102T150405Z"

// newRunID names the run standing for a scheduled time: the same scheduled time always
// gives the same id, so a restarted operator resumes the run instead of starting another.
func newRunID(p *privacyv1alpha1.RetentionPolicy, scheduledAt time.Time) string {
	return scheduledAt.UTC().Format(runIDLayout) + "-" + uidPrefix(p)
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

// runBelongsTo says whether a run id is one of this policy's.
func runBelongsTo(p *privacyv1alpha1.RetentionPolicy, runID string) bool {
	_, err := runScheduledAt(runID)
	return err == nil && strings.HasSuffix(runID, "-"+uidPrefix(p))
}

// runScheduledAt reads the scheduled time back from a run id.
func runScheduledAt(runID string) (time.Time, error) {
	head, _, ok := strings.Cut(runID, "-")
	if !ok {
		return time.Time{}, fmt.Errorf("run id %q has no scheduled time", runID)
	}
	return time.Parse(runIDLayout, head)
}
