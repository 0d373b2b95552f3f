package main

import (
	"runtime/debug"
)

// The version a release build stamps with -ldflags "-X main.version=TAG" (make
// release) is kept. A plain `go build` or `go install` leaves "dev"; then the
// version comes from the build information Go records in the binary.
func init() {
	if version == "dev" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			version = buildInfoVersion(bi)
		}
	}
}

// buildInfoVersion names a build from Go's build information: the main
// module's version when the go command knew one (`go install m@v1.2.0`, or
// the tag Go 1.24 and later derive from the repository), else the commit the
// source was built from, with "-dirty" when the work tree had changes, else
// "dev".
func buildInfoVersion(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return rev
}
