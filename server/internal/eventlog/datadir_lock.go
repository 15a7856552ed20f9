package eventlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrDataDirLocked says another process holds the data directory. Two embedded servers on one
// store each rewrite its files as they see them, so each loses what the other acknowledged.
var ErrDataDirLocked = errors.New("the data directory is in use by another process")

// ErrDataDirUnusable says the data directory cannot be created, written or locked.
var ErrDataDirUnusable = errors.New("the data directory cannot be used")

// lockFileName is the file in the data directory whose lock says a process uses the directory.
// The embedded NATS server keeps its store in the jetstream subdirectory and leaves it alone.
// The file stays after the lock is released: removing it could let a process that opened it
// just before lock a file nobody else sees any more.
const lockFileName = "hooknormd.lock"

// dataDirPerm is the mode of a data directory hooknormd creates: the log holds raw webhook
// bodies, which are nobody else's business (the embedded NATS server uses the same mode).
const dataDirPerm = 0o700

// holderWait bounds how long a refused process waits for the holder to record itself, when it
// has just taken the lock and not yet written the file.
const holderWait = time.Second

// holder is what the lock file records about the process that holds the lock.
type holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

func (h holder) String() string {
	return fmt.Sprintf("pid %d on host %s, since %s", h.PID, h.Host, h.Started.Format(time.RFC3339))
}

// dataDirLock is an exclusive lock on a data directory, held as long as its lock file is open.
// The kernel releases it when the process ends, however it ends: a killed process leaves no
// stale lock behind.
type dataDirLock struct {
	file *os.File
}

// lockDataDir creates dir if it is missing and locks it, or says which process holds it.
func lockDataDir(dir string) (*dataDirLock, error) {
	if err := os.MkdirAll(dir, dataDirPerm); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDataDirUnusable, err)
	}
	path := filepath.Join(dir, lockFileName)
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDataDirUnusable, err)
	}
	locked, err := tryLock(file)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%w: locking %s: %w", ErrDataDirUnusable, path, err)
	}
	if !locked {
		file.Close()
		return nil, fmt.Errorf("%w: %s is held by %s; two logs on one directory would lose each other's events",
			ErrDataDirLocked, dir, readHolder(path))
	}
	if err := recordHolder(file); err != nil {
		file.Close()
		return nil, fmt.Errorf("%w: recording this process in %s: %v", ErrDataDirUnusable, path, err)
	}
	return &dataDirLock{file: file}, nil
}

// recordHolder writes this process into the locked file, so that a refused process can name it.
func recordHolder(file *os.File) error {
	host, _ := os.Hostname()
	record, err := json.Marshal(holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	if err := file.Truncate(0); err != nil {
		return err
	}
	_, err = file.WriteAt(append(record, '\n'), 0)
	return err
}

// readHolder describes the process recorded in the lock file at path. A holder that has just
// taken the lock may not have written the file yet: it waits a little for it.
func readHolder(path string) string {
	deadline := time.Now().Add(holderWait)
	for {
		var h holder
		data, err := os.ReadFile(path)
		if err == nil && json.Unmarshal(data, &h) == nil && h.PID > 0 {
			return h.String()
		}
		if time.Now().After(deadline) {
			return "a process that has not recorded its pid in " + path
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// release gives up the lock. Closing the file releases it; the file stays.
func (l *dataDirLock) release() error {
	if l == nil || l.file == nil {
		return nil
	}
	err := l.file.Close()
	l.file = nil
	return err
}
