package normalize

import (
	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// ClickFunnels envelope keys that the conversion reads itself.
const (
	cfData       = "data"
	cfAttributes = "attributes"
	cfAPIVersion = "api_version"
)

// convertClickFunnels reads a ClickFunnels delivery in any of its three shapes: the V2 envelope,
// the older V2 envelope (page_id and funnel_id, no api_version) and V1 (JSON:API style data). The
// subject resource goes into the oneof case of the event type; every other member is kept.
func (n *Normalizer) convertClickFunnels(obj map[string]any, d Delivery) (*clickfunnelsv1.Event, facts, error) {
	eventType, err := eventTypeOf(obj, "event_type", "event_type_id")
	if err != nil {
		return nil, facts{}, err
	}
	if eventType == "" {
		return nil, facts{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING,
			"the ClickFunnels delivery names no event type: expected a non-empty string at $.event_type").AtField("$.event_type")
	}
	if d.TriggerType != "" {
		return nil, facts{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT,
			"a ClickFunnels delivery names its event type in the body ($.event_type is %q); the request must not give one (got %q)",
			eventType, d.TriggerType)
	}
	data := obj[cfData]
	delete(obj, cfData)

	env := &clickfunnelsv1.Event{}
	msg := env.ProtoReflect()
	n.decoder.Fill(msg, obj)
	env.EventType = &eventType

	payload := data
	if attrs, id, kind, rest, ok := jsonAPI(data); ok {
		env.Format = clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V1
		env.DataId, env.DataType = id, kind
		if len(rest) > 0 {
			n.decoder.Keep(msg, cfData, rest)
		}
		if n.clickfunnels.Lookup(eventType) != nil {
			payload = attrs // a known type reads the resource; an unknown one keeps data whole
		}
	} else if obj[cfAPIVersion] != nil {
		env.Format = clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V2
	} else {
		env.Format = clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V2_LEGACY
	}
	kase := n.decoder.FillCase(msg, n.clickfunnels, eventType, payload, cfData)

	f := facts{id: env.GetEventId(), eventType: eventType, occurredAt: env.GetCreatedAt()}
	if env.WorkspaceId != nil {
		f.tenant = stringOrIntField(msg, "workspace_id")
	}
	if kase != nil {
		caseMsg := msg.Get(kase.Field).Message()
		if f.occurredAt == nil {
			f.occurredAt = timestampField(caseMsg, kase.OccurredAt)
		}
		if f.tenant == "" {
			f.tenant = stringOrIntField(caseMsg, "workspace_id")
		}
	}
	return env, f, nil
}

// jsonAPI unpacks a V1 data member, {"id", "type", "attributes", ...}: it returns the attributes,
// the id as text, the type, any other members, and whether data has that shape at all.
func jsonAPI(data any) (attrs map[string]any, id, kind *string, rest map[string]any, ok bool) {
	obj, isObj := data.(map[string]any)
	if !isObj {
		return nil, nil, nil, nil, false
	}
	attributes, hasAttrs := obj[cfAttributes].(map[string]any)
	typ, hasType := obj["type"].(string)
	if !hasAttrs || !hasType {
		return nil, nil, nil, nil, false
	}
	for key, val := range obj {
		switch key {
		case cfAttributes, "type":
		case "id":
			if s, ok := jsonconv.Text(val); ok {
				id = &s
				continue
			}
			fallthrough
		default:
			if rest == nil {
				rest = map[string]any{}
			}
			rest[key] = val
		}
	}
	return attributes, id, &typ, rest, true
}
