package transport_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// secured starts a server whose API needs tokens: "ops" may do everything, "ws42" may only
// subscribe to ClickFunnels workspace 42, with one stream at a time.
func secured(t *testing.T) *harness {
	t.Helper()
	return securedWith(t, nil)
}

// securedWith is secured with its transport configuration changed by configure, if not nil.
func securedWith(t *testing.T, configure func(*transport.Config)) *harness {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.json")
	tokens := fmt.Sprintf(`{"tokens": [
		{"name": "ops", "sha256": %q, "calls": ["normalize", "ingest", "subscribe"]},
		{"name": "ws42", "sha256": %q, "calls": ["subscribe"], "sources": ["clickfunnels"], "tenants": ["42"], "max_streams": 1}
	]}`, tokenHash("ops-token"), tokenHash("ws42-token"))
	if err := os.WriteFile(path, []byte(tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	guard, err := access.NewGuard(path)
	if err != nil {
		t.Fatal(err)
	}
	return startLogging(t, slog.New(slog.DiscardHandler), 1<<20, service.Options{}, configure, guard)
}

func withToken(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

func TestTokensGuardTheAPI(t *testing.T) {
	h := secured(t)
	normalize := &hooknormv1.NormalizeRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(cfInvoice)}
	ingest := &hooknormv1.IngestRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(cfInvoice)}
	cases := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"no token", func() error { _, err := h.client.Normalize(context.Background(), normalize); return err }, codes.Unauthenticated},
		{"an unknown token", func() error { _, err := h.client.Normalize(withToken("guess"), normalize); return err }, codes.Unauthenticated},
		{"a known token", func() error { _, err := h.client.Normalize(withToken("ops-token"), normalize); return err }, codes.OK},
		{"a token without ingest", func() error { _, err := h.client.Ingest(withToken("ws42-token"), ingest); return err }, codes.PermissionDenied},
		{"a forged webhook route marker", func() error {
			ctx := metadata.AppendToOutgoingContext(context.Background(), "hooknorm-webhook-route", "guess")
			_, err := h.client.Ingest(ctx, ingest)
			return err
		}, codes.Unauthenticated},
		{"a token with ingest", func() error { _, err := h.client.Ingest(withToken("ops-token"), ingest); return err }, codes.OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := status.Code(c.call()); got != c.want {
				t.Errorf("code %v, want %v", got, c.want)
			}
		})
	}

	// Over HTTP: the webhook routes need no token (signatures guard them), the API routes do.
	if code, body := h.post(t, "/v1/webhooks/clickfunnels", []byte(cfContact), nil); code != http.StatusOK {
		t.Errorf("webhook route without a token: %d %s", code, body)
	}
	if code, _ := h.post(t, "/v1/normalize/clickfunnels", []byte(cfContact), nil); code != http.StatusUnauthorized {
		t.Errorf("normalize without a token: %d, want 401", code)
	}
	if code, _ := h.post(t, "/v1/normalize/clickfunnels", []byte(cfContact), map[string]string{"Grpc-Metadata-Hooknorm-Webhook-Route": "guess"}); code != http.StatusUnauthorized {
		t.Errorf("normalize with a forged marker: %d, want 401", code)
	}
	if code, _ := h.post(t, "/v1/normalize/clickfunnels", []byte(cfContact), map[string]string{"Authorization": "Bearer ops-token"}); code != http.StatusOK {
		t.Errorf("normalize with a token: %d, want 200", code)
	}
}

// TestTenantScopedSubscriberSeesOnlyItsTenant streams with a token scoped to workspace 42 while
// events of other workspaces and of Webflow flow: only workspace 42's events arrive; asking for
// another tenant or source is refused.
func TestTenantScopedSubscriberSeesOnlyItsTenant(t *testing.T) {
	h := secured(t)
	ctx, cancel := context.WithTimeout(withToken("ws42-token"), 10*time.Second)
	defer cancel()
	stream, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	for i := range 6 {
		workspace := 41 + i%3 // 41, 42, 43
		body := fmt.Sprintf(`{"event_id": "t-%d", "event_type": "contact.updated", "workspace_id": %d, "api_version": 2, "data": {"id": %d}}`, i, workspace, i)
		h.ingest(t, "/v1/webhooks/clickfunnels", body, nil)
		h.ingest(t, "/v1/webhooks/webflow", fmt.Sprintf(`{"triggerType": "form_submission", "payload": {"name": "f%d", "siteId": "42"}}`, i), nil)
	}
	var got []string
	for len(got) < 2 {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if e := msg.GetEvent(); e != nil {
			got = append(got, e.GetId()+"@"+e.GetTenant())
		}
	}
	if fmt.Sprint(got) != "[t-1@42 t-4@42]" {
		t.Errorf("the scoped subscriber got %v", got)
	}

	// Past the token's one stream, from the earliest event, or for a tenant it may not see.
	second, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{})
	if err == nil {
		_, err = second.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("a second stream: %v, want RESOURCE_EXHAUSTED", err)
	}
	cancel()
	for _, req := range []*hooknormv1.SubscribeRequest{
		{Tenant: "43"},
		{Sources: []hooknormv1.Source{hooknormv1.Source_SOURCE_WEBFLOW}},
	} {
		otherCtx, stop := context.WithTimeout(withToken("ws42-token"), 5*time.Second)
		denied, err := h.client.Subscribe(otherCtx, req)
		if err == nil {
			_, err = denied.Recv()
		}
		stop()
		if status.Code(err) != codes.PermissionDenied { // scopes are checked before the stream count
			t.Errorf("subscribe %v: %v, want PERMISSION_DENIED", req, err)
		}
	}
}

// TestTokenRefusalsSayWhatIsWrong calls a hooknormd that requires tokens without one, with an
// authorization header of another scheme, with a token it does not know and with tokens outside
// their scope, over gRPC and HTTP: a wrong token is TOKEN_INVALID, not TOKEN_MISSING, and every
// message says what is wrong and what to do.
func TestTokenRefusalsSayWhatIsWrong(t *testing.T) {
	h := secured(t)
	cases := []struct {
		name          string
		authorization string // empty: none sent
		subscribe     *hooknormv1.SubscribeRequest
		query         string // the subscription over HTTP; Normalize when subscribe is nil
		wantCode      codes.Code
		wantHTTP      int
		wantReason    hooknormv1.ErrorReason
		wantInMsg     []string
	}{
		{name: "no token", wantCode: codes.Unauthenticated, wantHTTP: http.StatusUnauthorized, wantReason: hooknormv1.ErrorReason_ERROR_REASON_TOKEN_MISSING,
			wantInMsg: []string{"this hooknormd requires a bearer token: send the header authorization: Bearer <token>"}},
		{name: "another scheme", authorization: "Basic b3BzOnRva2Vu", wantCode: codes.Unauthenticated, wantHTTP: http.StatusUnauthorized,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_TOKEN_MISSING, wantInMsg: []string{"carries no bearer token: send authorization: Bearer <token>"}},
		{name: "a token with no value", authorization: "Bearer ", wantCode: codes.Unauthenticated, wantHTTP: http.StatusUnauthorized,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_TOKEN_MISSING, wantInMsg: []string{"no bearer token"}},
		{name: "a wrong token", authorization: "Bearer ops-tokn", wantCode: codes.Unauthenticated, wantHTTP: http.StatusUnauthorized,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_TOKEN_INVALID,
			wantInMsg:  []string{"the bearer token is not one this hooknormd accepts: check it for a typo", "replaced or removed"}},
		{name: "a wrong token to subscribe", authorization: "Bearer guess", subscribe: &hooknormv1.SubscribeRequest{}, query: "earliest=false",
			wantCode: codes.Unauthenticated, wantHTTP: http.StatusUnauthorized, wantReason: hooknormv1.ErrorReason_ERROR_REASON_TOKEN_INVALID,
			wantInMsg: []string{"not one this hooknormd accepts"}},
		{name: "a call the token does not allow", authorization: "Bearer ws42-token", wantCode: codes.PermissionDenied, wantHTTP: http.StatusForbidden,
			wantReason: hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,
			wantInMsg:  []string{`the token "ws42" does not allow normalize (it allows subscribe): use a token whose calls include normalize`}},
		{name: "a source the token does not allow", authorization: "Bearer ws42-token",
			subscribe: &hooknormv1.SubscribeRequest{Sources: []hooknormv1.Source{hooknormv1.Source_SOURCE_WEBFLOW}}, query: "sources=webflow",
			wantCode: codes.PermissionDenied, wantHTTP: http.StatusForbidden, wantReason: hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,
			wantInMsg: []string{`the token "ws42" allows only events of clickfunnels, not of webflow: ask for those, or use a token whose sources include webflow`}},
		{name: "a tenant the token does not allow", authorization: "Bearer ws42-token",
			subscribe: &hooknormv1.SubscribeRequest{Tenant: "43"}, query: "tenant=43",
			wantCode: codes.PermissionDenied, wantHTTP: http.StatusForbidden, wantReason: hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,
			wantInMsg: []string{`the token "ws42" allows only events of tenant "42", not of tenant "43"`, `use a token whose tenants include "43"`}},
	}
	normalize := &hooknormv1.NormalizeRequest{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: []byte(cfInvoice)}
	for _, c := range cases {
		t.Run("gRPC/"+c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if c.authorization != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", c.authorization)
			}
			var st *status.Status
			if c.subscribe != nil {
				st = h.subscribeRefusal(ctx, t, c.subscribe)
			} else {
				_, err := h.client.Normalize(ctx, normalize)
				st = status.Convert(err)
			}
			if st == nil || st.Code() != c.wantCode || errorInfo(st).GetReason() != transport.ReasonName(c.wantReason) {
				t.Fatalf("got %v (ErrorInfo %v), want %v %s", st, errorInfo(st), c.wantCode, transport.ReasonName(c.wantReason))
			}
			checkSays(t, st.Message(), c.wantInMsg...)
		})
		t.Run("HTTP/"+c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			headers := map[string]string{}
			if c.authorization != "" {
				headers["Authorization"] = c.authorization
			}
			var resp *http.Response
			if c.subscribe != nil {
				resp = h.open(ctx, t, "/v1/events:subscribe?"+c.query, headers)
			} else {
				resp = h.send(ctx, t, http.MethodPost, "/v1/normalize/clickfunnels", cfInvoice, headers)
			}
			got := refusalOf(t, resp)
			if resp.StatusCode != c.wantHTTP || got.Reason != transport.ReasonName(c.wantReason) {
				t.Fatalf("answered %d %+v, want %d %s", resp.StatusCode, got, c.wantHTTP, transport.ReasonName(c.wantReason))
			}
			checkSays(t, got.Message, c.wantInMsg...)
		})
	}

	// Past the token's one stream: the refusal says to close one or raise max_streams.
	ctx, cancel := context.WithTimeout(withToken("ws42-token"), 10*time.Second)
	defer cancel()
	first, err := h.client.Subscribe(ctx, &hooknormv1.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Recv(); err != nil {
		t.Fatal(err)
	}
	st := h.subscribeRefusal(ctx, t, &hooknormv1.SubscribeRequest{})
	if st == nil || st.Code() != codes.ResourceExhausted || errorInfo(st).GetReason() != "TOO_MANY_STREAMS" {
		t.Fatalf("a second stream: %v, want RESOURCE_EXHAUSTED TOO_MANY_STREAMS", st)
	}
	checkSays(t, st.Message(), `the token "ws42" already holds 1 subscriptions open, its limit (max_streams): close one first`)
}
