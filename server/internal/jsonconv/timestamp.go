package jsonconv

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// timeLayouts are the textual timestamp forms the providers send, tried in order: ISO 8601 with
// a Z or an offset (with or without a colon, with or without fractional seconds), Ruby's default
// Time#to_s, and a bare date or local time, read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// epochMillisThreshold separates epoch seconds from epoch milliseconds: 1e11 seconds is the year
// 5138, 1e11 milliseconds is March 1973.
const epochMillisThreshold = 1e11

// timestamp reads an ISO 8601 string, or Unix epoch seconds or milliseconds given as a number or
// a string of digits. It reports false for anything else, or for a time outside the range a
// google.protobuf.Timestamp holds.
func timestamp(val any) (*timestamppb.Timestamp, bool) {
	var t time.Time
	switch v := val.(type) {
	case json.Number:
		parsed, ok := epoch(v.String())
		if !ok {
			return nil, false
		}
		t = parsed
	case string:
		s := strings.TrimSpace(v)
		parsed, ok := epoch(s)
		if !ok {
			parsed, ok = parseTime(s)
		}
		if !ok {
			return nil, false
		}
		t = parsed
	default:
		return nil, false
	}
	ts := timestamppb.New(t)
	if ts.CheckValid() != nil {
		return nil, false
	}
	return ts, true
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// epoch reads Unix seconds or milliseconds written as a decimal number; integers are read
// exactly, fractions to the nearest nanosecond.
func epoch(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if math.Abs(float64(n)) >= epochMillisThreshold {
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "xXpPnNiI") {
		return time.Time{}, false
	}
	if math.Abs(f) >= epochMillisThreshold {
		f /= 1000
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), true
}
