package procstat_test

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/procstat"
)

// TestCPUTimeAgreesWithGetrusage burns CPU for a while and checks that /proc's figure for this
// process, read by pid, moved with the one the kernel gives through getrusage, to within the
// resolution of /proc (10 ms a thread) and the time between the two readings.
func TestCPUTimeAgreesWithGetrusage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc, which only Linux has")
	}
	before, err := procstat.CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	usageBefore := rusage(t)
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
	}
	after, err := procstat.CPUTime(0)
	if err != nil {
		t.Fatal(err)
	}
	usageAfter := rusage(t)
	got, want := after-before, usageAfter-usageBefore
	if got < want/2 || got > want*2+100*time.Millisecond {
		t.Errorf("/proc says %s of CPU was used, getrusage %s", got, want)
	}
}

// TestCPUTimeOfNoProcessIsAnError asks for a pid no process has.
func TestCPUTimeOfNoProcessIsAnError(t *testing.T) {
	if _, err := procstat.CPUTime(1 << 30); err == nil {
		t.Error("CPU time of no process: no error")
	}
}

func rusage(t *testing.T) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		t.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}
