package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// readCursor reads a cursor file; false when there is none yet.
func readCursor(path string) (uint64, bool, error) {
	if path == "" {
		return 0, false, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, usagef("--cursor-file %s cannot be read: %s", path, fileProblem(err))
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, false, usagef("--cursor-file %s does not hold a sequence (a whole number) but %q: remove it to start over", path, excerpt(data))
	}
	return n, true, nil
}

// writeCursor replaces the cursor file with seq, atomically, so a crash leaves the old or the new
// cursor, never a torn one.
func writeCursor(path string, seq uint64) error {
	if path == "" {
		return nil
	}
	failed := func(err error) error {
		return fmt.Errorf("sequence %d was delivered, but --cursor-file %s could not be written: %s; resume with --after %d", seq, path, fileProblem(err), seq)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hooknorm-cursor-")
	if err != nil {
		return failed(err)
	}
	if _, err := fmt.Fprintf(tmp, "%d\n", seq); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return failed(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return failed(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return failed(err)
	}
	return nil
}
