package register

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// The fixture is the register of a B2B sales CRM: newsletter marketing on consent, B2B
// prospecting on legitimate interests under an approved LIA (with a DPIA for lead scoring),
// customer accounts under contract; a CRM vendor and a mailing service as processors; support
// from the US under SCCs; prospects kept 24 months after last contact, customers 10 years.

var fixtureCreatedAt = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

func meta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace:   namespace,
		Name:        name,
		Annotations: map[string]string{v1alpha1.AnnotationSourceRevision: "9f1c2e7b4a3d"},
	}
}

func ref(name string) v1alpha1.LocalObjectReference {
	return v1alpha1.LocalObjectReference{Name: v1alpha1.ObjectName(name)}
}

func timePtr(t metav1.Time) *metav1.Time { return &t }

func boolPtr(b bool) *bool { return &b }

var northwind = v1alpha1.ControllerParty{
	Name:    "Northwind Trading GmbH",
	Address: "Hafenstraße 12, 20457 Hamburg, Germany",
	Email:   "privacy@northwind.example",
	Phone:   "+49 40 555 0100",
}

var dpo = &v1alpha1.Party{Name: "Dr. Jana Weber", Email: "dpo@northwind.example", Phone: "+49 40 555 0199"}

var cloudline = v1alpha1.Processor{
	Name:    "Cloudline CRM Ltd.",
	Role:    "hosts the CRM database and maintains the CRM software",
	Country: "IE",
	Contract: &v1alpha1.ProcessorContract{
		SignedAt:             date(2023, 6, 15),
		ExpiresAt:            timePtr(date(2028, 6, 14)),
		DocumentURI:          "https://contracts.northwind.example/dpa/cloudline-2023",
		SubProcessorsAllowed: true,
	},
}

var usSupport = v1alpha1.Transfer{
	Country:   "US",
	Recipient: "Cloudline Inc. (second-level support)",
	Safeguard: v1alpha1.SafeguardSCC,
	Details:   "Commission Decision (EU) 2021/914, module 3 (processor to processor)",
}

func fixtureObjects() Objects {
	return Objects{
		ProcessingActivities: []v1alpha1.ProcessingActivity{
			{
				ObjectMeta: meta("marketing", "newsletter"),
				Spec: v1alpha1.ProcessingActivitySpec{
					Description:            "Monthly product newsletter and invitations to webinars, sent to people who subscribed on the website or at trade fairs.",
					Controller:             northwind,
					DPO:                    dpo,
					Purposes:               []string{"Sending the monthly product newsletter", "Inviting subscribers to webinars and trade fairs"},
					LegalBasis:             v1alpha1.LegalBasis{Basis: v1alpha1.BasisConsent},
					DataSubjectCategories:  []string{"newsletter subscribers"},
					PersonalDataCategories: []string{"identity", "business email", "consent evidence (date, time, method)", "marketing preferences"},
					DataSources:            []string{"newsletter sign-up form on the website", "the person"},
					Recipients:             []string{"marketing team", "MailRelay GmbH (processor)"},
					Processors: []v1alpha1.Processor{
						cloudline,
						{
							Name:    "MailRelay GmbH",
							Role:    "sends the newsletter and records unsubscriptions",
							Country: "DE",
							Contract: &v1alpha1.ProcessorContract{
								SignedAt:  date(2022, 3, 1),
								ExpiresAt: timePtr(date(2026, 2, 28)),
							},
						},
					},
					RetentionPolicyRefs: []v1alpha1.LocalObjectReference{ref("subscribers")},
					SecurityMeasures:    []string{"double opt-in", "unsubscribe link in every message", "TLS 1.2+ in transit"},
					PrivacyNoticeURI:    "https://northwind.example/privacy/newsletter",
					DatabaseRefs:        []v1alpha1.LocalObjectReference{ref("crm")},
					ContactSelector: &v1alpha1.ContactSelector{MatchExpressions: []v1alpha1.FieldRequirement{
						{Field: v1alpha1.FieldLegalBasis, Operator: v1alpha1.SelectorOpIn, Values: []string{"Consent"}},
						{Field: v1alpha1.FieldOptOut, Operator: v1alpha1.SelectorOpNotIn, Values: []string{"true"}},
					}},
				},
			},
			{
				ObjectMeta: meta("sales", "b2b-prospecting"),
				Spec: v1alpha1.ProcessingActivitySpec{
					Description: "Prospecting companies that may need our logistics software: calls and emails to people in purchasing, board, sales and technical management roles.",
					Controller:  northwind,
					DPO:         dpo,
					Purposes:    []string{"Prospecting companies for the sale of our logistics software", "Scoring leads to plan the sales team's follow-up"},
					LegalBasis: v1alpha1.LegalBasis{
						Basis:                           v1alpha1.BasisLegitimateInterests,
						LegitimateInterestAssessmentRef: &v1alpha1.LocalObjectReference{Name: "b2b-prospecting"},
					},
					DataSubjectCategories:  []string{"B2B prospects"},
					PersonalDataCategories: []string{"identity", "professional contact details", "job title and role", "company", "interaction history"},
					DataSources:            []string{"trade fair badge scans", "purchased list from Leadhouse GmbH"},
					Recipients:             []string{"sales team", "Cloudline CRM Ltd. (processor)"},
					Processors:             []v1alpha1.Processor{cloudline},
					Transfers:              []v1alpha1.Transfer{usSupport},
					RetentionPolicyRefs:    []v1alpha1.LocalObjectReference{ref("contacts")},
					SecurityMeasures:       []string{"role-based access per job function", "row-level security: B2B contacts only", "SSO with MFA", "quarterly access review"},
					DPIA: &v1alpha1.DPIA{
						Required:    true,
						CriteriaMet: []v1alpha1.WP248Criterion{v1alpha1.CriterionEvaluationOrScoring, v1alpha1.CriterionLargeScale},
						Reference:   "DPIA-2025-03",
						CompletedAt: timePtr(date(2025, 4, 10)),
					},
					Profiling:        true,
					PrivacyNoticeURI: "https://northwind.example/privacy/business-contacts",
					DatabaseRefs:     []v1alpha1.LocalObjectReference{ref("crm")},
					ContactSelector: &v1alpha1.ContactSelector{MatchExpressions: []v1alpha1.FieldRequirement{
						{Field: v1alpha1.FieldContactType, Operator: v1alpha1.SelectorOpIn, Values: []string{"B2B"}},
						{Field: v1alpha1.FieldLegalBasis, Operator: v1alpha1.SelectorOpIn, Values: []string{"LegitimateInterests"}},
					}},
				},
			},
			{
				ObjectMeta: meta("sales", "customer-accounts"),
				Spec: v1alpha1.ProcessingActivitySpec{
					Controller: northwind,
					DPO:        dpo,
					JointControllers: []v1alpha1.JointController{{
						Name:             "Northwind Logistics SAS",
						Address:          "8 rue du Port, 69002 Lyon, France",
						Email:            "dpo@northwind-logistics.example",
						Responsibilities: "Northwind Trading GmbH answers requests from the people concerned; the SAS runs deliveries",
					}},
					Purposes: []string{"Quotes, orders and account management of business customers"},
					LegalBasis: v1alpha1.LegalBasis{
						Basis:   v1alpha1.BasisContract,
						Details: "contracts with customers and quotes requested by their employees",
					},
					DataSubjectCategories:  []string{"customer contacts"},
					PersonalDataCategories: []string{"identity", "professional contact details", "order history"},
					Recipients:             []string{"sales team", "finance", "Northwind Logistics SAS (joint controller)"},
					Processors:             []v1alpha1.Processor{cloudline, {Name: "PrintPost AB", Role: "prints and posts invoices", Country: "SE"}},
					Transfers:              []v1alpha1.Transfer{usSupport},
					ErasureTimeLimits:      "invoices: 10 years in the accounting system (German Commercial Code, § 257 HGB)",
					SecurityMeasures:       []string{"role-based access per job function", "encrypted backups"},
					DatabaseRefs:           []v1alpha1.LocalObjectReference{ref("crm")},
				},
			},
		},
		LegitimateInterestAssessments: []v1alpha1.LegitimateInterestAssessment{{
			ObjectMeta: meta("sales", "b2b-prospecting"),
			Spec: v1alpha1.LegitimateInterestAssessmentSpec{
				PurposeTest: v1alpha1.PurposeTest{
					Interest:         "Prospecting companies that may need our logistics software",
					Benefits:         "new customers; the company's growth",
					RulesAndGuidance: "ePrivacy rules on B2B email (UWG § 7): business contacts only, opt-out in every message",
					EthicalIssues:    "none found",
				},
				NecessityTest: v1alpha1.NecessityTest{
					HowItHelps:                "Reaching the people who buy or decide on logistics software",
					Proportionate:             true,
					LessIntrusiveAlternatives: "Trade fairs alone reach too few companies; no data is bought from brokers",
				},
				BalancingTest: v1alpha1.BalancingTest{
					NatureOfData:           v1alpha1.NatureOfData{Description: "professional contact details and job title"},
					ReasonableExpectations: v1alpha1.ReasonableExpectations{ExistingRelationship: "none or met at a trade fair", Expected: true, Description: "people in these roles expect offers for their company"},
					LikelyImpact:           v1alpha1.LikelyImpact{Level: v1alpha1.ImpactLow, Description: "an unwanted but relevant business email or call"},
					Safeguards:             []string{"opt-out link in every message", "24-month retention after last contact", "no B2C contacts"},
					OptOutOffered:          true,
				},
				Scope: v1alpha1.LIAScope{
					ContactTypes:   []v1alpha1.ContactType{v1alpha1.ContactTypeB2B},
					JobRoles:       []string{"board", "purchasing", "sales", "technical-manager"},
					DataCategories: []string{"identity", "professional contact details", "job title and role"},
				},
				DPIAReference: "DPIA-2025-03",
				Decision: &v1alpha1.LIADecision{
					Outcome:   v1alpha1.OutcomeApproved,
					DecidedBy: "Markus Brandt, Managing Director, on the DPO's advice",
					DecidedAt: date(2025, 5, 2),
					ReviewBy:  date(2027, 5, 1),
					Rationale: "Low impact on people in roles that expect commercial contact, with opt-out and short retention",
				},
			},
		}},
		RetentionPolicies: []v1alpha1.RetentionPolicy{
			{
				ObjectMeta: meta("sales", "contacts"),
				Spec: v1alpha1.RetentionPolicySpec{
					DatabaseRef:           ref("crm"),
					ProcessingActivityRef: ref("b2b-prospecting"),
					Schedule:              "0 3 * * *",
					TimeZone:              "Europe/Berlin",
					Mode:                  v1alpha1.ModeEnforce,
					Rules: []v1alpha1.RetentionRule{
						{
							Name:      "prospects",
							Selector:  &v1alpha1.ContactSelector{MatchExpressions: []v1alpha1.FieldRequirement{{Field: v1alpha1.FieldLifecycleStage, Operator: v1alpha1.SelectorOpIn, Values: []string{"prospect"}}}},
							RetainFor: "24m",
							Since:     v1alpha1.SinceLastContact,
							RenewedBy: &v1alpha1.RenewalSpec{Kinds: []string{"call", "email", "meeting"}, Direction: v1alpha1.DirectionInbound},
							Action:    v1alpha1.ActionDelete,
						},
						{
							Name:      "customers",
							Selector:  &v1alpha1.ContactSelector{MatchExpressions: []v1alpha1.FieldRequirement{{Field: v1alpha1.FieldLifecycleStage, Operator: v1alpha1.SelectorOpIn, Values: []string{"customer", "former-customer"}}}},
							RetainFor: "10y",
							Since:     v1alpha1.SinceCreated,
							Action:    v1alpha1.ActionAnonymize,
							Anonymize: []v1alpha1.AnonymizeField{{Field: v1alpha1.FieldEmail, Strategy: v1alpha1.StrategyNull}, {Field: v1alpha1.FieldLastName, Strategy: v1alpha1.StrategyRedact}},
						},
					},
					LegalHolds: []v1alpha1.LegalHold{{
						Name:     "dispute-2026-014",
						Reason:   "customer dispute, court case 3 O 214/26",
						Selector: v1alpha1.ContactSelector{MatchExpressions: []v1alpha1.FieldRequirement{{Field: v1alpha1.FieldCompany, Operator: v1alpha1.SelectorOpIn, Values: []string{"Contoso AG"}}}},
					}},
					Approval: &v1alpha1.RetentionApproval{ApprovedBy: "DPO", ApprovedAt: date(2026, 11, 1), MaxDeletions: 5000},
				},
				Status: v1alpha1.RetentionPolicyStatus{ObservedGeneration: 4},
			},
			{
				ObjectMeta: meta("marketing", "subscribers"),
				Spec: v1alpha1.RetentionPolicySpec{
					DatabaseRef:           ref("crm"),
					ProcessingActivityRef: ref("newsletter"),
					Schedule:              "@weekly",
					Mode:                  v1alpha1.ModeDryRun,
					Rules: []v1alpha1.RetentionRule{{
						Name:      "inactive-subscribers",
						RetainFor: "24m",
						Action:    v1alpha1.ActionDelete,
					}},
				},
			},
		},
		AccessRoles: []v1alpha1.AccessRole{{
			ObjectMeta: meta("sales", "sales-reps"),
			Spec: v1alpha1.AccessRoleSpec{
				DatabaseRef:           ref("crm"),
				RoleName:              "crm_sales",
				ProcessingActivityRef: ref("b2b-prospecting"),
				Grants: []v1alpha1.TableGrant{
					{Table: "contacts", Privileges: []v1alpha1.Privilege{v1alpha1.PrivilegeSelect, v1alpha1.PrivilegeUpdate}, Columns: []v1alpha1.SQLIdentifier{"first_name", "last_name", "email", "phone", "company", "job_role"}},
					{Table: "interactions", Privileges: []v1alpha1.Privilege{v1alpha1.PrivilegeSelect, v1alpha1.PrivilegeInsert}},
				},
				RowFilter: &v1alpha1.ContactSelector{MatchExpressions: []v1alpha1.FieldRequirement{{Field: v1alpha1.FieldContactType, Operator: v1alpha1.SelectorOpIn, Values: []string{"B2B"}}}},
				Members: []v1alpha1.RoleMember{
					{
						User:              "asmith",
						PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "asmith-db", Key: "password"},
						Designation: &v1alpha1.Designation{
							DesignatedBy: "Head of Sales",
							DesignatedAt: date(2026, 1, 12),
							InstructedAt: date(2026, 1, 14),
							ValidUntil:   timePtr(date(2026, 12, 31)),
							DocumentURI:  "https://hr.northwind.example/designations/asmith",
						},
					},
					{User: "jdoe"},
				},
				ReclaimPolicy: v1alpha1.ReclaimRetain,
			},
		}},
		CRMDatabases: []v1alpha1.CRMDatabase{{
			ObjectMeta: meta("sales", "crm"),
			Spec: v1alpha1.CRMDatabaseSpec{
				Engine:     v1alpha1.EnginePostgres,
				Connection: v1alpha1.ConnectionSpec{SecretRef: v1alpha1.SecretReference{Name: "crm-db"}, MaxOpenConns: func() *int32 { n := int32(8); return &n }()},
				Preset:     v1alpha1.PresetGeneric,
				Mapping: &v1alpha1.SchemaMapping{
					Fields: []v1alpha1.FieldMapping{
						{Name: v1alpha1.FieldJobRole, Column: "job_role"},
						{Name: v1alpha1.FieldContactType, Column: "contact_type"},
					},
					PersonalFields:   []v1alpha1.LogicalFieldName{v1alpha1.FieldEmail, v1alpha1.FieldFirstName, v1alpha1.FieldLastName, v1alpha1.FieldPhone},
					RestrictedFields: []v1alpha1.RestrictedField{{Name: v1alpha1.FieldBirthDate, Column: "birthdate"}, {Name: "personalPhone", Column: "phone_home"}},
				},
				Ledger: &v1alpha1.LedgerSpec{HMACKeySecretRef: &v1alpha1.SecretKeySelector{Name: "crm-ledger", Key: "key"}},
			},
		}},
	}
}

// fixture returns the fixture's document and the header of the revision that holds it.
func fixture(t testing.TB) (*Document, RevisionInfo) {
	t.Helper()
	doc, err := FromObjects(fixtureObjects())
	if err != nil {
		t.Fatal(err)
	}
	hash, err := Hash(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, RevisionInfo{
		Number:         7,
		CreatedAt:      fixtureCreatedAt,
		SourceRevision: SourceRevision(doc, nil),
		ContentHash:    hash,
		PreviousHash:   "5d41402abc4b2a76b9719d911017c592ae1f5b2e8d0c4e6f7a8b9c0d1e2f3a4b",
	}
}
