package transport_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
)

// TestGatewayAndGRPCAgree normalizes every fixture over gRPC and over HTTP and requires the same
// event from both, with its oneof case set.
func TestGatewayAndGRPCAgree(t *testing.T) {
	h := start(t, 1<<20)
	all, err := fixtures.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range all {
		t.Run(f.Name, func(t *testing.T) {
			viaGRPC, err := h.client.Normalize(context.Background(), &hooknormv1.NormalizeRequest{
				Source: f.Source, Payload: f.Body, TriggerType: f.TriggerType,
			})
			if err != nil {
				t.Fatalf("gRPC: %v", err)
			}
			path := "/v1/normalize/" + sourcePath(f.Source)
			if f.TriggerType != "" {
				path += "?trigger_type=" + url.QueryEscape(f.TriggerType)
			}
			code, body := h.post(t, path, f.Body, nil)
			if code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", code, body)
			}
			viaHTTP := &hooknormv1.NormalizeResponse{}
			if err := protojson.Unmarshal(body, viaHTTP); err != nil {
				t.Fatalf("HTTP body is not a NormalizeResponse: %v\n%s", err, body)
			}
			if viaGRPC.GetEvent().GetPayload() == nil {
				t.Fatal("the event has no payload case")
			}
			ignoreReceivedAt := protocmp.IgnoreFields(&hooknormv1.Event{}, "received_at")
			if diff := cmp.Diff(viaGRPC, viaHTTP, protocmp.Transform(), ignoreReceivedAt); diff != "" {
				t.Errorf("gRPC and HTTP disagree (-gRPC +HTTP):\n%s", diff)
			}
		})
	}
}

// TestRawPayloadIsExact checks that the raw body survives the gateway byte for byte: CRLF, tabs,
// \u escapes, raw UTF-8 and a trailing newline.
func TestRawPayloadIsExact(t *testing.T) {
	h := start(t, 1<<20)
	body := []byte("{\r\n\t\"triggerType\": \"form_submission\",\r\n\t\"payload\": {\"name\": \"Caf\\u00e9 \u00e9t\u00e9 \U0001F600\", \"data\": {}}\r\n}\n")
	code, resp := h.post(t, "/v1/normalize/webflow?include_raw=true", body, nil)
	if code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", code, resp)
	}
	got := &hooknormv1.NormalizeResponse{}
	if err := protojson.Unmarshal(resp, got); err != nil {
		t.Fatal(err)
	}
	if string(got.GetEvent().GetRawPayload()) != string(body) {
		t.Errorf("raw payload changed:\n got %q\nwant %q", got.GetEvent().GetRawPayload(), body)
	}
	if name := got.GetEvent().GetWebflow().GetFormSubmission().GetName(); name != "Café été 😀" {
		t.Errorf("form name = %q", name)
	}

	code, resp = h.post(t, "/v1/normalize/webflow", body, nil)
	if code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", code, resp)
	}
	var plain map[string]map[string]any
	if err := json.Unmarshal(resp, &plain); err != nil {
		t.Fatal(err)
	}
	if _, present := plain["event"]["rawPayload"]; present {
		t.Error("rawPayload was sent without include_raw")
	}
}

// TestProviderHeadersReachTheService sends Webflow's timestamp header over HTTP and as gRPC
// metadata; an order change, whose payload has no event time, takes its occurred_at from it.
func TestProviderHeadersReachTheService(t *testing.T) {
	h := start(t, 1<<20)
	body := []byte(`{"triggerType": "ecomm_order_changed", "payload": {"orderId": "dfa-3f1", "status": "fulfilled"}}`)
	want := time.UnixMilli(1722370035277).UTC()

	code, resp := h.post(t, "/v1/normalize/webflow", body, map[string]string{"X-Webflow-Timestamp": "1722370035277"})
	if code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", code, resp)
	}
	viaHTTP := &hooknormv1.NormalizeResponse{}
	if err := protojson.Unmarshal(resp, viaHTTP); err != nil {
		t.Fatal(err)
	}
	if got := viaHTTP.GetEvent().GetOccurredAt().AsTime(); !got.Equal(want) {
		t.Errorf("over HTTP occurred_at = %v, want %v", got, want)
	}

	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-webflow-timestamp", "1722370035277")
	viaGRPC, err := h.client.Normalize(ctx, &hooknormv1.NormalizeRequest{Source: hooknormv1.Source_SOURCE_WEBFLOW, Payload: body})
	if err != nil {
		t.Fatal(err)
	}
	if got := viaGRPC.GetEvent().GetOccurredAt().AsTime(); !got.Equal(want) {
		t.Errorf("over gRPC occurred_at = %v, want %v", got, want)
	}
}
