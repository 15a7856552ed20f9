// Package catalog lists the event types hooknorm knows, as the schema defines them: each
// provider's Event message has a oneof "event" with a case per event type, and the case's
// hooknorm.options.v1.event_type option gives the type's spellings. It reads only the schema,
// never an event.
package catalog

import (
	"slices"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	optionsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/options/v1"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// provider is one provider: its source, the field of hooknorm.v1.Event that holds its events,
// and its Event message.
type provider struct {
	source hooknormv1.Source
	field  protoreflect.FieldDescriptor
	event  protoreflect.MessageDescriptor
}

// providers are the providers in the order the list gives them.
func providers() []provider {
	envelope := (&hooknormv1.Event{}).ProtoReflect().Descriptor().Fields()
	return []provider{
		{hooknormv1.Source_SOURCE_CLICKFUNNELS, envelope.ByName("clickfunnels"), (&clickfunnelsv1.Event{}).ProtoReflect().Descriptor()},
		{hooknormv1.Source_SOURCE_WEBFLOW, envelope.ByName("webflow"), (&webflowv1.Event{}).ProtoReflect().Descriptor()},
	}
}

// all is every known event type, built once from the schema.
var all = func() []*hooknormv1.EventType {
	var types []*hooknormv1.EventType
	for _, p := range providers() {
		cases := p.event.Oneofs().ByName("event").Fields()
		for i := range cases.Len() {
			fd := cases.Get(i)
			spellings := proto.GetExtension(fd.Options(), optionsv1.E_EventType).([]string)
			if len(spellings) == 0 {
				continue // the unknown case, which takes every type the schema does not name
			}
			types = append(types, &hooknormv1.EventType{
				Source:     p.source,
				Type:       spellings[0],
				OtherTypes: spellings[1:],
				OneofCase:  string(p.field.Name()) + "." + string(fd.Name()),
				JsonPath:   p.field.JSONName() + "." + fd.JSONName(),
				Message:    string(fd.Message().FullName()),
			})
		}
	}
	return types
}()

// EventTypes returns the known event types of sources, or of every provider when sources is
// empty, by provider and then in the schema's order. The caller may change what it gets.
func EventTypes(sources []hooknormv1.Source) []*hooknormv1.EventType {
	var types []*hooknormv1.EventType
	for _, t := range all {
		if len(sources) == 0 || slices.Contains(sources, t.GetSource()) {
			types = append(types, proto.CloneOf(t))
		}
	}
	return types
}
