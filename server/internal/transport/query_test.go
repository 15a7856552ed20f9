package transport_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestUnknownQueryParametersAreRefused sends query parameters that name no field of the call, or
// one the path or body sets: each request is refused with 400 INVALID_REQUEST naming the
// parameters and the ones the route takes, instead of running without them (a subscription
// without its filter, a delivery without its tenant). Nothing is stored, and the refused
// deliveries are counted.
func TestUnknownQueryParametersAreRefused(t *testing.T) {
	h := start(t, 1<<20)
	cases := []struct {
		name, method, path, body string
		wantInMsg                string
	}{
		{"misspelt filter", http.MethodGet, "/v1/events:subscribe?earliest=true&type_prefix=orders/",
			"", `unknown query parameter "type_prefix": this route takes earliest, after_sequence, since, sources, types, type_prefixes, tenant, include_raw`},
		{"misspelt tenant", http.MethodPost, "/v1/webhooks/clickfunnels?tenat=42",
			cfInvoice, `unknown query parameter "tenat": this route takes trigger_type, headers[key], tenant`},
		{"several", http.MethodPost, "/v1/webhooks/webflow/ecomm_new_order?utm=x&tenant=s&a.b=1",
			wfV1Order, `unknown query parameters "a.b", "utm": this route takes headers[key], tenant`},
		{"many", http.MethodGet, "/v1/events:subscribe?g=1&f=1&e=1&d=1&c=1&b=1&a=1",
			"", `unknown query parameters "a", "b", "c", "d", "e" and 2 more: this route takes earliest,`},
		{"a path parameter", http.MethodPost, "/v1/normalize/webflow?trigger_type=form_submission&source=clickfunnels",
			`{}`, `unknown query parameter "source"`},
		{"the body's field", http.MethodPost, "/v1/webhooks/webflow?payload=e30",
			wfV2Form, `unknown query parameter "payload"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := h.send(context.Background(), t, c.method, c.path, c.body, nil)
			var body struct {
				Error                   *json.RawMessage `json:"error"`
				Status, Reason, Message string
			}
			line, _ := bufio.NewReader(resp.Body).ReadBytes('\n')
			if err := json.Unmarshal(line, &body); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if body.Error != nil { // a stream's refusal is its one line, {"error": ErrorBody}
				if err := json.Unmarshal(*body.Error, &body); err != nil {
					t.Fatal(err)
				}
			}
			if resp.StatusCode != http.StatusBadRequest || body.Reason != "INVALID_REQUEST" || !strings.Contains(body.Message, c.wantInMsg) {
				t.Errorf("answered %d %s, want 400 INVALID_REQUEST saying %q", resp.StatusCode, line, c.wantInMsg)
			}
		})
	}
	if last, err := h.log.FreshLastSequence(context.Background()); err != nil || last != 0 {
		t.Errorf("the log's newest sequence is %d (%v) after refused deliveries, want 0", last, err)
	}
	got := h.scrape(t)
	for source, want := range map[string]float64{"SOURCE_CLICKFUNNELS": 1, "SOURCE_WEBFLOW": 2} {
		labels := map[string]string{"source": source, "outcome": "rejected", "reason": "ERROR_REASON_INVALID_REQUEST"}
		if v := sum(got, "hooknorm_deliveries_total", labels); v != want {
			t.Errorf("hooknorm_deliveries_total%v = %v, want %v", labels, v, want)
		}
	}
}

// TestQueryParametersByEveryName sets parameters by their JSON names and a map entry with the
// field[key] syntax, and posts a delivery as curl -d does (a form content type, a JSON body):
// all are served.
func TestQueryParametersByEveryName(t *testing.T) {
	h := start(t, 1<<20)
	code, body := h.post(t, "/v1/normalize/webflow?triggerType=form_submission&includeRaw=true&headers[x-webflow-timestamp]=1663158916117",
		[]byte(`{"name": "Contact", "site": "s1", "data": {}, "_id": "i1"}`), nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"occurredAt":"2022-09-14T12:35:16.117Z"`) || !strings.Contains(string(body), `"rawPayload"`) {
		t.Errorf("JSON names and headers[key] answered %d %s", code, body)
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if code, body := h.post(t, "/v1/webhooks/clickfunnels?tenant=42", []byte(cfInvoice), form); code != http.StatusOK {
		t.Errorf("a delivery with a form content type answered %d %s", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := h.open(ctx, t, "/v1/events:subscribe?afterSequence=0&typePrefixes=orders/", nil)
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		if strings.Contains(lines.Text(), `"event"`) {
			if !strings.Contains(lines.Text(), `"type":"orders/invoice.paid"`) {
				t.Errorf("subscription by JSON names sent %s", lines.Text())
			}
			return
		}
	}
	t.Errorf("subscription by JSON names ended without an event (status %d): %v", resp.StatusCode, lines.Err())
}
