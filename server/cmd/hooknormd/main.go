// Command hooknormd is the hooknorm service: it converts ClickFunnels and Webflow webhooks into
// typed Protobuf events over gRPC and HTTP. Run it with no flags for local defaults; see --help.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/config"
	"github.com/hooknorm/hooknorm/server/internal/consumers"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/telemetry"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"github.com/hooknorm/hooknorm/server/internal/verify"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// run starts hooknormd and blocks until SIGINT or SIGTERM, then shuts down gracefully. It returns
// the process exit code: 0 after a clean shutdown, 1 on failure, 2 for invalid settings.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := config.Load(args, getenv, stderr)
	if errors.Is(err, config.ErrHelp) || errors.Is(err, config.ErrVersion) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "hooknormd: %v\n", err)
		return 2
	}
	logger := newLogger(cfg, stderr)
	unsigned, err := cfg.UnsignedProviders()
	if err == nil {
		err = cfg.AnonymousAllowed()
	}
	if err != nil {
		fmt.Fprintf(stderr, "hooknormd: %v\n", err)
		return 2
	}
	var serverTLS *transport.TLS
	if cfg.TLSCert != "" {
		if serverTLS, err = transport.LoadTLS(cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA); err != nil {
			fmt.Fprintf(stderr, "hooknormd: --tls-cert, --tls-key, --tls-client-ca: %v\n", err)
			return 2
		}
	}
	var guard *access.Guard
	if cfg.TokensFile != "" {
		if guard, err = access.NewGuard(cfg.TokensFile); err != nil {
			fmt.Fprintf(stderr, "hooknormd: --tokens-file (%s): %v\n", config.EnvName("tokens-file"), err)
			return 2
		}
		logger.Info("API tokens loaded", "file", cfg.TokensFile, "tokens", guard.Tokens().Len())
	}
	var secretsFile *verify.SecretsFile
	if cfg.SecretsFile != "" {
		if secretsFile, err = verify.OpenSecretsFile(cfg.SecretsFile); err != nil {
			fmt.Fprintf(stderr, "hooknormd: --secrets-file (%s): %v\n", config.EnvName("secrets-file"), err)
			return 2
		}
		logger.Info("webhook secrets per tenant loaded", "file", cfg.SecretsFile, "tenants", secretsFile.Current().Summary())
		warnIfReadable(logger, cfg.SecretsFile)
	}
	for _, variable := range unsigned {
		logger.Warn("deliveries of this provider are accepted unsigned, because HTTP listens on loopback only; set a secret to verify them",
			"variable", variable, "http", cfg.HTTPAddr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tracing, err := telemetry.Setup(ctx, config.Version(), logger)
	if err != nil {
		fmt.Fprintf(stderr, "hooknormd: tracing: %v\n", err)
		return 2
	}
	defer func() { // after the servers and the log have stopped: their last spans go too
		flushCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := tracing.Shutdown(flushCtx); err != nil {
			logger.Warn("tracing: the last spans were not exported", "error", err)
		}
	}()

	normalizer, err := normalize.New(normalize.Limits{MaxBytes: cfg.MaxBodyBytes, MaxDepth: cfg.MaxJSONDepth})
	if err != nil {
		logger.Error("the schema is inconsistent", "error", err)
		return 1
	}
	logConfig := eventlog.Config{
		DataDir:         cfg.DataDir,
		NATSURL:         cfg.NATSURL,
		Replicas:        cfg.NATSReplicas,
		RetentionAge:    cfg.RetentionAge,
		RetentionBytes:  cfg.RetentionBytes,
		DuplicateWindow: cfg.DuplicateWindow,
		Fsync:           eventlog.Fsync(cfg.Fsync),
		SyncInterval:    cfg.SyncInterval,
		MaxRecordBytes:  eventlog.RecordLimit(cfg.MaxBodyBytes),
	}
	eventLog, err := eventlog.Open(ctx, logConfig, logger)
	if errors.Is(err, eventlog.ErrDataDirLocked) || errors.Is(err, eventlog.ErrDataDirUnusable) {
		fmt.Fprintf(stderr, "hooknormd: --data-dir (%s): %v\n", config.EnvName("data-dir"), err)
		return 2
	}
	if errors.Is(err, eventlog.ErrNATSUnsuitable) {
		fmt.Fprintf(stderr, "hooknormd: --nats-url (%s): %v\n", config.EnvName("nats-url"), err)
		return 2
	}
	if err != nil {
		logger.Error("hooknormd could not open its event log", "error", err)
		return 1
	}
	defer eventLog.Close()
	where := "data_dir=" + cfg.DataDir
	if cfg.NATSURL != "" {
		where = "nats=" + eventlog.RedactURLs(cfg.NATSURL)
	}
	window := eventlog.DuplicateWindow(logConfig)
	logger.Info("event log open", "where", where, "fsync", cfg.Fsync, "retention_age", cfg.RetentionAge.String(), "duplicate_window", window.String())
	if window < cfg.DuplicateWindow {
		logger.Warn("repeats of an event are recognised only while the log keeps it: the duplicate window is cut to the retention age",
			"duplicate_window", cfg.DuplicateWindow.String(), "retention_age", cfg.RetentionAge.String())
	}
	verifier := verify.NewSignatures(map[hooknormv1.Source][]string{
		hooknormv1.Source_SOURCE_CLICKFUNNELS: cfg.ClickFunnelsSecrets,
		hooknormv1.Source_SOURCE_WEBFLOW:      cfg.WebflowSecrets,
	}, nil)
	if secretsFile != nil {
		verifier.UseSecretsFile(secretsFile)
	}
	measured := metrics.New()
	svc := service.NewWebhooks(normalizer, service.Options{Log: eventLog, Heartbeat: cfg.Heartbeat, Verifier: verifier, Metrics: measured})
	consumerGroups, err := consumers.Open(ctx, eventLog, measured.ConsumerCounters(), logger)
	if err != nil {
		logger.Error("hooknormd could not prepare the log for consumers", "error", err)
		return 1
	}
	measured.WatchConsumers(consumerGroups.Stats)
	server, err := transport.Start(ctx, transport.Config{
		GRPCAddr:          cfg.GRPCAddr,
		HTTPAddr:          cfg.HTTPAddr,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		BodyTimeout:       cfg.BodyTimeout,
		Guard:             guard,
		TLS:               serverTLS,
		Metrics:           measured,
		MetricsAddr:       cfg.MetricsAddr,
		TracerProvider:    tracing.Provider,
		CORSOrigins:       cfg.CORSOrigins,
		Consumers:         service.NewConsumers(consumerGroups, cfg.Heartbeat),
	}, svc, logger)
	if err != nil {
		logger.Error("hooknormd could not start", "error", err)
		return 1
	}

	reload := make(chan os.Signal, 1)
	signal.Notify(reload, syscall.SIGHUP)
	defer signal.Stop(reload)
	code := 0
wait:
	for {
		select {
		case <-reload:
			reloadFiles(guard, secretsFile, cfg, logger)
		case <-ctx.Done():
			if cfg.ShutdownDelay > 0 {
				code = drain(server, cfg.ShutdownDelay, logger)
			}
			logger.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout.String())
			break wait
		case err := <-server.Failed():
			logger.Error("a listener failed", "error", err)
			code = 1
			break wait
		}
	}
	stop()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown was not clean", "error", err)
		return 1
	}
	logger.Info("hooknormd stopped")
	return code
}

// reloadFiles reads the tokens file and the secrets file again on SIGHUP. A file that is not
// valid leaves the previous one in force, and the log says why (never quoting a secret).
func reloadFiles(guard *access.Guard, secretsFile *verify.SecretsFile, cfg config.Config, logger *slog.Logger) {
	if guard == nil && secretsFile == nil {
		logger.Warn("SIGHUP ignored: no --tokens-file or --secrets-file to reload")
		return
	}
	if guard != nil {
		if err := guard.Reload(); err != nil {
			logger.Error("the tokens file was not reloaded; the previous tokens stay in force", "error", err)
		} else {
			logger.Info("API tokens reloaded", "file", cfg.TokensFile, "tokens", guard.Tokens().Len())
		}
	}
	if secretsFile != nil {
		if err := secretsFile.Reload(); err != nil {
			logger.Error("the secrets file was not reloaded; the previous secrets stay in force", "error", err)
		} else {
			logger.Info("webhook secrets per tenant reloaded", "file", cfg.SecretsFile, "tenants", secretsFile.Current().Summary())
			warnIfReadable(logger, cfg.SecretsFile)
		}
	}
}

// warnIfReadable warns when others than the file's owner may read a file of secrets.
func warnIfReadable(logger *slog.Logger, path string) {
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		logger.Warn("the secrets file can be read by others than its owner: chmod 600 it", "file", path, "mode", info.Mode().Perm().String())
	}
}

// drain turns the server unready and keeps it serving for delay, so that load balancers see
// /readyz fail and stop sending before the listeners close. A second SIGINT or SIGTERM ends the
// wait early. It returns 1 if a listener failed meanwhile, else 0.
func drain(server *transport.Server, delay time.Duration, logger *slog.Logger) int {
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	server.Drain()
	logger.Info("shutting down: unready, still serving while load balancers stop sending", "delay", delay.String())
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-again:
		logger.Info("a second signal: not waiting for the shutdown delay any longer")
	case err := <-server.Failed():
		logger.Error("a listener failed", "error", err)
		return 1
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
