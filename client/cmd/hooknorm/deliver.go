package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v5"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
)

// defaultMaxAttempts is how many times forward and replay send an event the endpoint refuses
// with a 4xx (other than 408 and 429) before giving up on it, unless --max-attempts says.
const defaultMaxAttempts = 5

// forwarder delivers events to one endpoint.
type forwarder struct {
	to, format  string
	structured  bool
	maxAttempts int
	deadLetters *deadLetters // nil: stop at an event given up on rather than drop it
	log         io.Writer
	http        *http.Client
	clear       func() // clears a progress bar before a message
	now         func() time.Time
}

// outcome is what became of one event.
type outcome int

const (
	delivered    outcome = iota + 1 // the endpoint answered 2xx
	deadLettered                    // the endpoint refused it for good; it is in the dead-letter file
)

// answer is one attempt's result: the HTTP status (0 when no answer came) and, when it failed, why.
type answer struct {
	status     int
	err        error
	unsendable bool // the event could not be made into a request: no attempt can succeed
}

// refused reports whether the endpoint refused the event itself (a 4xx other than 408 Request
// Timeout and 429 Too Many Requests): sending the same event again is unlikely to help, so such
// attempts are bounded by --max-attempts. Everything else is retried until it works.
func (a answer) refused() bool {
	return a.status >= 400 && a.status < 500 && a.status != http.StatusRequestTimeout && a.status != http.StatusTooManyRequests
}

// deliver POSTs the event until the endpoint answers 2xx, waiting longer after each failure and
// saying so on the log. An event refused maxAttempts times is written to the dead-letter file and
// given up on, or, without one, ends the command with an undeliveredError. It returns ctx's error
// when ctx ends first.
func (f *forwarder) deliver(ctx context.Context, e *hooknormv1.Event) (outcome, error) {
	retries := &backoff.ExponentialBackOff{InitialInterval: 200 * time.Millisecond, RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: 30 * time.Second}
	retries.Reset()
	refusals := 0
	for {
		a := f.post(ctx, e)
		if a.err == nil {
			return delivered, nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		f.clear()
		if a.unsendable {
			return f.giveUp(e, a, 1)
		}
		if a.refused() {
			refusals++
			if refusals >= f.maxAttempts {
				return f.giveUp(e, a, refusals)
			}
		}
		wait := retries.NextBackOff()
		if a.refused() {
			fmt.Fprintf(f.log, "hooknorm: delivering sequence %d: %v (attempt %d of %d); retrying in %s\n", e.GetSequence(), a.err, refusals, f.maxAttempts, wait.Round(time.Millisecond))
		} else {
			fmt.Fprintf(f.log, "hooknorm: delivering sequence %d: %v; retrying in %s\n", e.GetSequence(), a.err, wait.Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// giveUp sets aside an event the endpoint refused attempts times, or stops when there is no
// dead-letter file.
func (f *forwarder) giveUp(e *hooknormv1.Event, a answer, attempts int) (outcome, error) {
	if f.deadLetters == nil {
		resume := ""
		if e.GetSequence() > 1 {
			resume = fmt.Sprintf("; resume with --after %d", e.GetSequence()-1)
		}
		return 0, undeliveredError{fmt.Sprintf("stopped at sequence %d (id %s): %v, %d times (--max-attempts). "+
			"It was not dropped: fix the endpoint, or give --dead-letter FILE to set such events aside and go on%s",
			e.GetSequence(), e.GetId(), a.err, attempts, resume)}
	}
	if err := f.deadLetters.add(e, f.to, a.status, attempts, a.err.Error(), f.now()); err != nil {
		return 0, err
	}
	fmt.Fprintf(f.log, "hooknorm: gave up on sequence %d (id %s) after %d attempts: %v; written to %s\n",
		e.GetSequence(), e.GetId(), attempts, a.err, f.deadLetters.path)
	return deadLettered, nil
}

// post sends the event once.
func (f *forwarder) post(ctx context.Context, e *hooknormv1.Event) answer {
	req, err := f.request(ctx, e)
	if err != nil {
		return answer{err: fmt.Errorf("it cannot be sent as %s: %v", f.format, err), unsendable: true}
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return answer{err: fmt.Errorf("%s could not be reached: %s", f.to, netCause(err))}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return answer{status: resp.StatusCode}
	}
	err = fmt.Errorf("%s answered %s", f.to, resp.Status)
	if said := excerpt(body); said != "" {
		err = fmt.Errorf("%s answered %s: %s", f.to, resp.Status, said)
	}
	return answer{status: resp.StatusCode, err: err}
}

// excerpt is the start of an endpoint's answer, on one line, for messages.
func excerpt(body []byte) string {
	const limit = 200
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) <= limit {
		return text
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "..."
}

// maxAttemptsFlag checks --max-attempts.
func maxAttemptsFlag(n int) (int, error) {
	if n < 1 {
		return 0, usagef("--max-attempts must be 1 or more, got %s", strconv.Itoa(n))
	}
	return n, nil
}
