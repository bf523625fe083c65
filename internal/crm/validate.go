package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// Validate checks a mapping against the database's catalog and returns every problem
// found, each with the mapping path to fix: invalid or missing settings (Mapping.Check),
// tables and columns that do not exist, columns whose type does not fit the field's role,
// keys that are not unique, references whose type cannot be joined to the contact key,
// nullify on a NOT NULL column. It never stops at the first problem. The error is for
// database failures only: a mapping with problems returns them and a nil error.
func Validate(ctx context.Context, db *Database, m Mapping) ([]Problem, error) {
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	v := &validator{db: db, cat: newCatalog(db), m: m, ps: problemList(Check(m))}
	steps := []func(context.Context) error{
		v.checkContacts, v.checkExtension, v.checkRelated, v.checkContactsSoftDelete, v.checkFields, v.checkInteractions, v.checkDependents, v.checkRestricted,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, db.Scrub(fmt.Errorf("while checking the mapping against the %s: %w", db.target, err))
		}
	}
	return []Problem(v.ps), nil
}

// validator holds the state of one Validate call.
type validator struct {
	db  *Database
	cat *catalog
	m   Mapping
	ps  problemList

	contacts   *Table            // nil when the contacts table is unusable
	extension  *Table            // nil when there is none or it is unusable
	related    map[string]*Table // usable related tables by mapping name
	contactKey *Column           // nil when the contact key is unusable
}

func (v *validator) engine() Engine { return v.db.dialect.Engine() }

func (v *validator) checkContacts(ctx context.Context) error {
	c := v.m.Contacts
	tbl, err := v.table(ctx, pathContacts("table"), c.Table)
	if err != nil || tbl == nil {
		return err
	}
	v.contacts = tbl
	v.contactKey = v.column(pathContacts("key"), tbl, c.Key, RoleKey, "the contact key")
	if v.contactKey != nil {
		if err := v.requireUnique(ctx, pathContacts("key"), tbl, v.contactKey.Name, "the contact key identifies one contact"); err != nil {
			return err
		}
	}
	if c.SoftDeleteRelated == "" {
		v.column(pathContacts("softDeleteColumn"), tbl, c.SoftDeleteColumn, RoleSoftDelete, "the soft-delete marker")
	}
	return nil
}

func (v *validator) checkExtension(ctx context.Context) error {
	ext := v.m.Extension
	if ext == nil {
		return nil
	}
	tbl, err := v.table(ctx, pathExtension("table"), ext.Table)
	if err != nil || tbl == nil {
		return err
	}
	v.extension = tbl
	key := v.reference(pathExtension("key"), tbl, ext.Key)
	if key == nil {
		return nil
	}
	return v.requireUnique(ctx, pathExtension("key"), tbl, key.Name, "the extension table is 1:1 with contacts")
}

func (v *validator) checkFields(context.Context) error {
	for _, name := range v.m.FieldNames() {
		f := v.m.Fields[name]
		if !fieldNameRE.MatchString(name) {
			continue
		}
		tbl := v.sourceTable(f.Source, f.Related)
		if tbl == nil {
			continue
		}
		v.column(PathField(name, "column"), tbl, f.Column, FieldRole(name), "field "+name)
	}
	return nil
}

func (v *validator) checkInteractions(ctx context.Context) error {
	for i, ia := range v.m.Interactions {
		path := func(leaf string) string { return pathInteraction(i, ia, leaf) }
		tbl, err := v.table(ctx, path("table"), ia.Table)
		if err != nil {
			return err
		}
		if tbl == nil {
			continue
		}
		key := v.column(path("key"), tbl, ia.Key, RoleKey, "the interaction key")
		if ia.Link == nil {
			v.interactionReference(path("contactKey"), tbl, ia.ContactKey, ia.Related)
		}
		v.column(path("time"), tbl, ia.Time, RoleTime, "the interaction time")
		v.column(path("kind"), tbl, ia.Kind, RoleCategory, "the interaction kind")
		v.column(path("direction"), tbl, ia.Direction, RoleCategory, "the interaction direction")
		if ia.SoftDeleteTable == "" {
			v.column(path("softDeleteColumn"), tbl, ia.SoftDeleteColumn, RoleSoftDelete, "the soft-delete marker")
		} else if err := v.checkInteractionSoftDeleteTable(ctx, i, ia, key); err != nil {
			return err
		}
		if err := v.matches(ctx, path("match"), tbl, ia.Match); err != nil {
			return err
		}
		if ia.Link != nil {
			if err := v.checkLink(ctx, i, ia, key); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkInteractionSoftDeleteTable checks the base table holding an interaction's
// soft-delete flag: it exists, its key column joins to the interaction key, and the flag
// is a flag or a time.
func (v *validator) checkInteractionSoftDeleteTable(ctx context.Context, i int, ia Interaction, interactionKey *Column) error {
	path := func(leaf string) string { return pathInteraction(i, ia, leaf) }
	tbl, err := v.table(ctx, path("softDeleteTable"), ia.SoftDeleteTable)
	if err != nil || tbl == nil {
		return err
	}
	col := v.column(path("softDeleteKey"), tbl, ia.SoftDeleteKey, RoleKey, "the interaction key in the soft-delete table")
	if col != nil && interactionKey != nil && !referenceCompatible(v.engine(), interactionKey.Class, col.Class) {
		v.ps.add(path("softDeleteKey"), "column %s.%s has type %s, but the interaction key %s.%s is %s: the types must match to join them",
			tbl.Name, col.Name, col.DataType, ia.Table, interactionKey.Name, interactionKey.DataType)
	}
	v.column(path("softDeleteColumn"), tbl, ia.SoftDeleteColumn, RoleSoftDelete, "the soft-delete marker")
	return nil
}

func (v *validator) checkLink(ctx context.Context, i int, ia Interaction, interactionKey *Column) error {
	path := func(leaf string) string { return pathInteraction(i, ia, leaf) }
	tbl, err := v.table(ctx, path("link.table"), ia.Link.Table)
	if err != nil || tbl == nil {
		return err
	}
	col := v.column(path("link.interactionKey"), tbl, ia.Link.InteractionKey, RoleKey, "the link to the interaction")
	if col != nil && interactionKey != nil && !referenceCompatible(v.engine(), interactionKey.Class, col.Class) {
		v.ps.add(path("link.interactionKey"), "column %s.%s has type %s, but the interaction key %s.%s is %s: the types must match to join them",
			tbl.Name, col.Name, col.DataType, ia.Table, interactionKey.Name, interactionKey.DataType)
	}
	v.interactionReference(path("link.contactKey"), tbl, ia.Link.ContactKey, ia.Related)
	v.column(path("link.softDeleteColumn"), tbl, ia.Link.SoftDeleteColumn, RoleSoftDelete, "the soft-delete marker")
	if err := v.matches(ctx, path("link.match"), tbl, ia.Link.Match); err != nil {
		return err
	}
	return nil
}

func (v *validator) checkDependents(ctx context.Context) error {
	for i, d := range v.m.Dependents {
		tbl, err := v.table(ctx, pathDependent(i, "table"), d.Table)
		if err != nil {
			return err
		}
		if tbl == nil {
			continue
		}
		col := v.reference(pathDependent(i, "column"), tbl, d.Column)
		if err := v.matches(ctx, pathDependent(i, "match"), tbl, d.Match); err != nil {
			return err
		}
		if col != nil && d.Action.Normal() == ActionNullify && !col.Nullable {
			v.ps.add(pathDependent(i, "action"), "nullify needs a nullable column, but %s.%s is NOT NULL: use delete, hold (its contacts are then kept), or allow NULL in the column",
				tbl.Name, col.Name)
		}
	}
	return nil
}

func (v *validator) checkRestricted(context.Context) error {
	for i, r := range v.m.RestrictedFields {
		tbl := v.sourceTable(r.Source, r.Related)
		if tbl == nil {
			continue
		}
		v.column(PathRestricted(i, r, "column"), tbl, r.Column, RoleAny, "restricted field "+r.Name)
	}
	return nil
}

// sourceTable returns the table of a field source, nil when it is unusable (its problem
// is reported on the table itself).
func (v *validator) sourceTable(s Source, related string) *Table {
	switch s.Normal() {
	case SourceRelated:
		return v.related[related]
	case SourceContacts:
		return v.contacts
	case SourceExtension:
		return v.extension
	}
	return nil
}

// table looks a table up; a missing table is reported at path and gives nil. Invalid names
// were reported by Check and give nil silently.
func (v *validator) table(ctx context.Context, path, name string) (*Table, error) {
	if _, err := ParseIdent(name); err != nil {
		return nil, nil
	}
	tbl, err := v.cat.table(ctx, name)
	if err == nil {
		return tbl, nil
	}
	if !errors.Is(err, ErrTableNotFound) {
		return nil, err
	}
	names, err := v.cat.tableNames(ctx)
	if err != nil {
		return nil, err
	}
	v.ps.addKind(Problem{Field: path, Kind: mapping.ProblemMissingTable, Table: name},
		"table %s does not exist %s%s", name, v.where(), suggest(v.db.dialect, name, names))
	return nil, nil
}

// where says where tables are looked for, for a "does not exist" message.
func (v *validator) where() string {
	switch v.engine() {
	case EnginePostgres:
		return "in the schemas of the connection's search_path (set the schema in the connection settings if it is elsewhere)"
	case EngineMySQL:
		return "in the connection's database"
	}
	return "in the SQLite database file"
}

// column looks a column up and checks its type fits role; problems are reported at path.
// It returns nil when the column is unusable (or name is empty or invalid).
func (v *validator) column(path string, tbl *Table, name string, role Role, what string) *Column {
	if _, err := ParseIdent(name); err != nil {
		return nil
	}
	col, ok := tbl.Column(v.db.dialect, name)
	if !ok {
		v.ps.addKind(Problem{Field: path, Kind: mapping.ProblemMissingColumn, Table: tbl.Name, Column: name},
			"column %s does not exist in table %s%s", name, tbl.Name, suggest(v.db.dialect, name, tbl.ColumnNames()))
		return nil
	}
	if !role.Accepts(col.Class) {
		v.ps.addKind(Problem{Field: path, Kind: mapping.ProblemWrongType, Table: tbl.Name, Column: col.Name, ActualType: col.DataType, Expected: role.Expectation(v.engine())},
			"column %s.%s has type %s, but %s needs %s", tbl.Name, col.Name, col.DataType, what, role.Expectation(v.engine()))
		return nil
	}
	return &col
}

// reference checks a column that holds contact keys: a key-typed column whose type can be
// joined to the contact key's.
func (v *validator) reference(path string, tbl *Table, name string) *Column {
	col := v.column(path, tbl, name, RoleKey, "a reference to the contact key")
	if col == nil || v.contactKey == nil {
		return col
	}
	if !referenceCompatible(v.engine(), v.contactKey.Class, col.Class) {
		v.ps.add(path, "column %s.%s has type %s, but the contact key %s.%s is %s: a column referencing contacts must have a type that joins to the key without a cast",
			tbl.Name, col.Name, col.DataType, v.contacts.Name, v.contactKey.Name, v.contactKey.DataType)
		return nil
	}
	return col
}

// requireUnique reports at path when column is not unique in tbl.
func (v *validator) requireUnique(ctx context.Context, path string, tbl *Table, column, why string) error {
	keys, err := v.cat.uniqueKeys(ctx, tbl.Name)
	if err != nil {
		return err
	}
	if coveredByUniqueKey(v.db.dialect, keys, []string{column}) {
		return nil
	}
	fix := "declare it PRIMARY KEY or add a UNIQUE constraint or index on it"
	if tbl.View {
		fix = "a view cannot guarantee uniqueness: map the underlying table instead"
	}
	v.ps.addKind(Problem{Field: path, Kind: mapping.ProblemNotUnique, Table: tbl.Name, Column: column},
		"column %s is not unique in table %s, but %s: %s", column, tbl.Name, why, fix)
	return nil
}

// catalog caches what one check reads from the database.
type catalog struct {
	db     *Database
	tables map[string]tableResult
	keys   map[string][][]string
	names  []string
	listed bool
}

type tableResult struct {
	tbl *Table
	err error
}

func newCatalog(db *Database) *catalog {
	return &catalog{db: db, tables: map[string]tableResult{}, keys: map[string][][]string{}}
}

func (c *catalog) table(ctx context.Context, name string) (*Table, error) {
	if r, ok := c.tables[name]; ok {
		return r.tbl, r.err
	}
	tbl, err := c.db.dialect.DescribeTable(ctx, c.db.db, name)
	if err == nil || errors.Is(err, ErrTableNotFound) {
		c.tables[name] = tableResult{tbl, err}
	}
	return tbl, err
}

func (c *catalog) uniqueKeys(ctx context.Context, table string) ([][]string, error) {
	if k, ok := c.keys[table]; ok {
		return k, nil
	}
	k, err := c.db.dialect.UniqueKeys(ctx, c.db.db, table)
	if err != nil {
		return nil, err
	}
	c.keys[table] = k
	return k, nil
}

func (c *catalog) tableNames(ctx context.Context) ([]string, error) {
	if c.listed {
		return c.names, nil
	}
	names, err := c.db.dialect.Tables(ctx, c.db.db)
	if err != nil {
		return nil, err
	}
	c.names, c.listed = names, true
	return names, nil
}

// suggest returns " (did you mean x?)" for the candidate closest to name, if one is close.
func suggest(d Dialect, name string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			if d.IdentsCaseSensitive() {
				return fmt.Sprintf(" (did you mean %s? names are case-sensitive on %s)", c, d.Engine())
			}
			return fmt.Sprintf(" (did you mean %s?)", c)
		}
		dist := levenshtein(strings.ToLower(name), strings.ToLower(c))
		if bestDist < 0 || dist < bestDist || (dist == bestDist && c < best) {
			best, bestDist = c, dist
		}
	}
	if bestDist < 0 || bestDist > max(2, len(name)/4) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// levenshtein is the edit distance between two ASCII strings.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
