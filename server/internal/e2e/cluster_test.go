package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"github.com/nats-io/nats-server/v2/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// startNATSCluster runs n NATS servers with JetStream on loopback, routed into one cluster.
func startNATSCluster(t *testing.T, n int) ([]*server.Server, []string) {
	t.Helper()
	c := startRestartableCluster(t, n)
	return c.nodes, c.urls
}

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
	storeDirs := make([]string, n)
	for i := range storeDirs {
		storeDirs[i] = t.TempDir()
	}
	return startClusterOn(t, storeDirs, nil)
}

// startClusterOn runs a restartable cluster of one node for each store directory, which the node
// keeps its JetStream store in, with the options of each node adjusted by mutate when not nil.
func startClusterOn(t *testing.T, storeDirs []string, mutate func(*server.Options)) *restartableCluster {
	t.Helper()
	n := len(storeDirs)
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
			StoreDir:   storeDirs[i],
			NoLog:      true,
			NoSigs:     true,
			MaxPayload: 8 << 20,
			Cluster:    server.ClusterOpts{Name: "hooknorm-quorum", Host: "127.0.0.1", Port: portOf(t, routeAddrs[i])},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		}
		if mutate != nil {
			mutate(c.opts[i])
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

func portOf(t *testing.T, addr string) int {
	t.Helper()
	var port int
	if _, err := fmt.Sscanf(addr[strings.LastIndex(addr, ":")+1:], "%d", &port); err != nil {
		t.Fatal(err)
	}
	return port
}

// replica is a hooknormd serving in-process on an external NATS cluster.
type replica struct {
	server *transport.Server
	log    *eventlog.Log
	url    string
}

func startReplica(t *testing.T, natsURLs []string) *replica {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	eventLog, err := eventlog.Open(context.Background(), eventlog.Config{
		NATSURL:         strings.Join(natsURLs, ","),
		Replicas:        3,
		RetentionAge:    time.Hour,
		DuplicateWindow: time.Hour,
		MaxRecordBytes:  eventlog.RecordLimit(normalize.DefaultMaxBytes),
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	normalizer, err := normalize.New(normalize.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := transport.Start(context.Background(), transport.Config{
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MaxBodyBytes: normalize.DefaultMaxBytes,
		ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute,
	}, service.NewWebhooks(normalizer, service.Options{Log: eventLog, Heartbeat: 200 * time.Millisecond}), logger)
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{server: srv, log: eventLog, url: "http://" + srv.HTTPAddr()}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		eventLog.Close()
	})
	return r
}

// TestClusterLosesNothingWhenANodeStops runs two hooknormd replicas on a three-node NATS cluster
// and stops one node while deliveries flow to both replicas. Every acknowledged event must be in
// the log once; a delivery repeated on the other replica must be a duplicate; a subscriber on
// the second replica that keeps disconnecting and resuming by cursor must see every event once,
// in order.
func TestClusterLosesNothingWhenANodeStops(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node NATS cluster")
	}
	nodes, urls := startNATSCluster(t, 3)
	replicas := []*replica{startReplica(t, urls), startReplica(t, []string{urls[1], urls[2], urls[0]})}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}
	var (
		mu    sync.Mutex
		acked = map[string]string{} // id -> sequence
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for s := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("ev-%d-%d", s, i)
				seq, err := deliver(ctx, client, replicas[(s+i)%2].url, id)
				if err != nil {
					t.Errorf("delivering %s: %v", id, err)
					return
				}
				again, err := deliver(ctx, client, replicas[(s+i+1)%2].url, id)
				if err != nil {
					t.Errorf("repeating %s: %v", id, err)
					return
				}
				if again != seq {
					t.Errorf("%s stored as %s on one replica and %s on the other", id, seq, again)
				}
				mu.Lock()
				acked[id] = seq
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	nodes[2].Shutdown() // under load
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}

	conn, err := grpc.NewClient(replicas[1].server.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	api := hooknormv1.NewWebhookServiceClient(conn)
	seen := map[string]uint64{}
	var cursor uint64
	latest, err := replicas[1].log.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for take := 1; cursor < latest; take = take*3 + 1 {
		streamCtx, stopStream := context.WithCancel(ctx)
		stream, err := api.Subscribe(streamCtx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: cursor}})
		if err != nil {
			t.Fatal(err)
		}
		for got := 0; got < take && cursor < latest; {
			msg, err := stream.Recv()
			if err != nil {
				t.Fatalf("after sequence %d: %v", cursor, err)
			}
			e := msg.GetEvent()
			if e == nil {
				continue
			}
			if e.GetSequence() != cursor+1 {
				t.Fatalf("sequence %d after %d: a gap or a repeat", e.GetSequence(), cursor)
			}
			if prev, dup := seen[e.GetId()]; dup {
				t.Fatalf("%s delivered at %d and again at %d", e.GetId(), prev, e.GetSequence())
			}
			seen[e.GetId()] = e.GetSequence()
			cursor = e.GetSequence()
			got++
		}
		stopStream()
	}
	for id, seq := range acked {
		if got, ok := seen[id]; !ok || fmt.Sprint(got) != seq {
			t.Errorf("acknowledged %s (sequence %s) read back as %d, %v", id, seq, got, ok)
		}
	}
	if len(seen) != len(acked) {
		t.Errorf("the log holds %d events, %d were acknowledged", len(seen), len(acked))
	}
	t.Logf("%d deliveries acknowledged on two replicas, each repeated on the other, one of three NATS nodes stopped; read back once each in order", len(acked))
}

// startOnCluster runs hooknormd on the NATS servers at urls, with three copies of the log, on free
// ports and with more flags; it is killed when the test ends, showing its log if the test failed.
func startOnCluster(t *testing.T, urls []string, more ...string) (proc *process, grpcAddr, url string) {
	t.Helper()
	grpcAddr, httpAddr := freePort(t), freePort(t)
	proc = startProcess(t, append([]string{"--nats-url", strings.Join(urls, ","), "--nats-replicas", "3",
		"--grpc-addr", grpcAddr, "--http-addr", httpAddr}, more...)...)
	t.Cleanup(proc.kill)
	proc.showLogsIfFailed(t)
	return proc, grpcAddr, "http://" + httpAddr
}
