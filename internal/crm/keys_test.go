package crm

import (
	"bytes"
	"errors"
	"testing"
)

func TestDeriveKeySeparatesPurposes(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, MinSecretBytes)
	seen := map[string]KeyPurpose{}
	for _, p := range []KeyPurpose{PurposeLedgerSubject, PurposeAnonymiseHash, PurposeCheckpointMAC, PurposeMarkerMAC, PurposeLedgerRowMAC, PurposeRequestIdentity} {
		k := DeriveKey(secret, p)
		if len(k) != derivedKeyBytes {
			t.Fatalf("%s: key has %d bytes, want %d", p, len(k), derivedKeyBytes)
		}
		if bytes.Equal(k, secret) {
			t.Fatalf("%s: the derived key is the secret itself", p)
		}
		if other, dup := seen[string(k)]; dup {
			t.Fatalf("%s and %s derive the same key", p, other)
		}
		seen[string(k)] = p
		if !bytes.Equal(k, DeriveKey(secret, p)) {
			t.Fatalf("%s: derivation is not deterministic", p)
		}
	}
}

func TestRowMAC(t *testing.T) {
	key := DeriveKey(bytes.Repeat([]byte{1}, MinSecretBytes), PurposeCheckpointMAC)
	other := DeriveKey(bytes.Repeat([]byte{2}, MinSecretBytes), PurposeCheckpointMAC)
	mac := RowMAC(key, "ns/policy", "run-1", "3")
	for _, tc := range []struct {
		name   string
		key    []byte
		mac    string
		fields []string
		want   bool
	}{
		{"same key and fields", key, mac, []string{"ns/policy", "run-1", "3"}, true},
		{"another key", other, mac, []string{"ns/policy", "run-1", "3"}, false},
		{"a field changed", key, mac, []string{"ns/policy", "run-1", "4"}, false},
		{"fields shifted across a boundary", key, mac, []string{"ns/policyrun-1", "", "3"}, false},
		{"no key verifies nothing", nil, RowMAC(nil, "a"), []string{"a"}, false},
		{"empty MAC", key, "", []string{"ns/policy", "run-1", "3"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyRowMAC(tc.key, tc.mac, tc.fields...); got != tc.want {
				t.Fatalf("VerifyRowMAC = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKeyIDTellsKeysApart(t *testing.T) {
	a, b := KeyID([]byte("key a")), KeyID([]byte("key b"))
	if len(a) != 16 || a == b {
		t.Fatalf("KeyID: %q and %q", a, b)
	}
}

func TestNewOperatorKeysRefusesShortSecrets(t *testing.T) {
	if _, err := NewOperatorKeys(make([]byte, MinSecretBytes-1)); err == nil {
		t.Fatal("a 31-byte operator key was accepted")
	}
	k, err := NewOperatorKeys(bytes.Repeat([]byte{3}, MinSecretBytes))
	if err != nil || !k.Configured() || bytes.Equal(k.CheckpointKey(), k.MarkerKey()) {
		t.Fatalf("NewOperatorKeys: %v, configured %v", err, k.Configured())
	}
	var db Database
	if _, err := db.OperatorKeys(); !errors.Is(err, ErrNoOperatorKey) {
		t.Fatalf("a Database without keys returned %v, want ErrNoOperatorKey", err)
	}
}
