package retention

import "fmt"

// DefaultMaxDeletionPercent is the share of a database's contacts one run may erase without
// an approval when the policy sets no budget.
const DefaultMaxDeletionPercent = 10

// Budget is a policy's safety budget.
type Budget struct {
	// MaxDeletionPercent is the share of all contacts one run may erase (0–100).
	MaxDeletionPercent int
	// MaxDeletionsPerRun is an absolute cap per run; 0 means no absolute cap.
	MaxDeletionsPerRun int64
}

// Approval is a person's go-ahead for one plan beyond the budget.
type Approval struct {
	// RunID is the run approved; it approves no other run.
	RunID string
	// SpecHash is the hash of the spec the approved plan was counted with; once the spec
	// changes, the approval no longer applies.
	SpecHash string
	// MaxDeletions is the plan size the approval covers, and the most the run may erase; a
	// larger plan needs a new approval.
	MaxDeletions int64
}

// Plan is what a run would erase: the run it is for and its counts.
type Plan struct {
	// RunID is the run the plan is for.
	RunID string
	// SpecHash is the hash of the spec the plan was counted with.
	SpecHash string
	// Pending is how many contacts the rules select now.
	Pending int64
	// Total is how many contacts the database holds (the base of the percentage).
	Total int64
	// Spent is how many contacts earlier runs for the same scheduled time already erased
	// (runs stopped by a change of spec): they count against the budget.
	Spent int64
}

// Verdict is the outcome of checking a plan against the budget.
type Verdict struct {
	// Allowed is true when the run may erase: within budget, or covered by an approval.
	Allowed bool
	// OverBudget is true when the plan exceeds the budget (whether or not it is approved).
	OverBudget bool
	// Approved is true when the approval is what lets the run go.
	Approved bool
	// Limit is the largest plan the budget allows without approval.
	Limit int64
	// Cap is, when Allowed, the most the run may erase or anonymise: what is left of the
	// budget, or the approval's MaxDeletions. The run stops there.
	Cap int64
	// Reason explains the verdict in a sentence for status and events (counts only).
	Reason string
}

// Limit is the largest number of contacts one run may erase among total contacts.
func (b Budget) Limit(total int64) int64 {
	limit := total * int64(b.MaxDeletionPercent) / 100
	if b.MaxDeletionsPerRun > 0 && b.MaxDeletionsPerRun < limit {
		limit = b.MaxDeletionsPerRun
	}
	return limit
}

// basis says where the limit comes from: "10% of 20 contacts", and ", cap 5" only when an
// absolute cap is set (0 means none, not a cap of zero).
func (b Budget) basis(total int64) string {
	s := fmt.Sprintf("%d%% of %d contacts", b.MaxDeletionPercent, total)
	if b.MaxDeletionsPerRun > 0 {
		s += fmt.Sprintf(", cap %d", b.MaxDeletionsPerRun)
	}
	return s
}

// Check decides whether a plan may run, and how far.
func Check(b Budget, approval *Approval, plan Plan) Verdict {
	v := Verdict{Limit: b.Limit(plan.Total)}
	left := max(v.Limit-plan.Spent, 0)
	spent := ""
	if plan.Spent > 0 {
		spent = fmt.Sprintf(" (%d of it already used by a stopped run of the same scheduled time)", plan.Spent)
	}
	if plan.Pending <= left {
		v.Allowed, v.Cap = true, left
		v.Reason = fmt.Sprintf("plan of %d erasures is within the budget of %d%s", plan.Pending, v.Limit, spent)
		return v
	}
	v.OverBudget = true
	approve := fmt.Sprintf("set spec.approval with runID %s, specHash %s and maxDeletions at least %d to let it run", plan.RunID, plan.SpecHash, plan.Pending)
	switch {
	case approval == nil:
		basis := b.basis(plan.Total)
		if plan.Spent > 0 {
			basis += fmt.Sprintf("; %d of it already used by a stopped run of the same scheduled time", plan.Spent)
		}
		v.Reason = fmt.Sprintf("plan of %d erasures exceeds the budget of %d (%s); %s", plan.Pending, v.Limit, basis, approve)
	case approval.RunID != plan.RunID:
		v.Reason = fmt.Sprintf("plan of %d erasures exceeds the budget of %d%s, and the approval is for run %s, not for run %s; %s",
			plan.Pending, v.Limit, spent, approval.RunID, plan.RunID, approve)
	case approval.SpecHash != plan.SpecHash:
		v.Reason = fmt.Sprintf("plan of %d erasures exceeds the budget of %d%s, and the approval was given for another spec: the rules, legal holds, database or budget changed since; %s",
			plan.Pending, v.Limit, spent, approve)
	case approval.MaxDeletions < plan.Pending:
		v.Reason = fmt.Sprintf("plan of %d erasures exceeds the budget of %d%s and the approval covers only %d; %s",
			plan.Pending, v.Limit, spent, approval.MaxDeletions, approve)
	default:
		v.Allowed, v.Approved, v.Cap = true, true, approval.MaxDeletions
		v.Reason = fmt.Sprintf("plan of %d erasures exceeds the budget of %d%s and is covered by the approval of run %s, up to %d", plan.Pending, v.Limit, spent, plan.RunID, approval.MaxDeletions)
	}
	return v
}
