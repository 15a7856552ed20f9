package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestReceiverPrintsOneLinePerRequest posts what `hooknorm forward` sends in each format to a
// real listener and checks the line printed and the answer.
func TestReceiverPrintsOneLinePerRequest(t *testing.T) {
	for _, tc := range []struct {
		name      string
		headers   map[string]string
		body      string
		printBody bool
		want      string
	}{
		{
			name:    "CloudEvents binary mode",
			headers: map[string]string{"Ce-Type": "com.clickfunnels.order.completed", "Ce-Id": "e-1", "Ce-Hooknormsequence": "7", "Content-Type": "application/json"},
			body:    `{"id":"e-1"}`,
			want:    "POST  /hooks  ce-type=com.clickfunnels.order.completed  ce-id=e-1  ce-hooknormsequence=7  content-type=application/json  bytes=12\n",
		},
		{
			name:    "event-json",
			headers: map[string]string{"Hooknorm-Event-Id": "e-2", "Hooknorm-Sequence": "8", "Content-Type": "application/json"},
			body:    `{"id":"e-2"}`,
			want:    "POST  /hooks  hooknorm-event-id=e-2  hooknorm-sequence=8  content-type=application/json  bytes=12\n",
		},
		{
			name:      "with -body",
			headers:   map[string]string{"Content-Type": "application/cloudevents+json"},
			body:      "{\"specversion\":\"1.0\"}\n",
			printBody: true,
			want:      "POST  /hooks  content-type=application/cloudevents+json  bytes=22\n{\"specversion\":\"1.0\"}\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			server := httptest.NewServer(handler(&out, tc.printBody))
			req, err := http.NewRequest(http.MethodPost, server.URL+"/hooks", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				server.Close()
				t.Fatal(err)
			}
			resp.Body.Close()
			server.Close() // waits for the handler, so out is complete
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("status %d, want 204", resp.StatusCode)
			}
			if out.String() != tc.want {
				t.Errorf("printed\n%q\nwant\n%q", out.String(), tc.want)
			}
		})
	}
}
