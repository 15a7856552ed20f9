package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/procstat"
)

// The pinned measurement (-pinned) measures servers the way a fair benchmark measures a server:
// each in a process of its own pinned to one core (taskset -c 1), a C load generator on the other
// (wrk, one thread, -connections connections, each request a unique delivery), and the server's
// own CPU per request read from /proc/PID/stat over the run. On a machine where the load
// generator and the server share no core, the server's requests per second are bounded by one
// over its CPU per request, whatever else runs on the other core; so CPU per request is the figure
// the ratios are taken from, and requests per second and latency are printed beside it.
//
// The servers, in a fresh process and data directory each round:
//   - bare: net/http, read the body, answer 200;
//   - durable floor: the raw body published to an embedded JetStream file stream, 200 after the
//     acknowledgement;
//   - hand-written receiver: see handwritten.go;
//   - hooknormd, with its defaults and --log-level warn.

// pinnedServer is one server the pinned measurement starts.
type pinnedServer struct {
	name   string
	kind   string // the -serve kind of this tool's own baselines; "" for hooknormd
	binary string // for hooknormd, a binary other than the one built from this checkout
}

var pinnedServers = []pinnedServer{
	{name: "bare net/http", kind: "bare"},
	{name: "durable floor", kind: "durable"},
	{name: "hand-written receiver", kind: "handwritten"},
	{name: "hooknormd"},
}

// pinnedRun is one server's figures in one round.
type pinnedRun struct {
	requests   int
	rate       float64
	p50, p99   time.Duration
	cpuPerPost time.Duration
}

// pinnedOptions are the pinned measurement's settings.
type pinnedOptions struct {
	duration    time.Duration
	rounds      int
	connections int
	hooknormd   string // a hooknormd binary; built when empty
	fsync       eventlog.Fsync
	deliveries  []delivery
}

// pinnedBench is what every pinned server needs: a work directory, the wrk script, this tool's
// binary (which serves the baselines) and hooknormd's.
type pinnedBench struct {
	opts   pinnedOptions
	work   string
	script string
	self   string
}

// newPinnedBench checks for taskset and wrk, builds hooknormd unless opts names one, and writes
// the wrk script; close removes what it made.
func newPinnedBench(opts pinnedOptions) (*pinnedBench, error) {
	for _, tool := range []string{"taskset", "wrk"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("-pinned needs %s (Debian: apt-get install %s): %w", tool, map[string]string{"taskset": "util-linux", "wrk": "wrk"}[tool], err)
		}
	}
	work, err := os.MkdirTemp("", "hooknorm-load-pinned-")
	if err != nil {
		return nil, err
	}
	b := &pinnedBench{opts: opts, work: work, script: filepath.Join(work, "deliveries.lua")}
	if b.opts.hooknormd == "" {
		b.opts.hooknormd = filepath.Join(work, "hooknormd")
		build := exec.Command("go", "build", "-o", b.opts.hooknormd, "github.com/hooknorm/hooknorm/server/cmd/hooknormd")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			b.close()
			return nil, fmt.Errorf("building hooknormd: %w", err)
		}
	}
	if err := os.WriteFile(b.script, []byte(wrkScript(opts.deliveries)), 0o644); err != nil {
		b.close()
		return nil, err
	}
	if b.self, err = os.Executable(); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *pinnedBench) close() { os.RemoveAll(b.work) }

// measurePinned runs every server for every round and prints, per server, the medians and the
// ratios to the hand-written receiver and the durable floor.
func measurePinned(opts pinnedOptions) error {
	b, err := newPinnedBench(opts)
	if err != nil {
		return err
	}
	defer b.close()
	medians, err := b.medians(pinnedServers)
	if err != nil {
		return err
	}
	printPinnedTable(pinnedServers, medians, opts.rounds)
	return nil
}

// medians loads each server with wrk, round after round, prints each round and returns each
// server's medians.
func (b *pinnedBench) medians(servers []pinnedServer) ([]pinnedRun, error) {
	fmt.Printf("pinned: server on core 1, wrk on core 0 (1 thread, %d connections), %s a run, %d round(s), %d distinct deliveries\n\n",
		b.opts.connections, b.opts.duration, b.opts.rounds, len(b.opts.deliveries))
	runs := make([][]pinnedRun, len(servers))
	for round := range b.opts.rounds {
		for i, srv := range servers {
			run, err := b.loadWithWrk(srv)
			if err != nil {
				return nil, fmt.Errorf("%s, round %d: %w", srv.name, round+1, err)
			}
			runs[i] = append(runs[i], run)
			fmt.Printf("  round %d  %-22s %8.0f req/s  CPU %7s/request  p50 %8s  p99 %8s\n", round+1, srv.name, run.rate, run.cpuPerPost, run.p50, run.p99)
		}
	}
	medians := make([]pinnedRun, len(runs))
	for i := range runs {
		medians[i] = medianRun(runs[i])
	}
	return medians, nil
}

// printPinnedTable prints the medians of servers (which start as pinnedServers do) as a table,
// with their ratios to the hand-written receiver and the durable floor.
func printPinnedTable(servers []pinnedServer, medians []pinnedRun, rounds int) {
	durable, handwritten := medians[1], medians[2]
	fmt.Printf("\nmedians of %d round(s); x = the server's requests per CPU-second against the other's (CPU per request inverted)\n", rounds)
	fmt.Printf("| server | CPU per request | req/s | p50 | p99 | vs hand-written | vs durable floor |\n|---|---|---|---|---|---|---|\n")
	for i, srv := range servers {
		m := medians[i]
		fmt.Printf("| %s | %s | %.0f | %s | %s | %.2fx | %.2fx |\n", srv.name, m.cpuPerPost, m.rate, m.p50, m.p99,
			float64(handwritten.cpuPerPost)/float64(m.cpuPerPost), float64(durable.cpuPerPost)/float64(m.cpuPerPost))
	}
}

// pinnedProcess is a server running pinned to core 1.
type pinnedProcess struct {
	cmd      *exec.Cmd
	url      string // its HTTP address, as http://host:port
	grpcAddr string // hooknormd's gRPC address; "" for a baseline
	dataDir  string
}

// start starts srv pinned to core 1, in a fresh data directory, and waits until it is ready.
func (b *pinnedBench) start(srv pinnedServer) (*pinnedProcess, error) {
	dataDir, err := os.MkdirTemp(b.work, "data-")
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &pinnedProcess{url: "http://" + httpAddr, dataDir: dataDir}
	args := []string{"-c", "1", b.self, "-serve", srv.kind, "-addr", httpAddr, "-fsync", string(b.opts.fsync)}
	ready := p.url + "/ready"
	if srv.kind == "" {
		if p.grpcAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		binary := cmp.Or(srv.binary, b.opts.hooknormd)
		args = []string{"-c", "1", binary, "--data-dir", dataDir, "--http-addr", httpAddr, "--grpc-addr", p.grpcAddr,
			"--fsync", string(b.opts.fsync), "--log-level", "warn"}
		ready = p.url + "/readyz"
	}
	p.cmd = exec.Command("taskset", args...)
	p.cmd.Stderr = os.Stderr
	p.cmd.Env = append(os.Environ(), "TMPDIR="+dataDir)
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	if err := awaitReady(ready, 60*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// pid is the server's process id: taskset executes the server in its own process.
func (p *pinnedProcess) pid() int { return p.cmd.Process.Pid }

// stop ends the server (SIGTERM, then SIGKILL after 20 s) and removes its data directory.
func (p *pinnedProcess) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(p.dataDir)
}

// loadWithWrk starts one server pinned to core 1, loads it with wrk pinned to core 0, and stops
// it.
func (b *pinnedBench) loadWithWrk(srv pinnedServer) (pinnedRun, error) {
	p, err := b.start(srv)
	if err != nil {
		return pinnedRun{}, err
	}
	defer p.stop()
	before, err := procstat.CPUTime(p.pid())
	if err != nil {
		return pinnedRun{}, err
	}
	load := exec.Command("taskset", "-c", "0", "wrk", "-t1", fmt.Sprintf("-c%d", b.opts.connections),
		fmt.Sprintf("-d%ds", int(b.opts.duration.Seconds())), "--latency", "-s", b.script, p.url)
	out, err := load.CombinedOutput()
	if err != nil {
		return pinnedRun{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	after, err := procstat.CPUTime(p.pid())
	if err != nil {
		return pinnedRun{}, err
	}
	report, err := parseWrk(string(out))
	if err != nil {
		return pinnedRun{}, err
	}
	if report.failed > 0 {
		return pinnedRun{}, fmt.Errorf("%d of %d requests were not answered 200:\n%s", report.failed, report.requests, out)
	}
	return pinnedRun{
		requests: report.requests, rate: report.rate, p50: report.p50, p99: report.p99,
		cpuPerPost: perPost(after-before, report.requests),
	}, nil
}

// awaitReady polls url until it answers 200.
func awaitReady(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer 200 within %s (last: %v)", url, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port free now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// medianRun takes each figure's median over runs.
func medianRun(runs []pinnedRun) pinnedRun {
	median := func(get func(pinnedRun) float64) float64 {
		values := make([]float64, len(runs))
		for i, r := range runs {
			values[i] = get(r)
		}
		slices.Sort(values)
		return values[len(values)/2]
	}
	return pinnedRun{
		rate:       median(func(r pinnedRun) float64 { return r.rate }),
		p50:        time.Duration(median(func(r pinnedRun) float64 { return float64(r.p50) })),
		p99:        time.Duration(median(func(r pinnedRun) float64 { return float64(r.p99) })),
		cpuPerPost: time.Duration(median(func(r pinnedRun) float64 { return float64(r.cpuPerPost) })),
	}
}

// serveBaseline is the -serve mode: this tool's own baseline kind served on addr until SIGTERM,
// for the pinned measurement, with /ready answering 200 once it serves.
func serveBaseline(kind, addr string, fsync eventlog.Fsync) error {
	var handler http.HandlerFunc
	switch kind {
	case "bare":
		handler = bareHandler
	case "durable", "handwritten":
		store, err := openRawStore(fsync)
		if err != nil {
			return err
		}
		defer store.close()
		handler = durableFloorHandler(store)
		if kind == "handwritten" {
			handler = handwrittenHandler(store)
		}
	default:
		return fmt.Errorf("-serve %q: want bare, durable or handwritten", kind)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {})
	mux.Handle("POST /", handler)
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(listener); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// wrkScript is a wrk script that posts the deliveries in turn, each request made unique by a
// counter in its marker (one wrk thread, so one counter).
func wrkScript(deliveries []delivery) string {
	const sentinel = "HOOKNORM-LOAD-MARKER"
	var paths, heads, tails []string
	for _, d := range deliveries {
		head, tail, _ := strings.Cut(string(d.marked(sentinel)), sentinel)
		paths = append(paths, luaString(d.path))
		heads = append(heads, luaString(head+"wrk-"))
		tails = append(tails, luaString(tail))
	}
	return fmt.Sprintf(`-- Written by hooknorm-load -pinned: posts the deliveries in turn, each one unique.
local paths = {%s}
local heads = {%s}
local tails = {%s}
local headers = {["Content-Type"] = "application/json"}
local counter = 0
request = function()
  counter = counter + 1
  local i = (counter %% #paths) + 1
  return wrk.format("POST", paths[i], headers, heads[i] .. counter .. tails[i])
end
`, strings.Join(paths, ", "), strings.Join(heads, ",\n  "), strings.Join(tails, ",\n  "))
}

// luaString quotes s as a Lua long string, with a level of = signs that s does not close.
func luaString(s string) string {
	level := ""
	for strings.Contains(s, "]"+level+"]") {
		level += "="
	}
	// A long string drops a newline right after its opening bracket: start with one of its own.
	return "[" + level + "[\n" + s + "]" + level + "]"
}
