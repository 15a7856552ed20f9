package main

import (
	"fmt"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// highlights are the few fields of an event's resource that tell what happened: an amount and
// its currency, a status, an email address, a name. They are looked up by name in the resource
// and in its contact or customer, so every event type gets them without a table.
func highlights(e *hooknormv1.Event) []string {
	resource := caseMessage(e)
	if resource == nil {
		return nil
	}
	var out []string
	add := func(label, value string) {
		if value != "" {
			out = append(out, label+"="+value)
		}
	}
	amount := first(resource, "total_amount", "amount")
	if amount == "" {
		amount = first(nested(resource, "customer_paid"), "display")
	}
	if currency := first(resource, "currency"); amount != "" && currency != "" {
		amount += " " + currency
	}
	add("total", amount)
	add("status", first(resource, "status_raw", "billing_status_raw"))
	email := first(resource, "email_address", "email")
	for _, holder := range []string{"contact", "customer_info", "primary_contact"} {
		if email == "" {
			email = first(nested(resource, holder), "email_address", "email")
		}
	}
	add("email", email)
	add("name", first(resource, "name", "title"))
	return out
}

// caseMessage is the resource in the event's provider oneof case.
func caseMessage(e *hooknormv1.Event) protoreflect.Message {
	msg := e.ProtoReflect()
	provider := msg.WhichOneof(msg.Descriptor().Oneofs().ByName("payload"))
	if provider == nil {
		return nil
	}
	inner := msg.Get(provider).Message()
	kase := inner.WhichOneof(inner.Descriptor().Oneofs().ByName("event"))
	if kase == nil || kase.Message() == nil {
		return nil
	}
	return inner.Get(kase).Message()
}

// first returns the first of the named scalar fields that is set, as text.
func first(m protoreflect.Message, names ...string) string {
	if m == nil {
		return ""
	}
	for _, name := range names {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd != nil && fd.Message() == nil && !fd.IsList() && m.Has(fd) {
			return fmt.Sprint(m.Get(fd).Interface())
		}
	}
	return ""
}

// nested returns a message field of m, or nil.
func nested(m protoreflect.Message, name string) protoreflect.Message {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil || fd.Message() == nil || fd.IsList() || !m.Has(fd) {
		return nil
	}
	return m.Get(fd).Message()
}
