package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc/codes"
)

// explainedError is an error of hooknormd's put in the command line's terms: what happened and
// which flag to change. It unwraps to the original, whose kind sets the exit code.
type explainedError struct {
	msg string
	err error
}

func (e explainedError) Error() string { return e.msg }
func (e explainedError) Unwrap() error { return e.err }

// explain puts an error hooknormd answered (or the failure to reach it) in the command line's
// terms; other errors are returned as they are.
func (c *connection) explain(err error) error {
	var e *client.Error
	if err == nil || errors.As(err, new(explainedError)) || !errors.As(err, &e) {
		return err
	}
	return explainedError{msg: c.describe(e), err: err}
}

// describe says what went wrong with a call to hooknormd, and what to do about it.
func (c *connection) describe(e *client.Error) string {
	reason := reasonName(e.Reason)
	message := e.Status.Message()
	switch {
	case e.Unreachable():
		cause, advice := transportCause(message)
		return fmt.Sprintf("cannot reach hooknormd at %s: %s. %s", c.server, cause, advice)
	case e.Status.Code() == codes.Unauthenticated && c.token == "":
		return fmt.Sprintf("hooknormd at %s requires a token (%s): give one with --token or %s", c.server, reason, tokenEnv)
	case e.Status.Code() == codes.Unauthenticated:
		return fmt.Sprintf("hooknormd at %s does not accept the token given with --token or %s (%s): check it for a typo or "+
			"a stray space, or ask hooknormd's operator for a token", c.server, tokenEnv, reason)
	case e.Status.Code() == codes.PermissionDenied:
		return fmt.Sprintf("hooknormd at %s refused: %s (%s): use a token whose scope allows it (--token), or narrow the "+
			"command with --source and --tenant to what the token allows", c.server, message, reason)
	case e.Reason == hooknormv1.ErrorReason_ERROR_REASON_TOO_MANY_STREAMS:
		return fmt.Sprintf("hooknormd at %s refused another subscription: %s (%s): stop another tail, forward or replay "+
			"that uses this token, or ask hooknormd's operator to raise the token's max_streams", c.server, message, reason)
	case e.Reason == hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED && (e.Status.Code() == codes.Unimplemented || e.Status.Code() == codes.NotFound):
		return fmt.Sprintf("%s answered, but not as hooknormd (it does not serve hooknorm.v1.WebhookService): check --server", c.server)
	case e.Reason == hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED:
		return fmt.Sprintf("the call to hooknormd at %s failed (%s)", c.server, e.Status.Code())
	case e.Reason == hooknormv1.ErrorReason_ERROR_REASON_INTERNAL || e.Reason == hooknormv1.ErrorReason_ERROR_REASON_UNAVAILABLE:
		return fmt.Sprintf("hooknormd at %s could not serve the request: %s (%s); try again later", c.server, message, reason)
	}
	if own := inFlagTerms(e); own != "" {
		return own
	}
	return fmt.Sprintf("%s (%s)", message, reason)
}

// inFlagTerms says a refusal of the command line's input in its own terms, when hooknormd's
// message speaks of what the command line does not show (URLs, request fields); "" otherwise.
func inFlagTerms(e *client.Error) string {
	switch e.Reason {
	case hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING:
		if strings.Contains(e.Field, "triggerType") {
			return "the Webflow body names no trigger type (EVENT_TYPE_MISSING): an API v2 body has $.triggerType; " +
				"for an API v1 body (the bare payload) give it with --trigger, e.g. --trigger form_submission"
		}
	case hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT:
		return e.Status.Message() + " (EVENT_TYPE_CONFLICT): drop --trigger, or give the trigger the body names"
	case hooknormv1.ErrorReason_ERROR_REASON_CURSOR_AHEAD:
		return "the cursor (--after) is beyond the newest event in this log, so this log never gave it; was the log recreated? " +
			"(CURSOR_AHEAD) Resume after a sequence this log gave, or start over with --earliest or --since"
	}
	return ""
}

// reasonName is a reason as hooknorm writes it, without its ERROR_REASON_ prefix.
func reasonName(r hooknormv1.ErrorReason) string {
	return strings.TrimPrefix(r.String(), "ERROR_REASON_")
}

// transportCause reads why a gRPC connection failed from its status message, and says it in the
// command line's terms with what to do: gRPC keeps only the text of the underlying error.
func transportCause(message string) (cause, advice string) {
	checkServer := "Check the address in --server or " + serverEnv + " (default " + client.DefaultAddr + ")"
	has := func(parts ...string) bool {
		for _, part := range parts {
			if strings.Contains(message, part) {
				return true
			}
		}
		return false
	}
	switch {
	case has("connection refused"):
		return "nothing is listening there (connection refused)",
			"Is hooknormd running? Start it (go run ./server/cmd/hooknormd), or give its gRPC address with --server or " + serverEnv + " (default " + client.DefaultAddr + ")"
	case has("produced zero addresses", "no such host"):
		return "the host name does not resolve", checkServer
	case has("frame too large", "HTTP/1.1"):
		return "it answers HTTP/1.1, not gRPC, like hooknormd's HTTP listener",
			"--server takes hooknormd's gRPC address (default " + client.DefaultAddr + "); the HTTP address is for send's --http"
	case has("first record does not look like a TLS handshake"):
		return "it does not speak TLS", "Drop --tls, --tls-ca and --tls-cert, or point --server at hooknormd's TLS address"
	case has("server preface: EOF", "before server preface"):
		return "it closed the connection without answering: it may require TLS", "Add --tls (and --tls-ca for a private CA)"
	case has("x509", "certificate"):
		return "its TLS certificate is not trusted or does not match the address",
			"Give the CA that signed it with --tls-ca, and name the host as its certificate does in --server"
	case has("tls:", "handshake"):
		return "the TLS handshake failed", "Check --tls-ca, --tls-cert and --tls-key"
	case has("i/o timeout", "deadline", "context deadline exceeded"):
		return "no answer in time", checkServer + ", and that no firewall drops the connection"
	case has("network is unreachable", "no route to host"):
		return "the network cannot reach it", checkServer
	case has("connection reset", "EOF", "closing"):
		return "the connection was closed", checkServer
	}
	return "the connection failed", checkServer
}
