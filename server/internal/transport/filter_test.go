package transport_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestFilterBounds subscribes with filters too long to check against every event (the fan-out hub
// checks each live subscription's filter in turn, so one unbounded filter would slow every
// subscriber), and with an empty type, which no event has: each is refused at its field, saying
// what is wrong. Filters at the bounds are
// served from the log, and a source listed many times is one source (the log refuses a reader
// whose subjects overlap, which once answered UNAVAILABLE).
func TestFilterBounds(t *testing.T) {
	h := start(t, 1<<20)
	many := func(n int) []string {
		values := make([]string, n)
		for i := range values {
			values[i] = fmt.Sprintf("orders/type-%d", i)
		}
		return values
	}
	long := strings.Repeat("x", 257)
	refused := []struct {
		name      string
		req       *hooknormv1.SubscribeRequest
		wantField string
		wantInMsg string
	}{
		{"101 types", &hooknormv1.SubscribeRequest{Types: many(101)}, "types", "types lists 101 values; a subscription may give at most 100"},
		{"101 prefixes", &hooknormv1.SubscribeRequest{TypePrefixes: many(101)}, "type_prefixes", "type_prefixes lists 101 values"},
		{"a long prefix", &hooknormv1.SubscribeRequest{TypePrefixes: []string{"orders/", long}}, "type_prefixes", "type_prefixes value 2 is 257 bytes"},
		{"a long tenant", &hooknormv1.SubscribeRequest{Tenant: long}, "tenant", "tenant is 257 bytes"},
		{"an empty type", &hooknormv1.SubscribeRequest{Types: []string{"orders/invoice.paid", ""}}, "types", "types value 2 is empty"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			stream, err := h.client.Subscribe(ctx, c.req)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := stream.Recv()
			st := status.Convert(err)
			if err == nil || st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), c.wantInMsg) {
				t.Fatalf("got %v, %v; want INVALID_ARGUMENT saying %q", msg, err, c.wantInMsg)
			}
			if field := errorInfo(st).GetMetadata()["field"]; field != c.wantField {
				t.Errorf("field %q, want %q", field, c.wantField)
			}
		})
	}

	h.ingest(t, "/v1/webhooks/clickfunnels", cfInvoice, nil)
	sources := make([]hooknormv1.Source, 50)
	for i := range sources {
		sources[i] = hooknormv1.Source_SOURCE_CLICKFUNNELS
	}
	atBounds := &hooknormv1.SubscribeRequest{
		Start:        &hooknormv1.SubscribeRequest_Earliest{Earliest: true},
		Sources:      sources,
		Types:        append(many(99), "orders/invoice.paid"),
		TypePrefixes: many(100),
		Tenant:       "42",
	}
	if events := h.subscribe(t, atBounds, 1); events[0].GetId() != "ev-1" {
		t.Errorf("a filter at the bounds served %v, want ev-1", events[0])
	}
}
