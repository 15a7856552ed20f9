// Package procstat reads what Linux says of a process under /proc, for the load tool and the
// tests that measure hooknormd from outside.
package procstat

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// ResidentMemory returns the resident memory of the process pid now and at its peak, in bytes,
// from /proc/PID/status (pid 0 is this process); zero where the system does not say.
func ResidentMemory(pid int) (now, peak int64) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var kib int64
		field, value, _ := strings.Cut(lines.Text(), ":")
		fmt.Sscanf(strings.TrimSpace(value), "%d", &kib)
		switch field {
		case "VmRSS":
			now = kib << 10
		case "VmHWM":
			peak = kib << 10
		}
	}
	return now, peak
}
