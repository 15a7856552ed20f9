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
		if seconds, nanos, utc := rfc3339UTC(text); utc {
			return seconds, nanos, seconds >= minTimestampSeconds && seconds <= maxTimestampSeconds
		}
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

// rfc3339UTC reads the form nearly every provider timestamp takes, 2006-01-02T15:04:05Z with up
// to nine digits of fraction, without the time package: it reports false for anything else,
// which parseTime then reads. What it accepts, time.Parse(time.RFC3339Nano) accepts as the same
// time.
func rfc3339UTC(s []byte) (seconds int64, nanos int32, ok bool) {
	const dateTime = len("2006-01-02T15:04:05")
	if len(s) <= dateTime || s[len(s)-1] != 'Z' ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, 0, false
	}
	year, ok1 := decimal(s[0:4])
	month, ok2 := decimal(s[5:7])
	day, ok3 := decimal(s[8:10])
	hour, ok4 := decimal(s[11:13])
	minute, ok5 := decimal(s[14:16])
	second, ok6 := decimal(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59 {
		return 0, 0, false
	}
	if fraction := s[dateTime : len(s)-1]; len(fraction) > 0 {
		digits, valid := decimal(fraction[1:])
		if fraction[0] != '.' || len(fraction) < 2 || len(fraction) > 10 || !valid {
			return 0, 0, false
		}
		for range 10 - len(fraction) {
			digits *= 10
		}
		nanos = int32(digits)
	}
	days := daysSinceEpoch(year, month, day)
	return days*86400 + int64(hour*3600+minute*60+second), nanos, true
}

// decimal reads a run of decimal digits, at most nine.
func decimal(s []byte) (int, bool) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn is the number of days in a month of the proleptic Gregorian calendar.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	default:
		return 31
	}
}

// daysSinceEpoch counts the days from 1970-01-01 to a date of the proleptic Gregorian calendar
// in years 0 to 9999, with years that begin in March so that leap days come last.
func daysSinceEpoch(year, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := (year + 400) / 400 // year is at least -1
	yearOfEra := year + 400 - era*400
	dayOfYear := (153*((month+9)%12)+2)/5 + day - 1
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear
	return int64(era-1)*146097 + int64(dayOfEra) - 719468
}
