package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hooknorm/hooknorm/client"
	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/servertest"
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
