// Package subject is the driver-free half of data-subject requests: what the operator
// knows and says about one person without touching a database. It imports no SQL driver
// and no Kubernetes package, so that the kubectl plugin and the controllers can use it as
// well as internal/crm/dsr, which does the SQL.
//
// It owns:
//
//   - the identity: NormalizeIdentity turns the identity a request names (an email
//     address, or another mapped logical field) into the form the database is searched
//     with, and IdentityHash into the keyed hash that status and events may carry instead
//     of the identity itself;
//   - the export of an Access request (Art. 15): Document, one Export per CRM database
//     (every row the mapping relates to the person, values as text or null, in a
//     deterministic order), the register facts the controller adds (Activity), its JSON
//     form for machines (Document.JSON, ParseDocument) and a readable Markdown document
//     for the person (RenderMarkdown).
//
// Nothing here logs: a Document is personal data and goes only to the Secret the request
// owns.
package subject
