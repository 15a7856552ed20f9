package eventlog

import (
	"fmt"
	"log/slog"
)

// serverLogger passes what the embedded NATS server logs to hooknormd's log: warnings and errors
// as such, notices at debug level (they are its start-up banner and routine), debug and trace not
// at all. It tells reported, with the text, of every warning and error, so that a failed write to
// the store is noticed at once and its cause kept, and fatal of an error the server cannot start
// after. The server calls it with its own locks held: both must only record, never call back into
// the server.
type serverLogger struct {
	logger   *slog.Logger
	reported func(text string)
	fatal    func(text string)
}

func (l serverLogger) Noticef(format string, v ...any) {
	l.logger.Debug("the embedded NATS server says", "detail", fmt.Sprintf(format, v...))
}

func (l serverLogger) Warnf(format string, v ...any) {
	text := fmt.Sprintf(format, v...)
	l.logger.Warn("the embedded NATS server warns", "detail", text)
	l.reported(text)
}

func (l serverLogger) Errorf(format string, v ...any) {
	text := fmt.Sprintf(format, v...)
	l.logger.Error("the embedded NATS server reported an error", "error", text)
	l.reported(text)
}

// Fatalf logs like Errorf: the server calls it when it cannot start (JetStream in an unwritable
// data directory, say), and hooknormd, not the server, decides whether to exit.
func (l serverLogger) Fatalf(format string, v ...any) {
	l.Errorf(format, v...)
	l.fatal(fmt.Sprintf(format, v...))
}

func (serverLogger) Debugf(string, ...any) {}

func (serverLogger) Tracef(string, ...any) {}
