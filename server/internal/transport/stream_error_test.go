package transport_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"testing"
)

// TestStreamErrorsHaveTheErrorBody subscribes over HTTP without a token and outside a token's
// scope: the one line answered is {"error": ErrorBody}, the shape of every other HTTP error, with
// the status and reason of the refusal.
func TestStreamErrorsHaveTheErrorBody(t *testing.T) {
	h := secured(t)
	cases := []struct {
		name, token  string
		query        string
		wantStatus   int
		wantReason   string
		wantGRPCName string
	}{
		{"no token", "", "earliest=true", http.StatusUnauthorized, "TOKEN_MISSING", "UNAUTHENTICATED"},
		{"out of scope", "ws42-token", "earliest=true&sources=webflow", http.StatusForbidden, "OUT_OF_SCOPE", "PERMISSION_DENIED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, h.httpURL+"/v1/events:subscribe?"+c.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != c.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, c.wantStatus)
			}
			lines := bufio.NewScanner(resp.Body)
			if !lines.Scan() {
				t.Fatalf("no line: %v", lines.Err())
			}
			var frame map[string]map[string]any
			if err := json.Unmarshal(lines.Bytes(), &frame); err != nil {
				t.Fatalf("%s: %v", lines.Text(), err)
			}
			body, ok := frame["error"]
			if !ok || len(frame) != 1 {
				t.Fatalf("frame %s, want {\"error\": ...}", lines.Text())
			}
			if body["reason"] != c.wantReason || body["status"] != c.wantGRPCName || body["message"] == "" || body["code"] == nil {
				t.Errorf("error %s, want the ErrorBody of reason %s", lines.Text(), c.wantReason)
			}
			if _, ok := body["details"]; ok {
				t.Errorf("error %s is a google.rpc.Status", lines.Text())
			}
			if lines.Scan() {
				t.Errorf("a line after the error: %s", lines.Text())
			}
		})
	}
}
