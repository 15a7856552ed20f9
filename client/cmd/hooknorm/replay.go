package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hooknorm/hooknorm/client"
	"github.com/spf13/cobra"
)

func newReplayCommand(conn *connection) *cobra.Command {
	var (
		delivery deliveryOptions
		from     startOptions
		filters  filterOptions
	)
	cmd := &cobra.Command{
		Use:   "replay --since T --to URL [--format cloudevents|event-json] [filters]",
		Short: "Deliver the events stored since a time to an HTTP endpoint, then exit",
		Long: `replay is forward for backfills: it delivers the events stored from a point in the log up to
the newest event when it started, one at a time, in order, retrying each until the endpoint answers
2xx, and exits. Events stored while it runs are left for forward or tail. On a terminal it shows
a progress bar with the count, the rate and the time left; it ends by printing the last sequence
delivered, which --after resumes from if it was interrupted.

The delivery formats are forward's: see hooknorm forward --help.`,
		Example: `  hooknorm replay --since 24h --to http://localhost:3000/hooks
  hooknorm replay --since 2026-11-01T00:00:00Z --to https://example.com/events --source webflow
  hooknorm replay --after 1200 --to http://localhost:3000/hooks --format event-json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stderr := cmd.ErrOrStderr()
			f, err := delivery.forwarder(stderr)
			if err != nil {
				return err
			}
			start, err := from.start()
			if err != nil {
				return err
			}
			if start == (client.Start{}) {
				return usagef("give where to start: --since, --after or --earliest")
			}
			c, filter, err := filters.open(conn)
			if err != nil {
				return err
			}
			defer c.Close()
			bar := newProgress(stderr, isTerminal(stderr), time.Now)
			sub := &client.Subscription{UntilHead: true}
			var delivered uint64
			var count int
			ctx := cmd.Context()
			for event, err := range c.Subscribe(ctx, start, filter, sub) {
				var gap *client.GapError
				switch {
				case errors.As(err, &gap):
					bar.clear()
					fmt.Fprintf(stderr, "hooknorm: %v\n", err)
					continue
				case err != nil:
					bar.clear()
					return err
				}
				if err := f.deliver(ctx, event); err != nil {
					break // ctx ended while retrying: the event was not delivered
				}
				delivered, count = event.GetSequence(), count+1
				head, _ := sub.Head()
				bar.update(count, delivered, head)
			}
			bar.clear()
			head, _ := sub.Head()
			fmt.Fprintf(stderr, "hooknorm: replayed %d events up to sequence %d", count, head)
			if delivered > 0 {
				fmt.Fprintf(stderr, "; the last delivered was sequence %d", delivered)
			}
			fmt.Fprintln(stderr)
			switch {
			case ctx.Err() != nil && delivered > 0:
				fmt.Fprintf(stderr, "hooknorm: interrupted; resume with --after %d\n", delivered)
			case ctx.Err() != nil:
				fmt.Fprintln(stderr, "hooknorm: interrupted before anything was delivered; run the same command again")
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

// progress draws a one-line progress bar on a terminal: events delivered, their rate, and the
// time left, judged by how far through the log's sequences the replay is.
type progress struct {
	w        io.Writer
	terminal bool
	now      func() time.Time
	started  time.Time
	drawn    time.Time
	first    uint64 // the sequence before the first event delivered
}

func newProgress(w io.Writer, terminal bool, now func() time.Time) *progress {
	return &progress{w: w, terminal: terminal, now: now, started: now()}
}

// update redraws the bar after the count-th event, of sequence seq, up to head; at most ten
// times a second, and never off a terminal.
func (p *progress) update(count int, seq, head uint64) {
	if !p.terminal {
		return
	}
	if count == 1 {
		p.first = seq - 1
	}
	now := p.now()
	if now.Sub(p.drawn) < 100*time.Millisecond && seq < head {
		return
	}
	p.drawn = now
	fmt.Fprintf(p.w, "\r\x1b[K%s", progressLine(count, seq-p.first, head-p.first, now.Sub(p.started)))
}

// clear removes the bar so that a message can take its line.
func (p *progress) clear() {
	if p.terminal && !p.drawn.IsZero() {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// progressLine is the bar's text: done of total sequences read after elapsed, with count events
// delivered.
func progressLine(count int, done, total uint64, elapsed time.Duration) string {
	const width = 30
	fraction := 1.0
	if total > 0 {
		fraction = min(float64(done)/float64(total), 1)
	}
	filled := int(fraction * width)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < filled {
			bar[i] = '='
		}
	}
	rate := 0.0
	if elapsed > 0 {
		rate = float64(count) / elapsed.Seconds()
	}
	eta := "--"
	if fraction > 0 && fraction < 1 {
		eta = (time.Duration(float64(elapsed) * (1 - fraction) / fraction)).Round(time.Second).String()
	} else if fraction >= 1 {
		eta = "0s"
	}
	return fmt.Sprintf("[%s] %3.0f%%  %d events  %.0f/s  ETA %s", bar, 100*fraction, count, rate, eta)
}
