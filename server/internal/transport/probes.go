package transport

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// readyProbe is what a service offers to say whether it can do its work now.
type readyProbe interface {
	Ready(ctx context.Context) error
}

// probeTimeout bounds one readiness check.
const probeTimeout = 2 * time.Second

// probes answers /healthz, /readyz and /openapi.json, and keeps the gRPC health service in step
// with readiness.
type probes struct {
	ready   readyProbe // nil when the service needs nothing to be ready
	health  *health.Server
	metrics http.Handler // serves /metrics; nil without metrics
	// metricsElsewhere is set when /metrics is served on a listener of its own, not beside the API.
	metricsElsewhere bool
	stopping         atomic.Bool
	serving          atomic.Bool // the last state told to the gRPC health service
}

// check reports why the server is not ready, or nil.
func (p *probes) check(ctx context.Context) error {
	if p.stopping.Load() {
		return errShuttingDown
	}
	if p.ready == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return p.ready.Ready(ctx)
}

type probeError string

func (e probeError) Error() string { return string(e) }

const errShuttingDown = probeError("hooknormd is shutting down")

// setServing tells the gRPC health service whether hooknorm is serving, when that changed.
func (p *probes) setServing(serving bool) {
	if p.serving.Swap(serving) == serving {
		return
	}
	state := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		state = healthpb.HealthCheckResponse_SERVING
	}
	p.health.SetServingStatus("", state)
	p.health.SetServingStatus(hooknormv1.WebhookService_ServiceDesc.ServiceName, state)
}

// watch checks readiness every interval and reflects it in the gRPC health service, until ctx
// ends.
func (p *probes) watch(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if p.stopping.Load() {
				return
			}
			p.setServing(p.check(ctx) == nil)
		}
	}
}

// routes serves the probes, the metrics and the API document in front of next, the gateway. They need no
// token: orchestrators and people reading the docs have none.
func (p *probes) routes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			writeProbe(w, r, nil) // the process answers: it is alive
		case "/readyz":
			err := p.check(r.Context())
			if !p.stopping.Load() {
				p.setServing(err == nil)
			}
			writeProbe(w, r, err)
		case "/metrics":
			if p.metrics == nil || p.metricsElsewhere {
				next.ServeHTTP(w, r)
				return
			}
			p.metrics.ServeHTTP(w, r)
		case "/openapi.json":
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				w.Header().Set("Allow", "GET, HEAD")
				http.Error(w, "use GET", http.StatusMethodNotAllowed)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(servedOpenAPI())
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// opsRoutes serves the metrics listener: /metrics, /healthz and /readyz, and 404 for anything
// else, the API included.
func (p *probes) opsRoutes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz":
			p.routes(nil).ServeHTTP(w, r)
		case "/metrics":
			if p.metrics != nil {
				p.metrics.ServeHTTP(w, r)
				return
			}
			fallthrough
		default:
			http.NotFound(w, r)
		}
	})
}

// writeProbe answers a probe: 200 {"status":"ok"}, or 503 with the reason.
func writeProbe(w http.ResponseWriter, r *http.Request, err error) {
	body := map[string]string{"status": "ok"}
	code := http.StatusOK
	if err != nil {
		body = map[string]string{"status": "unavailable", "reason": err.Error()}
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		json.NewEncoder(w).Encode(body)
	}
}

// readyInterval is how often readiness is checked for the gRPC health service.
const readyInterval = 5 * time.Second
