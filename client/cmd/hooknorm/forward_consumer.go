package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// consumerOptions are forward's flags for working as one worker of a consumer.
type consumerOptions struct {
	name        string
	concurrency int
}

func (o *consumerOptions) register(fl *pflag.FlagSet) {
	fl.StringVar(&o.name, "consumer", "", "deliver the events of this consumer, sharing them with its other workers (see hooknorm consumers)")
	fl.IntVar(&o.concurrency, "concurrency", 1, "with --consumer, how many events to deliver at once")
}

// soloFlags are forward's flags that a consumer replaces: it keeps the position, the filters and
// the dead letters.
var soloFlags = []string{"cursor-file", "earliest", "after", "since", "source", "type", "type-prefix", "tenant", "max-attempts", "dead-letter"}

// forward delivers the consumer's events to the endpoint until interrupted.
func (o *consumerOptions) forward(cmd *cobra.Command, conn *connection, delivery *deliveryOptions, raw bool) error {
	if o.name == "" {
		return usagef("--concurrency needs --consumer NAME")
	}
	for _, flag := range soloFlags {
		if cmd.Flags().Changed(flag) {
			return usagef("--%s does not go with --consumer: the consumer keeps the position, the filters and the dead letters "+
				"(set them with hooknorm consumers create)", flag)
		}
	}
	if o.concurrency < 1 || o.concurrency > 1000 {
		return usagef("--concurrency must be from 1 to 1000, got %d", o.concurrency)
	}
	stderr := cmd.ErrOrStderr()
	f, err := delivery.forwarder(stderr)
	if err != nil {
		return err
	}
	defer f.deadLetters.close()
	c, err := conn.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := cmd.Context()
	reporter := newStreamReporter(stderr, conn)
	var (
		mu    sync.Mutex
		tally deliveryTally
	)
	handler := func(ctx context.Context, e *hooknormv1.ConsumedEvent) error {
		event := e.GetEvent()
		a := f.post(ctx, event)
		if a.err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(stderr, "hooknorm: delivering sequence %d (attempt %d): %v; handed back to consumer %s\n",
					event.GetSequence(), e.GetAttempt(), a.err, o.name)
			}
			return a.err
		}
		mu.Lock()
		tally.add(event.GetSequence(), delivered)
		mu.Unlock()
		return nil
	}
	err = c.Consume(ctx, o.name, handler, &client.ConsumeOptions{
		Concurrency: o.concurrency,
		IncludeRaw:  raw,
		NackDelay:   nackDelay,
		OnRetry:     reporter.retry,
		OnConnected: reporter.connectedAgain,
		OnSettleError: func(e *hooknormv1.ConsumedEvent, err error) {
			fmt.Fprintf(stderr, "hooknorm: sequence %d was delivered but could not be acknowledged (%v); it will be handed out again\n",
				e.GetEvent().GetSequence(), err)
		},
	})
	mu.Lock()
	defer mu.Unlock()
	tally.summary(stderr, "forwarded", " of consumer "+o.name, nil)
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		if why := reporter.interrupted(); why != "" {
			return interruptedError{why}
		}
		return interruptedError{"interrupted; the consumer keeps its position: run the same command again to go on"}
	}
	return conn.explain(err)
}

// nackDelay is how long an event forward could not deliver waits before it is handed out again:
// 1 s after the first attempt, doubling up to 5 minutes.
func nackDelay(attempt uint32) time.Duration {
	if attempt > 9 {
		return 5 * time.Minute
	}
	return min(time.Second<<(attempt-1), 5*time.Minute)
}
