package eventlog

// A restart of the embedded JetStream (see storage) ends the consumers readers read from, without
// telling them: they would wait for a heartbeat to go missing before reading on. So the log counts
// its restarts (its generation), interrupts every open reader after one, and a reader interrupted
// so opens a new consumer after the last record it fetched and reads on, unnoticed by its caller
// (see nextMessage).

// addReader registers an open reader, for restarts to interrupt.
func (l *Log) addReader(r *Reader) {
	l.readersMu.Lock()
	defer l.readersMu.Unlock()
	if l.readers == nil {
		l.readers = map[*Reader]struct{}{}
	}
	l.readers[r] = struct{}{}
}

// removeReader forgets a closed reader.
func (l *Log) removeReader(r *Reader) {
	l.readersMu.Lock()
	defer l.readersMu.Unlock()
	delete(l.readers, r)
}

// interruptReaders counts a restart of JetStream and has every open reader reopen its consumer.
func (l *Log) interruptReaders() {
	l.generation.Add(1)
	l.readersMu.Lock()
	defer l.readersMu.Unlock()
	for r := range l.readers {
		r.mu.Lock()
		if r.messages != nil {
			r.messages.Stop()
		}
		r.mu.Unlock()
	}
}
