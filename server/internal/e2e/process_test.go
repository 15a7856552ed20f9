package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hooknormdBinary is built once per test run, in TestMain.
var hooknormdBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hooknormd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hooknormdBinary = filepath.Join(dir, "hooknormd")
	args := []string{"build", "-o", hooknormdBinary}
	if raceBuild {
		// hooknormd with the race detector, stopping at the first race it sees (GORACE is read by
		// each hooknormd as it starts), so the test that provoked it fails.
		args = append(args, "-race")
		os.Setenv("GORACE", "halt_on_error=1")
	}
	build := exec.Command("go", append(args, "github.com/hooknorm/hooknorm/server/cmd/hooknormd")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building hooknormd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback address with a port nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// process is a hooknormd child process.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	logs *lockedBuffer
}

// startProcess runs hooknormd with args and waits until it serves.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(hooknormdBinary, append([]string{"--log-format", "json"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), logs: &lockedBuffer{}}
	serving := make(chan struct{})
	go func() {
		lines := bufio.NewScanner(stderr)
		once := sync.Once{}
		for lines.Scan() {
			p.logs.WriteLine(lines.Text())
			var entry map[string]any
			if json.Unmarshal(lines.Bytes(), &entry) == nil && entry["msg"] == "hooknormd is serving" {
				once.Do(func() { close(serving) })
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	select {
	case <-serving:
	case <-p.done:
		t.Fatalf("hooknormd exited before serving:\n%s", p.logs)
	case <-time.After(60 * time.Second):
		p.kill()
		t.Fatalf("hooknormd did not serve within 60s:\n%s", p.logs)
	}
	return p
}

// showLogsIfFailed has the test print the process's log when it ends failed, with the stacks of
// all its goroutines when it is still running (SIGQUIT makes Go print them), to show where it
// was stuck.
func (p *process) showLogsIfFailed(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		select {
		case <-p.done:
		default:
			p.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
			}
		}
		t.Logf("hooknormd:\n%s", p.logs)
	})
}

// kill ends the process with SIGKILL and waits for it.
func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// lockedBuffer collects log lines from a goroutine.
type lockedBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *lockedBuffer) WriteLine(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// deliver posts a ClickFunnels delivery with the given event id until hooknormd answers 200, as
// ClickFunnels retries, and returns the answer's sequence.
func deliver(ctx context.Context, client *http.Client, url, eventID string) (string, error) {
	body := fmt.Sprintf(`{"event_id": %q, "event_type": "orders/invoice.paid", "workspace_id": 42, "api_version": 2, "data": {"id": 1, "status": "paid", "total_amount": "49.00"}}`, eventID)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/webhooks/clickfunnels", strings.NewReader(body))
		if err != nil {
			return "", err
		}
		resp, err := client.Do(req)
		if err == nil {
			var answer struct {
				Sequence string `json:"sequence"`
			}
			decodeErr := json.NewDecoder(resp.Body).Decode(&answer)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && decodeErr == nil {
				return answer.Sequence, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
