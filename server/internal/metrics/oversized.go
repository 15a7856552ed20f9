package metrics

import "github.com/prometheus/client_golang/prometheus"

// What became of the rest of an HTTP request body refused as too large, the values of the
// outcome label of hooknorm_oversized_bodies_total.
const (
	// BodyDrained is a body read to its end and discarded after the 413: every client, those that
	// send the whole body before reading included, can read the answer.
	BodyDrained = "drained"
	// BodyTooLong is a body longer than the server reads past the limit: the connection was
	// closed with the rest unread, so a client still sending may see a reset instead of the 413.
	BodyTooLong = "too_long"
	// BodyTimedOut is a body whose rest did not arrive within the body timeout.
	BodyTimedOut = "timed_out"
	// BodyClientStopped is a body the client stopped sending (it closed the connection, often
	// after reading the 413, or broke the chunked framing).
	BodyClientStopped = "client_stopped"
	// BodyStreamReset is a body sent over HTTP/2, where the stream is reset after the answer and
	// the connection is left alone: nothing to read.
	BodyStreamReset = "stream_reset"
)

// newOversizedBodies is hooknorm_oversized_bodies_total, with every outcome at zero.
func newOversizedBodies() *prometheus.CounterVec {
	counter := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hooknorm_oversized_bodies_total",
		Help: "HTTP request bodies refused with 413 as larger than --max-body-bytes, by what became of the rest of the body: " +
			"drained (read and discarded, so the client could read the 413), too_long (more than the server reads past the limit: connection closed), " +
			"timed_out (not sent within --body-timeout), client_stopped (the client stopped sending), stream_reset (HTTP/2: nothing to read).",
	}, []string{"outcome"})
	for _, outcome := range []string{BodyDrained, BodyTooLong, BodyTimedOut, BodyClientStopped, BodyStreamReset} {
		counter.WithLabelValues(outcome)
	}
	return counter
}

// OversizedBody counts an HTTP request body refused as too large, with what became of its rest.
func (m *Metrics) OversizedBody(outcome string) {
	if m != nil {
		m.oversized.WithLabelValues(outcome).Inc()
	}
}
