package pii

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestKeyringRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grassroots.key")
	// A legacy file: one bare key, version v1.
	if err := os.WriteFile(path, []byte(NewKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	server, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := server.Seal("13812345678")
	hash := server.Hash("13812345678")
	if VersionOf(old) != "v1" {
		t.Fatalf("sealed %q, want v1", old)
	}
	// Make sure the file's modification time moves even on coarse clocks.
	time.Sleep(10 * time.Millisecond)
	v, err := AddKeyVersion(path)
	if err != nil || v != "v2" {
		t.Fatalf("AddKeyVersion = %q, %v", v, err)
	}
	rotator, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if rotator.CurrentVersion() != "v2" {
		t.Fatalf("current version %s, want v2", rotator.CurrentVersion())
	}
	resealed, changed, err := rotator.Reseal(old)
	if err != nil || !changed || VersionOf(resealed) != "v2" {
		t.Fatalf("Reseal = %q %v %v", resealed, changed, err)
	}
	if again, changed, _ := rotator.Reseal(resealed); changed || again != resealed {
		t.Error("resealing a current value should change nothing")
	}
	// The running server, which only knew v1, opens the v2 value at once
	// (a forced reload on an unknown version) and hashes alike.
	if got, err := server.Open(resealed); err != nil || got != "13812345678" {
		t.Fatalf("server opens v2 value = %q, %v", got, err)
	}
	if server.Hash("13812345678") != hash || rotator.Hash("13812345678") != hash {
		t.Error("lookup hash changed across a rotation")
	}
	if server.CurrentVersion() != "v2" {
		t.Error("the server should seal with v2 after reloading")
	}
	// Old values still open.
	if got, err := rotator.Open(old); err != nil || got != "13812345678" {
		t.Fatalf("open v1 after rotation = %q, %v", got, err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "v1 ") || !strings.Contains(string(b), "v2 ") {
		t.Errorf("key file:\n%s", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode())
	}
}

func TestParseKeyring(t *testing.T) {
	k1, k2 := NewKey(), NewKey()
	for _, tc := range []struct {
		in       string
		versions string
		bad      bool
	}{
		{in: k1, versions: "v1"},
		{in: "v1 " + k1 + "\nv2 " + k2 + "\n", versions: "v1,v2"},
		{in: "v2=" + k2 + ",v1=" + k1, versions: "v1,v2"},
		{in: "# comment\nv1:" + k1, versions: "v1"},
		{in: k1 + "\n" + k2, bad: true},
		{in: "v1 " + k1 + "\nv1 " + k2, bad: true},
		{in: "", bad: true},
		{in: "v1 short", bad: true},
	} {
		ring, err := ParseKeyring(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseKeyring(%q) accepted", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseKeyring(%q): %v", tc.in, err)
			continue
		}
		var vs []string
		for _, k := range ring {
			vs = append(vs, k.Version)
		}
		if strings.Join(vs, ",") != tc.versions {
			t.Errorf("ParseKeyring(%q) versions %v, want %s", tc.in, vs, tc.versions)
		}
	}
}
