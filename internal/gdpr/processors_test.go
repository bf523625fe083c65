package gdpr

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

func TestInEEAAndAdequacy(t *testing.T) {
	tests := []struct {
		country  string
		eea      bool
		adequacy AdequacyScope
	}{
		{"FR", true, AdequacyNone}, {"GR", true, AdequacyNone}, {"NO", true, AdequacyNone}, {"LI", true, AdequacyNone},
		{"CH", false, AdequacyFull}, {"GB", false, AdequacyFull}, {"JP", false, AdequacyFull}, {"KR", false, AdequacyFull},
		{"US", false, AdequacyPartial}, {"CA", false, AdequacyPartial},
		{"IN", false, AdequacyNone}, {"CN", false, AdequacyNone}, {"EL", false, AdequacyNone}, {"", false, AdequacyNone},
	}
	for _, tt := range tests {
		t.Run(tt.country, func(t *testing.T) {
			if got := InEEA(tt.country); got != tt.eea {
				t.Errorf("InEEA(%q) = %v, want %v", tt.country, got, tt.eea)
			}
			if got := Adequacy(tt.country); got != tt.adequacy {
				t.Errorf("Adequacy(%q) = %q, want %q", tt.country, got, tt.adequacy)
			}
		})
	}
	if n := len(eeaCountries); n != 30 {
		t.Errorf("the EEA has 30 countries, the list %d", n)
	}
}

func TestCheckProcessors(t *testing.T) {
	at := func(t time.Time) *metav1.Time { m := metav1.NewTime(t); return &m }
	contract := func(signed time.Time, expires *metav1.Time) *privacyv1alpha1.ProcessorContract {
		return &privacyv1alpha1.ProcessorContract{SignedAt: metav1.NewTime(signed), ExpiresAt: expires}
	}
	current := contract(now.AddDate(-1, 0, 0), nil)
	proc := func(name, country string, k *privacyv1alpha1.ProcessorContract) privacyv1alpha1.Processor {
		return privacyv1alpha1.Processor{Name: name, Role: "hosts the CRM", Country: country, Contract: k}
	}
	transfer := func(country string, s privacyv1alpha1.TransferSafeguard, details string) privacyv1alpha1.Transfer {
		return privacyv1alpha1.Transfer{Country: country, Recipient: "vendor support", Safeguard: s, Details: details}
	}
	spec := func(ps []privacyv1alpha1.Processor, ts ...privacyv1alpha1.Transfer) *privacyv1alpha1.ProcessingActivitySpec {
		return &privacyv1alpha1.ProcessingActivitySpec{Processors: ps, Transfers: ts}
	}
	tests := []struct {
		name     string
		pa       *privacyv1alpha1.ProcessingActivitySpec
		status   metav1.ConditionStatus
		reason   string
		findings []findingKey
		next     time.Time
	}{
		{name: "nothing declared", pa: spec(nil), status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonNotRequired},
		{name: "an EEA processor with a current contract", pa: spec([]privacyv1alpha1.Processor{proc("Hoster", "DE", current)}),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled},
		{name: "no Art. 28 contract", pa: spec([]privacyv1alpha1.Processor{proc("Hoster", "DE", nil)}),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonContractMissing,
			findings: []findingKey{{privacyv1alpha1.ReasonContractMissing, "Violation", "spec.processors[0].contract"}}},
		{name: "a contract signed only in the future", pa: spec([]privacyv1alpha1.Processor{proc("Hoster", "DE", contract(now.Add(2*day), nil))}),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonContractMissing, next: now.Add(2 * day),
			findings: []findingKey{{privacyv1alpha1.ReasonContractMissing, "Violation", "spec.processors[0].contract.signedAt"}}},
		{name: "an expired contract", pa: spec([]privacyv1alpha1.Processor{proc("Hoster", "DE", contract(now.AddDate(-3, 0, 0), at(now)))}),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonContractExpired,
			findings: []findingKey{{privacyv1alpha1.ReasonContractExpired, "Violation", "spec.processors[0].contract.expiresAt"}}},
		{name: "a contract expiring in 10 days: a warning, wakes at expiry", pa: spec([]privacyv1alpha1.Processor{proc("Hoster", "DE", contract(now.AddDate(-1, 0, 0), at(now.Add(10*day))))}),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled, next: now.Add(10 * day),
			findings: []findingKey{{privacyv1alpha1.ReasonContractExpiring, "Warning", "spec.processors[0].contract.expiresAt"}}},
		{name: "a contract expiring in a year: wakes at the warning", pa: spec([]privacyv1alpha1.Processor{proc("Hoster", "DE", contract(now.AddDate(-1, 0, 0), at(now.AddDate(1, 0, 0))))}),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled, next: now.AddDate(1, 0, 0).Add(-ContractExpiryWarning)},
		{name: "a processor in the US without a recorded transfer", pa: spec([]privacyv1alpha1.Processor{proc("Cloudline", "US", current)}),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonTransferWithoutSafeguard,
			findings: []findingKey{{privacyv1alpha1.ReasonTransferWithoutSafeguard, "Violation", "spec.processors[0].country"}}},
		{name: "a processor in India with SCC", pa: spec([]privacyv1alpha1.Processor{proc("Offshore", "IN", current)}, transfer("IN", privacyv1alpha1.SafeguardSCC, "module 2")),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled},
		{name: "adequacy claimed for a country without a decision", pa: spec([]privacyv1alpha1.Processor{proc("Offshore", "IN", current)}, transfer("IN", privacyv1alpha1.SafeguardAdequacy, "")),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonTransferWithoutSafeguard,
			findings: []findingKey{{privacyv1alpha1.ReasonTransferWithoutSafeguard, "Violation", "spec.transfers[0].safeguard"}}},
		{name: "adequacy for Switzerland", pa: spec(nil, transfer("CH", privacyv1alpha1.SafeguardAdequacy, "")),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled},
		{name: "adequacy for the US without saying why the recipient is covered", pa: spec([]privacyv1alpha1.Processor{proc("Cloudline", "US", current)}, transfer("US", privacyv1alpha1.SafeguardAdequacy, "")),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled,
			findings: []findingKey{{privacyv1alpha1.ReasonPartialAdequacy, "Warning", "spec.transfers[0].details"}}},
		{name: "adequacy for the US, certified under the DPF", pa: spec(nil, transfer("US", privacyv1alpha1.SafeguardAdequacy, "certified under the EU-US Data Privacy Framework")),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled},
		{name: "a transfer to an EEA country is no transfer", pa: spec(nil, transfer("IE", privacyv1alpha1.SafeguardSCC, "")),
			status: metav1.ConditionTrue, reason: privacyv1alpha1.ReasonReconciled,
			findings: []findingKey{{privacyv1alpha1.ReasonNotRequired, "Info", "spec.transfers[0].country"}}},
		{name: "the first violation gives the reason", pa: spec([]privacyv1alpha1.Processor{proc("Cloudline", "US", nil), proc("Mail", "DE", contract(now.AddDate(-3, 0, 0), at(now.Add(-day))))}),
			status: metav1.ConditionFalse, reason: privacyv1alpha1.ReasonContractMissing,
			findings: []findingKey{
				{privacyv1alpha1.ReasonContractMissing, "Violation", "spec.processors[0].contract"},
				{privacyv1alpha1.ReasonTransferWithoutSafeguard, "Violation", "spec.processors[0].country"},
				{privacyv1alpha1.ReasonContractExpired, "Violation", "spec.processors[1].contract.expiresAt"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckProcessors(tt.pa, now)
			if got.Status != tt.status || got.Reason != tt.reason {
				t.Errorf("outcome = %s %s (%s), want %s %s", got.Status, got.Reason, got.Message, tt.status, tt.reason)
			}
			if diff := cmp.Diff(tt.findings, keys(got.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if !got.Next.Equal(tt.next) {
				t.Errorf("next = %s, want %s", got.Next, tt.next)
			}
		})
	}
}
