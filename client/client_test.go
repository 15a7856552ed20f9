package client_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/servertest"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func startServer(t *testing.T, opts ...servertest.Option) *servertest.Server {
	t.Helper()
	srv, err := servertest.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

func newClient(t *testing.T, addr string) *client.Client {
	t.Helper()
	c, err := client.New(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestNormalize(t *testing.T) {
	c := newClient(t, startServer(t).GRPCAddr())
	body := []byte(`{"name": "Sample Form", "site": "62749158efef318abc8d5a0f", "data": {"email": "a@example.com"}}`)
	event, err := c.Normalize(context.Background(), client.Delivery{
		Source: hooknormv1.Source_SOURCE_WEBFLOW, Payload: body, TriggerType: "form_submission", IncludeRaw: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := event.GetWebflow().GetFormSubmission().GetSiteId(); got != "62749158efef318abc8d5a0f" {
		t.Errorf("site id = %q", got)
	}
	if string(event.GetRawPayload()) != string(body) {
		t.Errorf("raw payload = %q", event.GetRawPayload())
	}
}

func TestRefusalsCarryTheirReason(t *testing.T) {
	c := newClient(t, startServer(t).GRPCAddr())
	_, err := c.Normalize(context.Background(), client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(`{"data": {}}`)})
	if got := client.ReasonOf(err); got != hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING {
		t.Fatalf("reason = %v (%v)", got, err)
	}
	var e *client.Error
	if !errors.As(err, &e) || e.Field != "$.event_type" {
		t.Errorf("error = %#v, want field $.event_type", e)
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("code = %v", status.Code(err))
	}
}

func TestParseSource(t *testing.T) {
	for name, want := range map[string]hooknormv1.Source{
		"clickfunnels": hooknormv1.Source_SOURCE_CLICKFUNNELS, "Webflow": hooknormv1.Source_SOURCE_WEBFLOW,
		"SOURCE_WEBFLOW": hooknormv1.Source_SOURCE_WEBFLOW,
	} {
		if got, err := client.ParseSource(name); err != nil || got != want {
			t.Errorf("ParseSource(%q) = %v, %v", name, got, err)
		}
	}
	for _, name := range []string{"", "stripe", "SOURCE_UNSPECIFIED", "unspecified"} {
		if _, err := client.ParseSource(name); err == nil {
			t.Errorf("ParseSource(%q) accepted it", name)
		}
	}
}
