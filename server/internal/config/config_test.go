package config_test

import (
	"bytes"
	"errors"
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
		{"bad variable", nil, map[string]string{"HOOKNORM_MAX_BODY_BYTES": "lots"}, `HOOKNORM_MAX_BODY_BYTES="lots" is invalid`},
		{"negative limit", []string{"--max-body-bytes", "-1"}, nil, "--max-body-bytes (HOOKNORM_MAX_BODY_BYTES) must be positive"},
		{"unknown log format", nil, map[string]string{"HOOKNORM_LOG_FORMAT": "xml"}, "--log-format (HOOKNORM_LOG_FORMAT) must be text or json"},
		{"bad level", []string{"--log-level", "loud"}, nil, "log-level"},
		{"stray argument", []string{"serve"}, nil, `unexpected argument "serve"`},
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
}
