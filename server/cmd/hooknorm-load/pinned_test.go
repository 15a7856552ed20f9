package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// wrkOutput is what wrk 4.1 prints with --latency, as the pinned measurement reads it.
const wrkOutput = `Running 5s test @ http://127.0.0.1:40331
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.73ms    9.11ms 111.39ms   93.54%
    Req/Sec     2.92k   312.41     3.41k    72.00%
  Latency Distribution
     50%    8.84ms
     75%   10.20ms
     90%   13.01ms
     99%  111.39ms
  14530 requests in 5.00s, 2.70MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   2904.39
Transfer/sec:    552.81KB
`

// TestParseWrkReadsCountsRateAndPercentiles checks every figure the pinned measurement takes
// from wrk, and that a report without a latency distribution is refused rather than read as 0.
func TestParseWrkReadsCountsRateAndPercentiles(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkReport{requests: 14530, failed: 7, rate: 2904.39, p50: 8840 * time.Microsecond, p99: 111390 * time.Microsecond}
	if r != want {
		t.Errorf("parseWrk = %+v, want %+v", r, want)
	}
	withoutLatency := regexp.MustCompile(`(?s)  Latency Distribution.*?99%[^\n]*\n`).ReplaceAllString(wrkOutput, "")
	if _, err := parseWrk(withoutLatency); err == nil {
		t.Error("a report without --latency's distribution was read without an error")
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("wrk's connection failure was read without an error")
	}
}

// TestWrkScriptPostsEachDeliveryUnique takes the script's bodies apart as Lua would put them
// together and checks each is the delivery, valid JSON, with a marker that differs per request.
func TestWrkScriptPostsEachDeliveryUnique(t *testing.T) {
	deliveries, err := loadDeliveries()
	if err != nil {
		t.Fatal(err)
	}
	script := wrkScript(deliveries)
	opening := regexp.MustCompile(`\[(=*)\[\n`)
	var strs []string
	for rest := script; ; {
		m := opening.FindStringSubmatchIndex(rest)
		if m == nil {
			break
		}
		closing := "]" + rest[m[2]:m[3]] + "]"
		end := strings.Index(rest[m[1]:], closing)
		if end < 0 {
			t.Fatalf("a long string opened at %q is never closed", rest[m[0]:m[1]])
		}
		strs = append(strs, rest[m[1]:m[1]+end])
		rest = rest[m[1]+end+len(closing):]
	}
	n := len(deliveries)
	if len(strs) != 3*n {
		t.Fatalf("the script holds %d long strings, want %d (a path, a head and a tail per delivery)", len(strs), 3*n)
	}
	for i, d := range deliveries {
		path, head, tail := strs[i], strs[n+i], strs[2*n+i]
		if path != d.path {
			t.Errorf("delivery %s: path %q, want %q", d.name, path, d.path)
		}
		first, second := head+"1"+tail, head+"2"+tail
		if !json.Valid([]byte(first)) || first == second {
			t.Errorf("delivery %s: request bodies %.80q... are not valid JSON or not unique", d.name, first)
		}
		if !strings.Contains(first, `"wrk-1"`) {
			t.Errorf("delivery %s: the marker is not a string of its own in %.200q", d.name, first)
		}
	}
}

// TestLuaStringSurvivesItsOwnClosingBracket quotes text that holds the closing bracket of the
// lowest levels.
func TestLuaStringSurvivesItsOwnClosingBracket(t *testing.T) {
	if got, want := luaString(`a]]b]=]c`), "[==[\na]]b]=]c]==]"; got != want {
		t.Errorf("luaString = %q, want %q", got, want)
	}
}
