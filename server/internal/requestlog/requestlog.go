// Package requestlog carries what one request did to the one log line written when it finishes.
// The service fills in what only it knows (the source, the event, the outcome of a delivery) on
// a Record it finds in the request's context; the transport, which owns the Record, adds the
// call's name, code and refusal reason, and writes the line. The service needs no logging
// middleware and the transport needs no knowledge of deliveries.
package requestlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
)

// MaxIDLength is the longest request id accepted from a client.
const MaxIDLength = 128

// Outcomes of a request, the values of its outcome attribute. A delivery has the outcomes of
// metrics (stored, duplicate, rejected); any other request succeeds or is rejected. A request
// the client gave up on (a subscription it closed, a call it cancelled) is cancelled.
const (
	OK        = "ok"
	Rejected  = "rejected"
	Failed    = "failed"
	Cancelled = "cancelled"
)

// Record is what one request did. Its methods are safe for concurrent use and do nothing on a
// nil Record, so code may annotate a context that has none.
type Record struct {
	id string

	mu        sync.Mutex
	method    string
	source    hooknormv1.Source
	eventType string
	eventCase string
	eventID   string
	outcome   string
	code      string
	reason    string
	err       string
}

// New returns a Record for a request with the given id.
func New(id string) *Record { return &Record{id: id} }

// ID is the request's id.
func (r *Record) ID() string {
	if r == nil {
		return ""
	}
	return r.id
}

type contextKey struct{}

// NewContext returns ctx carrying r.
func NewContext(ctx context.Context, r *Record) context.Context {
	return context.WithValue(ctx, contextKey{}, r)
}

// FromContext returns the Record ctx carries, or nil.
func FromContext(ctx context.Context) *Record {
	r, _ := ctx.Value(contextKey{}).(*Record)
	return r
}

// SetSource records the provider the request is about.
func (r *Record) SetSource(source hooknormv1.Source) {
	if r == nil || source == hooknormv1.Source_SOURCE_UNSPECIFIED {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.source = source
}

// SetEvent records the event a delivery became: its source, type as delivered, oneof case and
// id. A nil event records nothing.
func (r *Record) SetEvent(event *hooknormv1.Event) {
	if r == nil || event == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if event.GetSource() != hooknormv1.Source_SOURCE_UNSPECIFIED {
		r.source = event.GetSource()
	}
	r.eventType, r.eventCase, r.eventID = event.GetType(), metrics.CaseOf(event), event.GetId()
}

// SetOutcome records how the request ended when that says more than its code, such as a
// delivery stored or recognised as a duplicate.
func (r *Record) SetOutcome(outcome string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcome = outcome
}

// SetMethod records the gRPC method the request called.
func (r *Record) SetMethod(method string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.method = method
}

// Method is the gRPC method the request called, or "".
func (r *Record) Method() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.method
}

// SetCancelled records that the client gave up on the request before it finished, unless a
// status was already recorded.
func (r *Record) SetCancelled() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.code == "" {
		r.code = "CANCELLED"
	}
}

// SetStatus records the request's gRPC code name and, for a refusal, its reason (an
// hooknorm.v1.ErrorReason name without its prefix); an empty reason leaves one recorded earlier.
func (r *Record) SetStatus(code, reason string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.code = code
	if reason != "" {
		r.reason = reason
	}
}

// SetError records the detail of a failure: an internal one, which the caller is not told, or
// the cause of an unavailable log, such as a full disk.
func (r *Record) SetError(err string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

// Attrs are the request's attributes for its log line: the id, then what is known of the
// method, source, event, code, outcome, reason and failure. The outcome is the one set, or else
// ok for a call that succeeded, rejected for a refusal with a reason, and failed otherwise.
func (r *Record) Attrs(succeeded bool) []slog.Attr {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	attrs := []slog.Attr{slog.String("request_id", r.id)}
	add := func(key, value string) {
		if value != "" {
			attrs = append(attrs, slog.String(key, value))
		}
	}
	add("grpc_method", r.method)
	if r.source != hooknormv1.Source_SOURCE_UNSPECIFIED {
		add("source", r.source.String())
	}
	add("event_type", r.eventType)
	add("case", r.eventCase)
	add("event_id", r.eventID)
	add("code", r.code)
	outcome := r.outcome
	switch {
	case outcome != "" && (succeeded || outcome == metrics.Rejected):
	case r.code == "CANCELLED":
		outcome = Cancelled
	case succeeded:
		outcome = OK
	case r.reason != "":
		outcome = Rejected
	default:
		outcome = Failed
	}
	add("outcome", outcome)
	add("reason", r.reason)
	add("error", r.err)
	return attrs
}

// SaneID returns id when a client may choose it, as its request id: 1 to MaxIDLength visible ASCII
// characters. Otherwise it returns a new random id.
func SaneID(id string) string {
	if len(id) > 0 && len(id) <= MaxIDLength {
		sane := true
		for i := range len(id) {
			if id[i] < 0x21 || id[i] > 0x7e {
				sane = false
				break
			}
		}
		if sane {
			return id
		}
	}
	return NewID()
}

// NewID returns a new random request id, 32 hexadecimal digits.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
