package refdocs

import (
	"fmt"
	"strings"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	optionsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/options/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// provider is one provider's Event message, whose oneof "event" has a case per event type.
type provider struct {
	// name is how cases are written with the provider in front, as in clickfunnels.order_created.
	name string
	// title is the provider's name for people.
	title string
	event protoreflect.MessageDescriptor
}

var (
	clickfunnels = provider{"clickfunnels", "ClickFunnels", (&clickfunnelsv1.Event{}).ProtoReflect().Descriptor()}
	webflow      = provider{"webflow", "Webflow", (&webflowv1.Event{}).ProtoReflect().Descriptor()}
)

// renderCases lists every case of a provider's event oneof, as `hooknorm types` does: the event
// types that become it (its first spelling, then the others), the case, its message and when the
// provider sends it. The unknown case, which takes every other type, comes last.
func renderCases(p provider) func(*protoSource) (string, error) {
	return func(src *protoSource) (string, error) {
		cases := p.event.Oneofs().ByName("event").Fields()
		t := newTable("Event type", "Case", "Message", "Sent when")
		var unknown protoreflect.FieldDescriptor
		known := 0
		for i := range cases.Len() {
			fd := cases.Get(i)
			spellings := proto.GetExtension(fd.Options(), optionsv1.E_EventType).([]string)
			if len(spellings) == 0 {
				unknown = fd
				continue
			}
			comment, err := src.comment(fd.FullName())
			if err != nil {
				return "", err
			}
			typ := code(spellings[0])
			if len(spellings) > 1 {
				others := make([]string, len(spellings)-1)
				for j, s := range spellings[1:] {
					others[j] = code(s)
				}
				typ += " (also " + strings.Join(others, ", ") + ")"
			}
			t.row(typ, code(p.name+"."+string(fd.Name())), code(string(fd.Message().FullName())), comment)
			known++
		}
		if unknown == nil {
			return "", fmt.Errorf("%s has no unknown case for the types it does not know", p.event.FullName())
		}
		comment, err := src.comment(unknown.FullName())
		if err != nil {
			return "", err
		}
		t.row("any other", code(p.name+"."+string(unknown.Name())), code(string(unknown.Message().FullName())), comment)
		return fmt.Sprintf("%s\n%d %s event types, each its own case; `hooknorm types` prints the same list.\n", t, known, p.title), nil
	}
}
