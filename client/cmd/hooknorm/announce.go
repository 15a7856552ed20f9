package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
)

// streamReporter says on stderr what a subscription of tail, forward or replay is doing: that it
// connected, each failure to reach hooknormd with its cause and the delay before the next try,
// and when the connection comes back. It never goes silent while retrying.
type streamReporter struct {
	w         io.Writer
	conn      *connection
	connected bool   // a stream has opened at least once
	failing   bool   // the last attempt failed and no stream has opened since
	lastCause string // why the last attempt failed, for the message when interrupted
	clear     func() // clears a progress bar before a message, when there is one
}

func newStreamReporter(w io.Writer, conn *connection) *streamReporter {
	return &streamReporter{w: w, conn: conn, clear: func() {}}
}

// attach makes sub report to r.
func (r *streamReporter) attach(sub *client.Subscription) *client.Subscription {
	sub.OnRetry, sub.OnConnected = r.retry, r.connectedAgain
	return sub
}

// retry reports a failed attempt and the wait before the next.
func (r *streamReporter) retry(retry client.Retry) {
	r.clear()
	wait := retry.Wait.Round(time.Millisecond)
	var e *client.Error
	if !errors.As(retry.Err, &e) {
		fmt.Fprintf(r.w, "hooknorm: %v; retrying in %s\n", retry.Err, wait)
		return
	}
	cause := r.conn.describe(e)
	r.lastCause = cause
	if e.Reason != hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED {
		// hooknormd's own advice (how to resume, to try again) is what the retry does already.
		headline, _, _ := strings.Cut(e.Status.Message(), "; ")
		cause = headline + " (" + reasonName(e.Reason) + ")"
		r.lastCause = "hooknormd at " + r.conn.server + ": " + cause
	}
	if e.Unreachable() {
		cause, _ = transportCause(e.Status.Message())
		r.lastCause = "cannot reach hooknormd at " + r.conn.server + ": " + cause
	}
	switch {
	case retry.Attempt == 1 && r.connected:
		fmt.Fprintf(r.w, "hooknorm: lost the stream from hooknormd at %s (%s); reconnecting in %s\n", r.conn.server, cause, wait)
	case retry.Attempt == 1 && e.Reason != hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED:
		fmt.Fprintf(r.w, "hooknorm: %s; retrying in %s (Ctrl-C to stop)\n", r.lastCause, wait)
	case retry.Attempt == 1:
		fmt.Fprintf(r.w, "hooknorm: %s; retrying in %s (Ctrl-C to stop)\n", r.conn.describe(e), wait)
	default:
		fmt.Fprintf(r.w, "hooknorm: still failing after %d tries: %s; retrying in %s\n", retry.Attempt, r.lastCause, wait)
	}
	r.failing = true
}

// connectedAgain reports a stream that opened: the first, or one after failures.
func (r *streamReporter) connectedAgain() {
	if r.failing || !r.connected {
		r.clear()
		fmt.Fprintf(r.w, "hooknorm: connected to hooknormd at %s\n", r.conn.server)
	}
	r.connected, r.failing = true, false
}

// interrupted is the message for a command stopped while its subscription was failing, or "".
func (r *streamReporter) interrupted() string {
	if !r.failing {
		return ""
	}
	if !r.connected {
		return "interrupted before hooknormd could be reached (" + r.lastCause + ")"
	}
	return "interrupted while reconnecting (" + r.lastCause + ")"
}
