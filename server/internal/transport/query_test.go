package transport_test

import (
	"bufio"
	"context"
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
			`{}`, `query parameter "source" is set by this route's path or body, not by the query: leave it out`},
		{"the body's field", http.MethodPost, "/v1/webhooks/webflow?payload=e30",
			wfV2Form, `query parameter "payload" is set by this route's path or body`},
		{"the path's and the body's", http.MethodPost, "/v1/normalize/webflow?source=webflow&payload=e30",
			wfV2Form, `query parameters "payload", "source" are set by this route's path or body, not by the query: leave them out`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := h.send(context.Background(), t, c.method, c.path, c.body, nil)
			got := refusalOf(t, resp)
			if resp.StatusCode != http.StatusBadRequest || got.Reason != "INVALID_REQUEST" || !strings.Contains(got.Message, c.wantInMsg) {
				t.Errorf("answered %d %+v, want 400 INVALID_REQUEST saying %q", resp.StatusCode, got, c.wantInMsg)
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

// TestMalformedQueryParametersSayWhatToGive sends query parameters that grpc-gateway's parser
// refuses in its own words (strconv's, Go's time layout, "field already set for oneof"), takes
// without a word (a start given twice under two names) or lets fail inside hooknormd (text that is
// not UTF-8 answered 500): each is refused 400 with a message that names the parameter and says
// what to give instead, in hooknorm's words, and nothing is stored.
func TestMalformedQueryParametersSayWhatToGive(t *testing.T) {
	h := start(t, 1<<20)
	const subscribe = "/v1/events:subscribe?"
	cases := []struct {
		name, method, path, body string
		wantReason, wantField    string
		wantInMsg                []string
	}{
		{name: "two starts", path: subscribe + "earliest=true&after_sequence=3",
			wantInMsg: []string{`query parameters "after_sequence" and "earliest" are alternatives`, "give only one of earliest, after_sequence or since"}},
		{name: "a start and a part of another", path: subscribe + "after_sequence=3&since.seconds=1",
			wantInMsg: []string{`"after_sequence" and "since.seconds" are alternatives`}},
		{name: "one start by two names", path: subscribe + "afterSequence=1&after_sequence=2",
			wantInMsg: []string{`query parameters "afterSequence" and "after_sequence" both set after_sequence: give it once`}},
		{name: "since and a part of it", path: subscribe + "since=2026-01-02T15:04:05Z&since.seconds=3",
			wantInMsg: []string{`"since" and "since.seconds" both set since: give it once`}},
		{name: "since yesterday", path: subscribe + "since=yesterday",
			wantInMsg: []string{`query parameter "since" is "yesterday": give a time in RFC 3339`, "2026-01-02T15:04:05Z"}},
		{name: "since with its offset's + unescaped", path: subscribe + "since=2026-01-02T16:04:05+01:00",
			wantInMsg: []string{`query parameter "since" is "2026-01-02T16:04:05 01:00"`, "%2B01:00", "a + in a URL reads as a space"}},
		{name: "since past the year 9999", path: subscribe + "since=10000-01-01T00:00:00Z",
			wantInMsg: []string{`query parameter "since"`, "between the years 0001 and 9999"}},
		{name: "a part of since that is no number", path: subscribe + "since.nanos=x",
			wantInMsg: []string{`query parameter "since.nanos" is "x": give a whole number`}},
		{name: "earliest maybe", path: subscribe + "earliest=maybe",
			wantInMsg: []string{`query parameter "earliest" is "maybe": give true or false`}},
		{name: "earliest empty", path: subscribe + "earliest=",
			wantInMsg: []string{`query parameter "earliest" is "": give true or false`}},
		{name: "include_raw yes", method: http.MethodPost, path: "/v1/normalize/clickfunnels?include_raw=yes", body: cfInvoice,
			wantInMsg: []string{`query parameter "include_raw" is "yes": give true or false`}},
		{name: "a negative cursor", path: subscribe + "after_sequence=-1",
			wantInMsg: []string{`query parameter "after_sequence" is "-1": give a whole number from 0 to 18446744073709551615`}},
		{name: "a cursor in words", path: subscribe + "after_sequence=soon",
			wantInMsg: []string{`query parameter "after_sequence" is "soon": give a whole number`}},
		{name: "a cursor out of range", path: subscribe + "after_sequence=99999999999999999999999",
			wantInMsg: []string{`"99999999999999999999999": give a whole number from 0 to 18446744073709551615`}},
		{name: "earliest twice", path: subscribe + "earliest=true&earliest=false",
			wantInMsg: []string{`query parameter "earliest" is given 2 times ("true", "false"): give it once`}},
		{name: "a delivery's tenant twice", method: http.MethodPost, path: "/v1/webhooks/clickfunnels?tenant=42&tenant=43", body: cfInvoice,
			wantInMsg: []string{`query parameter "tenant" is given 2 times ("42", "43"): give it once`}},
		{name: "a header twice", method: http.MethodPost, path: "/v1/normalize/webflow?headers[x-webflow-timestamp]=1&headers[x-webflow-timestamp]=2", body: wfV2Form,
			wantInMsg: []string{`query parameter "headers[x-webflow-timestamp]" is given 2 times`}},
		{name: "a map without its key", method: http.MethodPost, path: "/v1/normalize/webflow?headers=x", body: wfV2Form,
			wantInMsg: []string{`query parameter "headers" sets a map: name the entry's key in brackets, as in headers[KEY]=VALUE`}},
		{name: "a key on a field that is no map", path: subscribe + "tenant[a]=42",
			wantInMsg: []string{`query parameter "tenant[a]": tenant takes no [key], it is not a map: write tenant=VALUE`}},
		{name: "a tenant that is not UTF-8", path: subscribe + "tenant=%ff",
			wantInMsg: []string{`query parameter "tenant" is not valid UTF-8: percent-encode the UTF-8 bytes of its text`}},
		{name: "a type that is not UTF-8", path: subscribe + "types=orders%ff",
			wantInMsg: []string{`query parameter "types" is not valid UTF-8`}},
		{name: "an unknown source", path: subscribe + "sources=stripe", wantField: "sources",
			wantInMsg: []string{`query parameter "sources" names "stripe", which is no source hooknorm knows: give clickfunnels or webflow`}},
		{name: "a source number of no provider", path: subscribe + "sources=clickfunnels&sources=7", wantField: "sources",
			wantInMsg: []string{`names "7", which is no source hooknorm knows: give clickfunnels or webflow`}},
		{name: "the unspecified source by number", path: subscribe + "sources=0", wantField: "sources",
			wantInMsg: []string{`names "0", which is no source`}},
		{name: "a broken escape", path: subscribe + "earliest=true&%zz=1",
			wantInMsg: []string{`the query string has "%zz", which is not a URL escape (% and two hex digits): write a literal % as %25`}},
		{name: "parameters separated by semicolons", path: subscribe + "earliest=true;types=x",
			wantInMsg: []string{`the query string separates parameters with ";": separate them with "&"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := c.method
			if method == "" {
				method = http.MethodGet
			}
			resp := h.send(context.Background(), t, method, c.path, c.body, nil)
			got := refusalOf(t, resp)
			wantReason := c.wantReason
			if wantReason == "" {
				wantReason = "INVALID_REQUEST"
			}
			if resp.StatusCode != http.StatusBadRequest || got.Reason != wantReason || got.Status != "INVALID_ARGUMENT" {
				t.Fatalf("answered %d %+v, want 400 INVALID_ARGUMENT %s", resp.StatusCode, got, wantReason)
			}
			if got.Field != c.wantField {
				t.Errorf("field %q, want %q", got.Field, c.wantField)
			}
			checkSays(t, got.Message, c.wantInMsg...)
			checkOwnWords(t, got.Message)
		})
	}
	if last, err := h.log.FreshLastSequence(context.Background()); err != nil || last != 0 {
		t.Errorf("the log's newest sequence is %d (%v) after refused deliveries, want 0", last, err)
	}
}
