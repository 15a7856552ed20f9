package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/hooknorm/hooknorm/server/internal/requestlog"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// errorBody is the JSON body of every HTTP error hooknorm answers.
type errorBody struct {
	// Code is the gRPC status code, as a number.
	Code int `json:"code"`
	// Status is the gRPC status code's name, for example "INVALID_ARGUMENT".
	Status string `json:"status"`
	// Reason is the stable machine-readable reason, for example "MALFORMED_JSON".
	Reason string `json:"reason"`
	// Message says what is wrong and where.
	Message string `json:"message"`
	// Field is the JSON path of the offending value, when there is one.
	Field string `json:"field,omitempty"`
	// Offset is the byte offset of the problem in the body, when there is one.
	Offset *int64 `json:"offset,omitempty"`
}

// errorBodyOf is the errorBody of st and the HTTP status it is answered with: the status the
// reason maps to, or the gateway's mapping of the code.
func errorBodyOf(st *status.Status) (errorBody, int) {
	reason, ok := hooknormv1.ErrorReason(0), false
	body := errorBody{Code: int(st.Code()), Status: code.Code(st.Code()).String(), Message: st.Message()}
	for _, detail := range st.Details() {
		info, isInfo := detail.(*errdetails.ErrorInfo)
		if !isInfo || info.GetDomain() != ErrorDomain {
			continue
		}
		reason, ok = reasonByName(info.GetReason())
		body.Field = info.GetMetadata()["field"]
		if offset, err := strconv.ParseInt(info.GetMetadata()["offset"], 10, 64); err == nil {
			body.Offset = &offset
		}
	}
	if !ok {
		reason, ok = fallbackReasons[st.Code()]
		if !ok {
			reason = hooknormv1.ErrorReason_ERROR_REASON_INTERNAL
		}
	}
	body.Reason = ReasonName(reason)
	httpStatus := runtime.HTTPStatusFromCode(st.Code())
	if a, known := answers[reason]; known && a.code == st.Code() {
		httpStatus = a.http
	}
	return body, httpStatus
}

// writeStatus answers an HTTP request with st: the status the reason maps to and an errorBody.
// The request's log line is told the code and reason. The answer says its length, so it is
// complete for the client even when flushed before the handler ends (see refuseOversized).
func writeStatus(w http.ResponseWriter, r *http.Request, st *status.Status) {
	body, httpStatus := errorBodyOf(st)
	requestlog.FromContext(r.Context()).SetStatus(body.Status, body.Reason)
	var encoded bytes.Buffer
	enc := json.NewEncoder(&encoded)
	enc.SetEscapeHTML(false) // messages quote "<token>" and the like; this is not HTML
	_ = enc.Encode(body)
	// A stream the gateway set up for chunks and trailers ends here with this answer alone.
	w.Header().Del("Transfer-Encoding")
	w.Header().Del("Trailer")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(encoded.Len()))
	w.WriteHeader(httpStatus)
	_, _ = w.Write(encoded.Bytes())
}

// writeRejection answers an HTTP request with a refusal, as the gateway would.
func writeRejection(w http.ResponseWriter, r *http.Request, refusal *rejection.Error) {
	writeStatus(w, r, rejectionStatus(refusal))
}

// routingError answers a request no route matches: 404 for an unknown path, naming the routes,
// and 405 for a known path with the wrong method, naming the right one.
func routingError(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	path := requestedPath(r)
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		refusal := rejection.New(hooknormv1.ErrorReason_ERROR_REASON_METHOD_NOT_ALLOWED, "%s is not allowed on %s", r.Method, path)
		if methods := methodsFor(path); methods != "" {
			refusal.Message += ": use " + methods
		}
		writeRejection(w, r, refusal)
	case http.StatusNotFound:
		writeRejection(w, r, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_ROUTE_NOT_FOUND,
			"no route for %s %s: hooknorm's routes are %s (GET /openapi.json describes them)", r.Method, path, routeList()))
	default:
		writeRejection(w, r, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"the request could not be routed: %s", http.StatusText(httpStatus)))
	}
}
