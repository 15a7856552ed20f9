package eventlog_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// awaitUnready waits until the log reports it cannot be written, and returns why.
func awaitUnready(t *testing.T, l *eventlog.Log) error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := l.Ready(context.Background())
		if err != nil {
			return err
		}
		if time.Now().After(deadline) {
			t.Fatal("the log still reports it can be written")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRemovedDataDirRefusesAppends removes the data directory under an open embedded log: the
// events it would store from then on would be in files no longer reachable, lost on restart. The
// log turns unready and refuses appends at once, saying why, and its storage health says so.
func TestRemovedDataDirRefusesAppends(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	l := open(t, config(dir))
	appendAll(t, l, event("kept", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", "7"))
	if writable, failures := l.StorageHealth(); !writable || failures != 0 {
		t.Fatalf("storage health of a new log = %v, %d failures; want writable, 0", writable, failures)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	const cause = "was removed"
	if err := awaitUnready(t, l); !errors.Is(err, eventlog.ErrUnavailable) || !strings.Contains(err.Error(), cause) {
		t.Errorf("Ready after the data directory was removed = %v, want ErrUnavailable saying it %s", err, cause)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	appended, err := l.Append(ctx, event("lost", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", "7"))
	if !errors.Is(err, eventlog.ErrUnavailable) || !strings.Contains(err.Error(), cause) || appended.Sequence != 0 {
		t.Errorf("Append after the data directory was removed = %+v, %v; want ErrUnavailable saying it %s", appended, err, cause)
	}
	if writable, failures := l.StorageHealth(); writable || failures != 1 {
		t.Errorf("storage health after the data directory was removed = %v, %d failures; want not writable, 1", writable, failures)
	}
}
