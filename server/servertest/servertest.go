// Package servertest runs a real hooknormd in-process, on free loopback ports, for tests of code
// that talks to it: the Go client, the CLI, integrations. Nothing is mocked.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
)

// Server is a running hooknormd.
type Server struct {
	server *transport.Server
}

// New starts a hooknormd with default limits on free loopback ports, logging nowhere.
func New() (*Server, error) {
	normalizer, err := normalize.New(normalize.Limits{})
	if err != nil {
		return nil, err
	}
	server, err := transport.Start(context.Background(), transport.Config{
		GRPCAddr:          "127.0.0.1:0",
		HTTPAddr:          "127.0.0.1:0",
		MaxBodyBytes:      normalize.DefaultMaxBytes,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
	}, service.NewWebhooks(normalizer), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	return &Server{server: server}, nil
}

// GRPCAddr is the gRPC address, host:port.
func (s *Server) GRPCAddr() string { return s.server.GRPCAddr() }

// HTTPURL is the base URL of the HTTP API, for example "http://127.0.0.1:41234".
func (s *Server) HTTPURL() string { return "http://" + s.server.HTTPAddr() }

// Close shuts the server down, letting in-flight requests finish for up to ten seconds.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.server.Shutdown(ctx)
}
