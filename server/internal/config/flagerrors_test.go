package config_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/config"
)

// TestBadSettingsAreOneLine gives hooknormd mistyped flags and values it cannot read, on the
// command line and in the environment: each is refused with one line that names the flag (and its
// variable) and what it takes, a typo gets the nearest flag, no parser's words come through, and
// the usage is not printed (it is for --help).
func TestBadSettingsAreOneLine(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"typo", []string{"--data-dri", "x"}, nil, "unknown flag --data-dri: did you mean --data-dir?"},
		{"unknown", []string{"--colour"}, nil, "unknown flag --colour (see hooknormd --help)"},
		{"number", []string{"--max-body-bytes", "lots"}, nil, `--max-body-bytes (HOOKNORM_MAX_BODY_BYTES) does not accept "lots": it takes a whole number`},
		{"duration", []string{"--heartbeat-interval=5"}, nil, `--heartbeat-interval (HOOKNORM_HEARTBEAT_INTERVAL) does not accept "5": it takes a duration`},
		{"boolean", []string{"--allow-unsigned=maybe"}, nil, `--allow-unsigned (HOOKNORM_ALLOW_UNSIGNED) does not accept "maybe": it takes true or false`},
		{"level", []string{"--log-level", "loud"}, nil, `does not accept "loud": it takes debug, info, warn or error`},
		{"no value", []string{"--grpc-addr"}, nil, "--grpc-addr needs a value"},
		{"variable", nil, map[string]string{"HOOKNORM_RETENTION_AGE": "week"}, `HOOKNORM_RETENTION_AGE does not accept "week": it takes a duration`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := config.Load(c.args, func(k string) string { return c.env[k] }, &out)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("refusal %q does not say %q", msg, c.want)
			}
			for _, leak := range []string{"parse error", "strconv", "invalid syntax", "slog:", "flag provided"} {
				if strings.Contains(msg, leak) {
					t.Errorf("refusal %q holds the parser's words %q", msg, leak)
				}
			}
			if strings.Contains(msg, "\n") || out.Len() > 0 {
				t.Errorf("refusal is not one line, or the usage was printed: %q, output %q", msg, out.String())
			}
		})
	}
}
