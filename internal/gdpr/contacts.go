package gdpr

import (
	"fmt"
	"regexp"
	"time"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// ContactScope is the scope the contacts on legitimate interests must fall within: a
// contact whose contactType or jobRole is empty or not listed is outside it.
type ContactScope struct {
	// ContactTypes are the contactType values allowed (B2B at most).
	ContactTypes []string
	// JobRoles are the jobRole values allowed.
	JobRoles []string
}

// ContactRules are the rules the compliance scan holds the contacts in scope of an
// activity to. Three rules hold for every activity and are not listed: every contact
// records one of the six legal bases (noLegalBasis), a contact on consent has its evidence
// (consentWithoutEvidence: consentAt and consentMethod filled in), and no restricted
// private field is filled in (restrictedFieldsFilled).
type ContactRules struct {
	// LegitimateInterest, when not nil, holds the contacts on legitimate interests to this
	// scope (legitimateInterestOutOfScope). It is set for an activity on legitimate
	// interests; it is empty, so every such contact is out of scope, while the activity's
	// LIA is missing, a draft, rejected or expired.
	LegitimateInterest *ContactScope
	// OptOut counts the contacts who opted out (optedOutInScope): see OptOutApplies.
	OptOut bool
}

// ContactRulesFor returns the rules for the contacts of an activity, given its LIA (nil
// when it has none or it does not exist) and the time.
func ContactRulesFor(pa *privacyv1alpha1.ProcessingActivitySpec, lia *privacyv1alpha1.LegitimateInterestAssessmentSpec, now time.Time) ContactRules {
	r := ContactRules{OptOut: OptOutApplies(pa)}
	if pa.LegalBasis.Basis != privacyv1alpha1.BasisLegitimateInterests {
		return r
	}
	r.LegitimateInterest = &ContactScope{}
	if lia != nil && LIAStateAt(lia, now).Usable() {
		r.LegitimateInterest.ContactTypes = contactTypeStrings(allowedContactTypes(lia))
		r.LegitimateInterest.JobRoles = append([]string(nil), lia.Scope.JobRoles...)
	}
	return r
}

// Applies reports whether a check of the compliance scan applies to the activity. A check
// that does not apply has no count in the status (it is listed as unchecked, NotApplicable).
func (r ContactRules) Applies(check privacyv1alpha1.ComplianceCheck) bool {
	switch check {
	case privacyv1alpha1.CheckLegitimateInterestOutOfScope:
		return r.LegitimateInterest != nil
	case privacyv1alpha1.CheckOptedOutInScope:
		return r.OptOut
	}
	return true
}

// NotApplicableReason says, for people, why a check does not apply to the activity.
func (r ContactRules) NotApplicableReason(check privacyv1alpha1.ComplianceCheck) string {
	switch check {
	case privacyv1alpha1.CheckLegitimateInterestOutOfScope:
		return "the activity is not on legitimate interests"
	case privacyv1alpha1.CheckOptedOutInScope:
		return "the activity is neither on consent or legitimate interests nor direct marketing (spec.directMarketing)"
	}
	return ""
}

// OptOutApplies reports whether an opt-out stops the activity, so that opted-out contacts
// in scope break its rules: on consent, an opt-out withdraws it (Art. 7(3)); on legitimate
// interests, it is an objection (Art. 21(1)); and an objection to direct marketing stops
// it whatever the basis (Art. 21(2) and (3)), for an activity that declares
// spec.directMarketing: true. The purposes' wording plays no part (see MarketingHint).
func OptOutApplies(pa *privacyv1alpha1.ProcessingActivitySpec) bool {
	switch pa.LegalBasis.Basis {
	case privacyv1alpha1.BasisConsent, privacyv1alpha1.BasisLegitimateInterests:
		return true
	}
	return pa.DirectMarketing != nil && *pa.DirectMarketing
}

// marketingWords are words of a purpose that suggest direct marketing.
var marketingWords = regexp.MustCompile(`(?i)(marketing|newsletter|prospect|campaign|advertis|promotion|mailing)`)

// MarketingHint returns a Warning finding when spec.directMarketing is not set and a
// purpose reads like direct marketing (it mentions marketing, a newsletter, prospecting, a
// campaign, advertising, a promotion or a mailing): the operator then suggests declaring
// it, and changes no check on the strength of the wording. Nil otherwise.
func MarketingHint(pa *privacyv1alpha1.ProcessingActivitySpec) *privacyv1alpha1.Finding {
	if pa.DirectMarketing != nil {
		return nil
	}
	for i, p := range pa.Purposes {
		if w := marketingWords.FindString(p); w != "" {
			also := "opted-out contacts are then counted as breaking the rules"
			if OptOutApplies(pa) {
				also = "opted-out contacts are already counted, as the basis is " + string(pa.LegalBasis.Basis)
			}
			return &privacyv1alpha1.Finding{Code: privacyv1alpha1.ReasonDirectMarketingUndeclared, Severity: privacyv1alpha1.SeverityWarning,
				Field:   "spec.directMarketing",
				Message: fmt.Sprintf("purpose %d mentions %q: if the activity is direct marketing, set spec.directMarketing: true (an objection stops it whatever the basis; %s), otherwise set it to false", i, w, also)}
		}
	}
	return nil
}
