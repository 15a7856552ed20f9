// Package buildinfo tells which build of hooknorm is running: the module version and the commit
// it was built from, as the Go toolchain recorded them in the binary. hooknorm and hooknormd both
// print it for --version.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version, when set at link time (go build -ldflags "-X
// github.com/hooknorm/hooknorm/internal/buildinfo.version=v1.2.3"), names the release where the
// toolchain recorded none, for example in a container build without the .git directory.
var version string

// develVersion is what the toolchain records as the main module's version when it knows none.
const develVersion = "(devel)"

// Info is what is known about the running build.
type Info struct {
	// Version is the module version (a tag, or a pseudo-version naming the commit), or "" when
	// the build recorded none: go run, go test, or a build without version control information.
	Version string
	// Revision is the commit the binary was built from, or "" when not recorded.
	Revision string
	// Time is the commit's time in RFC 3339, or "".
	Time string
	// Modified is true when the working tree had uncommitted changes at build time.
	Modified bool
	// GoVersion is the Go toolchain that built the binary, for example go1.26.8.
	GoVersion string
	// Platform is the operating system and architecture, for example linux/amd64.
	Platform string
}

// Read returns what the running binary knows about its build.
func Read() Info {
	info := Info{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if build, ok := debug.ReadBuildInfo(); ok {
		info = fromBuildInfo(build, info)
	}
	if info.Version == "" && version != "" {
		info.Version = version
	}
	return info
}

// fromBuildInfo fills info from the toolchain's record of the build.
func fromBuildInfo(build *debug.BuildInfo, info Info) Info {
	if v := build.Main.Version; v != "" && v != develVersion {
		info.Version = v
	}
	if build.GoVersion != "" {
		info.GoVersion = build.GoVersion
	}
	for _, s := range build.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// Short is the build on one line, for logs and traces: "v1.2.3, commit abc123+modified,
// go1.26.8", naming only what is known.
func (i Info) Short() string {
	parts := []string{i.versionOrDevel()}
	if i.Revision != "" {
		revision := i.Revision
		if i.Modified {
			revision += "+modified"
		}
		parts = append(parts, "commit "+revision)
	}
	return strings.Join(append(parts, i.GoVersion), ", ")
}

// Text is what --version prints for program: a version line, a commit line and a toolchain
// line. What the build did not record is said to be unknown, with why and how to record it.
func (i Info) Text(program string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", program, i.versionOrDevel())
	switch {
	case i.Revision == "":
		b.WriteString("commit unknown: this build recorded no version control information (go run, go test and " +
			"-buildvcs=false record none; go build or go install in a git clone does)\n")
	default:
		fmt.Fprintf(&b, "commit %s", i.Revision)
		if i.Time != "" {
			fmt.Fprintf(&b, " (%s)", i.Time)
		}
		if i.Modified {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "built with %s for %s\n", i.GoVersion, i.Platform)
	return b.String()
}

// versionOrDevel is the version, or a phrase saying that this is a development build.
func (i Info) versionOrDevel() string {
	if i.Version == "" {
		return "development build (no version recorded)"
	}
	return i.Version
}
