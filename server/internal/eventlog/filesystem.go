package eventlog

import (
	"errors"
	"os"
	"path/filepath"
)

// fileSystem is what is known of the file system that holds the data directory.
type fileSystem struct {
	// known is false where the platform cannot tell; the other fields are then zero.
	known bool
	// size and free are its size and the bytes hooknormd may still use, in bytes.
	size, free uint64
	// readOnly is set when it is mounted read-only.
	readOnly bool
}

// writeCheckFile is the file written to learn whether the data directory can be written again.
// Its name is fixed, so a check cut short by a crash leaves at most this one file behind.
const writeCheckFile = ".hooknormd-write-check"

// maxWriteCheckBytes bounds the write that checks the data directory.
const maxWriteCheckBytes = 1 << 20

// checkWrite writes size bytes (at most maxWriteCheckBytes) to a file in dir, flushes them to
// disk and removes the file: an error says why dir cannot be written now.
func checkWrite(dir string, size int64) error {
	name := filepath.Join(dir, writeCheckFile)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(make([]byte, min(size, maxWriteCheckBytes)))
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close(), os.Remove(name))
}
