package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/procstat"
	"github.com/hooknorm/hooknorm/server/internal/telemetry"
)

// The goals measurement (-goals) takes, in one run, every figure the ingest speed goals are
// stated in (issue 19), each beside its baseline:
//   - ingest CPU per request, pinned as -pinned measures it (server on core 1, wrk on core 0):
//     hooknormd against the hand-written receiver (goal: 2x its requests per CPU-second) and the
//     durable floor (goal: 0.6x);
//   - p99 at one offered rate, half what the hand-written receiver can take on its core, posted
//     open loop (latency from each post's planned start) from core 0 to each server on core 1:
//     hooknormd's p99 against the hand-written receiver's (goal: no worse);
//   - 1,000 subscribers: hooknormd beside the bare gRPC fan-out floor (fanout_floor.go), both
//     served in this process on core 0 with their clients, CPU per post (goal: 0.9x or better);
//   - memory per idle subscription: hooknormd's resident memory before and after 1,000
//     Subscribe streams opened and left idle (stated, no goal);
//   - Normalize against json.Valid on the 12 KB order (goal: 0.5x its MB/s, stretch 0.75x).
// With -before BINARY, a hooknormd of an earlier build is measured beside this one wherever a
// binary is what is measured (ingest, p99, memory), so one run shows before and after.

// goalsOptions are the goals measurement's settings.
type goalsOptions struct {
	pinned      pinnedOptions
	before      string // a hooknormd binary of an earlier build; "" for none
	streams     int    // subscribers for the fan-out and memory figures
	concurrency int    // posting clients of the open-loop and fan-out measurements
}

// goalRow is one line of the goals table.
type goalRow struct {
	figure, measured, goal string
	met                    bool
}

// onCore0 is set in the environment of this tool once it runs pinned to core 0.
const onCore0 = "HOOKNORM_LOAD_ON_CORE_0"

// runOnCore0 executes this tool again pinned to core 0, unless it is already: the measurements
// made from this process (open-loop posts, subscribers, in-process servers) then stay off the
// pinned servers' core.
func runOnCore0() error {
	if os.Getenv(onCore0) != "" {
		return nil
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return fmt.Errorf("-goals needs taskset (Debian: apt-get install util-linux): %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(taskset, append([]string{"taskset", "-c", "0", self}, os.Args[1:]...), append(os.Environ(), onCore0+"=1"))
}

// measureGoals takes every figure and prints the goals table.
func measureGoals(opts goalsOptions) error {
	b, err := newPinnedBench(opts.pinned)
	if err != nil {
		return err
	}
	defer b.close()
	servers := pinnedServers
	if opts.before != "" {
		servers = append(servers[:len(servers):len(servers)], pinnedServer{name: "hooknormd before", binary: opts.before})
	}
	hooknormd := servers[3:]

	fmt.Printf("== ingest CPU per request\n")
	medians, err := b.medians(servers)
	if err != nil {
		return err
	}
	printPinnedTable(servers, medians, opts.pinned.rounds)
	durable, handwritten := medians[1].cpuPerPost, medians[2].cpuPerPost
	var rows []goalRow
	for i, srv := range hooknormd {
		cpu := medians[3+i].cpuPerPost
		vsHandwritten, vsDurable := float64(handwritten)/float64(cpu), float64(durable)/float64(cpu)
		rows = append(rows,
			goalRow{srv.name + ": ingest vs hand-written receiver", fmt.Sprintf("%.2fx (%s vs %s per request)", vsHandwritten, cpu, handwritten), ">= 2x", vsHandwritten >= 2},
			goalRow{srv.name + ": ingest vs durable floor", fmt.Sprintf("%.2fx (%s vs %s per request)", vsDurable, cpu, durable), ">= 0.6x", vsDurable >= 0.6})
	}

	rate := int(0.5 * float64(time.Second) / float64(handwritten))
	fmt.Printf("\n== p99 at %d posts/s offered (half the hand-written receiver's capacity on one core), open loop from core 0, %s each\n", rate, opts.pinned.duration)
	open := append([]pinnedServer{pinnedServers[2]}, hooknormd...)
	p99s := make([]time.Duration, len(open))
	for i, srv := range open {
		p50, p99, refused, err := b.openLoop(srv, rate, opts)
		if err != nil {
			return fmt.Errorf("%s at %d posts/s: %w", srv.name, rate, err)
		}
		p99s[i] = p99
		fmt.Printf("  %-22s p50 %8s  p99 %8s  %d refused with 503\n", srv.name, p50, p99, refused)
	}
	for i, srv := range hooknormd {
		ratio := float64(p99s[1+i]) / float64(p99s[0])
		rows = append(rows, goalRow{fmt.Sprintf("%s: p99 at %d posts/s vs hand-written", srv.name, rate),
			fmt.Sprintf("%.2fx (%s vs %s)", ratio, p99s[1+i], p99s[0]), "<= 1x", ratio <= 1})
	}

	fmt.Printf("\n== memory per idle Subscribe stream, %d streams\n", opts.streams)
	for _, srv := range hooknormd {
		perStream, total, err := b.idleMemory(srv, opts.streams)
		if err != nil {
			return fmt.Errorf("%s, idle streams: %w", srv.name, err)
		}
		fmt.Printf("  %-22s %d KiB per stream (%d MiB for %d)\n", srv.name, perStream>>10, total>>20, opts.streams)
		rows = append(rows, goalRow{srv.name + ": memory per idle stream", fmt.Sprintf("%d KiB", perStream>>10), "stated", true})
	}

	fmt.Printf("\n== %d subscribers: hooknormd and the bare gRPC fan-out floor in this process, closed loop, %s each\n", opts.streams, opts.pinned.duration)
	tracing, err := telemetry.Setup(context.Background(), "load", slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer tracing.Shutdown(context.Background())
	tracerProvider = tracing.Provider
	offeredRate = 0
	floor, err := measureFanoutFloor(opts.pinned.deliveries, opts.concurrency, opts.pinned.duration, opts.streams, opts.pinned.fsync)
	if err != nil {
		return fmt.Errorf("fan-out floor: %w", err)
	}
	fmt.Printf("  %-22s %8.0f req/s  CPU %s per post\n", "fan-out floor", floor.rate, floor.cpuPerPost)
	hn, err := measureHooknorm(opts.pinned.deliveries, opts.concurrency, opts.pinned.duration, opts.streams, opts.pinned.fsync)
	if err != nil {
		return err
	}
	fmt.Printf("  %-22s %8.0f req/s  CPU %s per post\n", "hooknormd", hn.rate, hn.cpuPerPost)
	fanout := float64(floor.cpuPerPost) / float64(hn.cpuPerPost)
	rows = append(rows, goalRow{fmt.Sprintf("hooknormd: %d subscribers vs fan-out floor", opts.streams),
		fmt.Sprintf("%.2fx (%s vs %s per post)", fanout, hn.cpuPerPost, floor.cpuPerPost), ">= 0.9x", fanout >= 0.9})

	fmt.Printf("\n== Normalize against json.Valid, %s\n", orderFixture)
	normalized, valid, err := conversionSpeed()
	if err != nil {
		return err
	}
	fmt.Printf("  Normalize %.0f MB/s, json.Valid %.0f MB/s\n", normalized, valid)
	rows = append(rows, goalRow{"Normalize vs json.Valid", fmt.Sprintf("%.2fx (%.0f vs %.0f MB/s)", normalized/valid, normalized, valid), ">= 0.5x (stretch 0.75x)", normalized/valid >= 0.5})

	fmt.Printf("\n| figure | measured | goal | met |\n|---|---|---|---|\n")
	for _, r := range rows {
		met := "no"
		if r.met {
			met = "yes"
		}
		if r.goal == "stated" {
			met = "-"
		}
		fmt.Printf("| %s | %s | %s | %s |\n", r.figure, r.measured, r.goal, met)
	}
	return nil
}

// openLoop starts srv pinned to core 1 and posts to it at rate per second for the run's duration
// from this process, returning the latencies of the posts it stored, counted from each post's
// planned start, and how many it refused with 503.
func (b *pinnedBench) openLoop(srv pinnedServer, rate int, opts goalsOptions) (p50, p99 time.Duration, refused int, err error) {
	p, err := b.start(srv)
	if err != nil {
		return 0, 0, 0, err
	}
	defer p.stop()
	offeredRate = rate
	defer func() { offeredRate = 0 }()
	_, trips, refused, _, err := post(p.url, opts.pinned.deliveries, opts.concurrency, opts.pinned.duration, bodiesFor(opts.pinned.deliveries))
	if err != nil {
		return 0, 0, 0, err
	}
	if len(trips) == 0 {
		return 0, 0, refused, fmt.Errorf("nothing was stored")
	}
	p50, p99 = percentiles(trips)
	return p50, p99, refused, nil
}

// idleMemory starts srv pinned to core 1, opens n Subscribe streams to it and leaves them idle,
// and returns how much its resident memory grew per stream and in all.
func (b *pinnedBench) idleMemory(srv pinnedServer, n int) (perStream, total int64, err error) {
	p, err := b.start(srv)
	if err != nil {
		return 0, 0, err
	}
	defer p.stop()
	time.Sleep(time.Second) // past start-up's allocations
	before, _ := procstat.ResidentMemory(p.pid())
	_, stop, err := subscribe(p.grpcAddr, n) // each stream has had its first heartbeat
	if err != nil {
		return 0, 0, err
	}
	time.Sleep(2 * time.Second)
	after, _ := procstat.ResidentMemory(p.pid())
	stop()
	// Let the server see the streams end before it is stopped, or its shutdown ends them (and logs
	// each as UNAVAILABLE, the cursor to resume after).
	time.Sleep(time.Second)
	if before == 0 || after == 0 {
		return 0, 0, fmt.Errorf("no resident memory figure for process %d in /proc", p.pid())
	}
	return (after - before) / int64(n), after - before, nil
}

// conversionSpeed runs Normalize and json.Valid on the 12 KB order, as the conversion benchmark
// does, and returns both in MB/s.
func conversionSpeed() (normalized, valid float64, err error) {
	all, err := fixtures.All()
	if err != nil {
		return 0, 0, err
	}
	var order *fixtures.Delivery
	for i := range all {
		if all[i].Name == orderFixture {
			order = &all[i]
		}
	}
	if order == nil {
		return 0, 0, fmt.Errorf("no fixture %s", orderFixture)
	}
	n, err := normalize.New(normalize.Limits{})
	if err != nil {
		return 0, 0, err
	}
	d := normalize.Delivery{Source: order.Source, Body: order.Body, TriggerType: order.TriggerType, ReceivedAt: time.Now()}
	if _, err := n.Normalize(d); err != nil {
		return 0, 0, err
	}
	mbps := func(r testing.BenchmarkResult) float64 {
		return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
	}
	normalizeResult := testing.Benchmark(func(b *testing.B) {
		b.SetBytes(int64(len(order.Body)))
		for b.Loop() {
			n.Normalize(d)
		}
	})
	validResult := testing.Benchmark(func(b *testing.B) {
		b.SetBytes(int64(len(order.Body)))
		for b.Loop() {
			json.Valid(order.Body)
		}
	})
	return mbps(normalizeResult), mbps(validResult), nil
}
