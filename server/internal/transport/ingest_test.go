package transport_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// ingestAnswer is the JSON body of a stored delivery.
type ingestAnswer struct {
	ID        string `json:"id"`
	Sequence  string `json:"sequence"`
	Duplicate *bool  `json:"duplicate"`
}

func (h *harness) ingest(t *testing.T, path, body string, headers map[string]string) ingestAnswer {
	t.Helper()
	code, resp := h.post(t, path, []byte(body), headers)
	if code != http.StatusOK {
		t.Fatalf("POST %s answered %d: %s", path, code, resp)
	}
	var a ingestAnswer
	if err := json.Unmarshal(resp, &a); err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.Sequence == "" || a.Duplicate == nil {
		t.Fatalf("POST %s answered %s: want id, sequence and duplicate", path, resp)
	}
	return a
}

const (
	cfInvoice = `{"event_id": "ev-1", "event_type": "orders/invoice.paid", "workspace_id": 42, "api_version": 2, "data": {"id": 1, "status": "paid"}}`
	cfContact = `{"event_id": "ev-2", "event_type": "contact.created", "workspace_id": 43, "api_version": 2, "data": {"id": 2}}`
	wfV2Form  = `{"triggerType": "form_submission", "payload": {"name": "Contact", "siteId": "site1", "data": {"email": "a@example.com"}}}`
	wfV1Order = `{"orderId": "dfa-3f1", "status": "unfulfilled", "acceptedOn": "2018-12-03T22:06:15.761Z"}`
)

// TestIngestStoresOnceAndSubscribeReplays posts to the three webhook routes, repeats one
// delivery, and replays the log over gRPC: every event once, in order, with its sequence.
func TestIngestStoresOnceAndSubscribeReplays(t *testing.T) {
	h := start(t, 1<<20)
	first := h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	second := h.ingest(t, "/v1/webhooks/webflow", wfV2Form, nil)
	third := h.ingest(t, "/v1/webhooks/webflow/ecomm_new_order", wfV1Order, nil)
	fourth := h.ingest(t, "/v1/webhooks/clickfunnels", cfContact, nil)
	if got := []string{first.Sequence, second.Sequence, third.Sequence, fourth.Sequence}; fmt.Sprint(got) != "[1 2 3 4]" {
		t.Fatalf("sequences %v", got)
	}
	if *first.Duplicate || first.ID != "ev-1" {
		t.Errorf("first delivery answered %+v", first)
	}
	repeat := h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	if !*repeat.Duplicate || repeat.Sequence != "1" || repeat.ID != "ev-1" {
		t.Errorf("repeated delivery answered %+v, want duplicate of sequence 1", repeat)
	}
	wfRepeat := h.ingest(t, "/v1/webhooks/webflow", wfV2Form, nil)
	if !*wfRepeat.Duplicate || wfRepeat.Sequence != "2" || wfRepeat.ID != second.ID {
		t.Errorf("repeated Webflow delivery answered %+v, want duplicate of sequence 2", wfRepeat)
	}

	events := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}}, 4)
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%d %s %s", e.GetSequence(), e.GetType(), e.GetTenant()))
	}
	want := []string{"1 orders/invoice.paid 42", "2 form_submission site1", "3 ecomm_new_order ", "4 contact.created 43"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replayed %v, want %v", got, want)
	}
	if events[0].GetClickfunnels().GetOrdersInvoicePaid().GetStatus() != 2 || events[0].GetRawPayload() != nil {
		t.Errorf("replayed event lost its typed payload or sent its raw body unasked: %v", events[0])
	}
	if wf := events[2].GetWebflow(); wf.GetApiVersion() != 1 || wf.GetEcommNewOrder().GetOrderId() != "dfa-3f1" {
		t.Errorf("the v1 route's trigger type was not used: %v", wf)
	}

	resumed := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: 2}, IncludeRaw: true}, 2)
	if resumed[0].GetSequence() != 3 || resumed[1].GetSequence() != 4 || string(resumed[1].GetRawPayload()) != cfContact {
		t.Errorf("resumed after 2 with %v", resumed)
	}
	filtered := h.subscribe(t, &hooknormv1.SubscribeRequest{
		Start:        &hooknormv1.SubscribeRequest_Earliest{Earliest: true},
		Sources:      []hooknormv1.Source{hooknormv1.Source_SOURCE_CLICKFUNNELS},
		TypePrefixes: []string{"contact."},
	}, 1)
	if filtered[0].GetSequence() != 4 {
		t.Errorf("filtered subscription got %v", filtered)
	}
}

// subscribe reads n events over gRPC, skipping heartbeats.
func (h *harness) subscribe(t *testing.T, req *hooknormv1.SubscribeRequest, n int) []*hooknormv1.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var events []*hooknormv1.Event
	for len(events) < n {
		events = append(events, nextEvent(t, stream, fmt.Sprintf("after %d events", len(events))))
	}
	return events
}

// nextEvent reads stream up to its next event, skipping heartbeats; an error ends the test,
// saying where.
func nextEvent(t *testing.T, stream hooknormv1.WebhookService_SubscribeClient, where string) *hooknormv1.Event {
	t.Helper()
	for {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if e := msg.GetEvent(); e != nil {
			return e
		}
	}
}

// TestSubscribeSendsHeartbeatsWithTheLatestSequence waits on an idle stream for a heartbeat,
// sees newly ingested events arrive live, and after each, once the stream is idle again, a
// heartbeat with the new latest sequence and cursor.
func TestSubscribeSendsHeartbeatsWithTheLatestSequence(t *testing.T) {
	h := start(t, 1<<20)
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if msg.GetHeartbeat().GetLatestSequence() != 1 || msg.GetHeartbeat().GetSentAt() == nil || msg.GetHeartbeat().GetCursor() != 1 {
		t.Fatalf("first message on an idle stream = %v, want a heartbeat at sequence 1", msg)
	}
	h.ingest(t, "/v1/webhooks/clickfunnels", cfContact, nil)
	for {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if e := msg.GetEvent(); e != nil {
			if e.GetSequence() != 2 || e.GetId() != "ev-2" {
				t.Errorf("live event = %v", e)
			}
			break
		}
	}
	for latest := uint64(2); latest <= 3; latest++ {
		if latest == 3 {
			h.ingest(t, "/v1/webhooks/webflow", wfV2Form, nil)
			if msg, err := stream.Recv(); err != nil || msg.GetEvent().GetSequence() != 3 {
				t.Fatalf("after a heartbeat, %v (%v), want the event at sequence 3 live", msg, err)
			}
		}
		msg, err := stream.Recv() // nothing else is stored: the stream goes idle
		if err != nil {
			t.Fatal(err)
		}
		if hb := msg.GetHeartbeat(); hb.GetLatestSequence() != latest || hb.GetCursor() != latest {
			t.Fatalf("on the stream idle after event %d: %v, want a heartbeat with latest sequence and cursor %d", latest, msg, latest)
		}
	}
}

// TestNewOnlySubscriptionSkipsEverythingAlreadyStored stores a burst of events and at once
// subscribes to new events only: the stream starts after the whole burst, even if the server's
// live feed is still catching up with it, and the next event stored is the first one sent.
func TestNewOnlySubscriptionSkipsEverythingAlreadyStored(t *testing.T) {
	h := start(t, 1<<20)
	const burst = 30
	for i := 1; i <= burst; i++ {
		body := fmt.Sprintf(`{"event_id": "burst-%d", "event_type": "contact.updated", "api_version": 2, "data": {"id": %d}}`, i, i)
		h.ingest(t, "/v1/webhooks/clickfunnels", body, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if msg.GetHeartbeat().GetCursor() != burst {
		t.Fatalf("first message = %v, want a heartbeat with cursor %d", msg, burst)
	}
	h.ingest(t, "/v1/webhooks/clickfunnels", cfContact, nil)
	if e := nextEvent(t, stream, "after the burst"); e.GetSequence() != burst+1 {
		t.Errorf("first event sent has sequence %d, want %d", e.GetSequence(), burst+1)
	}
}

// TestSubscribeOverHTTPIsNDJSON replays the log on the HTTP route, one JSON object per line, as
// application/x-ndjson that neither caches nor proxies buffer.
func TestSubscribeOverHTTPIsNDJSON(t *testing.T) {
	h := start(t, 1<<20)
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	h.ingest(t, "/v1/webhooks/webflow", wfV2Form, nil)
	h.ingest(t, "/v1/webhooks/clickfunnels", cfContact, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := h.open(ctx, t, "/v1/events:subscribe?after_sequence=1&sources=clickfunnels&sources=webflow&include_raw=true", nil)
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for header, want := range map[string]string{"Content-Type": "application/x-ndjson", "Cache-Control": "no-store", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s: %q, want %q", header, got, want)
		}
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 4<<20)
	var sequences []uint64
	for len(sequences) < 2 && lines.Scan() {
		var frame struct {
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(lines.Bytes(), &frame); err != nil || frame.Error != nil {
			t.Fatalf("line %q: %v", lines.Text(), err)
		}
		msg := &hooknormv1.SubscribeResponse{}
		if err := protojson.Unmarshal(frame.Result, msg); err != nil {
			t.Fatal(err)
		}
		if e := msg.GetEvent(); e != nil {
			if e.GetRawPayload() == nil {
				t.Errorf("include_raw=true sent no raw payload")
			}
			sequences = append(sequences, e.GetSequence())
		}
	}
	if fmt.Sprint(sequences) != "[2 3]" {
		t.Errorf("NDJSON stream resumed with %v, want [2 3]", sequences)
	}
}

// TestResumeWithCursorNeverGapsOrRepeats disconnects at several points and resumes each time
// after the last sequence seen: the union is every event, once, in order.
func TestResumeWithCursorNeverGapsOrRepeats(t *testing.T) {
	h := start(t, 1<<20)
	const total = 40
	for i := range total {
		body := fmt.Sprintf(`{"event_id": "ev-%d", "event_type": "contact.updated", "api_version": 2, "data": {"id": %d}}`, i, i)
		h.ingest(t, "/v1/webhooks/clickfunnels", body, nil)
	}
	var seen []uint64
	var cursor uint64
	for _, take := range []int{1, 7, 3, 12, 17} {
		req := &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: cursor}}
		for _, e := range h.subscribe(t, req, take) {
			seen = append(seen, e.GetSequence())
			cursor = e.GetSequence()
		}
	}
	if len(seen) != total {
		t.Fatalf("saw %d events, want %d", len(seen), total)
	}
	for i, seq := range seen {
		if seq != uint64(i+1) {
			t.Fatalf("sequence %d at position %d: %v", seq, i, seen)
		}
	}
}

// TestShutdownEndsSubscriptionsWithTheirCursor checks that an open subscription does not hold a
// shutdown up: it ends with UNAVAILABLE saying where to resume.
func TestShutdownEndsSubscriptionsWithTheirCursor(t *testing.T) {
	h := start(t, 1<<20)
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := stream.Recv(); err != nil || msg.GetHeartbeat().GetLatestSequence() != 1 || msg.GetHeartbeat().GetCursor() != 0 {
		t.Fatalf("first message %v, %v; want the opening heartbeat: latest 1, cursor 0", msg, err)
	}
	if msg, err := stream.Recv(); err != nil || msg.GetEvent().GetSequence() != 1 {
		t.Fatalf("second message %v, %v; want event 1", msg, err)
	}
	done := make(chan error, 1)
	go func() { done <- h.server.Shutdown(ctx) }()
	for {
		_, err := stream.Recv()
		if err == nil {
			continue
		}
		st := status.Convert(err)
		if st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "after_sequence=1") {
			t.Errorf("stream ended with %v, want UNAVAILABLE naming after_sequence=1", err)
		}
		break
	}
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestSlowSubscriberSlowsNobody stalls one subscriber (it stops reading, so its stream fills up)
// while events are ingested and another subscriber reads: ingestion and the other subscriber go
// on, and when the stalled one reads again it gets every event, once, in order.
func TestSlowSubscriberSlowsNobody(t *testing.T) {
	h := start(t, 1<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stalled, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{IncludeRaw: true})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // both subscriptions have joined
	const total = 1500
	pad := strings.Repeat("x", 4000) // large events fill the stalled stream's buffers quickly
	received := make(chan uint64, total)
	go func() {
		for {
			msg, err := reader.Recv()
			if err != nil {
				return
			}
			if e := msg.GetEvent(); e != nil {
				received <- e.GetSequence()
			}
		}
	}()
	for i := range total {
		body := fmt.Sprintf(`{"event_id": "slow-%d", "event_type": "contact.updated", "api_version": 2, "data": {"id": %d, "note": %q}}`, i, i, pad)
		h.ingest(t, "/v1/webhooks/clickfunnels", body, nil)
	}
	for want := uint64(1); want <= total; want++ {
		select {
		case got := <-received:
			if got != want {
				t.Fatalf("the reading subscriber got %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the reading subscriber stopped at %d while the other was stalled", want-1)
		}
	}
	for want := uint64(1); want <= total; {
		msg, err := stalled.Recv()
		if err != nil {
			t.Fatalf("the stalled subscriber, at %d: %v", want, err)
		}
		if e := msg.GetEvent(); e != nil {
			if e.GetSequence() != want || len(e.GetRawPayload()) == 0 {
				t.Fatalf("the stalled subscriber got %d (raw %d bytes), want %d", e.GetSequence(), len(e.GetRawPayload()), want)
			}
			want++
		}
	}
}

// TestWebhookURLNamesTheTenant posts Webflow orders, whose bodies name no site, to webhook URLs
// that name one: each is stored with its URL's tenant, the same order sent for two sites is two
// events, and a subscription filtered by tenant gets only its site's. A tenant that contradicts
// the body is refused, with nothing stored.
func TestWebhookURLNamesTheTenant(t *testing.T) {
	h := start(t, 1<<20)
	a := h.ingest(t, "/v1/webhooks/webflow/ecomm_new_order?tenant=site-a", wfV1Order, nil)
	b := h.ingest(t, "/v1/webhooks/webflow/ecomm_new_order?tenant=site-b", wfV1Order, nil)
	again := h.ingest(t, "/v1/webhooks/webflow/ecomm_new_order?tenant=site-a", wfV1Order, nil)
	if a.ID == b.ID || again.ID != a.ID || !*again.Duplicate {
		t.Errorf("ids %s (site-a), %s (site-b), %s (site-a again, duplicate %v); want two events, the repeat a duplicate", a.ID, b.ID, again.ID, *again.Duplicate)
	}
	code, body := h.post(t, "/v1/webhooks/webflow?tenant=site-a", []byte(wfV2Form), nil)
	if code != http.StatusBadRequest || !strings.Contains(string(body), `"field":"tenant"`) || !strings.Contains(string(body), "site1") {
		t.Errorf("a tenant contradicting the body answered %d: %s", code, body)
	}
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)

	events := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}}, 3)
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%d:%s", e.GetSequence(), e.GetTenant()))
	}
	if fmt.Sprint(got) != "[1:site-a 2:site-b 3:42]" {
		t.Errorf("stored %v, want [1:site-a 2:site-b 3:42]", got)
	}
	filtered := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}, Tenant: "site-b"}, 1)
	if filtered[0].GetSequence() != 2 || filtered[0].GetWebflow().GetEcommNewOrder().GetOrderId() != "dfa-3f1" {
		t.Errorf("the site-b subscription got %v", filtered[0])
	}
}

// TestHeartbeatsAlwaysCarryTheirSequences opens a stream over HTTP on an empty log: its opening
// heartbeat still says latestSequence 0 and cursor 0 in JSON, rather than leaving them out as
// zero values are, so a script reading them gets numbers.
func TestHeartbeatsAlwaysCarryTheirSequences(t *testing.T) {
	h := start(t, 1<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := h.open(ctx, t, "/v1/events:subscribe", nil)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var frame struct {
		Result struct {
			Heartbeat map[string]any `json:"heartbeat"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(line), &frame); err != nil {
		t.Fatal(err)
	}
	if hb := frame.Result.Heartbeat; hb["latestSequence"] != "0" || hb["cursor"] != "0" {
		t.Errorf("opening heartbeat on an empty log: %s, want latestSequence and cursor \"0\"", line)
	}
}

// TestLogFailureEndsSubscriptionsWithTheirCursor loses the log under a subscription: the stream
// ends with UNAVAILABLE naming the cursor to resume after (not "nothing was stored", which is
// what a refused delivery is told), and a delivery meanwhile is told that nothing was stored.
func TestLogFailureEndsSubscriptionsWithTheirCursor(t *testing.T) {
	h := start(t, 1<<20)
	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}})
	if err != nil {
		t.Fatal(err)
	}
	for sent := uint64(0); sent < 1; {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		sent = max(sent, msg.GetEvent().GetSequence())
	}
	h.log.Close()
	for {
		_, err := stream.Recv()
		if err == nil {
			continue
		}
		st := status.Convert(err)
		if st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "resume with after_sequence=1") || strings.Contains(st.Message(), "nothing was stored") {
			t.Errorf("stream ended with %v, want UNAVAILABLE naming after_sequence=1", err)
		}
		checkOwnWords(t, st.Message())
		break
	}
	code, body := h.post(t, "/v1/webhooks/clickfunnels", []byte(cfInvoice), nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "nothing was stored: retry later") {
		t.Errorf("a delivery without a log got %d %s, want 503 saying nothing was stored", code, body)
	}
	// The cause (here, a closed log) is the operator's, on the request's log line and in /readyz.
	checkOwnWords(t, string(body))
	if strings.Contains(string(body), "closed") || strings.Contains(string(body), "ev-1") {
		t.Errorf("a delivery without a log was told the log's failure: %s", body)
	}
}
