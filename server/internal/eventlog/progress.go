package eventlog

import (
	"context"
	"time"
)

// A reader whose filter leaves events out cannot show how far it has read by the records it
// returns: after the last event it accepts, the log may hold any number of events it leaves out,
// and a caller that resumes after the last record, or waits to reach the newest event, would never
// get past them. So such a reader works out how far it has read and says so (Item.Through):
//   - when the log counts nothing more stored for it (NumPending is 0 on the last message), after
//     waiting progressIdle for an event, and every progressIdle while it leaves events out;
//   - at most every progressGap, so that a reader at the head of a busy log does not report, or
//     ask the log, for every event.
//
// A reader that leaves out only types is given every event, so it has read as far as the last one
// it was given. A reader that leaves out sources or tenants is given only theirs, so it asks the
// log (probe) how far the events it was not given go.
const (
	progressGap  = 250 * time.Millisecond
	progressIdle = time.Second
)

// progress is when a reader whose filter leaves events out works out how far it has read.
type progress struct {
	subjects []string  // the subjects the reader is given, when they leave some out
	due      bool      // the reader may have read everything stored for it
	next     time.Time // not before then
	told     time.Time // when the reader last said how far it had read
}

// newProgress returns the progress of a reader with filter, reading subjects; nil when the filter
// takes every event, so every event read is returned.
func newProgress(filter Filter, subjects []string) *progress {
	if !filter.bySubject() && !filter.byType() {
		return nil
	}
	p := &progress{due: true, told: time.Now()}
	if filter.bySubject() {
		p.subjects = subjects
	}
	return p
}

// wait is how long the reader may wait for an event before working out how far it has read.
func (p *progress) wait() time.Duration {
	if p.due {
		return max(time.Until(p.next), time.Millisecond)
	}
	return progressIdle
}

// leftOut notes that the reader left an event out.
func (p *progress) leftOut() {
	if p != nil && time.Since(p.told) >= progressIdle {
		p.due = true
	}
}

// checkProgress returns how far the reader has read when it is time to say so and it has read
// further than it said; 0 otherwise. When retention removed events the reader had not read, it
// sets the gap to return instead.
func (r *Reader) checkProgress(ctx context.Context) uint64 {
	p := r.progress
	if p == nil || !p.due {
		return 0
	}
	now := time.Now()
	if now.Before(p.next) {
		return 0
	}
	p.due, p.next = false, now.Add(progressGap)
	if !r.placed {
		return 0
	}
	through := r.last
	if p.subjects != nil {
		probed, gap, err := r.probe(ctx)
		switch {
		case err != nil:
			r.log.logger.Debug("a filtered reader could not work out how far it has read; it asks again", "error", err)
			p.due, p.next = true, now.Add(progressIdle)
			return 0
		case gap != nil:
			r.gap = gap
			p.due, p.next = true, now // then how far past it
			return 0
		}
		through = max(through, probed)
	}
	r.last = through
	if through <= r.told {
		return 0
	}
	r.told, p.told = through, now
	return through
}

// probe works out how far a reader given only some subjects has read: past the events of other
// subjects stored after the last event it read, up to the next event of its subjects, or to the
// newest event when there is none. It never claims an event of its subjects that the reader has
// not read: the newest sequence is read before the log is asked for the next event of its
// subjects, so every event up to it is stored by then, and both questions go to the stream's
// leader. It returns a gap instead when retention removed events the reader had not read.
func (r *Reader) probe(ctx context.Context) (uint64, *Gap, error) {
	_, last, err := r.log.freshBounds(ctx)
	if err != nil || last <= r.last {
		return r.last, nil, err
	}
	next, found, err := r.log.nextMatching(ctx, r.last+1, r.progress.subjects)
	if err != nil {
		return r.last, nil, err
	}
	through := last
	if found {
		through = min(last, next-1)
	}
	if through <= r.last {
		return r.last, nil, nil
	}
	if r.last > 0 {
		// The lookup passes over events retention removed: they were lost, not read.
		first, _, err := r.log.freshBounds(ctx)
		if err != nil {
			return r.last, nil, err
		}
		if first > r.last+1 {
			return r.last, &Gap{First: r.last + 1, Last: first - 1}, nil
		}
	}
	return through, nil, nil
}
