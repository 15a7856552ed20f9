package transport_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"google.golang.org/protobuf/encoding/protojson"
)

// subscription is an open stream of SubscribeResponses, over gRPC or HTTP.
type subscription interface {
	// next returns the next message; an error ends the stream.
	next() (*hooknormv1.SubscribeResponse, error)
}

type grpcSubscription struct {
	stream hooknormv1.WebhookService_SubscribeClient
}

func (s grpcSubscription) next() (*hooknormv1.SubscribeResponse, error) { return s.stream.Recv() }

// ndjsonSubscription reads the newline-delimited JSON of GET /v1/events:subscribe.
type ndjsonSubscription struct {
	lines *bufio.Reader
}

func (s ndjsonSubscription) next() (*hooknormv1.SubscribeResponse, error) {
	line, err := s.lines.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	var frame struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(line, &frame); err != nil {
		return nil, fmt.Errorf("line %.200q: %w", line, err)
	}
	if frame.Result == nil {
		return nil, fmt.Errorf("the stream ended with %s", frame.Error)
	}
	msg := &hooknormv1.SubscribeResponse{}
	return msg, protojson.Unmarshal(frame.Result, msg)
}

// readEvents reads sub until the event of sequence last, and fails the test unless the events it
// reads are every sequence from first to last, once, in order.
func readEvents(t *testing.T, sub subscription, first, last uint64, who string) {
	t.Helper()
	for want := first; want <= last; {
		msg, err := sub.next()
		if err != nil {
			t.Fatalf("%s, waiting for event %d: %v", who, want, err)
		}
		if e := msg.GetEvent(); e != nil {
			if e.GetSequence() != want || len(e.GetRawPayload()) == 0 {
				t.Fatalf("%s got event %d (raw %d bytes), want %d with its raw payload", who, e.GetSequence(), len(e.GetRawPayload()), want)
			}
			want++
		}
	}
}

// TestStalledSubscriberReadsOnWhereItStopped opens a subscription far behind the fan-out hub's
// ring, reads a few events and stops reading, over gRPC and over HTTP, long enough for NATS to
// remove an unused consumer. Meanwhile deliveries are stored and another subscriber receives them;
// the stalled subscription gives its reader of the log up; and once its client reads again it
// gets every event, once, in order, with no error. Before, the stalled subscription kept its
// consumer, up to 1 MiB read ahead; and once NATS had removed the consumer, reading on waited ten
// seconds for missed heartbeats.
func TestStalledSubscriberReadsOnWhereItStopped(t *testing.T) {
	cases := []struct {
		name string
		open func(ctx context.Context, t *testing.T, h *harness) subscription
	}{
		{"gRPC", func(ctx context.Context, t *testing.T, h *harness) subscription {
			stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{
				Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}, IncludeRaw: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			return grpcSubscription{stream}
		}},
		{"HTTP", func(ctx context.Context, t *testing.T, h *harness) subscription {
			resp := h.open(ctx, t, "/v1/events:subscribe?earliest=true&include_raw=true", nil)
			if resp.StatusCode != 200 {
				body, _ := io.ReadAll(resp.Body)
				t.Fatalf("GET /v1/events:subscribe: %d %s", resp.StatusCode, body)
			}
			return ndjsonSubscription{bufio.NewReader(resp.Body)}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logger := slog.New(slog.DiscardHandler)
			const threshold = 3 * time.Second // the reader gives its consumer up after half of it
			eventLog, err := eventlog.Open(context.Background(), eventlog.Config{
				DataDir: t.TempDir(), RetentionAge: time.Hour, DuplicateWindow: time.Hour, Fsync: eventlog.FsyncPeriodic,
				SyncInterval: time.Minute, MaxRecordBytes: eventlog.RecordLimit(1 << 20), ReaderInactiveThreshold: threshold,
			}, logger)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { eventLog.Close() })
			// Far more than the socket and stream buffers between the server and a client hold,
			// so that the server cannot send them all while the client does not read.
			const stored = 3000
			pad := []byte(strings.Repeat("x", 8000))
			for i := range stored {
				event := &hooknormv1.Event{Id: fmt.Sprint("stored-", i), Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Type: "contact.updated", Tenant: "42", RawPayload: pad}
				if _, err := eventLog.Append(context.Background(), event); err != nil {
					t.Fatal(err)
				}
			}
			// A ring of 16 events: the subscription reads the log on its own.
			h := startWith(t, 1<<20, service.Options{Log: eventLog, HubRing: 16})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()

			stalled := c.open(ctx, t, h)
			readEvents(t, stalled, 1, 3, "the subscriber before it stalls")
			if readers := sum(h.scrape(t), "hooknorm_log_readers", nil); readers != 1 {
				t.Fatalf("hooknorm_log_readers is %v; want the subscription to read the log on its own", readers)
			}
			live, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{IncludeRaw: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := live.Recv(); err != nil { // the opening heartbeat: it is open
				t.Fatal(err)
			}

			// The stalled subscription gives its reader up, and stays stalled past the time NATS
			// keeps an unused consumer; deliveries and the other subscriber go on meanwhile.
			for sum(h.scrape(t), "hooknorm_log_readers", nil) != 0 {
				if ctx.Err() != nil {
					t.Fatal("the stalled subscription still holds a reader of the log")
				}
				time.Sleep(20 * time.Millisecond)
			}
			const posted = 5
			for i := range posted {
				h.ingest(t, "/v1/webhooks/clickfunnels",
					fmt.Sprintf(`{"event_id": "posted-%d", "event_type": "contact.updated", "workspace_id": 42, "api_version": 2, "data": {"id": %d}}`, i, i), nil)
			}
			readEvents(t, grpcSubscription{live}, stored+1, stored+posted, "the other subscriber")
			time.Sleep(threshold + time.Second)

			readEvents(t, stalled, 4, stored+posted, "the subscriber that stalled")
		})
	}
}

// TestShutdownEndsSubscriptionsWhoseClientStoppedReading stalls a gRPC and an HTTP subscriber
// (each stops reading with megabytes of events still to send) and shuts the server down while
// another subscriber reads: the shutdown ends them all and is clean, well within its timeout; the
// reading subscriber is told where to resume, as before. Before, the stalled subscriptions held
// the shutdown until its timeout, which then failed.
func TestShutdownEndsSubscriptionsWhoseClientStoppedReading(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	eventLog := openLog(t, t.TempDir(), 1<<20, logger)
	pad := []byte(strings.Repeat("x", 8000))
	const stored = 3000
	for i := range stored {
		event := &hooknormv1.Event{Id: fmt.Sprint("stored-", i), Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Type: "contact.updated", Tenant: "42", RawPayload: pad}
		if _, err := eventLog.Append(context.Background(), event); err != nil {
			t.Fatal(err)
		}
	}
	h := startWith(t, 1<<20, service.Options{Log: eventLog})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stalledGRPC, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{
		Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}, IncludeRaw: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	readEvents(t, grpcSubscription{stalledGRPC}, 1, 1, "the gRPC subscriber before it stalls")
	resp := h.open(ctx, t, "/v1/events:subscribe?earliest=true&include_raw=true", nil)
	readEvents(t, ndjsonSubscription{bufio.NewReader(resp.Body)}, 1, 1, "the HTTP subscriber before it stalls")
	reading, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reading.Recv(); err != nil { // the opening heartbeat: it is open
		t.Fatal(err)
	}

	shutdownCtx, cancelShutdown := context.WithTimeout(ctx, 20*time.Second)
	defer cancelShutdown()
	if err := h.server.Shutdown(shutdownCtx); err != nil {
		t.Errorf("shutdown with two stalled subscribers: %v", err)
	}
	for {
		_, err := reading.Recv()
		if err == nil {
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprint("after_sequence=", stored)) {
			t.Errorf("the reading subscriber's stream ended with %v, want where to resume: after_sequence=%d", err, stored)
		}
		break
	}
}
