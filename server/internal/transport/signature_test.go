package transport_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/verify"
)

func hmacHex(secret, message string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(message))
	return hex.EncodeToString(mac.Sum(nil))
}

// TestOnlySignedDeliveriesAreStored posts forged, stale, unsigned and signed deliveries to the
// webhook routes of a server with secrets: the bad ones get 401 and leave nothing in the log.
func TestOnlySignedDeliveriesAreStored(t *testing.T) {
	v := verify.NewSignatures(map[hooknormv1.Source][]string{
		hooknormv1.Source_SOURCE_CLICKFUNNELS: {"cf-current", "cf-previous"},
		hooknormv1.Source_SOURCE_WEBFLOW:      {"wf-secret", "wf-next"},
	}, nil)
	h := startWith(t, 1<<20, service.Options{Verifier: v})
	now := time.Now()
	secs, millis := strconv.FormatInt(now.Unix(), 10), strconv.FormatInt(now.UnixMilli(), 10)
	staleSecs := strconv.FormatInt(now.Add(-11*time.Minute).Unix(), 10)
	cfSigned := func(secret, ts, body string) map[string]string {
		return map[string]string{"X-Webhook-ClickFunnels-Timestamp": ts, "X-Webhook-ClickFunnels-Signature": hmacHex(secret, ts+"."+body)}
	}
	cases := []struct {
		name, path, body string
		headers          map[string]string
		wantStatus       int
		wantReason       string
		wantInMsg        string
	}{
		{"ClickFunnels unsigned", "/v1/webhooks/clickfunnels", cfInvoice, nil, 401, "SIGNATURE_MISSING",
			`requires the x-webhook-clickfunnels-signature and x-webhook-clickfunnels-timestamp headers, which ClickFunnels sends; to send one yourself, sign "<timestamp>.<body>"`},
		{"ClickFunnels forged", "/v1/webhooks/clickfunnels", cfInvoice, cfSigned("guess", secs, cfInvoice), 401, "SIGNATURE_MISMATCH", "HOOKNORM_CLICKFUNNELS_SECRET"},
		{"ClickFunnels stale", "/v1/webhooks/clickfunnels", cfInvoice, cfSigned("cf-current", staleSecs, cfInvoice), 401, "SIGNATURE_EXPIRED",
			"sign it again with the current time"},
		{"ClickFunnels unreadable timestamp", "/v1/webhooks/clickfunnels", cfInvoice,
			map[string]string{"X-Webhook-ClickFunnels-Timestamp": "yesterday", "X-Webhook-ClickFunnels-Signature": hmacHex("cf-current", "x")}, 401, "SIGNATURE_MALFORMED",
			"the x-webhook-clickfunnels-timestamp header is not a Unix time in seconds: give the time of signing, such as 1767366245"},
		{"ClickFunnels signature not hex", "/v1/webhooks/clickfunnels", cfInvoice,
			map[string]string{"X-Webhook-ClickFunnels-Timestamp": secs, "X-Webhook-ClickFunnels-Signature": "sha256=abc"}, 401, "SIGNATURE_MALFORMED",
			"give the signature as 64 hex digits"},
		{"ClickFunnels signed for another body", "/v1/webhooks/clickfunnels", cfContact, cfSigned("cf-current", secs, cfInvoice), 401, "SIGNATURE_MISMATCH", ""},
		{"Webflow unsigned", "/v1/webhooks/webflow", wfV2Form, nil, 401, "SIGNATURE_MISSING", `sign "<timestamp>:<body>"`},
		{"Webflow v1 signed in seconds", "/v1/webhooks/webflow/ecomm_new_order", wfV1Order,
			map[string]string{"X-Webflow-Timestamp": secs, "X-Webflow-Signature": hmacHex("wf-secret", secs+":"+wfV1Order)}, 401, "SIGNATURE_EXPIRED", ""},
		{"ClickFunnels signed with the current secret", "/v1/webhooks/clickfunnels", cfInvoice, cfSigned("cf-current", secs, cfInvoice), 200, "", ""},
		{"ClickFunnels signed with the previous secret", "/v1/webhooks/clickfunnels", cfContact, cfSigned("cf-previous", secs, cfContact), 200, "", ""},
		{"Webflow v2 signed", "/v1/webhooks/webflow", wfV2Form,
			map[string]string{"X-Webflow-Timestamp": millis, "X-Webflow-Signature": hmacHex("wf-secret", millis+":"+wfV2Form)}, 200, "", ""},
		{"Webflow v1 signed with the second secret", "/v1/webhooks/webflow/ecomm_new_order", wfV1Order,
			map[string]string{"x-webflow-timestamp": millis, "x-webflow-signature": hmacHex("wf-next", millis+":"+wfV1Order)}, 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := h.post(t, c.path, []byte(c.body), c.headers)
			if code != c.wantStatus {
				t.Fatalf("status %d (%s), want %d", code, body, c.wantStatus)
			}
			if c.wantReason != "" {
				var e httpError
				if err := json.Unmarshal(body, &e); err != nil || e.Reason != c.wantReason {
					t.Errorf("body %s, want reason %s", body, c.wantReason)
				}
				checkSays(t, e.Message, c.wantInMsg)
				checkOwnWords(t, e.Message)
			}
		})
	}
	events := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}}, 4)
	if len(events) != 4 || events[3].GetSequence() != 4 {
		t.Fatalf("the log holds %v", events)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: 4}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if msg.GetHeartbeat().GetLatestSequence() != 4 {
		t.Errorf("after the four signed deliveries the log goes on: %v", msg)
	}
	_ = http.StatusOK
}
