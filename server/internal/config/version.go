package config

import (
	"runtime/debug"
	"strings"
)

// Version describes the running build: the module version, and the commit it was built from
// (marked "+modified" for a tree with uncommitted changes) when the toolchain recorded it.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	parts := []string{info.Main.Version}
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision != "" {
		if modified == "true" {
			revision += "+modified"
		}
		parts = append(parts, "commit "+revision)
	}
	parts = append(parts, info.GoVersion)
	return strings.Join(parts, ", ")
}
