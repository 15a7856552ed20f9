package eventlog_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

func tryOpen(cfg eventlog.Config) (*eventlog.Log, error) {
	return eventlog.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// TestASecondOpenOfADataDirIsRefused opens one data directory twice: the second Open is refused,
// naming the directory and the process that holds it, and the first log goes on working. Once the
// first is closed, the directory opens again, with what the first stored.
func TestASecondOpenOfADataDirIsRefused(t *testing.T) {
	dir := t.TempDir()
	first, err := tryOpen(config(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	second, err := tryOpen(config(dir))
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a data directory in use succeeded")
	}
	holder := fmt.Sprintf("pid %d", os.Getpid())
	if !errors.Is(err, eventlog.ErrDataDirLocked) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), holder) {
		t.Fatalf("a second Open = %v; want ErrDataDirLocked naming %s and %s", err, dir, holder)
	}
	appendAll(t, first, event("kept", hooknormv1.Source_SOURCE_CLICKFUNNELS, "contact.created", "7"))
	first.Close()

	reopened := open(t, config(dir))
	if got := readN(t, reopened, eventlog.Start{Earliest: true}, eventlog.Filter{}, 1); got[0] != "kept@1" {
		t.Errorf("after the first log closed, the directory reopened with %v; want kept@1", got)
	}
}

// TestOpensRacingForADataDir starts several Opens of one data directory that does not exist yet,
// at once: exactly one gets it, and every other is refused with ErrDataDirLocked. The directory
// is created readable by its owner only, since the log keeps raw webhook bodies.
func TestOpensRacingForADataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	const racers = 4
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		opened []*eventlog.Log
		errs   []error
	)
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := tryOpen(config(dir))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			opened = append(opened, l)
		}()
	}
	wg.Wait()
	for _, l := range opened {
		defer l.Close()
	}
	if len(opened) != 1 {
		t.Errorf("%d of %d racing Opens got the data directory; want exactly 1", len(opened), racers)
	}
	for _, err := range errs {
		if !errors.Is(err, eventlog.ErrDataDirLocked) {
			t.Errorf("a racing Open failed with %v; want ErrDataDirLocked", err)
		}
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !info.IsDir() || info.Mode().Perm() != 0o700 {
		t.Errorf("the data directory was created as %v; want a directory with mode 0700", info.Mode())
	}
}

// TestADataDirThatCannotBeUsedIsRefused gives Open data directories it cannot create or write:
// each is refused at once with ErrDataDirUnusable, naming the path.
func TestADataDirThatCannotBeUsedIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		dir  string
	}{
		{"a regular file", file},
		{"a directory under a regular file", filepath.Join(file, "data")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := tryOpen(config(tc.dir))
			if err == nil {
				l.Close()
				t.Fatalf("Open of %s succeeded", tc.dir)
			}
			if !errors.Is(err, eventlog.ErrDataDirUnusable) || !strings.Contains(err.Error(), file) {
				t.Errorf("Open of %s = %v; want ErrDataDirUnusable naming the path", tc.dir, err)
			}
		})
	}
}
