package register

import (
	"encoding/hex"
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// history builds three revisions: two activities, then a purpose changed, then one removed.
func history(t *testing.T) []Revision {
	t.Helper()
	return limitedHistory(t, 0)
}

// limitedHistory is history written by an operator keeping limit revisions (0 keeps all):
// each revision records its history start. Nothing is pruned here.
func limitedHistory(t *testing.T, limit int) []Revision {
	t.Helper()
	docs := []*Document{
		mustDocument(t,
			mustEntry(t, KindProcessingActivity, "sales", "leads", `{"purposes":["lead qualification"]}`),
			mustEntry(t, KindProcessingActivity, "marketing", "newsletter", `{"purposes":["newsletter"]}`),
		),
		mustDocument(t,
			mustEntry(t, KindProcessingActivity, "sales", "leads", `{"purposes":["lead qualification","upselling"]}`),
			mustEntry(t, KindProcessingActivity, "marketing", "newsletter", `{"purposes":["newsletter"]}`),
		),
		mustDocument(t,
			mustEntry(t, KindProcessingActivity, "sales", "leads", `{"purposes":["lead qualification","upselling"]}`),
		),
	}
	var revs []Revision
	var latest *Revision
	for i, doc := range docs {
		rev, ok, err := Next(latest, doc, t0.Add(time.Duration(i)*time.Hour+123*time.Millisecond), "commit-"+string(rune('a'+i)))
		if err != nil || !ok {
			t.Fatalf("Next %d: ok=%v err=%v", i, ok, err)
		}
		rev.SetHistoryStart(latest, limit)
		revs = append(revs, rev)
		latest = &revs[len(revs)-1]
	}
	return revs
}

func TestNext(t *testing.T) {
	revs := history(t)
	t.Run("numbers, times, chain and changes", func(t *testing.T) {
		type summary struct {
			Number       int64
			CreatedAt    time.Time
			PreviousHash string
			Changes      []Change
		}
		var got []summary
		for _, r := range revs {
			got = append(got, summary{r.Number, r.CreatedAt, r.PreviousHash, r.Changes})
		}
		want := []summary{
			{1, t0, "", []Change{
				{Kind: KindProcessingActivity, Namespace: "marketing", Name: "newsletter", Type: Added},
				{Kind: KindProcessingActivity, Namespace: "sales", Name: "leads", Type: Added},
			}},
			{2, t0.Add(time.Hour), revs[0].ChainHash(), []Change{
				{Kind: KindProcessingActivity, Namespace: "sales", Name: "leads", Type: Modified, Fields: []string{"spec.purposes"}},
			}},
			{3, t0.Add(2 * time.Hour), revs[1].ChainHash(), []Change{
				{Kind: KindProcessingActivity, Namespace: "marketing", Name: "newsletter", Type: Removed},
			}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("revisions (-want +got):\n%s", diff)
		}
	})
	t.Run("unchanged document makes no revision", func(t *testing.T) {
		doc, err := Decode(revs[2].Encoding, revs[2].Data)
		if err != nil {
			t.Fatal(err)
		}
		doc.Entries[0].SourceRevision = "a-new-commit"
		if _, ok, err := Next(&revs[2], doc, t0.Add(24*time.Hour), "a-new-commit"); err != nil || ok {
			t.Errorf("Next on the same document: ok=%v err=%v, want no revision", ok, err)
		}
	})
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		limit  int // the history limit the revisions were written under
		tamper func(revs []Revision) []Revision
		want   []string // "revision reason"
	}{
		{"intact history", 0, func(r []Revision) []Revision { return r }, nil},
		{"intact history in any order", 0, func(r []Revision) []Revision { return []Revision{r[2], r[0], r[1]} }, nil},
		{"history written under a limit, nothing pruned yet", 2, func(r []Revision) []Revision { return r }, nil},
		{"history pruned by the limit", 2, func(r []Revision) []Revision { return r[1:] }, nil},
		{"history pruned by a limit of one", 1, func(r []Revision) []Revision { return r[2:] }, nil},
		// The attack of issue 14 (11): someone who may delete RegisterRevisions removes the
		// first ones; no history limit explains it.
		{"first revision deleted, no limit", 0, func(r []Revision) []Revision { return r[1:] }, []string{"2 HistoryMissing"}},
		{"first two revisions deleted, no limit", 0, func(r []Revision) []Revision { return r[2:] }, []string{"3 HistoryMissing"}},
		{"more deleted than the limit explains", 2, func(r []Revision) []Revision { return r[2:] }, []string{"3 HistoryMissing"}},
		// Deleting the latest revision too only lowers the history start verify reads.
		{"first and latest deleted", 2, func(r []Revision) []Revision { return r[1:2] }, []string{"2 HistoryMissing"}},
		{"history start decreases", 1, func(r []Revision) []Revision {
			r[2].HistoryStart = 1
			return r
		}, []string{"3 HistoryStartInvalid"}},
		{"history start above the revision", 0, func(r []Revision) []Revision {
			r[2].HistoryStart = 4
			return r
		}, []string{"3 HistoryStartInvalid"}},
		{"history start edited in a chained revision", 2, func(r []Revision) []Revision {
			r[1].HistoryStart = 2
			return r[1:]
		}, []string{"3 ChainBroken"}},
		{"snapshot edited out of band", 0, func(r []Revision) []Revision {
			r[1].Data = strings.Replace(r[1].Data, "upselling", "profiling", 1)
			return r
		}, []string{"2 ContentHashMismatch"}},
		{"snapshot and content hash edited together", 0, func(r []Revision) []Revision {
			r[1].Data = strings.Replace(r[1].Data, "upselling", "profiling", 1)
			r[1].ContentHash = HashBytes([]byte(r[1].Data))
			return r
		}, []string{"3 ChainBroken", "3 ChangesMismatch"}},
		{"revision removed from the middle", 0, func(r []Revision) []Revision { return []Revision{r[0], r[2]} }, []string{"3 ChainBroken", "3 NotConsecutive"}},
		{"revisions swapped and renumbered", 0, func(r []Revision) []Revision {
			r[1].Number, r[2].Number = 3, 2
			return r
		}, []string{"2 ChainBroken", "2 ChangesMismatch", "3 ChainBroken", "3 ChangesMismatch"}},
		{"previous hash edited", 0, func(r []Revision) []Revision {
			r[2].PreviousHash = r[0].ChainHash()
			return r
		}, []string{"3 ChainBroken"}},
		{"creation time edited", 0, func(r []Revision) []Revision {
			r[0].CreatedAt = r[0].CreatedAt.Add(-24 * time.Hour)
			return r
		}, []string{"2 ChainBroken"}},
		{"source revision edited", 0, func(r []Revision) []Revision {
			r[1].SourceRevision = "forged"
			return r
		}, []string{"3 ChainBroken"}},
		{"changes edited", 0, func(r []Revision) []Revision {
			r[1].Changes = nil
			return r
		}, []string{"2 ChangesMismatch"}},
		{"first revision given a previous hash", 0, func(r []Revision) []Revision {
			r[0].PreviousHash = r[2].ChainHash()
			return r
		}, []string{"1 ChainBroken", "2 ChainBroken"}},
		{"duplicate number", 0, func(r []Revision) []Revision { return []Revision{r[0], r[1], r[1], r[2]} }, []string{"2 ChainBroken", "2 NotConsecutive"}},
		{"unreadable snapshot", 0, func(r []Revision) []Revision {
			r[0].Encoding = "zstd"
			return r
		}, []string{"1 SnapshotUnreadable"}},
		{"revision zero", 0, func(r []Revision) []Revision {
			r[0].Number = 0
			return r[:1]
		}, []string{"0 NotConsecutive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			problems := Verify(tt.tamper(limitedHistory(t, tt.limit)))
			for _, p := range problems {
				got = append(got, strconv.FormatInt(p.Revision, 10)+" "+string(p.Reason))
				if p.Message == "" {
					t.Errorf("problem %v has no message", p)
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Verify problems (-want +got):\n%s\nall: %v", diff, problems)
			}
		})
	}
}

func TestHistoryStart(t *testing.T) {
	at := func(start int64) *Revision { return &Revision{HistoryStart: start} }
	tests := []struct {
		name   string
		latest *Revision
		number int64
		limit  int
		want   int64
	}{
		{"first revision, no limit", nil, 1, 0, 1},
		{"first revision, limit", nil, 1, 2, 1},
		{"no limit keeps all", at(0), 9, 0, 1},
		{"limit of two at revision five", at(3), 5, 2, 4},
		{"limit of one", at(4), 5, 1, 5},
		{"limit removed: prunes no further, keeps what is left", at(4), 6, 0, 4},
		{"limit raised: never decreases", at(4), 6, 10, 4},
		{"limit lowered", at(4), 6, 1, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HistoryStart(tt.latest, tt.number, tt.limit); got != tt.want {
				t.Errorf("HistoryStart = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestVerifyCompressedSnapshotEdited(t *testing.T) {
	doc := generateDocument(t, 200)
	rev, _, err := Next(nil, doc, t0, "")
	if err != nil {
		t.Fatal(err)
	}
	if rev.Encoding != EncodingGzipBase64 {
		t.Fatalf("encoding %q, want a compressed snapshot", rev.Encoding)
	}
	// Re-compress an edited document: a well-formed snapshot that no longer matches its hash.
	edited := mustDocument(t, append([]Entry{mustEntry(t, KindAccessRole, "x", "backdoor", `{}`)}, doc.Entries...)...)
	_, rev.Data, err = Encode(edited)
	if err != nil {
		t.Fatal(err)
	}
	got := Verify([]Revision{rev})
	if len(got) != 1 || got[0].Reason != ContentHashMismatch {
		t.Errorf("Verify = %v, want one ContentHashMismatch", got)
	}
}

func TestSourceRevision(t *testing.T) {
	entry := func(name, rev string) Entry {
		e := mustEntry(t, KindProcessingActivity, "ns", name, `{}`)
		e.SourceRevision = rev
		return e
	}
	doc := mustDocument(t, entry("a", "c1"), entry("b", "c2"), entry("c", "c2"), entry("d", ""))
	change := func(name string, typ ChangeType) Change {
		return Change{Kind: KindProcessingActivity, Namespace: "ns", Name: name, Type: typ}
	}
	tests := []struct {
		name    string
		changes []Change
		want    string
	}{
		{"one changed entry", []Change{change("a", Modified)}, "c1"},
		{"several revisions among the changes", []Change{change("c", Added), change("a", Modified), change("b", Modified)}, "c1,c2"},
		{"removals only: the most common", []Change{change("gone", Removed)}, "c2"},
		{"changed entry without annotation", []Change{change("d", Modified)}, "c2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SourceRevision(doc, tt.changes); got != tt.want {
				t.Errorf("SourceRevision = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNextBounds(t *testing.T) {
	t.Run("changes capped, count kept", func(t *testing.T) {
		var entries []Entry
		for i := 0; i < MaxChanges+5; i++ {
			entries = append(entries, Entry{Kind: KindAccessRole, Namespace: "ns", Name: fmt.Sprintf("role-%04d", i), Spec: map[string]any{}})
		}
		rev, _, err := Next(nil, mustDocument(t, entries...), t0, "")
		if err != nil {
			t.Fatal(err)
		}
		if rev.ChangeCount != MaxChanges+5 || len(rev.Changes) != MaxChanges {
			t.Errorf("ChangeCount %d, %d changes listed; want %d and %d", rev.ChangeCount, len(rev.Changes), MaxChanges+5, MaxChanges)
		}
		if problems := Verify([]Revision{rev}); len(problems) != 0 {
			t.Errorf("Verify on a capped revision: %v", problems)
		}
		rev.ChangeCount--
		if problems := Verify([]Revision{rev}); len(problems) != 1 || problems[0].Reason != ChangesMismatch {
			t.Errorf("Verify with an edited change count: %v, want ChangesMismatch", problems)
		}
	})
	t.Run("snapshot too large", func(t *testing.T) {
		r := rand.New(rand.NewSource(2))
		var entries []Entry
		for i := 0; i < 64; i++ {
			noise := make([]byte, 24<<10)
			r.Read(noise)
			entries = append(entries, Entry{Kind: KindCRMDatabase, Namespace: "ns", Name: fmt.Sprintf("db-%02d", i), Spec: map[string]any{"noise": hex.EncodeToString(noise)}})
		}
		_, _, err := Next(nil, mustDocument(t, entries...), t0, "")
		if err == nil || !strings.Contains(err.Error(), "above the 1048576") {
			t.Errorf("Next error = %v, want the snapshot refused as too large", err)
		}
	})
	t.Run("long source revision cut", func(t *testing.T) {
		rev, _, err := Next(nil, mustDocument(t), t0, strings.Repeat("é", 200))
		if err != nil {
			t.Fatal(err)
		}
		if len(rev.SourceRevision) > MaxSourceRevisionLength || !strings.HasSuffix(rev.SourceRevision, "…") || !utf8.ValidString(rev.SourceRevision) {
			t.Errorf("source revision %q (%d bytes) not cut cleanly to %d", rev.SourceRevision, len(rev.SourceRevision), MaxSourceRevisionLength)
		}
	})
}

func TestChainHash(t *testing.T) {
	base := ChainHash(3, t0, "abc", strings.Repeat("a", 64), strings.Repeat("b", 64))
	if !isHexHash(base) {
		t.Fatalf("ChainHash = %q, want lowercase hex SHA-256", base)
	}
	tests := []struct {
		name string
		got  string
		same bool
	}{
		{"sub-second and zone ignored", ChainHash(3, t0.Add(400*time.Millisecond).In(time.FixedZone("CET", 3600)), "abc", strings.Repeat("a", 64), strings.Repeat("b", 64)), true},
		{"number", ChainHash(4, t0, "abc", strings.Repeat("a", 64), strings.Repeat("b", 64)), false},
		{"time", ChainHash(3, t0.Add(time.Second), "abc", strings.Repeat("a", 64), strings.Repeat("b", 64)), false},
		{"source revision", ChainHash(3, t0, "abd", strings.Repeat("a", 64), strings.Repeat("b", 64)), false},
		{"source revision cannot forge a field boundary", ChainHash(3, t0, "abc\n"+strings.Repeat("a", 64), "", strings.Repeat("b", 64)), false},
		{"content hash", ChainHash(3, t0, "abc", strings.Repeat("c", 64), strings.Repeat("b", 64)), false},
		{"previous hash", ChainHash(3, t0, "abc", strings.Repeat("a", 64), strings.Repeat("c", 64)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.got == base) != tt.same {
				t.Errorf("same = %v, want %v", tt.got == base, tt.same)
			}
		})
	}
}

func TestRevisionDocumentChecksHash(t *testing.T) {
	revs := history(t)
	changes, err := DiffRevisions(revs[0], revs[2])
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Kind: KindProcessingActivity, Namespace: "marketing", Name: "newsletter", Type: Removed},
		{Kind: KindProcessingActivity, Namespace: "sales", Name: "leads", Type: Modified, Fields: []string{"spec.purposes"}},
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("DiffRevisions (-want +got):\n%s", diff)
	}
	var out strings.Builder
	if err := ExportRevision(&out, revs[1], FormatMarkdown); err != nil || !strings.Contains(out.String(), "Register revision:** 2") {
		t.Errorf("ExportRevision: err=%v, output:\n%s", err, out.String())
	}
	tampered := revs[1]
	tampered.Data = strings.Replace(tampered.Data, "upselling", "profiling", 1)
	if err := ExportRevision(&strings.Builder{}, tampered, FormatMarkdown); err == nil || !strings.Contains(err.Error(), "changed after it was written") {
		t.Errorf("ExportRevision of a tampered snapshot: err=%v, want a refusal", err)
	}
	if _, err := DiffRevisions(revs[0], tampered); err == nil {
		t.Errorf("DiffRevisions with a tampered snapshot succeeded")
	}
}
