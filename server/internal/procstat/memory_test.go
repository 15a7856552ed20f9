package procstat_test

import (
	"os"
	"runtime"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/procstat"
)

// TestResidentMemoryGrowsWithWhatIsTouched reads this process's memory by pid and as itself,
// touches 64 MiB, and checks that both the current and the peak figure grew by most of it.
func TestResidentMemoryGrowsWithWhatIsTouched(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc, which only Linux has")
	}
	before, _ := procstat.ResidentMemory(os.Getpid())
	if before == 0 {
		t.Fatal("no resident memory read for this process from /proc")
	}
	block := make([]byte, 64<<20)
	for i := range block {
		block[i] = 1
	}
	now, peak := procstat.ResidentMemory(0)
	if now-before < 48<<20 || peak < now {
		t.Errorf("after touching 64 MiB: resident %d bytes (was %d), peak %d", now, before, peak)
	}
	runtime.KeepAlive(block)
}

// TestResidentMemoryOfNoProcessIsZero asks for a pid no process has.
func TestResidentMemoryOfNoProcessIsZero(t *testing.T) {
	if now, peak := procstat.ResidentMemory(1 << 30); now != 0 || peak != 0 {
		t.Errorf("resident memory of no process = %d, %d; want 0, 0", now, peak)
	}
}
