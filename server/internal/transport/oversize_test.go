package transport_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestOversizedBodyOverHTTP2 posts bodies over the limit, announced and chunked, over HTTPS with
// HTTP/2: each is answered 413 PAYLOAD_TOO_LARGE and counted as stream_reset, and the one
// connection goes on serving the next request, since refusing a body resets only its stream.
func TestOversizedBodyOverHTTP2(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, _, _ := certificate(t, "hooknorm test CA", true, nil, nil)
	_, _, serverPEM, serverKeyPEM := certificate(t, "127.0.0.1", false, ca, caKey)
	serverTLS, err := transport.LoadTLS(writePEM(t, dir, "server.pem", serverPEM), writePEM(t, dir, "server.key", serverKeyPEM), "")
	if err != nil {
		t.Fatal(err)
	}
	h := startLogging(t, slog.New(slog.DiscardHandler), 1024, service.Options{}, func(cfg *transport.Config) { cfg.TLS = serverTLS })
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	defer client.CloseIdleConnections()
	connections := 0
	send := func(method, path string, body io.Reader) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, "https://"+h.server.HTTPAddr()+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				if !info.Reused {
					connections++
				}
			},
		}))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.ProtoMajor != 2 {
			t.Fatalf("%s %s was answered over %s, want HTTP/2", method, path, resp.Proto)
		}
		return resp
	}

	bodies := map[string]io.Reader{
		"announced": strings.NewReader(strings.Repeat("x", 4<<20)),
		"chunked":   io.MultiReader(strings.NewReader(strings.Repeat("x", 4<<20))),
	}
	for name, body := range bodies {
		resp := send(http.MethodPost, "/v1/webhooks/clickfunnels", body)
		var answer struct {
			Reason string `json:"reason"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if resp.StatusCode != http.StatusRequestEntityTooLarge || answer.Reason != "PAYLOAD_TOO_LARGE" {
			t.Fatalf("%s: answer = %d %s, want 413 PAYLOAD_TOO_LARGE", name, resp.StatusCode, answer.Reason)
		}
	}
	resp := send(http.MethodGet, "/metrics", nil)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	if connections != 1 {
		t.Errorf("the refusals and the next request used %d connections, want 1", connections)
	}
	if v := sum(families, "hooknorm_oversized_bodies_total", map[string]string{"outcome": "stream_reset"}); v != float64(len(bodies)) {
		t.Errorf("hooknorm_oversized_bodies_total{outcome=\"stream_reset\"} = %v, want %d", v, len(bodies))
	}
}
