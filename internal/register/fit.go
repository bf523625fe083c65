package register

import (
	"fmt"
	"sort"
)

// MaxEntrySize is the most bytes of canonical JSON one object's spec may take in the
// register. A spec above it is recorded as a placeholder (see Fit): one namespace's oversized
// object must not keep the register of every other namespace from being recorded. Realistic
// entries take 1 to 5 KiB; the largest ProcessingActivity the CRD admits is far above.
const MaxEntrySize = 64 << 10

// ExcludedMember is the only member of a placeholder entry's spec. No kind has a spec field of
// this name, so a placeholder never passes for an object's content.
const ExcludedMember = "excludedFromRegister"

// ExclusionReason says why an object is recorded as a placeholder.
type ExclusionReason string

const (
	// EntryTooLarge: the object's spec takes more than MaxEntrySize bytes of canonical JSON.
	EntryTooLarge ExclusionReason = "EntryTooLarge"
	// RegisterFull: the whole register, once encoded, would exceed MaxSnapshotData; the
	// largest entries were replaced by placeholders, largest first, until it fits.
	RegisterFull ExclusionReason = "RegisterFull"
)

// Exclusion is an object the register records by kind, namespace, name and hash only.
type Exclusion struct {
	Key Key
	// Reason says which limit the object went over.
	Reason ExclusionReason
	// SpecBytes is the size of the object's canonical spec.
	SpecBytes int
	// SpecHash is the lowercase hex SHA-256 of the object's canonical spec.
	SpecHash string
}

// Limit is the limit in bytes that Reason names: MaxEntrySize for one entry, MaxSnapshotData
// for the encoded register.
func (e Exclusion) Limit() int {
	if e.Reason == RegisterFull {
		return MaxSnapshotData
	}
	return MaxEntrySize
}

// Fit bounds what each object contributes to the register, so that the snapshot always fits a
// RegisterRevision whatever one namespace declares. An entry whose canonical spec exceeds
// MaxEntrySize is replaced by a placeholder: same kind, namespace and name, and a spec holding
// only {"excludedFromRegister": {"reason", "specBytes", "specHash"}}. If the encoded document
// still exceeds MaxSnapshotData (many objects just under the limit), the largest remaining
// entries are replaced the same way, largest first (ties by key), until it fits. The result
// depends on the specs alone, so the same cluster always gives the same document and hash.
// Exclusions are returned sorted by key; the input document is not modified.
func Fit(doc *Document) (*Document, []Exclusion, error) {
	if doc == nil {
		return nil, nil, nil
	}
	out := &Document{Entries: append([]Entry(nil), doc.Entries...)}
	sizes := make([]int, len(out.Entries))
	hashes := make([]string, len(out.Entries))
	var excluded []Exclusion
	exclude := func(i int, reason ExclusionReason) {
		e := &out.Entries[i]
		excluded = append(excluded, Exclusion{Key: e.Key(), Reason: reason, SpecBytes: sizes[i], SpecHash: hashes[i]})
		e.Spec = placeholderSpec(reason, sizes[i], hashes[i])
	}
	for i, e := range out.Entries {
		b, err := CanonicalValue(e.Spec)
		if err != nil {
			return nil, nil, fmt.Errorf("spec of %s: %w", e.Key(), err)
		}
		sizes[i], hashes[i] = len(b), HashBytes(b)
		if sizes[i] > MaxEntrySize {
			exclude(i, EntryTooLarge)
		}
	}
	// Entries still whole, largest first: the candidates when the register is full.
	var order []int
	for i := range out.Entries {
		if sizes[i] <= MaxEntrySize {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		i, j := order[a], order[b]
		if sizes[i] != sizes[j] {
			return sizes[i] > sizes[j]
		}
		return out.Entries[i].Key().less(out.Entries[j].Key())
	})
	for {
		canonical, err := Canonical(out)
		if err != nil {
			return nil, nil, err
		}
		if maxEncodedSize(len(canonical)) <= MaxSnapshotData {
			break // fits whatever the encoding: no need to compress it here
		}
		_, data := EncodeBytes(canonical)
		excess := len(data) - MaxSnapshotData
		if excess <= 0 || len(order) == 0 {
			break
		}
		// Replace entries until their canonical bytes, scaled by the document's ratio of
		// canonical to encoded bytes, cover the excess; at least one per round.
		want := int64(excess) * int64(len(canonical)) / int64(len(data))
		var removed int64
		for len(order) > 0 && (removed == 0 || removed < want) {
			i := order[0]
			order = order[1:]
			removed += int64(sizes[i])
			exclude(i, RegisterFull)
		}
	}
	sort.Slice(excluded, func(i, j int) bool { return excluded[i].Key.less(excluded[j].Key) })
	return out, excluded, nil
}

// maxEncodedSize bounds the encoded size of n canonical bytes: deflate adds a few bytes per
// block to data it cannot compress (far less than 1 %), gzip 18 bytes of header and trailer,
// base64 a third.
func maxEncodedSize(n int) int {
	return (n+n/100+1024)/3*4 + 4
}

// placeholderSpec is the spec recorded for an excluded object.
func placeholderSpec(reason ExclusionReason, size int, hash string) map[string]any {
	return map[string]any{ExcludedMember: map[string]any{
		"reason":    string(reason),
		"specBytes": jsonInt(int64(size)),
		"specHash":  hash,
	}}
}

// IsPlaceholder reports whether an entry records an excluded object rather than its spec.
func (e Entry) IsPlaceholder() bool {
	_, ok := e.Spec[ExcludedMember]
	return ok && len(e.Spec) == 1
}
