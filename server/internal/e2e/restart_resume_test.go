package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// terminateForResume ends the process with SIGTERM and waits for it to exit.
func (p *process) terminateForResume(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
		t.Fatalf("hooknormd did not exit within 30s of SIGTERM:\n%s", p.logs)
	}
}

// ingestForResume posts a ClickFunnels delivery and fails the test unless it is stored.
func ingestForResume(t *testing.T, url, id, eventType string, workspace int) {
	t.Helper()
	body := fmt.Sprintf(`{"event_id": %q, "event_type": %q, "workspace_id": %d, "api_version": 2, "data": {"id": 1}}`, id, eventType, workspace)
	resp, err := http.Post(url+"/v1/webhooks/clickfunnels", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delivering %s %s: %d %s", eventType, id, resp.StatusCode, answer)
	}
}

// subscribeUntilCursor subscribes over HTTP with query and reads the NDJSON stream until a
// heartbeat's cursor reaches last, returning the sequences of the events sent before it. It fails
// the test if that does not happen within a bounded wait.
func subscribeUntilCursor(t *testing.T, url, query string, last uint64) []uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/events:subscribe?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET ?%s: %d %s", query, resp.StatusCode, body)
	}
	lines := bufio.NewScanner(resp.Body)
	var sequences []uint64
	var cursor uint64
	for lines.Scan() {
		var frame struct {
			Result json.RawMessage `json:"result"`
		}
		msg := &hooknormv1.SubscribeResponse{}
		if err := json.Unmarshal(lines.Bytes(), &frame); err != nil || frame.Result == nil {
			t.Fatalf("GET ?%s: line %q is not a result (%v)", query, lines.Text(), err)
		}
		if err := protojson.Unmarshal(frame.Result, msg); err != nil {
			t.Fatalf("GET ?%s: %v", query, err)
		}
		if e := msg.GetEvent(); e != nil {
			sequences = append(sequences, e.GetSequence())
		}
		if hb := msg.GetHeartbeat(); hb != nil {
			if cursor = hb.GetCursor(); cursor >= last {
				return sequences
			}
		}
	}
	t.Fatalf("GET ?%s: sent %v, the cursor stayed at %d, short of the newest sequence %d (%v)", query, sequences, cursor, last, lines.Err())
	return nil
}

// buildReplayCLI builds the hooknorm command into dir and returns its path.
func buildReplayCLI(t *testing.T, dir string) string {
	t.Helper()
	binary := filepath.Join(dir, "hooknorm")
	if out, err := exec.Command("go", "build", "-o", binary, "github.com/hooknorm/hooknorm/client/cmd/hooknorm").CombinedOutput(); err != nil {
		t.Fatalf("building hooknorm: %v\n%s", err, out)
	}
	return binary
}

// TestFilteredSubscriptionReachesTheHeadAfterARestart stores an order and four contacts of two
// ClickFunnels workspaces and a Webflow form, restarts hooknormd (cleanly, and with SIGKILL; on
// its embedded log and on a three-node NATS cluster), and subscribes with filters the newest
// events do not match: each subscription sends exactly the events it asks for, then a heartbeat
// whose cursor reaches the newest sequence, so a replay ends. Before the fix a restarted
// hooknormd kept such a cursor at the last event sent, for ever.
func TestFilteredSubscriptionReachesTheHeadAfterARestart(t *testing.T) {
	cli := buildReplayCLI(t, t.TempDir())
	t.Run("embedded log, clean stop", func(t *testing.T) {
		checkFilteredResume(t, cli, []string{"--data-dir", t.TempDir()}, func(p *process) { p.terminateForResume(t) })
	})
	t.Run("embedded log, SIGKILL", func(t *testing.T) {
		checkFilteredResume(t, cli, []string{"--data-dir", t.TempDir()}, (*process).kill)
	})
	t.Run("three-node NATS cluster, SIGKILL", func(t *testing.T) {
		_, urls := startNATSCluster(t, 3)
		checkFilteredResume(t, cli, []string{"--nats-url", strings.Join(urls, ","), "--nats-replicas", "3"}, (*process).kill)
	})
}

// checkFilteredResume runs hooknormd with logArgs, stores the events, stops it with stop, starts
// it again on the same log, and checks filtered subscriptions over HTTP and hooknorm replay.
func checkFilteredResume(t *testing.T, cli string, logArgs []string, stop func(*process)) {
	grpcAddr, httpAddr := freePort(t), freePort(t)
	args := append([]string{"--grpc-addr", grpcAddr, "--http-addr", httpAddr, "--heartbeat-interval", "200ms"}, logArgs...)
	url := "http://" + httpAddr
	proc := startProcess(t, args...)
	ingestForResume(t, url, "order-1", "order.created", 42)
	resp, err := http.Post(url+"/v1/webhooks/webflow", "application/json",
		strings.NewReader(`{"triggerType": "form_submission", "payload": {"name": "Contact", "siteId": "site1", "data": {"email": "a@example.com"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delivering the Webflow form: %d", resp.StatusCode)
	}
	ingestForResume(t, url, "contact-1", "contact.created", 42)
	ingestForResume(t, url, "contact-2", "contact.created", 43)
	ingestForResume(t, url, "contact-3", "contact.created", 43)
	ingestForResume(t, url, "contact-4", "contact.created", 43)
	const last = 6 // 1 the order, 2 the form, 3 to 6 the contacts
	stop(proc)
	proc = startProcess(t, args...)
	defer proc.kill()

	cases := []struct {
		name, query string
		want        []uint64
	}{
		{"type prefix", "earliest=true&type_prefixes=order.", []uint64{1}},
		{"tenant", "earliest=true&tenant=42", []uint64{1, 3}},
		{"tenant and type", "earliest=true&tenant=43&type_prefixes=order.", nil},
		{"source", "after_sequence=0&sources=webflow", []uint64{2}},
		{"since", "since=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + "&type_prefixes=order.", []uint64{1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := subscribeUntilCursor(t, url, c.query, last); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("sent events %v, want %v", got, c.want)
			}
		})
	}

	t.Run("hooknorm replay", func(t *testing.T) {
		var mu sync.Mutex
		var delivered []string
		endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var e struct {
				ID string `json:"id"`
			}
			json.NewDecoder(r.Body).Decode(&e)
			mu.Lock()
			delivered = append(delivered, e.ID)
			mu.Unlock()
		}))
		defer endpoint.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		replay := exec.CommandContext(ctx, cli, "replay", "--server", grpcAddr, "--earliest",
			"--type-prefix", "order.", "--to", endpoint.URL, "--format", "event-json")
		out, err := replay.CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("hooknorm replay did not end within 20s: %s", out)
		}
		if err != nil {
			t.Fatalf("hooknorm replay: %v\n%s", err, out)
		}
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(delivered) != "[order-1]" {
			t.Errorf("replay delivered %v, want [order-1]\n%s", delivered, out)
		}
	})
}
