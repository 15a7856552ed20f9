package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestLargeDeliveriesReachSubscribers posts ClickFunnels deliveries of up to 900 KB, under the
// default --max-body-bytes of 1 MiB, between small ones, to a hooknormd with its default settings:
// a subscription opened before receives every one, in order, and so does a replay of the log.
// Before, a record over 1 MiB (a body of 600 KB is stored with its typed event, about twice as
// large) could not be read: the fan-out hub stopped at it, and every subscriber with it.
func TestLargeDeliveriesReachSubscribers(t *testing.T) {
	grpcAddr, httpAddr := freePort(t), freePort(t)
	proc := startProcess(t, "--data-dir", t.TempDir(), "--grpc-addr", grpcAddr, "--http-addr", httpAddr)
	defer proc.kill()
	url := "http://" + httpAddr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	api := hooknormv1.NewWebhookServiceClient(conn)
	live, err := api.Subscribe(ctx, &hooknormv1.SubscribeRequest{IncludeRaw: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.Recv(); err != nil { // the opening heartbeat: it is open
		t.Fatal(err)
	}

	notes := []int{100, 600 << 10, 100, 900 << 10, 100}
	client := &http.Client{Timeout: 30 * time.Second}
	for i, n := range notes {
		body := fmt.Sprintf(`{"event_id": "note-%d", "event_type": "contact.updated", "workspace_id": 42, "api_version": 2, "data": {"id": %d, "note": %q}}`,
			i, i, strings.Repeat("n", n))
		if code, answer := postEnvelope(t, client, url+"/v1/webhooks/clickfunnels", body); code != http.StatusOK {
			t.Fatalf("posting a delivery with a note of %d bytes: %d %s", n, code, answer)
		}
	}

	replay, err := api.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}, IncludeRaw: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, stream := range map[string]hooknormv1.WebhookService_SubscribeClient{"the live subscription": live, "the replay": replay} {
		for want := uint64(1); want <= uint64(len(notes)); {
			msg, err := stream.Recv()
			if err != nil {
				t.Fatalf("%s, waiting for event %d (a note of %d bytes): %v", name, want, notes[want-1], err)
			}
			if e := msg.GetEvent(); e != nil {
				if e.GetSequence() != want || len(e.GetRawPayload()) < notes[want-1] {
					t.Fatalf("%s got event %d with %d raw bytes, want event %d with a note of %d bytes", name, e.GetSequence(), len(e.GetRawPayload()), want, notes[want-1])
				}
				want++
			}
		}
	}
}
