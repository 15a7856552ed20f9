package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestHooknormdRefusesAnUnsuitableNATSCluster starts hooknormd on external NATS servers that
// cannot hold the log as asked. Each is a setting an operator must change, which no wait cures:
// hooknormd exits 2 at once (not after retrying for 30 seconds) with a message that says what is
// wrong and what to change, and never shows the password in the URL. A NATS server that does
// not answer at all may yet come: hooknormd exits 1, for its supervisor to start it again.
func TestHooknormdRefusesAnUnsuitableNATSCluster(t *testing.T) {
	const password = "s3cret-pass"
	large := func(o *server.Options) { o.MaxPayload = 8 << 20 }
	cases := []struct {
		name     string
		url      func(t *testing.T) string
		args     []string
		wantCode int
		want     []string
	}{
		{
			name:     "JetStream off",
			url:      func(t *testing.T) string { return startNATSServer(t, false, large) },
			wantCode: 2,
			want:     []string{"--nats-url", "answers for JetStream", "enable JetStream on the NATS servers"},
		},
		{
			name: "an account without JetStream",
			url: func(t *testing.T) string {
				url := startNATSServer(t, true, func(o *server.Options) {
					large(o)
					account := server.NewAccount("NOJS")
					o.Accounts = []*server.Account{account}
					o.Users = []*server.User{{Username: "hooknorm", Password: password, Account: account}}
				})
				return strings.Replace(url, "nats://", "nats://hooknorm:"+password+"@", 1)
			},
			wantCode: 2,
			want:     []string{"account hooknormd connects as", "has no JetStream", "enable JetStream for that account"},
		},
		{
			name: "a wrong password",
			url: func(t *testing.T) string {
				url := startNATSServer(t, true, func(o *server.Options) {
					large(o)
					o.Username, o.Password = "hooknorm", "the-right-one"
				})
				return strings.Replace(url, "nats://", "nats://hooknorm:"+password+"@", 1)
			},
			wantCode: 2,
			want:     []string{"refuse hooknormd's credentials", "check the user and password"},
		},
		{
			name:     "three copies on a single server",
			url:      func(t *testing.T) string { return startNATSServer(t, true, large) },
			args:     []string{"--nats-replicas", "3"},
			wantCode: 2,
			want:     []string{"--nats-replicas 3 asks for 3 copies", "not part of a cluster", "set --nats-replicas 1"},
		},
		{
			name:     "max_payload below the largest event",
			url:      func(t *testing.T) string { return startNATSServer(t, true, nil) }, // 1 MiB, NATS's default
			wantCode: 2,
			want:     []string{"max_payload", "1048576", "raise max_payload on every NATS server to at least 3211264", "lower --max-body-bytes to at most 327680"},
		},
		{
			name: "a retention larger than the servers' JetStream storage",
			url: func(t *testing.T) string {
				return startNATSServer(t, true, func(o *server.Options) { large(o); o.JetStreamMaxStore = 16 << 20 })
			},
			args:     []string{"--retention-bytes", "67108864"},
			wantCode: 2,
			want:     []string{"cannot set aside --retention-bytes 67108864", "lower --retention-bytes", "max_file_store"},
		},
		{
			name:     "no server answers",
			url:      func(t *testing.T) string { return "nats://" + freePort(t) },
			wantCode: 1,
			want:     []string{"connecting to NATS at nats://127.0.0.1:", "no servers available for connection"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--nats-url", tc.url(t), "--grpc-addr", freePort(t), "--http-addr", freePort(t)}, tc.args...)
			code, output := runToExit(t, args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d:\n%s", code, tc.wantCode, output)
			}
			for _, want := range tc.want {
				if !strings.Contains(output, want) {
					t.Errorf("the message does not say %q:\n%s", want, output)
				}
			}
			if strings.Contains(output, password) {
				t.Errorf("the message shows the password of the NATS URL:\n%s", output)
			}
		})
	}
}

// startNATSServer runs a single NATS server on loopback, with JetStream or without, after mutate
// has adjusted its options, and returns its URL.
func startNATSServer(t *testing.T, jetStream bool, mutate func(*server.Options)) string {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: jetStream, StoreDir: t.TempDir(), NoLog: true, NoSigs: true}
	if mutate != nil {
		mutate(opts)
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(20 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns.ClientURL()
}

// runToExit runs hooknormd with args until it exits (killing it after a minute) and returns its
// exit code and what it wrote to standard error.
func runToExit(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, hooknormdBinary, append([]string{"--log-format", "json"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("hooknormd did not exit within a minute:\n%s", stderr.String())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}
