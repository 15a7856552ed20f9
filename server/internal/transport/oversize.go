package transport

import (
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// oversizeDrainBytes is how much of a refused body, past --max-body-bytes, is read and discarded
// after the 413 so that clients which send the whole body before reading can read the answer:
// closing a connection with unread data makes the kernel reset it, destroying the answer.
const oversizeDrainBytes = 64 << 20

// oversizeDrainTimeout bounds the reading of a refused body when no body timeout is set.
const oversizeDrainTimeout = 30 * time.Second

// refuseOversized answers 413 to r, whose body is larger than maxBytes, and then, over HTTP/1,
// reads and discards the rest of the body, up to oversizeDrainBytes past the limit and until
// deadline (the body's; oversizeDrainTimeout from now if it has none), so that a client that
// writes its whole body before reading still reads the answer instead of a connection reset. The
// answer is sent first, complete, so clients that read while they send (curl) have it at once.
// The connection is closed afterwards: what is left of a longer or slower body is not read.
func (h httpRefusals) refuseOversized(w http.ResponseWriter, r *http.Request, maxBytes int64, deadline time.Time) {
	tooLarge := rejection.New(hooknormv1.ErrorReason_ERROR_REASON_PAYLOAD_TOO_LARGE,
		"the body is larger than the %d bytes hooknorm accepts", maxBytes)
	if r.ProtoMajor >= 2 {
		// HTTP/2 resets the stream once the answer is sent and leaves the connection open.
		h.refuse(w, r, tooLarge)
		h.metrics.OversizedBody(metrics.BodyStreamReset)
		return
	}
	// Closing also keeps net/http from reading the body itself before it writes the answer.
	w.Header().Set("Connection", "close")
	h.refuse(w, r, tooLarge)
	if r.ContentLength > maxBytes+oversizeDrainBytes {
		h.metrics.OversizedBody(metrics.BodyTooLong)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	if deadline.IsZero() {
		deadline = time.Now().Add(oversizeDrainTimeout)
	}
	if err := rc.SetReadDeadline(deadline); err != nil {
		// Unbounded in time, reading would let a slow client hold the connection: no time is
		// given to the rest of the body.
		h.metrics.OversizedBody(metrics.BodyTimedOut)
		return
	}
	// A body of announced length ends where announced, within the bound checked above; of a
	// chunked one, the limit has been read.
	budget := int64(oversizeDrainBytes)
	if r.ContentLength > 0 {
		budget = r.ContentLength
	}
	_, err := io.CopyN(io.Discard, r.Body, budget+1)
	h.metrics.OversizedBody(drainOutcome(err))
}

// drainOutcome is what became of the rest of a refused body that io.CopyN read and discarded
// with err.
func drainOutcome(err error) string {
	var netErr net.Error
	switch {
	case err == nil:
		return metrics.BodyTooLong // more remained than the budget
	case errors.Is(err, io.EOF):
		return metrics.BodyDrained
	case errors.As(err, &netErr) && netErr.Timeout():
		return metrics.BodyTimedOut
	default:
		return metrics.BodyClientStopped
	}
}
