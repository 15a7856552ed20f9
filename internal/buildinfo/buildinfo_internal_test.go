package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	base := Info{GoVersion: "go1.26.8", Platform: "linux/amd64"}
	for _, c := range []struct {
		name  string
		build debug.BuildInfo
		want  string
	}{
		{
			name: "a build from a clean git clone",
			build: debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261203084418-d351f33a8778"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "d351f33a87788239381716b43583d25777dc9a4f"},
				{Key: "vcs.time", Value: "2026-12-03T08:44:18Z"},
				{Key: "vcs.modified", Value: "false"},
			}},
			want: "hooknorm v0.0.0-20261203084418-d351f33a8778\n" +
				"commit d351f33a87788239381716b43583d25777dc9a4f (2026-12-03T08:44:18Z)\n" +
				"built with go1.26.8 for linux/amd64\n",
		},
		{
			name: "a build with uncommitted changes",
			build: debug.BuildInfo{Main: debug.Module{Version: "v1.2.3+dirty"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"},
			}},
			want: "hooknorm v1.2.3+dirty\ncommit abc, with uncommitted changes\nbuilt with go1.26.8 for linux/amd64\n",
		},
		{
			name:  "go run: no version, no commit",
			build: debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			want: "hooknorm development build (no version recorded)\n" +
				"commit unknown: this build recorded no version control information (go run, go test and -buildvcs=false record none; go build or go install in a git clone does)\n" +
				"built with go1.26.8 for linux/amd64\n",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fromBuildInfo(&c.build, base).Text("hooknorm"); got != c.want {
				t.Errorf("Text:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestShort(t *testing.T) {
	info := Info{Version: "v1.2.3", Revision: "abc", Modified: true, GoVersion: "go1.26.8"}
	if got := info.Short(); got != "v1.2.3, commit abc+modified, go1.26.8" {
		t.Errorf("Short() = %q", got)
	}
	if got := (Info{GoVersion: "go1.26.8"}).Short(); got != "development build (no version recorded), go1.26.8" {
		t.Errorf("Short() without a version = %q", got)
	}
}

// TestReadUnderGoTest reads the build of the test binary itself, which records no version:
// what is known (the toolchain, the platform) is still said.
func TestReadUnderGoTest(t *testing.T) {
	text := Read().Text("hooknorm")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "hooknorm ") || !strings.HasPrefix(lines[1], "commit ") ||
		!strings.HasPrefix(lines[2], "built with go1.") || strings.Contains(text, "(devel)") {
		t.Errorf("Read().Text:\n%s", text)
	}
}
