package config_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/config"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestDefaults(t *testing.T) {
	cfg, err := config.Load(nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GRPCAddr != "127.0.0.1:50051" || cfg.HTTPAddr != "127.0.0.1:8080" || cfg.DataDir != "./data" {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.MaxBodyBytes != 1<<20 {
		t.Errorf("MaxBodyBytes = %d, want 1 MiB", cfg.MaxBodyBytes)
	}
}

func TestFlagWinsOverEnvironmentWinsOverDefault(t *testing.T) {
	cfg, err := config.Load(
		[]string{"--grpc-addr", "127.0.0.1:6000"},
		env(map[string]string{"HOOKNORM_GRPC_ADDR": "127.0.0.1:7000", "HOOKNORM_HTTP_ADDR": "127.0.0.1:7001", "HOOKNORM_SHUTDOWN_TIMEOUT": "3s"}),
		&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GRPCAddr != "127.0.0.1:6000" {
		t.Errorf("GRPCAddr = %q, want the flag's value", cfg.GRPCAddr)
	}
	if cfg.HTTPAddr != "127.0.0.1:7001" {
		t.Errorf("HTTPAddr = %q, want the variable's value", cfg.HTTPAddr)
	}
	if cfg.ShutdownTimeout != 3*time.Second {
		t.Errorf("ShutdownTimeout = %v, want 3s", cfg.ShutdownTimeout)
	}
}

func TestInvalidSettingsNameTheSetting(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad variable", nil, map[string]string{"HOOKNORM_MAX_BODY_BYTES": "lots"}, `HOOKNORM_MAX_BODY_BYTES does not accept "lots": it takes a whole number`},
		{"negative limit", []string{"--max-body-bytes", "-1"}, nil, "--max-body-bytes (HOOKNORM_MAX_BODY_BYTES) must be positive"},
		{"unknown log format", nil, map[string]string{"HOOKNORM_LOG_FORMAT": "xml"}, "--log-format (HOOKNORM_LOG_FORMAT) must be text or json"},
		{"bad level", []string{"--log-level", "loud"}, nil, "log-level"},
		{"stray argument", []string{"serve"}, nil, `unexpected argument "serve"`},
		{"address without a port", []string{"--http-addr", "localhost"}, nil, `--http-addr (HOOKNORM_HTTP_ADDR) must be host:port`},
		{"metrics address without a port", nil, map[string]string{"HOOKNORM_METRICS_ADDR": "0.0.0.0"}, `--metrics-addr (HOOKNORM_METRICS_ADDR) must be host:port`},
		{"metrics address with a bad port", []string{"--metrics-addr", ":99999"}, nil, `--metrics-addr (HOOKNORM_METRICS_ADDR) must be host:port`},
		{"metrics address taken", []string{"--metrics-addr", "127.0.0.1:8080"}, nil, `--metrics-addr (HOOKNORM_METRICS_ADDR) 127.0.0.1:8080 is already the HTTP or gRPC address`},
		{"negative shutdown delay", []string{"--shutdown-delay", "-1s"}, nil, `--shutdown-delay (HOOKNORM_SHUTDOWN_DELAY) must not be negative`},
		{"negative retention size", []string{"--retention-bytes", "-1"}, nil, `--retention-bytes (HOOKNORM_RETENTION_BYTES) must not be negative`},
		{"retention smaller than an event", []string{"--retention-bytes", "1000"}, nil,
			`--retention-bytes (HOOKNORM_RETENTION_BYTES) 1000 cannot hold the largest event a delivery of --max-body-bytes 1048576 makes`},
		{"origin with a path", []string{"--cors-origins", "https://app.example.com/"}, nil, `--cors-origins (HOOKNORM_CORS_ORIGINS): "https://app.example.com/" is not an origin`},
		{"origin without a scheme", nil, map[string]string{"HOOKNORM_CORS_ORIGINS": "app.example.com"}, `"app.example.com" is not an origin`},
		{"origin of another scheme", []string{"--cors-origins", "ftp://app.example.com"}, nil, `"ftp://app.example.com" is not an origin`},
		{"any origin and others", []string{"--cors-origins", "*,https://app.example.com"}, nil, `* allows every origin and goes alone`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load(c.args, env(c.env), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestHelpListsEveryFlagWithItsVariable(t *testing.T) {
	var out bytes.Buffer
	_, err := config.Load([]string{"--help"}, env(nil), &out)
	if !errors.Is(err, config.ErrHelp) {
		t.Fatalf("error = %v, want ErrHelp", err)
	}
	for _, flag := range []string{"grpc-addr", "http-addr", "data-dir", "max-body-bytes", "max-json-depth", "shutdown-timeout", "log-format", "log-level"} {
		if !strings.Contains(out.String(), "--"+flag+" ("+config.EnvName(flag)+")") {
			t.Errorf("--help does not document --%s with %s:\n%s", flag, config.EnvName(flag), out.String())
		}
	}
	for _, variable := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if !strings.Contains(out.String(), variable) {
			t.Errorf("--help does not mention the tracing variable %s:\n%s", variable, out.String())
		}
	}
}

func TestSecretsFromFlagsVariablesAndFiles(t *testing.T) {
	file := t.TempDir() + "/webflow-secrets"
	if err := os.WriteFile(file, []byte("wf-one\n wf-two ,\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load([]string{"--webflow-secret-file", file, "--webflow-secret", "wf-zero"},
		env(map[string]string{"HOOKNORM_CLICKFUNNELS_SECRET": "cf-new, cf-old"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.ClickFunnelsSecrets, "|"); got != "cf-new|cf-old" {
		t.Errorf("ClickFunnels secrets %q", got)
	}
	if got := strings.Join(cfg.WebflowSecrets, "|"); got != "wf-zero|wf-one|wf-two" {
		t.Errorf("Webflow secrets %q", got)
	}
	_, err = config.Load([]string{"--clickfunnels-secret-file", "/nonexistent"}, env(nil), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--clickfunnels-secret-file (HOOKNORM_CLICKFUNNELS_SECRET_FILE)") {
		t.Errorf("a missing secret file: %v", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:8080": true, "127.0.0.2:1": true,
		"0.0.0.0:8080": false, ":8080": false, "[::]:8080": false, "10.0.0.5:8080": false, "example.com:80": false, "garbage": false,
	} {
		if got := config.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}

func TestUnsignedPolicy(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		refused bool
		listed  string
	}{
		{"loopback without secrets", nil, false, "HOOKNORM_CLICKFUNNELS_SECRET,HOOKNORM_WEBFLOW_SECRET"},
		{"every interface without secrets", []string{"--http-addr", "0.0.0.0:8080"}, true, ""},
		{"every interface, one secret", []string{"--http-addr", "0.0.0.0:8080", "--clickfunnels-secret", "s"}, true, ""},
		{"every interface, both secrets", []string{"--http-addr", "0.0.0.0:8080", "--clickfunnels-secret", "s", "--webflow-secret", "w"}, false, ""},
		{"every interface, allowed knowingly", []string{"--http-addr", "0.0.0.0:8080", "--allow-unsigned"}, false, "HOOKNORM_CLICKFUNNELS_SECRET,HOOKNORM_WEBFLOW_SECRET"},
		{"every interface, a secrets file", []string{"--http-addr", "0.0.0.0:8080", "--secrets-file", "secrets.json"}, false, ""},
		{"loopback, a secrets file", []string{"--secrets-file", "secrets.json"}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Load(c.args, env(nil), &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			unsigned, err := cfg.UnsignedProviders()
			if c.refused {
				if err == nil || !strings.Contains(err.Error(), "--allow-unsigned") || !strings.Contains(err.Error(), "HOOKNORM_WEBFLOW_SECRET") {
					t.Errorf("refusal = %v, want one naming what to set", err)
				}
				return
			}
			if err != nil || strings.Join(unsigned, ",") != c.listed {
				t.Errorf("unsigned %v, %v; want %q", unsigned, err, c.listed)
			}
		})
	}
}

// TestVersionPrintsAndStops asks for the version: a version line, a commit line (under go test,
// saying the commit is unknown and why) and the toolchain are printed, Load says so, and a
// HOOKNORM_VERSION variable in the environment is not taken for the flag.
func TestVersionPrintsAndStops(t *testing.T) {
	var out bytes.Buffer
	_, err := config.Load([]string{"--version"}, env(nil), &out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !errors.Is(err, config.ErrVersion) || len(lines) != 3 || !strings.HasPrefix(lines[0], "hooknormd ") ||
		!strings.HasPrefix(lines[1], "commit ") || !strings.Contains(lines[2], "go1.") || strings.Contains(out.String(), "(devel)") {
		t.Errorf("--version: %v, %q", err, out.String())
	}
	if _, err := config.Load(nil, env(map[string]string{"HOOKNORM_VERSION": "1.2.3"}), &bytes.Buffer{}); err != nil {
		t.Errorf("HOOKNORM_VERSION in the environment: %v", err)
	}
}

func TestCORSOrigins(t *testing.T) {
	cfg, err := config.Load([]string{"--cors-origins", " https://App.example.com , http://localhost:3000,"}, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.CORSOrigins, "|"); got != "https://app.example.com|http://localhost:3000" {
		t.Errorf("origins %q", got)
	}
	cfg, err = config.Load(nil, env(map[string]string{"HOOKNORM_CORS_ORIGINS": "*"}), &bytes.Buffer{})
	if err != nil || strings.Join(cfg.CORSOrigins, "|") != "*" {
		t.Errorf("origins %q, %v; want *", cfg.CORSOrigins, err)
	}
	if cfg, err = config.Load(nil, env(nil), &bytes.Buffer{}); err != nil || cfg.CORSOrigins != nil {
		t.Errorf("default origins %q, %v; want none", cfg.CORSOrigins, err)
	}
}
