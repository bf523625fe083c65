// Package mapping is the driver-free half of the CRM layer: the Mapping that says where a
// CRM keeps the logical fields of a contact (contacts table and key, an optional 1:1
// extension table, interaction and dependent tables, personal and restricted fields), the
// presets for known schemas ("generic", "suitecrm") and Resolve, which merges an explicit
// mapping over a preset field by field.
//
// It imports no SQL driver and no Kubernetes package, so that a program that only reads
// mappings (the kubectl plugin) links neither. Checking a mapping against a real catalog
// (Validate, ResolveFor) needs a database and stays in internal/crm, which aliases these
// types. Converting a CRMDatabase's spec.mapping into a Mapping is internal/apimapping's
// job.
package mapping
