package transport

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hooknorm/hooknorm/server/internal/requestlog"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// requestIDHeader carries a request's id: taken from the caller when it sends a sane one,
// returned to it always, as an HTTP response header and as gRPC header metadata.
const requestIDHeader = "x-request-id"

// httpCallKey is the metadata the gateway adds to the gRPC call an HTTP request makes. It names
// the HTTP request's Record, so the internal server annotates that Record rather than logging a
// second line. Clients cannot send it (see forwardHeader), and only the internal server reads it.
const httpCallKey = "hooknorm-http-call"

// maxLoggedPath bounds the path written to a log line.
const maxLoggedPath = 256

// quietPaths are answered often and by machines: their lines are logged at debug level only.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// requestLogger writes exactly one line per request when it finishes: per HTTP request (whether
// or not it reached a gRPC call) and per gRPC call made directly. Lines carry no payloads,
// headers, tokens or messages: only ids, names, codes, reasons, the peer and the latency.
type requestLogger struct {
	logger *slog.Logger
	next   atomic.Uint64
	calls  sync.Map // httpCallKey value -> *requestlog.Record, while its HTTP request runs
}

// httpCallContextKey keys an HTTP request's httpCallKey value in its context.
type httpCallContextKey struct{}

// addCallKey adds to md, the metadata the gateway gives the gRPC call of r, r's httpCallKey.
func addCallKey(md metadata.MD, r *http.Request) {
	if key, ok := r.Context().Value(httpCallContextKey{}).(string); ok {
		md[httpCallKey] = []string{key}
	}
}

// handler logs every request next serves; quiet (probe) paths at debug level, or every request
// when quiet is set, as on the metrics listener.
func (l *requestLogger) handler(next http.Handler, quiet bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		path := r.URL.Path // the gateway's middleware rewrites it in place
		record := requestlog.New(requestlog.SaneID(r.Header.Get(requestIDHeader)))
		w.Header().Set(requestIDHeader, record.ID())
		key := strconv.FormatUint(l.next.Add(1), 36)
		l.calls.Store(key, record)
		defer l.calls.Delete(key)
		ctx := requestlog.NewContext(r.Context(), record)
		ctx = context.WithValue(ctx, httpCallContextKey{}, key)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		if errors.Is(ctx.Err(), context.Canceled) {
			// The client went away, closing a stream say: the gRPC call behind the request may
			// record its status only after this line is written.
			record.SetCancelled()
		}

		httpStatus := sw.status
		if httpStatus == 0 {
			httpStatus = http.StatusOK
		}
		level := httpLevel(httpStatus)
		if quiet || quietPaths[path] {
			level = slog.LevelDebug
		}
		if !l.logger.Enabled(ctx, level) {
			return
		}
		attrs := append(record.Attrs(httpStatus < 400),
			slog.String("protocol", "http"),
			slog.String("http_method", r.Method),
			slog.String("path", truncate(path, maxLoggedPath)),
			slog.Int("status", httpStatus),
			slog.Float64("latency_ms", milliseconds(time.Since(started))),
			slog.String("peer", r.RemoteAddr))
		attrs = appendTraceID(ctx, attrs)
		l.logger.LogAttrs(ctx, level, "request", attrs...)
	})
}

// unary logs a unary call; internal is set on the server the gateway calls.
func (l *requestLogger) unary(internal bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		started := time.Now()
		ctx, record, owned := l.begin(ctx, info.FullMethod, internal)
		if owned {
			_ = grpc.SetHeader(ctx, metadata.Pairs(requestIDHeader, record.ID()))
		}
		resp, err := handler(ctx, req)
		l.finish(ctx, record, owned, err, started)
		return resp, err
	}
}

// stream logs a streaming call; internal is set on the server the gateway calls.
func (l *requestLogger) stream(internal bool) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		started := time.Now()
		ctx, record, owned := l.begin(ss.Context(), info.FullMethod, internal)
		if owned {
			_ = ss.SetHeader(metadata.Pairs(requestIDHeader, record.ID()))
		}
		err := handler(srv, contextStream{ServerStream: ss, ctx: ctx})
		l.finish(ctx, record, owned, err, started)
		return err
	}
}

// begin finds the call's Record: the HTTP request's, for a call the gateway makes (owned is then
// false: the HTTP layer writes the line), or a new one with the caller's request id if sane.
func (l *requestLogger) begin(ctx context.Context, method string, internal bool) (_ context.Context, _ *requestlog.Record, owned bool) {
	if internal {
		if keys := metadata.ValueFromIncomingContext(ctx, httpCallKey); len(keys) == 1 {
			if found, ok := l.calls.Load(keys[0]); ok {
				record := found.(*requestlog.Record)
				record.SetMethod(method)
				return requestlog.NewContext(ctx, record), record, false
			}
		}
	}
	id := ""
	if ids := metadata.ValueFromIncomingContext(ctx, requestIDHeader); len(ids) > 0 {
		id = ids[0]
	}
	record := requestlog.New(requestlog.SaneID(id))
	record.SetMethod(method)
	return requestlog.NewContext(ctx, record), record, true
}

// finish records the call's code and reason and, for a call it owns, writes its line.
func (l *requestLogger) finish(ctx context.Context, record *requestlog.Record, owned bool, err error, started time.Time) {
	st := status.Convert(err)
	reason := ""
	if err != nil && st.Code() != codes.Canceled { // a client that gave up was refused nothing
		body, _ := errorBodyOf(st)
		reason = body.Reason
	}
	record.SetStatus(code.Code(st.Code()).String(), reason)
	if owned {
		l.writeLine(ctx, record, grpcLevel(st.Code()), err == nil, started)
	}
}

// writeLine writes the line of a gRPC call, at level, from its Record.
func (l *requestLogger) writeLine(ctx context.Context, record *requestlog.Record, level slog.Level, succeeded bool, started time.Time) {
	if !l.logger.Enabled(ctx, level) {
		return
	}
	peerAddr := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		peerAddr = p.Addr.String()
	}
	attrs := append(record.Attrs(succeeded),
		slog.String("protocol", "grpc"),
		slog.Float64("latency_ms", milliseconds(time.Since(started))),
		slog.String("peer", peerAddr))
	attrs = appendTraceID(ctx, attrs)
	l.logger.LogAttrs(ctx, level, "request", attrs...)
}

// grpcLevel is the level of a call's line: error when hooknorm failed, warning when it could
// not serve, info otherwise (refusals of bad input included: the caller is told).
func grpcLevel(c codes.Code) slog.Level {
	switch c {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		return slog.LevelError
	case codes.Unavailable:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// httpLevel is grpcLevel for an HTTP status.
func httpLevel(httpStatus int) slog.Level {
	switch {
	case httpStatus == http.StatusServiceUnavailable:
		return slog.LevelWarn
	case httpStatus >= 500:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// appendTraceID adds the id of the request's trace, when it has one (it is traced, or the
// caller sent a traceparent), so a line can be found from a trace and the other way round.
func appendTraceID(ctx context.Context, attrs []slog.Attr) []slog.Attr {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
	}
	return attrs
}

func milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// statusWriter remembers the status an HTTP handler answered with. It flushes, for streamed
// answers, and unwraps, for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends what was written so far, as a streamed answer needs.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		f.Flush()
	}
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
