package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// smallBodyLimit is the --max-body-bytes of the processes with a small limit.
const smallBodyLimit = 64 << 10

// drainAllowance is how much past --max-body-bytes hooknormd reads of a refused body so that a
// client which sends it all before reading still reads the 413; a longer body is cut off.
const drainAllowance = 64 << 20

// connGuard bounds every raw connection of these tests, so that a server that never answers or
// never closes fails the test instead of hanging it. It is no timing assertion: every exchange
// here ends long before it.
const connGuard = 90 * time.Second

// oversizedBodyMetric counts bodies refused as too large, by what became of the rest of them.
const oversizedBodyMetric = "hooknorm_oversized_bodies_total"

// rawDelivery is a POST to the ClickFunnels webhook route as a raw HTTP/1.1 client sends it.
type rawDelivery struct {
	// size is the length of the body.
	size int64
	// chunked sends the body with Transfer-Encoding: chunked instead of a Content-Length.
	chunked bool
	// expectContinue adds Expect: 100-continue to the head.
	expectContinue bool
}

// head is the request line and header block of the delivery.
func (d rawDelivery) head(addr string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "POST /v1/webhooks/clickfunnels HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n", addr)
	if d.chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n")
	} else {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", d.size)
	}
	if d.expectContinue {
		b.WriteString("Expect: 100-continue\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// writeBody writes n bytes of body to w, in chunks when chunked, and the last chunk too when
// finish is set.
func writeBody(w io.Writer, n int64, chunked, finish bool) error {
	piece := []byte(strings.Repeat("x", 32<<10))
	for n > 0 {
		part := piece[:min(n, int64(len(piece)))]
		if chunked {
			if _, err := fmt.Fprintf(w, "%x\r\n", len(part)); err != nil {
				return err
			}
		}
		if _, err := w.Write(part); err != nil {
			return err
		}
		if chunked {
			if _, err := io.WriteString(w, "\r\n"); err != nil {
				return err
			}
		}
		n -= int64(len(part))
	}
	if chunked && finish {
		_, err := io.WriteString(w, "0\r\n\r\n")
		return err
	}
	return nil
}

// dialHTTP opens a raw connection to addr, bounded by connGuard and closed when the test ends.
func dialHTTP(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(connGuard)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// refusal is an HTTP answer and the error body hooknorm sends with it.
type refusal struct {
	status int
	body   struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
}

// readRefusal reads the final HTTP answer, after any 100 Continue, and its JSON error body from r.
func readRefusal(r *bufio.Reader) (refusal, error) {
	var got refusal
	resp, err := http.ReadResponse(r, nil)
	for err == nil && resp.StatusCode < http.StatusOK {
		resp, err = http.ReadResponse(r, nil)
	}
	if err != nil {
		return got, fmt.Errorf("reading the answer: %w", err)
	}
	defer resp.Body.Close()
	got.status = resp.StatusCode
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return got, fmt.Errorf("reading the answer's body: %w", err)
	}
	if err := json.Unmarshal(raw, &got.body); err != nil {
		return got, fmt.Errorf("the answer's body %q is not JSON: %w", raw, err)
	}
	return got, nil
}

// sendAllThenRead sends d on a new connection to addr as most HTTP libraries do: the head and the
// whole body are written before a byte of the answer is read. A write that fails is an error,
// since such a client never gets to read the answer.
func sendAllThenRead(t *testing.T, addr string, d rawDelivery) (refusal, error) {
	t.Helper()
	conn := dialHTTP(t, addr)
	w := bufio.NewWriterSize(conn, 64<<10)
	if _, err := io.WriteString(w, d.head(addr)); err != nil {
		return refusal{}, fmt.Errorf("writing the head: %w", err)
	}
	if err := writeBody(w, d.size, d.chunked, true); err != nil {
		return refusal{}, fmt.Errorf("writing the body: %w", err)
	}
	if err := w.Flush(); err != nil {
		return refusal{}, fmt.Errorf("writing the body: %w", err)
	}
	return readRefusal(bufio.NewReader(conn))
}

// checkTooLarge fails the test unless got is a 413 naming the limit, with reason
// PAYLOAD_TOO_LARGE.
func checkTooLarge(t *testing.T, got refusal, limit int64) {
	t.Helper()
	if got.status != http.StatusRequestEntityTooLarge || got.body.Reason != "PAYLOAD_TOO_LARGE" {
		t.Fatalf("answer = %d %s (%q), want 413 PAYLOAD_TOO_LARGE", got.status, got.body.Reason, got.body.Message)
	}
	if !strings.Contains(got.body.Message, fmt.Sprint(limit)) {
		t.Errorf("message %q does not name the limit %d", got.body.Message, limit)
	}
}

// oversizedBodies returns the value of hooknorm_oversized_bodies_total{outcome} scraped from
// url's /metrics; 0 when the series is missing.
func oversizedBodies(t *testing.T, url, outcome string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	for _, m := range families[oversizedBodyMetric].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "outcome" && l.GetValue() == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// waitForOversizedBodies waits until hooknorm_oversized_bodies_total{outcome} reaches want: the
// server counts a body when it is done with it, which can be just after the client read the
// answer.
func waitForOversizedBodies(t *testing.T, url, outcome string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := oversizedBodies(t, url, outcome)
		if got == want {
			return
		}
		if got > want || time.Now().After(deadline) {
			t.Fatalf("%s{outcome=%q} = %v, want %v", oversizedBodyMetric, outcome, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startHTTPProcess runs hooknormd with args on free ports and returns its HTTP address; it is
// killed when the test ends.
func startHTTPProcess(t *testing.T, args ...string) string {
	t.Helper()
	httpAddr := freePort(t)
	proc := startProcess(t, append([]string{"--data-dir", t.TempDir(), "--grpc-addr", freePort(t), "--http-addr", httpAddr}, args...)...)
	t.Cleanup(proc.kill)
	return httpAddr
}

// TestOversizedBodyIsAnsweredToClientsThatWriteFirst sends bodies over --max-body-bytes the way
// most HTTP libraries send them, writing the whole body before reading: each client reads a 413
// with reason PAYLOAD_TOO_LARGE rather than a connection reset, whether the length was announced
// or chunked, with the small limit and the default one (the 6 MiB). Each body counts as
// drained.
func TestOversizedBodyIsAnsweredToClientsThatWriteFirst(t *testing.T) {
	for _, limit := range []struct {
		name  string
		limit int64
		args  []string
		cases map[string]rawDelivery
	}{
		{
			name: "64 KiB limit", limit: smallBodyLimit, args: []string{"--max-body-bytes", fmt.Sprint(smallBodyLimit)},
			cases: map[string]rawDelivery{
				"4 MiB announced": {size: 4 << 20},
				"4 MiB chunked":   {size: 4 << 20, chunked: true},
				"4 MiB announced, expecting 100-continue": {size: 4 << 20, expectContinue: true},
				"4 MiB chunked, expecting 100-continue":   {size: 4 << 20, chunked: true, expectContinue: true},
				"just over the limit, announced":          {size: smallBodyLimit + 1},
				"just over the limit, chunked":            {size: smallBodyLimit + 1, chunked: true},
				"the limit and the allowance, announced":  {size: smallBodyLimit + drainAllowance},
			},
		},
		{
			name: "default limit", limit: 1 << 20,
			cases: map[string]rawDelivery{
				"6 MiB announced": {size: 6 << 20},
				"6 MiB chunked":   {size: 6 << 20, chunked: true},
			},
		},
	} {
		t.Run(limit.name, func(t *testing.T) {
			httpAddr := startHTTPProcess(t, limit.args...)
			for name, d := range limit.cases {
				t.Run(name, func(t *testing.T) {
					got, err := sendAllThenRead(t, httpAddr, d)
					if err != nil {
						t.Fatalf("a client that writes its whole body before reading got no answer: %v", err)
					}
					checkTooLarge(t, got, limit.limit)
				})
			}
			waitForOversizedBodies(t, "http://"+httpAddr, "drained", float64(len(limit.cases)))
		})
	}
}

// TestOversizedBodyIsAnsweredBeforeItIsSent sends a head announcing a body over the limit with
// Expect: 100-continue, as curl does for large bodies, and sends no body: the 413 comes at once,
// without a 100 Continue asking for the body. Closing the connection then ends the server's wait
// for the body, counted as client_stopped.
func TestOversizedBodyIsAnsweredBeforeItIsSent(t *testing.T) {
	// A body timeout longer than connGuard: a server that waited for the body before answering
	// would fail the read below rather than answer late.
	httpAddr := startHTTPProcess(t, "--max-body-bytes", fmt.Sprint(smallBodyLimit), "--body-timeout", "10m")
	conn := dialHTTP(t, httpAddr)
	if _, err := io.WriteString(conn, rawDelivery{size: 4 << 20, expectContinue: true}.head(httpAddr)); err != nil {
		t.Fatal(err)
	}
	got, err := readRefusal(bufio.NewReader(conn))
	if err != nil {
		t.Fatal(err)
	}
	checkTooLarge(t, got, smallBodyLimit)
	conn.Close()
	waitForOversizedBodies(t, "http://"+httpAddr, "client_stopped", 1)
}

// TestOversizedBodyPastTheAllowanceIsCutOff sends bodies longer than the limit and the drain
// allowance together, announced and chunked, while reading: the server closes each connection
// instead of reading on (a client sending forever cannot hold it), counts each body as too_long,
// and goes on serving deliveries.
func TestOversizedBodyPastTheAllowanceIsCutOff(t *testing.T) {
	httpAddr := startHTTPProcess(t, "--max-body-bytes", fmt.Sprint(smallBodyLimit))
	for name, d := range map[string]rawDelivery{
		"announced": {size: smallBodyLimit + drainAllowance + 1},
		"chunked":   {size: 4 * drainAllowance, chunked: true},
	} {
		t.Run(name, func(t *testing.T) {
			conn := dialHTTP(t, httpAddr)
			written := make(chan error, 1)
			go func() {
				w := bufio.NewWriterSize(conn, 64<<10)
				if _, err := io.WriteString(w, d.head(httpAddr)); err != nil {
					written <- err
					return
				}
				if err := writeBody(w, d.size, d.chunked, true); err != nil {
					written <- err
					return
				}
				written <- w.Flush()
			}()
			_, err := io.Copy(io.Discard, conn) // until the server closes the connection
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the server held the connection open for %s", connGuard)
			}
			if err := <-written; err == nil {
				t.Fatalf("the server read all %d bytes of the body", d.size)
			}
		})
	}
	waitForOversizedBodies(t, "http://"+httpAddr, "too_long", 2)
	ctx, cancel := context.WithTimeout(context.Background(), connGuard)
	defer cancel()
	if _, err := deliver(ctx, http.DefaultClient, "http://"+httpAddr, "after-oversized"); err != nil {
		t.Fatalf("no delivery stored after the oversized ones: %v", err)
	}
}

// TestOversizedBodySentSlowlyIsCutOffAtTheBodyTimeout starts bodies over the limit and stops
// sending without closing the connection: the client reads the 413 at once, and the server closes
// the connection when --body-timeout has passed, counting the body as timed_out, so a slow client
// cannot hold a connection with a refused body.
func TestOversizedBodySentSlowlyIsCutOffAtTheBodyTimeout(t *testing.T) {
	httpAddr := startHTTPProcess(t, "--max-body-bytes", fmt.Sprint(smallBodyLimit), "--body-timeout", "2s")
	cases := map[string]rawDelivery{
		"announced": {size: 4 << 20},
		"chunked":   {size: 4 << 20, chunked: true},
	}
	for name, d := range cases {
		t.Run(name, func(t *testing.T) {
			conn := dialHTTP(t, httpAddr)
			w := bufio.NewWriter(conn)
			if _, err := io.WriteString(w, d.head(httpAddr)); err != nil {
				t.Fatal(err)
			}
			if err := writeBody(w, 2*smallBodyLimit, d.chunked, false); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(conn)
			got, err := readRefusal(r)
			if err != nil {
				t.Fatal(err)
			}
			checkTooLarge(t, got, smallBodyLimit)
			if _, err := io.Copy(io.Discard, r); errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the server held the connection open for %s", connGuard)
			}
		})
	}
	waitForOversizedBodies(t, "http://"+httpAddr, "timed_out", float64(len(cases)))
}
