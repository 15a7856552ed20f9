package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// storageCheckInterval is how often the embedded log's storage is checked while nothing is
// reported: how soon a full, read-only or removed data directory shows in readiness, and how
// soon the log stores again once it can.
const storageCheckInterval = time.Second

// restartBackoff is the least time between two restarts of the embedded JetStream, should one
// not cure the store.
const restartBackoff = 5 * time.Second

// storageProblem is what keeps the embedded log from storing events.
type storageProblem struct {
	err error
	// refuses is set when appends cannot succeed, or would not last: they are refused at once
	// with err rather than waiting for the store to time out.
	refuses bool
	// restart is set when the embedded JetStream must be restarted to store again, which is done
	// once the data directory can be written.
	restart bool
	// notYet says why the data directory cannot be written yet, for a problem that waits for it.
	notYet error
}

// reason is the problem as readiness and appends report it.
func (p *storageProblem) reason() error {
	if p.notYet != nil {
		return fmt.Errorf("%w (it cannot yet: %v)", p.err, p.notYet)
	}
	return p.err
}

// storage watches the data directory and the embedded server's store. It tells readiness and
// appends what keeps the log from storing, and restarts JetStream once it can store again.
type storage struct {
	dir         string
	dirInfo     os.FileInfo // the data directory when the log opened
	recordLimit int64       // the largest record: with less free space the disk is nearly full
	server      *server.Server
	restart     func(context.Context) error
	logger      *slog.Logger
	wake        chan struct{}
	stop        context.CancelFunc
	done        chan struct{}

	mu          sync.Mutex
	problem     *storageProblem
	refused     chan struct{} // closed while appends are refused
	lastReport  string        // the last warning or error the embedded server logged
	fatalReport string        // the error the embedded server could not start after
	failures    uint64        // how many times appends began to be refused
	lastRestart time.Time
}

func newStorage(dir string, recordLimit int64, ns *server.Server, logger *slog.Logger) (*storage, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("the data directory: %w", err)
	}
	return &storage{
		dir:         dir,
		dirInfo:     info,
		recordLimit: recordLimit,
		server:      ns,
		logger:      logger,
		wake:        make(chan struct{}, 1),
		refused:     make(chan struct{}),
		done:        make(chan struct{}),
	}, nil
}

// reported records a warning or error of the embedded server and has the storage checked now.
// The server calls it with its locks held, so it only records.
func (s *storage) reported(text string) {
	s.mu.Lock()
	s.lastReport = text
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// fatal records an error the embedded server cannot start after.
func (s *storage) fatal(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fatalReport = text
}

// startFailure returns the error the embedded server could not start after, or "".
func (s *storage) startFailure() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fatalReport
}

// start checks the storage once, then keeps checking it until close.
func (s *storage) start(restart func(context.Context) error) {
	s.restart = restart
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.set(s.check())
	go s.watch(ctx)
}

// close stops watching.
func (s *storage) close() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
}

func (s *storage) watch(ctx context.Context) {
	defer close(s.done)
	ticker := time.NewTicker(storageCheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-s.wake:
		}
		problem := s.check()
		if problem != nil && problem.restart && s.mayRestart() {
			problem = s.recover(ctx, problem)
		}
		s.set(problem)
	}
}

// check finds what keeps the log from storing now, most serious first, or nil.
func (s *storage) check() *storageProblem {
	info, err := os.Stat(s.dir)
	switch {
	case err != nil:
		return &storageProblem{err: fmt.Errorf("the data directory %s was removed while hooknormd runs (%v): events stored now would be lost on restart, so none are accepted; "+
			"put the directory back, or restart hooknormd to start a new, empty log", s.dir, err), refuses: true}
	case !os.SameFile(info, s.dirInfo):
		return &storageProblem{err: fmt.Errorf("the data directory %s was replaced while hooknormd runs: events stored now would be lost on restart, so none are accepted; "+
			"put the directory back, or restart hooknormd to use the new one", s.dir), refuses: true}
	}
	if !s.server.JetStreamEnabled() {
		return &storageProblem{err: fmt.Errorf("the embedded JetStream stopped after a storage failure (%s); hooknormd restarts it once the data directory %s can be written",
			s.lastServerReport(), s.dir), refuses: true, restart: true}
	}
	if health := s.server.Healthz(nil); health.Error != "" {
		return &storageProblem{err: fmt.Errorf("the log's store failed: %s; hooknormd resumes storing once the data directory %s can be written",
			health.Error, s.dir), refuses: true, restart: true}
	}
	fs, err := fileSystemOf(s.dir)
	switch {
	case err != nil:
		return &storageProblem{err: fmt.Errorf("the file system of the data directory %s cannot be examined: %w", s.dir, err)}
	case fs.readOnly:
		return &storageProblem{err: fmt.Errorf("the data directory %s is on a file system mounted read-only: no event can be stored", s.dir), refuses: true}
	case fs.known && fs.free < uint64(s.recordLimit):
		return &storageProblem{err: fmt.Errorf("the data directory %s is nearly full: %d bytes free, less than the largest event may take (%d bytes); free space there or lower --max-body-bytes",
			s.dir, fs.free, s.recordLimit)}
	}
	return nil
}

// writable says why the data directory cannot take the largest record now, or nil.
func (s *storage) writable() error {
	fs, err := fileSystemOf(s.dir)
	switch {
	case err != nil:
		return err
	case fs.readOnly:
		return errors.New("its file system is mounted read-only")
	case fs.known && fs.free < uint64(s.recordLimit):
		return fmt.Errorf("only %d bytes free, less than the largest event may take (%d bytes)", fs.free, s.recordLimit)
	}
	return checkWrite(s.dir, s.recordLimit)
}

// mayRestart reports whether enough time passed since the last restart of JetStream.
func (s *storage) mayRestart() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Since(s.lastRestart) >= restartBackoff
}

// recover restarts JetStream if the data directory can be written again, and returns what keeps
// the log from storing afterwards.
func (s *storage) recover(ctx context.Context, problem *storageProblem) *storageProblem {
	if err := s.writable(); err != nil {
		problem.notYet = err // the next check tries again
		return problem
	}
	s.mu.Lock()
	s.lastRestart = time.Now()
	s.mu.Unlock()
	s.logger.Warn("the data directory can be written again: restarting the embedded JetStream to resume storing events", "data_dir", s.dir)
	if err := s.restart(ctx); err != nil {
		s.logger.Error("the embedded JetStream did not restart; trying again later", "error", err, "retry_in", restartBackoff.String())
		return problem
	}
	return s.check()
}

// set records the current problem, logs a change and refuses or admits appends accordingly.
func (s *storage) set(problem *storageProblem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.problem
	s.problem = problem
	wasRefusing := was != nil && was.refuses
	refusing := problem != nil && problem.refuses
	switch {
	case refusing && !wasRefusing:
		close(s.refused)
		s.failures++
	case !refusing && wasRefusing:
		s.refused = make(chan struct{})
	}
	switch {
	case problem == nil && was != nil:
		s.logger.Info("the event log's storage is healthy again", "data_dir", s.dir)
	case problem != nil && (was == nil || was.err.Error() != problem.err.Error()):
		if problem.refuses {
			s.logger.Error("the event log cannot store events", "reason", problem.err.Error())
		} else {
			s.logger.Warn("the event log's storage needs attention", "reason", problem.err.Error())
		}
	}
}

// current returns what keeps the log from storing now, or nil.
func (s *storage) current() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.problem == nil {
		return nil
	}
	return s.problem.reason()
}

// gate returns why appends are refused now; when they are not, a channel closed once they are.
func (s *storage) gate() (<-chan struct{}, error) {
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.problem != nil && s.problem.refuses {
		return nil, s.problem.reason()
	}
	return s.refused, nil
}

// refusal returns why appends are refused now, or nil.
func (s *storage) refusal() error {
	_, err := s.gate()
	return err
}

// health reports whether the log can store events now and how many times it could not.
func (s *storage) health() (writable bool, failures uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.problem == nil, s.failures
}

func (s *storage) lastServerReport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastReport == "" {
		return "it reported no cause"
	}
	return "it last reported: " + s.lastReport
}
