package refdocs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// testName is a Go test named in backquotes, as the promises cite them.
	testName = regexp.MustCompile("`(Test[A-Z][A-Za-z0-9_]*)`")
	// testFunc is a test function's declaration.
	testFunc = regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)
)

// TestPromisesNameRealTests checks that every test the pages cite (the README, every page of
// docs/, examples/README.md and BENCHMARKS.md), such as those that pin what the log promises in
// docs/operations.md, is a test function in the repository: a renamed or removed
// test must take its promise with it.
func TestPromisesNameRealTests(t *testing.T) {
	defined := map[string]bool{}
	for _, dir := range []string{"server", "client", "examples"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, entry fs.DirEntry, err error) error {
			if err != nil || entry.IsDir() || !strings.HasSuffix(path, "_test.go") {
				return err
			}
			text, err := os.ReadFile(path)
			for _, m := range testFunc.FindAllStringSubmatch(string(text), -1) {
				defined[m[1]] = true
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	cited := 0
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"README.md", "examples/README.md", "BENCHMARKS.md"}
	for _, doc := range docs {
		pages = append(pages, filepath.Join("docs", filepath.Base(doc)))
	}
	for _, page := range pages {
		text, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range testName.FindAllStringSubmatch(string(text), -1) {
			cited++
			if !defined[m[1]] {
				t.Errorf("%s cites %s, which is no test in the repository", page, m[1])
			}
		}
	}
	if cited < 10 {
		t.Errorf("only %d tests are cited", cited)
	}
}
