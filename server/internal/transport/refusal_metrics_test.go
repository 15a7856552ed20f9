package transport_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// TestHTTPRefusalsOfDeliveriesAreCounted refuses deliveries before they reach gRPC (too large,
// by Content-Length and while streaming, an unknown source, a stalled body) and one
// normalization: /metrics counts each delivery as rejected with its reason and source, and
// does not count the normalization, which is no delivery.
func TestHTTPRefusalsOfDeliveriesAreCounted(t *testing.T) {
	h := start(t, 1024)
	big := `{"event_id": "x", "pad": "` + strings.Repeat("x", 2000) + `"}`
	send := func(path string, body io.Reader, want int) {
		t.Helper()
		resp, err := http.Post(h.httpURL+path, "application/json", body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST %s answered %d, want %d", path, resp.StatusCode, want)
		}
	}
	send("/v1/webhooks/webflow/ecomm_new_order", strings.NewReader(big), http.StatusRequestEntityTooLarge)
	send("/v1/webhooks/clickfunnels", io.MultiReader(strings.NewReader(big)), http.StatusRequestEntityTooLarge) // no Content-Length
	send("/v1/webhooks/shopify", strings.NewReader(`{}`), http.StatusBadRequest)
	send("/v1/normalize/clickfunnels", strings.NewReader(big), http.StatusRequestEntityTooLarge)
	stalled, writer := io.Pipe()
	defer writer.Close()
	go fmt.Fprint(writer, `{"event_type": `)
	send("/v1/webhooks/clickfunnels", stalled, http.StatusBadRequest)

	got := h.scrape(t)
	for _, check := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"source": "SOURCE_WEBFLOW", "outcome": "rejected", "reason": "ERROR_REASON_PAYLOAD_TOO_LARGE"}, 1},
		{map[string]string{"source": "SOURCE_CLICKFUNNELS", "outcome": "rejected", "reason": "ERROR_REASON_PAYLOAD_TOO_LARGE"}, 1},
		{map[string]string{"source": "SOURCE_UNSPECIFIED", "outcome": "rejected", "reason": "ERROR_REASON_SOURCE_UNKNOWN"}, 1},
		{map[string]string{"source": "SOURCE_CLICKFUNNELS", "outcome": "rejected", "reason": "ERROR_REASON_INVALID_REQUEST"}, 1},
		{nil, 4},
	} {
		if v := sum(got, "hooknorm_deliveries_total", check.labels); v != check.want {
			t.Errorf("hooknorm_deliveries_total%v = %v, want %v", check.labels, v, check.want)
		}
	}
}

// TestGRPCRefusalsBeforeTheServiceAreCounted sends an Ingest and a Normalize over gRPC whose
// messages are larger than the server takes, and an Ingest whose message is not Protobuf, which
// gRPC refuses before any interceptor runs: each delivery is counted as rejected, as too large
// or as invalid; the normalization is not counted.
func TestGRPCRefusalsBeforeTheServiceAreCounted(t *testing.T) {
	h := start(t, 1024)
	huge := []byte(`{"event_id": "x", "pad": "` + strings.Repeat("x", 100<<10) + `"}`)
	_, err := h.client.Ingest(context.Background(), &hooknormv1.IngestRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: huge})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("Ingest of %d bytes: %v, want RESOURCE_EXHAUSTED", len(huge), err)
	}
	_, err = h.client.Normalize(context.Background(), &hooknormv1.NormalizeRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: huge})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("Normalize of %d bytes: %v, want RESOURCE_EXHAUSTED", len(huge), err)
	}
	if err := sendUndecodable(context.Background(), h); status.Code(err) != codes.Internal {
		t.Fatalf("an undecodable Ingest: %v, want gRPC's INTERNAL", err)
	}
	checks := []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"source": "SOURCE_UNSPECIFIED", "outcome": "rejected", "reason": "ERROR_REASON_PAYLOAD_TOO_LARGE"}, 1},
		{map[string]string{"source": "SOURCE_UNSPECIFIED", "outcome": "rejected", "reason": "ERROR_REASON_INVALID_REQUEST"}, 1},
		{nil, 2},
	}
	// gRPC counts a call it refused once the call has ended on the server, which may be just after
	// the client has its answer: scrape until the counts are there, for a while.
	var wrong []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := h.scrape(t)
		wrong = wrong[:0]
		for _, check := range checks {
			if v := sum(got, "hooknorm_deliveries_total", check.labels); v != check.want {
				wrong = append(wrong, fmt.Sprintf("hooknorm_deliveries_total%v = %v, want %v", check.labels, v, check.want))
			}
		}
		if len(wrong) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range wrong {
		t.Error(w)
	}
}

// sendUndecodable calls Ingest with a request message that is not Protobuf: a field 1 whose
// length runs past the end.
func sendUndecodable(ctx context.Context, h *harness) error {
	var answer []byte
	return h.conn.Invoke(ctx, hooknormv1.WebhookService_Ingest_FullMethodName, []byte{0x0a, 0x7f, 'x'}, &answer, grpc.ForceCodecV2(rawCodec{}))
}

// rawCodec sends a []byte message as it is, so a test can send bytes no real client would.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }
