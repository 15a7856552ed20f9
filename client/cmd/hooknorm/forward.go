package main

import (
	"errors"
	"fmt"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/spf13/cobra"
)

func newForwardCommand(conn *connection) *cobra.Command {
	var (
		delivery   deliveryOptions
		from       startOptions
		filters    filterOptions
		cursorFile string
		group      consumerOptions
	)
	cmd := &cobra.Command{
		Use:   "forward --to URL [--format cloudevents|event-json] [--cursor-file F] [--dead-letter F] [start] [filters] | --consumer NAME",
		Short: "Deliver every event to an HTTP endpoint, at least once and in order",
		Long: `forward follows hooknormd's log and POSTs each event to an HTTP endpoint, one at a time and in
log order, until the endpoint answers 2xx: every event arrives at least once, none out of order.
With --cursor-file it records each delivered event's sequence and, when restarted, resumes after
it; the start flags apply only when the file does not exist yet. It runs until stopped (Ctrl-C,
exit code 130).

Network errors, 5xx, 408 and 429 answers are retried with backoff for as long as it takes, each
retry said on stderr with its delay; so is a hooknormd that cannot be reached. An event the
endpoint refuses with another 4xx is sent --max-attempts times (default 5); then, with
--dead-letter FILE, it is appended to FILE as one JSON line (sequence, id, the last status, the
reason, the event) and forward goes on; without --dead-letter, forward stops there rather than
drop it (exit code 4), saying how to resume.

As CloudEvents 1.0 (the default; --mode structured or binary):
  id               the event's id (ClickFunnels event_id, or a digest for Webflow)
  source           hooknorm/<provider>/<tenant>, e.g. hooknorm/clickfunnels/42
  type             com.<provider>.<event type>, e.g. com.clickfunnels.order.created
  subject          the resource's id, when the event names one
  time             when the event happened (or was received)
  datacontenttype  application/json
  dataschema       ` + DataSchema + `
  hooknormsequence the event's sequence in the log
  traceparent      the W3C trace context of the delivery that stored it, when it has one
  tracestate       (the Distributed Tracing extension)
  data             the hooknorm.v1.Event as JSON
As event-json, the body is the event as JSON, with Hooknorm-Event-Id and Hooknorm-Sequence headers.
Either way, an event with trace context is sent with traceparent and tracestate HTTP headers, so an
endpoint instrumented with OpenTelemetry continues the delivery's trace.

With --consumer NAME, forward is one worker of a consumer (see hooknorm consumers): several
forwards, on several machines, share its events, each delivered by one of them, and need no cursor
file: the consumer keeps the position, the filters and the dead letters. Each event is POSTed once
per delivery, up to --concurrency at a time (so not in log order): a 2xx acknowledges it, anything
else gives it back to be handed out again after a delay that grows with its attempts (1 s, 2 s,
4 s, ... 5 min), and after the consumer's max deliveries it is a dead letter (hooknorm consumers
dead-letters NAME).`,
		Example: `  hooknorm forward --to http://localhost:3000/hooks --cursor-file .hooknorm-cursor --dead-letter dead.jsonl
  hooknorm forward --to https://example.com/events --mode binary --source clickfunnels --type-prefix orders/
  hooknorm forward --to http://localhost:3000/hooks --format event-json --earliest --max-attempts 3 --dead-letter dead.jsonl
  hooknorm forward --to http://localhost:3000/hooks --consumer orders --concurrency 4`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if group.name != "" || cmd.Flags().Changed("concurrency") {
				return group.forward(cmd, conn, &delivery, filters.raw)
			}
			stderr := cmd.ErrOrStderr()
			start, err := from.start()
			if err != nil {
				return err
			}
			f, err := delivery.forwarder(stderr)
			if err != nil {
				return err
			}
			defer f.deadLetters.close()
			resumed := false
			if cursor, ok, err := readCursor(cursorFile); err != nil {
				return err
			} else if ok {
				start, resumed = client.Start{HasAfter: true, After: cursor}, true
				fmt.Fprintf(stderr, "hooknorm: resuming after sequence %d from %s\n", cursor, cursorFile)
			}
			c, filter, err := filters.open(conn)
			if err != nil {
				return err
			}
			defer c.Close()
			var tally deliveryTally
			ctx := cmd.Context()
			reporter := newStreamReporter(stderr, conn)
			for event, err := range c.Subscribe(ctx, start, filter, reporter.attach(&client.Subscription{})) {
				var gap *client.GapError
				switch {
				case errors.As(err, &gap):
					fmt.Fprintf(stderr, "hooknorm: %v\n", err)
					continue
				case resumed && client.ReasonOf(err) == hooknormv1.ErrorReason_ERROR_REASON_CURSOR_AHEAD:
					return explainedError{err: err, msg: fmt.Sprintf("%s holds cursor %d, beyond the newest event in this log (CURSOR_AHEAD): "+
						"the log was recreated, or it is another one. Remove %s to start over with --earliest or --since",
						cursorFile, start.After, cursorFile)}
				case err != nil:
					return conn.explain(err)
				}
				result, err := f.deliver(ctx, event)
				if err != nil && ctx.Err() != nil {
					break // ctx ended while delivering: the event was not delivered
				}
				if err != nil {
					tally.summary(stderr, "forwarded", "", f.deadLetters)
					return err
				}
				tally.add(event.GetSequence(), result)
				if err := writeCursor(cursorFile, event.GetSequence()); err != nil {
					return err
				}
			}
			tally.summary(stderr, "forwarded", "", f.deadLetters)
			return interruptedError{tally.interrupted(reporter)}
		},
	}
	fl := cmd.Flags()
	delivery.register(fl)
	fl.StringVar(&cursorFile, "cursor-file", "", "file keeping the sequence of the last delivered event, to resume from after a restart")
	from.register(fl)
	filters.register(fl)
	group.register(fl)
	return cmd
}
