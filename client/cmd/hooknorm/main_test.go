package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/servertest"
	"google.golang.org/protobuf/encoding/protojson"
)

const v1Form = `{"name": "Sample Form", "site": "62749158efef318abc8d5a0f", "data": {"email": "a@example.com"}, "d": "2022-09-14T12:35:16.117Z", "_id": "6321ca84df3949bfc6752327"}`

// result is what one run of the command printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr, func(k string) string { return env[k] })
	return result{code, stdout.String(), stderr.String()}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func startServer(t *testing.T) *servertest.Server {
	t.Helper()
	srv, err := servertest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestNormalizePrintsTheEventAsJSON(t *testing.T) {
	srv := startServer(t)
	r := runCLI(t, "", nil, "normalize", "--server", srv.GRPCAddr(), "--source", "webflow", "--trigger", "form_submission", writeFile(t, v1Form))
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	event := &hooknormv1.Event{}
	if err := protojson.Unmarshal([]byte(r.stdout), event); err != nil {
		t.Fatalf("stdout is not an Event: %v\n%s", err, r.stdout)
	}
	if event.GetWebflow().GetFormSubmission().GetId() != "6321ca84df3949bfc6752327" {
		t.Errorf("event = %v", event)
	}
	if !strings.Contains(r.stdout, "\n  \"source\": \"SOURCE_WEBFLOW\",\n") {
		t.Errorf("JSON is not indented as expected:\n%s", r.stdout)
	}
}

func TestNormalizeReadsStandardInputAndServerFromTheEnvironment(t *testing.T) {
	srv := startServer(t)
	body := `{"event_type": "contact.created", "event_id": "e-1", "workspace_id": 42, "data": {"id": 7}}`
	r := runCLI(t, body, map[string]string{serverEnv: srv.GRPCAddr()}, "normalize", "--source", "clickfunnels", "--output", "text", "-")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"id        e-1\n", "source    clickfunnels\n", "type      contact.created\n", "case      clickfunnels.contact_created\n", "tenant    42\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestExitCodes(t *testing.T) {
	srv := startServer(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := closed.Addr().String()
	closed.Close()

	file := writeFile(t, v1Form)
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown source", []string{"normalize", "--server", srv.GRPCAddr(), "--source", "stripe", file}, exitUsage, `unknown source "stripe"`},
		{"missing source", []string{"normalize", "--server", srv.GRPCAddr(), file}, exitUsage, "--source is required"},
		{"no file", []string{"normalize", "--server", srv.GRPCAddr(), "--source", "webflow"}, exitUsage, "one FILE (or - for standard input) is required"},
		{"unreadable file", []string{"normalize", "--server", srv.GRPCAddr(), "--source", "webflow", "/nonexistent/body.json"}, exitUsage,
			"the body file /nonexistent/body.json cannot be read: it, or its directory, does not exist"},
		{"bad output", []string{"normalize", "--server", srv.GRPCAddr(), "--source", "webflow", "-o", "yaml", file}, exitUsage, "--output must be json or text"},
		{"body refused", []string{"normalize", "--server", srv.GRPCAddr(), "--source", "webflow", file}, exitUsage, "(EVENT_TYPE_MISSING)"},
		{"server unreachable", []string{"normalize", "--server", deadAddr, "--source", "webflow", "--trigger", "form_submission", file}, exitUnreachable,
			"cannot reach hooknormd at " + deadAddr + ": nothing is listening there (connection refused)"},
		{"unknown flag", []string{"normalize", "--bogus"}, exitUsage, "unknown flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, "", nil, c.args...)
			if r.code != c.wantCode || !strings.Contains(r.stderr, c.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", r.code, r.stderr, c.wantCode, c.wantErr)
			}
		})
	}
}

func TestHelpShowsExamplesAndExitCodes(t *testing.T) {
	r := runCLI(t, "", nil, "normalize", "--help")
	if r.code != exitOK || !strings.Contains(r.stdout, "hooknorm normalize --source clickfunnels delivery.json") {
		t.Errorf("exit %d, help:\n%s", r.code, r.stdout)
	}
	r = runCLI(t, "", nil, "--help")
	if !strings.Contains(r.stdout, "Exit codes") {
		t.Errorf("root help does not document exit codes:\n%s", r.stdout)
	}
}
