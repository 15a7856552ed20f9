//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestFullDiskIsReportedAndRecoveredFrom runs hooknormd with its data directory on a small tmpfs,
// fills the tmpfs until deliveries are refused, and checks what an operator relies on: /readyz
// and the metrics turn unready with the cause, each refused delivery's log line names it, no
// delivery answered 200 is lost, and once space is freed hooknormd stores again by itself, with
// no restart, and a subscriber opened before keeps receiving.
func TestFullDiskIsReportedAndRecoveredFrom(t *testing.T) {
	mount := mountTmpfs(t, "48m")
	dataDir := filepath.Join(mount, "data")
	grpcAddr, httpAddr := freePort(t), freePort(t)
	proc := startProcess(t, "--data-dir", dataDir, "--grpc-addr", grpcAddr, "--http-addr", httpAddr,
		"--max-body-bytes", "65536", "--heartbeat-interval", "200ms")
	t.Cleanup(proc.kill)
	url := "http://" + httpAddr
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	live, err := hooknormv1.NewWebhookServiceClient(conn).Subscribe(ctx, &hooknormv1.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.Recv(); err != nil { // the opening heartbeat: the subscription is open
		t.Fatal(err)
	}
	liveIDs, liveErr := make(chan string, 1000), make(chan error, 1)
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

	acked := map[string]bool{}
	for i := range 3 {
		id := fmt.Sprintf("before-%d", i)
		if code, answer := postPadded(ctx, t, client, url, id, 0); code != http.StatusOK {
			t.Fatalf("delivery %s before filling the disk: %d %s", id, code, answer)
		}
		acked[id] = true
	}

	// Fill the file system but for 2 MiB, then post deliveries of about 100 KB each until one is
	// refused: the log itself runs out of space.
	filler := filepath.Join(mount, "filler")
	fillBut(t, filler, 2<<20)
	refused := postUntilRefused(ctx, t, client, url, "filling", 200, acked, "on a file system with 2 MiB free")
	refused = append(refused, postRefused(ctx, t, client, url, "full", 3, "while the disk is full")...)

	const cause = "no space left on device"
	if reason := awaitReadiness(ctx, t, client, url, http.StatusServiceUnavailable); !strings.Contains(reason, cause) {
		t.Errorf("/readyz while the disk is full gives the reason %q, which does not say %q", reason, cause)
	}
	if got := metricValue(t, client, url, "hooknorm_log_writable"); got != "0" {
		t.Errorf("hooknorm_log_writable while the disk is full = %s, want 0", got)
	}
	for _, id := range refused {
		line := awaitRequestLine(ctx, t, proc, id)
		if line["status"] != float64(http.StatusServiceUnavailable) || !strings.Contains(fmt.Sprint(line["error"]), cause) {
			t.Errorf("the log line of refused delivery %s does not name the cause %q: %v", id, cause, line)
		}
	}

	// Free the space: without a restart, the refused deliveries are stored when retried (as the
	// provider retries them) and hooknormd turns ready again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	retryCtx, cancelRetry := context.WithTimeout(ctx, 30*time.Second)
	defer cancelRetry()
	for _, id := range refused {
		if err := retryPadded(retryCtx, t, client, url, id); err != nil {
			t.Fatalf("delivery %s after space was freed: %v\n%s", id, err, proc.logs)
		}
		acked[id] = true
	}
	if reason := awaitReadiness(ctx, t, client, url, http.StatusOK); reason != "" {
		t.Errorf("/readyz after space was freed: %s", reason)
	}
	if got := metricValue(t, client, url, "hooknorm_log_writable"); got != "1" {
		t.Errorf("hooknorm_log_writable after space was freed = %s, want 1", got)
	}
	var after []string
	for i := range 3 {
		id := fmt.Sprintf("after-%d", i)
		if code, answer := postPadded(ctx, t, client, url, id, 0); code != http.StatusOK {
			t.Fatalf("delivery %s after recovery: %d %s", id, code, answer)
		}
		acked[id] = true
		after = append(after, id)
	}

	// The subscriber opened before the disk filled receives the events stored after recovery.
	waiting := map[string]bool{}
	for _, id := range after {
		waiting[id] = true
	}
	for len(waiting) > 0 {
		select {
		case id := <-liveIDs:
			delete(waiting, id)
		case err := <-liveErr:
			t.Fatalf("the subscription opened before the disk filled ended: %v (still waiting for %v)", err, waiting)
		case <-time.After(15 * time.Second):
			t.Fatalf("the subscription opened before the disk filled did not receive %v", waiting)
		}
	}

	seen := replayAll(ctx, t, conn)
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("delivery %s was answered 200 but is in the log %d times", id, seen[id])
		}
	}
	t.Logf("%d deliveries acknowledged, %d refused while the disk was full and stored once retried", len(acked), len(refused))
}

// TestNearlyFullDiskAtStart starts hooknormd on a file system with less space free than the
// largest event may take: it serves, says in /readyz that the disk is nearly full, and once space
// is freed stores as much as the file system holds, not a share of what was free at start.
func TestNearlyFullDiskAtStart(t *testing.T) {
	mount := mountTmpfs(t, "48m")
	filler := filepath.Join(mount, "filler")
	fillBut(t, filler, 1<<20)
	grpcAddr, httpAddr := freePort(t), freePort(t)
	proc := startProcess(t, "--data-dir", filepath.Join(mount, "data"), "--grpc-addr", grpcAddr, "--http-addr", httpAddr,
		"--max-body-bytes", "1048576")
	t.Cleanup(proc.kill)
	url := "http://" + httpAddr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}

	if reason := awaitReadiness(ctx, t, client, url, http.StatusServiceUnavailable); !strings.Contains(reason, "nearly full") {
		t.Errorf("/readyz with 1 MiB free for events of up to 3 MiB gives the reason %q, which does not say the disk is nearly full", reason)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if reason := awaitReadiness(ctx, t, client, url, http.StatusOK); reason != "" {
		t.Errorf("/readyz after space was freed: %s", reason)
	}
	// 4 MB of events: more than the log could take if it were held to a share of the 1 MiB free
	// when it started.
	for i := range 40 {
		id := fmt.Sprintf("freed-%d", i)
		if code, answer := postPadded(ctx, t, client, url, id, 48<<10); code != http.StatusOK {
			t.Fatalf("delivery %s (%d KiB stored before it) after space was freed: %d %s", id, i*96, code, answer)
		}
	}
}

// TestRemovedDataDirIsReported removes the data directory under a running hooknormd. The events
// stored from then on would be in files no longer reachable, lost at the next restart: hooknormd
// refuses deliveries instead, with the cause on /readyz and on each refused delivery's log line.
func TestRemovedDataDirIsReported(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	grpcAddr, httpAddr := freePort(t), freePort(t)
	proc := startProcess(t, "--data-dir", dataDir, "--grpc-addr", grpcAddr, "--http-addr", httpAddr)
	t.Cleanup(proc.kill)
	url := "http://" + httpAddr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}

	if code, answer := postPadded(ctx, t, client, url, "kept", 0); code != http.StatusOK {
		t.Fatalf("delivery before the data directory was removed: %d %s", code, answer)
	}
	if err := os.RemoveAll(dataDir); err != nil {
		t.Fatal(err)
	}
	const cause = "was removed"
	if reason := awaitReadiness(ctx, t, client, url, http.StatusServiceUnavailable); !strings.Contains(reason, cause) {
		t.Errorf("/readyz after the data directory was removed gives the reason %q, which does not say it %s", reason, cause)
	}
	if code, answer := postPadded(ctx, t, client, url, "lost", 0); code != http.StatusServiceUnavailable {
		t.Fatalf("delivery after the data directory was removed: %d %s, want 503", code, answer)
	}
	if line := awaitRequestLine(ctx, t, proc, "lost"); !strings.Contains(fmt.Sprint(line["error"]), cause) {
		t.Errorf("the log line of the refused delivery does not say the data directory %s: %v", cause, line)
	}
}

// mountTmpfs mounts a tmpfs of the given size on a new directory, unmounted when the test ends
// (after the processes the test starts later are stopped). It skips the test where mounting is
// not permitted.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("mounting a tmpfs is not permitted here (%v): a full disk is tested only as root", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting the tmpfs at %s: %v", dir, err)
		}
	})
	return dir
}

// fillBut allocates a file at path that takes all the space of its file system but keep bytes.
func fillBut(t *testing.T, path string, keep int64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	if free <= keep {
		t.Fatalf("only %d bytes free, want more than %d", free, keep)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, free-keep); err != nil {
		t.Fatal(err)
	}
}

// postPadded posts a ClickFunnels delivery with the given id, padded with pad bytes, once, and
// returns the status and the answer.
func postPadded(ctx context.Context, t *testing.T, client *http.Client, url, id string, pad int) (int, string) {
	t.Helper()
	body := fmt.Sprintf(`{"event_id": %q, "event_type": "orders/invoice.paid", "workspace_id": 42, "api_version": 2, "data": {"id": 1, "note": %q}}`,
		id, strings.Repeat("x", pad))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/webhooks/clickfunnels", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("posting %s: %v", id, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// postUntilRefused posts deliveries of 48 KiB named prefix-0, prefix-1, ... until one is refused
// with 503, and returns its id; it records each acknowledged one in acked. The test fails when
// limit deliveries are all acknowledged (where, for the message), or on any other answer.
func postUntilRefused(ctx context.Context, t *testing.T, client *http.Client, url, prefix string, limit int, acked map[string]bool, where string) []string {
	t.Helper()
	for i := range limit {
		id := fmt.Sprintf("%s-%d", prefix, i)
		switch code, answer := postPadded(ctx, t, client, url, id, 48<<10); code {
		case http.StatusOK:
			acked[id] = true
		case http.StatusServiceUnavailable:
			return []string{id}
		default:
			t.Fatalf("delivery %s %s: %d %s, want 200 or 503", id, where, code, answer)
		}
	}
	t.Fatalf("%d deliveries of 48 KiB were acknowledged %s", limit, where)
	return nil
}

// postRefused posts n small deliveries named prefix-0, prefix-1, ..., each of which must be
// refused with 503 (when, for the message), and returns their ids.
func postRefused(ctx context.Context, t *testing.T, client *http.Client, url, prefix string, n int, when string) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		if code, answer := postPadded(ctx, t, client, url, id, 0); code != http.StatusServiceUnavailable {
			t.Fatalf("delivery %s %s: %d %s, want 503", id, when, code, answer)
		}
		ids = append(ids, id)
	}
	return ids
}

// retryPadded posts a delivery until it is answered 200, as a provider retries.
func retryPadded(ctx context.Context, t *testing.T, client *http.Client, url, id string) error {
	t.Helper()
	for {
		code, answer := postPadded(ctx, t, client, url, id, 0)
		if code == http.StatusOK {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("still %d %s: %w", code, answer, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// awaitReadiness polls /readyz until it answers want, and returns the reason it gives. It gives
// up after a minute: a NATS cluster may take a while to elect leaders again.
func awaitReadiness(ctx context.Context, t *testing.T, client *http.Client, url string, want int) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Reason string `json:"reason"`
		}
		decodeErr := json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if decodeErr != nil {
			t.Fatalf("/readyz: %v", decodeErr)
		}
		if resp.StatusCode == want {
			return body.Reason
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still answers %d (%s), not %d", resp.StatusCode, body.Reason, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// metricValue returns the value of an unlabelled metric on /metrics, or "" when it is missing.
func metricValue(t *testing.T, client *http.Client, url, name string) string {
	t.Helper()
	resp, err := client.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(text)) {
		if value, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			return value
		}
	}
	return ""
}

// awaitRequestLine returns the request log line of the last delivery of eventID, waiting for it
// to be written.
func awaitRequestLine(ctx context.Context, t *testing.T, proc *process, eventID string) map[string]any {
	t.Helper()
	for {
		var found map[string]any
		for line := range strings.Lines(proc.logs.String()) {
			var entry map[string]any
			if json.Unmarshal([]byte(line), &entry) == nil && entry["msg"] == "request" && entry["event_id"] == eventID {
				found = entry
			}
		}
		if found != nil {
			return found
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no request line for delivery %s:\n%s", eventID, proc.logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
