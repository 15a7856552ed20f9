package inspector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hooknorm/hooknorm/server/servertest"
)

// requireBrowserEnv, when set (.ci/run sets it), turns a missing chromium into a failure rather
// than a skip, so CI cannot pass without running the browser tests.
const requireBrowserEnv = "HOOKNORM_REQUIRE_BROWSER"

// chromium returns the path of Debian's chromium, or skips the test when it is not installed.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv(requireBrowserEnv) != "" {
		t.Fatalf("chromium is not installed, and %s is set: install it (apt-get install -y chromium)", requireBrowserEnv)
	}
	t.Skip("chromium is not installed: the inspector's browser tests need it (apt-get install -y chromium); .ci/run installs it")
	return ""
}

// newTab starts a headless chromium of its own, with a fresh profile, and returns a tab of it;
// both end with the test. The tab's actions time out after a minute in all.
func newTab(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root, where chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// startServer runs a real hooknormd (in process, on loopback ports) until the test ends.
func startServer(t *testing.T, opts ...servertest.Option) *servertest.Server {
	t.Helper()
	s, err := servertest.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// deliver posts body to hooknormd's webhook route path (such as "/v1/webhooks/clickfunnels")
// and returns the stored event's sequence.
func deliver(t *testing.T, s *servertest.Server, path string, body []byte) uint64 {
	t.Helper()
	resp, err := http.Post(s.HTTPURL()+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		Sequence string `json:"sequence"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("posting to %s: status %d, %v", path, resp.StatusCode, err)
	}
	var n uint64
	fmt.Sscan(answer.Sequence, &n)
	return n
}

// clickFunnels is a ClickFunnels delivery of eventType in workspace (its tenant), with data.
func clickFunnels(id, eventType string, workspace int, data map[string]any) []byte {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // markup stays markup, as an attacker would send it
	enc.Encode(map[string]any{"event_id": id, "event_type": eventType, "workspace_id": workspace, "data": data})
	return body.Bytes()
}

// waitFor waits until the JavaScript expression is true in the page, failing the test with what
// describe (another expression) reads then.
func waitFor(t *testing.T, ctx context.Context, expression, describe string) {
	t.Helper()
	wait, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wait, chromedp.Poll[chromedp.Void](expression, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[any](describe))
		t.Fatalf("waiting for %s: %v; the page has %v", expression, err, got)
	}
}

// eval evaluates expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expression string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expression, err)
	}
	return v
}

// do runs actions in the page.
func do(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// listed reads the rows of the list, top to bottom, as "sequence type tenant".
const listed = `[...document.querySelectorAll('#event-rows tr[data-seq]')].map(r => [...r.cells].filter((c, i) => [0, 3, 5].includes(i)).map(c => c.textContent).join(' '))`

// writeTokens writes a tokens file of tokens (name to token, calls and tenants) and returns its path.
func writeTokens(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
