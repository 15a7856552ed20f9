// Package transport wires hooknorm's service to the network: the gRPC server with its
// interceptors, health and reflection, and the HTTP gateway, which calls the service through the
// same interceptors. It is the one place where refusals become gRPC codes and HTTP statuses.
package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/test/bufconn"
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
	// TLS, when set, serves both listeners over TLS (see LoadTLS).
	TLS *TLS
	// Metrics, when set, is served at /metrics on the HTTP listener (or on MetricsAddr), with
	// gRPC call metrics added to it.
	Metrics *metrics.Metrics
	// MetricsAddr, when set, is the listen address, host:port, of a listener of its own serving
	// /metrics, /healthz and /readyz; /metrics then leaves the HTTP listener.
	MetricsAddr string
	// TracerProvider starts the spans of HTTP requests and gRPC calls; nil means the global one.
	// Trace context is read and sent with the global propagator.
	TracerProvider trace.TracerProvider
	// Consumers, when set, serves hooknorm.v1.ConsumerService beside the webhook service.
	Consumers hooknormv1.ConsumerServiceServer
	// CORSOrigins are the web origins (or "*" for any) whose browser pages may call the HTTP API;
	// empty allows none but the API's own.
	CORSOrigins []string
}

// Server is a running hooknorm: gRPC and HTTP listeners serving one service.
type Server struct {
	logger    *slog.Logger
	svc       hooknormv1.WebhookServiceServer
	consumers hooknormv1.ConsumerServiceServer
	grpc      *grpc.Server
	internal  *grpc.Server // serves the gateway, in memory
	health    *health.Server
	probes    *probes
	stopWatch context.CancelFunc
	http      *http.Server
	ops       *http.Server // serves MetricsAddr; nil without one
	conn      *grpc.ClientConn
	streams   *openStreams // the HTTP subscription streams
	unary     *unaryCalls  // the unary calls in flight
	grpcAddr  net.Addr
	httpAddr  net.Addr
	opsAddr   net.Addr
	failed    chan error

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
	var opsListener net.Listener
	if cfg.MetricsAddr != "" {
		if opsListener, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			grpcListener.Close()
			httpListener.Close()
			return nil, fmt.Errorf("listening for metrics on %s: %w", cfg.MetricsAddr, err)
		}
	}
	s := &Server{logger: logger, svc: svc, consumers: cfg.Consumers, grpcAddr: grpcListener.Addr(), httpAddr: httpListener.Addr(), failed: make(chan error, 3),
		streams: &openStreams{}, unary: &unaryCalls{}}
	auth := newAuthenticator(cfg.Guard)
	s.health = health.NewServer()
	var publicOpts []grpc.ServerOption
	if cfg.TLS != nil {
		publicOpts = append(publicOpts, grpc.Creds(credentials.NewTLS(cfg.TLS.GRPC)))
	}
	calls := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
	if cfg.Metrics != nil {
		cfg.Metrics.Registry.MustRegister(calls)
	}
	requests := &requestLogger{logger: logger}
	publicChain := newInterceptors(logger, requests, false, auth, calls, s.unary)
	gatewayChain := newInterceptors(logger, requests, true, auth, calls, s.unary)
	publicOpts = append(publicOpts, grpcServerTracing(cfg.TracerProvider),
		grpc.StatsHandler(unservedCalls{requests: requests, metrics: cfg.Metrics}))
	s.grpc = newGRPCServer(svc, cfg.MaxBodyBytes, publicChain, s.health, calls, publicOpts...)
	registerConsumerService(s.grpc, cfg.Consumers)
	go s.serve("gRPC", func() error { return s.grpc.Serve(grpcListener) })

	// The gateway calls the unary methods in process and streams Subscribe through a gRPC client
	// connection, both through the same interceptors, so every one covers HTTP too. The
	// connection reaches a second server over an in-memory listener, so no plaintext port
	// bypasses TLS and client certificates.
	pipe := bufconn.Listen(1 << 20)
	s.internal = newGRPCServer(svc, cfg.MaxBodyBytes, gatewayChain, s.health, calls, grpcServerTracing(cfg.TracerProvider))
	registerConsumerService(s.internal, cfg.Consumers)
	go s.serve("internal gRPC", func() error { return s.internal.Serve(pipe) })
	s.conn, err = grpc.NewClient("passthrough:///hooknormd-internal",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return pipe.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(gatewayStreamWindow), grpc.WithInitialConnWindowSize(gatewayConnWindow),
		grpcClientTracing(cfg.TracerProvider))
	if err != nil {
		s.grpc.Stop()
		s.internal.Stop()
		httpListener.Close()
		closeListener(opsListener)
		return nil, fmt.Errorf("connecting the gateway: %w", err)
	}
	gateway, err := newGateway(ctx, inProcess{svc: svc, intercept: traceInProcess(cfg.TracerProvider, gatewayChain.chainedUnary())}, s.conn, s.streams,
		cfg.MaxBodyBytes, cfg.BodyTimeout, auth.webhookKey, httpRefusals{metrics: cfg.Metrics})
	if err != nil {
		s.grpc.Stop()
		s.internal.Stop()
		s.conn.Close()
		httpListener.Close()
		closeListener(opsListener)
		return nil, err
	}
	servedOpenAPI() // built before the first request asks for it
	s.probes = &probes{health: s.health, metricsElsewhere: opsListener != nil}
	if cfg.Metrics != nil {
		s.probes.metrics = promhttp.HandlerFor(cfg.Metrics.Registry, promhttp.HandlerOpts{
			ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
			// With the log down, its gauges are left out and the rest is still served: that is
			// when the other metrics matter most.
			ErrorHandling: promhttp.ContinueOnError,
		})
	}
	if ready, ok := svc.(readyProbe); ok {
		s.probes.ready = ready
	}
	s.http = &http.Server{
		Handler:           traceHTTP(cfg.TracerProvider, requests.handler(allowOrigins(cfg.CORSOrigins, withInspector(s.probes.routes(gateway))), false)),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if cfg.TLS != nil {
		s.http.TLSConfig = cfg.TLS.HTTP
		go s.serve("HTTPS", func() error { return s.http.ServeTLS(httpListener, "", "") })
	} else {
		go s.serve("HTTP", func() error { return s.http.Serve(httpListener) })
	}

	if opsListener != nil {
		s.opsAddr = opsListener.Addr()
		s.ops = &http.Server{
			Handler:           requests.handler(s.probes.opsRoutes(), true),
			ReadHeaderTimeout: cfg.ReadHeaderTimeout,
			IdleTimeout:       cfg.IdleTimeout,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		if cfg.TLS != nil {
			s.ops.TLSConfig = cfg.TLS.HTTP
			go s.serve("metrics HTTPS", func() error { return s.ops.ServeTLS(opsListener, "", "") })
		} else {
			go s.serve("metrics HTTP", func() error { return s.ops.Serve(opsListener) })
		}
	}

	s.probes.setServing(true)
	var watchCtx context.Context
	watchCtx, s.stopWatch = context.WithCancel(context.Background())
	go s.probes.watch(watchCtx, readyInterval)
	logger.Info("hooknormd is serving", "grpc", s.grpcAddr.String(), "http", s.httpAddr.String(), "metrics", s.MetricsAddr(),
		"cors_origins", strings.Join(cfg.CORSOrigins, ","))
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

// MetricsAddr is the address of the metrics listener, or "" when /metrics is on the HTTP listener.
func (s *Server) MetricsAddr() string {
	if s.opsAddr == nil {
		return ""
	}
	return s.opsAddr.String()
}

func closeListener(l net.Listener) {
	if l != nil {
		l.Close()
	}
}

// Failed delivers an error if a listener stops serving on its own.
func (s *Server) Failed() <-chan error { return s.failed }

// Shutdown stops the server gracefully: /readyz and health checks turn unready, open subscriptions end
// (if the service can stop them), both listeners stop accepting, and in-flight requests finish.
// Subscriptions whose client stopped reading, which cannot end by themselves, are ended a second
// later, once no unary call is in flight (see stalled_streams.go). When ctx ends first, remaining
// calls are cut off and ctx's error is returned. Later calls return the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.shutdown(ctx) })
	return s.stopErr
}

// Drain turns the server unready (/readyz answers 503 and the gRPC health service NOT_SERVING)
// while it goes on serving every request, so load balancers stop sending before Shutdown closes
// the listeners. Shutdown drains too; Drain alone is for waiting in between.
func (s *Server) Drain() {
	s.probes.stopping.Store(true) // /readyz answers 503 from here on
	s.stopWatch()
	s.health.Shutdown()
}

func (s *Server) shutdown(ctx context.Context) error {
	s.Drain()
	if stopper, ok := s.svc.(interface{ Stop() }); ok {
		stopper.Stop() // open subscriptions end, telling clients where to resume
	}
	if stopper, ok := s.consumers.(interface{ Stop() }); ok {
		stopper.Stop() // workers attached to consumers are told to attach again
	}
	streamsEnd := time.Now().Add(streamEndGrace)
	s.streams.end(streamsEnd)
	httpErr := s.http.Shutdown(ctx)
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		s.internal.GracefulStop()
		close(stopped)
	}()
	waitCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	select {
	case <-stopped:
	case <-s.unary.onlyStreamsLeft(waitCtx, streamsEnd): // and they cannot end by themselves
		s.grpc.Stop()
		s.internal.Stop()
		<-stopped
	case <-ctx.Done():
		s.grpc.Stop()
		s.internal.Stop()
		<-stopped
	}
	connErr := s.conn.Close()
	if s.ops != nil { // last, so that scrapes see the shutdown through
		if err := s.ops.Shutdown(ctx); err != nil && httpErr == nil {
			httpErr = err
		}
	}
	if httpErr != nil {
		return fmt.Errorf("stopping HTTP: %w", httpErr)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stopping gRPC: %w", ctx.Err())
	}
	return connErr
}
