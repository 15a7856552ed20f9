package eventlog

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrNATSUnsuitable is the error of an external NATS cluster that cannot hold the log as
// configured: it refuses hooknormd's credentials, JetStream is off, the account has none, it has
// fewer servers than the copies asked for, it cannot set aside --retention-bytes, or it takes
// messages smaller than the largest record. Waiting does not help; the NATS configuration or
// hooknormd's settings must change.
var ErrNATSUnsuitable = errors.New("the NATS cluster cannot hold the log as configured")

// JetStream error codes of the NATS server that nats.go names no constant for.
const (
	codeNoSuitablePeers        jetstream.ErrorCode = 10005
	codeInsufficientResources  jetstream.ErrorCode = 10023
	codeAccountResources       jetstream.ErrorCode = 10002
	codeStorageResources       jetstream.ErrorCode = 10047
	codeReplicasNotSupported   jetstream.ErrorCode = 10074
	codeTemporarilyUnavailable jetstream.ErrorCode = 10008
	codeMaxBytesRequired       jetstream.ErrorCode = 10113
	codeMaxBytesOverAccount    jetstream.ErrorCode = 10122
)

// RedactURLs returns a comma-separated list of NATS URLs with any user and password replaced, for
// logs and error messages.
func RedactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, part := range parts {
		part = strings.TrimSpace(part)
		scheme := "" // NATS takes host:port without one
		if !strings.Contains(part, "://") {
			scheme = "nats://"
		}
		u, err := url.Parse(scheme + part)
		if err != nil || u.User == nil {
			continue
		}
		u.User = url.User("redacted")
		parts[i] = strings.TrimPrefix(u.String(), scheme)
	}
	return strings.Join(parts, ",")
}

// location names where the log is, for messages: the NATS URLs without credentials.
func location(cfg Config) string {
	if cfg.NATSURL == "" {
		return "the embedded NATS server"
	}
	return RedactURLs(cfg.NATSURL)
}

// connectFailed explains a failure to connect to the external NATS servers: refused credentials
// are ErrNATSUnsuitable, since trying again with them cannot help; anything else (no server
// answers yet) may pass.
func connectFailed(cfg Config, err error) error {
	if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) {
		return fmt.Errorf("%w: the NATS servers at %s refuse hooknormd's credentials (%v): check the user and password, or token, in --nats-url",
			ErrNATSUnsuitable, location(cfg), err)
	}
	return fmt.Errorf("connecting to NATS at %s: %w", location(cfg), err)
}

// checkPayload refuses a NATS server that takes messages smaller than the largest record: every
// delivery whose record is larger would be refused as unavailable, and retried for ever.
func checkPayload(conn *nats.Conn, maxRecordBytes int32) error {
	limit := conn.MaxPayload()
	if limit <= 0 || limit >= int64(maxRecordBytes) {
		return nil
	}
	return fmt.Errorf("%w: the NATS server at %s takes messages of up to %d bytes (its max_payload), but an event may take up to %d bytes (the record of the largest body --max-body-bytes lets in): "+
		"raise max_payload on every NATS server to at least %d, or lower --max-body-bytes to at most %d",
		ErrNATSUnsuitable, conn.ConnectedUrlRedacted(), limit, maxRecordBytes, maxRecordBytes, MaxBodyFor(limit))
}

// MaxBodyFor is the largest --max-body-bytes whose records fit in recordBytes (see RecordLimit).
func MaxBodyFor(recordBytes int64) int64 {
	return max((recordBytes-recordHeadroom)/3, 0)
}

// unsuitable explains an error of creating the stream that waiting will not cure, wrapped in
// ErrNATSUnsuitable, or returns nil for one worth trying again (a cluster still electing its
// leaders answers that JetStream is temporarily unavailable, or that it has no peers yet).
func unsuitable(err error, cfg Config) error {
	where := location(cfg)
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
		return fmt.Errorf("%w: no NATS server at %s answers for JetStream (%v): enable JetStream on the NATS servers (a jetstream block in their configuration, or -js); "+
			"a NATS server also turns it off by itself after its storage fails (see its log: free the space, then restart it)", ErrNATSUnsuitable, where, err)
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return nil
	}
	switch apiErr.ErrorCode {
	case jetstream.JSErrCodeJetStreamNotEnabledForAccount:
		return fmt.Errorf("%w: the NATS account hooknormd connects as at %s has no JetStream (%v): enable JetStream for that account in the NATS configuration, or connect as a user of an account that has it",
			ErrNATSUnsuitable, where, err)
	case codeReplicasNotSupported:
		return fmt.Errorf("%w: --nats-replicas %d asks for %d copies of the log, but the NATS server at %s is not part of a cluster (%v): set --nats-replicas 1, or point --nats-url at a NATS cluster of at least %d servers",
			ErrNATSUnsuitable, cfg.Replicas, cfg.Replicas, where, err, cfg.Replicas)
	case codeStorageResources:
		return fmt.Errorf("%w: the NATS cluster at %s cannot set aside --retention-bytes %d for the log (%v): lower --retention-bytes, or raise the NATS servers' JetStream storage limit (max_file_store)",
			ErrNATSUnsuitable, where, cfg.RetentionBytes, err)
	case codeMaxBytesRequired:
		return fmt.Errorf("%w: the NATS account hooknormd connects as at %s requires every stream to have a size limit (%v): set --retention-bytes",
			ErrNATSUnsuitable, where, err)
	case codeMaxBytesOverAccount:
		return fmt.Errorf("%w: --retention-bytes %d is more than the NATS account hooknormd connects as at %s allows a stream (%v): lower --retention-bytes",
			ErrNATSUnsuitable, cfg.RetentionBytes, where, err)
	case codeNoSuitablePeers, codeTemporarilyUnavailable:
		return nil
	}
	if apiErr.Code == 503 { // unavailable for now: the cluster may yet get there
		return nil
	}
	return fmt.Errorf("%w: the NATS cluster at %s refuses the stream %s as hooknormd configures it: %v", ErrNATSUnsuitable, where, StreamName, err)
}

// explainCreateFailure says what a stream creation that kept failing until its deadline means.
func explainCreateFailure(err error, cfg Config) error {
	where := location(cfg)
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == codeNoSuitablePeers {
		return fmt.Errorf("%w: --nats-replicas %d asks for %d copies of the log, but the NATS cluster at %s has not that many servers with JetStream to hold them (%v): "+
			"set --nats-replicas to at most the number of its servers with JetStream, or add servers", ErrNATSUnsuitable, cfg.Replicas, cfg.Replicas, where, err)
	}
	if errors.As(err, &apiErr) && apiErr.ErrorCode == codeTemporarilyUnavailable {
		return fmt.Errorf("creating the JetStream stream %s at %s: %w: the NATS cluster's JetStream has no leader, "+
			"as when fewer than a majority of its servers with JetStream are up (see their logs); start hooknormd again once they are", StreamName, where, err)
	}
	return fmt.Errorf("creating the JetStream stream %s at %s: %w", StreamName, where, err)
}
