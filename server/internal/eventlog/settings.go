package eventlog

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// previousSettings returns the configuration of the log's stream before this process opened it,
// or nil when there was none (or it could not be read: the change is then not reported).
func previousSettings(ctx context.Context, js jetstream.JetStream) *jetstream.StreamConfig {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, StreamName)
	if err != nil {
		return nil
	}
	cfg := stream.CachedInfo().Config
	return &cfg
}

// settingChanges lists, as log attributes, the stream settings that differ between before and
// after. The stream is shared: every hooknormd replica on one NATS cluster, and every run on one
// data directory, sets it as it starts, and the last to start decides the retention, duplicate
// window, copies and record size of all. A change there is worth a word: a shorter retention age
// drops events at once, a smaller record size refuses what other replicas accept.
func settingChanges(before, after jetstream.StreamConfig) []any {
	var changes []any
	change := func(name string, was, now any) {
		changes = append(changes, name, fmt.Sprintf("%v -> %v", was, now))
	}
	if before.MaxAge != after.MaxAge {
		change("retention_age", describeAge(before.MaxAge), describeAge(after.MaxAge))
	}
	if before.MaxBytes != after.MaxBytes {
		change("retention_bytes", describeBytes(before.MaxBytes), describeBytes(after.MaxBytes))
	}
	if before.Duplicates != after.Duplicates {
		change("duplicate_window", before.Duplicates, after.Duplicates)
	}
	if before.Replicas != after.Replicas {
		change("replicas", before.Replicas, after.Replicas)
	}
	if before.MaxMsgSize != after.MaxMsgSize {
		change("max_record_bytes", before.MaxMsgSize, after.MaxMsgSize)
	}
	return changes
}

func describeAge(age time.Duration) string {
	if age <= 0 {
		return "forever"
	}
	return age.String()
}

func describeBytes(n int64) string {
	if n <= 0 {
		return "no limit"
	}
	return fmt.Sprint(n)
}
