package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// deadLetters is the file forward and replay append the events to that the endpoint refused
// for good, one JSON line each, so they can be looked at and sent again later.
type deadLetters struct {
	path string
	file *os.File
}

// deadLetter is one line of the dead-letter file.
type deadLetter struct {
	// Sequence is the event's position in hooknormd's log.
	Sequence uint64 `json:"sequence"`
	// ID is the event's id.
	ID string `json:"id"`
	// Status is the HTTP status of the endpoint's last answer, for example 400.
	Status int `json:"status"`
	// Reason says why the event was given up on: the endpoint's last answer.
	Reason string `json:"reason"`
	// Attempts is how many times the event was sent.
	Attempts int `json:"attempts"`
	// To is the endpoint.
	To string `json:"to"`
	// At is when the event was given up on, in RFC 3339.
	At string `json:"at"`
	// Event is the hooknorm.v1.Event as JSON, as forward sends it with --format event-json.
	Event json.RawMessage `json:"event"`
}

// openDeadLetters opens path for appending, creating it if needed; "" means no dead-letter file.
func openDeadLetters(path string) (*deadLetters, error) {
	if path == "" {
		return nil, nil
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, usagef("--dead-letter %s cannot be opened for appending: %s", path, fileProblem(err))
	}
	return &deadLetters{path: path, file: file}, nil
}

// add appends one event and flushes it to disk, so that the cursor never moves past an event
// that is neither delivered nor safely set aside.
func (d *deadLetters) add(e *hooknormv1.Event, to string, status, attempts int, reason string, at time.Time) error {
	event, err := protojson.Marshal(e)
	if err != nil {
		return fmt.Errorf("sequence %d could not be written as JSON to the dead-letter file", e.GetSequence())
	}
	line, err := json.Marshal(deadLetter{Sequence: e.GetSequence(), ID: e.GetId(), Status: status, Reason: reason, Attempts: attempts,
		To: to, At: at.UTC().Format(time.RFC3339), Event: event})
	if err != nil {
		return fmt.Errorf("sequence %d could not be written as JSON to the dead-letter file", e.GetSequence())
	}
	if _, err := d.file.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing sequence %d to the dead-letter file %s: %s", e.GetSequence(), d.path, fileProblem(err))
	}
	if err := d.file.Sync(); err != nil {
		return fmt.Errorf("writing sequence %d to the dead-letter file %s: %s", e.GetSequence(), d.path, fileProblem(err))
	}
	return nil
}

// close closes the file.
func (d *deadLetters) close() {
	if d != nil {
		d.file.Close()
	}
}

// fileProblem says what is wrong with a file in a few words, without the system call's text.
func fileProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "it, or its directory, does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, fs.ErrExist):
		return "it already exists"
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}
