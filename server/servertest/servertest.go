// Package servertest runs a real hooknormd in-process, on free loopback ports, for tests of code
// that talks to it: the Go client, the CLI, integrations. Nothing is mocked.
package servertest

import (
	"context"
	"log/slog"
	"os"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"github.com/hooknorm/hooknorm/server/internal/verify"
)

// Server is a running hooknormd.
type Server struct {
	server             *transport.Server
	log                *eventlog.Log
	dir                string
	grpcAddr, httpAddr string
	secrets            map[hooknormv1.Source][]string
	heartbeat          time.Duration
	tokensFile         string
}

// Option configures a test server.
type Option func(*Server)

// WithSecrets makes the server require deliveries of source signed with one of secrets.
func WithSecrets(source hooknormv1.Source, secrets ...string) Option {
	return func(s *Server) { s.secrets[source] = secrets }
}

// WithTokensFile makes the server require bearer tokens from a tokens file, as hooknormd's
// --tokens-file does (see the access package for its format).
func WithTokensFile(path string) Option {
	return func(s *Server) { s.tokensFile = path }
}

// WithHeartbeat sets how long a subscription stays silent before a heartbeat (300ms unless set).
func WithHeartbeat(d time.Duration) Option {
	return func(s *Server) { s.heartbeat = d }
}

// cursorGrace is how long a test server's subscription resuming after a sequence beyond the
// newest event waits for the log to reach it before refusing it (5s in hooknormd).
const cursorGrace = 500 * time.Millisecond

// New starts a hooknormd with default limits on free loopback ports, its event log in a new
// temporary directory (removed by Close), logging nowhere.
func New(opts ...Option) (*Server, error) {
	dir, err := os.MkdirTemp("", "hooknormd-test-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, grpcAddr: "127.0.0.1:0", httpAddr: "127.0.0.1:0", secrets: map[hooknormv1.Source][]string{}, heartbeat: 300 * time.Millisecond}
	for _, opt := range opts {
		opt(s)
	}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.grpcAddr, s.httpAddr = s.server.GRPCAddr(), s.server.HTTPAddr()
	return s, nil
}

func (s *Server) start() error {
	normalizer, err := normalize.New(normalize.Limits{})
	if err != nil {
		return err
	}
	var guard *access.Guard
	if s.tokensFile != "" {
		if guard, err = access.NewGuard(s.tokensFile); err != nil {
			return err
		}
	}
	logger := slog.New(slog.DiscardHandler)
	eventLog, err := eventlog.Open(context.Background(), eventlog.Config{
		DataDir:         s.dir,
		RetentionAge:    24 * time.Hour,
		DuplicateWindow: time.Hour,
		Fsync:           eventlog.FsyncPeriodic,
		SyncInterval:    time.Minute,
		MaxRecordBytes:  eventlog.RecordLimit(normalize.DefaultMaxBytes),
	}, logger)
	if err != nil {
		return err
	}
	svc := service.NewWebhooks(normalizer, service.Options{
		Log: eventLog, Heartbeat: s.heartbeat, CursorGrace: cursorGrace, Verifier: verify.NewSignatures(s.secrets, nil),
	})
	server, err := transport.Start(context.Background(), transport.Config{
		GRPCAddr:          s.grpcAddr,
		HTTPAddr:          s.httpAddr,
		MaxBodyBytes:      normalize.DefaultMaxBytes,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		BodyTimeout:       10 * time.Second,
		Guard:             guard,
	}, svc, logger)
	if err != nil {
		svc.Stop()
		eventLog.Close()
		return err
	}
	s.server, s.log = server, eventLog
	return nil
}

// GRPCAddr is the gRPC address, host:port.
func (s *Server) GRPCAddr() string { return s.grpcAddr }

// HTTPURL is the base URL of the HTTP API, for example "http://127.0.0.1:41234".
func (s *Server) HTTPURL() string { return "http://" + s.httpAddr }

// stop shuts the server down, letting in-flight requests finish for up to ten seconds.
func (s *Server) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.server.Shutdown(ctx)
	s.log.Close()
	return err
}

// Restart stops the server and starts it again on the same addresses with the same log, as a
// redeployed hooknormd would come back; down is how long it stays away.
func (s *Server) Restart(down time.Duration) error {
	if err := s.stop(); err != nil {
		return err
	}
	time.Sleep(down)
	return s.start()
}

// Close shuts the server down and removes its log.
func (s *Server) Close() error {
	err := s.stop()
	os.RemoveAll(s.dir)
	return err
}
