package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hooknorm/hooknorm/client"
	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/servertest"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// Convert a ClickFunnels delivery and switch on its oneof case.
func ExampleClient_Normalize() {
	srv, err := servertest.New() // in real use: a running hooknormd, at client.DefaultAddr
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := client.New(srv.GRPCAddr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	delivery := []byte(`{
	  "event_id": "1f6b2c1e-3f0a-4c55-9a39-2b8f0e6d7a10",
	  "event_type": "orders/invoice.paid",
	  "workspace_id": 42,
	  "api_version": 2,
	  "data": {"id": 9001, "status": "paid", "total_amount": "396.00", "currency": "USD"}
	}`)
	event, err := c.Normalize(context.Background(), client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: delivery})
	if err != nil {
		log.Fatal(err)
	}
	switch e := event.GetClickfunnels().GetEvent().(type) {
	case *clickfunnelsv1.Event_OrdersInvoicePaid:
		invoice := e.OrdersInvoicePaid
		fmt.Println(event.GetType(), event.GetTenant(), invoice.GetStatus(), invoice.GetTotalAmount(), invoice.GetCurrency())
	case *clickfunnelsv1.Event_Unknown:
		fmt.Println("an event type hooknorm does not know yet:", e.Unknown.GetEventType())
	}
	// Output: orders/invoice.paid 42 INVOICE_STATUS_PAID 396.00 USD
}

// Store a delivery as the webhook routes do; a repeat is recognised and stored once.
func ExampleClient_Ingest() {
	srv, err := servertest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(srv.GRPCAddr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	delivery := client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(
		`{"event_id": "e-1", "event_type": "contact.created", "workspace_id": 42, "api_version": 2, "data": {"id": 7}}`)}
	for range 2 {
		stored, err := c.Ingest(context.Background(), delivery)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(stored.GetId(), stored.GetSequence(), stored.GetDuplicate())
	}
	// Output:
	// e-1 1 false
	// e-1 1 true
}

// Read the log from the start, keeping the cursor to resume from after a restart.
func ExampleClient_Subscribe() {
	srv, err := servertest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(srv.GRPCAddr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, body := range []string{
		`{"event_id": "e-1", "event_type": "orders/invoice.paid", "api_version": 2, "data": {"id": 1, "total_amount": "49.00"}}`,
		`{"event_id": "e-2", "event_type": "contact.updated", "api_version": 2, "data": {"id": 2}}`,
	} {
		if _, err := c.Ingest(context.Background(), client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(body)}); err != nil {
			log.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sub client.Subscription
	for event, err := range c.Subscribe(ctx, client.Start{Earliest: true}, client.Filter{TypePrefixes: []string{"orders/"}}, &sub) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(event.GetSequence(), event.GetType(), event.GetClickfunnels().GetOrdersInvoicePaid().GetTotalAmount())
		break
	}
	cursor, _ := sub.Cursor()
	fmt.Println("resume after", cursor)
	// Output:
	// 1 orders/invoice.paid 49.00
	// resume after 1
}

// Continue, in a subscriber, the trace of the webhook request that stored an event: the span
// that handles the event joins the request's trace.
func ExampleTraceContext() {
	// As Subscribe yields it: hooknormd stored the trace context of the Ingest call.
	event := &hooknormv1.Event{Id: "ev-1", Traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}

	tracer := otel.Tracer("my-subscriber") // with an OpenTelemetry SDK installed, the span is exported
	ctx, span := tracer.Start(client.TraceContext(context.Background(), event), "handle "+event.GetType())
	defer span.End()
	fmt.Println(trace.SpanContextFromContext(ctx).TraceID())
	// Output: 4bf92f3577b34da6a3ce929d0e0e4736
}
