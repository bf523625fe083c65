package register

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
)

// Snapshot encodings, as RegisterRevision.snapshot.encoding names them.
const (
	// EncodingJSON: the data is the canonical JSON itself.
	EncodingJSON = "json"
	// EncodingGzipBase64: the data is the standard base64 of the gzip of the canonical JSON.
	EncodingGzipBase64 = "gzip+base64"
)

// SnapshotCompressThreshold is the size of canonical JSON above which Encode compresses.
const SnapshotCompressThreshold = 64 << 10

// MaxSnapshotSize bounds the canonical JSON that Decode accepts, so that a crafted snapshot
// cannot expand without limit.
const MaxSnapshotSize = 64 << 20

// Encode packs the document for a RegisterRevision snapshot.
func Encode(doc *Document) (encoding, data string, err error) {
	canonical, err := Canonical(doc)
	if err != nil {
		return "", "", err
	}
	encoding, data = EncodeBytes(canonical)
	return encoding, data, nil
}

// EncodeBytes packs canonical bytes: as they are up to SnapshotCompressThreshold, as base64
// of their gzip above.
func EncodeBytes(canonical []byte) (encoding, data string) {
	if len(canonical) <= SnapshotCompressThreshold {
		return EncodingJSON, string(canonical)
	}
	var b bytes.Buffer
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	zw := gzip.NewWriter(enc)
	// Writes to a bytes.Buffer do not fail.
	_, _ = zw.Write(canonical)
	_ = zw.Close()
	_ = enc.Close()
	return EncodingGzipBase64, b.String()
}

// Decode unpacks and parses a snapshot.
func Decode(encoding, data string) (*Document, error) {
	b, err := DecodeBytes(encoding, data)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// DecodeBytes unpacks a snapshot into the bytes that were hashed.
func DecodeBytes(encoding, data string) ([]byte, error) {
	switch encoding {
	case EncodingJSON:
		return []byte(data), nil
	case EncodingGzipBase64:
		return gunzip(base64.NewDecoder(base64.StdEncoding, bytes.NewReader([]byte(data))))
	default:
		return nil, fmt.Errorf("snapshot encoding %q: want %q or %q", encoding, EncodingJSON, EncodingGzipBase64)
	}
}

// gunzip reads one gzip stream, refusing more than MaxSnapshotSize bytes of output.
func gunzip(r io.Reader) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("while reading the gzip snapshot: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, MaxSnapshotSize+1))
	if err != nil {
		return nil, fmt.Errorf("while reading the gzip snapshot: %w", err)
	}
	if len(b) > MaxSnapshotSize {
		return nil, fmt.Errorf("gzip snapshot expands beyond %d bytes", MaxSnapshotSize)
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("while reading the gzip snapshot: %w", err)
	}
	return b, nil
}
