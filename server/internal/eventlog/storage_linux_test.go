package eventlog_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"syscall"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// TestOpenOnReadOnlyFileSystem opens the log on a file system mounted read-only, where JetStream
// cannot start: Open fails at once and names the cause, rather than waiting for a server that
// never becomes ready.
func TestOpenOnReadOnlyFileSystem(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_RDONLY, "size=1m"); err != nil {
		t.Skipf("mounting a tmpfs is not permitted here (%v): a read-only file system is tested only as root", err)
	}
	defer syscall.Unmount(dir, 0)
	l, err := eventlog.Open(context.Background(), config(dir), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		l.Close()
		t.Fatal("Open on a read-only file system succeeded")
	}
	if !strings.Contains(err.Error(), "read-only file system") {
		t.Errorf("Open on a read-only file system: %v; want the cause, read-only file system", err)
	}
}
