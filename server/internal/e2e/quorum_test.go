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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// TestClusterQuorumLossRefusesThenRecovers runs a real hooknormd on a three-node NATS cluster
// (three replicas of the log) and stops two nodes, so the stream has no quorum: every delivery
// must then be refused (never acknowledged and lost), /readyz must answer 503 so load balancers
// stop sending, and once the nodes are back hooknormd must accept deliveries again without a
// restart. Every delivery acknowledged before, during and after is in the log once, and a replay
// to the head reaches it (not only as far as the fan-out hub has read again after the outage).
func TestClusterQuorumLossRefusesThenRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node NATS cluster and a child process")
	}
	cluster := startRestartableCluster(t, 3)
	_, grpcAddr, url := startOnCluster(t, cluster.urls, "--heartbeat-interval", "200ms")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 15 * time.Second}

	acked := map[string]bool{}
	for i := range 5 {
		id := fmt.Sprintf("before-%d", i)
		if _, err := deliver(ctx, client, url, id); err != nil {
			t.Fatalf("delivering %s: %v", id, err)
		}
		acked[id] = true
	}

	cluster.stop(1)
	cluster.stop(2)
	// Without quorum the log cannot store: deliveries are refused and hooknormd says it is unready.
	awaitReadiness(ctx, t, client, url, http.StatusServiceUnavailable)
	for i := range 3 {
		id := fmt.Sprintf("during-%d", i)
		code, answer := postEnvelope(t, client, url+"/v1/webhooks/clickfunnels",
			fmt.Sprintf(`{"event_id": %q, "event_type": "orders/invoice.paid", "workspace_id": 42, "api_version": 2, "data": {"id": 1}}`, id))
		switch code {
		case http.StatusOK:
			acked[id] = true // stored after all (the cluster answered): it must be in the log
		case http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		default:
			t.Errorf("delivery %s without quorum answered %d, want 503: %s", id, code, answer)
		}
	}

	cluster.start(1)
	cluster.start(2)
	awaitReadiness(ctx, t, client, url, http.StatusOK)
	for i := range 5 {
		id := fmt.Sprintf("after-%d", i)
		if _, err := deliver(ctx, client, url, id); err != nil {
			t.Fatalf("delivering %s: %v", id, err)
		}
		acked[id] = true
	}

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	seen := replayAll(ctx, t, conn)
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("acknowledged event %s is in the log %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if !acked[id] && !strings.HasPrefix(id, "during-") {
			t.Errorf("the log holds %s (%d times), which was never delivered", id, n)
		}
	}
}

// replayAll reads the whole log over gRPC from its oldest event up to its newest and counts
// each event id; sequences must rise. Like any client, it resumes after the last event it read
// when the stream ends with UNAVAILABLE (a cluster that has just regained quorum may refuse new
// readers for a moment).
func replayAll(ctx context.Context, t *testing.T, conn *grpc.ClientConn) map[string]int {
	t.Helper()
	api := hooknormv1.NewWebhookServiceClient(conn)
	seen := map[string]int{}
	var last uint64
	for {
		caught, err := replayFrom(ctx, api, last, func(e *hooknormv1.Event) {
			if e.GetSequence() <= last {
				t.Fatalf("sequence %d after %d", e.GetSequence(), last)
			}
			last = e.GetSequence()
			seen[e.GetId()]++
		})
		if caught {
			return seen
		}
		if status.Code(err) != codes.Unavailable || ctx.Err() != nil {
			t.Fatalf("replay after sequence %d: %v", last, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// replayFrom streams the events after sequence after to each until a heartbeat says the log
// holds nothing newer (caught) or the stream fails.
func replayFrom(ctx context.Context, api hooknormv1.WebhookServiceClient, after uint64, each func(*hooknormv1.Event)) (caught bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := api.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: after}})
	if err != nil {
		return false, err
	}
	for {
		msg, err := stream.Recv()
		if err != nil {
			return false, err
		}
		if hb := msg.GetHeartbeat(); hb != nil && hb.GetLatestSequence() == hb.GetCursor() {
			return true, nil
		}
		if e := msg.GetEvent(); e != nil {
			each(e)
		}
	}
}
