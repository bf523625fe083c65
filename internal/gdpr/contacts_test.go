package gdpr

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func basis(b privacyv1alpha1.LegalBasisType, mutate ...func(*privacyv1alpha1.ProcessingActivitySpec)) *privacyv1alpha1.ProcessingActivitySpec {
	s := &privacyv1alpha1.ProcessingActivitySpec{Purposes: []string{"Account management"}, LegalBasis: privacyv1alpha1.LegalBasis{Basis: b}}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func directMarketing(v bool) func(*privacyv1alpha1.ProcessingActivitySpec) {
	return func(s *privacyv1alpha1.ProcessingActivitySpec) { s.DirectMarketing = &v }
}

func purposes(ps ...string) func(*privacyv1alpha1.ProcessingActivitySpec) {
	return func(s *privacyv1alpha1.ProcessingActivitySpec) { s.Purposes = ps }
}

// The seeds of the mission: legitimate interest only for B2B contacts in the allowed job
// roles, after an approved and current LIA; an opt-out stops processing on consent or
// legitimate interests and any direct marketing.
func TestContactRulesFor(t *testing.T) {
	approved := liaSpec(approvedUntil(now.AddDate(0, 6, 0)))
	dueSoon := liaSpec(approvedUntil(now.Add(3 * day)))
	expired := liaSpec(approvedUntil(now.Add(-time.Second)))
	draft := liaSpec(nil)
	rejected := liaSpec(decision(privacyv1alpha1.OutcomeRejected, now.Add(-day), now.AddDate(1, 0, 0)))
	withB2C := liaSpec(approvedUntil(now.AddDate(0, 6, 0)))
	withB2C.Scope.ContactTypes = []privacyv1alpha1.ContactType{privacyv1alpha1.ContactTypeB2C, privacyv1alpha1.ContactTypeB2B}
	b2bSales := &ContactScope{ContactTypes: []string{"B2B"}, JobRoles: []string{"sales", "purchasing", "board"}}
	tests := []struct {
		name string
		pa   *privacyv1alpha1.ProcessingActivitySpec
		lia  *privacyv1alpha1.LegitimateInterestAssessmentSpec
		want ContactRules
	}{
		{"legitimate interests, approved LIA: B2B in its job roles; opt-out counts", basis(privacyv1alpha1.BasisLegitimateInterests), &approved,
			ContactRules{LegitimateInterest: b2bSales, OptOut: true}},
		{"legitimate interests, LIA due for review: still its scope", basis(privacyv1alpha1.BasisLegitimateInterests), &dueSoon,
			ContactRules{LegitimateInterest: b2bSales, OptOut: true}},
		{"legitimate interests, expired LIA: nobody is in scope", basis(privacyv1alpha1.BasisLegitimateInterests), &expired,
			ContactRules{LegitimateInterest: &ContactScope{}, OptOut: true}},
		{"legitimate interests, draft LIA: nobody is in scope", basis(privacyv1alpha1.BasisLegitimateInterests), &draft,
			ContactRules{LegitimateInterest: &ContactScope{}, OptOut: true}},
		{"legitimate interests, rejected LIA: nobody is in scope", basis(privacyv1alpha1.BasisLegitimateInterests), &rejected,
			ContactRules{LegitimateInterest: &ContactScope{}, OptOut: true}},
		{"legitimate interests, no LIA: nobody is in scope", basis(privacyv1alpha1.BasisLegitimateInterests), nil,
			ContactRules{LegitimateInterest: &ContactScope{}, OptOut: true}},
		{"an LIA listing B2C still covers B2B only", basis(privacyv1alpha1.BasisLegitimateInterests), &withB2C,
			ContactRules{LegitimateInterest: b2bSales, OptOut: true}},
		{"consent: opt-out withdraws it", basis(privacyv1alpha1.BasisConsent), nil, ContactRules{OptOut: true}},
		{"consent, directMarketing false: opt-out still withdraws it", basis(privacyv1alpha1.BasisConsent, directMarketing(false)), nil, ContactRules{OptOut: true}},
		{"contract: no LIA scope, opt-out does not apply", basis(privacyv1alpha1.BasisContract), &approved, ContactRules{}},
		{"contract, direct marketing: objection stops it", basis(privacyv1alpha1.BasisContract, directMarketing(true)), nil, ContactRules{OptOut: true}},
		{"contract, a mailing purpose but directMarketing unset: the wording changes nothing", basis(privacyv1alpha1.BasisContract, purposes("Monthly newsletter mailing")), nil, ContactRules{}},
		{"legal obligation, explicitly not marketing", basis(privacyv1alpha1.BasisLegalObligation, directMarketing(false), purposes("Marketing consent register")), nil, ContactRules{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ContactRulesFor(tt.pa, tt.lia, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ContactRulesFor (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContactRulesApplies(t *testing.T) {
	tests := []struct {
		name  string
		rules ContactRules
		want  map[privacyv1alpha1.ComplianceCheck]bool
	}{
		{"no optional rule", ContactRules{}, map[privacyv1alpha1.ComplianceCheck]bool{
			privacyv1alpha1.CheckNoLegalBasis: true, privacyv1alpha1.CheckConsentWithoutEvidence: true, privacyv1alpha1.CheckRestrictedFieldsFilled: true,
			privacyv1alpha1.CheckLegitimateInterestOutOfScope: false, privacyv1alpha1.CheckOptedOutInScope: false}},
		{"legitimate interests with an empty scope", ContactRules{LegitimateInterest: &ContactScope{}, OptOut: true}, map[privacyv1alpha1.ComplianceCheck]bool{
			privacyv1alpha1.CheckNoLegalBasis: true, privacyv1alpha1.CheckConsentWithoutEvidence: true, privacyv1alpha1.CheckRestrictedFieldsFilled: true,
			privacyv1alpha1.CheckLegitimateInterestOutOfScope: true, privacyv1alpha1.CheckOptedOutInScope: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[privacyv1alpha1.ComplianceCheck]bool{}
			for _, c := range privacyv1alpha1.ComplianceChecks() {
				got[c] = tt.rules.Applies(c)
				if !got[c] && tt.rules.NotApplicableReason(c) == "" {
					t.Errorf("%s does not apply and no reason says why", c)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Applies (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarketingHint(t *testing.T) {
	tests := []struct {
		name string
		pa   *privacyv1alpha1.ProcessingActivitySpec
		want *findingKey
	}{
		{"a newsletter, undeclared", basis(privacyv1alpha1.BasisContract, purposes("Account management", "Monthly newsletter")),
			&findingKey{privacyv1alpha1.ReasonDirectMarketingUndeclared, "Warning", "spec.directMarketing"}},
		{"prospecting on legitimate interests, undeclared", basis(privacyv1alpha1.BasisLegitimateInterests, purposes("Prospecting companies")),
			&findingKey{privacyv1alpha1.ReasonDirectMarketingUndeclared, "Warning", "spec.directMarketing"}},
		{"declared true", basis(privacyv1alpha1.BasisContract, purposes("Monthly newsletter"), directMarketing(true)), nil},
		{"declared false", basis(privacyv1alpha1.BasisContract, purposes("Campaign budget accounting"), directMarketing(false)), nil},
		{"nothing like marketing", basis(privacyv1alpha1.BasisContract, purposes("Invoicing customers")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *findingKey
			if f := MarketingHint(tt.pa); f != nil {
				got = &findingKey{f.Code, string(f.Severity), f.Field}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MarketingHint (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckConsentEvidence(t *testing.T) {
	full := map[string]bool{"consentAt": true, "consentMethod": true, "legalBasis": true}
	tests := []struct {
		name     string
		dbs      []DatabaseFields
		status   string
		reason   string
		findings []findingKey
	}{
		{"no database covered", nil, "True", privacyv1alpha1.ReasonReconciled, nil},
		{"every database maps the evidence", []DatabaseFields{{Name: "crm", Mapped: full}, {Name: "legacy", Mapped: full}}, "True", privacyv1alpha1.ReasonReconciled, nil},
		{"one lacks consentMethod", []DatabaseFields{{Name: "crm", Mapped: full}, {Name: "legacy", Mapped: map[string]bool{"consentAt": true}}}, "False", privacyv1alpha1.ReasonConsentEvidenceMissing,
			[]findingKey{{privacyv1alpha1.ReasonConsentEvidenceMissing, "Violation", "spec.databaseRefs[1]"}}},
		{"one not ready, the other complete: unknown", []DatabaseFields{{Name: "crm", Unavailable: "CRMDatabase crm is not ready"}, {Name: "legacy", Mapped: full}}, "Unknown", privacyv1alpha1.ReasonDatabaseNotReady, nil},
		{"a missing field wins over a database not ready", []DatabaseFields{{Name: "crm", Unavailable: "not ready"}, {Name: "legacy", Mapped: map[string]bool{}}}, "False", privacyv1alpha1.ReasonConsentEvidenceMissing,
			[]findingKey{{privacyv1alpha1.ReasonConsentEvidenceMissing, "Violation", "spec.databaseRefs[1]"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckConsentEvidence(tt.dbs)
			if string(got.Status) != tt.status || got.Reason != tt.reason {
				t.Errorf("outcome = %s %s (%s), want %s %s", got.Status, got.Reason, got.Message, tt.status, tt.reason)
			}
			if diff := cmp.Diff(tt.findings, keys(got.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
