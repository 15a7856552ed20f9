// Package servertest runs a real hooknormd in-process, on free loopback ports, for tests of code
// that talks to it: the Go client, the CLI, integrations. Nothing is mocked.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
)

// Server is a running hooknormd.
type Server struct {
	server *transport.Server
	log    *eventlog.Log
	dir    string
}

// New starts a hooknormd with default limits on free loopback ports, its event log in a new
// temporary directory (removed by Close), logging nowhere.
func New() (*Server, error) {
	normalizer, err := normalize.New(normalize.Limits{})
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hooknormd-test-")
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	eventLog, err := eventlog.Open(context.Background(), eventlog.Config{
		DataDir:         dir,
		RetentionAge:    24 * time.Hour,
		DuplicateWindow: time.Hour,
		Fsync:           eventlog.FsyncPeriodic,
		SyncInterval:    time.Minute,
		MaxRecordBytes:  eventlog.RecordLimit(normalize.DefaultMaxBytes),
	}, logger)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	svc := service.NewWebhooks(normalizer, service.Options{Log: eventLog, Heartbeat: time.Second})
	server, err := transport.Start(context.Background(), transport.Config{
		GRPCAddr:          "127.0.0.1:0",
		HTTPAddr:          "127.0.0.1:0",
		MaxBodyBytes:      normalize.DefaultMaxBytes,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
	}, svc, logger)
	if err != nil {
		eventLog.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &Server{server: server, log: eventLog, dir: dir}, nil
}

// GRPCAddr is the gRPC address, host:port.
func (s *Server) GRPCAddr() string { return s.server.GRPCAddr() }

// HTTPURL is the base URL of the HTTP API, for example "http://127.0.0.1:41234".
func (s *Server) HTTPURL() string { return "http://" + s.server.HTTPAddr() }

// Close shuts the server down, letting in-flight requests finish for up to ten seconds, and
// removes its log.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.server.Shutdown(ctx)
	s.log.Close()
	os.RemoveAll(s.dir)
	return err
}
