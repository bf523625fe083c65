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
// are in contacts since 7.10, in contacts_cstm in older installations). Fields found
// nowhere are left as they are, for Validate to report. Errors are database errors only.
func ResolveFor(ctx context.Context, db *Database, presetName string, overrides Mapping) (Mapping, error) {
	m, err := Resolve(presetName, overrides)
	if err != nil {
		return Mapping{}, err
	}
	alternatives := mapping.Alternatives(presetName)
	if len(alternatives) == 0 {
		return m, nil
	}
	ctx, cancel := db.WithTimeout(ctx)
	defer cancel()
	cat := newCatalog(db)
	for _, name := range sortedKeys(alternatives) {
		if _, explicit := overrides.Fields[name]; explicit {
			continue
		}
		f, mapped := m.Fields[name]
		if !mapped {
			continue
		}
		chosen, err := firstExisting(ctx, cat, m, append([]Field{f}, alternatives[name]...))
		if err != nil {
			return Mapping{}, db.Scrub(fmt.Errorf("while looking for field %s of preset %s in the %s: %w", name, presetName, db.target, err))
		}
		m.Fields[name] = chosen
	}
	return m, nil
}

// firstExisting returns the first candidate whose column exists, or the first candidate.
func firstExisting(ctx context.Context, cat *catalog, m Mapping, candidates []Field) (Field, error) {
	for _, c := range candidates {
		table := m.SourceTable(c.Source)
		if table == "" {
			continue
		}
		tbl, err := cat.table(ctx, table)
		if errors.Is(err, ErrTableNotFound) || errors.As(err, new(*InvalidIdentError)) {
			continue
		}
		if err != nil {
			return Field{}, err
		}
		if _, ok := tbl.Column(cat.db.dialect, c.Column); ok {
			return c, nil
		}
	}
	return candidates[0], nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
