package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestASecondHooknormdOnADataDirExits starts a hooknormd, then a second one on other ports with
// the same --data-dir: the second exits 2 at once, naming the directory and the first's pid, and
// the first keeps serving. The first is then killed with SIGKILL: its lock is not left behind, a
// new hooknormd opens the directory and replays every event the first acknowledged.
func TestASecondHooknormdOnADataDirExits(t *testing.T) {
	dataDir := t.TempDir()
	firstHTTP := freePort(t)
	first := startProcess(t, "--data-dir", dataDir, "--grpc-addr", freePort(t), "--http-addr", firstHTTP)
	defer first.kill()

	code, output := runUntilExit(t, "--data-dir", dataDir, "--grpc-addr", freePort(t), "--http-addr", freePort(t))
	pid := fmt.Sprintf("pid %d", first.cmd.Process.Pid)
	if code != 2 || !strings.Contains(output, dataDir) || !strings.Contains(output, pid) {
		t.Fatalf("a second hooknormd on %s exited %d with:\n%s\nwant exit code 2 and a message naming the directory and %s", dataDir, code, output, pid)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	ids := []string{"lock-1", "lock-2", "lock-3"}
	for i, id := range ids {
		seq, err := deliver(ctx, client, "http://"+firstHTTP, id)
		if err != nil {
			t.Fatalf("the first hooknormd did not acknowledge %s: %v\n%s", id, err, first.logs)
		}
		if want := strconv.Itoa(i + 1); seq != want {
			t.Fatalf("%s was stored at sequence %s; want %s", id, seq, want)
		}
	}
	first.kill()

	nextHTTP := freePort(t)
	next := startProcess(t, "--data-dir", dataDir, "--grpc-addr", freePort(t), "--http-addr", nextHTTP, "--heartbeat-interval", "200ms")
	defer next.kill()
	if got := replay(ctx, t, client, "http://"+nextHTTP, len(ids)); strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("after the first was killed, a replay from earliest holds %v; want %v", got, ids)
	}
}

// runUntilExit runs hooknormd with args and returns its exit code and standard error once it
// exits. A hooknormd that serves instead is killed, and the test fails.
func runUntilExit(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, hooknormdBinary, append([]string{"--log-format", "json"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var output strings.Builder
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		output.WriteString(lines.Text() + "\n")
		var entry map[string]any
		if json.Unmarshal(lines.Bytes(), &entry) == nil && entry["msg"] == "hooknormd is serving" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("a second hooknormd on the same data directory started serving:\n%s", output.String())
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running hooknormd: %v\n%s", err, output.String())
	}
	return cmd.ProcessState.ExitCode(), output.String()
}

// replay subscribes over HTTP from the earliest event and returns the ids of the events it
// reads, in order, until it has want of them or a heartbeat says it has caught up with the log.
func replay(ctx context.Context, t *testing.T, client *http.Client, url string, want int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/events:subscribe?earliest=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: client.Transport}).Do(req) // a stream outlives client.Timeout
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("subscribe answered %s", resp.Status)
	}
	var ids []string
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 1<<20)
	for len(ids) < want && lines.Scan() {
		var msg struct {
			Result struct {
				Event *struct {
					ID string `json:"id"`
				} `json:"event"`
				Heartbeat *struct {
					LatestSequence string `json:"latestSequence"`
					Cursor         string `json:"cursor"`
				} `json:"heartbeat"`
			} `json:"result"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(lines.Bytes(), &msg); err != nil || msg.Error != nil {
			t.Fatalf("subscribe sent %s (%v)", lines.Text(), err)
		}
		if e := msg.Result.Event; e != nil {
			ids = append(ids, e.ID)
		}
		if hb := msg.Result.Heartbeat; hb != nil && hb.Cursor == hb.LatestSequence {
			break // the replay has caught up with the log
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatalf("reading the replay after %v: %v", ids, err)
	}
	return ids
}

// TestHooknormdRefusesADataDirItCannotUse gives hooknormd a --data-dir that is a regular file: it
// exits 2 at once, naming the path.
func TestHooknormdRefusesADataDirItCannotUse(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, output := runUntilExit(t, "--data-dir", file, "--grpc-addr", freePort(t), "--http-addr", freePort(t))
	if code != 2 || !strings.Contains(output, "--data-dir") || !strings.Contains(output, file) {
		t.Errorf("hooknormd with a regular file as --data-dir exited %d with:\n%s\nwant exit code 2 and a message naming --data-dir and %s", code, output, file)
	}
}
