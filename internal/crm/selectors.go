package crm

import (
	"context"
	"fmt"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/selector"
)

// Selectors compile to SQL in one place, internal/crm/selector; these are its types as
// this package and its callers name them.
type (
	// Requirement is one condition on a logical field of a contact.
	Requirement = selector.Requirement
	// Selector is a conjunction of requirements; an empty selector matches every contact.
	Selector = selector.Selector
	// SelectorError is a selector, rule or hold that cannot be turned into SQL: an
	// unmapped field, an unknown operator, a value that does not fit the field, a
	// reference time that cannot be known. Nothing is selected, nothing erased.
	SelectorError = selector.Error
	// ScanRequirement is a Requirement (the compliance scan's former name for it).
	ScanRequirement = selector.Requirement
	// UnmappedFieldError is a SelectorError (the compliance scan's former name for it).
	UnmappedFieldError = selector.Error
	// InvalidSelectorError is a SelectorError (the compliance scan's former name for it).
	InvalidSelectorError = selector.Error
)

// Selector operators, as in the API.
const (
	OpIn           = selector.OpIn
	OpNotIn        = selector.OpNotIn
	OpExists       = selector.OpExists
	OpDoesNotExist = selector.OpDoesNotExist
)

// FieldResolver resolves logical fields to the selector compiler's columns: quoted,
// qualified by the alias of their table, with their kind and the type class the catalog
// gives. Tables are read once.
type FieldResolver struct {
	d       Dialect
	q       Querier
	m       Mapping
	aliases map[Source]string // quoted alias of each source's table ("" for none)
	tables  map[string]*Table
	// UsesExt is set when a column of the extension table has been resolved.
	UsesExt bool
	cols    map[string]selector.Column
	errs    map[string]error
}

// NewFieldResolver returns a resolver for m that reads the catalog through q; the contacts
// and extension tables are referred to by the given (quoted) aliases.
func NewFieldResolver(d Dialect, q Querier, m Mapping, contactsAlias, extensionAlias string) *FieldResolver {
	return &FieldResolver{d: d, q: q, m: m, tables: map[string]*Table{},
		aliases: map[Source]string{SourceContacts: contactsAlias, SourceExtension: extensionAlias}}
}

// SetColumns gives the resolver the columns of the fields directly, without reading the
// catalog: for callers that know them already (the compiler's fuzz tests).
func (r *FieldResolver) SetColumns(cols map[string]selector.Column) {
	r.cols, r.errs = cols, map[string]error{}
}

// ShareTables makes the resolver read and cache table descriptions in tables, a cache the
// caller keeps too, so that each table is described once.
func (r *FieldResolver) ShareTables(tables map[string]*Table) { r.tables = tables }

func (r *FieldResolver) table(ctx context.Context, name string) (*Table, error) {
	if t, ok := r.tables[name]; ok {
		return t, nil
	}
	t, err := r.d.DescribeTable(ctx, r.q, name)
	if err != nil {
		return nil, fmt.Errorf("while reading the columns of table %s: %w", name, err)
	}
	r.tables[name] = t
	return t, nil
}

// Resolve returns the column of a field, quoted, qualified and typed. A field of a related
// table is the correlated subquery RelatedValueSQL renders; a flag read there is false
// when the contact has no related row.
func (r *FieldResolver) Resolve(ctx context.Context, field string, f Field) (selector.Column, Column, error) {
	src := f.Source.Normal()
	name := r.m.FieldTable(f)
	if name == "" {
		return selector.Column{}, Column{}, fmt.Errorf("field %s: source %s has no table in the mapping", field, src)
	}
	t, err := r.table(ctx, name)
	if err != nil {
		return selector.Column{}, Column{}, err
	}
	info, ok := t.Column(r.d, f.Column)
	if !ok {
		return selector.Column{}, Column{}, fmt.Errorf("field %s: column %s does not exist in table %s", field, f.Column, name)
	}
	st := selector.Storage(info.Class)
	kind := selector.KindFor(field, st)
	if src == SourceRelated {
		rel, _ := r.m.RelatedByName(f.Related)
		contacts := r.aliases[SourceContacts]
		if contacts == "" {
			if contacts, err = r.d.QuoteIdent(r.m.Contacts.Table); err != nil {
				return selector.Column{}, Column{}, err
			}
		}
		sql, err := RelatedValueSQL(ctx, r.d, r.table, r.m, rel, f.Column, contacts)
		if err != nil {
			return selector.Column{}, Column{}, fmt.Errorf("field %s: %w", field, err)
		}
		if kind == selector.KindFlag {
			sql = "COALESCE(" + sql + ", " + falseFor(r.d.Engine(), info.Class) + ")"
		}
		return selector.Column{SQL: sql, Kind: kind, Storage: st}, info, nil
	}
	quoted, err := r.d.QuoteIdent(f.Column)
	if err != nil {
		return selector.Column{}, Column{}, fmt.Errorf("field %s: %w", field, err)
	}
	if a := r.aliases[src]; a != "" {
		quoted = a + "." + quoted
	}
	if src == SourceExtension {
		r.UsesExt = true
	}
	return selector.Column{SQL: quoted, Kind: kind, Storage: st}, info, nil
}

// ResolveAll resolves every logical field the mapping names (mapped fields, then
// restricted fields not also mapped). A field whose column cannot be read keeps its
// error, returned when the field is used: the rest still compile.
func (r *FieldResolver) ResolveAll(ctx context.Context) error {
	r.cols, r.errs = map[string]selector.Column{}, map[string]error{}
	names := r.m.FieldNames()
	for _, rf := range r.m.RestrictedFields {
		names = append(names, rf.Name)
	}
	for _, name := range names {
		if _, done := r.cols[name]; done {
			continue
		}
		if _, done := r.errs[name]; done {
			continue
		}
		f, ok := r.m.Lookup(name)
		if !ok {
			continue
		}
		col, _, err := r.Resolve(ctx, name, f)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			r.errs[name] = err
			continue
		}
		r.cols[name] = col
	}
	return nil
}

// field returns a resolved logical field; ok is false when the mapping names it nowhere,
// err says why a named field's column could not be read.
func (r *FieldResolver) Field(name string) (col selector.Column, ok bool, err error) {
	if err := r.errs[name]; err != nil {
		return selector.Column{}, false, err
	}
	col, ok = r.cols[name]
	return col, ok, nil
}

// compiler returns the selector compiler over the resolved fields, and a function that
// returns the first column error met while compiling (which takes precedence over the
// compiler's own error: the field is mapped, its column could not be read).
func (r *FieldResolver) compiler(mode selector.Mode) (selector.Compiler, func() error) {
	var first error
	cols := func(name string) (selector.Column, bool) {
		col, ok, err := r.Field(name)
		if err != nil && first == nil {
			first = err
		}
		return col, ok
	}
	return selector.Compiler{Engine: selector.Engine(r.d.Engine()), Mode: mode, Columns: cols}, func() error { return first }
}

// Compile renders a selector with bound parameters into s.
func (r *FieldResolver) Compile(s *SQLText, path string, sel Selector) error {
	c, columnErr := r.compiler(selector.Bind)
	text, args, err := c.Compile(path, sel)
	if cerr := columnErr(); cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	s.W(text)
	s.Args = append(s.Args, args...)
	return nil
}

// Truthy renders "the flag field is set" (see selector.Compiler.Truthy); ok is false when
// the field is not mapped.
func (r *FieldResolver) Truthy(name string) (string, bool, error) {
	col, ok, err := r.Field(name)
	if err != nil || !ok {
		return "", false, err
	}
	c := selector.Compiler{Engine: selector.Engine(r.d.Engine())}
	return c.Truthy(col), true, nil
}
