package normalize

import (
	"strconv"
	"strings"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/proto"
)

// ClickFunnels envelope members that the conversion reads itself.
const (
	cfData       = "data"
	cfAPIVersion = "api_version"
)

// bareShapes recognise the resources the seed shows delivered alone, without an envelope, by
// members no other resource has together; each names its event type.
var bareShapes = []struct {
	eventType string
	members   []string
}{
	{"platform_application.disconnected", []string{"platform_application"}},
	{"communities/posts/comment.created", []string{"post", "group", "body"}},
	{"communities/post.created", []string{"topic", "group", "title", "body"}},
}

// convertClickFunnels reads a ClickFunnels delivery in any of its shapes into env, encoded (see
// NormalizeEncoded): the V2 envelope, the older V2 envelope (page_id and funnel_id, no
// api_version), V1 (JSON:API style data) and a bare resource. The subject resource goes into the
// oneof case of the event type; every other member is kept. An envelope's data must be an
// object, whatever the event type.
func (n *Normalizer) convertClickFunnels(d Delivery, env *clickfunnelsv1.Event) (facts, error) {
	members := envelopeMembers(d.Body)
	eventType, typeErr := eventTypeOf(members, "event_type", "event_type_id")
	data, hasData := jsonconv.Lookup(members, cfData)
	bare := false
	switch {
	case typeErr != nil:
	case eventType != "" && d.TriggerType != "" && eventType != d.TriggerType:
		typeErr = rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT,
			"the event type in the request (%q) disagrees with the body's $.event_type (%q)", d.TriggerType, eventType).AtField("$.event_type")
	case eventType == "" && d.TriggerType != "":
		eventType, bare = d.TriggerType, !hasData
	case eventType == "" && !hasData:
		all, _ := jsonconv.Members(d.Body)
		eventType = bareShape(all)
		bare = eventType != ""
	}
	if typeErr == nil && eventType == "" {
		typeErr = rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING,
			"the ClickFunnels delivery names no event type: expected a non-empty string at $.event_type").AtField("$.event_type")
	}

	kase := n.clickfunnels.Lookup(eventType)
	route := jsonconv.Route{DataKey: cfData, Case: kase, EventType: eventType}
	v1 := !bare && hasData && !declaresV2(members) && isJSONAPI(data)
	if bare {
		route.DataKey = ""
	}
	route.JSONAPI = v1 && kase != nil // an unknown type keeps its data whole
	wire, found, err := n.decoder.EncodeEnvelope(d.Body, cfEvent.desc, n.clickfunnels, route, n.limits.MaxDepth)
	if err != nil {
		return facts{}, err
	}
	if typeErr != nil {
		return facts{}, typeErr
	}
	if err := requireResource(found, "$."+cfData); err != nil {
		return facts{}, err
	}

	// What the conversion knows besides the body follows it: decoding keeps a field's last value.
	msg := encoded(wire)
	var format clickfunnelsv1.DeliveryFormat
	switch {
	case bare:
		format = clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_BARE
	case v1:
		format = clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V1
	case msg.has(cfEvent.apiVersion):
		format = clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V2
	default:
		format = clickfunnelsv1.DeliveryFormat_DELIVERY_FORMAT_V2_LEGACY
	}
	wire = appendStringField(wire, cfEvent.eventType, eventType)
	wire = appendVarintField(wire, cfEvent.format, uint64(format))
	if v1 && found.JSONAPIID != nil {
		wire = appendStringField(wire, cfEvent.dataID, *found.JSONAPIID)
	}
	if v1 && found.JSONAPIType != nil {
		wire = appendStringField(wire, cfEvent.dataType, *found.JSONAPIType)
	}
	env.ProtoReflect().SetUnknown(wire)

	msg = encoded(wire)
	f := facts{id: msg.text(cfEvent.eventID), eventType: eventType, occurredAt: msg.timestamp(cfEvent.createdAt)}
	f.tenant = msg.text(cfEvent.workspaceID)
	if f.tenant == "" && kase == nil {
		f.tenant = unknownClickFunnelsTenant(wire, v1)
	}
	if kase != nil {
		if resource, present := msg.message(kase.Field.Number()); present {
			if f.occurredAt == nil {
				f.occurredAt = resource.timestamp(kase.OccurredAt)
			}
			if f.tenant == "" {
				f.tenant = resource.workspaceOf(kase.Field.Message())
			}
		}
	}
	return f, nil
}

// unknownClickFunnelsTenant reads the tenant of an event of a type hooknorm does not know, from
// its data kept whole (and from the data's attributes in a V1 delivery).
func unknownClickFunnelsTenant(wire []byte, v1 bool) string {
	env := &clickfunnelsv1.Event{}
	if proto.Unmarshal(wire, env) != nil {
		return ""
	}
	data := env.GetUnknown().GetData()
	tenant := unknownTenant(data, "workspace_id")
	if attributes := data.GetStructValue().GetFields()["attributes"]; tenant == "" && v1 {
		tenant = unknownTenant(attributes, "workspace_id")
	}
	return tenant
}

// envelopeMembers outlines the members of a ClickFunnels envelope that say how to read it,
// stopping as soon as it has the event type, the data member and the API version.
func envelopeMembers(body []byte) []jsonconv.Member {
	var members []jsonconv.Member
	var haveType, haveData, haveVersion bool
	jsonconv.Outline(body, func(m jsonconv.Member) bool {
		switch m.Key {
		case "event_type":
			haveType = haveType || m.Kind() != 'n'
		case cfData:
			haveData = true
		case cfAPIVersion:
			haveVersion = true
		case "event_type_id":
		default:
			return true
		}
		members = append(members, m)
		return !haveType || !haveData || !haveVersion
	})
	return members
}

// declaresV2 reports whether the envelope names API version 2 or later, as a number or a numeric
// string: its data is then the V2 resource itself, never JSON:API, whatever members it has. V1
// and the older V2 envelope name no version, so only their data's shape tells them apart.
func declaresV2(members []jsonconv.Member) bool {
	m, present := jsonconv.Lookup(members, cfAPIVersion)
	if !present {
		return false
	}
	text, isString := jsonconv.StringValue(m)
	if !isString {
		text = string(m.Value)
	}
	version, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	return err == nil && version >= 2
}

// jsonAPIMembers are the only members a JSON:API resource object may have.
var jsonAPIMembers = map[string]bool{"id": true, "lid": true, "type": true, "attributes": true, "relationships": true, "links": true, "meta": true}

// isJSONAPI reports whether a data member is JSON:API shaped: an object with an attributes object
// and a type string, and no member a JSON:API resource object cannot have. It stops at the first
// such member, so a large V2 resource costs a glance.
func isJSONAPI(data jsonconv.Member) bool {
	if data.Kind() != '{' {
		return false
	}
	var attrs, typ, other bool
	jsonconv.Outline(data.Value, func(m jsonconv.Member) bool {
		switch {
		case !jsonAPIMembers[m.Key]:
			other = true
			return false
		case m.Key == "attributes":
			attrs = m.Kind() == '{'
		case m.Key == "type":
			typ = m.Kind() == '"'
		}
		return true
	})
	return attrs && typ && !other
}

// bareShape returns the event type of a bare resource the seed documents, or "".
func bareShape(members []jsonconv.Member) string {
	for _, shape := range bareShapes {
		all := len(members) > 0
		for _, name := range shape.members {
			_, present := jsonconv.Lookup(members, name)
			all = all && present
		}
		if all {
			return shape.eventType
		}
	}
	return ""
}
