package main

import (
	"runtime/debug"
	"testing"
)

// TestVersionFromBuildInfo checks the version a plain `go build` reports: the
// module version Go recorded, else the commit (marked dirty when the tree had
// changes), else "dev".
func TestVersionFromBuildInfo(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "e3b404c1a2b3c4d5e6f708192a3b4c5d6e7f8091"
	tests := []struct {
		name, main string
		settings   []debug.BuildSetting
		want       string
	}{
		{"tagged module", "v1.4.0", vcs(rev, "false"), "v1.4.0"},
		{"pseudo-version of a dirty tree", "v0.0.0-20261203120000-e3b404c1a2b3+dirty", vcs(rev, "true"), "v0.0.0-20261203120000-e3b404c1a2b3+dirty"},
		{"clean commit", "(devel)", vcs(rev, "false"), "e3b404c1a2b3"},
		{"dirty commit", "(devel)", vcs(rev, "true"), "e3b404c1a2b3-dirty"},
		{"no version control", "(devel)", nil, "dev"},
		{"nothing at all", "", nil, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "grassroots", Version: tt.main}, Settings: tt.settings}
			if got := buildInfoVersion(bi); got != tt.want {
				t.Errorf("buildInfoVersion = %q, want %q", got, tt.want)
			}
		})
	}
}
