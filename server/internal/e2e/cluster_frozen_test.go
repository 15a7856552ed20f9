package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestAFrozenNATSServerIsLeftForAnother runs hooknormd on a three-node NATS cluster, connected
// through a proxy to one node, and freezes the proxy: the connection stays open, nothing comes
// back, as from a paused machine or a partition that drops packets. hooknormd must notice and
// store through another node within a minute (its pings: a few seconds), where NATS's default
// pings took up to four minutes, every delivery refused meanwhile. A delivery stored before the
// freeze is still there, a duplicate, afterwards, and a subscriber that was reading when NATS
// froze reads on: the events before and after the freeze, in order, once.
func TestAFrozenNATSServerIsLeftForAnother(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node NATS cluster")
	}
	_, urls := startNATSCluster(t, 3)
	proxy := startFreezableProxy(t, strings.TrimPrefix(urls[0], "nats://"))
	_, grpcAddr, url := startOnCluster(t, []string{"nats://" + proxy.Addr()})
	client := &http.Client{Timeout: 10 * time.Second}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	readCtx, stopReading := context.WithTimeout(context.Background(), 3*time.Minute)
	defer stopReading()
	live, err := hooknormv1.NewWebhookServiceClient(conn).Subscribe(readCtx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	before, err := deliver(ctx, client, url, "before-the-freeze")
	cancel()
	if err != nil {
		t.Fatalf("delivering before the freeze: %v", err)
	}

	proxy.Freeze()
	frozenAt := time.Now()
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	after, err := deliver(ctx, client, url, "after-the-freeze")
	if err != nil {
		t.Fatalf("a minute after the NATS server froze, hooknormd still stores nothing: %v", err)
	}
	t.Logf("stored again %s after the freeze, as sequence %s", time.Since(frozenAt).Round(time.Second), after)
	again, err := deliver(ctx, client, url, "before-the-freeze")
	if err != nil {
		t.Fatal(err)
	}
	if again != before {
		t.Errorf("the delivery stored before the freeze as sequence %s was stored again as %s", before, again)
	}
	var read []string
	for len(read) < 2 {
		msg, err := live.Recv()
		if err != nil {
			t.Fatalf("the subscriber read %v, then: %v", read, err)
		}
		if e := msg.GetEvent(); e != nil {
			read = append(read, fmt.Sprintf("%s@%d", e.GetId(), e.GetSequence()))
		}
	}
	if want := []string{"before-the-freeze@" + before, "after-the-freeze@" + after}; !slices.Equal(read, want) {
		t.Errorf("the subscriber read %v, want %v", read, want)
	}
}
