package main

import (
	"fmt"
	"io"
)

// deliveryTally counts what forward and replay did with the events they read, for the summary
// they end with.
type deliveryTally struct {
	delivered, deadLettered int
	last                    uint64 // the sequence of the last event delivered or dead-lettered
}

// add counts one event's outcome.
func (t *deliveryTally) add(seq uint64, o outcome) {
	switch o {
	case delivered:
		t.delivered++
	case deadLettered:
		t.deadLettered++
	}
	t.last = seq
}

// summary writes "<verb> N events (D delivered, L dead-lettered to FILE)" and where to resume
// from; upTo, when not empty, says how far in the log that was.
func (t *deliveryTally) summary(w io.Writer, verb, upTo string, d *deadLetters) {
	events := "events"
	if t.delivered+t.deadLettered == 1 {
		events = "event"
	}
	fmt.Fprintf(w, "hooknorm: %s %d %s%s (%d delivered, %d dead-lettered", verb, t.delivered+t.deadLettered, events, upTo, t.delivered, t.deadLettered)
	if d != nil && t.deadLettered > 0 {
		fmt.Fprintf(w, " to %s", d.path)
	}
	fmt.Fprint(w, ")")
	if t.last > 0 {
		fmt.Fprintf(w, "; the last was sequence %d", t.last)
	}
	fmt.Fprintln(w)
}

// interrupted is the message of a forward or replay stopped by Ctrl-C.
func (t *deliveryTally) interrupted(r *streamReporter) string {
	if why := r.interrupted(); why != "" {
		return why
	}
	if t.last > 0 {
		return fmt.Sprintf("interrupted; resume with --after %d", t.last)
	}
	return "interrupted before any event was delivered; run the same command again"
}
