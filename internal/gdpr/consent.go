package gdpr

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// ConsentEvidenceFields are the logical fields that show when and how a person consented
// (Art. 7(1): the controller must be able to demonstrate consent).
var ConsentEvidenceFields = []string{mapping.FieldConsentAt, mapping.FieldConsentMethod}

// DatabaseFields is what the consent rule needs to know of one covered database.
type DatabaseFields struct {
	// Name is the CRMDatabase.
	Name string
	// Unavailable says why its mapping cannot be read (the database does not exist or is
	// not ready); empty when it can.
	Unavailable string
	// Mapped holds the logical fields its mapping maps.
	Mapped map[string]bool
}

// CheckConsentEvidence decides the LegalBasisValid condition of an activity on consent:
// every covered database (in the order of spec.databaseRefs) maps ConsentEvidenceFields.
// False when one does not; Unknown when one cannot be read and none lacks them.
func CheckConsentEvidence(dbs []DatabaseFields) Outcome {
	if len(dbs) == 0 {
		return holds(privacyv1alpha1.ReasonReconciled, "consent: no database is covered (spec.databaseRefs), so there is no consent evidence to check")
	}
	var o Outcome
	var missing, unknown []string
	for i, db := range dbs {
		if db.Unavailable != "" {
			unknown = append(unknown, db.Unavailable)
			continue
		}
		var lacks []string
		for _, f := range ConsentEvidenceFields {
			if !db.Mapped[f] {
				lacks = append(lacks, f)
			}
		}
		if len(lacks) > 0 {
			msg := fmt.Sprintf("CRMDatabase %s does not map %s", db.Name, strings.Join(lacks, " nor "))
			missing = append(missing, msg)
			o.find(privacyv1alpha1.ReasonConsentEvidenceMissing, privacyv1alpha1.SeverityViolation, fmt.Sprintf("spec.databaseRefs[%d]", i),
				"%s: consent cannot be shown without when and how it was given; map the fields in the CRMDatabase's spec.mapping.fields", msg)
		}
	}
	switch {
	case len(missing) > 0:
		o.Status, o.Reason = metav1.ConditionFalse, privacyv1alpha1.ReasonConsentEvidenceMissing
		o.Message = fmt.Sprintf("consent needs its evidence (consentAt and consentMethod) on every covered database: %s; map them in the CRMDatabase's spec.mapping.fields", strings.Join(missing, "; "))
	case len(unknown) > 0:
		o.Status, o.Reason = metav1.ConditionUnknown, privacyv1alpha1.ReasonDatabaseNotReady
		o.Message = "the consent evidence could not be checked: " + strings.Join(unknown, "; ")
	default:
		o.Status, o.Reason = metav1.ConditionTrue, privacyv1alpha1.ReasonReconciled
		o.Message = "consent: every covered database maps the consent evidence (consentAt, consentMethod)"
	}
	return o
}

// CheckOtherBasis decides the LegalBasisValid condition of an activity on a basis that
// needs no assessment (contract, legal obligation, vital interests, public task).
func CheckOtherBasis(basis privacyv1alpha1.LegalBasisType) Outcome {
	return holds(privacyv1alpha1.ReasonReconciled, "the %s basis needs no assessment; say which contract or law in spec.legalBasis.details", basis)
}
