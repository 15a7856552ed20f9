// Command hooknorm-docs rewrites the generated parts of the reference pages under docs/ (the
// flags, the error reasons, the RPCs and stream messages, the event envelope and every event
// type) from the code and the schema. Run it from the repository root after changing a flag or a
// .proto, and commit docs/:
//
//	go run ./server/cmd/hooknorm-docs
//
// A test in server/internal/refdocs fails while any page differs from what it writes.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hooknorm/hooknorm/server/internal/refdocs"
)

func main() {
	root := flag.String("root", ".", "the repository root, where proto/ and docs/ are")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintf(os.Stderr, "hooknorm-docs: %v\n", err)
		os.Exit(1)
	}
}

// run writes every page whose generated parts changed and says which.
func run(root string) error {
	generated, err := refdocs.Generate(root)
	if err != nil {
		return err
	}
	paths := refdocs.Pages()
	changed := 0
	for _, path := range paths {
		file := filepath.Join(root, filepath.FromSlash(path))
		current, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if bytes.Equal(current, generated[path]) {
			continue
		}
		if err := os.WriteFile(file, generated[path], 0o644); err != nil {
			return err
		}
		fmt.Println("updated", path)
		changed++
	}
	if changed == 0 {
		fmt.Println("the generated parts of", len(paths), "pages are current")
	}
	return nil
}
