package crm

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
)

// Preset names (see internal/crm/mapping).
const (
	PresetNone     = mapping.PresetNone
	PresetGeneric  = mapping.PresetGeneric
	PresetSuiteCRM = mapping.PresetSuiteCRM
	PresetOdoo     = mapping.PresetOdoo
	PresetDolibarr = mapping.PresetDolibarr
	PresetEspoCRM  = mapping.PresetEspoCRM
	PresetVtiger   = mapping.PresetVtiger
)

// Presets returns the names of the known presets, sorted.
func Presets() []string { return mapping.Presets() }

// Preset returns the mapping of a named preset (a fresh copy).
func Preset(name string) (Mapping, bool) { return mapping.Preset(name) }

// Resolve merges an explicit mapping over a preset, field by field (see mapping.Resolve).
func Resolve(presetName string, overrides Mapping) (Mapping, error) {
	return mapping.Resolve(presetName, overrides)
}

// ResolveFor is Resolve, then adapts the preset to the database: a preset field that the
// explicit mapping does not set, and whose column is missing where the preset expects it,
// is moved to the first alternative place where the column exists (SuiteCRM's GDPR fields
// are in contacts since 7.10, in contacts_cstm in older installations), and an optional
// preset field (one some releases of the CRM lack, see mapping.Optional) is unmapped, and
// dropped from personalFields, when its column is missing. Other fields found nowhere are
// left as they are, for Validate to report. Errors are database errors only.
func ResolveFor(ctx context.Context, db *Database, presetName string, overrides Mapping) (Mapping, error) {
	m, err := Resolve(presetName, overrides)
	if err != nil {
		return Mapping{}, err
	}
	alternatives := mapping.Alternatives(presetName)
	optional := mapping.Optional(presetName)
	if len(alternatives) == 0 && len(optional) == 0 {
		return m, nil
	}
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	cat := newCatalog(db)
	wrap := func(name string, err error) error {
		return db.Scrub(fmt.Errorf("while looking for field %s of preset %s in the %s: %w", name, presetName, db.target, err))
	}
	for _, name := range sortedKeys(alternatives) {
		f, adapt := presetField(m, overrides, name)
		if !adapt {
			continue
		}
		chosen, err := firstExisting(ctx, cat, m, append([]Field{f}, alternatives[name]...))
		if err != nil {
			return Mapping{}, wrap(name, err)
		}
		m.Fields[name] = chosen
	}
	for _, name := range optional {
		f, adapt := presetField(m, overrides, name)
		if !adapt {
			continue
		}
		found, err := columnExists(ctx, cat, m, f)
		if err != nil {
			return Mapping{}, wrap(name, err)
		}
		if !found {
			unmapField(&m, name)
		}
	}
	return m, nil
}

// presetField returns a field the preset maps and the explicit mapping leaves alone: the
// only ones ResolveFor adapts.
func presetField(m, overrides Mapping, name string) (Field, bool) {
	if _, explicit := overrides.Fields[name]; explicit {
		return Field{}, false
	}
	f, mapped := m.Fields[name]
	return f, mapped
}

// unmapField removes a field from the mapping and from its personal fields.
func unmapField(m *Mapping, name string) {
	delete(m.Fields, name)
	kept := m.PersonalFields[:0]
	for _, p := range m.PersonalFields {
		if p != name {
			kept = append(kept, p)
		}
	}
	m.PersonalFields = kept
}

// firstExisting returns the first candidate whose column exists, or the first candidate.
func firstExisting(ctx context.Context, cat *catalog, m Mapping, candidates []Field) (Field, error) {
	for _, c := range candidates {
		found, err := columnExists(ctx, cat, m, c)
		if err != nil {
			return Field{}, err
		}
		if found {
			return c, nil
		}
	}
	return candidates[0], nil
}

// columnExists says whether a field's column exists in the table its source names (false
// when that table is missing or not a valid name).
func columnExists(ctx context.Context, cat *catalog, m Mapping, f Field) (bool, error) {
	table := m.SourceTable(f.Source)
	if table == "" {
		return false, nil
	}
	tbl, err := cat.table(ctx, table)
	if errors.Is(err, ErrTableNotFound) || errors.As(err, new(*InvalidIdentError)) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, ok := tbl.Column(cat.db.dialect, f.Column)
	return ok, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
