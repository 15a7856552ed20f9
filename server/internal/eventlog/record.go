package eventlog

import (
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"sync"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/encoding/protowire"
)

// Headers of a stored record besides Nats-Msg-Id.
const (
	// headerType is the event type, so readers filter without decoding the event.
	headerType = "Hooknorm-Type"
	// headerRawOffset is where the raw body starts in the record: the bytes before it are the
	// event without raw_payload, the bytes after it add raw_payload.
	headerRawOffset = "Hooknorm-Raw-Offset"
)

var eventFields = (&hooknormv1.Event{}).ProtoReflect().Descriptor().Fields()

// Field numbers of hooknorm.v1.Event that records are assembled from.
var (
	rawPayloadField = eventFields.ByName("raw_payload").Number()
	sequenceField   = eventFields.ByName("sequence").Number()
)

// Record is one stored event as read back: its encoded bytes, ready to send.
type Record struct {
	// Sequence is the event's position in the log.
	Sequence uint64
	// Type is the event type.
	Type string
	// subject is where the event was published: it names its source and tenant.
	subject   string
	data      []byte
	rawOffset int
	// encoded holds EventBytes without and with raw_payload, built once each: a record the hub
	// hands to many subscribers is encoded once for all of them.
	encoded [2]struct {
		once  sync.Once
		bytes []byte
	}
}

// Size is the record's stored size in bytes.
func (r *Record) Size() int { return len(r.data) }

// EventBytes returns the record as an encoded hooknorm.v1.Event with its sequence set, with or
// without raw_payload. The bytes are assembled from the stored ones, not re-encoded, once per
// record and variant; callers share them and must not modify them.
func (r *Record) EventBytes(includeRaw bool) []byte {
	variant := 0
	if includeRaw {
		variant = 1
	}
	e := &r.encoded[variant]
	e.once.Do(func() {
		data := r.data
		if !includeRaw {
			data = data[:r.rawOffset]
		}
		out := make([]byte, 0, len(data)+11)
		out = append(out, data...)
		out = protowire.AppendTag(out, sequenceField, protowire.VarintType)
		e.bytes = protowire.AppendVarint(out, r.Sequence)
	})
	return e.bytes
}

// recordTailSize is how many bytes encodeRecord appends to the event's head for raw.
func recordTailSize(raw []byte) int {
	if len(raw) == 0 {
		return 0
	}
	return protowire.SizeTag(rawPayloadField) + protowire.SizeBytes(len(raw))
}

// encodeRecord is the stored form of an event: the event without raw_payload, then raw_payload
// alone, concatenated (Protobuf merges them on decoding), and the offset between them.
func encodeRecord(head []byte, raw []byte) ([]byte, int) {
	offset := len(head)
	if len(raw) == 0 {
		return head, offset
	}
	data := protowire.AppendTag(head, rawPayloadField, protowire.BytesType)
	return protowire.AppendBytes(data, raw), offset
}

func parseOffset(value string, size int) int {
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 || n > size {
		return size
	}
	return n
}

// plainTenant matches tenants that can stand in a subject as they are.
var plainTenant = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// sourceToken is a source as a subject token: "clickfunnels", "webflow".
func sourceToken(source hooknormv1.Source) string {
	return strings.ToLower(strings.TrimPrefix(source.String(), "SOURCE_"))
}

// tenantToken is a tenant as a subject token: "t-<tenant>" for plain ids, "h-<hex>" for anything
// else, "none" for no tenant. The three forms cannot collide.
func tenantToken(tenant string) string {
	switch {
	case tenant == "":
		return "none"
	case plainTenant.MatchString(tenant):
		return "t-" + tenant
	default:
		return "h-" + hex.EncodeToString([]byte(tenant))
	}
}

// subject is where an event is published: hooknorm.events.<source>.<tenant>.
func subject(source hooknormv1.Source, tenant string) string {
	return subjectRoot + "." + sourceToken(source) + "." + tenantToken(tenant)
}
