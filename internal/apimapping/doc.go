// Package apimapping converts the Kubernetes API's description of a CRM schema (a
// CRMDatabase's spec.mapping) into the CRM layer's Mapping (internal/crm/mapping). It is
// the only such conversion: the operator validates, scans and erases with the mapping it
// returns, and the kubectl plugin audits access with the same one, so the two cannot
// disagree on where personal data lives. It links no SQL driver.
package apimapping
