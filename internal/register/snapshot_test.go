package register

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeDecode(t *testing.T) {
	small := mustDocument(t, mustEntry(t, KindProcessingActivity, "sales", "leads", `{"purposes":["a"]}`))
	var entries []Entry
	for i := 0; i < 400; i++ {
		entries = append(entries, mustEntry(t, KindProcessingActivity, "sales", fmt.Sprintf("activity-%03d", i),
			`{"purposes":["lead qualification and follow-up of business contacts met at trade fairs"],"legalBasis":"LegitimateInterest"}`))
	}
	large := mustDocument(t, entries...)
	tests := []struct {
		name         string
		doc          *Document
		wantEncoding string
	}{
		{"small stays plain JSON", small, EncodingJSON},
		{"large is compressed", large, EncodingGzipBase64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoding, data, err := Encode(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if encoding != tt.wantEncoding {
				t.Errorf("encoding = %q, want %q", encoding, tt.wantEncoding)
			}
			canonical, err := Canonical(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := DecodeBytes(encoding, data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, canonical) {
				t.Errorf("decoded bytes differ from the canonical bytes")
			}
			back, err := Decode(encoding, data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.doc, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	chunk := make([]byte, 1<<20)
	for i := 0; i < MaxSnapshotSize>>20+1; i++ {
		_, _ = zw.Write(chunk)
	}
	_ = zw.Close()
	tests := []struct {
		name, encoding, data, wantErr string
	}{
		{"unknown encoding", "zstd", "", "snapshot encoding"},
		{"bad base64", EncodingGzipBase64, "!!!", "gzip"},
		{"not gzip", EncodingGzipBase64, base64.StdEncoding.EncodeToString([]byte("plain")), "gzip"},
		{"too large once expanded", EncodingGzipBase64, base64.StdEncoding.EncodeToString(bomb.Bytes()), "expands beyond"},
		{"not a register", EncodingJSON, `{"a":1}`, "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.encoding, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Decode error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
