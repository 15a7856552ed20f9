package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrkReport is what the pinned measurement reads from wrk's output.
type wrkReport struct {
	requests int     // requests completed
	failed   int     // answered other than 2xx or 3xx, or not at all (errors)
	rate     float64 // requests per second
	p50, p99 time.Duration
}

var (
	wrkRequests = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	wrkNon2xx   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
	wrkErrors   = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkRate     = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkPercent  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
)

// parseWrk reads the report wrk prints with --latency.
func parseWrk(out string) (wrkReport, error) {
	var r wrkReport
	m := wrkRequests.FindStringSubmatch(out)
	rate := wrkRate.FindStringSubmatch(out)
	if m == nil || rate == nil {
		return r, fmt.Errorf("wrk printed no request count or rate:\n%s", out)
	}
	r.requests, _ = strconv.Atoi(m[1])
	r.rate, _ = strconv.ParseFloat(rate[1], 64)
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.failed += n
	}
	if m := wrkErrors.FindStringSubmatch(out); m != nil {
		// Connect, read and write errors each failed a request; a timeout is counted as well.
		for _, field := range m[1:] {
			n, _ := strconv.Atoi(field)
			r.failed += n
		}
	}
	for _, p := range wrkPercent.FindAllStringSubmatch(out, -1) {
		value, err := strconv.ParseFloat(p[2], 64)
		if err != nil {
			return r, fmt.Errorf("wrk's %s%% latency %q: %w", p[1], p[2], err)
		}
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[p[3]]
		d := time.Duration(value * float64(unit)).Round(time.Microsecond)
		if p[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if r.p50 == 0 || r.p99 == 0 {
		return r, fmt.Errorf("wrk printed no latency distribution (run it with --latency):\n%s", strings.TrimSpace(out))
	}
	return r, nil
}
