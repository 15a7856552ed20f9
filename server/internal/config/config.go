// Package config reads hooknormd's settings from command-line flags and HOOKNORM_* environment
// variables. A flag wins over its variable, which wins over the default; every setting has both.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
)

// Config is every setting of hooknormd.
type Config struct {
	// GRPCAddr is where the gRPC API listens.
	GRPCAddr string
	// HTTPAddr is where the HTTP API (the gateway) listens.
	HTTPAddr string
	// MetricsAddr, when set, is where /metrics, /healthz and /readyz are served on a listener of
	// their own, and /metrics leaves the HTTP listener; empty serves them on the HTTP listener.
	MetricsAddr string
	// DataDir is where hooknormd keeps its data.
	DataDir string
	// MaxBodyBytes is the largest webhook body accepted.
	MaxBodyBytes int64
	// MaxJSONDepth is the deepest nesting of JSON arrays and objects accepted.
	MaxJSONDepth int
	// ShutdownTimeout bounds how long in-flight requests may take to finish at shutdown.
	ShutdownTimeout time.Duration
	// ShutdownDelay is how long hooknormd keeps serving, unready, after SIGTERM before it stops
	// accepting requests, so that load balancers stop sending first.
	ShutdownDelay time.Duration
	// ReadHeaderTimeout bounds how long an HTTP client may take to send its request headers.
	ReadHeaderTimeout time.Duration
	// IdleTimeout bounds how long an idle HTTP keep-alive connection stays open.
	IdleTimeout time.Duration
	// BodyTimeout bounds how long an HTTP client may take to send a request body.
	BodyTimeout time.Duration
	// LogFormat is "text" or "json".
	LogFormat string
	// LogLevel is the least severe level logged.
	LogLevel slog.Level
	// NATSURL points at an external NATS cluster; empty runs NATS JetStream inside hooknormd.
	NATSURL string
	// NATSReplicas is how many copies of the log an external cluster keeps.
	NATSReplicas int
	// RetentionAge drops events older than this from the log.
	RetentionAge time.Duration
	// RetentionBytes drops the oldest events beyond this size; 0 means no size limit.
	RetentionBytes int64
	// DuplicateWindow is how long an event id is remembered so repeats are stored once.
	DuplicateWindow time.Duration
	// Fsync is when the embedded log flushes to disk: "periodic" or "always".
	Fsync string
	// SyncInterval is the periodic flush interval.
	SyncInterval time.Duration
	// Heartbeat is how long a subscription stays silent before a heartbeat.
	Heartbeat time.Duration
	// ClickFunnelsSecrets are the webhook secrets ClickFunnels deliveries may be signed with.
	ClickFunnelsSecrets []string
	// WebflowSecrets are the secrets Webflow deliveries may be signed with.
	WebflowSecrets []string
	// SecretsFile maps each provider and tenant to the tenant's own webhook secrets, or marks a
	// tenant unsigned; reloaded on SIGHUP. With it, every delivery is verified (see verify).
	SecretsFile string
	// AllowUnsigned accepts unsigned deliveries of a provider without secrets on a non-loopback
	// address.
	AllowUnsigned bool
	// TokensFile holds the API's bearer tokens (their hashes and scopes); reloaded on SIGHUP.
	TokensFile string
	// AllowAnonymous serves the API without tokens on a non-loopback address.
	AllowAnonymous bool
	// TLSCert and TLSKey (PEM) serve both listeners over TLS.
	TLSCert, TLSKey string
	// TLSClientCA (PEM) signs the client certificates gRPC clients must present.
	TLSClientCA string
	// CORSOrigins are the web origins (https://app.example.com, or * for any) whose browser pages
	// may call the HTTP API; empty allows none but the API's own.
	CORSOrigins []string
}

// EnvPrefix starts the name of every environment variable hooknormd reads.
const EnvPrefix = "HOOKNORM_"

// ErrHelp is returned when the arguments ask for help; the usage was already written.
var ErrHelp = flag.ErrHelp

// ErrVersion is returned when the arguments ask for the version; it was already written.
var ErrVersion = errors.New("the version was asked for")

// EnvName is the environment variable of a flag: --grpc-addr is HOOKNORM_GRPC_ADDR.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Load reads the settings from args (without the program name) and from getenv, writing usage
// and errors to out. An invalid setting is refused with a message naming its flag and variable.
func Load(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	cfg := Config{}
	var raw rawFlags
	fs := flagSet(&cfg, &raw, out)
	fs.SetOutput(io.Discard) // a bad flag is said in one line below; the usage only when asked for
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			fs.Usage()
			return Config{}, ErrHelp
		}
		return Config{}, flagError(fs, err)
	}
	fs.SetOutput(out)
	if raw.version {
		fmt.Fprint(out, VersionText())
		return Config{}, ErrVersion
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q: hooknormd takes only flags (see --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || f.Name == "version" { // HOOKNORM_VERSION is no setting
			return
		}
		if value := getenv(EnvName(f.Name)); value != "" {
			if err := fs.Set(f.Name, value); err != nil {
				errs = append(errs, invalidValue(f, EnvName(f.Name), strconv.Quote(value)))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	var err error
	if cfg.ClickFunnelsSecrets, err = secrets(raw.cfSecrets, raw.cfSecretFile, "clickfunnels-secret-file"); err != nil {
		return Config{}, err
	}
	if cfg.WebflowSecrets, err = secrets(raw.wfSecrets, raw.wfSecretFile, "webflow-secret-file"); err != nil {
		return Config{}, err
	}
	if cfg.CORSOrigins, err = corsOrigins(raw.corsOrigins); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

// rawFlags are the flags that are not settings themselves: the secrets before they are read and
// joined, and --version.
type rawFlags struct {
	cfSecrets, wfSecrets, cfSecretFile, wfSecretFile string
	corsOrigins                                      string
	version                                          bool
}

// flagSet defines every flag, writing into cfg and raw; usage and errors go to out.
func flagSet(cfg *Config, raw *rawFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hooknormd", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.GRPCAddr, "grpc-addr", "127.0.0.1:50051", "gRPC listen address, host:port")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", "127.0.0.1:8080", "HTTP listen address, host:port")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "listen address, host:port, of a listener of its own for /metrics, /healthz and /readyz (then /metrics leaves the HTTP listener); empty serves them on the HTTP listener")
	fs.StringVar(&cfg.DataDir, "data-dir", "./data", "directory of the embedded log; one hooknormd at a time holds it (a second exits 2); unused with --nats-url")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", 1<<20, "largest webhook body accepted, in bytes; larger ones get 413")
	fs.IntVar(&cfg.MaxJSONDepth, "max-json-depth", 64, "deepest nesting of JSON arrays and objects accepted")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish at shutdown")
	fs.DurationVar(&cfg.ShutdownDelay, "shutdown-delay", 0, "how long to keep serving after SIGTERM, with /readyz answering 503, before closing the listeners, so load balancers stop sending first (e.g. 5s on Kubernetes); a second signal ends the wait")
	fs.DurationVar(&cfg.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "how long an HTTP client may take to send its headers")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 2*time.Minute, "how long an idle HTTP keep-alive connection stays open")
	fs.DurationVar(&cfg.BodyTimeout, "body-timeout", 30*time.Second, "how long an HTTP client may take to send a request body (also how long the rest of a body over --max-body-bytes is read before closing)")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text or json")
	fs.TextVar(&cfg.LogLevel, "log-level", slog.LevelInfo, "least severe level logged: debug, info, warn or error")
	fs.StringVar(&cfg.NATSURL, "nats-url", "", "external NATS cluster to keep the log in, e.g. nats://n1:4222,nats://n2:4222; empty runs NATS JetStream inside hooknormd")
	fs.IntVar(&cfg.NATSReplicas, "nats-replicas", 1, "copies of the log an external NATS cluster keeps (1, 3 or 5)")
	fs.DurationVar(&cfg.RetentionAge, "retention-age", 7*24*time.Hour, "drop events older than this from the log")
	fs.Int64Var(&cfg.RetentionBytes, "retention-bytes", 0, "drop the oldest events beyond this many bytes; 0 means no size limit")
	fs.DurationVar(&cfg.DuplicateWindow, "duplicate-window", 48*time.Hour, "how long repeats of an event are recognised and stored once (covers ClickFunnels' ~40h of retries)")
	fs.StringVar(&cfg.Fsync, "fsync", "periodic", "when the embedded log flushes to disk: periodic (a killed process loses nothing, a power cut may lose the last interval) or always (nothing acknowledged is lost even on a power cut)")
	fs.DurationVar(&cfg.SyncInterval, "sync-interval", 2*time.Minute, "flush interval of the periodic fsync policy")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat-interval", 15*time.Second, "how long a subscription stays silent before a heartbeat")
	fs.StringVar(&raw.cfSecrets, "clickfunnels-secret", "", "ClickFunnels webhook secrets, comma-separated (several during rotation); deliveries must then be signed")
	fs.StringVar(&raw.cfSecretFile, "clickfunnels-secret-file", "", "file with ClickFunnels webhook secrets, one per line or comma-separated")
	fs.StringVar(&raw.wfSecrets, "webflow-secret", "", "Webflow signing secrets (app client secret or per-webhook secretKey), comma-separated; deliveries must then be signed")
	fs.StringVar(&raw.wfSecretFile, "webflow-secret-file", "", "file with Webflow signing secrets, one per line or comma-separated")
	fs.StringVar(&cfg.SecretsFile, "secrets-file", "", "JSON file of webhook secrets per tenant: {\"clickfunnels\": {\"<workspace id>\": {\"secrets\": [...]}}, \"webflow\": {\"<site id>\": {\"secrets\": [...]} or {\"unsigned\": true}}}; a tenant listed is verified with its own secrets alone, others with the provider-wide secrets, or refused without them; reloaded on SIGHUP")
	fs.StringVar(&cfg.TokensFile, "tokens-file", "", "JSON file of API bearer tokens: {\"tokens\": [{\"name\", \"sha256\", \"calls\", \"sources\", \"tenants\", \"max_streams\"}]}; reloaded on SIGHUP")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate to serve gRPC and HTTP over TLS (with --tls-key)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&cfg.TLSClientCA, "tls-client-ca", "", "PEM CA whose client certificates gRPC clients must present (HTTPS verifies one if given: providers present none)")
	fs.StringVar(&raw.corsOrigins, "cors-origins", "", "web origins whose pages may call the HTTP API from a browser, comma-separated, such as https://app.example.com, or * for any; empty allows none")
	fs.BoolVar(&cfg.AllowAnonymous, "allow-anonymous", false, "serve the API without tokens even when a listener is reachable beyond loopback")
	fs.BoolVar(&cfg.AllowUnsigned, "allow-unsigned", false, "accept unsigned deliveries of a provider without secrets even when HTTP listens beyond loopback")
	fs.BoolVar(&raw.version, "version", false, "print hooknormd's version and exit")
	fs.Usage = func() { usage(fs) }
	return fs
}

func (c Config) validate() error {
	var errs []error
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("--max-body-bytes (%s) must be positive, got %d", EnvName("max-body-bytes"), c.MaxBodyBytes))
	}
	if c.MaxJSONDepth <= 0 {
		errs = append(errs, fmt.Errorf("--max-json-depth (%s) must be positive, got %d", EnvName("max-json-depth"), c.MaxJSONDepth))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format (%s) must be text or json, got %q", EnvName("log-format"), c.LogFormat))
	}
	if c.Fsync != "periodic" && c.Fsync != "always" {
		errs = append(errs, fmt.Errorf("--fsync (%s) must be periodic or always, got %q", EnvName("fsync"), c.Fsync))
	}
	if c.NATSReplicas < 1 || c.NATSReplicas > 5 {
		errs = append(errs, fmt.Errorf("--nats-replicas (%s) must be between 1 and 5, got %d", EnvName("nats-replicas"), c.NATSReplicas))
	}
	if c.RetentionAge < 0 || c.DuplicateWindow <= 0 || c.Heartbeat <= 0 || c.SyncInterval <= 0 {
		errs = append(errs, fmt.Errorf("--retention-age must not be negative and --duplicate-window, --heartbeat-interval and --sync-interval must be positive"))
	}
	switch limit := int64(eventlog.RecordLimit(c.MaxBodyBytes)); {
	case c.RetentionBytes < 0:
		errs = append(errs, fmt.Errorf("--retention-bytes (%s) must not be negative (0 means no size limit), got %d", EnvName("retention-bytes"), c.RetentionBytes))
	case c.RetentionBytes > 0 && c.RetentionBytes < limit:
		errs = append(errs, fmt.Errorf("--retention-bytes (%s) %d cannot hold the largest event a delivery of --max-body-bytes %d makes: "+
			"a log that small drops an event as soon as it is acknowledged; give at least %d, or lower --max-body-bytes",
			EnvName("retention-bytes"), c.RetentionBytes, c.MaxBodyBytes, limit))
	}
	if c.MaxBodyBytes > 256<<20 {
		errs = append(errs, fmt.Errorf("--max-body-bytes (%s) must be at most 256 MiB, got %d", EnvName("max-body-bytes"), c.MaxBodyBytes))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, fmt.Errorf("--tls-cert (%s) and --tls-key (%s) go together: set both or neither", EnvName("tls-cert"), EnvName("tls-key")))
	}
	if c.TLSClientCA != "" && c.TLSCert == "" {
		errs = append(errs, fmt.Errorf("--tls-client-ca (%s) needs --tls-cert and --tls-key", EnvName("tls-client-ca")))
	}
	errs = append(errs, validAddr("grpc-addr", c.GRPCAddr), validAddr("http-addr", c.HTTPAddr))
	if c.MetricsAddr != "" {
		errs = append(errs, validAddr("metrics-addr", c.MetricsAddr))
		if _, port, _ := net.SplitHostPort(c.MetricsAddr); port != "0" && (c.MetricsAddr == c.HTTPAddr || c.MetricsAddr == c.GRPCAddr) {
			errs = append(errs, fmt.Errorf("--metrics-addr (%s) %s is already the HTTP or gRPC address: give it a port of its own, or leave it empty to serve /metrics on the HTTP listener",
				EnvName("metrics-addr"), c.MetricsAddr))
		}
	}
	if c.ShutdownDelay < 0 {
		errs = append(errs, fmt.Errorf("--shutdown-delay (%s) must not be negative, got %s", EnvName("shutdown-delay"), c.ShutdownDelay))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout (%s) must be positive, got %s", EnvName("shutdown-timeout"), c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "hooknormd turns ClickFunnels and Webflow webhooks into typed Protobuf events.\n\n")
	fmt.Fprintf(w, "Usage: hooknormd [flags]\n\nEvery flag can also be set in the environment; a flag wins over its variable.\n\n")
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "version" {
			fmt.Fprintf(w, "  --version\n    \t%s\n", f.Usage)
			return
		}
		fmt.Fprintf(w, "  --%s (%s)\n    \t%s (default %q)\n", f.Name, EnvName(f.Name), f.Usage, f.DefValue)
	})
	fmt.Fprintf(w, "\nTracing takes the standard OpenTelemetry variables instead of flags. OTEL_EXPORTER_OTLP_ENDPOINT\n"+
		"(or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) exports spans over OTLP, for example http://localhost:4318;\n"+
		"without it nothing is exported, but W3C trace context is still continued and stored on events.\n"+
		"OTEL_EXPORTER_OTLP_PROTOCOL is http/protobuf (default), http/json or grpc. OTEL_EXPORTER_OTLP_HEADERS,\n"+
		"OTEL_SERVICE_NAME (default hooknormd), OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_BSP_* and\n"+
		"the other OTEL_EXPORTER_OTLP_* settings apply; OTEL_TRACES_EXPORTER=none turns export off.\n")
}

// validAddr refuses a listen address that is not host:port with a port number, naming the flag.
func validAddr(flagName, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return fmt.Errorf("--%s (%s) must be host:port, such as 127.0.0.1:9090 or :9090 (port 0 picks a free one), got %q",
			flagName, EnvName(flagName), addr)
	}
	return nil
}

// secrets joins the secrets given inline and in a file, dropping blanks.
func secrets(inline, file, fileFlag string) ([]string, error) {
	text := inline
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--%s (%s): %v", fileFlag, EnvName(fileFlag), err)
		}
		text += "," + string(data)
	}
	var out []string
	for _, s := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// corsOrigins reads --cors-origins: "*" alone, or origins, each a scheme (http or https) and a
// host with an optional port, as a browser sends them in its Origin header.
func corsOrigins(list string) ([]string, error) {
	var origins []string
	for _, origin := range strings.Split(list, ",") {
		if origin = strings.TrimSpace(origin); origin == "" {
			continue
		}
		u, err := url.Parse(origin)
		if origin != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(origin, "?") || strings.HasSuffix(origin, "#")) {
			return nil, fmt.Errorf("--cors-origins (%s): %q is not an origin: write the scheme and host, with the port if any, "+
				"and nothing after, such as https://app.example.com or http://localhost:3000, or * for any", EnvName("cors-origins"), origin)
		}
		origins = append(origins, strings.ToLower(origin))
	}
	if len(origins) > 1 && slices.Contains(origins, "*") {
		return nil, fmt.Errorf("--cors-origins (%s): * allows every origin and goes alone, got %q", EnvName("cors-origins"), list)
	}
	return origins, nil
}

// IsLoopback reports whether a listen address (host:port) is reachable only from this machine.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// UnsignedProviders lists, for each provider without a secret, the variable that sets one. It
// refuses, with a message saying what to set, when HTTP listens beyond loopback and unsigned
// deliveries were not allowed explicitly. With a secrets file no provider is unsigned: only the
// tenants it marks unsigned are accepted without a signature.
func (c Config) UnsignedProviders() ([]string, error) {
	if c.SecretsFile != "" {
		return nil, nil
	}
	var unsigned []string
	if len(c.ClickFunnelsSecrets) == 0 {
		unsigned = append(unsigned, EnvName("clickfunnels-secret"))
	}
	if len(c.WebflowSecrets) == 0 {
		unsigned = append(unsigned, EnvName("webflow-secret"))
	}
	if len(unsigned) > 0 && !IsLoopback(c.HTTPAddr) && !c.AllowUnsigned {
		return unsigned, fmt.Errorf("--http-addr %s is reachable beyond this machine and deliveries would be accepted unsigned: "+
			"set %s (or the matching --…-secret-file), or a --secrets-file of secrets per tenant, or pass --allow-unsigned (%s=true) to accept unsigned deliveries knowingly",
			c.HTTPAddr, strings.Join(unsigned, " and "), EnvName("allow-unsigned"))
	}
	return unsigned, nil
}

// AnonymousAllowed refuses, with a message saying what to set, to serve the API without tokens
// on a listener reachable beyond loopback unless that was allowed explicitly.
func (c Config) AnonymousAllowed() error {
	if c.TokensFile != "" || c.AllowAnonymous || (IsLoopback(c.GRPCAddr) && IsLoopback(c.HTTPAddr)) {
		return nil
	}
	return fmt.Errorf("the API would be open to anyone: --grpc-addr %s and --http-addr %s are not both loopback and no tokens are set; "+
		"set --tokens-file (%s), or pass --allow-anonymous (%s=true) to serve it without tokens knowingly",
		c.GRPCAddr, c.HTTPAddr, EnvName("tokens-file"), EnvName("allow-anonymous"))
}
