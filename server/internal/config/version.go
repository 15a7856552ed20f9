package config

import "github.com/hooknorm/hooknorm/internal/buildinfo"

// Version describes the running build on one line, for logs and traces: the module version, and
// the commit it was built from (marked "+modified" for a tree with uncommitted changes) when the
// toolchain recorded it.
func Version() string {
	return buildinfo.Read().Short()
}

// VersionText is what hooknormd --version prints: its version, the commit it was built from (or
// why that is unknown) and the Go toolchain.
func VersionText() string {
	return buildinfo.Read().Text("hooknormd")
}
