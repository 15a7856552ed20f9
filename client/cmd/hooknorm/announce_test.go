package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// running is a command running in the background, its stderr read line by line.
type running struct {
	cancel context.CancelFunc
	exit   chan int
	lines  chan string // stderr, one line each, closed at exit
	stdout *bufio.Scanner
}

// start runs the command line in the background with env.
func start(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errReader, errWriter := io.Pipe()
	outReader, outWriter := io.Pipe()
	r := &running{cancel: cancel, exit: make(chan int, 1), lines: make(chan string, 1000), stdout: bufio.NewScanner(outReader)}
	go func() {
		r.exit <- runContext(ctx, args, strings.NewReader(""), outWriter, errWriter, func(k string) string { return env[k] })
		errWriter.Close()
		outWriter.Close()
	}()
	go func() {
		scanner := bufio.NewScanner(errReader)
		for scanner.Scan() {
			r.lines <- scanner.Text()
		}
		close(r.lines)
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, outReader)
	})
	return r
}

// line returns the next line on stderr, failing the test if none comes.
func (r *running) line(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-r.lines:
		if !ok {
			t.Fatalf("the command ended (exit %d) before saying more", <-r.exit)
		}
		return line
	case <-time.After(30 * time.Second):
		t.Fatal("the command went silent")
	}
	return ""
}

// stop interrupts the command as Ctrl-C does and returns its exit code and its last lines.
func (r *running) stop(t *testing.T) (int, []string) {
	t.Helper()
	r.cancel()
	var rest []string
	for line := range r.lines {
		rest = append(rest, line)
	}
	return <-r.exit, rest
}

// TestTailSaysWhyItCannotConnectAndKeepsTrying tails a port nothing listens on: tail says why
// it cannot connect and what to do, then announces each further try with its delay until it is
// stopped, and exits with the interrupted code saying it never reached hooknormd.
func TestTailSaysWhyItCannotConnectAndKeepsTrying(t *testing.T) {
	tail := start(t, nil, "tail", "--server", "127.0.0.1:1")
	first := tail.line(t)
	for _, want := range []string{"hooknorm: cannot reach hooknormd at 127.0.0.1:1: nothing is listening there (connection refused)",
		"Is hooknormd running?", "--server or HOOKNORM_SERVER", "; retrying in "} {
		if !strings.Contains(first, want) {
			t.Errorf("the first line lacks %q: %q", want, first)
		}
	}
	for try := 2; try <= 3; try++ {
		line := tail.line(t)
		if !strings.HasPrefix(line, "hooknorm: still failing after ") || !strings.Contains(line, "connection refused") || !strings.Contains(line, "; retrying in ") {
			t.Errorf("try %d was not announced with its delay: %q", try, line)
		}
	}
	code, last := tail.stop(t)
	if code != exitInterrupted {
		t.Errorf("exit %d after Ctrl-C, want %d", code, exitInterrupted)
	}
	if len(last) == 0 || !strings.HasPrefix(last[len(last)-1], "hooknorm: interrupted before hooknormd could be reached (cannot reach hooknormd at 127.0.0.1:1") {
		t.Errorf("the last lines do not say hooknormd was never reached: %q", last)
	}
}

// TestTailSaysWhenTheConnectionComesBack tails a hooknormd that restarts: tail says it lost the
// stream, retries, and says when it is connected again, then goes on with the next event.
func TestTailSaysWhenTheConnectionComesBack(t *testing.T) {
	srv := startServer(t)
	env := map[string]string{serverEnv: srv.GRPCAddr(), httpEnv: srv.HTTPURL()}
	tail := start(t, env, "tail", "--earliest")
	if r := runCLI(t, "", env, "send", "--source", "clickfunnels", writeFile(t, cfOrder)); r.code != exitOK {
		t.Fatalf("send: %s", r.stderr)
	}
	if !tail.stdout.Scan() {
		t.Fatal("tail printed no event")
	}
	if connected := tail.line(t); connected != "hooknorm: connected to hooknormd at "+srv.GRPCAddr() {
		t.Errorf("tail did not say it connected: %q", connected)
	}
	if err := srv.Restart(300 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	lost := tail.line(t)
	if !strings.HasPrefix(lost, "hooknorm: lost the stream from hooknormd at "+srv.GRPCAddr()) || !strings.Contains(lost, "reconnecting in ") {
		t.Errorf("the broken stream was not announced: %q", lost)
	}
	for line := tail.line(t); line != "hooknorm: connected to hooknormd at "+srv.GRPCAddr(); line = tail.line(t) {
		if !strings.Contains(line, "retrying in ") {
			t.Errorf("unexpected line while reconnecting: %q", line)
		}
	}
	code, last := tail.stop(t)
	if code != exitInterrupted || len(last) != 1 || last[0] != "hooknorm: stopped; resume with: hooknorm tail --after 1" {
		t.Errorf("exit %d, last lines %q", code, last)
	}
}

// TestATokenPastItsStreamLimitEndsTail opens as many streams as a token may, then one more: the
// second tail ends at once with exit code 1, saying what to do, rather than retrying.
func TestATokenPastItsStreamLimitEndsTail(t *testing.T) {
	srv := tokenServer(t)
	env := map[string]string{serverEnv: srv.GRPCAddr(), tokenEnv: singleToken}
	first := start(t, env, "tail", "--earliest")
	if connected := first.line(t); connected != "hooknorm: connected to hooknormd at "+srv.GRPCAddr() {
		t.Fatalf("the first tail: %q", connected)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr strings.Builder
	code := runContext(ctx, []string{"tail"}, strings.NewReader(""), io.Discard, &stderr, func(k string) string { return env[k] })
	if code != exitFailed || !strings.Contains(stderr.String(), "refused another subscription") || !strings.Contains(stderr.String(), "(TOO_MANY_STREAMS)") ||
		!strings.Contains(stderr.String(), "stop another tail, forward or replay that uses this token") {
		t.Errorf("a stream past the limit: exit %d, stderr %q; want exit 1 saying what to do", code, stderr.String())
	}
	if code, _ := first.stop(t); code != exitInterrupted {
		t.Errorf("the first tail exited %d", code)
	}
}
