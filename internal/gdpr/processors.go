package gdpr

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// ContractExpiryWarning is how long before a processor's contract expires a Warning finding
// says so.
const ContractExpiryWarning = 30 * 24 * time.Hour

// eeaCountries are the countries of the European Economic Area (the 27 EU member states,
// Iceland, Liechtenstein and Norway), as ISO 3166-1 alpha-2 codes (Greece is GR): data
// processed there is not transferred to a third country.
var eeaCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true,
	"FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true,
	"LT": true, "LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true,
	"SI": true, "ES": true, "SE": true, "IS": true, "LI": true, "NO": true,
}

// InEEA reports whether a country (ISO 3166-1 alpha-2) is in the European Economic Area.
func InEEA(country string) bool { return eeaCountries[country] }

// AdequacyScope is how much of a country an adequacy decision covers.
type AdequacyScope string

const (
	// AdequacyNone: the European Commission has adopted no adequacy decision for the
	// country; a transfer there needs another safeguard (SCC, BCR) or a derogation.
	AdequacyNone AdequacyScope = ""
	// AdequacyFull: the decision covers every recipient in the country.
	AdequacyFull AdequacyScope = "Full"
	// AdequacyPartial: the decision covers only some recipients (see adequacyLimits).
	AdequacyPartial AdequacyScope = "Partial"
)

// adequacy lists the countries with an adequacy decision of the European Commission
// (Art. 45) in force when this list was last reviewed (2025): Andorra, Argentina,
// Canada (commercial organisations subject to PIPEDA), Faroe Islands, Guernsey, Israel,
// Isle of Man, Japan, Jersey, New Zealand, Republic of Korea, Switzerland, United
// Kingdom, United States (organisations certified under the EU-US Data Privacy Framework)
// and Uruguay. The Commission publishes the current list; a decision adopted since is
// added with an operator release.
var adequacy = map[string]AdequacyScope{
	"AD": AdequacyFull, "AR": AdequacyFull, "CA": AdequacyPartial, "FO": AdequacyFull,
	"GG": AdequacyFull, "IL": AdequacyFull, "IM": AdequacyFull, "JP": AdequacyFull,
	"JE": AdequacyFull, "NZ": AdequacyFull, "KR": AdequacyFull, "CH": AdequacyFull,
	"GB": AdequacyFull, "US": AdequacyPartial, "UY": AdequacyFull,
}

// adequacyLimits say which recipients a partial adequacy decision covers.
var adequacyLimits = map[string]string{
	"CA": "commercial organisations subject to PIPEDA",
	"US": "organisations certified under the EU-US Data Privacy Framework",
}

// Adequacy returns how much of a third country an adequacy decision covers.
func Adequacy(country string) AdequacyScope { return adequacy[country] }

// CheckProcessors decides the ProcessorsCovered condition (Art. 28 and Chapter V):
//
//   - every processor has an Art. 28 contract that is signed (signedAt not in the future)
//     and not expired; a Warning finding from ContractExpiryWarning before it expires;
//   - a processor that processes the data outside the EEA has a transfer to its country
//     recorded in spec.transfers;
//   - a transfer that relies on `Adequacy` goes to a country with an adequacy decision
//     (a Warning when the decision covers only some recipients and the transfer's details
//     do not say why this one is covered); a transfer to an EEA country is no transfer (an
//     Info finding).
func CheckProcessors(pa *privacyv1alpha1.ProcessingActivitySpec, now time.Time) Outcome {
	if len(pa.Processors) == 0 && len(pa.Transfers) == 0 {
		return Outcome{Status: metav1.ConditionTrue, Reason: privacyv1alpha1.ReasonNotRequired, Message: "no processor is declared and no transfer is recorded"}
	}
	var o Outcome
	var firstReason string
	var problems []string
	violation := func(reason, field, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if firstReason == "" {
			firstReason = reason
		}
		problems = append(problems, msg)
		o.find(reason, privacyv1alpha1.SeverityViolation, field, "%s", msg)
	}
	transferred := map[string]bool{}
	for _, t := range pa.Transfers {
		transferred[t.Country] = true
	}
	for i, p := range pa.Processors {
		field := fmt.Sprintf("spec.processors[%d]", i)
		switch k := p.Contract; {
		case k == nil:
			violation(privacyv1alpha1.ReasonContractMissing, field+".contract", "processor %s has no Art. 28 contract recorded: sign a data processing agreement and record it in spec.processors[%d].contract", p.Name, i)
		case now.Before(k.SignedAt.Time):
			violation(privacyv1alpha1.ReasonContractMissing, field+".contract.signedAt", "the Art. 28 contract of processor %s is signed only on %s: the processor may not process the data before", p.Name, CalendarDay(k.SignedAt.Time))
			o.wakeAt(now, k.SignedAt.Time)
		case k.ExpiresAt != nil && !now.Before(k.ExpiresAt.Time):
			violation(privacyv1alpha1.ReasonContractExpired, field+".contract.expiresAt", "the Art. 28 contract of processor %s expired on %s: renew it and record the new one", p.Name, CalendarDay(k.ExpiresAt.Time))
		case k.ExpiresAt != nil:
			warnFrom := k.ExpiresAt.Add(-ContractExpiryWarning)
			if !now.Before(warnFrom) {
				o.find(privacyv1alpha1.ReasonContractExpiring, privacyv1alpha1.SeverityWarning, field+".contract.expiresAt",
					"the Art. 28 contract of processor %s expires on %s: renew it", p.Name, CalendarDay(k.ExpiresAt.Time))
			} else {
				o.wakeAt(now, warnFrom)
			}
			o.wakeAt(now, k.ExpiresAt.Time)
		}
		if p.Country != "" && !InEEA(p.Country) && !transferred[p.Country] {
			violation(privacyv1alpha1.ReasonTransferWithoutSafeguard, field+".country", "processor %s processes the data in %s, outside the EEA, and no transfer to %s is recorded with its safeguard: add it to spec.transfers", p.Name, p.Country, p.Country)
		}
	}
	for i, t := range pa.Transfers {
		field := fmt.Sprintf("spec.transfers[%d]", i)
		switch {
		case InEEA(t.Country):
			o.find(privacyv1alpha1.ReasonNotRequired, privacyv1alpha1.SeverityInfo, field+".country",
				"%s is in the EEA: sending data there is no transfer to a third country and needs no safeguard", t.Country)
		case t.Safeguard != privacyv1alpha1.SafeguardAdequacy:
		case Adequacy(t.Country) == AdequacyNone:
			violation(privacyv1alpha1.ReasonTransferWithoutSafeguard, field+".safeguard", "the transfer to %s relies on an adequacy decision, but the European Commission has adopted none for %s: rely on standard contractual clauses (SCC) or binding corporate rules (BCR) instead", t.Recipient, t.Country)
		case Adequacy(t.Country) == AdequacyPartial && strings.TrimSpace(t.Details) == "":
			o.find(privacyv1alpha1.ReasonPartialAdequacy, privacyv1alpha1.SeverityWarning, field+".details",
				"the adequacy decision for %s covers only %s: check that %s is one and say so in spec.transfers[%d].details, or rely on SCC", t.Country, adequacyLimits[t.Country], t.Recipient, i)
		}
	}
	if len(problems) > 0 {
		o.Status, o.Reason, o.Message = metav1.ConditionFalse, firstReason, strings.Join(problems, "; ")
		return o
	}
	o.Status, o.Reason = metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled
	o.Message = fmt.Sprintf("every processor (%d) has a current Art. 28 contract and every transfer a safeguard", len(pa.Processors))
	return o
}
