package transport_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestHostileDeliveries posts the hostile inputs the security issue lists to the ingest routes.
// Each gets its documented answer; the refused ones leave nothing in the log, the tolerated ones
// (unknown types of values inside the data) are stored with the values kept; and the service
// stays up throughout.
func TestHostileDeliveries(t *testing.T) {
	const maxBody = 1 << 20
	h := start(t, maxBody)
	valid := func(id, data string) string {
		return `{"event_id": "` + id + `", "event_type": "contact.updated", "api_version": 2, "data": ` + data + `}`
	}
	cases := []struct {
		name, path, body string
		wantStatus       int
		wantReason       string
	}{
		{"truncated JSON", "/v1/webhooks/clickfunnels", `{"event_id": "x", "event_type": "contact.updated", "data": {"id": 1`, 400, "MALFORMED_JSON"},
		{"an array", "/v1/webhooks/clickfunnels", `[{"event_type": "contact.updated"}]`, 400, "NOT_AN_OBJECT"},
		{"a string", "/v1/webhooks/webflow", `"form_submission"`, 400, "NOT_AN_OBJECT"},
		{"a number", "/v1/webhooks/webflow/form_submission", `42`, 400, "NOT_AN_OBJECT"},
		{"null", "/v1/webhooks/clickfunnels", `null`, 400, "NOT_AN_OBJECT"},
		{"empty", "/v1/webhooks/clickfunnels", ``, 400, "EMPTY_PAYLOAD"},
		{"the event type as a number", "/v1/webhooks/clickfunnels", `{"event_type": 12, "data": {}}`, 400, "INVALID_FIELD"},
		{"the trigger type as an object", "/v1/webhooks/webflow", `{"triggerType": {"name": "x"}, "payload": {}}`, 400, "INVALID_FIELD"},
		{"no event type", "/v1/webhooks/clickfunnels", `{"event_id": "x", "data": {"id": 1}}`, 400, "EVENT_TYPE_MISSING"},
		{"invalid UTF-8", "/v1/webhooks/clickfunnels", "{\"event_type\": \"contact.updated\", \"data\": {\"first_name\": \"\xc3\x28\"}}", 400, "MALFORMED_JSON"},
		{"a lone surrogate escape", "/v1/webhooks/clickfunnels", `{"event_type": "contact.updated", "data": {"first_name": "\ud800"}}`, 400, "MALFORMED_JSON"},
		{"a raw NUL byte", "/v1/webhooks/clickfunnels", "{\"event_type\": \"contact.updated\", \"data\": {\"first_name\": \"a\x00b\"}}", 400, "MALFORMED_JSON"},
		{"a NUL byte after the body", "/v1/webhooks/clickfunnels", "{\"event_type\": \"contact.updated\"}\x00", 400, "MALFORMED_JSON"},
		{"depth 10,000", "/v1/webhooks/clickfunnels", `{"event_type": "contact.updated", "data": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, 400, "NESTING_TOO_DEEP"},
		{"5 MiB", "/v1/webhooks/clickfunnels", `{"event_type": "contact.updated", "data": {"note": "` + strings.Repeat("a", 5<<20) + `"}}`, 413, "PAYLOAD_TOO_LARGE"},
		{"wrong field types in the data", "/v1/webhooks/clickfunnels", valid("types", `{"id": {"nested": true}, "email_address": 12, "tags": "none"}`), 200, ""},
		{"huge numbers", "/v1/webhooks/clickfunnels", valid("huge", `{"id": 123456789012345678901234567890, "anonymous": 1e400, "x": -1e-400}`), 200, ""},
		{"escaped NUL in a string", "/v1/webhooks/clickfunnels", valid("nul", `{"first_name": "a\u0000b"}`), 200, ""},
	}
	stored := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := h.post(t, c.path, []byte(c.body), nil)
			if code != c.wantStatus {
				t.Fatalf("status %d (%.300s), want %d", code, body, c.wantStatus)
			}
			if c.wantStatus == http.StatusOK {
				stored++
				return
			}
			var e httpError
			if err := json.Unmarshal(body, &e); err != nil || e.Reason != c.wantReason || e.Message == "" {
				t.Errorf("body %.300s, want reason %s with a message", body, c.wantReason)
			}
		})
	}
	health, err := healthpb.NewHealthClient(h.conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || health.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("after the hostile deliveries the service is %v, %v", health, err)
	}
	events := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}}, stored)
	ctx, cancel := context.WithTimeout(context.Background(), 2*heartbeat+2*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: uint64(stored)}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	if err != nil || msg.GetHeartbeat().GetLatestSequence() != uint64(stored) {
		t.Errorf("the log holds more than the %d tolerated deliveries: %v %v", stored, msg, err)
	}
	kept := events[0].GetClickfunnels().GetContactUpdated().GetExtra().GetFields()
	if kept["id"] == nil || kept["email_address"] == nil && events[0].GetClickfunnels().GetContactUpdated().GetEmailAddress() != "12" {
		t.Errorf("the mistyped values were not kept: %v", events[0].GetClickfunnels().GetContactUpdated())
	}
}
