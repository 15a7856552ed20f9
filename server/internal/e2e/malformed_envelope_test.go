package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/fixtures"
)

// TestMalformedEnvelopesAreRefusedByHooknormd posts every malformed envelope (a resource member
// missing or not an object) to a real hooknormd's webhook routes, as a provider would: each gets
// 400 with reason INVALID_FIELD and the member's path, and the log stays empty, as the heartbeat
// that opens a subscription tells, until a well-formed delivery takes sequence 1.
func TestMalformedEnvelopesAreRefusedByHooknormd(t *testing.T) {
	httpAddr := freePort(t)
	proc := startProcess(t, "--data-dir", t.TempDir(), "--grpc-addr", freePort(t), "--http-addr", httpAddr)
	defer proc.kill()
	base := "http://" + httpAddr
	client := &http.Client{Timeout: 10 * time.Second}

	for _, m := range fixtures.MalformedEnvelopes() {
		path := "/v1/webhooks/" + strings.ToLower(strings.TrimPrefix(m.Source.String(), "SOURCE_"))
		if m.TriggerType != "" {
			path += "/" + url.PathEscape(m.TriggerType)
		}
		t.Run(m.Name, func(t *testing.T) {
			code, body := postEnvelope(t, client, base+path, string(m.Body))
			var refusal struct{ Reason, Field, Message string }
			if err := json.Unmarshal(body, &refusal); err != nil {
				t.Fatalf("HTTP %d, error body is not JSON: %s", code, body)
			}
			if code != http.StatusBadRequest || refusal.Reason != "INVALID_FIELD" || refusal.Field != m.Field || !strings.Contains(refusal.Message, m.Field+" is "+m.Found) {
				t.Errorf("POST %s answered %d %s, want 400 INVALID_FIELD at %s saying it is %s", path, code, body, m.Field, m.Found)
			}
		})
	}

	if latest := openingHeartbeatSequence(t, client, base); latest != "0" {
		t.Errorf("latestSequence is %s after the refused deliveries, want 0", latest)
	}
	code, body := postEnvelope(t, client, base+"/v1/webhooks/webflow", `{"triggerType": "form_submission", "payload": {"name": "Contact"}}`)
	var stored struct{ Sequence string }
	if err := json.Unmarshal(body, &stored); err != nil || code != http.StatusOK || stored.Sequence != "1" {
		t.Errorf("the first well-formed delivery answered %d %s, want 200 at sequence 1", code, body)
	}
}

// postEnvelope sends body to url and returns the answer's status and body.
func postEnvelope(t *testing.T, client *http.Client, url, body string) (int, []byte) {
	t.Helper()
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, answer
}

// openingHeartbeatSequence opens a subscription over HTTP and returns the latest sequence the
// heartbeat that opens it reports.
func openingHeartbeatSequence(t *testing.T, client *http.Client, base string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/events:subscribe", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading the subscription's first line: %v", err)
	}
	var first struct {
		Result struct {
			Heartbeat *struct {
				LatestSequence string `json:"latestSequence"`
			} `json:"heartbeat"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &first); err != nil || first.Result.Heartbeat == nil {
		t.Fatalf("the subscription opened with %s (%v), want a heartbeat", line, err)
	}
	return first.Result.Heartbeat.LatestSequence
}
