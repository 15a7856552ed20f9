package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/servertest"
)

// Tokens of the tokens file tokenServer loads.
const (
	readerToken     = "reader-token"     // may normalize and subscribe
	normalizerToken = "normalizer-token" // may only normalize
	singleToken     = "single-token"     // may subscribe, one stream at a time
)

// tokenServer starts a hooknormd that requires the tokens above.
func tokenServer(t *testing.T) *servertest.Server {
	t.Helper()
	hash := func(token string) string {
		sum := sha256.Sum256([]byte(token))
		return hex.EncodeToString(sum[:])
	}
	path := filepath.Join(t.TempDir(), "tokens.json")
	tokens := fmt.Sprintf(`{"tokens": [
		{"name": "reader", "sha256": %q, "calls": ["normalize", "subscribe"]},
		{"name": "normalizer", "sha256": %q, "calls": ["normalize"]},
		{"name": "single", "sha256": %q, "calls": ["subscribe"], "max_streams": 1}
	]}`, hash(readerToken), hash(normalizerToken), hash(singleToken))
	if err := os.WriteFile(path, []byte(tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := servertest.New(servertest.WithTokensFile(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestEveryCommandHonoursTheExitCodeTable runs every command into each outcome it can have
// against a real hooknormd (open, or requiring tokens) and a real HTTP endpoint, and checks the
// exit code the table gives that outcome and the message on stderr.
func TestEveryCommandHonoursTheExitCodeTable(t *testing.T) {
	open, guarded := startServer(t), tokenServer(t)
	dead := freeAddr(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not for us", http.StatusBadRequest)
	}))
	defer refusing.Close()
	if r := runCLI(t, "", map[string]string{httpEnv: open.HTTPURL()}, "send", "--source", "clickfunnels", writeFile(t, cfOrder)); r.code != exitOK {
		t.Fatalf("storing an event for forward and replay: %s", r.stderr)
	}
	form, order := writeFile(t, v1Form), writeFile(t, cfOrder)
	at := func(srv *servertest.Server, args ...string) []string { return append(args, "--server", srv.GRPCAddr()) }
	cases := []struct {
		name      string
		cancelled bool // Ctrl-C before the command starts
		args      []string
		wantCode  int
		wantErr   string
	}{
		{name: "root: help", args: []string{}, wantCode: exitOK},
		{name: "root: version", args: []string{"--version"}, wantCode: exitOK},
		{name: "root: unknown command", args: []string{"tial"}, wantCode: exitUsage, wantErr: `unknown command "tial": did you mean "tail"?`},

		{name: "normalize: converted", args: at(open, "normalize", "--source", "clickfunnels", order), wantCode: exitOK},
		{name: "normalize: bad flag value", args: at(open, "normalize", "--source", "clickfunnels", "--raw=perhaps", order), wantCode: exitUsage, wantErr: `--raw does not accept "perhaps"`},
		{name: "normalize: body refused", args: at(open, "normalize", "--source", "webflow", form), wantCode: exitUsage, wantErr: "give it with --trigger"},
		{name: "normalize: no token", args: at(guarded, "normalize", "--source", "clickfunnels", order), wantCode: exitFailed, wantErr: "requires a token (TOKEN_MISSING): give one with --token or HOOKNORM_TOKEN"},
		{name: "normalize: wrong token", args: at(guarded, "normalize", "--source", "clickfunnels", "--token", "guess", order), wantCode: exitFailed, wantErr: "does not accept the token given with --token"},
		{name: "normalize: unreachable", args: []string{"normalize", "--server", dead, "--source", "clickfunnels", order}, wantCode: exitUnreachable, wantErr: "cannot reach hooknormd at " + dead},
		{name: "normalize: interrupted", cancelled: true, args: at(open, "normalize", "--source", "clickfunnels", order), wantCode: exitInterrupted, wantErr: "hooknorm: interrupted before the command finished\n"},

		{name: "send: stored", args: []string{"send", "--http", open.HTTPURL(), "--source", "clickfunnels", order}, wantCode: exitOK},
		{name: "send: refused", args: []string{"send", "--http", open.HTTPURL(), "--source", "webflow", form}, wantCode: exitUsage, wantErr: "the Webflow body names no trigger type (EVENT_TYPE_MISSING): an API v2 body has $.triggerType; for an API v1 body (the bare payload) give it with --trigger"},
		{name: "send: bad --http", args: []string{"send", "--http", "127.0.0.1:8080", "--source", "webflow", form}, wantCode: exitUsage, wantErr: `--http "127.0.0.1:8080" is not an http:// or https:// URL`},
		{name: "send: unreachable", args: []string{"send", "--http", "http://" + dead, "--source", "clickfunnels", order}, wantCode: exitUnreachable, wantErr: "cannot reach hooknormd's HTTP listener"},

		{name: "types: listed", args: []string{"types"}, wantCode: exitOK},
		{name: "types: an argument", args: []string{"types", "orders"}, wantCode: exitUsage, wantErr: `hooknorm types takes no arguments, only flags; got "orders"`},

		{name: "tail: --server is a URL", args: []string{"tail", "--server", "http://localhost:50051"}, wantCode: exitUsage, wantErr: "--server (or HOOKNORM_SERVER) takes host:port, not a URL: try --server localhost:50051"},
		{name: "tail: --since in the future", args: at(open, "tail", "--since", "-1h"), wantCode: exitUsage, wantErr: `--since "-1h" is in the future`},
		{name: "normalize: --tls-ca missing", args: at(open, "normalize", "--source", "clickfunnels", "--tls-ca", "/nonexistent/ca.pem", order), wantCode: exitUsage, wantErr: "--tls-ca /nonexistent/ca.pem cannot be read: it, or its directory, does not exist"},
		{name: "forward: --dead-letter unopenable", args: at(open, "forward", "--to", refusing.URL, "--dead-letter", "/nonexistent/dead.jsonl"), wantCode: exitUsage, wantErr: "--dead-letter /nonexistent/dead.jsonl cannot be opened for appending: it, or its directory, does not exist"},
		{name: "forward: --cursor-file holds no sequence", args: at(open, "forward", "--to", refusing.URL, "--cursor-file", writeFile(t, "latest\n")), wantCode: exitUsage, wantErr: `does not hold a sequence (a whole number) but "latest"`},
		{name: "tail: bad --since", args: at(open, "tail", "--since", "yesterday"), wantCode: exitUsage, wantErr: `--since "yesterday" is neither a duration`},
		{name: "tail: cursor from another log", args: at(open, "tail", "--after", "1000"), wantCode: exitUsage, wantErr: "(CURSOR_AHEAD)"},
		{name: "tail: no token", args: at(guarded, "tail"), wantCode: exitFailed, wantErr: "requires a token (TOKEN_MISSING)"},
		{name: "tail: wrong token", args: at(guarded, "tail", "--token", "guess"), wantCode: exitFailed, wantErr: "does not accept the token"},
		{name: "tail: out of scope", args: at(guarded, "tail", "--token", normalizerToken), wantCode: exitFailed, wantErr: `the token "normalizer" does not allow subscribe`},
		{name: "tail: interrupted", cancelled: true, args: at(open, "tail"), wantCode: exitInterrupted, wantErr: "stopped"},

		{name: "forward: no --to", args: at(open, "forward"), wantCode: exitUsage, wantErr: "--to is required"},
		{name: "forward: bad --max-attempts", args: at(open, "forward", "--to", refusing.URL, "--max-attempts", "0"), wantCode: exitUsage, wantErr: "--max-attempts must be 1 or more"},
		{name: "forward: wrong token", args: at(guarded, "forward", "--to", refusing.URL, "--token", "guess"), wantCode: exitFailed, wantErr: "does not accept the token"},
		{name: "forward: event refused", args: at(open, "forward", "--to", refusing.URL, "--earliest", "--max-attempts", "1"), wantCode: exitUndelivered, wantErr: "stopped at sequence 1"},
		{name: "forward: interrupted", cancelled: true, args: at(open, "forward", "--to", refusing.URL), wantCode: exitInterrupted, wantErr: "interrupted before any event was delivered"},

		{name: "replay: done", args: at(open, "replay", "--to", refusing.URL, "--earliest", "--max-attempts", "1", "--dead-letter", filepath.Join(t.TempDir(), "dead.jsonl")), wantCode: exitOK},
		{name: "replay: no start", args: at(open, "replay", "--to", refusing.URL), wantCode: exitUsage, wantErr: "give where to start"},
		{name: "replay: no token", args: at(guarded, "replay", "--to", refusing.URL, "--earliest"), wantCode: exitFailed, wantErr: "requires a token"},
		{name: "replay: event refused", args: at(open, "replay", "--to", refusing.URL, "--earliest", "--max-attempts", "1"), wantCode: exitUndelivered, wantErr: "give --dead-letter FILE"},
		{name: "replay: interrupted", cancelled: true, args: at(open, "replay", "--to", refusing.URL, "--earliest"), wantCode: exitInterrupted, wantErr: "interrupted"},
	}
	seen := map[int]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if c.cancelled {
				cancel()
			}
			var stdout, stderr strings.Builder
			code := runContext(ctx, c.args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != c.wantCode || !strings.Contains(stderr.String(), c.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, stderr.String(), c.wantCode, c.wantErr)
			}
			seen[code] = true
		})
	}
	for _, row := range exitCodes {
		if !seen[row.code] {
			t.Errorf("no case ends with exit code %d (%s)", row.code, row.meaning)
		}
	}
}

// TestHelpPrintsTheExitCodeTable checks that hooknorm --help carries every row of the table.
func TestHelpPrintsTheExitCodeTable(t *testing.T) {
	r := runCLI(t, "", nil, "--help")
	if r.code != exitOK {
		t.Fatalf("exit %d", r.code)
	}
	for _, row := range exitCodes {
		if want := fmt.Sprintf("%3d  %s\n", row.code, row.meaning); !strings.Contains(r.stdout, want) {
			t.Errorf("--help lacks the row %q:\n%s", want, r.stdout)
		}
	}
}
