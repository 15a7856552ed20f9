// Command hooknorm-load measures hooknormd under load, beside baselines in the same run: a bare
// net/http handler that reads the body and answers 200, the ceiling of this machine, and three
// floors that do part of hooknormd's work (see floors.go and fanout_floor.go). It posts
// realistic deliveries (the test fixtures, each made unique) from concurrent clients and reports
// requests per second and the latency from POST to arrival at each subscriber, with 1 and with
// 1,000 subscribers. Ratios matter, not absolute numbers: machines differ and are shared.
//
//	go run ./server/cmd/hooknorm-load -duration 10s -concurrency 32 -subscribers 1,1000
//
// With -resume it measures something else: subscribers resuming at once after a restart.
//
//	go run ./server/cmd/hooknorm-load -resume 1000 -behind 100
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/telemetry"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the "proto" codec glanceCodec defers to
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// orderFixture is the 12 KB ClickFunnels order, the largest realistic delivery: the one the resume
// and consume measurements store, and the pinned measurement posts by default.
const orderFixture = "clickfunnels/order_created.v2"

// tracerProvider is the one hooknormd is measured with, set up as hooknormd sets it up.
var tracerProvider trace.TracerProvider

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each measurement posts")
	concurrency := flag.Int("concurrency", 32, "concurrent posting clients")
	flag.IntVar(&offeredRate, "rate", 0, "posts per second to offer, spread evenly (latency counts from each post's planned time); 0 posts as fast as the clients can")
	subscriberCounts := flag.String("subscribers", "1,1000", "comma-separated subscriber counts to measure hooknormd with; empty measures only the baselines")
	fsync := flag.String("fsync", "periodic", "fsync policy of hooknormd's log: periodic or always")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of every measurement after the ceiling to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the whole run to this file when it ends")
	floors := flag.Bool("floors", true, "also measure the durable, domain and fan-out floors (see floors.go and fanout_floor.go)")
	resume := flag.Int("resume", 0, "instead, measure this many subscribers resuming at once after a restart, each -behind events behind (see resume.go)")
	behind := flag.Int("behind", 100, "with -resume, how many events behind the newest each subscriber resumes")
	ring := flag.Int("ring", 0, "with -resume, how many of the newest events the fan-out hub keeps (0: hooknormd's default); fewer than -behind has every subscriber read the log on its own")
	pinned := flag.Bool("pinned", false, "instead, measure each server in its own process pinned to core 1, loaded by wrk on core 0, with its CPU per request read from /proc (see pinned.go)")
	rounds := flag.Int("rounds", 3, "with -pinned, how many rounds to take the medians of")
	connections := flag.Int("connections", 32, "with -pinned, wrk's connections")
	hooknormdBinary := flag.String("hooknormd", "", "with -pinned, the hooknormd binary to measure (default: built from this checkout)")
	bodies := flag.String("bodies", "order", "with -pinned, what to post: order (the 12 KB ClickFunnels order) or all (every ClickFunnels V2 and Webflow v2 fixture)")
	serveKind := flag.String("serve", "", "for -pinned: serve this baseline (bare, durable or handwritten) on -addr until SIGTERM")
	addr := flag.String("addr", "127.0.0.1:0", "with -serve, the address to serve on")
	consume := flag.Int("consume", 0, "instead, store this many 12 KB orders and measure reading them all through Subscribe and through Consume with acks by -workers workers (see consume.go)")
	workerCounts := flag.String("workers", "1,8", "with -consume, comma-separated worker counts")
	holds := flag.String("hold", "1,16", "with -consume, comma-separated counts of handlers each worker runs at once")
	goals := flag.Bool("goals", false, "instead, take every figure of the ingest speed goals in one run, each beside its baseline, and print them as a table (see goals.go); -duration, -rounds, -connections, -concurrency, -bodies and -hooknormd apply")
	before := flag.String("before", "", "with -goals, also measure this hooknormd binary of an earlier build, beside the one built from this checkout")
	streams := flag.Int("streams", 1000, "with -goals, how many subscribers the fan-out and idle-memory figures take")
	flag.Parse()
	if *consume > 0 {
		results, err := measureConsume(*consume, positiveCounts("-workers", strings.Split(*workerCounts, ",")), positiveCounts("-hold", strings.Split(*holds, ",")), eventlog.Fsync(*fsync))
		if err != nil {
			fail(err)
		}
		baseline := results[0]
		for _, r := range results {
			rate := float64(r.events) / r.elapsed.Seconds()
			fmt.Printf("%-42s %7d events in %8s  %8.0f events/s  (%.2fx Subscribe's)\n", r.name, r.events, r.elapsed.Round(time.Millisecond), rate,
				rate/(float64(baseline.events)/baseline.elapsed.Seconds()))
		}
		return
	}
	if *serveKind != "" {
		if err := serveBaseline(*serveKind, *addr, eventlog.Fsync(*fsync)); err != nil {
			fail(err)
		}
		return
	}
	if *pinned || *goals {
		if *goals {
			if err := runOnCore0(); err != nil {
				fail(err)
			}
		}
		deliveries, err := loadDeliveries()
		if err != nil {
			fail(err)
		}
		switch *bodies {
		case "order":
			deliveries = slices.DeleteFunc(deliveries, func(d delivery) bool { return d.name != orderFixture })
		case "all":
		default:
			fail(fmt.Errorf("-bodies %q: want order or all", *bodies))
		}
		opts := pinnedOptions{duration: *duration, rounds: *rounds, connections: *connections,
			hooknormd: *hooknormdBinary, fsync: eventlog.Fsync(*fsync), deliveries: deliveries}
		if *goals {
			err = measureGoals(goalsOptions{pinned: opts, before: *before, streams: *streams, concurrency: *concurrency})
		} else {
			err = measurePinned(opts)
		}
		if err != nil {
			fail(err)
		}
		return
	}
	if *resume > 0 {
		r, err := measureResume(*resume, *behind, *ring, eventlog.Fsync(*fsync))
		if err != nil {
			fail(err)
		}
		fmt.Printf("hooknormd restarted, %d subscribers resuming %d orders (12 KB) behind: %d caught up in %s; resident memory %d MiB before they resumed, peak %d MiB (the process, subscribers included)\n",
			r.subscribers, *behind, r.caughtUp, r.elapsed.Round(time.Millisecond), r.before>>20, r.peak>>20)
		return
	}

	// Tracing as hooknormd sets it up: from the OTEL_* variables, exporting nothing without them.
	tracing, err := telemetry.Setup(context.Background(), "load", slog.New(slog.DiscardHandler))
	if err != nil {
		fail(err)
	}
	defer tracing.Shutdown(context.Background())
	tracerProvider = tracing.Provider

	deliveries, err := loadDeliveries()
	if err != nil {
		fail(err)
	}
	pace := "as fast as they can"
	if offeredRate > 0 {
		pace = fmt.Sprintf("%d posts/s offered", offeredRate)
	}
	fmt.Printf("hooknorm-load: %d distinct deliveries, %d clients, %s, %s per measurement\n\n",
		len(deliveries), *concurrency, pace, *duration)

	ceiling, err := measureCeiling(deliveries, *concurrency, *duration)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%-28s %9.0f req/s   round trip p50 %8s  p99 %8s   CPU %s per post\n", "ceiling (bare net/http)", ceiling.rate, ceiling.p50, ceiling.p99, ceiling.cpuPerPost)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	var domainFloor result // measured when -floors is set
	if *floors {
		for _, floor := range []struct {
			name    string
			measure func([]delivery, int, time.Duration, eventlog.Fsync) (result, error)
			domain  bool
		}{{"durable floor (JetStream)", measureDurableFloor, false}, {"domain floor (convert+log)", measureDomainFloor, true}} {
			r, err := floor.measure(deliveries, *concurrency, *duration, eventlog.Fsync(*fsync))
			if err != nil {
				fail(fmt.Errorf("%s: %w", floor.name, err))
			}
			if floor.domain {
				domainFloor = r
			}
			fmt.Printf("%-28s %9.0f req/s (%3.0f%% of ceiling)   round trip p50 %8s  p99 %8s (%.1fx the ceiling's p99)   CPU %s per post (%.1fx)\n",
				floor.name, r.rate, 100*r.rate/ceiling.rate, r.p50, r.p99, float64(r.p99)/float64(ceiling.p99), r.cpuPerPost, float64(r.cpuPerPost)/float64(ceiling.cpuPerPost))
		}
	}
	if *memProfile != "" {
		defer writeAllocations(*memProfile)
	}
	// Empty fields are passed over: an empty -subscribers measures only the baselines.
	for _, n := range positiveCounts("-subscribers", strings.FieldsFunc(*subscriberCounts, func(r rune) bool { return r == ',' })) {
		var fanoutFloor result
		if *floors {
			if fanoutFloor, err = measureFanoutFloor(deliveries, *concurrency, *duration, n, eventlog.Fsync(*fsync)); err != nil {
				fail(fmt.Errorf("fan-out floor: %w", err))
			}
			printDelivered(fmt.Sprintf("fan-out floor, %d sub(s)", n), fanoutFloor, ceiling)
		}
		r, err := measureHooknorm(deliveries, *concurrency, *duration, n, eventlog.Fsync(*fsync))
		if err != nil {
			fail(err)
		}
		printDelivered(fmt.Sprintf("hooknormd, %d subscriber(s)", n), r, ceiling)
		if domainFloor.rate > 0 && offeredRate == 0 {
			more := r.cpuPerPost - fanoutFloor.cpuPerPost
			sign := "+"
			if more < 0 {
				sign = "" // a Duration prints its own minus
			}
			fmt.Printf("%-28s %9s (%3.0f%% of the domain floor's req/s, %3.0f%% of the fan-out floor's; CPU per post %s%s against the fan-out floor's)\n",
				"", "", 100*r.rate/domainFloor.rate, 100*r.rate/fanoutFloor.rate, sign, more)
		}
	}
}

// positiveCounts reads the fields of a flag's comma-separated list as positive counts, or fails.
func positiveCounts(flagName string, fields []string) []int {
	var counts []int
	for _, field := range fields {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			fail(fmt.Errorf("%s: %q is not a positive count", flagName, field))
		}
		counts = append(counts, n)
	}
	return counts
}

// printDelivered prints the line of a measurement with subscribers, beside the ceiling.
func printDelivered(name string, r, ceiling result) {
	fmt.Printf("%-28s %9.0f req/s (%3.0f%% of ceiling)   POST->subscriber p50 %8s  p99 %8s (%.1fx the ceiling's p99)   CPU %s per post (%.1fx)   %d stored, %d arrivals, %d refused with 503\n",
		name, r.rate, 100*r.rate/ceiling.rate, r.p50, r.p99,
		float64(r.p99)/float64(ceiling.p99), r.cpuPerPost, float64(r.cpuPerPost)/float64(ceiling.cpuPerPost), r.posted, r.arrivals, r.refused)
}

// offeredRate is the -rate flag: posts per second to offer, or 0 for as fast as possible.
var offeredRate int

// writeAllocations writes the allocation profile (every allocation sampled so far) to path.
func writeAllocations(path string) {
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hooknorm-load:", err)
	os.Exit(1)
}

// delivery is one body to post and the route to post it to.
type delivery struct {
	name string // the fixture's name
	path string
	body map[string]any
	v2   bool // a Webflow v2 envelope: the unique marker goes into its payload
	cf   bool
}

// loadDeliveries reads the ClickFunnels V2 and Webflow v2 fixtures, which hooknormd stores.
func loadDeliveries() ([]delivery, error) {
	all, err := fixtures.All()
	if err != nil {
		return nil, err
	}
	var out []delivery
	for _, f := range all {
		var body map[string]any
		if json.Unmarshal(f.Body, &body) != nil {
			continue
		}
		switch {
		case f.Source == hooknormv1.Source_SOURCE_CLICKFUNNELS && body["event_id"] != nil:
			out = append(out, delivery{name: f.Name, path: "/v1/webhooks/clickfunnels", body: body, cf: true})
		case f.Source == hooknormv1.Source_SOURCE_WEBFLOW && f.TriggerType == "":
			if _, ok := body["payload"].(map[string]any); ok {
				out = append(out, delivery{name: f.Name, path: "/v1/webhooks/webflow", body: body, v2: true})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no fixtures to post")
	}
	return out, nil
}

// unique returns the body of the i-th post: the delivery made unique, so every post is a new event.
func (d delivery) unique(i int64) []byte {
	return d.marked(fmt.Sprintf("load-%d", i))
}

// marked returns the delivery's body with marker as its event id (ClickFunnels) or in its payload
// (Webflow v2), which makes it a new event.
func (d delivery) marked(marker string) []byte {
	body := map[string]any{}
	for k, v := range d.body {
		body[k] = v
	}
	switch {
	case d.cf:
		body["event_id"] = marker
	case d.v2:
		payload := map[string]any{}
		for k, v := range d.body["payload"].(map[string]any) {
			payload[k] = v
		}
		payload["hooknormLoadMarker"] = marker
		body["payload"] = payload
	}
	out, _ := json.Marshal(body)
	return out
}

// result is one measurement.
type result struct {
	rate                      float64
	p50, p99                  time.Duration
	posted, arrivals, refused int
	// stored is how many distinct events the posts stored: fewer than posted once a run outlasts
	// the prepared bodies and repeats them as duplicates.
	stored int
	// cpuPerPost is the CPU time the whole process (server, clients and subscribers) spent per
	// stored post while posting: unlike requests per second, it hardly moves when other work
	// shares the machine.
	cpuPerPost time.Duration
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// perPost divides cpu among n posts.
func perPost(cpu time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return (cpu / time.Duration(n)).Round(time.Microsecond)
}

// post runs concurrency clients posting to base for d and returns, per stored sequence, when its
// POST was sent, with every round-trip time of a stored delivery and how many were refused with
// 503 (which a provider retries).
func post(base string, deliveries []delivery, concurrency int, d time.Duration, bodies [][]byte) (map[uint64]time.Time, []time.Duration, int, time.Duration, error) {
	var (
		mu      sync.Mutex
		sent    = map[uint64]time.Time{}
		trips   []time.Duration
		refused atomic.Int64
		next    atomic.Int64
		failure atomic.Value
		wg      sync.WaitGroup
	)
	transport := &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	cpuBefore := cpuTime()
	deadline := time.Now().Add(d)
	planned := plan(offeredRate, deadline)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var start time.Time
				if planned != nil {
					var more bool
					if start, more = <-planned; !more {
						return
					}
				} else if start = time.Now(); !start.Before(deadline) {
					return
				}
				// The body and its route come from one index: prepare made body j from delivery
				// j modulo the deliveries, and a run longer than the prepared bodies starts over.
				j := (next.Add(1) - 1) % int64(len(bodies))
				dl, body := deliveries[j%int64(len(deliveries))], bodies[j]
				resp, err := client.Post(base+dl.path, "application/json", bytes.NewReader(body))
				if err != nil {
					failure.Store(err)
					return
				}
				var answer struct {
					Sequence uint64 `json:"sequence,string"`
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				trip := time.Since(start)
				if resp.StatusCode == http.StatusServiceUnavailable {
					refused.Add(1)
					continue
				}
				if resp.StatusCode != http.StatusOK {
					failure.Store(fmt.Errorf("POST %s answered %d: %s", dl.path, resp.StatusCode, data))
					return
				}
				json.Unmarshal(data, &answer)
				mu.Lock()
				trips = append(trips, trip)
				if answer.Sequence != 0 {
					sent[answer.Sequence] = start
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	cpu := cpuTime() - cpuBefore
	if err, _ := failure.Load().(error); err != nil {
		return nil, nil, 0, 0, err
	}
	return sent, trips, int(refused.Load()), cpu, nil
}

// plan returns, for a rate above 0, a channel that hands out the planned start of each post,
// rate per second until deadline, and closes; nil otherwise. A post that starts late because every
// client was busy still counts its latency from its planned start, so a saturated server cannot
// hide its queue.
func plan(rate int, deadline time.Time) <-chan time.Time {
	if rate <= 0 {
		return nil
	}
	planned := make(chan time.Time, 1024)
	go func() {
		defer close(planned)
		interval := time.Second / time.Duration(rate)
		for at := time.Now(); at.Before(deadline); at = at.Add(interval) {
			time.Sleep(time.Until(at))
			planned <- at
		}
	}()
	return planned
}

// preparedPosts is how many unique bodies a run prepares: more than any measurement posts on these
// machines in 10 s. Beyond it, posts repeat bodies (and hooknormd answers them as duplicates). A
// test prepares fewer.
var preparedPosts = 200000

var (
	prepareOnce sync.Once
	prepared    [][]byte
)

// bodiesFor returns the bodies every measurement of the run posts, made once: each measurement
// stores into a log of its own, so the same bodies are new events to each.
func bodiesFor(deliveries []delivery) [][]byte {
	prepareOnce.Do(func() { prepared = prepare(deliveries, preparedPosts) })
	return prepared
}

// prepare makes the bodies to post, unique per post for up to n posts, so the client does not
// spend its time encoding JSON during the measurement.
func prepare(deliveries []delivery, n int) [][]byte {
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = deliveries[i%len(deliveries)].unique(int64(i))
	}
	return bodies
}

func measureCeiling(deliveries []delivery, concurrency int, d time.Duration) (result, error) {
	return measureHandler(deliveries, concurrency, d, bareHandler)
}

// bareHandler is the ceiling: it reads the body and answers 200, as Ingest answers.
func bareHandler(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"id":"","sequence":"0","duplicate":false}`)
}

// openDomain opens an event log in a directory of its own and a normalizer, as hooknormd runs
// them; closeDomain closes the log and removes the directory.
func openDomain(fsync eventlog.Fsync) (*eventlog.Log, *normalize.Normalizer, func(), error) {
	dir, err := os.MkdirTemp("", "hooknorm-load-")
	if err != nil {
		return nil, nil, nil, err
	}
	eventLog, err := eventlog.Open(context.Background(), eventlog.Config{
		DataDir: dir, RetentionAge: time.Hour, DuplicateWindow: time.Hour, Fsync: fsync, SyncInterval: 2 * time.Minute,
		MaxRecordBytes: eventlog.RecordLimit(normalize.DefaultMaxBytes),
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, nil, err
	}
	closeDomain := func() {
		eventLog.Close()
		os.RemoveAll(dir)
	}
	normalizer, err := normalize.New(normalize.Limits{})
	if err != nil {
		closeDomain()
		return nil, nil, nil, err
	}
	return eventLog, normalizer, closeDomain, nil
}

func measureHooknorm(deliveries []delivery, concurrency int, d time.Duration, subscribers int, fsync eventlog.Fsync) (result, error) {
	eventLog, normalizer, closeDomain, err := openDomain(fsync)
	if err != nil {
		return result{}, err
	}
	defer closeDomain()
	srv, err := startHooknorm(eventLog, normalizer, hooknormOptions{})
	if err != nil {
		return result{}, err
	}
	defer stopHooknorm(srv)

	arrivals, stop, err := subscribe(srv.GRPCAddr(), subscribers)
	if err != nil {
		return result{}, err
	}
	return postAndDeliver("http://"+srv.HTTPAddr(), eventLog, arrivals, stop, deliveries, concurrency, d)
}

// postAndDeliver posts to base for d, waits until the subscribers whose arrivals are counted have
// received everything eventLog stored, stops them, and reports the posts and the latency from
// each POST to each arrival of its event.
func postAndDeliver(base string, eventLog *eventlog.Log, arrivals *arrivals, stop func(), deliveries []delivery, concurrency int, d time.Duration) (result, error) {
	stop = sync.OnceFunc(stop) // once the arrivals are in, or on the way out
	defer stop()
	sent, trips, refused, cpu, err := post(base, deliveries, concurrency, d, bodiesFor(deliveries))
	if err != nil {
		return result{}, err
	}
	latest, err := eventLog.FreshLastSequence(context.Background())
	if err != nil {
		return result{}, err
	}
	arrivals.wait(latest, 60*time.Second)
	stop()
	latencies := arrivals.latencies(sent)
	p50, p99 := percentiles(latencies)
	return result{rate: float64(len(trips)) / d.Seconds(), p50: p50, p99: p99, posted: len(trips), stored: len(sent), arrivals: len(latencies),
		refused: refused, cpuPerPost: perPost(cpu, len(trips))}, nil
}

// arrival is one event reaching one subscriber.
type arrival struct {
	sequence uint64
	at       time.Time
}

// arrivals collects what the subscribers receive. Each subscriber appends to its own slice and
// stores its last sequence, so a thousand of them do not contend for a lock or one huge slice.
type arrivals struct {
	per  [][]arrival     // per subscriber; read only once the subscribers have stopped
	last []atomic.Uint64 // per subscriber, the last sequence received
}

// wait returns once every subscriber has received up to sequence latest, or after timeout.
func (a *arrivals) wait(latest uint64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		done := true
		for i := range a.last {
			done = done && a.last[i].Load() >= latest
		}
		if done {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// latencies are the times from each POST's start, as sent holds them by sequence, to each
// arrival of its event; read them once the subscribers have stopped.
func (a *arrivals) latencies(sent map[uint64]time.Time) []time.Duration {
	var out []time.Duration
	for _, received := range a.per {
		for _, arrived := range received {
			if start, ok := sent[arrived.sequence]; ok {
				out = append(out, arrived.at.Sub(start))
			}
		}
	}
	return out
}

// subscribe opens n subscriptions (new events only), a hundred per connection.
func subscribe(addr string, n int) (*arrivals, func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	a := &arrivals{per: make([][]arrival, n), last: make([]atomic.Uint64, n)}
	var conns []*grpc.ClientConn
	var wg sync.WaitGroup
	ready := make(chan error, n)
	for i := range n {
		if i%100 == 0 {
			conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithDefaultCallOptions(grpc.ForceCodecV2(glanceCodec{})))
			if err != nil {
				cancel()
				return nil, nil, err
			}
			conns = append(conns, conn)
		}
		api := hooknormv1.NewWebhookServiceClient(conns[len(conns)-1])
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The stream opens with a heartbeat once the server has fixed where it starts: every
			// event stored after it is delivered, so posting may begin once all have one.
			stream, err := api.Subscribe(ctx, &hooknormv1.SubscribeRequest{})
			if err == nil {
				err = stream.RecvMsg(&glance{})
			}
			ready <- err
			if err != nil {
				return
			}
			for {
				var g glance
				if err := stream.RecvMsg(&g); err != nil {
					return
				}
				if g.event {
					a.per[i] = append(a.per[i], arrival{sequence: g.sequence, at: time.Now()})
					a.last[i].Store(g.sequence)
				}
			}
		}()
	}
	for range n {
		if err := <-ready; err != nil {
			cancel()
			return nil, nil, err
		}
	}
	stop := func() {
		cancel()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	}
	return a, stop, nil
}

// glance is what a load subscriber reads of a SubscribeResponse: whether it carries an event, and
// the event's sequence. Reading only these, not decoding whole events, keeps a thousand
// subscribers from spending the machine the server is measured on.
type glance struct {
	event    bool
	sequence uint64
}

// glanceCodec reads SubscribeResponses as glances and encodes requests as Protobuf.
type glanceCodec struct{}

func (glanceCodec) Name() string { return "proto" }

func (glanceCodec) Marshal(v any) (mem.BufferSlice, error) {
	return encoding.GetCodecV2("proto").Marshal(v)
}

func (glanceCodec) Unmarshal(data mem.BufferSlice, v any) error {
	g, ok := v.(*glance)
	if !ok {
		return encoding.GetCodecV2("proto").Unmarshal(data, v)
	}
	var b []byte
	if len(data) == 1 {
		b = data[0].ReadOnlyData() // most messages arrive in one buffer: read it in place
	} else {
		b = data.Materialize()
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType { // SubscribeResponse.event
			event, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			g.event = true
			return g.readEvent(event)
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
	}
	return nil
}

// readEvent reads Event.sequence (6), skipping the rest.
func (g *glance) readEvent(b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if num == 6 && typ == protowire.VarintType {
			seq, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			g.sequence = seq
			return nil
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
	}
	return nil
}

func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration {
		return ds[min(len(ds)-1, int(q*float64(len(ds))))].Round(10 * time.Microsecond)
	}
	return at(0.50), at(0.99)
}
