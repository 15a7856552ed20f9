package transport_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/fixtures"
)

// fuzzRoutes are the HTTP routes that take a delivery.
var fuzzRoutes = []string{
	"/v1/webhooks/clickfunnels",
	"/v1/webhooks/webflow",
	"/v1/webhooks/webflow/form_submission",
	"/v1/normalize/clickfunnels",
	"/v1/normalize/webflow?trigger_type=ecomm_new_order",
}

// FuzzIngestHTTP posts arbitrary bodies to the delivery routes of a real server: every answer is
// 200 with an id, or a refusal (400 or 413) with a JSON body giving a reason and a message; never
// a server error.
func FuzzIngestHTTP(f *testing.F) {
	all, err := fixtures.All()
	if err != nil {
		f.Fatal(err)
	}
	for i, d := range all {
		f.Add(uint8(i), d.Body)
	}
	f.Add(uint8(0), []byte(`{"event_type": "contact.created", "data": [`))
	h := start(f, 64<<10)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		code, resp := h.post(t, path, body, nil)
		switch code {
		case http.StatusOK:
			var ok map[string]any
			if err := json.Unmarshal(resp, &ok); err != nil || (ok["id"] == nil && ok["event"] == nil) {
				t.Fatalf("200 without an id or event: %.300s", resp)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			var e httpError
			if err := json.Unmarshal(resp, &e); err != nil || e.Reason == "" || e.Message == "" {
				t.Fatalf("refusal without a reason and message: %.300s", resp)
			}
		default:
			t.Fatalf("POST %s answered %d: %.300s", path, code, resp)
		}
	})
}

// fuzzQueryRoutes are routes whose query strings FuzzQueryHTTP varies, with a body each takes.
var fuzzQueryRoutes = []struct{ method, path, body string }{
	{http.MethodGet, "/v1/events:subscribe", ""},
	{http.MethodPost, "/v1/normalize/webflow", `{"triggerType": "form_submission", "payload": {"name": "f"}}`},
	{http.MethodPost, "/v1/webhooks/clickfunnels", `{"event_id": "q-1", "event_type": "contact.created", "data": {"id": 1}}`},
}

// FuzzQueryHTTP sends arbitrary query strings to the routes that read one: every answer is a
// success or a refusal with a reason and a message in hooknorm's words (no library's error
// text); never a server error.
func FuzzQueryHTTP(f *testing.F) {
	for _, seed := range []string{
		"earliest=true&after_sequence=3", "since=yesterday", "earliest=maybe", "include_raw=yes", "after_sequence=-1",
		"sources=stripe", "sources=7", "tenant=%ff", "types=a;b", "%zz=1", "headers=x", "headers[a]=x&headers[a]=y",
		"tenant[a]=b", "since=2026-01-02T15:04:05Z&since.seconds=3", "afterSequence=1&after_sequence=2", "since.nanos=x",
		"trigger_type=%00", "types.x=1", "headers[%ff]=1", "since=0000-01-01T00:00:00Z",
	} {
		f.Add(uint8(0), seed)
		f.Add(uint8(1), seed)
	}
	h := start(f, 64<<10)
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		r := fuzzQueryRoutes[int(route)%len(fuzzQueryRoutes)]
		target, err := url.Parse(h.httpURL + r.path)
		if err != nil {
			t.Fatal(err)
		}
		target.RawQuery = query
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, r.method, target.String(), strings.NewReader(r.body))
		if err != nil {
			return // not a request a client can send
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return // refused by Go's client or server before hooknorm (a query with a space or control byte)
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
		case resp.StatusCode == http.StatusBadRequest && resp.Header.Get("Content-Type") != "application/json":
			// net/http refused the request line itself, before hooknorm
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			e := refusalOf(t, resp)
			if e.Reason == "" || e.Message == "" {
				t.Fatalf("%s %s: refusal without a reason and message: %+v", r.method, target, e)
			}
			checkOwnWords(t, e.Message)
		default:
			t.Fatalf("%s %s answered %d", r.method, target, resp.StatusCode)
		}
	})
}
