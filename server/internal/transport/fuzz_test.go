package transport_test

import (
	"encoding/json"
	"net/http"
	"testing"

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
