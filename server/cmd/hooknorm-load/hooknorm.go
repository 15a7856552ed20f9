package main

import (
	"context"
	"log/slog"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
)

// hooknormOptions are what a measurement sets in the hooknormd it serves.
type hooknormOptions struct {
	// metrics are its metrics; new ones when nil (metrics are on, as in hooknormd).
	metrics *metrics.Metrics
	// ring is how many events its fan-out hub keeps; hooknormd's default when 0.
	ring int
	// consumers is its consumer service, when the measurement uses one.
	consumers hooknormv1.ConsumerServiceServer
}

// startHooknorm serves eventLog as hooknormd does, on free loopback ports.
func startHooknorm(eventLog *eventlog.Log, normalizer *normalize.Normalizer, opts hooknormOptions) (*transport.Server, error) {
	if opts.metrics == nil {
		opts.metrics = metrics.New()
	}
	return transport.Start(context.Background(), transport.Config{
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MaxBodyBytes: normalize.DefaultMaxBytes,
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute, Metrics: opts.metrics,
		TracerProvider: tracerProvider, Consumers: opts.consumers,
	}, service.NewWebhooks(normalizer, service.Options{Log: eventLog, Metrics: opts.metrics, HubRing: opts.ring}), slog.New(slog.DiscardHandler))
}

// stopHooknorm shuts srv down as hooknormd does at SIGTERM, which also stops its service.
func stopHooknorm(srv *transport.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}
