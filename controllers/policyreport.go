package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// PolicyReportGVK is the kind the operator writes compliance findings as, when
// --policy-reports is set and the API is installed: the wg-policy PolicyReport
// (wgpolicyk8s.io/v1alpha2), which Kyverno and Policy Reporter install and display.
var PolicyReportGVK = schema.GroupVersionKind{Group: "wgpolicyk8s.io", Version: "v1alpha2", Kind: "PolicyReport"}

// Names in the PolicyReports the operator writes. Each ProcessingActivity has one report, in
// its namespace, whose scope is the activity and which the activity owns.
const (
	// PolicyReportSource is the results' source.
	PolicyReportSource = "crm-privacy-operator"
	// PolicyReportNamePrefix starts the name of an activity's report.
	PolicyReportNamePrefix = "crm-privacy-"
	// PolicyComplianceScan is the policy of the compliance scan's results: one per database
	// and check (rule = the check, for example noLegalBasis).
	PolicyComplianceScan = "gdpr-contact-compliance"
	// PolicyRecord is the policy of the findings about the activity's declaration
	// (status.findings; rule = the finding's code).
	PolicyRecord = "gdpr-record-of-processing"
)

// Results of a PolicyReport (wgpolicyk8s.io/v1alpha2).
const (
	reportPass  = "pass"
	reportFail  = "fail"
	reportWarn  = "warn"
	reportError = "error"
	reportSkip  = "skip"
)

// checkSeverity is the severity of each check of the compliance scan: contacts processed
// without a basis, outside the LIA's scope or after an objection are the serious ones.
var checkSeverity = map[privacyv1alpha1.ComplianceCheck]string{
	privacyv1alpha1.CheckNoLegalBasis:                 "high",
	privacyv1alpha1.CheckConsentWithoutEvidence:       "medium",
	privacyv1alpha1.CheckLegitimateInterestOutOfScope: "high",
	privacyv1alpha1.CheckOptedOutInScope:              "high",
	privacyv1alpha1.CheckRestrictedFieldsFilled:       "medium",
}

// findingSeverity maps a declaration finding's severity to a report result and severity.
var findingSeverity = map[privacyv1alpha1.FindingSeverity]struct{ result, severity string }{
	privacyv1alpha1.SeverityViolation: {reportFail, "high"},
	privacyv1alpha1.SeverityWarning:   {reportWarn, "medium"},
	privacyv1alpha1.SeverityInfo:      {reportSkip, "info"},
}

// policyReportName is the name of an activity's report: the prefix and the activity's name,
// shortened with a hash of it when that would be too long for a name.
func policyReportName(activity string) string {
	name := PolicyReportNamePrefix + activity
	if len(name) <= 253 {
		return name
	}
	sum := sha256.Sum256([]byte(activity))
	return name[:253-17] + "-" + hex.EncodeToString(sum[:8])
}

// policyReportFor builds the PolicyReport of an activity from its status: counts, check
// names, reason codes and the declaration findings' messages, never a contact.
func policyReportFor(pa *privacyv1alpha1.ProcessingActivity) *unstructured.Unstructured {
	var results []any
	for i := range pa.Status.Compliance {
		results = append(results, complianceResults(&pa.Status.Compliance[i])...)
	}
	for _, f := range pa.Status.Findings {
		results = append(results, findingResult(f))
	}
	summary := map[string]any{reportPass: int64(0), reportFail: int64(0), reportWarn: int64(0), reportError: int64(0), reportSkip: int64(0)}
	for _, r := range results {
		res := r.(map[string]any)["result"].(string)
		summary[res] = summary[res].(int64) + 1
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"scope": map[string]any{
			"apiVersion": privacyv1alpha1.GroupVersion.String(), "kind": "ProcessingActivity",
			"namespace": pa.Namespace, "name": pa.Name, "uid": string(pa.UID),
		},
		"summary": summary,
	}}
	if results != nil {
		u.Object["results"] = results
	}
	u.SetGroupVersionKind(PolicyReportGVK)
	u.SetNamespace(pa.Namespace)
	u.SetName(policyReportName(pa.Name))
	u.SetLabels(map[string]string{"app.kubernetes.io/managed-by": PolicyReportSource})
	isController := true
	u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: privacyv1alpha1.GroupVersion.String(), Kind: "ProcessingActivity",
		Name: pa.Name, UID: pa.UID, Controller: &isController}})
	return u
}

// complianceResults gives one result per check of a database's compliance scan: pass with
// no contact breaking it, fail with some (the count in the message and properties), warn
// when the mapping lacks a field the check needs, error when the database was not scanned,
// skip when the check does not apply.
func complianceResults(c *privacyv1alpha1.DatabaseCompliance) []any {
	var out []any
	for _, check := range privacyv1alpha1.ComplianceChecks() {
		props := map[string]any{"database": string(c.Database)}
		if c.ContactsInScope != nil {
			props["contactsInScope"] = strconv.FormatInt(*c.ContactsInScope, 10)
		}
		r := map[string]any{"source": PolicyReportSource, "policy": PolicyComplianceScan, "rule": string(check),
			"category": "GDPR compliance scan", "severity": checkSeverity[check], "scored": true, "properties": props}
		if c.ScannedAt != nil {
			r["timestamp"] = map[string]any{"seconds": c.ScannedAt.Unix(), "nanos": int64(0)}
		}
		if n := c.Count(check); n != nil {
			props["contacts"] = strconv.FormatInt(*n, 10)
			r["result"], r["message"] = reportPass, fmt.Sprintf("no contact in scope on database %s breaks %s", c.Database, check)
			if *n > 0 {
				r["result"], r["message"] = reportFail, fmt.Sprintf("%d contact(s) in scope on database %s break %s; kubectl gdpr scan lists the counts", *n, c.Database, check)
			}
			out = append(out, r)
			continue
		}
		reason, ok := uncheckedReason(c, check)
		if !ok {
			continue
		}
		props["reason"] = string(reason)
		switch reason {
		case privacyv1alpha1.UncheckedNotApplicable:
			r["result"], r["message"] = reportSkip, fmt.Sprintf("%s does not apply to this activity", check)
		case privacyv1alpha1.UncheckedNotMapped:
			r["result"], r["message"] = reportWarn, fmt.Sprintf("%s cannot run on database %s: its mapping lacks a field the check needs", check, c.Database)
		default:
			why := c.Reason
			if why == "" {
				why = "not scanned yet"
			}
			r["result"], r["message"] = reportError, fmt.Sprintf("database %s was not scanned (%s): %s has no count", c.Database, why, check)
		}
		out = append(out, r)
	}
	return out
}

// uncheckedReason is why a check has no count on a database.
func uncheckedReason(c *privacyv1alpha1.DatabaseCompliance, check privacyv1alpha1.ComplianceCheck) (privacyv1alpha1.UncheckedReason, bool) {
	for _, u := range c.Unchecked {
		if u.Check == check {
			return u.Reason, true
		}
	}
	return "", false
}

// findingResult gives the result of a finding about the activity's declaration.
func findingResult(f privacyv1alpha1.Finding) map[string]any {
	s := findingSeverity[f.Severity]
	r := map[string]any{"source": PolicyReportSource, "policy": PolicyRecord, "rule": f.Code,
		"category": "GDPR record of processing (Art. 30)", "result": s.result, "severity": s.severity,
		"scored": true, "message": f.Message}
	if f.Field != "" {
		r["properties"] = map[string]any{"field": f.Field}
	}
	return r
}
