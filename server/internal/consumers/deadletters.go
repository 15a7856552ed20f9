package consumers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/nats-io/nats.go/jetstream"
)

// Keys of the consumers bucket: dead.NAME.SEQ and error.NAME.SEQ, the sequence written with 20
// digits so keys sort as their sequences do.
const (
	deadPrefix  = "dead."
	errorPrefix = "error."
)

func deadKey(name string, seq uint64) string { return fmt.Sprintf("%s%s.%020d", deadPrefix, name, seq) }
func errorKey(name string, seq uint64) string {
	return fmt.Sprintf("%s%s.%020d", errorPrefix, name, seq)
}

// DeadLetter is an event a consumer set aside after its maximum deliveries.
type DeadLetter struct {
	// Sequence is the event's sequence in the log.
	Sequence uint64 `json:"sequence"`
	// Type is the event's type.
	Type string `json:"type"`
	// Deliveries is how many times it was handed out.
	Deliveries uint64 `json:"deliveries"`
	// LastError is what went wrong the last time.
	LastError string `json:"last_error"`
	// DeadAt is when it was set aside.
	DeadAt time.Time `json:"dead_at"`
}

// bury records the event at seq as a dead letter of the consumer called name, with the error its
// last delivery met.
func (m *Manager) bury(ctx context.Context, name string, seq, deliveries uint64, lastError string) error {
	d := DeadLetter{Sequence: seq, Deliveries: deliveries, LastError: lastError, DeadAt: time.Now().UTC()}
	if msg, err := m.stored(ctx, seq); err == nil {
		d.Type = eventlog.RecordOfStored(msg).Type
	}
	data, _ := json.Marshal(d) // plain values: cannot fail
	putCtx, cancel := bounded(ctx)
	_, err := m.kv.Put(putCtx, deadKey(name, seq), data)
	cancel()
	if err != nil {
		return unavailable("recording a dead letter", err)
	}
	m.forgetError(ctx, name, seq)
	m.counters.DeadLettered(name)
	return nil
}

// lastError returns the error the last nack of the event at seq gave, if any.
func (m *Manager) lastError(ctx context.Context, name string, seq uint64) string {
	ctx, cancel := bounded(ctx)
	defer cancel()
	entry, err := m.kv.Get(ctx, errorKey(name, seq))
	if err != nil {
		return ""
	}
	return string(entry.Value())
}

// forgetError removes the error a nack of the event at seq left, if any.
func (m *Manager) forgetError(ctx context.Context, name string, seq uint64) {
	if err := m.purge(ctx, errorKey(name, seq)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		m.logger.Debug("a consumer's last error could not be removed", "consumer", name, "sequence", seq, "error", err)
	}
}

// keys returns the keys of the bucket that match filter, sorted.
func (m *Manager) keys(ctx context.Context, filter string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	lister, err := m.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, unavailable("listing dead letters", err)
	}
	var keys []string
	for key := range lister.Keys() {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys, nil
}

// DeadLetters lists the dead letters of the consumer called name after the sequence after, at
// most limit of them, oldest event first; more says whether others follow.
func (m *Manager) DeadLetters(ctx context.Context, name string, after uint64, limit int) (letters []DeadLetter, more bool, err error) {
	if _, err := m.consumer(ctx, name); err != nil {
		return nil, false, err
	}
	keys, err := m.keys(ctx, deadPrefix+name+".>")
	if err != nil {
		return nil, false, err
	}
	from := deadKey(name, after)
	for _, key := range keys {
		if key <= from {
			continue
		}
		if len(letters) == limit {
			return letters, true, nil
		}
		getCtx, cancel := bounded(ctx)
		entry, err := m.kv.Get(getCtx, key)
		cancel()
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // redriven meanwhile
		} else if err != nil {
			return nil, false, unavailable("reading dead letters", err)
		}
		var d DeadLetter
		if json.Unmarshal(entry.Value(), &d) == nil {
			letters = append(letters, d)
		}
	}
	return letters, false, nil
}

// Redrive hands the dead letters of the consumer called name at sequences (all of them, when
// none are given) out again, through its redrive queue, with a fresh count of deliveries. It
// returns how many.
func (m *Manager) Redrive(ctx context.Context, name string, sequences []uint64) (int, error) {
	if _, err := m.consumer(ctx, name); err != nil {
		return 0, err
	}
	keys, err := m.keys(ctx, deadPrefix+name+".>")
	if err != nil {
		return 0, err
	}
	if len(sequences) > 0 {
		var named []string
		for _, seq := range sequences {
			key := deadKey(name, seq)
			if _, found := slices.BinarySearch(keys, key); !found {
				return 0, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
					"the event at sequence %d is no dead letter of consumer %q: list them with ListDeadLetters", seq, name).AtField("sequences")
			}
			named = append(named, key)
		}
		keys = named
	}
	for _, key := range keys {
		seq, _ := strconv.ParseUint(key[strings.LastIndexByte(key, '.')+1:], 10, 64)
		pubCtx, cancel := bounded(ctx)
		_, err := m.js.Publish(pubCtx, redriveSubject(name), []byte(strconv.FormatUint(seq, 10)))
		cancel()
		if err != nil {
			return 0, unavailable("redriving a dead letter", err)
		}
		if err := m.purge(ctx, key); err != nil {
			return 0, unavailable("redriving a dead letter", err)
		}
	}
	return len(keys), nil
}

// stored reads the event at seq from the log.
func (m *Manager) stored(ctx context.Context, seq uint64, opts ...jetstream.GetMsgOpt) (*jetstream.RawStreamMsg, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	return m.events.GetMsg(ctx, seq, opts...)
}

// purge removes key from the consumers bucket.
func (m *Manager) purge(ctx context.Context, key string) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	return m.kv.Purge(ctx, key)
}
