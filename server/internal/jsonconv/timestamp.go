package jsonconv

import (
	"bytes"
	"math"
	"strconv"
	"time"
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

// Range of a google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

// timestamp reads an ISO 8601 string, or Unix epoch seconds or milliseconds given as a number or
// a string of digits, as seconds and nanoseconds since the epoch. It reports false for anything
// else, or for a time outside the range a google.protobuf.Timestamp holds.
func timestamp(text []byte, isNumber bool) (int64, int32, bool) {
	text = bytes.TrimSpace(text)
	t, ok := epoch(text)
	if !ok && !isNumber {
		t, ok = parseTime(string(text))
	}
	if !ok {
		return 0, 0, false
	}
	seconds, nanos := t.Unix(), int32(t.Nanosecond())
	if seconds < minTimestampSeconds || seconds > maxTimestampSeconds {
		return 0, 0, false
	}
	return seconds, nanos, true
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
func epoch(s []byte) (time.Time, bool) {
	if n, ok := plainInteger(s); ok {
		if math.Abs(float64(n)) >= epochMillisThreshold {
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	if !numeric(s) {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e18 {
		return time.Time{}, false
	}
	if math.Abs(f) >= epochMillisThreshold {
		f /= 1000
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), true
}

// numeric reports whether s can only be a decimal number: digits, a sign, a point, an exponent.
// It keeps ISO dates away from strconv.ParseFloat.
func numeric(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for i, c := range s {
		switch {
		case '0' <= c && c <= '9', c == '.', c == 'e', c == 'E':
		case (c == '-' || c == '+') && (i == 0 || s[i-1] == 'e' || s[i-1] == 'E'):
		default:
			return false
		}
	}
	return true
}
