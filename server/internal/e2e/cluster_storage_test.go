//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestClusterFullDisksAreReportedAndRecoveredFrom runs a real hooknormd on a three-node NATS
// cluster (three replicas of the log) whose nodes store on small tmpfs mounts, and fills them. One
// full disk costs nothing: a majority still stores, deliveries are acknowledged and hooknormd stays
// ready. With two full, a NATS server turns JetStream off and the stream has no leader: every
// delivery is refused with 503, and /readyz and the refused deliveries' log lines say why and what
// the operator must do (free the space and restart those NATS servers, which do not resume by
// themselves); hooknorm_log_writable turns 0. Once they are restarted, hooknormd stores again
// without a restart of its own, and every delivery answered 200 is in the log once.
func TestClusterFullDisksAreReportedAndRecoveredFrom(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node NATS cluster and a child process")
	}
	var mounts, storeDirs []string
	for range 3 {
		mount := mountTmpfs(t, "48m")
		mounts, storeDirs = append(mounts, mount), append(storeDirs, filepath.Join(mount, "jetstream"))
	}
	cluster := startClusterOn(t, storeDirs, nil)
	proc, grpcAddr, url := startOnCluster(t, cluster.urls, "--max-body-bytes", "65536")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 15 * time.Second}
	acked := map[string]bool{}

	// One node's disk full: the other two still store every delivery. One in flight when that
	// node turns JetStream off may be refused (its leadership moves), and is stored when retried.
	fillBut(t, filepath.Join(mounts[0], "filler"), 1<<20)
	for i := 0; freeBytes(t, mounts[0]) > 64<<10 || i < 20; i++ {
		if i == 200 {
			t.Fatalf("the first NATS server's disk still has %d bytes free after 200 deliveries of 48 KiB", freeBytes(t, mounts[0]))
		}
		id := fmt.Sprintf("one-full-%d", i)
		if err := postUntilStored(ctx, t, client, url, id, 48<<10); err != nil {
			t.Fatalf("delivery %s with one of three NATS disks full: %v", id, err)
		}
		acked[id] = true
	}
	if reason := awaitReadiness(ctx, t, client, url, http.StatusOK); reason != "" {
		t.Errorf("/readyz with one of three NATS disks full: %s", reason)
	}

	// Two full: no majority can store. Deliveries are refused, never acknowledged and lost.
	fillBut(t, filepath.Join(mounts[1], "filler"), 1<<20)
	refused := postUntilRefused(ctx, t, client, url, "two-full", 60, acked, "with two of three NATS disks full")
	const noLeader = "has no leader"
	reason := awaitUnreadyBecause(ctx, t, client, url, noLeader)
	for _, want := range []string{noLeader, "of its 3 replicas", "disk filled", "does not resume by itself; free space, then restart it"} {
		if !strings.Contains(reason, want) {
			t.Errorf("/readyz with two of three NATS disks full gives the reason %q, which does not say %q", reason, want)
		}
	}
	if got := metricValue(t, client, url, "hooknorm_log_writable"); got != "0" {
		t.Errorf("hooknorm_log_writable with two of three NATS disks full = %s, want 0", got)
	}
	refused = append(refused, postRefused(ctx, t, client, url, "refused", 2, "while the stream has no leader")...)
	// The first refusals may come while the stream's leader still waits for the full replicas;
	// the later ones, once it has stepped down. Each names the replicas that cannot store.
	for _, id := range refused {
		if line := awaitRequestLine(ctx, t, proc, id); !strings.Contains(fmt.Sprint(line["error"]), "not current") {
			t.Errorf("the log line of refused delivery %s does not name the replicas that are not current: %v", id, line)
		}
	}
	if line := awaitRequestLine(ctx, t, proc, refused[len(refused)-1]); !strings.Contains(fmt.Sprint(line["error"]), noLeader) {
		t.Errorf("the log line of the last refused delivery does not say the stream %s: %v", noLeader, line)
	}

	// The operator frees the space and restarts the two NATS servers: hooknormd stores again.
	for i := range 2 {
		if err := os.Remove(filepath.Join(mounts[i], "filler")); err != nil {
			t.Fatal(err)
		}
		cluster.stop(i)
		cluster.start(i)
	}
	awaitReadiness(ctx, t, client, url, http.StatusOK)
	if got := metricValue(t, client, url, "hooknorm_log_writable"); got != "1" {
		t.Errorf("hooknorm_log_writable once the NATS servers were restarted = %s, want 1", got)
	}
	if got := metricValue(t, client, url, "hooknorm_log_storage_failures_total"); got == "" || got == "0" {
		t.Errorf("hooknorm_log_storage_failures_total after the stream lost its leader = %q, want at least 1", got)
	}
	retryCtx, cancelRetry := context.WithTimeout(ctx, 30*time.Second)
	defer cancelRetry()
	for _, id := range refused {
		if err := retryPadded(retryCtx, t, client, url, id); err != nil {
			t.Fatalf("delivery %s after the NATS servers were restarted: %v", id, err)
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
			t.Errorf("delivery %s was answered 200 but is in the log %d times", id, seen[id])
		}
	}
}

// TestClusterStorageLimitIsNamed runs a real hooknormd on a three-node NATS cluster whose
// JetStream may store only 4 MiB per server (max_file_store) and fills it. NATS answers the first
// delivery over the limit "insufficient resources", then leaves the stream without a leader and
// answers nothing: every later refusal, and /readyz, must still name the cause and the remedy.
// Once the operator raises the limit (restarting the NATS servers), hooknormd stores again.
func TestClusterStorageLimitIsNamed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node NATS cluster and a child process")
	}
	storeDirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	cluster := startClusterOn(t, storeDirs, func(o *server.Options) { o.JetStreamMaxStore = 4 << 20 })
	proc, _, url := startOnCluster(t, cluster.urls, "--max-body-bytes", "65536")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 15 * time.Second}

	for i := 0; ; i++ {
		if i == 200 {
			t.Fatal("200 deliveries of 48 KiB were stored within a limit of 4 MiB")
		}
		code, answer := postPadded(ctx, t, client, url, fmt.Sprintf("filling-%d", i), 48<<10)
		if code == http.StatusServiceUnavailable {
			break
		}
		if code != http.StatusOK {
			t.Fatalf("delivery filling-%d: %d %s, want 200 or 503", i, code, answer)
		}
	}
	const cause = "insufficient resources"
	if code, answer := postPadded(ctx, t, client, url, "over-limit", 0); code != http.StatusServiceUnavailable {
		t.Fatalf("a delivery with the NATS storage limit reached: %d %s, want 503", code, answer)
	}
	if line := awaitRequestLine(ctx, t, proc, "over-limit"); !strings.Contains(fmt.Sprint(line["error"]), cause) ||
		!strings.Contains(fmt.Sprint(line["error"]), "max_file_store") {
		t.Errorf("the log line of a delivery refused over the NATS storage limit does not name the cause %q and the limit: %v", cause, line)
	}
	awaitUnreadyBecause(ctx, t, client, url, cause)

	for i := range cluster.nodes {
		cluster.stop(i)
		cluster.opts[i].JetStreamMaxStore = 64 << 20
		cluster.start(i)
	}
	if reason := awaitReadiness(ctx, t, client, url, http.StatusOK); reason != "" {
		t.Errorf("/readyz after the limit was raised: %s", reason)
	}
	retryCtx, cancelRetry := context.WithTimeout(ctx, 30*time.Second)
	defer cancelRetry()
	if err := retryPadded(retryCtx, t, client, url, "over-limit"); err != nil {
		t.Fatalf("the refused delivery after the limit was raised: %v", err)
	}
}

// TestClusterOutageIsReportedAndSubscribersReadOn stops every node of the NATS cluster under a
// real hooknormd with a live subscriber, then starts them again. While none answers, deliveries
// are refused at once with the cause on their log line, not after waiting for an acknowledgement
// that cannot come, and /readyz says hooknormd is not connected. Once the cluster is back, hooknormd
// stores again by itself and the subscriber opened before the outage receives what is stored.
// hooknorm_log_writable follows.
func TestClusterOutageIsReportedAndSubscribersReadOn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node NATS cluster and a child process")
	}
	cluster := startRestartableCluster(t, 3)
	proc, grpcAddr, url := startOnCluster(t, cluster.urls, "--heartbeat-interval", "200ms")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 15 * time.Second}

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	live, err := hooknormv1.NewWebhookServiceClient(conn).Subscribe(ctx, &hooknormv1.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	liveIDs, liveErr := make(chan string, 100), make(chan error, 1)
	go func() {
		for {
			msg, err := live.Recv()
			if err != nil {
				liveErr <- err
				return
			}
			if e := msg.GetEvent(); e != nil {
				liveIDs <- e.GetId()
			}
		}
	}()
	awaitLive := func(id string) {
		t.Helper()
		for {
			select {
			case got := <-liveIDs:
				if got == id {
					return
				}
			case err := <-liveErr:
				t.Fatalf("the live subscription ended waiting for %s: %v", id, err)
			case <-time.After(30 * time.Second):
				t.Fatalf("the live subscription opened before the outage did not receive %s", id)
			}
		}
	}
	if _, err := deliver(ctx, client, url, "before"); err != nil {
		t.Fatal(err)
	}
	awaitLive("before")

	for i := range cluster.nodes {
		cluster.stop(i)
	}
	const cause = "not connected to NATS"
	awaitUnreadyBecause(ctx, t, client, url, cause)
	if got := metricValue(t, client, url, "hooknorm_log_writable"); got != "0" {
		t.Errorf("hooknorm_log_writable with every NATS server stopped = %s, want 0", got)
	}
	if code, answer := postPadded(ctx, t, client, url, "during", 0); code != http.StatusServiceUnavailable {
		t.Errorf("a delivery with every NATS server stopped: %d %s, want 503", code, answer)
	}
	if line := awaitRequestLine(ctx, t, proc, "during"); !strings.Contains(fmt.Sprint(line["error"]), cause) {
		t.Errorf("the log line of a delivery refused with every NATS server stopped does not say %q: %v", cause, line)
	}

	for i := range cluster.nodes {
		cluster.start(i)
	}
	awaitReadiness(ctx, t, client, url, http.StatusOK)
	if _, err := deliver(ctx, client, url, "after"); err != nil {
		t.Fatal(err)
	}
	awaitLive("after")
	if got := metricValue(t, client, url, "hooknorm_log_writable"); got != "1" {
		t.Errorf("hooknorm_log_writable once the NATS cluster is back = %s, want 1", got)
	}
}

// awaitUnreadyBecause polls /readyz until it answers 503 with a reason that says cause, and
// returns the reason. A cluster in trouble goes through states (a last reconnection, an election)
// before it settles: it gives up after a minute, with the last reason given.
func awaitUnreadyBecause(ctx context.Context, t *testing.T, client *http.Client, url, cause string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		reason := awaitReadiness(ctx, t, client, url, http.StatusServiceUnavailable)
		if strings.Contains(reason, cause) {
			return reason
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz answers 503 with the reason %q, which does not say %q", reason, cause)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// postUntilStored posts a delivery padded with pad bytes until it is answered 200, for up to 30
// seconds, as a provider retries; any answer but 200 or 503 is an error at once.
func postUntilStored(ctx context.Context, t *testing.T, client *http.Client, url, id string, pad int) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		code, answer := postPadded(ctx, t, client, url, id, pad)
		switch {
		case code == http.StatusOK:
			return nil
		case code != http.StatusServiceUnavailable:
			return fmt.Errorf("answered %d %s, want 200 or 503", code, answer)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("still %d %s: %w", code, answer, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freeBytes is the space left on the file system of path.
func freeBytes(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// TestDeletedStreamIsNamed deletes the log's stream on the external NATS server under a running
// hooknormd, as an operator might by mistake: deliveries are refused, and /readyz and the refused
// delivery's log line say the stream is gone and that a restart creates it anew.
func TestDeletedStreamIsNamed(t *testing.T) {
	url := startNATSServer(t, true, func(o *server.Options) { o.MaxPayload = 8 << 20 })
	httpAddr := freePort(t)
	proc := startProcess(t, "--nats-url", url, "--grpc-addr", freePort(t), "--http-addr", httpAddr)
	t.Cleanup(proc.kill)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 15 * time.Second}
	if code, answer := postPadded(ctx, t, client, "http://"+httpAddr, "kept", 0); code != http.StatusOK {
		t.Fatalf("a delivery before the stream was deleted: %d %s", code, answer)
	}

	conn, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	js, err := jetstream.New(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, eventlog.StreamName); err != nil {
		t.Fatal(err)
	}
	const cause = "is gone from NATS"
	awaitUnreadyBecause(ctx, t, client, "http://"+httpAddr, cause)
	if code, answer := postPadded(ctx, t, client, "http://"+httpAddr, "lost", 0); code != http.StatusServiceUnavailable {
		t.Fatalf("a delivery after the stream was deleted: %d %s, want 503", code, answer)
	}
	if line := awaitRequestLine(ctx, t, proc, "lost"); !strings.Contains(fmt.Sprint(line["error"]), cause) ||
		!strings.Contains(fmt.Sprint(line["error"]), "restarted") {
		t.Errorf("the log line of a delivery refused after the stream was deleted does not say it %s and what to do: %v", cause, line)
	}
}
