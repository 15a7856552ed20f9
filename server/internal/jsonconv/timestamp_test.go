package jsonconv

import (
	"testing"
	"time"
)

// TestDaysSinceEpoch checks the day count of every date a Timestamp can hold against the time
// package's.
func TestDaysSinceEpoch(t *testing.T) {
	for day := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() <= 9999; day = day.AddDate(0, 0, 1) {
		want := day.Unix() / 86400
		if got := daysSinceEpoch(day.Year(), int(day.Month()), day.Day()); got != want {
			t.Fatalf("daysSinceEpoch(%s) = %d, want %d", day.Format(time.DateOnly), got, want)
		}
	}
}

// rfc3339Cases are timestamps around the edges of the form rfc3339UTC reads.
var rfc3339Cases = []string{
	"2025-01-27T15:22:07.000Z", "2025-01-27T15:22:07Z", "2025-01-27T15:22:07.1Z", "2025-01-27T15:22:07.123456789Z",
	"2025-01-27T15:22:07.1234567891Z", "2025-01-27t15:22:07Z", "2025-01-27T15:22:07z", "2025-02-29T00:00:00Z",
	"2024-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-02-30T00:00:00Z",
	"2025-13-01T00:00:00Z", "2025-00-10T00:00:00Z", "2025-01-00T00:00:00Z", "2025-12-31T23:59:60Z", "2025-12-31T24:00:00Z",
	"2025-12-31T23:60:00Z", "0000-01-01T00:00:00Z", "0000-02-29T12:00:00Z", "0001-01-01T00:00:00Z",
	"9999-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.5Z", "1970-01-01T00:00:00Z", "2025-01-27T15:22:07+02:00",
	"2025-01-27T15:22:07.5-07:30", "2025-01-27T15:22:07,5Z", "2025-01-27T15:22:07.Z", "2025-01-27T15:22:07..5Z",
	"2025-01-27 15:22:07Z", "2025-1-27T15:22:07Z", "+2025-01-27T15:22:07Z", "2025-01-27T1522:07Z", "2025-01-27T15:22:07.000ZZ",
	"2025-01-27T15:22:07.-1Z", "2025-01-27T15:22:07.1e3Z", "2025-01-27T15:22:07.+1Z", "2025-01-27T15:22:0-Z", "202a-01-27T15:22:07Z",
	"2025-01-27T15:22:07ZZ", "2025-01-27T15:22:07", "2025-01-27", "Z", "",
}

// TestRFC3339UTCMatchesTimeParse checks that what rfc3339UTC reads, time.Parse reads as the same
// time, and that it reads the common forms.
func TestRFC3339UTCMatchesTimeParse(t *testing.T) {
	read := 0
	for _, s := range rfc3339Cases {
		if checkRFC3339UTC(t, s) {
			read++
		}
	}
	if read < 12 {
		t.Errorf("rfc3339UTC read only %d of the cases", read)
	}
}

func FuzzRFC3339UTC(f *testing.F) {
	for _, s := range rfc3339Cases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkRFC3339UTC(t, s) })
}

// checkRFC3339UTC fails t when rfc3339UTC reads s other than time.Parse does; it reports whether
// rfc3339UTC read it.
func checkRFC3339UTC(t *testing.T, s string) bool {
	t.Helper()
	seconds, nanos, ok := rfc3339UTC([]byte(s))
	if !ok {
		return false
	}
	want, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("rfc3339UTC read %q, which time.Parse refuses: %v", s, err)
	}
	if seconds != want.Unix() || nanos != int32(want.Nanosecond()) {
		t.Fatalf("rfc3339UTC(%q) = %d.%09d, time.Parse %d.%09d", s, seconds, nanos, want.Unix(), want.Nanosecond())
	}
	return true
}
