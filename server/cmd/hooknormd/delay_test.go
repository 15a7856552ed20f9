package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShutdownDelayKeepsServingWhileUnready runs hooknormd with --shutdown-delay and
// --metrics-addr. Before SIGTERM, /metrics is on the metrics listener only. After SIGTERM, /readyz
// answers 503 on both listeners while a delivery is still normalized; a second SIGTERM ends the
// delay and hooknormd exits 0.
func TestShutdownDelayKeepsServingWhileUnready(t *testing.T) {
	logs, logWriter := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- run([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
			"--shutdown-delay", "10m", "--log-format", "json", "--data-dir", t.TempDir()},
			func(string) string { return "" }, logWriter)
		logWriter.Close()
	}()
	lines := bufio.NewScanner(logs)
	var httpAddr, metricsAddr string
	for httpAddr == "" && lines.Scan() {
		var entry map[string]any
		if err := json.Unmarshal(lines.Bytes(), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", lines.Text())
		}
		if entry["msg"] == "hooknormd is serving" {
			httpAddr, _ = entry["http"].(string)
			metricsAddr, _ = entry["metrics"].(string)
		}
	}
	if httpAddr == "" || metricsAddr == "" {
		t.Fatalf("hooknormd did not say where it serves HTTP and metrics: %q, %q", httpAddr, metricsAddr)
	}
	go io.Copy(io.Discard, logs)
	status := func(method, url, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	defer http.DefaultClient.CloseIdleConnections()
	if code := status("GET", "http://"+metricsAddr+"/metrics", ""); code != http.StatusOK {
		t.Errorf("/metrics on the metrics listener: %d", code)
	}
	if code := status("GET", "http://"+httpAddr+"/metrics", ""); code != http.StatusNotFound {
		t.Errorf("/metrics on the HTTP listener: %d, want 404", code)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for status("GET", "http://"+httpAddr+"/readyz", "") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not turn 503 after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code := status("GET", "http://"+metricsAddr+"/readyz", ""); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz on the metrics listener during the delay: %d", code)
	}
	if code := status("POST", "http://"+httpAddr+"/v1/normalize/clickfunnels", `{"event_type": "contact.created", "event_id": "e-1", "data": {"id": 1}}`); code != http.StatusOK {
		t.Errorf("a request during the shutdown delay answered %d", code)
	}
	http.DefaultClient.CloseIdleConnections()
	select {
	case code := <-exit:
		t.Fatalf("hooknormd exited (%d) before the delay ended", code)
	default:
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit code %d, want 0", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("hooknormd did not stop within 15s of the second SIGTERM")
	}
}
