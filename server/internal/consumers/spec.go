package consumers

import (
	"encoding/json"
	"regexp"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// Bounds and defaults of a consumer's settings.
const (
	DefaultAckDeadline   = 30 * time.Second
	MinAckDeadline       = time.Second
	MaxAckDeadline       = 12 * time.Hour
	DefaultMaxDeliveries = 5
	MaxMaxDeliveries     = 1000
)

// Spec is what a consumer is: its name, which events it takes and how it hands them out.
type Spec struct {
	// Name names the consumer.
	Name string
	// Filter says which events it takes.
	Filter eventlog.Filter
	// AckDeadline is how long a worker has to acknowledge an event.
	AckDeadline time.Duration
	// MaxDeliveries is how many times an event is handed out before it is a dead letter.
	MaxDeliveries int
	// Created is when the consumer was created (set by the log).
	Created time.Time
}

// validName is what a consumer's name may be: it names a JetStream consumer and keys of the
// consumers bucket, where '.', '*', '>' and spaces are not allowed.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CheckName refuses a name no consumer can have.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"the consumer name %q is not valid: give 1 to 64 letters, digits, '-' or '_'", name).AtField("name")
	}
	return nil
}

// check refuses settings out of bounds, and fills in the defaults.
func (s *Spec) check() error {
	if err := CheckName(s.Name); err != nil {
		return err
	}
	switch {
	case s.AckDeadline == 0:
		s.AckDeadline = DefaultAckDeadline
	case s.AckDeadline < MinAckDeadline || s.AckDeadline > MaxAckDeadline:
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"ack_deadline %s is out of bounds: give from %s to %s, or leave it out for %s", s.AckDeadline, MinAckDeadline, MaxAckDeadline, DefaultAckDeadline).AtField("ack_deadline")
	}
	switch {
	case s.MaxDeliveries == 0:
		s.MaxDeliveries = DefaultMaxDeliveries
	case s.MaxDeliveries < 1 || s.MaxDeliveries > MaxMaxDeliveries:
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"max_deliveries %d is out of bounds: give from 1 to %d, or leave it out for %d", s.MaxDeliveries, MaxMaxDeliveries, DefaultMaxDeliveries).AtField("max_deliveries")
	}
	return nil
}

// stored is what a consumer keeps in its JetStream metadata besides what JetStream knows.
type stored struct {
	Sources       []int32  `json:"sources,omitempty"`
	Tenant        string   `json:"tenant,omitempty"`
	Tenants       []string `json:"tenants,omitempty"`
	Types         []string `json:"types,omitempty"`
	TypePrefixes  []string `json:"type_prefixes,omitempty"`
	MaxDeliveries int      `json:"max_deliveries"`
}

// metadata encodes what the spec keeps in the consumer's metadata.
func (s Spec) metadata() map[string]string {
	st := stored{Tenant: s.Filter.Tenant, Tenants: s.Filter.Tenants, Types: s.Filter.Types,
		TypePrefixes: s.Filter.TypePrefixes, MaxDeliveries: s.MaxDeliveries}
	for _, source := range s.Filter.Sources {
		st.Sources = append(st.Sources, int32(source))
	}
	data, _ := json.Marshal(st) // plain values: cannot fail
	return map[string]string{metadataKey: string(data)}
}

// specOf reads a consumer's spec from its JetStream configuration; ok is false for a consumer
// hooknorm did not create.
func specOf(name string, metadata map[string]string, ackWait time.Duration, created time.Time) (Spec, bool) {
	raw, ok := metadata[metadataKey]
	if !ok {
		return Spec{}, false
	}
	var st stored
	if json.Unmarshal([]byte(raw), &st) != nil {
		return Spec{}, false
	}
	s := Spec{Name: name, AckDeadline: ackWait, MaxDeliveries: st.MaxDeliveries, Created: created,
		Filter: eventlog.Filter{Tenant: st.Tenant, Tenants: st.Tenants, Types: st.Types, TypePrefixes: st.TypePrefixes}}
	for _, source := range st.Sources {
		s.Filter.Sources = append(s.Filter.Sources, hooknormv1.Source(source))
	}
	return s, true
}
