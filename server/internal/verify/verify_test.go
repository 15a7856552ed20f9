package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/hooknorm/hooknorm/server/internal/verify"
)

var (
	cf = hooknormv1.Source_SOURCE_CLICKFUNNELS
	wf = hooknormv1.Source_SOURCE_WEBFLOW
)

// TestKnownVectors checks signatures computed outside Go, with openssl and Python:
//
//	printf '%s' '1732350000.{"event_type":"contact.created"}' | openssl dgst -sha256 -hmac 'cf-secret-1'
//	printf '%s' '1732350000123:{"triggerType":"form_submission","payload":{}}' | openssl dgst -sha256 -hmac 'wf-secret'
func TestKnownVectors(t *testing.T) {
	at := func(unix int64) func() time.Time { return func() time.Time { return time.Unix(unix, 0) } }
	v := verify.NewSignatures(map[hooknormv1.Source][]string{cf: {"cf-secret-1"}, wf: {"wf-secret"}}, at(1732350100))
	_, err := v.Verify(verify.Delivery{Source: cf, Headers: map[string]string{
		"x-webhook-clickfunnels-timestamp": "1732350000",
		"x-webhook-clickfunnels-signature": "a5b7f2c0d9066ee162c2886690e3820dd024e3d6a71e91ad8ea42c770d3c848b",
	}, Body: []byte(`{"event_type":"contact.created"}`)})
	if err != nil {
		t.Errorf("ClickFunnels vector: %v", err)
	}
	_, err = v.Verify(verify.Delivery{Source: wf, Headers: map[string]string{
		"x-webflow-timestamp": "1732350000123",
		"x-webflow-signature": "45f6e5533dbb5c9fa57417005e072398f23b5632c996af98b0a6d14968f4e77d",
	}, Body: []byte(`{"triggerType":"form_submission","payload":{}}`)})
	if err != nil {
		t.Errorf("Webflow vector: %v", err)
	}
}

// sign computes a provider signature the way the docs describe it.
func sign(secret, timestamp, separator string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + separator))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

const (
	newSecret = "secret-new-7Qx"
	oldSecret = "secret-old-9Zp"
	wfSecret  = "secret-wf-3Lm"
)

func TestSignatures(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	body := []byte("{\r\n  \"event_type\": \"orders/invoice.paid\"\n}\n")
	secs := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	millis := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	cfHeaders := func(ts, sig string) map[string]string {
		return map[string]string{"x-webhook-clickfunnels-timestamp": ts, "x-webhook-clickfunnels-signature": sig}
	}
	wfHeaders := func(ts, sig string) map[string]string {
		return map[string]string{"x-webflow-timestamp": ts, "x-webflow-signature": sig}
	}
	cases := []struct {
		name    string
		source  hooknormv1.Source
		headers map[string]string
		body    []byte
		want    hooknormv1.ErrorReason // UNSPECIFIED: accepted
	}{
		{"ClickFunnels, current secret", cf, cfHeaders(secs(0), sign(newSecret, secs(0), ".", body)), body, 0},
		{"ClickFunnels, the secret being rotated out", cf, cfHeaders(secs(0), sign(oldSecret, secs(0), ".", body)), body, 0},
		{"ClickFunnels, upper-case hex", cf, cfHeaders(secs(0), strings.ToUpper(sign(newSecret, secs(0), ".", body))), body, 0},
		{"ClickFunnels, 600 s old: the edge", cf, cfHeaders(secs(-600*time.Second), sign(newSecret, secs(-600*time.Second), ".", body)), body, 0},
		{"ClickFunnels, 601 s old", cf, cfHeaders(secs(-601*time.Second), sign(newSecret, secs(-601*time.Second), ".", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_EXPIRED},
		{"ClickFunnels, 601 s ahead", cf, cfHeaders(secs(601*time.Second), sign(newSecret, secs(601*time.Second), ".", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_EXPIRED},
		{"ClickFunnels, an unknown secret", cf, cfHeaders(secs(0), sign("stolen-secret", secs(0), ".", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH},
		{"ClickFunnels, the body changed", cf, cfHeaders(secs(0), sign(newSecret, secs(0), ".", body)), append([]byte(" "), body...),
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH},
		{"ClickFunnels, the timestamp changed", cf, cfHeaders(secs(1*time.Second), sign(newSecret, secs(0), ".", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH},
		{"ClickFunnels, Webflow's separator", cf, cfHeaders(secs(0), sign(newSecret, secs(0), ":", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH},
		{"ClickFunnels, no signature", cf, map[string]string{"x-webhook-clickfunnels-timestamp": secs(0)}, body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING},
		{"ClickFunnels, no headers", cf, nil, body, hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING},
		{"ClickFunnels, timestamp not a number", cf, cfHeaders("yesterday", sign(newSecret, "yesterday", ".", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MALFORMED},
		{"ClickFunnels, huge timestamp", cf, cfHeaders("9223372036854775807", sign(newSecret, "9223372036854775807", ".", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_EXPIRED},
		{"ClickFunnels, signature not hex", cf, cfHeaders(secs(0), "sha256="+sign(newSecret, secs(0), ".", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MALFORMED},
		{"ClickFunnels, truncated signature", cf, cfHeaders(secs(0), sign(newSecret, secs(0), ".", body)[:40]), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MALFORMED},
		{"Webflow, milliseconds", wf, wfHeaders(millis(0), sign(wfSecret, millis(0), ":", body)), body, 0},
		{"Webflow, 5 minutes old: the edge", wf, wfHeaders(millis(-5*time.Minute), sign(wfSecret, millis(-5*time.Minute), ":", body)), body, 0},
		{"Webflow, 5 minutes and 1 ms old", wf, wfHeaders(millis(-5*time.Minute-time.Millisecond), sign(wfSecret, millis(-5*time.Minute-time.Millisecond), ":", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_EXPIRED},
		{"Webflow, seconds instead of milliseconds", wf, wfHeaders(secs(0), sign(wfSecret, secs(0), ":", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_EXPIRED},
		{"Webflow, ClickFunnels' separator", wf, wfHeaders(millis(0), sign(wfSecret, millis(0), ".", body)), body,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH},
	}
	v := verify.NewSignatures(map[hooknormv1.Source][]string{cf: {newSecret, " " + oldSecret + " "}, wf: {wfSecret}}, func() time.Time { return now })
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(verify.Delivery{Source: c.source, Headers: c.headers, Body: c.body})
			if c.want == hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			r, ok := rejection.As(err)
			if !ok || r.Reason != c.want {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			leaks := []string{newSecret, oldSecret, wfSecret}
			for _, header := range []string{"x-webhook-clickfunnels-signature", "x-webflow-signature"} {
				if sig := c.headers[header]; len(sig) > 8 {
					leaks = append(leaks, sig)
				}
			}
			for _, secret := range leaks {
				if strings.Contains(r.Message, secret) {
					t.Errorf("the message leaks %q: %q", secret, r.Message)
				}
			}
		})
	}
}

func TestUnsignedProvidersAreAccepted(t *testing.T) {
	v := verify.NewSignatures(map[hooknormv1.Source][]string{cf: {"secret"}, wf: {" ", ""}}, nil)
	if v.Signed(wf) || !v.Signed(cf) {
		t.Fatalf("Signed: clickfunnels %v, webflow %v", v.Signed(cf), v.Signed(wf))
	}
	if _, err := v.Verify(verify.Delivery{Source: wf, Body: []byte(`{}`)}); err != nil {
		t.Errorf("a provider without secrets refused an unsigned delivery: %v", err)
	}
}
