package transport_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// httpError is the JSON body of an HTTP error.
type httpError struct {
	Code    int    `json:"code"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Field   string `json:"field"`
	Offset  *int64 `json:"offset"`
}

// refusal is one bad request, with the answer expected over HTTP and, when the request can be
// made over gRPC, over gRPC.
type refusal struct {
	name       string
	source     hooknormv1.Source
	trigger    string
	body       string
	httpPath   string // defaults to /v1/normalize/{source}
	httpMethod string // defaults to POST
	wantHTTP   int
	wantCode   codes.Code // codes.OK: not tried over gRPC
	wantReason hooknormv1.ErrorReason
	wantField  string
	wantOffset int64 // -1: none expected
	wantInMsg  string
	grpcInMsg  string // what the gRPC message says, when not wantInMsg
}

func TestRefusals(t *testing.T) {
	const maxBody = 4096
	cf, wf := hooknormv1.Source_SOURCE_CLICKFUNNELS, hooknormv1.Source_SOURCE_WEBFLOW
	cases := []refusal{
		{name: "truncated JSON", source: cf, body: `{"event_type": "contact.created", "data": {`, wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, wantOffset: 43, wantInMsg: "ends early"},
		{name: "syntax error", source: cf, body: `{"event_type" "contact.created"}`, wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, wantOffset: 14, wantInMsg: "byte offset 14"},
		{name: "trailing data", source: cf, body: `{"event_type": "contact.created"} {}`, wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, wantOffset: 34},
		{name: "invalid UTF-8", source: cf, body: "{\"event_type\": \"contact.created\", \"x\": \"\xff\"}", wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, wantOffset: 40, wantInMsg: "UTF-8"},
		{name: "array body", source: cf, body: `[{"event_type": "contact.created"}]`, wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_NOT_AN_OBJECT, wantField: "$", wantOffset: -1, wantInMsg: "an array"},
		{name: "empty body", source: wf, body: "  \n", wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_EMPTY_PAYLOAD, wantOffset: -1},
		{name: "ClickFunnels without event type", source: cf, body: `{"data": {"id": 1}}`, wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING, wantField: "$.event_type", wantOffset: -1},
		{name: "ClickFunnels numeric event type", source: cf, body: `{"event_type": 7}`, wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD, wantField: "$.event_type", wantOffset: -1, wantInMsg: "a number"},
		{name: "ClickFunnels event types disagree", source: cf, trigger: "contact.updated", body: `{"event_type": "contact.created"}`,
			httpPath: "/v1/normalize/clickfunnels?trigger_type=contact.updated", wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT, wantField: "$.event_type", wantOffset: -1},
		{name: "Webflow v1 without trigger type", source: wf, body: `{"name": "Sample Form"}`, wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING, wantField: "$.triggerType", wantOffset: -1, wantInMsg: "/v1/webhooks/webflow/{trigger_type}"},
		{name: "Webflow trigger types disagree", source: wf, trigger: "ecomm_new_order", body: `{"triggerType": "form_submission", "payload": {}}`,
			httpPath: "/v1/normalize/webflow?trigger_type=ecomm_new_order", wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT, wantField: "$.triggerType", wantOffset: -1},
		{name: "Webflow null trigger type", source: wf, body: `{"triggerType": null, "payload": {}}`, wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING, wantField: "$.triggerType", wantOffset: -1},
		{name: "ClickFunnels event id too long", source: cf, body: `{"event_id": "` + strings.Repeat("e", 300) + `", "event_type": "contact.created", "data": {}}`,
			wantHTTP: 400, wantCode: codes.InvalidArgument, wantReason: hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD, wantField: "$.event_id",
			wantOffset: -1, wantInMsg: "is 300 bytes long; hooknorm accepts at most 256"},
		{name: "ClickFunnels event id on two lines", source: cf, body: `{"event_id": "e-1\r\nHooknorm-Type: forged", "event_type": "contact.created", "data": {}}`,
			wantHTTP: 400, wantCode: codes.InvalidArgument, wantReason: hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD, wantField: "$.event_id",
			wantOffset: -1, wantInMsg: "control character at byte 3"},
		{name: "ClickFunnels event type on two lines", source: cf, body: `{"event_type": "contact.created\nNats-Msg-Id: x", "data": {}}`,
			wantHTTP: 400, wantCode: codes.InvalidArgument, wantReason: hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD, wantField: "$.event_type", wantOffset: -1},
		{name: "Webflow trigger type too long", source: wf, body: `{"triggerType": "` + strings.Repeat("t", 257) + `", "payload": {}}`,
			wantHTTP: 400, wantCode: codes.InvalidArgument, wantReason: hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD, wantField: "$.triggerType", wantOffset: -1},
		{name: "Webflow site id too long", source: wf, body: `{"triggerType": "form_submission", "payload": {"siteId": "` + strings.Repeat("s", 257) + `"}}`,
			wantHTTP: 400, wantCode: codes.InvalidArgument, wantReason: hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD, wantField: "tenant", wantOffset: -1},
		{name: "trigger type in the path on two lines", body: `{"orderId": "o-1"}`, httpPath: "/v1/webhooks/webflow/ecomm_new_order%0D%0ANats-Msg-Id:%20x",
			wantHTTP: 400, wantReason: hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST, wantField: "trigger_type", wantOffset: -1, wantInMsg: "on one line"},
		{name: "nesting too deep", source: cf, body: `{"event_type": "x", "data": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
			wantHTTP: 400, wantCode: codes.InvalidArgument, wantReason: hooknormv1.ErrorReason_ERROR_REASON_NESTING_TOO_DEEP, wantOffset: 91},
		{name: "body too large", source: cf, body: `{"event_type": "x", "pad": "` + strings.Repeat("a", maxBody) + `"}`,
			wantHTTP: 413, wantCode: codes.ResourceExhausted, wantReason: hooknormv1.ErrorReason_ERROR_REASON_PAYLOAD_TOO_LARGE, wantOffset: -1},
		{name: "no source", body: `{}`, httpPath: "/v1/normalize/SOURCE_UNSPECIFIED", wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_SOURCE_REQUIRED, wantField: "source", wantOffset: -1,
			wantInMsg: "the path names no source: put clickfunnels or webflow after /v1/normalize/",
			grpcInMsg: "the request names no source: set source to SOURCE_CLICKFUNNELS or SOURCE_WEBFLOW"},
		{name: "an empty source in the path", body: `{}`, httpPath: "/v1/webhooks/", wantHTTP: 400,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_SOURCE_REQUIRED, wantField: "source", wantOffset: -1,
			wantInMsg: "the path names no source: put clickfunnels or webflow after /v1/webhooks/, as in POST /v1/webhooks/clickfunnels"},
		{name: "unknown source", source: hooknormv1.Source(99), body: `{}`, httpPath: "/v1/normalize/shopify", wantHTTP: 400, wantCode: codes.InvalidArgument,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_SOURCE_UNKNOWN, wantField: "source", wantOffset: -1,
			wantInMsg: `hooknorm does not know the source "shopify" in the path: it takes clickfunnels and webflow, as in POST /v1/normalize/clickfunnels`,
			grpcInMsg: "source 99 is not a provider hooknorm knows: set source to SOURCE_CLICKFUNNELS or SOURCE_WEBFLOW"},
		{name: "unknown source of a delivery", body: `{}`, httpPath: "/v1/webhooks/Shopify", wantHTTP: 400,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_SOURCE_UNKNOWN, wantField: "source", wantOffset: -1,
			wantInMsg: `the source "Shopify" in the path: it takes clickfunnels and webflow, as in POST /v1/webhooks/clickfunnels`},
		{name: "malformed query parameter", source: wf, body: `{"triggerType": "x"}`, httpPath: "/v1/normalize/webflow?include_raw=maybe",
			wantHTTP: 400, wantReason: hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST, wantOffset: -1,
			wantInMsg: `query parameter "include_raw" is "maybe": give true or false`},
		{name: "Ingest of a malformed delivery", body: `{"event_type": "x", `, httpPath: "/v1/webhooks/clickfunnels", wantHTTP: 400,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON, wantOffset: 20},
		{name: "Webflow v1 webhook route with a conflicting body", body: `{"triggerType": "form_submission", "payload": {}}`,
			httpPath: "/v1/webhooks/webflow/ecomm_new_order", wantHTTP: 400, wantReason: hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT,
			wantField: "$.triggerType", wantOffset: -1},
		{name: "subscribe with a bad start", httpPath: "/v1/events:subscribe?after_sequence=soon", httpMethod: http.MethodGet, wantHTTP: 400,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST, wantOffset: -1, wantInMsg: `query parameter "after_sequence" is "soon": give a whole number`},
		{name: "wrong method", httpPath: "/v1/normalize/clickfunnels", httpMethod: http.MethodGet, wantHTTP: 405,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_METHOD_NOT_ALLOWED, wantOffset: -1, wantInMsg: "GET is not allowed on /v1/normalize/clickfunnels: use POST"},
		{name: "posting to the subscription", httpPath: "/v1/events:subscribe", wantHTTP: 405,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_METHOD_NOT_ALLOWED, wantOffset: -1, wantInMsg: "POST is not allowed on /v1/events:subscribe: use GET"},
		{name: "unknown route", httpPath: "/v2/everything", httpMethod: http.MethodGet, wantHTTP: 404,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_ROUTE_NOT_FOUND, wantOffset: -1,
			wantInMsg: "no route for GET /v2/everything: hooknorm's routes are GET /v1/consumers, "},
		{name: "a route with one segment too many", body: `{}`, httpPath: "/v1/normalize/webflow/form_submission", wantHTTP: 404,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_ROUTE_NOT_FOUND, wantOffset: -1, wantInMsg: "(GET /openapi.json describes them)"},
	}
	h := start(t, maxBody)
	for _, c := range cases {
		t.Run("HTTP/"+c.name, func(t *testing.T) {
			path := c.httpPath
			if path == "" {
				path = "/v1/normalize/" + sourcePath(c.source)
			}
			method := c.httpMethod
			if method == "" {
				method = http.MethodPost
			}
			resp := h.send(context.Background(), t, method, path, c.body, nil)
			var got httpError
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatalf("error body is not JSON: %v", err)
			}
			if resp.StatusCode != c.wantHTTP || got.Reason != transport.ReasonName(c.wantReason) {
				t.Fatalf("got HTTP %d %s (%s), want %d %s", resp.StatusCode, got.Reason, got.Message, c.wantHTTP, transport.ReasonName(c.wantReason))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if got.Field != c.wantField {
				t.Errorf("field = %q, want %q", got.Field, c.wantField)
			}
			if (got.Offset == nil) != (c.wantOffset < 0) || (got.Offset != nil && *got.Offset != c.wantOffset) {
				t.Errorf("offset = %v, want %d", got.Offset, c.wantOffset)
			}
			checkSays(t, got.Message, c.wantInMsg)
			checkOwnWords(t, got.Message)
		})
		if c.wantCode == codes.OK {
			continue
		}
		t.Run("gRPC/"+c.name, func(t *testing.T) {
			_, err := h.client.Normalize(context.Background(), &hooknormv1.NormalizeRequest{
				Source: c.source, Payload: []byte(c.body), TriggerType: c.trigger,
			})
			st := status.Convert(err)
			if st.Code() != c.wantCode {
				t.Fatalf("code = %v (%s), want %v", st.Code(), st.Message(), c.wantCode)
			}
			info := errorInfo(st)
			if info == nil || info.GetReason() != transport.ReasonName(c.wantReason) || info.GetDomain() != transport.ErrorDomain {
				t.Fatalf("ErrorInfo = %v, want reason %s", info, transport.ReasonName(c.wantReason))
			}
			if info.GetMetadata()["field"] != c.wantField {
				t.Errorf("field = %q, want %q", info.GetMetadata()["field"], c.wantField)
			}
			want := c.grpcInMsg
			if want == "" {
				want = c.wantInMsg
			}
			checkSays(t, st.Message(), want)
			checkOwnWords(t, st.Message())
		})
	}
}

// TestSubscribeRefusalsSayWhatToGive opens subscriptions with a start or filter that cannot be
// served, over gRPC and the same over HTTP: each is refused with INVALID_ARGUMENT (HTTP 400) and
// INVALID_REQUEST, naming the parameter and what to give instead, in hooknorm's words (a since
// out of range once answered with Protobuf's).
func TestSubscribeRefusalsSayWhatToGive(t *testing.T) {
	h := start(t, 1<<20)
	cases := []struct {
		name          string
		req           *hooknormv1.SubscribeRequest
		query         string
		wantField     string
		wantHTTPField string // the gateway reads a query's value before the service sees a field
		wantInMsg     []string
	}{
		{"a source of no provider", &hooknormv1.SubscribeRequest{Sources: []hooknormv1.Source{99}}, "sources=99",
			"sources", "sources", []string{"99", "no source hooknorm knows", "clickfunnels or webflow"}},
		{"the unspecified source", &hooknormv1.SubscribeRequest{Sources: []hooknormv1.Source{hooknormv1.Source_SOURCE_UNSPECIFIED}}, "sources=SOURCE_UNSPECIFIED",
			"sources", "sources", []string{"SOURCE_UNSPECIFIED", "clickfunnels or webflow", "or leave sources out", "every source"}},
		{"since before the year 1", &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Since{Since: &timestamppb.Timestamp{Seconds: -62135596801}}},
			"since=0000-12-31T23:59:59Z", "since", "", []string{"since", "0001", "9999"}},
		{"an empty type", &hooknormv1.SubscribeRequest{Types: []string{""}}, "types=",
			"types", "types", []string{"types value 1 is empty: give event types (or their beginnings), or leave types out"}},
	}
	for _, c := range cases {
		t.Run("gRPC/"+c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			st := h.subscribeRefusal(ctx, t, c.req)
			if st == nil || st.Code() != codes.InvalidArgument {
				t.Fatalf("got %v, want INVALID_ARGUMENT", st)
			}
			info := errorInfo(st)
			if info.GetReason() != "INVALID_REQUEST" || info.GetMetadata()["field"] != c.wantField {
				t.Errorf("ErrorInfo %v, want INVALID_REQUEST at %s", info, c.wantField)
			}
			checkSays(t, st.Message(), c.wantInMsg...)
			checkOwnWords(t, st.Message())
		})
		t.Run("HTTP/"+c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp := h.open(ctx, t, "/v1/events:subscribe?"+c.query, nil)
			got := refusalOf(t, resp)
			if resp.StatusCode != http.StatusBadRequest || got.Reason != "INVALID_REQUEST" || got.Field != c.wantHTTPField {
				t.Fatalf("answered %d %+v, want 400 INVALID_REQUEST at %q", resp.StatusCode, got, c.wantHTTPField)
			}
			checkSays(t, got.Message, c.wantInMsg...)
			checkOwnWords(t, got.Message)
		})
	}
}

// TestRefusedBodyIsNotRead checks that a Content-Length over the limit is refused before the body
// is sent: the server answers 413 while the client still holds the rest of the body.
func TestRefusedBodyIsNotRead(t *testing.T) {
	h := start(t, 1024)
	req, err := http.NewRequest(http.MethodPost, h.httpURL+"/v1/normalize/clickfunnels", strings.NewReader(strings.Repeat("x", 10<<20)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", resp.StatusCode)
	}
}
