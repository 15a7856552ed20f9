package transport_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestCursorBeyondTheLogIsRefused resumes after a sequence the log never reached, as a client
// does whose log was recreated: over gRPC and over HTTP the subscription is refused with
// CURSOR_AHEAD, naming after_sequence and the newest sequence, instead of waiting silently until
// the log passes the cursor. A cursor at the newest event is still a valid place to resume.
func TestCursorBeyondTheLogIsRefused(t *testing.T) {
	h := startWith(t, 1<<20, service.Options{CursorGrace: 200 * time.Millisecond})
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: 5}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	st := status.Convert(err)
	if err == nil || st.Code() != codes.OutOfRange {
		t.Fatalf("after_sequence=5 on a log ending at 1 got %v, %v; want OUT_OF_RANGE", msg, err)
	}
	if info := errorInfo(st); info.GetReason() != transport.ReasonName(hooknormv1.ErrorReason_ERROR_REASON_CURSOR_AHEAD) || info.GetMetadata()["field"] != "after_sequence" {
		t.Errorf("ErrorInfo = %v, want reason CURSOR_AHEAD at after_sequence", info)
	}
	if !strings.Contains(st.Message(), "after_sequence 5") || !strings.Contains(st.Message(), "newest event in the log, 1") {
		t.Errorf("message %q does not name the cursor and the newest sequence", st.Message())
	}

	resp := h.open(ctx, t, "/v1/events:subscribe?after_sequence=5", nil)
	lines := bufio.NewScanner(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !lines.Scan() {
		t.Fatalf("HTTP status %d, want 400 and one line", resp.StatusCode)
	}
	var frame struct {
		Error struct {
			Reason string `json:"reason"`
			Field  string `json:"field"`
		} `json:"error"`
	}
	if err := json.Unmarshal(lines.Bytes(), &frame); err != nil || frame.Error.Reason != "CURSOR_AHEAD" || frame.Error.Field != "after_sequence" {
		t.Errorf("HTTP line %s (%v), want the error body of CURSOR_AHEAD at after_sequence", lines.Text(), err)
	}

	atHead, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := atHead.Recv(); err != nil || msg.GetHeartbeat().GetCursor() != 1 {
		t.Errorf("after_sequence=1 on a log ending at 1 got %v, %v; want a heartbeat with cursor 1", msg, err)
	}
}

// TestCursorTheLogReachesSoonIsServed resumes after a sequence the log reaches within the grace
// period, as after a clustered log's leader changes: the subscription waits for it, then serves
// what follows the cursor.
func TestCursorTheLogReachesSoonIsServed(t *testing.T) {
	h := startWith(t, 1<<20, service.Options{CursorGrace: 10 * time.Second})
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: 2}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the subscription find the log short of its cursor
	h.ingest(t, "/v1/webhooks/webflow", wfV2Form, nil)
	h.ingest(t, "/v1/webhooks/clickfunnels", cfContact, nil)
	if e := nextEvent(t, stream, "resuming after 2 while the log held 1"); e.GetSequence() != 3 || e.GetId() != "ev-2" {
		t.Errorf("first event after cursor 2 is %d %s, want 3 ev-2", e.GetSequence(), e.GetId())
	}
}

// TestSinceInTheFutureIsRefused asks for events since an hour from now, which no stored event can
// be: the subscription is refused at since, instead of serving events received before the time
// asked for. A since a few seconds ahead, as from a client whose clock runs fast, serves new
// events.
func TestSinceInTheFutureIsRefused(t *testing.T) {
	h := start(t, 1<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	later, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Since{Since: timestamppb.New(time.Now().Add(time.Hour))}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := later.Recv()
	if st := status.Convert(err); err == nil || st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "in the future") {
		t.Fatalf("since an hour ahead got %v, %v; want INVALID_ARGUMENT saying it is in the future", msg, err)
	}

	skewed, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Since{Since: timestamppb.New(time.Now().Add(5 * time.Second))}})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := skewed.Recv(); err != nil || msg.GetHeartbeat() == nil {
		t.Fatalf("since 5s ahead got %v, %v; want the opening heartbeat", msg, err)
	}
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	if e := nextEvent(t, skewed, "since 5s ahead"); e.GetId() != "ev-1" {
		t.Errorf("since 5s ahead served %s, want ev-1", e.GetId())
	}
}
