package register

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// Word lists for generated activities: realistic lengths and variety, so that compression
// figures are not flattered by identical entries.
var (
	genPurposes = []string{
		"Qualification of inbound leads from the website contact form",
		"Follow-up of business contacts met at trade fairs",
		"Sending the monthly product newsletter to subscribers",
		"Account management of existing B2B customers",
		"Renewal reminders for maintenance contracts",
		"Invitations to customer events and webinars",
		"Satisfaction surveys after support tickets",
		"Territory planning for the field sales team",
		"Partner referral tracking and commission statements",
		"Quotation and order processing for purchasing contacts",
	}
	genSubjects   = []string{"B2B prospects", "customer contacts", "supplier contacts", "partner contacts", "event participants", "newsletter subscribers"}
	genCategories = []string{"identity", "professional contact details", "job title and role", "company", "interaction history", "consent evidence", "postal address", "marketing preferences", "order history"}
	genBases      = []v1alpha1.LegalBasisType{v1alpha1.BasisConsent, v1alpha1.BasisContract, v1alpha1.BasisLegitimateInterests, v1alpha1.BasisLegalObligation}
	genProcessors = []string{"Cloudline CRM Ltd.", "MailRelay GmbH", "EventHub SAS", "SurveyPro Inc.", "PrintPost AB", "DataCare Backup NV"}
	genCountries  = []string{"US", "IN", "GB", "CH", "CA"}
	genMeasures   = []string{"TLS 1.2+ in transit", "AES-256 at rest", "SSO with MFA", "role-based access per job function", "quarterly access review", "pseudonymised analytics", "audit logging of exports", "backups encrypted and tested monthly"}
)

// pick returns n distinct items of list, chosen by r.
func pick(r *rand.Rand, list []string, n int) []string {
	out := make([]string, 0, n)
	for _, i := range r.Perm(len(list))[:n] {
		out = append(out, list[i])
	}
	return out
}

func date(y int, m time.Month, d int) metav1.Time {
	return metav1.NewTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// generateActivity returns a realistic processing activity, number i of a generated register.
func generateActivity(r *rand.Rand, i int) v1alpha1.ProcessingActivity {
	basis := genBases[r.Intn(len(genBases))]
	spec := v1alpha1.ProcessingActivitySpec{
		Description: fmt.Sprintf("%s (business unit %d)", genPurposes[i%len(genPurposes)], i%37),
		Controller: v1alpha1.ControllerParty{
			Name:    "Northwind Trading GmbH",
			Address: "Hafenstraße 12, 20457 Hamburg, Germany",
			Email:   "privacy@northwind.example",
			Phone:   "+49 40 555 0100",
		},
		DPO:                    &v1alpha1.Party{Name: "Dr. Jana Weber", Email: "dpo@northwind.example"},
		Purposes:               pick(r, genPurposes, 1+r.Intn(3)),
		LegalBasis:             v1alpha1.LegalBasis{Basis: basis},
		DataSubjectCategories:  pick(r, genSubjects, 1+r.Intn(3)),
		PersonalDataCategories: pick(r, genCategories, 3+r.Intn(5)),
		Recipients:             pick(r, []string{"sales team", "marketing team", "customer support", "finance", "management"}, 1+r.Intn(3)),
		SecurityMeasures:       pick(r, genMeasures, 3+r.Intn(4)),
		Profiling:              r.Intn(10) == 0,
		PrivacyNoticeURI:       v1alpha1.URI(fmt.Sprintf("https://northwind.example/privacy#activity-%d", i)),
		DatabaseRefs:           []v1alpha1.LocalObjectReference{{Name: v1alpha1.ObjectName(fmt.Sprintf("crm-%d", i%4))}},
		RetentionPolicyRefs:    []v1alpha1.LocalObjectReference{{Name: v1alpha1.ObjectName(fmt.Sprintf("retention-%d", i%5))}},
	}
	if basis == v1alpha1.BasisLegitimateInterests {
		spec.LegalBasis.LegitimateInterestAssessmentRef = &v1alpha1.LocalObjectReference{Name: v1alpha1.ObjectName(fmt.Sprintf("lia-%d", i%20))}
	}
	for _, name := range pick(r, genProcessors, 1+r.Intn(3)) {
		expires := date(2027+r.Intn(4), time.Month(1+r.Intn(12)), 1+r.Intn(28))
		spec.Processors = append(spec.Processors, v1alpha1.Processor{
			Name:    name,
			Role:    "hosting and maintenance of the CRM software",
			Country: "DE",
			Contract: &v1alpha1.ProcessorContract{
				SignedAt:    date(2020+r.Intn(6), time.Month(1+r.Intn(12)), 1+r.Intn(28)),
				ExpiresAt:   &expires,
				DocumentURI: v1alpha1.URI(fmt.Sprintf("https://contracts.northwind.example/dpa/%d-%04d", 2020+r.Intn(6), r.Intn(10000))),
			},
		})
	}
	if r.Intn(3) == 0 {
		spec.Transfers = []v1alpha1.Transfer{{
			Country:   genCountries[r.Intn(len(genCountries))],
			Recipient: genProcessors[r.Intn(len(genProcessors))],
			Safeguard: v1alpha1.SafeguardSCC,
			Details:   "Module 3 (processor to processor)",
		}}
	}
	return v1alpha1.ProcessingActivity{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   fmt.Sprintf("team-%02d", i%25),
			Name:        fmt.Sprintf("activity-%04d", i),
			Annotations: map[string]string{v1alpha1.AnnotationSourceRevision: "4b825dc642cb6eb9a060e54bf8d69288fbee4904"},
		},
		Spec: spec,
		Status: v1alpha1.ProcessingActivityStatus{
			ObservedGeneration: 3,
			Findings:           []v1alpha1.Finding{{Code: "ContractExpiresSoon", Severity: v1alpha1.SeverityWarning, Message: "generated"}},
		},
	}
}

// generateActivities returns n realistic activities spread over 25 namespaces.
func generateActivities(n int) []v1alpha1.ProcessingActivity {
	r := rand.New(rand.NewSource(1))
	out := make([]v1alpha1.ProcessingActivity, n)
	for i := range out {
		out[i] = generateActivity(r, i)
	}
	return out
}

// generateDocument returns a register with n generated processing activities.
func generateDocument(t testing.TB, n int) *Document {
	t.Helper()
	doc, err := FromObjects(Objects{ProcessingActivities: generateActivities(n)})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
