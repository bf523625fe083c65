package register

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// noise is n characters that gzip cannot shrink much, as an attacker would pick.
func noise(r *rand.Rand, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// noisyEntry is an entry whose spec holds about size bytes of incompressible text.
func noisyEntry(t *testing.T, r *rand.Rand, ns, name string, size int) Entry {
	t.Helper()
	var values []string
	for size > 0 {
		n := min(size, 256)
		values = append(values, noise(r, n))
		size -= n + 3
	}
	e, err := NewEntry(KindRetentionPolicy, ns, name, map[string]any{"rules": []any{map[string]any{"values": values}}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestFitKeepsTheRegisterRecordable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	honest := mustEntry(t, KindProcessingActivity, "sales", "accounts", `{"purposes":["Account management"]}`)
	other := mustEntry(t, KindProcessingActivity, "support", "tickets", `{"purposes":["Support tickets"]}`)
	many := func(n, size int) []Entry {
		var out []Entry
		for i := range n {
			out = append(out, noisyEntry(t, r, "rogue", fmt.Sprintf("policy-%02d", i), size))
		}
		return out
	}
	tests := []struct {
		name    string
		entries []Entry
		// wantExcluded are the names of the excluded entries, with their reason.
		wantExcluded map[string]ExclusionReason
		// overflows: the document as it is cannot be recorded.
		overflows bool
	}{
		{"nothing to exclude", []Entry{honest, other}, map[string]ExclusionReason{}, false},
		{"one 1.2 MB object", append([]Entry{honest, other}, noisyEntry(t, r, "rogue", "huge", 1200<<10)),
			map[string]ExclusionReason{"huge": EntryTooLarge}, true},
		{"just at the entry limit stays", append([]Entry{honest}, exactEntry(t, r, MaxEntrySize)), map[string]ExclusionReason{}, false},
		{"one byte over the entry limit", append([]Entry{honest}, exactEntry(t, r, MaxEntrySize+1)),
			map[string]ExclusionReason{"exact": EntryTooLarge}, false},
		// Twenty objects each under the entry limit exceed the snapshot once encoded.
		{"many objects under the entry limit", append([]Entry{honest, other}, many(20, 60<<10)...), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustDocument(t, tt.entries...)
			if _, _, err := Next(nil, doc, time.Unix(0, 0), ""); (err != nil) != tt.overflows {
				t.Fatalf("recording the document as it is: %v, want an error: %v", err, tt.overflows)
			}
			fitted, excluded, err := Fit(doc)
			if err != nil {
				t.Fatal(err)
			}
			rev, ok, err := Next(nil, fitted, time.Unix(0, 0), "")
			if err != nil || !ok {
				t.Fatalf("the fitted document cannot be recorded: %v", err)
			}
			if len(rev.Data) > MaxSnapshotData {
				t.Fatalf("snapshot of %d bytes", len(rev.Data))
			}
			got := map[string]ExclusionReason{}
			for _, x := range excluded {
				got[x.Key.Name] = x.Reason
			}
			if tt.wantExcluded != nil {
				if diff := cmp.Diff(tt.wantExcluded, got); diff != "" {
					t.Errorf("exclusions (-want +got):\n%s", diff)
				}
			} else if len(got) == 0 {
				t.Errorf("nothing excluded from a register over its limit")
			}
			// Every honest entry is recorded whole; every excluded one by placeholder.
			for _, e := range []Entry{honest, other} {
				if f, ok := fitted.Lookup(e.Key()); ok && !cmp.Equal(f, e) {
					t.Errorf("entry %s changed: %+v", e.Key(), f.Spec)
				}
			}
			for _, x := range excluded {
				if x.Key.Namespace != "rogue" && x.Key.Name != "exact" {
					t.Errorf("excluded %s, which is not the oversized one", x.Key)
				}
				e, ok := fitted.Lookup(x.Key)
				if !ok || !e.IsPlaceholder() {
					t.Fatalf("excluded %s is not in the document as a placeholder: %+v", x.Key, e.Spec)
				}
				orig, _ := doc.Lookup(x.Key)
				b, _ := CanonicalValue(orig.Spec)
				if x.SpecHash != HashBytes(b) || x.SpecBytes != len(b) {
					t.Errorf("exclusion %+v: want hash %s and %d bytes", x, HashBytes(b), len(b))
				}
				if p := object(e.Spec[ExcludedMember]); text(p["specHash"]) != x.SpecHash || text(p["reason"]) != string(x.Reason) {
					t.Errorf("placeholder of %s: %+v", x.Key, p)
				}
			}
			// The original document is untouched, and fitting is deterministic.
			if orig, _ := doc.Lookup(Key{Kind: KindRetentionPolicy, Namespace: "rogue", Name: "huge"}); orig.IsPlaceholder() {
				t.Errorf("Fit modified its input")
			}
			again, _, err := Fit(doc)
			if err != nil {
				t.Fatal(err)
			}
			h1, _ := Hash(fitted)
			h2, _ := Hash(again)
			if h1 != h2 {
				t.Errorf("two fits of the same document hash differently")
			}
		})
	}
}

// exactEntry is an entry whose canonical spec takes exactly size bytes.
func exactEntry(t *testing.T, r *rand.Rand, size int) Entry {
	t.Helper()
	const wrap = len(`{"note":""}`)
	e, err := NewEntry(KindRetentionPolicy, "rogue", "exact", map[string]any{"note": noise(r, size-wrap)})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := CanonicalValue(e.Spec); len(b) != size {
		t.Fatalf("exact entry of %d bytes, want %d", len(b), size)
	}
	return e
}

func TestPlaceholderIsNotASpec(t *testing.T) {
	e := mustEntry(t, KindProcessingActivity, "sales", "accounts", `{"purposes":["a"],"excludedFromRegister":{}}`)
	if e.IsPlaceholder() {
		t.Errorf("a spec with other members is taken for a placeholder")
	}
}

func TestMaxEncodedSizeBoundsTheEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{0, 100, 64 << 10, 65<<10 + 1, 300 << 10, 770 << 10} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256)) // worse than any JSON
		}
		if _, data := EncodeBytes(b); len(data) > maxEncodedSize(n) {
			t.Errorf("%d random bytes encode to %d, above the bound %d", n, len(data), maxEncodedSize(n))
		}
	}
}
