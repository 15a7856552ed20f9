package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/hooknorm/hooknorm/server/internal/requestlog"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the domain of every google.rpc.ErrorInfo hooknorm sends.
const ErrorDomain = "hooknorm.dev"

// answer is how a reason is reported over gRPC and over HTTP.
type answer struct {
	code codes.Code
	http int
}

// answers is the one table from refusal reasons to gRPC codes and HTTP statuses.
var answers = map[hooknormv1.ErrorReason]answer{
	hooknormv1.ErrorReason_ERROR_REASON_SOURCE_REQUIRED:     {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_EMPTY_PAYLOAD:       {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_MALFORMED_JSON:      {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_NOT_AN_OBJECT:       {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING:  {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT: {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD:       {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_PAYLOAD_TOO_LARGE:   {codes.ResourceExhausted, http.StatusRequestEntityTooLarge},
	hooknormv1.ErrorReason_ERROR_REASON_NESTING_TOO_DEEP:    {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST:     {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_NOT_IMPLEMENTED:     {codes.Unimplemented, http.StatusNotImplemented},
	hooknormv1.ErrorReason_ERROR_REASON_INTERNAL:            {codes.Internal, http.StatusInternalServerError},
	hooknormv1.ErrorReason_ERROR_REASON_ROUTE_NOT_FOUND:     {codes.NotFound, http.StatusNotFound},
	hooknormv1.ErrorReason_ERROR_REASON_METHOD_NOT_ALLOWED:  {codes.Unimplemented, http.StatusMethodNotAllowed},
	hooknormv1.ErrorReason_ERROR_REASON_UNAVAILABLE:         {codes.Unavailable, http.StatusServiceUnavailable},
	hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING:   {codes.Unauthenticated, http.StatusUnauthorized},
	hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MALFORMED: {codes.Unauthenticated, http.StatusUnauthorized},
	hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH:  {codes.Unauthenticated, http.StatusUnauthorized},
	hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_EXPIRED:   {codes.Unauthenticated, http.StatusUnauthorized},
	hooknormv1.ErrorReason_ERROR_REASON_TOKEN_MISSING:       {codes.Unauthenticated, http.StatusUnauthorized},
	hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE:        {codes.PermissionDenied, http.StatusForbidden},
	hooknormv1.ErrorReason_ERROR_REASON_TOO_MANY_STREAMS:    {codes.ResourceExhausted, http.StatusTooManyRequests},
	hooknormv1.ErrorReason_ERROR_REASON_CURSOR_AHEAD:        {codes.OutOfRange, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_TOKEN_INVALID:       {codes.Unauthenticated, http.StatusUnauthorized},
	hooknormv1.ErrorReason_ERROR_REASON_SOURCE_UNKNOWN:      {codes.InvalidArgument, http.StatusBadRequest},
	hooknormv1.ErrorReason_ERROR_REASON_CONSUMER_NOT_FOUND:  {codes.NotFound, http.StatusNotFound},
	hooknormv1.ErrorReason_ERROR_REASON_CONSUMER_EXISTS:     {codes.AlreadyExists, http.StatusConflict},
	hooknormv1.ErrorReason_ERROR_REASON_ACK_TOKEN_INVALID:   {codes.InvalidArgument, http.StatusBadRequest},
}

// fallbackReasons names the reason of a status that carries no ErrorInfo, such as one the
// gateway raises itself for a malformed query parameter.
var fallbackReasons = map[codes.Code]hooknormv1.ErrorReason{
	codes.InvalidArgument:   hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
	codes.NotFound:          hooknormv1.ErrorReason_ERROR_REASON_ROUTE_NOT_FOUND,
	codes.Unimplemented:     hooknormv1.ErrorReason_ERROR_REASON_NOT_IMPLEMENTED,
	codes.Unavailable:       hooknormv1.ErrorReason_ERROR_REASON_UNAVAILABLE,
	codes.ResourceExhausted: hooknormv1.ErrorReason_ERROR_REASON_PAYLOAD_TOO_LARGE,
	codes.Unauthenticated:   hooknormv1.ErrorReason_ERROR_REASON_TOKEN_MISSING,
	codes.PermissionDenied:  hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,
}

// ReasonName is the reason as sent in ErrorInfo and HTTP bodies: the enum value name without its
// ERROR_REASON_ prefix, for example "MALFORMED_JSON".
func ReasonName(r hooknormv1.ErrorReason) string {
	return strings.TrimPrefix(r.String(), "ERROR_REASON_")
}

// reasonByName is the inverse of ReasonName.
func reasonByName(name string) (hooknormv1.ErrorReason, bool) {
	n, ok := hooknormv1.ErrorReason_value["ERROR_REASON_"+name]
	return hooknormv1.ErrorReason(n), ok
}

// rejectionStatus is the gRPC status of a refusal, with its reason, field and offset as
// google.rpc.ErrorInfo.
func rejectionStatus(r *rejection.Error) *status.Status {
	a, ok := answers[r.Reason]
	if !ok {
		a = answers[hooknormv1.ErrorReason_ERROR_REASON_INTERNAL]
	}
	info := &errdetails.ErrorInfo{Reason: ReasonName(r.Reason), Domain: ErrorDomain}
	if r.Field != "" || r.Offset >= 0 {
		info.Metadata = map[string]string{}
		if r.Field != "" {
			info.Metadata["field"] = r.Field
		}
		if r.Offset >= 0 {
			info.Metadata["offset"] = strconv.FormatInt(r.Offset, 10)
		}
	}
	st, err := status.New(a.code, r.Message).WithDetails(info)
	if err != nil {
		return status.New(a.code, r.Message)
	}
	return st
}

// errorMapper turns whatever a handler returns into a gRPC status: refusals get their reason,
// statuses pass through, anything else is an internal error whose detail is logged, not sent.
type errorMapper struct {
	logger *slog.Logger
}

func (m errorMapper) status(ctx context.Context, method string, err error) error {
	if r, ok := rejection.As(err); ok {
		return rejectionStatus(r).Err()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if record := requestlog.FromContext(ctx); record != nil {
		record.SetError(err.Error()) // the request's line tells it
	} else {
		m.logger.ErrorContext(ctx, "request failed", "method", method, "error", err)
	}
	return rejectionStatus(rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INTERNAL,
		"hooknorm failed to handle the request; it may be retried")).Err()
}

func (m errorMapper) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	if err != nil {
		return nil, m.status(ctx, info.FullMethod, err)
	}
	return resp, nil
}

func (m errorMapper) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := handler(srv, ss); err != nil {
		return m.status(ss.Context(), info.FullMethod, err)
	}
	return nil
}

// panicked is the recovery handler: a panic becomes an internal error, logged with its value on
// the request's line.
func (m errorMapper) panicked(ctx context.Context, p any) error {
	if record := requestlog.FromContext(ctx); record != nil {
		record.SetError(fmt.Sprintf("panic: %v", p))
	} else {
		m.logger.ErrorContext(ctx, "handler panicked", "panic", p)
	}
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INTERNAL, "hooknorm failed to handle the request; it may be retried")
}
