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

// TestServesThenStopsCleanlyOnSIGTERM runs hooknormd in-process on free ports with --log-format
// json, normalizes a delivery over HTTP, sends the process SIGTERM and requires a clean exit with
// code 0. Every line it logged is JSON, and the request has its line.
func TestServesThenStopsCleanlyOnSIGTERM(t *testing.T) {
	logs, logWriter := io.Pipe()
	dataDir := t.TempDir()
	exit := make(chan int, 1)
	go func() {
		exit <- run([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json", "--data-dir", dataDir},
			func(string) string { return "" }, logWriter)
		logWriter.Close()
	}()

	lines := bufio.NewScanner(logs)
	var httpAddr string
	var logged []string
	for httpAddr == "" && lines.Scan() {
		logged = append(logged, lines.Text())
		var entry map[string]any
		if err := json.Unmarshal(lines.Bytes(), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", lines.Text())
		}
		if entry["msg"] == "hooknormd is serving" {
			httpAddr, _ = entry["http"].(string)
		}
	}
	if httpAddr == "" {
		t.Fatalf("hooknormd never said where it serves; it logged:\n%s", strings.Join(logged, "\n"))
	}
	rest := make(chan []string, 1)
	go func() {
		var more []string
		for lines.Scan() {
			more = append(more, lines.Text())
		}
		rest <- more
	}()

	req, err := http.NewRequest(http.MethodPost, "http://"+httpAddr+"/v1/normalize/clickfunnels",
		strings.NewReader(`{"event_type": "contact.created", "event_id": "e-1", "data": {"id": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Request-Id", "main-test-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("normalize answered %d", resp.StatusCode)
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
		t.Fatal("hooknormd did not stop within 15s of SIGTERM")
	}
	more := <-rest
	requestLogged := false
	for _, line := range more {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if entry["msg"] == "request" && entry["request_id"] == "main-test-1" {
			requestLogged = entry["grpc_method"] == "/hooknorm.v1.WebhookService/Normalize" && entry["status"] == float64(200)
		}
	}
	if !requestLogged {
		t.Errorf("no request line for the normalize call; after serving it logged:\n%s", strings.Join(more, "\n"))
	}
	if !strings.Contains(strings.Join(more, "\n"), "hooknormd stopped") {
		t.Errorf("no clean-stop log line; after serving it logged:\n%s", strings.Join(more, "\n"))
	}
}

func TestInvalidSettingsExitWithCode2(t *testing.T) {
	var stderr strings.Builder
	code := run([]string{"--log-format", "xml"}, func(string) string { return "" }, &stderr)
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "--log-format (HOOKNORM_LOG_FORMAT) must be text or json") {
		t.Errorf("stderr does not explain the setting: %q", stderr.String())
	}
}

func TestRefusesToListenBeyondLoopbackUnsigned(t *testing.T) {
	var stderr strings.Builder
	code := run([]string{"--http-addr", "0.0.0.0:0", "--grpc-addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, func(string) string { return "" }, &stderr)
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	for _, want := range []string{"HOOKNORM_CLICKFUNNELS_SECRET", "HOOKNORM_WEBFLOW_SECRET", "--allow-unsigned"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the refusal does not name %s: %q", want, stderr.String())
		}
	}
}

func TestRefusesAnOpenAPIBeyondLoopback(t *testing.T) {
	var stderr strings.Builder
	code := run([]string{"--grpc-addr", "0.0.0.0:0", "--http-addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--clickfunnels-secret", "s1", "--webflow-secret", "s2"}, func(string) string { return "" }, &stderr)
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	for _, want := range []string{"--tokens-file (HOOKNORM_TOKENS_FILE)", "--allow-anonymous"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the refusal does not name %s: %q", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "s1") || strings.Contains(stderr.String(), "s2") {
		t.Errorf("the refusal shows a secret: %q", stderr.String())
	}
}
