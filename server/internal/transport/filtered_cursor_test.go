package transport_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// untilCursor reads a subscription until a heartbeat's cursor reaches last, and returns the
// sequences of the events sent before it.
func untilCursor(t *testing.T, stream hooknormv1.WebhookService_SubscribeClient, last uint64) []uint64 {
	t.Helper()
	var events []uint64
	var cursor uint64
	for {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("sent %v, the last cursor %d, then %v; want a cursor reaching %d", events, cursor, err, last)
		}
		if e := msg.GetEvent(); e != nil {
			events = append(events, e.GetSequence())
		}
		if hb := msg.GetHeartbeat(); hb != nil {
			if cursor = hb.GetCursor(); cursor >= last {
				return events
			}
		}
	}
}

// TestFilteredCursorReachesTheHeadAfterARestart stores events, then starts a server on the
// log, as after a restart: its live feed holds nothing yet, so each subscription reads the log
// on its own first. Whatever the filter (types, tenants, sources, a token's scope) and the start,
// a heartbeat's cursor reaches the newest event, though the filter leaves the last events out,
// and exactly the events the filter accepts were sent.
func TestFilteredCursorReachesTheHeadAfterARestart(t *testing.T) {
	l := openLog(t, t.TempDir(), 1<<20, slog.New(slog.DiscardHandler))
	cf, wf := hooknormv1.Source_SOURCE_CLICKFUNNELS, hooknormv1.Source_SOURCE_WEBFLOW
	for i, e := range []struct {
		source         hooknormv1.Source
		eventType, tnt string
	}{
		{cf, "order.created", "42"},
		{cf, "contact.created", "42"},
		{cf, "contact.created", "43"},
		{wf, "form_submission", "site1"},
		{cf, "contact.created", "43"},
		{cf, "contact.created", "43"},
	} {
		event := &hooknormv1.Event{Id: fmt.Sprintf("ev-%d", i+1), Source: e.source, Type: e.eventType, Tenant: e.tnt}
		if _, err := l.Append(context.Background(), event); err != nil {
			t.Fatal(err)
		}
	}
	const last = 6

	path := filepath.Join(t.TempDir(), "tokens.json")
	tokens := fmt.Sprintf(`{"tokens": [
		{"name": "ops", "sha256": %q, "calls": ["subscribe"]},
		{"name": "ws42", "sha256": %q, "calls": ["subscribe"], "sources": ["clickfunnels"], "tenants": ["42"]}
	]}`, tokenHash("ops-token"), tokenHash("ws42-token"))
	if err := os.WriteFile(path, []byte(tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	guard, err := access.NewGuard(path)
	if err != nil {
		t.Fatal(err)
	}
	h := startLogging(t, slog.New(slog.DiscardHandler), 1<<20, service.Options{Log: l}, nil, guard)

	earliest := &hooknormv1.SubscribeRequest_Earliest{Earliest: true}
	cases := []struct {
		name  string
		token string
		req   *hooknormv1.SubscribeRequest
		want  []uint64
	}{
		{"type prefix", "ops-token", &hooknormv1.SubscribeRequest{Start: earliest, TypePrefixes: []string{"order."}}, []uint64{1}},
		{"tenant", "ops-token", &hooknormv1.SubscribeRequest{Start: earliest, Tenant: "42"}, []uint64{1, 2}},
		{"source", "ops-token", &hooknormv1.SubscribeRequest{Start: earliest, Sources: []hooknormv1.Source{wf}}, []uint64{4}},
		{"a token's scope", "ws42-token", &hooknormv1.SubscribeRequest{Start: earliest}, []uint64{1, 2}},
		{"after a sequence", "ops-token", &hooknormv1.SubscribeRequest{
			Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: 2}, Tenant: "42", TypePrefixes: []string{"contact."},
		}, nil},
		{"since", "ops-token", &hooknormv1.SubscribeRequest{
			Start: &hooknormv1.SubscribeRequest_Since{Since: timestamppb.New(time.Now().Add(-time.Hour))}, TypePrefixes: []string{"order."},
		}, []uint64{1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(withToken(c.token), 10*time.Second)
			defer cancel()
			stream, err := h.client.Subscribe(ctx, c.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := untilCursor(t, stream, last); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("sent events %v before the cursor reached %d, want %v", got, last, c.want)
			}
		})
	}
}
