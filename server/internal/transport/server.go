// Package transport wires hooknorm's service to the network: the gRPC server with its
// interceptors, health and reflection, and the HTTP gateway that calls the gRPC server through a
// real client connection. It is the one place where refusals become gRPC codes and HTTP statuses.
package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Config is what the transport needs to know.
type Config struct {
	// GRPCAddr is the gRPC listen address, host:port; port 0 picks a free port.
	GRPCAddr string
	// HTTPAddr is the HTTP listen address, host:port; port 0 picks a free port.
	HTTPAddr string
	// MaxBodyBytes is the largest request body accepted, over HTTP and gRPC alike.
	MaxBodyBytes int64
	// ReadHeaderTimeout bounds how long an HTTP client may take to send its headers.
	ReadHeaderTimeout time.Duration
	// IdleTimeout bounds how long an idle HTTP keep-alive connection stays open.
	IdleTimeout time.Duration
	// BodyTimeout bounds how long an HTTP client may take to send a request body; 0 means none.
	BodyTimeout time.Duration
	// Guard holds the bearer tokens; nil leaves the API open.
	Guard *access.Guard
}

// Server is a running hooknorm: gRPC and HTTP listeners serving one service.
type Server struct {
	logger   *slog.Logger
	svc      hooknormv1.WebhookServiceServer
	grpc     *grpc.Server
	health   *health.Server
	http     *http.Server
	conn     *grpc.ClientConn
	grpcAddr net.Addr
	httpAddr net.Addr
	failed   chan error

	stopOnce sync.Once
	stopErr  error
}

// Start listens on both addresses and serves svc until Shutdown. It returns once both listeners
// accept connections.
func Start(ctx context.Context, cfg Config, svc hooknormv1.WebhookServiceServer, logger *slog.Logger) (*Server, error) {
	grpcListener, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return nil, fmt.Errorf("listening for gRPC on %s: %w", cfg.GRPCAddr, err)
	}
	httpListener, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		grpcListener.Close()
		return nil, fmt.Errorf("listening for HTTP on %s: %w", cfg.HTTPAddr, err)
	}
	s := &Server{logger: logger, svc: svc, grpcAddr: grpcListener.Addr(), httpAddr: httpListener.Addr(), failed: make(chan error, 2)}
	auth := newAuthenticator(cfg.Guard)
	s.grpc, s.health = newGRPCServer(logger, svc, cfg.MaxBodyBytes, auth)
	go s.serve("gRPC", func() error { return s.grpc.Serve(grpcListener) })

	s.conn, err = grpc.NewClient(dialTarget(s.grpcAddr), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		s.grpc.Stop()
		httpListener.Close()
		return nil, fmt.Errorf("connecting the gateway to %s: %w", s.grpcAddr, err)
	}
	gateway, err := newGateway(ctx, s.conn, cfg.MaxBodyBytes, cfg.BodyTimeout, auth.webhookKey)
	if err != nil {
		s.grpc.Stop()
		s.conn.Close()
		httpListener.Close()
		return nil, err
	}
	s.http = &http.Server{
		Handler:           gateway,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go s.serve("HTTP", func() error { return s.http.Serve(httpListener) })

	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(hooknormv1.WebhookService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	logger.Info("hooknormd is serving", "grpc", s.grpcAddr.String(), "http", s.httpAddr.String())
	return s, nil
}

func (s *Server) serve(name string, serve func() error) {
	if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, grpc.ErrServerStopped) {
		s.failed <- fmt.Errorf("%s server stopped: %w", name, err)
	}
}

// GRPCAddr is the address the gRPC server listens on.
func (s *Server) GRPCAddr() string { return s.grpcAddr.String() }

// HTTPAddr is the address the HTTP server listens on.
func (s *Server) HTTPAddr() string { return s.httpAddr.String() }

// Failed delivers an error if a listener stops serving on its own.
func (s *Server) Failed() <-chan error { return s.failed }

// Shutdown stops the server gracefully: health checks turn NOT_SERVING, open subscriptions end
// (if the service can stop them), both listeners stop accepting, and in-flight requests finish. When ctx ends first, remaining calls are cut off and
// ctx's error is returned. Later calls return the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.shutdown(ctx) })
	return s.stopErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.health.Shutdown()
	if stopper, ok := s.svc.(interface{ Stop() }); ok {
		stopper.Stop() // open subscriptions end, telling clients where to resume
	}
	httpErr := s.http.Shutdown(ctx)
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.grpc.Stop()
		<-stopped
	}
	connErr := s.conn.Close()
	if httpErr != nil {
		return fmt.Errorf("stopping HTTP: %w", httpErr)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stopping gRPC: %w", ctx.Err())
	}
	return connErr
}

// dialTarget is the address the gateway dials to reach the gRPC listener: loopback when the
// listener is on every interface.
func dialTarget(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return "passthrough:///" + addr.String()
	}
	loopback := net.IPv4(127, 0, 0, 1)
	if tcp.IP.To4() == nil {
		loopback = net.IPv6loopback
	}
	return "passthrough:///" + (&net.TCPAddr{IP: loopback, Port: tcp.Port}).String()
}
