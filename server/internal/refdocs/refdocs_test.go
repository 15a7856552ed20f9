package refdocs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hooknorm/hooknorm/server/internal/config"
)

// root is the repository root, seen from this package's directory.
const root = "../../.."

// TestPagesAreCurrent regenerates every page's generated parts and fails, naming the command that
// rewrites them, when a page on disk differs: a flag, an error reason, an RPC, a field or an event
// type was changed without the documentation.
func TestPagesAreCurrent(t *testing.T) {
	generated, err := Generate(root)
	if err != nil {
		t.Fatalf("generating the reference pages: %v", err)
	}
	if len(generated) != len(pages) {
		t.Fatalf("generated %d pages, want %d", len(generated), len(pages))
	}
	for path, want := range generated {
		got, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
			t.Errorf("%s is out of date: run `%s` from the repository root and commit it (-generated +on disk):\n%s", path, Command, diff)
		}
	}
}

// TestConfigurationListsEveryFlag reads docs/configuration.md as committed and checks that it has
// a row for every flag hooknormd parses, with its variable and default, so the page cannot lose a
// flag even if the generator did.
func TestConfigurationListsEveryFlag(t *testing.T) {
	page, err := os.ReadFile(filepath.Join(root, "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(string(page), "\n") {
		if strings.HasPrefix(line, "| `--") {
			rows++
		}
	}
	settings := config.Settings()
	if rows != len(settings) {
		t.Errorf("docs/configuration.md has %d flag rows, hooknormd has %d flags: run `%s`", rows, len(settings), Command)
	}
	for _, s := range settings {
		row := "| `--" + s.Flag + "` | "
		if s.Env != "" {
			row += "`" + s.Env + "` | "
			if s.Default != "" {
				row += "`" + s.Default + "` | "
			}
		}
		if !strings.Contains(string(page), "\n"+row) {
			t.Errorf("docs/configuration.md has no row starting %q: run `%s`", row, Command)
		}
	}
}

// TestReasonCommentsStateTheirAnswer checks that each error reason's proto comment ends with the
// gRPC code and HTTP status hooknormd really answers it with, as "(INVALID_ARGUMENT, HTTP 400)":
// generated clients in other languages read those comments.
func TestReasonCommentsStateTheirAnswer(t *testing.T) {
	src, err := loadProtoSource(filepath.Join(root, "proto"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := reasons(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 20 {
		t.Fatalf("only %d reasons", len(all))
	}
	for _, r := range all {
		answer := r.grpcCode + " " + strconv.Itoa(r.httpStatus)
		switch {
		case r.noted == "":
			t.Errorf("the comment of ERROR_REASON_%s in proto/hooknorm/v1/error_reason.proto does not end with its answer: add (%s, HTTP %d)", r.name, r.grpcCode, r.httpStatus)
		case r.noted != answer:
			t.Errorf("the comment of ERROR_REASON_%s says %s, but hooknormd answers %s", r.name, r.noted, answer)
		}
	}
}

// TestReplaceSection covers how a generated part is found in its page.
func TestReplaceSection(t *testing.T) {
	begin, end := beginMarker("x"), endMarker("x")
	for _, tc := range []struct {
		name, page, want, wantErr string
	}{
		{name: "replaces what is between the markers",
			page: "intro\n" + begin + "\nold\nlines\n" + end + "\noutro\n",
			want: "intro\n" + begin + "\nnew\n" + end + "\noutro\n"},
		{name: "fills an empty part",
			page: begin + "\n" + end + "\n",
			want: begin + "\nnew\n" + end + "\n"},
		{name: "no begin marker", page: "intro\n" + end + "\n", wantErr: "must appear once, found 0"},
		{name: "no end marker", page: begin + "\nold\n", wantErr: "found 0 times"},
		{name: "two begin markers", page: begin + "\n" + begin + "\n" + end + "\n", wantErr: "found 2"},
		{name: "end before begin", page: "x\n" + end + "\n" + begin + "\n", wantErr: "must come after"},
		{name: "another part's markers are left alone",
			page: beginMarker("y") + "\nkeep\n" + endMarker("y") + "\n" + begin + "\nold\n" + end + "\n",
			want: beginMarker("y") + "\nkeep\n" + endMarker("y") + "\n" + begin + "\nnew\n" + end + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := replaceSection(tc.page, "x", "new\n")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
