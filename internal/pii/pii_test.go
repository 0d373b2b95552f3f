package pii

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testSealer(t *testing.T) *Sealer {
	t.Helper()
	s, err := New([]byte(strings.Repeat("k", KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := testSealer(t)
	for _, plain := range []string{"13812345678", "11010519491231002X", "福建省南平市浦城县南浦街道1号", ""} {
		sealed, err := s.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if plain != "" && (!strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, plain)) {
			t.Errorf("Seal(%q) = %q: want a v1: ciphertext hiding the value", plain, sealed)
		}
		got, err := s.Open(sealed)
		if err != nil || got != plain {
			t.Errorf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
	}
	a, _ := s.Seal("13812345678")
	b, _ := s.Seal("13812345678")
	if a == b {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	s := testSealer(t)
	sealed, _ := s.Seal("13812345678")
	raw, _ := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-1] ^= 1
	other, _ := New([]byte(strings.Repeat("x", KeySize)))
	otherSealed, _ := other.Seal("13812345678")
	cases := map[string]string{
		"flipped bit":   "v1:" + base64.RawStdEncoding.EncodeToString(flipped),
		"truncated":     sealed[:10],
		"no version":    strings.TrimPrefix(sealed, "v1:"),
		"not base64":    "v1:!!!",
		"other key":     otherSealed,
		"wrong version": "v9:" + strings.TrimPrefix(sealed, "v1:"),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if got, err := s.Open(in); err == nil {
				t.Errorf("Open accepted a tampered value and returned %q", got)
			}
		})
	}
	if _, err := s.Open(cases["flipped bit"]); !errors.Is(err, ErrTampered) {
		t.Errorf("flipped bit: err = %v, want ErrTampered", err)
	}
}

func TestHash(t *testing.T) {
	s := testSealer(t)
	other, _ := New([]byte(strings.Repeat("x", KeySize)))
	h := s.Hash("13812345678")
	if len(h) != 64 || h != s.Hash("13812345678") {
		t.Errorf("Hash is not a stable 64-hex digest: %q", h)
	}
	if h == s.Hash("13812345679") || h == other.Hash("13812345678") {
		t.Error("Hash collides across values or keys")
	}
	if s.Hash("") != "" {
		t.Error(`Hash("") should be ""`)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "grassroots.key")
	s1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	sealed, _ := s1.Seal("13812345678")
	s2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Open(sealed); err != nil || got != "13812345678" {
		t.Errorf("a second load does not reuse the key: %q, %v", got, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("c2hvcnQ=\n"), 0o600)
	if _, err := LoadOrCreateKey(bad); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestFromKeyOrFile(t *testing.T) {
	key := NewKey()
	path := filepath.Join(t.TempDir(), "unused.key")
	s, err := FromKeyOrFile(key, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("key file created although GRASSROOTS_KEY is set")
	}
	raw, _ := ParseKey(key)
	same, _ := New(raw)
	sealed, _ := s.Seal("x")
	if got, err := same.Open(sealed); err != nil || got != "x" {
		t.Errorf("env key not used: %q %v", got, err)
	}
	if _, err := FromKeyOrFile("not-a-key", path); err == nil {
		t.Error("a bad GRASSROOTS_KEY was accepted")
	}
}

func TestValidPhone(t *testing.T) {
	for in, want := range map[string]bool{
		"13812345678": true, "+86 138-1234-5678": true, "0599-2822345": true, "05992822345": true,
		"12812345678": false, "1381234567": false, "138123456789": false, "1381234567a": false, "": false, "12345": false,
	} {
		if got := ValidPhone(in); got != want {
			t.Errorf("ValidPhone(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestValidID(t *testing.T) {
	for in, want := range map[string]bool{
		"11010519491231002X": true, "11010519491231002x": true,
		"110105194912310021": false, // wrong check digit
		"11010519491331002X": false, // month 13... check digit also differs
		"1101051949123100":   false,
		"":                   false,
	} {
		if got := ValidID(in); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestMasks(t *testing.T) {
	tests := []struct {
		fn       func(string) string
		in, want string
	}{
		{MaskPhone, "13812345678", "138****5678"},
		{MaskPhone, "+86 138 1234 5678", "138****5678"},
		{MaskPhone, "0599-2822345", "059****2345"},
		{MaskPhone, "12345", "*2345"},
		{MaskPhone, "", ""},
		{MaskID, "11010519491231002X", "1101**********002X"},
		{MaskID, "1234567", "*******"},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// fixedSealed is "13812345678" sealed under the test key (a fixed value, so
// that every fuzz worker knows it).
const fixedSealed = "v1:3o6Efp2F4Qpc2htfQMT0ypOGa6K6mZ/V6CjOmVBjzUgsWc5u4J0u"

func FuzzOpen(f *testing.F) {
	s, _ := New([]byte(strings.Repeat("k", KeySize)))
	if got, err := s.Open(fixedSealed); err != nil || got != "13812345678" {
		f.Fatalf("fixed sealed value does not open: %q %v", got, err)
	}
	f.Add(fixedSealed[:len(fixedSealed)-1] + "v")
	f.Add("v1:")
	f.Add(fixedSealed + "A")
	f.Fuzz(func(t *testing.T, in string) {
		if in == fixedSealed || in == "" {
			return
		}
		if got, err := s.Open(in); err == nil {
			t.Errorf("Open(%q) succeeded with %q", in, got)
		}
	})
}
