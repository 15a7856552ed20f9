package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hooknorm/hooknorm/client"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

func newReplayCommand(conn *connection) *cobra.Command {
	var (
		delivery deliveryOptions
		from     startOptions
		filters  filterOptions
	)
	cmd := &cobra.Command{
		Use:   "replay --since T --to URL [--format cloudevents|event-json] [--dead-letter F] [filters]",
		Short: "Deliver the events stored since a time to an HTTP endpoint, then exit",
		Long: `replay is forward for backfills: it delivers the events stored from a point in the log up to
the newest event when it started, one at a time, in order, and exits. Events stored while it runs
are left for forward or tail. On a terminal it shows a progress bar with the count, the rate and
the time left; it ends by printing how many events it delivered and dead-lettered and the last
sequence, which --after resumes from if it was interrupted.

It retries as forward does: network errors, 5xx, 408 and 429 for as long as it takes; an event
refused with another 4xx --max-attempts times (default 5) goes to --dead-letter FILE, or, without
one, replay stops there (exit code 4). Interrupted before it reached the newest event (Ctrl-C),
it exits 130, never 0: a script can tell a partial backfill from a complete one.

The delivery formats are forward's: see hooknorm forward --help.`,
		Example: `  hooknorm replay --since 24h --to http://localhost:3000/hooks --dead-letter dead.jsonl
  hooknorm replay --since 2026-11-01T00:00:00Z --to https://example.com/events --source webflow
  hooknorm replay --after 1200 --to http://localhost:3000/hooks --format event-json --max-attempts 3`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stderr := cmd.ErrOrStderr()
			start, err := from.start()
			if err != nil {
				return err
			}
			if start == (client.Start{}) {
				return usagef("give where to start: --since, --after or --earliest")
			}
			f, err := delivery.forwarder(stderr)
			if err != nil {
				return err
			}
			defer f.deadLetters.close()
			c, filter, err := filters.open(conn)
			if err != nil {
				return err
			}
			defer c.Close()
			bar := newProgress(stderr, isTerminal(stderr))
			reporter := newStreamReporter(stderr, conn)
			reporter.clear, f.clear = bar.clear, bar.clear
			sub := reporter.attach(&client.Subscription{UntilHead: true})
			var tally deliveryTally
			ctx := cmd.Context()
			summary := func() {
				bar.clear()
				upTo := ""
				if head, ok := sub.Head(); ok {
					upTo = fmt.Sprintf(" up to sequence %d", head)
				}
				tally.summary(stderr, "replayed", upTo, f.deadLetters)
			}
			for event, err := range c.Subscribe(ctx, start, filter, sub) {
				var gap *client.GapError
				switch {
				case errors.As(err, &gap):
					bar.clear()
					fmt.Fprintf(stderr, "hooknorm: %v\n", err)
					continue
				case err != nil:
					bar.clear()
					return conn.explain(err)
				}
				result, err := f.deliver(ctx, event)
				if err != nil && ctx.Err() != nil {
					break // ctx ended while delivering: the event was not delivered
				}
				if err != nil {
					summary()
					return err
				}
				tally.add(event.GetSequence(), result)
				head, _ := sub.Head()
				bar.update(tally.delivered+tally.deadLettered, event.GetSequence(), head)
			}
			summary()
			if ctx.Err() != nil {
				return interruptedError{tally.interrupted(reporter)}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	delivery.register(fl)
	from.register(fl)
	filters.register(fl)
	return cmd
}

// progress draws replay's progress bar on a terminal, with github.com/schollz/progressbar: how far
// through the log's sequences up to the head the replay is, the events delivered (a filter
// skips some sequences), the rate and the time left. Off a terminal it draws nothing.
type progress struct {
	w        io.Writer
	terminal bool
	bar      *progressbar.ProgressBar // made at the first event, when the span up to the head is known
	first    uint64                   // the sequence before the first event
}

func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, terminal: terminal}
}

// update moves the bar to the count-th event, of sequence seq, of the span up to head.
func (p *progress) update(count int, seq, head uint64) {
	if !p.terminal || head < seq {
		return
	}
	description := fmt.Sprintf("events %d", count)
	if p.bar == nil {
		p.first = seq - 1
		p.bar = progressbar.NewOptions64(int64(head-p.first),
			progressbar.OptionSetDescription(description),
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("seq"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond))
	} else {
		p.bar.Describe(description)
	}
	p.bar.Set64(int64(seq - p.first))
}

// clear removes the bar so that a message can take its line.
func (p *progress) clear() {
	if p.bar != nil {
		p.bar.Clear()
	}
}
