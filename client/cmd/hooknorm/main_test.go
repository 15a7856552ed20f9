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
	if r.code != exitOK || !strings.Contains(r.stdout, "hooknorm normalize --source clickfunnels examples/deliveries/clickfunnels/order_completed.json") {
		t.Errorf("exit %d, help:\n%s", r.code, r.stdout)
	}
	r = runCLI(t, "", nil, "--help")
	if !strings.Contains(r.stdout, "Exit codes") {
		t.Errorf("root help does not document exit codes:\n%s", r.stdout)
	}
}

// TestVersionNamesTheVersionAndTheCommit asks for --version: a version line and a commit line
// (under go test the commit is unknown, which it says, with why), never a bare "(devel)".
func TestVersionNamesTheVersionAndTheCommit(t *testing.T) {
	r := runCLI(t, "", nil, "--version")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "hooknorm ") || !strings.HasPrefix(lines[1], "commit ") ||
		!strings.HasPrefix(lines[2], "built with go1.") || strings.Contains(r.stdout, "(devel)") {
		t.Errorf("exit %d, --version printed:\n%s", r.code, r.stdout)
	}
}

// TestMistypedFlagsGetOneLine gives flags that do not exist or values a flag does not take: one
// line on stderr names the flag, suggests the closest valid one, says what is accepted and
// points at the command's help; no usage, no parser text.
func TestMistypedFlagsGetOneLine(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"a typo", []string{"tail", "--sorce", "webflow"}, "hooknorm: unknown flag --sorce: did you mean --source? (see hooknorm tail --help)"},
		{"a flag of the root command", []string{"normalize", "--tokn", "x"}, "hooknorm: unknown flag --tokn: did you mean --token? (see hooknorm normalize --help)"},
		{"a shortened flag", []string{"forward", "--dead", "x"}, "hooknorm: unknown flag --dead: did you mean --dead-letter? (see hooknorm forward --help)"},
		{"nothing close", []string{"replay", "--zzzzzz"}, "hooknorm: unknown flag --zzzzzz (see hooknorm replay --help)"},
		{"a shorthand", []string{"send", "-x"}, "hooknorm: unknown flag -x (see hooknorm send --help)"},
		{"a number", []string{"tail", "--after", "latest"}, `hooknorm: --after does not accept "latest": it takes a whole number, 0 or more (see hooknorm tail --help)`},
		{"a boolean", []string{"tail", "--json=yes"}, `hooknorm: --json does not accept "yes": it takes no value, or =true or =false (see hooknorm tail --help)`},
		{"an integer", []string{"forward", "--max-attempts", "many"}, `hooknorm: --max-attempts does not accept "many": it takes a whole number (see hooknorm forward --help)`},
		{"a missing value", []string{"forward", "--to"}, "hooknorm: --to needs a value: URL to POST each event to (required) (see hooknorm forward --help)"},
		{"bad syntax", []string{"tail", "---earliest"}, "hooknorm: ---earliest is not a flag: flags are written --name or --name=value (see hooknorm tail --help)"},
		{"a command", []string{"forwrd"}, `hooknorm: unknown command "forwrd": did you mean "forward"? (see hooknorm --help)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, "", nil, c.args...)
			if r.code != exitUsage || r.stderr != c.want+"\n" || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and the one line %q", r.code, r.stdout, r.stderr, c.want)
			}
		})
	}
}
