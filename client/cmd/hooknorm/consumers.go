package main

import (
	"fmt"
	"strconv"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func newConsumersCommand(conn *connection) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consumers create|list|get|delete|dead-letters|redrive",
		Short: "Manage consumers: named subscriptions whose events several workers share",
		Long: `A consumer is a named subscription hooknormd keeps in its log: its position and its pending events
survive restarts and are shared by every hooknormd on one NATS cluster. Workers attached to it
(hooknorm forward --consumer, or the Go client's Consume) share its events: each goes to one worker
at a time and stays pending until acknowledged; an event not acknowledged within the ack deadline,
or given back, is handed out again, and after --max-deliveries it is set aside as a dead letter,
which dead-letters lists and redrive hands out again. Every subcommand prints JSON, one object a
line. See docs/consumers.md.`,
		Args: unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newConsumersCreateCommand(conn), newConsumersListCommand(conn), newConsumersGetCommand(conn),
		newConsumersDeleteCommand(conn), newConsumersDeadLettersCommand(conn), newConsumersRedriveCommand(conn))
	return cmd
}

func newConsumersCreateCommand(conn *connection) *cobra.Command {
	var (
		from          startOptions
		filters       filterOptions
		ackDeadline   time.Duration
		maxDeliveries int
	)
	cmd := &cobra.Command{
		Use:   "create NAME [start] [filters] [--ack-deadline D] [--max-deliveries N]",
		Short: "Create a consumer",
		Long: `create creates a consumer called NAME (1 to 64 letters, digits, '-' and '_') taking the events the
filter flags choose, from where the start flags say (new events only when none is given).`,
		Example: `  hooknorm consumers create orders --earliest --type-prefix orders/ --ack-deadline 1m --max-deliveries 10`,
		Args:    exactlyOneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			start, err := from.start()
			if err != nil {
				return err
			}
			filter, err := filters.filter()
			if err != nil {
				return err
			}
			if filters.raw {
				return usagef("--raw is for the workers (hooknorm forward --consumer --raw), not for the consumer")
			}
			req := &hooknormv1.CreateConsumerRequest{Name: args[0], Sources: filter.Sources, Types: filter.Types,
				TypePrefixes: filter.TypePrefixes, Tenant: filter.Tenant, MaxDeliveries: int32(maxDeliveries)}
			if ackDeadline != 0 {
				req.AckDeadline = durationpb.New(ackDeadline)
			}
			switch {
			case start.Earliest:
				req.Start = &hooknormv1.CreateConsumerRequest_Earliest{Earliest: true}
			case start.HasAfter:
				req.Start = &hooknormv1.CreateConsumerRequest_AfterSequence{AfterSequence: start.After}
			case !start.Since.IsZero():
				req.Start = &hooknormv1.CreateConsumerRequest_Since{Since: timestamppb.New(start.Since)}
			}
			c, err := conn.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			created, err := c.CreateConsumer(cmd.Context(), req)
			if err != nil {
				return conn.explain(err)
			}
			return writeJSONLine(cmd.OutOrStdout(), created)
		},
	}
	fl := cmd.Flags()
	from.register(fl)
	filters.register(fl)
	fl.DurationVar(&ackDeadline, "ack-deadline", 0, "how long a worker has to acknowledge an event before it is handed out again (default 30s)")
	fl.IntVar(&maxDeliveries, "max-deliveries", 0, "how many times an event is handed out before it is a dead letter (default 5)")
	return cmd
}

func newConsumersListCommand(conn *connection) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the consumers, each with where it stands",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			all, err := c.ListConsumers(cmd.Context())
			if err != nil {
				return conn.explain(err)
			}
			for _, consumer := range all {
				if err := writeJSONLine(cmd.OutOrStdout(), consumer); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func newConsumersGetCommand(conn *connection) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Show a consumer and where it stands: pending, unacknowledged, dead letters",
		Args:  exactlyOneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			consumer, err := c.GetConsumer(cmd.Context(), args[0])
			if err != nil {
				return conn.explain(err)
			}
			return writeJSONLine(cmd.OutOrStdout(), consumer)
		},
	}
}

func newConsumersDeleteCommand(conn *connection) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a consumer with its pending events and dead letters (the events stay in the log)",
		Args:  exactlyOneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.DeleteConsumer(cmd.Context(), args[0]); err != nil {
				return conn.explain(err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "hooknorm: deleted consumer %s\n", args[0])
			return nil
		},
	}
}

func newConsumersDeadLettersCommand(conn *connection) *cobra.Command {
	return &cobra.Command{
		Use:   "dead-letters NAME",
		Short: "List a consumer's dead letters, oldest first, one JSON object a line",
		Args:  exactlyOneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			var after uint64
			for {
				letters, more, err := c.DeadLetters(cmd.Context(), args[0], after, 1000)
				if err != nil {
					return conn.explain(err)
				}
				for _, d := range letters {
					if err := writeJSONLine(cmd.OutOrStdout(), d); err != nil {
						return err
					}
					after = d.GetSequence()
				}
				if !more {
					return nil
				}
			}
		},
	}
}

func newConsumersRedriveCommand(conn *connection) *cobra.Command {
	return &cobra.Command{
		Use:   "redrive NAME [SEQUENCE...]",
		Short: "Hand a consumer's dead letters out again: those at the sequences given, or all",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var sequences []uint64
			for _, arg := range args[1:] {
				seq, err := strconv.ParseUint(arg, 10, 64)
				if err != nil || seq == 0 {
					return usagef("%q is not a sequence: give the sequences of dead letters, as dead-letters lists them", arg)
				}
				sequences = append(sequences, seq)
			}
			c, err := conn.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			n, err := c.Redrive(cmd.Context(), args[0], sequences...)
			if err != nil {
				return conn.explain(err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "hooknorm: %d dead letters of %s will be handed out again\n", n, args[0])
			return nil
		},
	}
}

// exactlyOneName accepts one argument, the consumer's name.
func exactlyOneName(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("give the consumer's name, and only it (got %d arguments)", len(args))
	}
	return nil
}
