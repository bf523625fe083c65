// Package scan is the compliance scan of a ProcessingActivity: one query per scan that
// counts, among the contacts a selector puts in scope, those that fail each GDPR check
// (no legal basis, consent without evidence, legitimate interests outside the LIA's scope,
// opted out, restricted fields filled in). Compliance takes a *crm.Database and a
// resolved mapping; checks whose fields the mapping lacks are reported as not checkable.
//
// It returns counts only, never a contact: the ProcessingActivity controller writes them
// to status.compliance and to metrics.
package scan
