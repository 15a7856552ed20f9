package eventlog

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestRedactURLs checks that the NATS URLs hooknormd logs and names in errors keep their hosts
// but never a user, password or token.
func TestRedactURLs(t *testing.T) {
	cases := []struct {
		name, urls, want string
	}{
		{"no credentials", "nats://n1:4222", "nats://n1:4222"},
		{"user and password", "nats://hooknorm:s3cret@n1:4222", "nats://redacted@n1:4222"},
		{"a token", "nats://t0ken@n1:4222", "nats://redacted@n1:4222"},
		{"no scheme", "hooknorm:s3cret@n1:4222", "redacted@n1:4222"},
		{"several servers", "nats://u:p@n1:4222,nats://n2:4222, tls://u:p@n3:4222", "nats://redacted@n1:4222,nats://n2:4222,tls://redacted@n3:4222"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := RedactURLs(tc.urls); got != tc.want {
				t.Errorf("RedactURLs(%q) = %q, want %q", tc.urls, got, tc.want)
			}
		})
	}
}

// TestStreamCreationFailuresExplained checks how a failure to create the stream on an external
// cluster is judged: those no wait cures end the start at once as ErrNATSUnsuitable, saying what
// to change; those a forming or recovering cluster gives are tried again, and explained when they
// last until the deadline.
func TestStreamCreationFailuresExplained(t *testing.T) {
	cfg := Config{NATSURL: "nats://hooknorm:s3cret@n1:4222", Replicas: 3, RetentionBytes: 1 << 30}
	apiErr := func(code int, errCode jetstream.ErrorCode, description string) error {
		return fmt.Errorf("creating: %w", &jetstream.APIError{Code: code, ErrorCode: errCode, Description: description})
	}
	cases := []struct {
		name     string
		err      error
		final    bool     // unsuitable must end the start at once
		explains []string // what the error that ends the start says
	}{
		{"no JetStream", nats.ErrNoResponders, true, []string{"enable JetStream on the NATS servers"}},
		{"an account without JetStream", apiErr(503, jetstream.JSErrCodeJetStreamNotEnabledForAccount, "JetStream not enabled for account"), true,
			[]string{"enable JetStream for that account"}},
		{"copies on a single server", apiErr(500, codeReplicasNotSupported, "replicas > 1 not supported in non-clustered mode"), true,
			[]string{"--nats-replicas 3 asks for 3 copies", "set --nats-replicas 1"}},
		{"a retention the servers cannot set aside", apiErr(500, codeStorageResources, "insufficient storage resources available"), true,
			[]string{"--retention-bytes 1073741824", "max_file_store"}},
		{"a stream of another make", apiErr(500, 10052, "stream configuration update can not change storage type"), true,
			[]string{"refuses the stream HOOKNORM_EVENTS as hooknormd configures it"}},
		{"too few servers", apiErr(400, codeNoSuitablePeers, "no suitable peers for placement"), false,
			[]string{"--nats-replicas 3 asks for 3 copies", "has not that many servers"}},
		{"JetStream without a leader", apiErr(503, codeTemporarilyUnavailable, "JetStream system temporarily unavailable"), false,
			[]string{"has no leader", "fewer than a majority"}},
		{"a timeout", errors.New("context deadline exceeded"), false, []string{"creating the JetStream stream HOOKNORM_EVENTS"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			final := unsuitable(tc.err, cfg)
			if (final != nil) != tc.final {
				t.Fatalf("unsuitable(%v) = %v, want final %v", tc.err, final, tc.final)
			}
			ends := final
			if ends == nil {
				ends = explainCreateFailure(tc.err, cfg)
			}
			for _, want := range tc.explains {
				if !strings.Contains(ends.Error(), want) {
					t.Errorf("the error %q does not say %q", ends, want)
				}
			}
			if strings.Contains(ends.Error(), "s3cret") {
				t.Errorf("the error %q shows the password of the NATS URL", ends)
			}
		})
	}
}
