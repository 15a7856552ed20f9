package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/nats-io/nats-server/v2/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// restartableCluster is a NATS cluster on loopback whose nodes can be stopped and started again
// on the same ports and store directories, as an operator restarts a failed node.
type restartableCluster struct {
	t     *testing.T
	opts  []*server.Options
	nodes []*server.Server
	urls  []string
}

func startRestartableCluster(t *testing.T, n int) *restartableCluster {
	t.Helper()
	c := &restartableCluster{t: t, opts: make([]*server.Options, n), nodes: make([]*server.Server, n), urls: make([]string, n)}
	clientAddrs, routeAddrs := make([]string, n), make([]string, n)
	var routes []string
	for i := range n {
		clientAddrs[i], routeAddrs[i] = freePort(t), freePort(t)
		routes = append(routes, "nats-route://"+routeAddrs[i])
	}
	for i := range n {
		c.opts[i] = &server.Options{
			ServerName: fmt.Sprintf("node-%d", i),
			Host:       "127.0.0.1",
			Port:       portOf(t, clientAddrs[i]),
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			MaxPayload: 8 << 20,
			Cluster:    server.ClusterOpts{Name: "hooknorm-quorum", Host: "127.0.0.1", Port: portOf(t, routeAddrs[i])},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		}
		c.urls[i] = "nats://" + clientAddrs[i]
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	return c
}

// start runs node i (again).
func (c *restartableCluster) start(i int) {
	c.t.Helper()
	opts := *c.opts[i]
	ns, err := server.NewServer(&opts)
	if err != nil {
		c.t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(20 * time.Second) {
		c.t.Fatalf("NATS node %d did not start", i)
	}
	c.nodes[i] = ns
}

// stop shuts node i down, if it runs.
func (c *restartableCluster) stop(i int) {
	if ns := c.nodes[i]; ns != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		c.nodes[i] = nil
	}
}

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
	grpcAddr, httpAddr := freePort(t), freePort(t)
	proc := startProcess(t, "--nats-url", strings.Join(cluster.urls, ","), "--nats-replicas", "3",
		"--grpc-addr", grpcAddr, "--http-addr", httpAddr, "--heartbeat-interval", "200ms")
	defer proc.kill()
	url := "http://" + httpAddr
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
	waitFor(t, ctx, "/readyz to answer 503 without quorum", func() bool { return statusOf(client, url+"/readyz") == http.StatusServiceUnavailable })
	for i := range 3 {
		id := fmt.Sprintf("during-%d", i)
		code, answer := post(ctx, client, url, id)
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
	waitFor(t, ctx, "/readyz to answer 200 once quorum is back", func() bool { return statusOf(client, url+"/readyz") == http.StatusOK })
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
	defer func() {
		if t.Failed() {
			t.Logf("hooknormd:\n%s", proc.logs)
		}
	}()
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

// post sends one ClickFunnels delivery once and returns the status code and body.
func post(ctx context.Context, client *http.Client, url, eventID string) (int, string) {
	body := fmt.Sprintf(`{"event_id": %q, "event_type": "orders/invoice.paid", "workspace_id": 42, "api_version": 2, "data": {"id": 1}}`, eventID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/webhooks/clickfunnels", strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// statusOf returns the status code of a GET, or 0 when it fails.
func statusOf(client *http.Client, url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond until it holds, failing the test when ctx ends first.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
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
