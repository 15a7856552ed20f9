// Package eventlog is hooknorm's durable log of events: a NATS JetStream stream, run inside
// hooknormd (embedded, file storage under a data directory) or on an external NATS cluster shared
// by several hooknormd replicas. An append returns only once the event is stored; repeated
// deliveries of one event are stored once within the duplicate window; readers resume from any
// sequence still retained. It knows nothing of gRPC.
package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamName is the JetStream stream that holds the log.
const StreamName = "HOOKNORM_EVENTS"

// subjectRoot starts the subject of every event: hooknorm.events.<source>.<tenant>.
const subjectRoot = "hooknorm.events"

// Fsync says when the embedded store flushes to disk.
type Fsync string

const (
	// FsyncPeriodic flushes every SyncInterval: a killed process loses nothing, a power cut may
	// lose the last interval.
	FsyncPeriodic Fsync = "periodic"
	// FsyncAlways flushes before every acknowledgement: nothing acknowledged is lost even on a
	// power cut, at the cost of throughput.
	FsyncAlways Fsync = "always"
)

// Config says where the log lives and what it keeps.
type Config struct {
	// DataDir is where the embedded server stores the log; unused with NATSURL.
	DataDir string
	// NATSURL points at an external NATS cluster; empty runs NATS inside hooknormd.
	NATSURL string
	// Replicas is how many copies of the stream an external cluster keeps (1 embedded).
	Replicas int
	// RetentionAge drops events older than this; 0 keeps them forever.
	RetentionAge time.Duration
	// RetentionBytes drops the oldest events beyond this size; 0 means no limit.
	RetentionBytes int64
	// DuplicateWindow is how long an event id is remembered to store repeats once.
	DuplicateWindow time.Duration
	// Fsync is the embedded store's flush policy.
	Fsync Fsync
	// SyncInterval is the periodic flush interval of the embedded store.
	SyncInterval time.Duration
	// MaxRecordBytes is the largest record accepted (a typed event with its raw body).
	MaxRecordBytes int32
	// MaxReaders is how many readers may hold a consumer of the log at once, each fetching a few
	// records ahead; one more waits until another is closed or parks (see consumer.go). 0 means
	// DefaultMaxReaders. The reader Follow opens does not count.
	MaxReaders int
	// ReaderInactiveThreshold is how long NATS keeps a reader's consumer that is not pulled from
	// before removing it; 0 means NATS's default, 5 minutes. A reader whose caller stops reading
	// gives its consumer up well before: after half of it, or 30 seconds if that is shorter.
	ReaderInactiveThreshold time.Duration
}

// Log is an open event log. It is safe for concurrent use.
type Log struct {
	logger   *slog.Logger
	dirLock  *dataDirLock
	cfg      Config
	embedded *server.Server
	storage  *storage // watches the embedded server's storage; nil on an external cluster
	maxStore int64    // the embedded JetStream's storage limit, 0 for its own default
	conn     *nats.Conn
	js       jetstream.JetStream
	stream   jetstream.Stream

	generation     atomic.Uint64 // restarts of the embedded JetStream (see reopen.go)
	readersMu      sync.Mutex
	readers        map[*Reader]struct{} // the open readers
	readerSlots    chan struct{}        // one per reader holding a consumer (see consumer.go)
	waitingReaders atomic.Int64         // readers waiting for a slot

	natsState natsState // what became of the connection to an external cluster, and its refusals

	infoMu    sync.Mutex
	infoAt    time.Time
	infoLast  uint64
	infoFirst uint64
}

// appendTimeout bounds how long an append waits for the log's acknowledgement.
const appendTimeout = 5 * time.Second

// A connection to a NATS server that answers nothing, yet stays open (its machine froze, or a
// partition drops packets without a reset), is left for another server of the cluster once
// maxPingsOutstanding pings sent every pingInterval went unanswered: within about 8 s, where
// NATS's defaults (2 minutes, 2 pings) refused every delivery for up to 6 minutes.
const (
	pingInterval        = 2 * time.Second
	maxPingsOutstanding = 3
)

// ErrUnavailable wraps failures to reach the log; the caller may retry.
var ErrUnavailable = errors.New("the event log is unavailable")

// Open starts or connects to NATS and creates (or updates) the stream. Before it starts an
// embedded server, it locks the data directory until Close: a directory another process holds
// is refused with ErrDataDirLocked, one that cannot be created, written or locked with
// ErrDataDirUnusable.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Log, error) {
	maxReaders := cfg.MaxReaders
	if maxReaders <= 0 {
		maxReaders = DefaultMaxReaders
	}
	l := &Log{logger: logger, cfg: cfg, readerSlots: make(chan struct{}, maxReaders)}
	var err error
	if cfg.NATSURL == "" {
		if l.dirLock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
		if err = l.startEmbedded(); err != nil {
			l.Close()
			return nil, err
		}
	} else if l.conn, err = nats.Connect(cfg.NATSURL, l.connOptions(nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.PingInterval(pingInterval), nats.MaxPingsOutstanding(maxPingsOutstanding))...); err != nil {
		return nil, connectFailed(cfg, err)
	} else if err = checkPayload(l.conn, cfg.MaxRecordBytes); err != nil {
		l.Close()
		return nil, err
	}
	if l.js, err = jetstream.New(l.conn, jetstream.WithPublishAsyncTimeout(appendTimeout)); err != nil {
		l.Close()
		return nil, fmt.Errorf("opening JetStream: %w", err)
	}
	previous := previousSettings(ctx, l.js)
	if l.stream, err = createStream(ctx, l.js, cfg); err != nil {
		l.Close()
		return nil, err
	}
	if previous != nil {
		if changes := settingChanges(*previous, l.stream.CachedInfo().Config); len(changes) > 0 {
			logger.Warn("this hooknormd changed the log's settings, for every replica that shares it", changes...)
		}
	}
	if l.storage != nil {
		l.storage.start(l.restartJetStream)
	}
	return l, nil
}

// connOptions are the options of hooknormd's NATS connections: asynchronous errors and
// reconnections go to hooknormd's log rather than to standard error.
func (l *Log) connOptions(more ...nats.Option) []nats.Option {
	return append([]nats.Option{
		nats.Name("hooknormd"),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				l.logger.Warn("NATS reported an error", "error", err, "subject", sub.Subject)
				return
			}
			l.logger.Warn("NATS reported an error", "error", err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				l.natsState.noteDisconnect(err)
				l.logger.Warn("disconnected from NATS", "error", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			l.natsState.noteReconnect()
			l.logger.Info("reconnected to NATS", "url", c.ConnectedUrlRedacted())
		}),
	}, more...)
}

// startEmbedded starts the NATS server inside hooknormd, with JetStream storing under the data
// directory, and connects to it in process.
func (l *Log) startEmbedded() error {
	cfg := l.cfg // the data directory exists: lockDataDir made it
	// JetStream would cap its store at three quarters of the space free when it starts, however
	// much is freed later: the log may take the whole file system instead (--retention-bytes
	// bounds it), and a full disk is noticed and recovered from (see storage).
	if fs, err := fileSystemOf(cfg.DataDir); err == nil && fs.known {
		l.maxStore = int64(min(fs.size, math.MaxInt64))
	}
	ns, err := server.NewServer(&server.Options{
		ServerName:        "hooknormd",
		JetStream:         true,
		StoreDir:          cfg.DataDir,
		JetStreamMaxStore: l.maxStore,
		DontListen:        true,
		NoSigs:            true,
		NoLog:             true,
		MaxPayload:        cfg.MaxRecordBytes,
		SyncAlways:        cfg.Fsync == FsyncAlways,
		SyncInterval:      cfg.SyncInterval,
	})
	if err != nil {
		return fmt.Errorf("configuring the embedded NATS server: %w", err)
	}
	if l.storage, err = newStorage(cfg.DataDir, int64(cfg.MaxRecordBytes), ns, l.logger); err != nil {
		ns.Shutdown()
		return err
	}
	ns.SetLoggerV2(serverLogger{logger: l.logger, reported: l.storage.reported, fatal: l.storage.fatal}, false, false, false)
	go ns.Start()
	deadline := time.Now().Add(30 * time.Second)
	for !ns.ReadyForConnections(100 * time.Millisecond) {
		if failure := l.storage.startFailure(); failure != "" {
			ns.Shutdown()
			return fmt.Errorf("the embedded NATS server could not start in the data directory %s: %s", cfg.DataDir, failure)
		}
		if time.Now().After(deadline) {
			ns.Shutdown()
			return fmt.Errorf("the embedded NATS server did not start within 30s (data dir %s)", cfg.DataDir)
		}
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		return fmt.Errorf("the embedded JetStream did not start in the data directory %s (%s)", cfg.DataDir, l.storage.lastServerReport())
	}
	conn, err := nats.Connect(ns.ClientURL(), append(l.connOptions(), nats.InProcessServer(ns))...)
	if err != nil {
		ns.Shutdown()
		return fmt.Errorf("connecting to the embedded NATS server: %w", err)
	}
	l.embedded, l.conn = ns, conn
	return nil
}

// jetStreamShutdownWait bounds how long a restart of the embedded JetStream waits for a shutdown
// the server began on its own to finish.
const jetStreamShutdownWait = 30 * time.Second

// restartJetStream stops and starts the embedded JetStream, which recovers the stream from the
// data directory: a store that failed to write refuses every write until then.
func (l *Log) restartJetStream(ctx context.Context) error {
	ns := l.embedded
	if err := ns.ShutdownJetStream(); err != nil {
		return fmt.Errorf("stopping JetStream: %w", err)
	}
	// ShutdownJetStream does not wait for a shutdown the server began on its own.
	deadline := time.Now().Add(jetStreamShutdownWait)
	for ns.JetStreamConfig() != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("JetStream did not stop within %s", jetStreamShutdownWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := ns.EnableJetStream(&server.JetStreamConfig{StoreDir: l.cfg.DataDir, MaxStore: l.maxStore}); err != nil {
		return fmt.Errorf("starting JetStream: %w", err)
	}
	if _, err := createStream(ctx, l.js, l.cfg); err != nil {
		return err
	}
	l.interruptReaders()
	return nil
}

// DuplicateWindow is how long the log recognises repeats of an event under cfg: the configured
// window, or the retention age when that is shorter, since JetStream remembers ids only as long
// as it keeps their events.
func DuplicateWindow(cfg Config) time.Duration {
	if cfg.RetentionAge > 0 && cfg.DuplicateWindow > cfg.RetentionAge {
		return cfg.RetentionAge
	}
	return cfg.DuplicateWindow
}

func createStream(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.Stream, error) {
	replicas := max(cfg.Replicas, 1)
	dupes := DuplicateWindow(cfg)
	maxBytes := cfg.RetentionBytes
	if maxBytes <= 0 {
		maxBytes = -1
	}
	streamCfg := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "hooknorm's durable log of normalized webhook events",
		Subjects:    []string{subjectRoot + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.RetentionAge,
		MaxBytes:    maxBytes,
		Duplicates:  dupes,
		Replicas:    replicas,
		MaxMsgSize:  cfg.MaxRecordBytes,
		AllowDirect: true,
	}
	// A cluster that is still electing leaders answers slowly at first: try for a while.
	deadline := time.Now().Add(30 * time.Second)
	for {
		tryCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		stream, err := js.CreateOrUpdateStream(tryCtx, streamCfg)
		cancel()
		if err == nil {
			return stream, nil
		}
		if final := unsuitable(err, cfg); final != nil {
			return nil, final
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, explainCreateFailure(err, cfg)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Close disconnects and, for an embedded server, stops it after flushing the store, then
// releases the data directory.
func (l *Log) Close() error {
	if l.storage != nil {
		l.storage.close()
	}
	if l.conn != nil {
		l.conn.Close()
	}
	if l.embedded != nil {
		l.embedded.Shutdown()
		l.embedded.WaitForShutdown()
	}
	return l.dirLock.release()
}

// Ready reports whether the log can be written: the connection is up, the embedded log's storage
// can store (it is not full, read-only or removed, and no write failed), the stream answers, and
// on a cluster it has a leader. The reason says why not: on a cluster it also tells what the
// cluster last said when it refused to store an event for lack of storage.
func (l *Log) Ready(ctx context.Context) error {
	if err := l.unreachable(); err != nil {
		return err
	}
	if err := l.storage.current(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if _, err := l.info(ctx); err != nil {
		return l.withRefusal(err)
	}
	return nil
}

// StorageHealth reports whether the log can store events now, as last seen (see Ready for why
// not), and how many times it stopped being able to. For the embedded log that is its storage:
// a full, read-only or removed data directory, a failed write. On an external cluster it is what
// readiness checks, appends and subscribers last saw of the cluster: no connection, a stream
// without a leader, a refusal for lack of storage since the last event stored.
func (l *Log) StorageHealth() (writable bool, failures uint64) {
	if l.storage == nil {
		writable, failures = l.natsState.health()
		// The connection says it dropped before its handler tells natsState.
		return writable && l.conn.IsConnected(), failures
	}
	return l.storage.health()
}

// bounds returns the first and last sequence of the log, at most a second old.
func (l *Log) bounds(ctx context.Context) (first, last uint64, err error) {
	l.infoMu.Lock()
	defer l.infoMu.Unlock()
	if time.Since(l.infoAt) < time.Second {
		return l.infoFirst, l.infoLast, nil
	}
	info, err := l.info(ctx)
	if err != nil {
		return 0, 0, err
	}
	l.infoAt, l.infoFirst, l.infoLast = time.Now(), info.State.FirstSeq, info.State.LastSeq
	return l.infoFirst, l.infoLast, nil
}

// LastSequence returns the sequence of the newest event, at most a second old.
func (l *Log) LastSequence(ctx context.Context) (uint64, error) {
	_, last, err := l.bounds(ctx)
	return last, err
}

// RecordLimit is the largest record for bodies of up to maxBodyBytes: the raw body, the typed
// event (about as large again) and headroom.
func RecordLimit(maxBodyBytes int64) int32 {
	return int32(min(3*maxBodyBytes+recordHeadroom, 1<<30))
}

// recordHeadroom is what a record may take beyond three times its body.
const recordHeadroom = 64 << 10

// FreshLastSequence returns the sequence of the newest event, asking the log now.
func (l *Log) FreshLastSequence(ctx context.Context) (uint64, error) {
	info, err := l.info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

// Stats returns how many events the log holds and how many bytes they take, asking the log now.
func (l *Log) Stats(ctx context.Context) (events, bytes, last uint64, err error) {
	info, err := l.info(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	return info.State.Msgs, info.State.Bytes, info.State.LastSeq, nil
}
