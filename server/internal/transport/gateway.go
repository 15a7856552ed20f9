package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// forwardedHeaderPrefixes are the HTTP headers, besides the gateway's defaults, that reach the
// gRPC service as metadata: the providers' signature and timestamp headers.
var forwardedHeaderPrefixes = []string{"x-webflow-", "x-webhook-clickfunnels-"}

// subscribeRoute is the HTTP route of Subscribe (proto/hooknorm/v1/http.yaml).
const subscribeRoute = "/v1/events:subscribe"

// eventTypesRoute is the HTTP route of ListEventTypes (proto/hooknorm/v1/http.yaml).
const eventTypesRoute = "/v1/event-types"

// newGateway returns the HTTP face of the service, behind the body limit, the query string check
// and source-name paths:
// grpc-gateway calling the unary methods in process through the gRPC interceptors (unary), and
// Subscribe, a stream, through conn, a gRPC connection to the service, registered in open while it
// streams.
func newGateway(ctx context.Context, unary inProcess, conn *grpc.ClientConn, open *openStreams, maxBodyBytes int64, bodyTimeout time.Duration, webhookKey string, refusals httpRefusals) (http.Handler, error) {
	options := gatewayOptions(webhookKey, refusals)
	mux := runtime.NewServeMux(options...)
	if err := hooknormv1.RegisterWebhookServiceHandlerServer(ctx, mux, unary); err != nil {
		return nil, fmt.Errorf("registering the gateway: %w", err)
	}
	streamMux := runtime.NewServeMux(options...)
	if err := hooknormv1.RegisterWebhookServiceHandler(ctx, streamMux, conn); err != nil {
		return nil, fmt.Errorf("registering the gateway's streams: %w", err)
	}
	// Registered last, this route wins over the in-process one, which cannot stream.
	if err := mux.HandlePath(http.MethodGet, subscribeRoute, func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		// A stream is never cached, and proxies that buffer answers (nginx) pass each line on as
		// it is written.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Accel-Buffering", "no")
		open.serve(w, func() { streamMux.ServeHTTP(w, r) })
	}); err != nil {
		return nil, fmt.Errorf("registering %s: %w", subscribeRoute, err)
	}
	if err := registerConsumers(ctx, mux, streamMux, conn, open); err != nil {
		return nil, err
	}
	return refusals.limitBody(maxBodyBytes, bodyTimeout, refusals.wellFormedQuery(refusals.sourceNames(mux))), nil
}

// gatewayOptions are the options of every gateway mux: hooknorm's marshaler, headers, error
// answers, query parsing and call metadata.
func gatewayOptions(webhookKey string, refusals httpRefusals) []runtime.ServeMuxOption {
	jsonMarshaler := &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}
	return []runtime.ServeMuxOption{
		runtime.WithMarshalerOption(runtime.MIMEWildcard, rawBodyMarshaler{Marshaler: jsonMarshaler}),
		runtime.WithIncomingHeaderMatcher(forwardHeader),
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithErrorHandler(refusals.gatewayError),
		runtime.WithRoutingErrorHandler(routingError),
		runtime.WithMiddlewares(nameSpanByRoute),
		// grpc-gateway keeps the query parser in a package variable: every mux sets the same one.
		runtime.SetQueryParameterParser(&strictQuery{}),
		runtime.WithMetadata(func(_ context.Context, r *http.Request) metadata.MD {
			md := make(metadata.MD, 2)
			addCallKey(md, r)
			if strings.HasPrefix(r.URL.Path, webhookPathPrefix) {
				md[webhookRouteKey] = []string{webhookKey}
			}
			return md
		}),
	}
}

// rawBodyMarshaler is the JSON marshaler, except that a request body bound to a bytes field (the
// raw webhook payload) is read verbatim: signatures are checked on the exact bytes received.
type rawBodyMarshaler struct {
	runtime.Marshaler
}

// Marshal writes the frame that ends a streamed answer in error, which the gateway builds as
// {"error": google.rpc.Status}, with hooknorm's ErrorBody in it instead, as every other error
// answer has; anything else it writes as JSON. (The gateway's stream error handler can only
// choose the status, not the frame, so the frame is rewritten here.)
func (m rawBodyMarshaler) Marshal(v any) ([]byte, error) {
	if chunk, ok := v.(map[string]proto.Message); ok && len(chunk) == 1 {
		if st, ok := chunk["error"].(*spb.Status); ok {
			body, _ := errorBodyOf(status.FromProto(st))
			var frame bytes.Buffer
			enc := json.NewEncoder(&frame)
			enc.SetEscapeHTML(false) // as writeStatus: messages quote "<token>" and the like
			err := enc.Encode(map[string]errorBody{"error": body})
			return bytes.TrimSuffix(frame.Bytes(), []byte("\n")), err
		}
	}
	return m.Marshaler.Marshal(v)
}

// StreamContentType is the media type of a streamed answer: newline-delimited JSON, one object
// per line, rather than one JSON document.
func (m rawBodyMarshaler) StreamContentType(any) string { return "application/x-ndjson" }

// NewDecoder reads a bytes target verbatim and anything else as JSON. A body limitBody already
// read is handed over without another copy.
func (m rawBodyMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		raw, ok := v.(*[]byte)
		if !ok {
			return m.Marshaler.NewDecoder(r).Decode(v)
		}
		if read, ok := r.(*readBody); ok && read.Len() == len(read.data) {
			*raw = read.data
			_, err := read.Seek(0, io.SeekEnd)
			return err
		}
		body, err := io.ReadAll(r)
		*raw = body
		return err
	})
}

// readBody is a request body limitBody has read in full: a reader over its bytes that also
// hands the bytes themselves to the raw decoder.
type readBody struct {
	*bytes.Reader
	data []byte
}

// Close does nothing: the bytes are in memory.
func (readBody) Close() error { return nil }

// forwardHeader passes the providers' headers to the gRPC service, and no other: the service
// reads nothing else from metadata (the gateway passes the authorization header on its own, and
// the request's id and trace context travel in its context). So a client cannot pass metadata of
// its choosing, the gateway's own (the webhook route marker, the HTTP call key) least of all
// (grpc-gateway's default would forward any Grpc-Metadata-* header), and the call's metadata is
// not built from headers nobody reads.
func forwardHeader(key string) (string, bool) {
	lower := strings.ToLower(key)
	for _, prefix := range forwardedHeaderPrefixes {
		if strings.HasPrefix(lower, prefix) {
			return lower, true
		}
	}
	return "", false
}

// limitBody refuses a request body larger than maxBytes with 413: at once when Content-Length
// says so, otherwise as soon as the limit is passed, without keeping more of it (see
// refuseOversized for what becomes of the rest). A body that takes longer than timeout to arrive
// is refused too, so slow clients cannot hold connections; the deadline covers the body only,
// never a streamed answer.
func (h httpRefusals) limitBody(maxBytes int64, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		var deadline time.Time
		if timeout > 0 {
			deadline = time.Now().Add(timeout)
		}
		if r.ContentLength > maxBytes {
			h.refuseOversized(w, r, maxBytes, deadline)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(deadline)
		body, err := readAll(http.MaxBytesReader(w, r.Body, maxBytes), r.ContentLength)
		_ = rc.SetReadDeadline(time.Time{})
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			h.refuseOversized(w, r, maxBytes, deadline)
			return
		case err != nil:
			w.Header().Set("Connection", "close")
			h.refuse(w, r, unreadBody(err, timeout))
			return
		}
		r.Body = &readBody{Reader: bytes.NewReader(body), data: body}
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// unreadBody is the refusal of a body that could not be read in full, with err, within timeout.
func unreadBody(err error, timeout time.Duration) *rejection.Error {
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"the body did not arrive in full within %s, the time hooknormd gives a request body: send it at once, as soon as the headers", timeout)
	}
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
		"the body ended before its end: it is shorter than its Content-Length, its chunked encoding is broken, or the connection was cut; send it again in full")
}

// preallocatedBodyBytes is the most readAll sets aside before the bytes arrive, so a client that
// announces a large body and sends nothing does not hold much memory.
const preallocatedBodyBytes = 256 << 10

// readAll reads r to the end into a buffer sized for length bytes, when the request says how long
// its body is, so a body of known length is read without growing and copying the buffer.
func readAll(r io.Reader, length int64) ([]byte, error) {
	if length <= 0 {
		return io.ReadAll(r)
	}
	// One byte more than announced, so reading the end does not grow the buffer; a body longer
	// than announced is cut off by net/http.
	body := make([]byte, 0, min(length, preallocatedBodyBytes)+1)
	for {
		n, err := r.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			return body, nil
		}
		if err != nil {
			return body, err
		}
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)]
		}
	}
}
