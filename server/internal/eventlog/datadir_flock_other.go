//go:build !unix || aix

package eventlog

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// tryLock refuses: without flock(2) hooknormd cannot keep a second process off its data
// directory, and two embedded logs on one directory lose each other's events.
func tryLock(*os.File) (bool, error) {
	return false, fmt.Errorf("%w: hooknormd cannot lock its data directory on %s; keep the log on an external NATS server instead",
		errors.ErrUnsupported, runtime.GOOS)
}
