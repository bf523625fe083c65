package register

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// RevisionInfo is the header of an export: which revision of the register it shows.
type RevisionInfo struct {
	Number         int64
	CreatedAt      time.Time
	SourceRevision string
	ContentHash    string
	PreviousHash   string
}

// Revision is one stored version of the register, as a RegisterRevision holds it.
type Revision struct {
	Number         int64
	CreatedAt      time.Time
	SourceRevision string
	ContentHash    string
	PreviousHash   string
	// HistoryStart is the oldest revision the operator keeps once this one is written: a
	// history limit lets it delete the revisions before. 0 or 1 when the whole history is
	// kept. It never decreases along the chain and enters the chain hash.
	HistoryStart int64
	// ChangeCount is the number of entries that changed; Changes lists the first MaxChanges.
	ChangeCount int64
	Changes     []Change
	Encoding    string
	Data        string
}

// Bounds of a revision, as the RegisterRevision schema sets them.
const (
	// MaxChanges is the most changes a revision lists; ChangeCount gives the true number.
	MaxChanges = 1000
	// MaxSnapshotData is the most bytes of encoded snapshot a revision may hold (1 MiB),
	// leaving room under etcd's 1.5 MiB request limit for the list of changes.
	MaxSnapshotData = 1 << 20
	// MaxSourceRevisionLength bounds the source revision.
	MaxSourceRevisionLength = 256
)

// ChainHash is the hash the next revision must store as its previous hash.
func (r Revision) ChainHash() string {
	return chainHash(r.Number, r.CreatedAt, r.SourceRevision, r.ContentHash, r.PreviousHash, r.HistoryStart)
}

// Start is the revision's history start: the oldest revision number that must still exist
// once this revision is written (1 when none may have been pruned).
func (r Revision) Start() int64 {
	if r.HistoryStart < 1 {
		return 1
	}
	return r.HistoryStart
}

// SetHistoryStart records the history start of r, written after latest (nil for the first)
// under a history limit of limit revisions (0 keeps all); see HistoryStart. A start of 1 is
// left out, as the RegisterRevision leaves it out.
func (r *Revision) SetHistoryStart(latest *Revision, limit int) {
	r.HistoryStart = 0
	if s := HistoryStart(latest, r.Number, limit); s > 1 {
		r.HistoryStart = s
	}
}

// HistoryStart computes the history start of revision number, written after latest (nil for
// the first) by an operator keeping limit revisions (0 keeps all): the oldest of the last
// limit revisions, and never below latest's start, so that it never decreases along the
// chain (a larger limit, or none, keeps what is left and prunes no further). It is what lets
// Verify tell revisions pruned by the operator from revisions deleted by someone else: the
// operator only deletes revisions below the start recorded in the latest revision, which only
// the operator writes.
func HistoryStart(latest *Revision, number int64, limit int) int64 {
	start := int64(1)
	if latest != nil {
		start = latest.Start()
	}
	if limit > 0 && number-int64(limit)+1 > start {
		start = number - int64(limit) + 1
	}
	return start
}

// Info gives the revision's header, as the exports print it.
func (r Revision) Info() RevisionInfo {
	return RevisionInfo{
		Number:         r.Number,
		CreatedAt:      r.CreatedAt,
		SourceRevision: r.SourceRevision,
		ContentHash:    r.ContentHash,
		PreviousHash:   r.PreviousHash,
	}
}

// Next computes the revision that records doc after latest (nil when there is none yet). It
// returns false, and no revision, when doc has the content hash of latest: an operator
// restart or a status-only change records nothing. The changes are the diff from latest's
// snapshot (the first MaxChanges of them); createdAt is kept to whole seconds, as the API
// stores it. It fails when the snapshot would exceed MaxSnapshotData.
func Next(latest *Revision, doc *Document, createdAt time.Time, sourceRevision string) (Revision, bool, error) {
	canonical, err := Canonical(doc)
	if err != nil {
		return Revision{}, false, fmt.Errorf("while rendering the register: %w", err)
	}
	hash := HashBytes(canonical)
	rev := Revision{
		Number:         1,
		CreatedAt:      createdAt.UTC().Truncate(time.Second),
		SourceRevision: truncate(sourceRevision, MaxSourceRevisionLength),
		ContentHash:    hash,
	}
	var previous *Document
	if latest != nil {
		if latest.ContentHash == hash {
			return Revision{}, false, nil
		}
		previous, err = Decode(latest.Encoding, latest.Data)
		if err != nil {
			return Revision{}, false, fmt.Errorf("while reading the snapshot of register revision %d: %w", latest.Number, err)
		}
		rev.Number = latest.Number + 1
		rev.PreviousHash = latest.ChainHash()
	}
	rev.Changes = Diff(previous, doc)
	rev.ChangeCount = int64(len(rev.Changes))
	if len(rev.Changes) > MaxChanges {
		rev.Changes = rev.Changes[:MaxChanges:MaxChanges]
	}
	rev.Encoding, rev.Data = EncodeBytes(canonical)
	if len(rev.Data) > MaxSnapshotData {
		return Revision{}, false, fmt.Errorf("the register snapshot takes %d bytes once encoded (%d of canonical JSON), above the %d a revision can hold", len(rev.Data), len(canonical), MaxSnapshotData)
	}
	return rev, true, nil
}

// SourceRevision picks the git revision to record for a new register revision: the source
// revision shared by the added and modified entries, or, when they carry several, all of
// them sorted and joined by commas; when no changed entry carries one (removals only), the
// one most entries of the document carry (the smallest on a tie). Empty when none is known.
// The result is cut to MaxSourceRevisionLength, ending with "…" when cut.
func SourceRevision(doc *Document, changes []Change) string {
	if doc == nil {
		return ""
	}
	seen := map[string]bool{}
	var found []string
	for _, c := range changes {
		if c.Type == Removed {
			continue
		}
		e, ok := doc.Lookup(c.Key())
		if ok && e.SourceRevision != "" && !seen[e.SourceRevision] {
			seen[e.SourceRevision] = true
			found = append(found, e.SourceRevision)
		}
	}
	if len(found) > 0 {
		sort.Strings(found)
		return truncate(strings.Join(found, ","), MaxSourceRevisionLength)
	}
	return truncate(mostCommonSourceRevision(doc), MaxSourceRevisionLength)
}

// truncate cuts s to at most limit bytes on a character boundary, ending with "…" when cut.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const ellipsis = "…"
	cut := limit - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

func mostCommonSourceRevision(doc *Document) string {
	count := map[string]int{}
	best := ""
	for _, e := range doc.Entries {
		if e.SourceRevision == "" {
			continue
		}
		count[e.SourceRevision]++
		n := count[e.SourceRevision]
		if n > count[best] || (n == count[best] && e.SourceRevision < best) {
			best = e.SourceRevision
		}
	}
	return best
}

// Document decodes the revision's snapshot and checks it against the content hash: a
// snapshot edited out of band is refused rather than shown as the register.
func (r Revision) Document() (*Document, error) {
	b, err := DecodeBytes(r.Encoding, r.Data)
	if err != nil {
		return nil, fmt.Errorf("while reading the snapshot of register revision %d: %w", r.Number, err)
	}
	if got := HashBytes(b); got != r.ContentHash {
		return nil, fmt.Errorf("the snapshot of register revision %d hashes to %s, not to its content hash %s: it was changed after it was written", r.Number, got, r.ContentHash)
	}
	doc, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("while reading the snapshot of register revision %d: %w", r.Number, err)
	}
	return doc, nil
}

// ExportRevision writes a stored revision in one of Formats (see Export), after checking its
// snapshot against its content hash.
func ExportRevision(w io.Writer, r Revision, format string) error {
	doc, err := r.Document()
	if err != nil {
		return err
	}
	return Export(w, doc, r.Info(), format)
}

// DiffRevisions lists what changed from revision a to revision b (in either order of
// numbers), after checking both snapshots against their content hashes.
func DiffRevisions(a, b Revision) ([]Change, error) {
	older, err := a.Document()
	if err != nil {
		return nil, err
	}
	newer, err := b.Document()
	if err != nil {
		return nil, err
	}
	return Diff(older, newer), nil
}
