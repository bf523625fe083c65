// Package agreement is the dataset of the selector agreement tests: one table of contacts
// whose flag, text and number columns hold the awkward values (" true", "TRUE ", 2, -1,
// "", NULL, text in a number column on SQLite), the selectors compared over it and the
// selectors every part must refuse. The erasure plan, the compliance scan, the row filter
// and the compiled WHERE each check, in their own package, that they select exactly what
// the reference evaluator (selector.Evaluate) selects over the values as the database
// stores them; agreeing with the same reference, they agree with each other.
//
// It imports no part of internal/crm but the driver-free mapping and selector packages, so
// that the tests of every CRM package can use it.
package agreement
