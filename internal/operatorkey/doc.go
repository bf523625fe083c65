// Package operatorkey loads the operator's own secret: a key that only the operator holds,
// kept in a Secret of the manager's namespace and created with random bytes at the first
// start. Keys derived from it (internal/crm, keys.go) authenticate the rows the operator
// keeps in CRM databases, which CRM users and tenants can reach but cannot forge.
package operatorkey
