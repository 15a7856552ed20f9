package transport_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// harness is a hooknormd serving on loopback ports, with a gRPC client and the HTTP base URL.
type harness struct {
	server  *transport.Server
	conn    *grpc.ClientConn
	client  hooknormv1.WebhookServiceClient
	httpURL string
	log     *eventlog.Log
}

// bodyTimeout is how long test servers wait for a request body.
const bodyTimeout = 2 * time.Second

// heartbeat is the subscription heartbeat interval of test servers.
const heartbeat = 300 * time.Millisecond

// start runs a real server, with an embedded event log in a temporary directory, on free loopback
// ports and stops it when the test ends.
func start(t testing.TB, maxBodyBytes int64) *harness {
	t.Helper()
	return startWith(t, maxBodyBytes, service.Options{})
}

// startWith is start with service options; the heartbeat is set here, and the log too unless
// opts gives one. A guard, if given, requires bearer tokens.
func startWith(t testing.TB, maxBodyBytes int64, opts service.Options, guard ...*access.Guard) *harness {
	t.Helper()
	return startLogging(t, slog.New(slog.NewTextHandler(io.Discard, nil)), maxBodyBytes, opts, nil, guard...)
}

// startLogging is startWith with the server logging to logger and, if configure is not nil,
// its transport configuration changed by configure.
func startLogging(t testing.TB, logger *slog.Logger, maxBodyBytes int64, opts service.Options, configure func(*transport.Config), guard ...*access.Guard) *harness {
	t.Helper()
	if opts.Metrics == nil {
		opts.Metrics = metrics.New()
	}
	normalizer, err := normalize.New(normalize.Limits{MaxBytes: maxBodyBytes})
	if err != nil {
		t.Fatal(err)
	}
	eventLog := opts.Log
	if eventLog == nil {
		eventLog = openLog(t, t.TempDir(), maxBodyBytes, logger)
	}
	cfg := transport.Config{
		GRPCAddr:          "127.0.0.1:0",
		HTTPAddr:          "127.0.0.1:0",
		MaxBodyBytes:      maxBodyBytes,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       30 * time.Second,
		BodyTimeout:       bodyTimeout,
		Guard:             firstGuard(guard),
		Metrics:           opts.Metrics,
	}
	if configure != nil {
		configure(&cfg)
	}
	server, err := transport.Start(context.Background(), cfg, service.NewWebhooks(normalizer, withLog(opts, eventLog)), logger)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(server.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{server: server, conn: conn, client: hooknormv1.NewWebhookServiceClient(conn), httpURL: "http://" + server.HTTPAddr(), log: eventLog}
	t.Cleanup(func() {
		conn.Close()
		http.DefaultClient.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := server.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return h
}

// openLog opens an embedded event log in dir for bodies of up to maxBodyBytes, logging to logger,
// and closes it when the test ends.
func openLog(t testing.TB, dir string, maxBodyBytes int64, logger *slog.Logger) *eventlog.Log {
	t.Helper()
	eventLog, err := eventlog.Open(context.Background(), eventlog.Config{
		DataDir:         dir,
		RetentionAge:    time.Hour,
		DuplicateWindow: time.Hour,
		Fsync:           eventlog.FsyncPeriodic,
		SyncInterval:    time.Minute,
		MaxRecordBytes:  eventlog.RecordLimit(maxBodyBytes),
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eventLog.Close() })
	return eventLog
}

// post sends body to path and returns the status and response body.
func (h *harness) post(t testing.TB, path string, body []byte, headers map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.httpURL+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for key, value := range headers {
		req.Header.Set(key, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// open sends a GET to path with headers, ending with ctx, and returns the answer as it starts
// (a subscription streams on); its body is closed when the test ends.
func (h *harness) open(ctx context.Context, t testing.TB, path string, headers map[string]string) *http.Response {
	t.Helper()
	return h.send(ctx, t, http.MethodGet, path, "", headers)
}

// send sends a request of method to path with body and headers, ending with ctx, and returns the
// answer as it starts; its body is closed when the test ends.
func (h *harness) send(ctx context.Context, t testing.TB, method, path, body string, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, h.httpURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for key, value := range headers {
		req.Header.Set(key, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// errorInfo is the ErrorInfo detail of st, or nil.
func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	return info
}

// sourcePath is the provider name used in HTTP paths.
func sourcePath(source hooknormv1.Source) string {
	return strings.ToLower(strings.TrimPrefix(source.String(), "SOURCE_"))
}

func withLog(opts service.Options, l *eventlog.Log) service.Options {
	opts.Log, opts.Heartbeat = l, heartbeat
	return opts
}

func firstGuard(guards []*access.Guard) *access.Guard {
	if len(guards) == 0 {
		return nil
	}
	return guards[0]
}
