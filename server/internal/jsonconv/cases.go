package jsonconv

import (
	"fmt"
	"strings"

	optionsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/options/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// unknownCaseName is the oneof case that keeps events of a type hooknorm does not know.
const unknownCaseName = "unknown"

// Case is one oneof case of a provider Event: the event types delivered as it and where its
// message says when the event happened.
type Case struct {
	// Field is the oneof member.
	Field protoreflect.FieldDescriptor
	// EventTypes are the provider's spellings of the event type, the documented one first.
	EventTypes []string
	// OccurredAt is the Timestamp field of Field's message that says when the event happened, or
	// nil when the message has none.
	OccurredAt protoreflect.FieldDescriptor
}

// Cases indexes the cases of a provider Event's oneof by event type, from the
// hooknorm.options.v1.event_type annotations: the table that drives a provider's conversion.
type Cases struct {
	byType  map[string]*Case
	all     []*Case
	unknown protoreflect.FieldDescriptor
}

// NewCases indexes oneof. It checks the schema's promises: every case but unknown names at least
// one event type, no event type names two cases, each case is named after its documented event
// type by CaseName, and occurred_at names a Timestamp field.
func NewCases(oneof protoreflect.OneofDescriptor) (*Cases, error) {
	c := &Cases{byType: map[string]*Case{}}
	fields := oneof.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Name() == unknownCaseName {
			c.unknown = fd
			continue
		}
		types := proto.GetExtension(fd.Options(), optionsv1.E_EventType).([]string)
		if len(types) == 0 {
			return nil, fmt.Errorf("%s: oneof case names no event type", fd.FullName())
		}
		if want := CaseName(types[0]); string(fd.Name()) != want {
			return nil, fmt.Errorf("%s: the case for %q must be named %s", fd.FullName(), types[0], want)
		}
		kase := &Case{Field: fd, EventTypes: types}
		if name := proto.GetExtension(fd.Options(), optionsv1.E_OccurredAt).(string); name != "" {
			at := fd.Message().Fields().ByName(protoreflect.Name(name))
			if at == nil || at.Message() == nil || at.Message().FullName() != "google.protobuf.Timestamp" {
				return nil, fmt.Errorf("%s: occurred_at %q is not a Timestamp field of %s", fd.FullName(), name, fd.Message().FullName())
			}
			kase.OccurredAt = at
		}
		for _, t := range types {
			if prev, taken := c.byType[t]; taken {
				return nil, fmt.Errorf("event type %q names both %s and %s", t, prev.Field.Name(), fd.Name())
			}
			c.byType[t] = kase
		}
		c.all = append(c.all, kase)
	}
	if c.unknown == nil {
		return nil, fmt.Errorf("%s: no %q case for event types hooknorm does not know", oneof.FullName(), unknownCaseName)
	}
	return c, nil
}

// Lookup returns the case of an event type, or nil when hooknorm does not know the type.
func (c *Cases) Lookup(eventType string) *Case { return c.byType[eventType] }

// Unknown returns the case that keeps events of types hooknorm does not know.
func (c *Cases) Unknown() protoreflect.FieldDescriptor { return c.unknown }

// All returns every known case in schema order.
func (c *Cases) All() []*Case { return c.all }

// CaseName is the oneof case name of an event type, by the contract's rule: each "/", "." and
// "-" becomes "_", so "orders/invoice.paid" is orders_invoice_paid.
func CaseName(eventType string) string {
	return strings.NewReplacer("/", "_", ".", "_", "-", "_").Replace(eventType)
}
