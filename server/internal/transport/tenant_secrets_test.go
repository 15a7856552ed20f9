package transport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/verify"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// tenantsFile gives workspaces 42 and 43 secrets of their own (43 two, while one is rotated),
// site-a its secretKey, and marks site-b, whose webhooks come from the site dashboard, unsigned.
const tenantsFile = `{
  "clickfunnels": {
    "42": {"secrets": ["ws42-secret"]},
    "43": {"secrets": ["ws43-current", "ws43-previous"]}
  },
  "webflow": {
    "site-a": {"secrets": ["site-a-secret"]},
    "site-b": {"unsigned": true}
  }
}`

// tenantDelivery is one delivery to a webhook route, as the test posts it over HTTP or sends it
// over gRPC.
type tenantDelivery struct {
	source  hooknormv1.Source
	body    string
	tenant  string // the URL's ?tenant=
	secret  string // "" leaves it unsigned
	trigger string
}

// signedHeaders signs body with secret as the provider does, now.
func signedHeaders(source hooknormv1.Source, secret, body string) map[string]string {
	if secret == "" {
		return nil
	}
	if source == hooknormv1.Source_SOURCE_WEBFLOW {
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		return map[string]string{"x-webflow-timestamp": ts, "x-webflow-signature": hmacHex(secret, ts+":"+body)}
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return map[string]string{"x-webhook-clickfunnels-timestamp": ts, "x-webhook-clickfunnels-signature": hmacHex(secret, ts+"."+body)}
}

// sendOver delivers d over HTTP ("http") or gRPC ("grpc") and returns the HTTP status (gRPC's
// code mapped to the same), the refusal's reason and message, and the stored event's id.
func (h *harness) sendOver(t *testing.T, via string, d tenantDelivery) (code int, reason, message, id string) {
	t.Helper()
	headers := signedHeaders(d.source, d.secret, d.body)
	if via == "http" {
		path := "/v1/webhooks/" + strings.ToLower(strings.TrimPrefix(d.source.String(), "SOURCE_"))
		if d.trigger != "" {
			path += "/" + d.trigger
		}
		if d.tenant != "" {
			path += "?tenant=" + url.QueryEscape(d.tenant)
		}
		status, body := h.post(t, path, []byte(d.body), headers)
		var answer struct {
			ID string `json:"id"`
			httpError
		}
		if err := json.Unmarshal(body, &answer); err != nil {
			t.Fatalf("%s answered %d %s", path, status, body)
		}
		return status, strings.TrimPrefix(answer.Reason, "ERROR_REASON_"), answer.Message, answer.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := h.client.Ingest(ctx, &hooknormv1.IngestRequest{
		Source: d.source, Payload: []byte(d.body), Headers: headers, Tenant: d.tenant, TriggerType: d.trigger})
	if err == nil {
		return http.StatusOK, "", "", resp.GetId()
	}
	st := status.Convert(err)
	codes := map[codes.Code]int{codes.Unauthenticated: http.StatusUnauthorized, codes.InvalidArgument: http.StatusBadRequest}
	return codes[st.Code()], strings.TrimPrefix(errorInfo(st).GetReason(), "ERROR_REASON_"), st.Message(), ""
}

// TestSecretsPerTenant sends deliveries for two workspaces and two sites over HTTP and gRPC to a
// hooknormd whose secrets file gives each its own secrets, with a provider-wide ClickFunnels
// secret set too: a delivery for workspace 43 signed with workspace 42's secret (or with the
// provider-wide one) is refused with 401 and nothing is stored; 43's previous secret still
// verifies; site-b, marked unsigned, is accepted unsigned while site-a still needs its
// signature. The refusals are counted by tenant, and only the accepted deliveries are in the log.
func TestSecretsPerTenant(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(tenantsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := verify.OpenSecretsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := verify.NewSignatures(map[hooknormv1.Source][]string{hooknormv1.Source_SOURCE_CLICKFUNNELS: {"cf-provider-wide"}}, nil).UseSecretsFile(file)
	h := startWith(t, 1<<20, service.Options{Verifier: v, Metrics: metrics.New()})

	cf := func(id string, workspace int) string {
		return fmt.Sprintf(`{"event_id": %q, "event_type": "orders/invoice.paid", "workspace_id": %d, "api_version": 2, "data": {"id": 1, "status": "paid"}}`, id, workspace)
	}
	wf := func(site, name string) string {
		return fmt.Sprintf(`{"triggerType": "form_submission", "payload": {"name": %q, "siteId": %q, "data": {}}}`, name, site)
	}
	wfOrder := func(id string) string {
		return fmt.Sprintf(`{"triggerType": "ecomm_new_order", "payload": {"orderId": %q, "status": "pending"}}`, id)
	}
	CF, WF := hooknormv1.Source_SOURCE_CLICKFUNNELS, hooknormv1.Source_SOURCE_WEBFLOW
	cases := []struct {
		name       string
		delivery   func(via string) tenantDelivery
		wantStatus int
		wantReason string
		wantInMsg  string
		wantTenant string // of the stored event
	}{
		{"workspace 43 signed with workspace 42's secret", func(via string) tenantDelivery {
			return tenantDelivery{source: CF, body: cf("forged-"+via, 43), secret: "ws42-secret"}
		}, 401, "SIGNATURE_MISMATCH", `the secrets of workspace "43" in the secrets file`, ""},
		{"workspace 43 signed with the provider-wide secret", func(via string) tenantDelivery {
			return tenantDelivery{source: CF, body: cf("wide-"+via, 43), secret: "cf-provider-wide"}
		}, 401, "SIGNATURE_MISMATCH", `workspace "43"`, ""},
		{"workspace 43 signed with its current secret", func(via string) tenantDelivery {
			return tenantDelivery{source: CF, body: cf("ws43-current-"+via, 43), secret: "ws43-current"}
		}, 200, "", "", "43"},
		{"workspace 43 signed with its previous secret", func(via string) tenantDelivery {
			return tenantDelivery{source: CF, body: cf("ws43-previous-"+via, 43), secret: "ws43-previous"}
		}, 200, "", "", "43"},
		{"workspace 42 signed with its secret", func(via string) tenantDelivery {
			return tenantDelivery{source: CF, body: cf("ws42-"+via, 42), secret: "ws42-secret"}
		}, 200, "", "", "42"},
		{"workspace 99, no entry, signed with the provider-wide secret", func(via string) tenantDelivery {
			return tenantDelivery{source: CF, body: cf("ws99-"+via, 99), secret: "cf-provider-wide"}
		}, 200, "", "", "99"},
		{"workspace 99, no entry, signed with 42's secret", func(via string) tenantDelivery {
			return tenantDelivery{source: CF, body: cf("ws99-forged-"+via, 99), secret: "ws42-secret"}
		}, 401, "SIGNATURE_MISMATCH", `HOOKNORM_CLICKFUNNELS_SECRET (workspace "99" has no entry in the secrets file)`, ""},
		{"an unknown event type naming workspace 43 in a wrapped resource", func(via string) tenantDelivery {
			return tenantDelivery{source: CF, secret: "ws43-current",
				body: `{"event_id": "wrapped-` + via + `", "event_type": "novel/thing.created", "data": {"thing": {"workspace_id": 43}}}`}
		}, 200, "", "", "43"},
		{"the URL names workspace 42, the body 43", func(via string) tenantDelivery {
			return tenantDelivery{source: CF, body: cf("mixed-"+via, 43), tenant: "42", secret: "ws42-secret"}
		}, 400, "INVALID_REQUEST", `sent for tenant "42", but its body names tenant "43"`, ""},
		{"site-b, marked unsigned, unsigned", func(via string) tenantDelivery {
			return tenantDelivery{source: WF, body: wf("site-b", via)}
		}, 200, "", "", "site-b"},
		{"site-b's order, by the URL's tenant, unsigned", func(via string) tenantDelivery {
			return tenantDelivery{source: WF, body: wfOrder("b-" + via), tenant: "site-b"}
		}, 200, "", "", "site-b"},
		{"site-a unsigned", func(via string) tenantDelivery {
			return tenantDelivery{source: WF, body: wf("site-a", via)}
		}, 401, "SIGNATURE_MISSING", `the secrets of site "site-a"`, ""},
		{"site-a's order, by the URL's tenant, unsigned", func(via string) tenantDelivery {
			return tenantDelivery{source: WF, body: wfOrder("a-" + via), tenant: "site-a"}
		}, 401, "SIGNATURE_MISSING", `site "site-a"`, ""},
		{"site-a signed with its secret", func(via string) tenantDelivery {
			return tenantDelivery{source: WF, body: wf("site-a", via), secret: "site-a-secret"}
		}, 200, "", "", "site-a"},
		{"site-c, no entry and no provider-wide Webflow secret", func(via string) tenantDelivery {
			return tenantDelivery{source: WF, body: wf("site-c", via), secret: "site-a-secret"}
		}, 401, "SIGNATURE_MISMATCH", `site "site-c" has no entry in the secrets file`, ""},
	}
	stored := map[string]string{} // event id → tenant
	for _, via := range []string{"http", "grpc"} {
		for _, c := range cases {
			t.Run(via+"/"+c.name, func(t *testing.T) {
				code, reason, message, id := h.sendOver(t, via, c.delivery(via))
				if code != c.wantStatus || reason != c.wantReason {
					t.Fatalf("answered %d %s %q, want %d %s", code, reason, message, c.wantStatus, c.wantReason)
				}
				checkSays(t, message, c.wantInMsg)
				for _, secret := range []string{"ws42-secret", "ws43-current", "ws43-previous", "site-a-secret", "cf-provider-wide"} {
					if strings.Contains(message, secret) {
						t.Errorf("the refusal quotes a secret: %q", message)
					}
				}
				if code == http.StatusOK {
					stored[id] = c.wantTenant
				}
			})
		}
	}
	events := h.subscribe(t, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true}}, len(stored))
	for _, e := range events {
		want, ok := stored[e.GetId()]
		if !ok || e.GetTenant() != want {
			t.Errorf("the log holds %s of tenant %q; the accepted deliveries were %v", e.GetId(), e.GetTenant(), stored)
		}
		if strings.HasPrefix(e.GetId(), "forged-") || strings.HasPrefix(e.GetId(), "wide-") {
			t.Errorf("a forged delivery was stored: %s", e.GetId())
		}
	}
	checkLogEnds(t, h, uint64(len(stored)))

	families := h.scrape(t)
	for _, c := range []struct {
		tenant, reason string
		want           float64
	}{
		{"43", "ERROR_REASON_SIGNATURE_MISMATCH", 4},
		{"site-a", "ERROR_REASON_SIGNATURE_MISSING", 4},
		{"other", "ERROR_REASON_SIGNATURE_MISMATCH", 4}, // workspace 99 and site-c: no entries
		{"42", "ERROR_REASON_SIGNATURE_MISMATCH", 0},
		{"99", "ERROR_REASON_SIGNATURE_MISMATCH", 0}, // unlisted tenants get no label of their own
	} {
		if got := sum(families, "hooknorm_tenant_refusals_total", map[string]string{"tenant": c.tenant, "reason": c.reason}); got != c.want {
			t.Errorf("hooknorm_tenant_refusals_total{tenant=%q, reason=%q} = %v, want %v", c.tenant, c.reason, got, c.want)
		}
	}
}

// checkLogEnds fails the test unless the log's newest event is at sequence last.
func checkLogEnds(t *testing.T, h *harness, last uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{Start: &hooknormv1.SubscribeRequest_AfterSequence{AfterSequence: last}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if msg.GetHeartbeat().GetLatestSequence() != last {
		t.Errorf("after the %d accepted deliveries the log goes on: %v", last, msg)
	}
}

// TestSecretsPerTenantReload rotates workspace 43's secret in the file while the server runs:
// after the reload the new secret verifies and the retired one is refused, over HTTP and gRPC.
func TestSecretsPerTenantReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(tenantsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := verify.OpenSecretsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := startWith(t, 1<<20, service.Options{Verifier: verify.NewSignatures(nil, nil).UseSecretsFile(file)})
	delivery := func(id, secret string) tenantDelivery {
		return tenantDelivery{source: hooknormv1.Source_SOURCE_CLICKFUNNELS, secret: secret,
			body: fmt.Sprintf(`{"event_id": %q, "event_type": "contact.created", "workspace_id": 43, "data": {"id": 1}}`, id)}
	}
	rotated := strings.Replace(tenantsFile, `["ws43-current", "ws43-previous"]`, `["ws43-next"]`, 1)
	if err := os.WriteFile(path, []byte(rotated), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, via := range []string{"http", "grpc"} {
		if code, _, _, _ := h.sendOver(t, via, delivery("before-"+via, "ws43-current")); code != http.StatusOK {
			t.Errorf("%s: before the reload the current secret was refused: %d", via, code)
		}
		if code, _, _, _ := h.sendOver(t, via, delivery("early-"+via, "ws43-next")); code != http.StatusUnauthorized {
			t.Errorf("%s: before the reload the next secret answered %d, want 401", via, code)
		}
	}
	if err := file.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, via := range []string{"http", "grpc"} {
		if code, reason, _, _ := h.sendOver(t, via, delivery("retired-"+via, "ws43-current")); code != http.StatusUnauthorized || reason != "SIGNATURE_MISMATCH" {
			t.Errorf("%s: after the reload the retired secret answered %d %s, want 401 SIGNATURE_MISMATCH", via, code, reason)
		}
		if code, _, message, _ := h.sendOver(t, via, delivery("after-"+via, "ws43-next")); code != http.StatusOK {
			t.Errorf("%s: after the reload the new secret answered %d %s", via, code, message)
		}
	}
}
