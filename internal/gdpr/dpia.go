package gdpr

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// DPIACriteriaThreshold is how many WP248 criteria make a DPIA needed: the EDPB's
// guidelines (WP248 rev.01) say a processing meeting two or more is likely to be high risk.
const DPIACriteriaThreshold = 2

// DPIANeed says whether an activity needs a DPIA, and why.
type DPIANeed struct {
	// Needed is true when a DPIA is needed.
	Needed bool
	// Criteria are the WP248 criteria met, sorted: those declared in spec.dpia.criteriaMet,
	// and SensitiveData when the activity processes special categories (Art. 9).
	Criteria []privacyv1alpha1.WP248Criterion
	// Why lists, for people, what makes it needed.
	Why []string
}

// AssessDPIA decides whether an activity needs a DPIA (Art. 35): when it is declared
// required, when it profiles people (Art. 35(3)(a) and the EvaluationOrScoring criterion,
// which for a CRM means lead scoring or behavioural segmentation), or when it meets
// DPIACriteriaThreshold or more WP248 criteria.
func AssessDPIA(pa *privacyv1alpha1.ProcessingActivitySpec) DPIANeed {
	d := pa.DPIA
	met := map[privacyv1alpha1.WP248Criterion]bool{}
	if d != nil {
		for _, c := range d.CriteriaMet {
			met[c] = true
		}
	}
	if len(pa.SpecialCategories) > 0 {
		met[privacyv1alpha1.CriterionSensitiveData] = true
	}
	var need DPIANeed
	for c := range met {
		need.Criteria = append(need.Criteria, c)
	}
	sort.Slice(need.Criteria, func(i, j int) bool { return need.Criteria[i] < need.Criteria[j] })
	if d != nil && d.Required {
		need.Why = append(need.Why, "it is declared required")
	}
	if pa.Profiling {
		need.Why = append(need.Why, "the activity profiles people")
	}
	if len(need.Criteria) >= DPIACriteriaThreshold {
		names := make([]string, len(need.Criteria))
		for i, c := range need.Criteria {
			names[i] = string(c)
		}
		need.Why = append(need.Why, fmt.Sprintf("it meets %d WP248 criteria (%s)", len(names), strings.Join(names, ", ")))
	}
	need.Needed = len(need.Why) > 0
	return need
}

// CheckDPIA decides the DPIAInPlace condition: True when no DPIA is needed, or when one is
// recorded as completed (spec.dpia.completedAt and spec.dpia.reference); False otherwise.
func CheckDPIA(pa *privacyv1alpha1.ProcessingActivitySpec) Outcome {
	need := AssessDPIA(pa)
	d := pa.DPIA
	switch {
	case !need.Needed:
		return Outcome{Status: metav1.ConditionTrue, Reason: privacyv1alpha1.ReasonNotRequired,
			Message: fmt.Sprintf("no DPIA is needed: %d WP248 criteria met, no profiling", len(need.Criteria))}
	case d != nil && d.CompletedAt != nil && d.Reference != "":
		return holds(privacyv1alpha1.ReasonReconciled, "a DPIA is needed (%s) and %s was completed on %s",
			strings.Join(need.Why, "; "), d.Reference, CalendarDay(d.CompletedAt.Time))
	}
	o := broken(privacyv1alpha1.ReasonDPIARequired, "a DPIA is required (%s) and none is recorded as completed: carry it out with the DPO and record spec.dpia.reference and spec.dpia.completedAt", strings.Join(need.Why, "; "))
	o.find(o.Reason, privacyv1alpha1.SeverityViolation, "spec.dpia", "%s", o.Message)
	return o
}
