package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newTailCommand(conn *connection) *cobra.Command {
	var (
		from    startOptions
		filters filterOptions
		jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "tail [--earliest | --after N | --since 1h] [filters]",
		Short: "Follow the events as they are stored, one line each",
		Long: `tail follows hooknormd's log: by default the events stored from now on, or from the earliest
retained event, after a cursor, or since a time. Each event is one line: time, sequence, source,
type, tenant and the fields that matter (order total, email, form name), in colour on a terminal;
--json prints each event as JSON instead.

When hooknormd cannot be reached, or the stream breaks, tail says why on stderr and tries again,
saying when, for as long as it takes. A refusal that trying again cannot fix ends it: a missing or
unknown token, a token's scope or its limit of open streams (exit code 1), a cursor this log
never gave or another invalid argument (exit code 2). Ctrl-C stops it (exit code 130) and prints
the cursor to resume from.`,
		Example: `  hooknorm tail
  hooknorm tail --earliest --source clickfunnels --type-prefix orders/
  hooknorm tail --since 1h --tenant 42 --json
  hooknorm tail --after 1287`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start, err := from.start()
			if err != nil {
				return err
			}
			c, filter, err := filters.open(conn)
			if err != nil {
				return err
			}
			defer c.Close()
			out, colour := cmd.OutOrStdout(), isTerminal(cmd.OutOrStdout())
			reporter := newStreamReporter(cmd.ErrOrStderr(), conn)
			sub := reporter.attach(&client.Subscription{})
			for event, err := range c.Subscribe(cmd.Context(), start, filter, sub) {
				var gap *client.GapError
				switch {
				case errors.As(err, &gap):
					fmt.Fprintf(cmd.ErrOrStderr(), "hooknorm: %v\n", err)
					continue
				case err != nil:
					return conn.explain(err)
				}
				if jsonOut {
					if err := writeJSONLine(out, event); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintln(out, eventLine(event, colour))
			}
			if why := reporter.interrupted(); why != "" {
				return interruptedError{why}
			}
			if cursor, ok := sub.Cursor(); ok {
				return interruptedError{fmt.Sprintf("stopped; resume with: hooknorm tail --after %d", cursor)}
			}
			return interruptedError{"stopped"}
		},
	}
	f := cmd.Flags()
	from.register(f)
	filters.register(f)
	f.BoolVar(&jsonOut, "json", false, "print each event as one line of JSON")
	return cmd
}

// tailStart reads the start flags; at most one may be given.
func tailStart(earliest, hasAfter bool, after uint64, since string) (client.Start, error) {
	given := 0
	for _, set := range []bool{earliest, hasAfter, since != ""} {
		if set {
			given++
		}
	}
	if given > 1 {
		return client.Start{}, usagef("give at most one of --earliest, --after and --since")
	}
	start := client.Start{Earliest: earliest, After: after, HasAfter: hasAfter}
	if since != "" {
		if d, err := time.ParseDuration(since); err == nil {
			if d < 0 {
				return client.Start{}, usagef("--since %q is in the future: give how long ago, e.g. 1h or 30m, or an RFC 3339 time", since)
			}
			start.Since = time.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, since); err == nil {
			start.Since = t
		} else {
			return client.Start{}, usagef("--since %q is neither a duration (1h, 30m) nor an RFC 3339 time", since)
		}
	}
	return start, nil
}

// isTerminal reports whether w is a terminal, where colour and a progress bar help.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// eventLine is an event as one line of tail's text output.
func eventLine(e *hooknormv1.Event, colour bool) string {
	at := e.GetReceivedAt().AsTime()
	if e.GetOccurredAt() != nil {
		at = e.GetOccurredAt().AsTime()
	}
	source := strings.ToLower(strings.TrimPrefix(e.GetSource().String(), "SOURCE_"))
	typ := e.GetType()
	if colour {
		typ = "\x1b[1;36m" + typ + "\x1b[0m"
	}
	parts := []string{at.UTC().Format("2006-01-02T15:04:05Z"), fmt.Sprintf("#%d", e.GetSequence()), source, typ}
	if e.GetTenant() != "" {
		parts = append(parts, "tenant="+e.GetTenant())
	}
	parts = append(parts, highlights(e)...)
	return strings.Join(parts, "  ")
}
