package transport_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/verify"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// lockedBuffer is a log destination the server writes to while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Values that must never reach the log.
const (
	logSecret      = "cf-log-secret-0b7e"
	logToken       = "ops-log-token-5d21"
	payloadMarker  = "payload-marker-e6c4@example.com"
	logDeliveryFmt = `{"event_id": %q, "event_type": "contact.created", "workspace_id": 42, "api_version": 2, "data": {"id": 7, "email_address": "` + payloadMarker + `"}}`
)

// loggedServer starts a server that logs JSON at debug level into the returned buffer, requires
// ClickFunnels deliveries signed with logSecret and API calls to carry logToken.
func loggedServer(t *testing.T) (*harness, *lockedBuffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.json")
	tokens := fmt.Sprintf(`{"tokens": [{"name": "ops", "sha256": %q, "calls": ["normalize", "ingest", "subscribe"]}]}`, tokenHash(logToken))
	if err := os.WriteFile(path, []byte(tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	guard, err := access.NewGuard(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := verify.NewSignatures(map[hooknormv1.Source][]string{hooknormv1.Source_SOURCE_CLICKFUNNELS: {logSecret}}, nil)
	return startLogging(t, logger, 4096, service.Options{Verifier: v}, nil, guard), logs
}

// signed are the ClickFunnels signature headers of body, with the secret given.
func signed(secret, body string) map[string]string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return map[string]string{"X-Webhook-ClickFunnels-Timestamp": ts, "X-Webhook-ClickFunnels-Signature": hmacHex(secret, ts+"."+body)}
}

// logRequest is a request the test made and the line it expects for it; empty fields are not
// checked, and absent lists fields the line must not have.
type logRequest struct {
	name   string
	id     string // the request id returned to the caller
	want   map[string]any
	absent []string
}

// TestOneLogLinePerRequest makes stored, duplicate and refused deliveries and API calls over HTTP
// and gRPC, and requests refused before any gRPC call, on a server logging JSON. Every line
// parses, every request has exactly one line with its id, what it was about and how it ended,
// and no payload, signature, secret or token is logged.
func TestOneLogLinePerRequest(t *testing.T) {
	h, logs := loggedServer(t)
	var made []logRequest
	var sentSignatures []string
	httpCall := func(name, method, path, body string, headers map[string]string, wantStatus int, want map[string]any, absent ...string) {
		t.Helper()
		req, err := http.NewRequest(method, h.httpURL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body) // read to the end, as a client does: one that hangs up early is logged as cancelled
		resp.Body.Close()
		if resp.StatusCode != wantStatus {
			t.Fatalf("%s: status %d, want %d", name, resp.StatusCode, wantStatus)
		}
		id := resp.Header.Get("X-Request-Id")
		if id == "" {
			t.Fatalf("%s: no X-Request-Id in the answer", name)
		}
		if sent := headers["X-Request-Id"]; sent != "" && len(sent) <= 128 && !strings.ContainsAny(sent, " \n") && id != sent {
			t.Errorf("%s: X-Request-Id %q, want the one sent, %q", name, id, sent)
		}
		want["protocol"], want["http_method"], want["status"] = "http", method, float64(wantStatus)
		made = append(made, logRequest{name: name, id: id, want: want, absent: absent})
	}
	grpcIngest := func(name, id string, ctx context.Context, body string, headers map[string]string, want map[string]any) {
		t.Helper()
		if id != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", id)
		}
		var header metadata.MD
		_, _ = h.client.Ingest(ctx, &hooknormv1.IngestRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(body), Headers: headers}, grpc.Header(&header))
		ids := header.Get("x-request-id")
		if len(ids) != 1 || (id != "" && ids[0] != id) {
			t.Fatalf("%s: x-request-id header %v, want [%s]", name, ids, id)
		}
		want["protocol"], want["grpc_method"] = "grpc", "/hooknorm.v1.WebhookService/Ingest"
		made = append(made, logRequest{name: name, id: ids[0], want: want, absent: []string{"status", "path"}})
	}
	sign := func(body string) map[string]string {
		headers := signed(logSecret, body)
		sentSignatures = append(sentSignatures, headers["X-Webhook-ClickFunnels-Signature"])
		return headers
	}
	stored := func(id string) map[string]any {
		return map[string]any{"grpc_method": "/hooknorm.v1.WebhookService/Ingest", "source": "SOURCE_CLICKFUNNELS", "event_type": "contact.created",
			"case": "clickfunnels.contact_created", "event_id": id, "code": "OK", "outcome": "stored", "level": "INFO"}
	}

	first := fmt.Sprintf(logDeliveryFmt, "log-1")
	httpCall("HTTP stored", "POST", "/v1/webhooks/clickfunnels", first, withHeader(sign(first), "X-Request-Id", "provider-req-1"), 200, stored("log-1"), "reason")
	duplicate := stored("log-1")
	duplicate["outcome"] = "duplicate"
	httpCall("HTTP duplicate", "POST", "/v1/webhooks/clickfunnels", first, sign(first), 200, duplicate)
	httpCall("HTTP unsigned", "POST", "/v1/webhooks/clickfunnels", fmt.Sprintf(logDeliveryFmt, "log-2"), withHeader(nil, "X-Request-Id", "bad id with spaces"), 401,
		map[string]any{"grpc_method": "/hooknorm.v1.WebhookService/Ingest", "source": "SOURCE_CLICKFUNNELS", "code": "UNAUTHENTICATED",
			"outcome": "rejected", "reason": "SIGNATURE_MISSING"}, "event_type")
	httpCall("HTTP too long an id", "POST", "/v1/webhooks/clickfunnels", fmt.Sprintf(logDeliveryFmt, "log-3"), withHeader(nil, "X-Request-Id", strings.Repeat("x", 129)), 401,
		map[string]any{"outcome": "rejected", "reason": "SIGNATURE_MISSING"})
	httpCall("HTTP too large", "POST", "/v1/webhooks/clickfunnels", strings.Repeat(" ", 5000)+first, nil, 413,
		map[string]any{"source": "SOURCE_CLICKFUNNELS", "code": "RESOURCE_EXHAUSTED", "outcome": "rejected", "reason": "PAYLOAD_TOO_LARGE", "path": "/v1/webhooks/clickfunnels"}, "grpc_method")
	httpCall("HTTP unknown source", "POST", "/v1/webhooks/shopify", first, nil, 400,
		map[string]any{"outcome": "rejected", "reason": "SOURCE_UNKNOWN", "path": "/v1/webhooks/shopify"}, "grpc_method", "source")
	httpCall("HTTP no route", "GET", "/v1/nowhere?token="+logToken, "", nil, 404,
		map[string]any{"outcome": "rejected", "reason": "ROUTE_NOT_FOUND", "code": "NOT_FOUND", "path": "/v1/nowhere"})
	httpCall("HTTP wrong method", "DELETE", "/v1/webhooks/clickfunnels", "", nil, 405,
		map[string]any{"outcome": "rejected", "reason": "METHOD_NOT_ALLOWED"})
	httpCall("HTTP normalize", "POST", "/v1/normalize/clickfunnels", fmt.Sprintf(logDeliveryFmt, "log-4"), map[string]string{"Authorization": "Bearer " + logToken}, 200,
		map[string]any{"grpc_method": "/hooknorm.v1.WebhookService/Normalize", "source": "SOURCE_CLICKFUNNELS", "event_id": "log-4", "case": "clickfunnels.contact_created", "outcome": "ok", "code": "OK"})
	httpCall("HTTP normalize without a token", "POST", "/v1/normalize/clickfunnels", first, nil, 401,
		map[string]any{"outcome": "rejected", "reason": "TOKEN_MISSING"})
	httpCall("HTTP liveness probe", "GET", "/healthz", "", nil, 200, map[string]any{"level": "DEBUG", "outcome": "ok"})
	httpCall("HTTP readiness probe", "GET", "/readyz", "", nil, 200, map[string]any{"level": "DEBUG"})
	httpCall("HTTP metrics", "GET", "/metrics", "", nil, 200, map[string]any{"level": "DEBUG"})
	httpCall("HTTP API document", "GET", "/openapi.json", "", nil, 200, map[string]any{"level": "INFO", "outcome": "ok"})

	second := fmt.Sprintf(logDeliveryFmt, "log-5")
	grpcIngest("gRPC stored", "grpc-req-1", withToken(logToken), second, sign(second), stored("log-5"))
	grpcDuplicate := stored("log-5")
	grpcDuplicate["outcome"] = "duplicate"
	grpcIngest("gRPC duplicate", "", withToken(logToken), second, sign(second), grpcDuplicate)
	forged := fmt.Sprintf(logDeliveryFmt, "log-6")
	grpcIngest("gRPC forged", "grpc-req-3", withToken(logToken), forged, signed("guess", forged),
		map[string]any{"source": "SOURCE_CLICKFUNNELS", "code": "UNAUTHENTICATED", "outcome": "rejected", "reason": "SIGNATURE_MISMATCH"})
	grpcIngest("gRPC without a token", "grpc-req-4", context.Background(), second, nil,
		map[string]any{"code": "UNAUTHENTICATED", "outcome": "rejected", "reason": "TOKEN_MISSING"})

	// A message larger than the server takes is refused by gRPC before any interceptor; it still
	// gets its line, with the caller's request id.
	huge := strings.Repeat(" ", 80<<10) + second
	_, err := h.client.Ingest(metadata.AppendToOutgoingContext(withToken(logToken), "x-request-id", "grpc-req-5"),
		&hooknormv1.IngestRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(huge)})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("gRPC too large: %v, want RESOURCE_EXHAUSTED", err)
	}
	made = append(made, logRequest{name: "gRPC too large", id: "grpc-req-5", absent: []string{"source", "status"},
		want: map[string]any{"protocol": "grpc", "grpc_method": "/hooknorm.v1.WebhookService/Ingest", "code": "RESOURCE_EXHAUSTED",
			"outcome": "rejected", "reason": "PAYLOAD_TOO_LARGE", "level": "INFO"}})

	if err := sendUndecodable(metadata.AppendToOutgoingContext(context.Background(), "x-request-id", "grpc-req-6"), h); status.Code(err) != codes.Internal {
		t.Fatalf("gRPC undecodable: %v, want gRPC's INTERNAL", err)
	}
	made = append(made, logRequest{name: "gRPC undecodable", id: "grpc-req-6", absent: []string{"source", "status"},
		want: map[string]any{"protocol": "grpc", "grpc_method": "/hooknorm.v1.WebhookService/Ingest", "code": "INTERNAL",
			"outcome": "rejected", "reason": "INVALID_REQUEST", "level": "INFO"}})

	// A subscription the client closes ends cancelled, not refused. Its line is awaited before
	// the shutdown, which would otherwise end the subscription itself.
	subCtx, closeSubscription := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(subCtx, "GET", h.httpURL+"/v1/events:subscribe", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+logToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil { // the opening heartbeat
		t.Fatal(err)
	}
	closeSubscription()
	resp.Body.Close()
	subscriptionID := resp.Header.Get("X-Request-Id")
	made = append(made, logRequest{name: "HTTP subscription closed by the client", id: subscriptionID, absent: []string{"reason"},
		want: map[string]any{"protocol": "http", "grpc_method": "/hooknorm.v1.WebhookService/Subscribe", "code": "CANCELLED", "outcome": "cancelled"}})
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), subscriptionID); {
		if time.Now().After(deadline) {
			t.Fatalf("no log line for the closed subscription:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Shutting down waits for every handler, so every line is written.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	output := logs.String()
	lines := map[string][]map[string]any{}
	requestLines := 0
	for i, line := range strings.Split(strings.TrimSuffix(output, "\n"), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %d is not JSON: %v\n%s", i+1, err, line)
		}
		if entry["msg"] != "request" {
			continue
		}
		requestLines++
		id, _ := entry["request_id"].(string)
		lines[id] = append(lines[id], entry)
	}
	if requestLines != len(made) {
		t.Errorf("%d request lines for %d requests:\n%s", requestLines, len(made), output)
	}
	for _, r := range made {
		got := lines[r.id]
		if len(got) != 1 {
			t.Errorf("%s: %d lines with request id %q, want 1", r.name, len(got), r.id)
			continue
		}
		entry := got[0]
		for key, want := range r.want {
			if entry[key] != want {
				t.Errorf("%s: %s = %v, want %v\n%v", r.name, key, entry[key], want, entry)
			}
		}
		for _, key := range r.absent {
			if _, ok := entry[key]; ok {
				t.Errorf("%s: has %s = %v, want none", r.name, key, entry[key])
			}
		}
		if latency, ok := entry["latency_ms"].(float64); !ok || latency < 0 {
			t.Errorf("%s: latency_ms = %v", r.name, entry["latency_ms"])
		}
		if peer, _ := entry["peer"].(string); !strings.HasPrefix(peer, "127.0.0.1:") {
			t.Errorf("%s: peer = %v", r.name, entry["peer"])
		}
	}
	for _, r := range made[2:4] {
		if len(r.id) != 32 {
			t.Errorf("%s: a client's unusable request id was not replaced by a new one: %q", r.name, r.id)
		}
	}
	for _, secret := range append([]string{logSecret, logToken, payloadMarker, "email_address"}, sentSignatures...) {
		if strings.Contains(output, secret) {
			t.Errorf("the log shows %q:\n%s", secret, output)
		}
	}
}

// withHeader returns headers with one more header set.
func withHeader(headers map[string]string, key, value string) map[string]string {
	out := map[string]string{key: value}
	for k, v := range headers {
		out[k] = v
	}
	return out
}

// TestLogLinesCarryTheTraceID requires the line of a request that came with a traceparent, over
// HTTP or gRPC, to name its trace, and a line of a request without one to name none.
func TestLogLinesCarryTheTraceID(t *testing.T) {
	useTracing(t, false)
	h, logs := loggedServer(t)
	post := func(id, requestID string, traceparent string) {
		t.Helper()
		body := fmt.Sprintf(logDeliveryFmt, id)
		headers := withHeader(signed(logSecret, body), "X-Request-Id", requestID)
		if traceparent != "" {
			headers["traceparent"] = traceparent
		}
		if code, answer := h.post(t, "/v1/webhooks/clickfunnels", []byte(body), headers); code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", id, code, answer)
		}
	}
	post("traced-http", "req-traced-http", incomingTraceparent)
	post("untraced-http", "req-untraced-http", "")
	body := fmt.Sprintf(logDeliveryFmt, "traced-grpc")
	ctx := metadata.AppendToOutgoingContext(withToken(logToken), "x-request-id", "req-traced-grpc", "traceparent", incomingTraceparent)
	if _, err := h.client.Ingest(ctx, &hooknormv1.IngestRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(body), Headers: signed(logSecret, body)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	traceIDs := map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		if id, ok := entry["request_id"].(string); ok && strings.HasPrefix(id, "req-") {
			traceIDs[id] = entry["trace_id"]
		}
	}
	want := map[string]any{"req-traced-http": incomingTraceID, "req-untraced-http": nil, "req-traced-grpc": incomingTraceID}
	if fmt.Sprint(traceIDs) != fmt.Sprint(want) {
		t.Errorf("trace ids by request: %v, want %v", traceIDs, want)
	}
}
