package register

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func decodeJSONNumbers(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// FuzzCanonicalValue: the canonical form of any JSON value is valid JSON with the same
// content, and canonicalising it again changes nothing (so hashes are stable).
func FuzzCanonicalValue(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x"]}`, `"\u00e9\ud83d\ude00<>&"`, `1e400`, `{"a":{"a":{"a":-0.0}}}`, `[1.10, 1.1]`, `"\u2028"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeJSONNumbers(data)
		if err != nil {
			return
		}
		c1, err := CanonicalValue(v)
		if err != nil {
			return // numbers the format refuses, e.g. out of range
		}
		v2, err := decodeJSONNumbers(c1)
		if err != nil {
			t.Fatalf("canonical form %q of %q is not JSON: %v", c1, data, err)
		}
		c2, err := CanonicalValue(v2)
		if err != nil || !bytes.Equal(c1, c2) {
			t.Fatalf("canonical form is not stable: %q then %q (%v)", c1, c2, err)
		}
		var plain1, plain2 any
		if json.Unmarshal(data, &plain1) == nil && json.Unmarshal(c1, &plain2) == nil && !reflect.DeepEqual(plain1, plain2) {
			t.Fatalf("canonical form %q changes the content of %q", c1, data)
		}
	})
}
