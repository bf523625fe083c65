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

// Approval is a person's go-ahead for a plan beyond the budget.
type Approval struct {
	// MaxDeletions is the plan size the approval covers; a larger plan needs a new approval.
	MaxDeletions int64
}

// Verdict is the outcome of checking a plan against the budget.
type Verdict struct {
	// Allowed is true when the run may erase: within budget, or covered by an approval.
	Allowed bool
	// OverBudget is true when the plan exceeds the budget (whether or not it is approved).
	OverBudget bool
	// Limit is the largest plan the budget allows without approval.
	Limit int64
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

// Check decides whether a plan of pending erasures among total contacts may run.
func Check(b Budget, approval *Approval, pending, total int64) Verdict {
	v := Verdict{Limit: b.Limit(total)}
	if pending <= v.Limit {
		v.Allowed = true
		v.Reason = fmt.Sprintf("plan of %d erasures is within the budget of %d", pending, v.Limit)
		return v
	}
	v.OverBudget = true
	if approval != nil && approval.MaxDeletions >= pending {
		v.Allowed = true
		v.Reason = fmt.Sprintf("plan of %d erasures exceeds the budget of %d and is covered by an approval of up to %d", pending, v.Limit, approval.MaxDeletions)
		return v
	}
	if approval != nil {
		v.Reason = fmt.Sprintf("plan of %d erasures exceeds the budget of %d and the approval covers only %d; approve at least %d (spec.approval.maxDeletions) or widen the budget", pending, v.Limit, approval.MaxDeletions, pending)
		return v
	}
	v.Reason = fmt.Sprintf("plan of %d erasures exceeds the budget of %d (%d%% of %d contacts, cap %d); set spec.approval.maxDeletions to at least %d to let it run", pending, v.Limit, b.MaxDeletionPercent, total, b.MaxDeletionsPerRun, pending)
	return v
}
