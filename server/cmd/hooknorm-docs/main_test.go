package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/refdocs"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../../.."

// TestRunRewritesAStalePage copies the protos and the pages into a scratch repository, empties
// a generated part of each page, and checks that run writes it back as it is committed, and
// that a second run changes nothing.
func TestRunRewritesAStalePage(t *testing.T) {
	root := t.TempDir()
	copyTree(t, filepath.Join(repoRoot, "proto"), filepath.Join(root, "proto"))
	for _, page := range refdocs.Pages() {
		committed, err := os.ReadFile(filepath.Join(repoRoot, page))
		if err != nil {
			t.Fatal(err)
		}
		begin := strings.Index(string(committed), "<!-- BEGIN GENERATED ")
		end := strings.Index(string(committed), "<!-- END GENERATED ")
		if begin < 0 || end < begin {
			t.Fatalf("%s has no generated part", page)
		}
		firstLine := strings.Index(string(committed)[begin:], "\n") + begin + 1
		stale := string(committed[:firstLine]) + string(committed[end:])
		writeFile(t, filepath.Join(root, page), stale)
	}
	if err := run(root); err != nil {
		t.Fatal(err)
	}
	for _, page := range refdocs.Pages() {
		got, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(repoRoot, page))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("run did not restore %s to what is committed", page)
		}
	}
	before := snapshot(t, root)
	if err := run(root); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, root); after != before {
		t.Error("a second run changed a page")
	}
}

// TestRunOutsideTheRepositoryFails checks that run, started where there is no proto/, says to
// run it from the repository root.
func TestRunOutsideTheRepositoryFails(t *testing.T) {
	err := run(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "repository root") {
		t.Fatalf("run in an empty directory: %v, want an error pointing at the repository root", err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, entry os.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		writeFile(t, filepath.Join(to, rel), string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot is every page's text under root, joined.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var all strings.Builder
	for _, page := range refdocs.Pages() {
		data, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	return all.String()
}
