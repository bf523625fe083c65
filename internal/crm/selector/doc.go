// Package selector is the one place where a contact selector becomes SQL. Retention rules
// and legal holds (the erasure plan and sweep), the contact selector of a processing
// activity (the compliance scan) and the row filter of an access role (PostgreSQL
// row-level security) all compile here, so that the same YAML selects the same contacts
// in a plan, a scan and a row filter, on every engine.
//
// It owns:
//   - the grammar of a selector's values, per kind of field: text, flag, number, time
//     (KindFor gives a field's kind from its name and its column's type);
//   - the truthiness of a flag column, once per engine and column type (Compiler.Truthy);
//   - the rendering, with bound parameters ("?" markers and arguments) or, for
//     PostgreSQL policy DDL, with SQL literals (Mode);
//   - the one error type, *Error, naming the field of the spec at fault;
//   - Evaluate, the reference evaluator: the same semantics in Go, over a row's values,
//     against which the SQL is tested.
//
// It builds SQL text but runs none and imports no driver: the caller resolves logical
// fields to quoted, qualified columns with their type (internal/crm reads the catalog)
// and runs the statement. The grammar is documented for users in docs/concepts.md
// ("Selectors").
package selector
