package eventlog_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// TestChangedSettingsAreReported opens one log three times: the second run shortens the
// retention age and the record size, which apply to every replica sharing the stream, so it must
// say so with the old and new values; the third run, with the same settings, must say nothing.
func TestChangedSettingsAreReported(t *testing.T) {
	dir := t.TempDir()
	first := config(dir)
	second := first
	second.RetentionAge, second.DuplicateWindow, second.MaxRecordBytes = 2*time.Hour, time.Hour, 4<<20

	for _, run := range []struct {
		name string
		cfg  eventlog.Config
		want []string // in the warning; none means no warning
	}{
		{"first", first, nil},
		{"changed", second, []string{"retention_age=\"72h0m0s -> 2h0m0s\"", "duplicate_window=\"48h0m0s -> 1h0m0s\"", "max_record_bytes=\"8388608 -> 4194304\""}},
		{"unchanged", second, nil},
	} {
		var logs bytes.Buffer
		l, err := eventlog.Open(context.Background(), run.cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatalf("%s: %v", run.name, err)
		}
		l.Close()
		warned := strings.Contains(logs.String(), "changed the log's settings")
		if warned != (run.want != nil) {
			t.Errorf("%s run: warned %v, want %v; log:\n%s", run.name, warned, run.want != nil, logs.String())
		}
		for _, want := range run.want {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("%s run: the warning does not say %s; log:\n%s", run.name, want, logs.String())
			}
		}
	}
}
