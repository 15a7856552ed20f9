package consumers

import (
	"encoding/base64"
	"strconv"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// An ack token says what acknowledging an event takes: the JetStream ack subject of the delivery
// (which any connection to the NATS cluster may publish to, so any hooknormd takes the ack), the
// event's sequence, and the session that handed it out (told of the ack, to hand out more). It
// is opaque to workers: base64url of "1 SESSION SEQUENCE SUBJECT".
type token struct {
	session  string
	sequence uint64
	subject  string
	// Parsed from the subject:
	stream   string
	consumer string
	attempt  uint64
}

const tokenVersion = "1"

func (t token) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenVersion + " " + t.session + " " + strconv.FormatUint(t.sequence, 10) + " " + t.subject))
}

// parseToken reads an ack token of the consumer called name, refusing one hooknorm did not hand
// out for it: only the ack subjects of this consumer on the log's stream or its redrive stream are
// accepted, so a token cannot make hooknorm publish anywhere else.
func parseToken(name, text, field string) (token, error) {
	invalid := func(why string) error {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_ACK_TOKEN_INVALID,
			"the ack token is not one hooknorm handed out for consumer %q: %s; pass it exactly as Consume gave it", name, why).AtField(field)
	}
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return token{}, invalid("it is not base64url")
	}
	parts := strings.Split(string(raw), " ")
	if len(parts) != 4 || parts[0] != tokenVersion {
		return token{}, invalid("it has not the shape of one")
	}
	t := token{session: parts[1], subject: parts[3]}
	if t.sequence, err = strconv.ParseUint(parts[2], 10, 64); err != nil || t.sequence == 0 || !validName.MatchString(t.session) {
		return token{}, invalid("it has not the shape of one")
	}
	// $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>, or
	// with a domain and an account hash after ACK and a random token at the end.
	fields := strings.Split(t.subject, ".")
	var streamSeq string
	switch {
	case len(fields) < 9 || fields[0] != "$JS" || fields[1] != "ACK":
		return token{}, invalid("it does not name a delivery")
	case len(fields) == 9:
		t.stream, t.consumer, streamSeq = fields[2], fields[3], fields[5]
		t.attempt, err = strconv.ParseUint(fields[4], 10, 64)
	default:
		t.stream, t.consumer, streamSeq = fields[4], fields[5], fields[7]
		t.attempt, err = strconv.ParseUint(fields[6], 10, 64)
	}
	for _, field := range fields {
		if field == "" || strings.ContainsAny(field, "*> \t\r\n") {
			return token{}, invalid("it does not name a delivery")
		}
	}
	switch {
	case err != nil || t.attempt == 0:
		return token{}, invalid("it does not name a delivery")
	case t.consumer != name:
		return token{}, invalid("it belongs to another consumer")
	case t.stream == eventlog.StreamName && streamSeq != parts[2]:
		return token{}, invalid("its parts disagree")
	case t.stream != eventlog.StreamName && t.stream != RedriveStream:
		return token{}, invalid("it does not name a delivery of hooknorm's log")
	}
	return t, nil
}
