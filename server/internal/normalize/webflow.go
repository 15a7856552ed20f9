package normalize

import (
	"strconv"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Webflow envelope members and headers that the conversion reads itself.
const (
	wfTriggerType     = "triggerType"
	wfPayload         = "payload"
	wfTimestampHeader = "x-webflow-timestamp"
)

// convertWebflow reads a Webflow delivery into env, encoded (see NormalizeEncoded): an API v2 envelope {"triggerType", "payload"}, or an
// API v1 bare payload whose trigger type comes from outside the body (d.TriggerType). The
// envelope alone decides the resource's shape: an API v1 body is the resource itself, flat (a
// collection item's fields at its top level); an API v2 payload nests a collection item's fields
// in fieldData, and must be an object.
func (n *Normalizer) convertWebflow(d Delivery, env *webflowv1.Event) (facts, error) {
	var members []jsonconv.Member
	jsonconv.Outline(d.Body, func(m jsonconv.Member) bool {
		if m.Key != wfTriggerType {
			return true
		}
		members = append(members, m)
		return false
	})
	_, v2 := jsonconv.Lookup(members, wfTriggerType)
	var trigger string
	var typeErr error
	route := jsonconv.Route{DataKey: wfPayload}
	apiVersion := int64(2)
	if v2 {
		trigger, typeErr = eventTypeOf(members, wfTriggerType)
		switch {
		case typeErr != nil:
		case trigger == "":
			typeErr = rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING,
				"the Webflow delivery's $.triggerType is empty or null, expected the trigger type").AtField("$." + wfTriggerType)
		case d.TriggerType != "" && d.TriggerType != trigger:
			typeErr = rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT,
				"the trigger type in the request (%q) disagrees with the body's $.triggerType (%q)", d.TriggerType, trigger).AtField("$." + wfTriggerType)
		}
	} else {
		trigger, route.DataKey, route.Flat, apiVersion = d.TriggerType, "", true, 1
		if trigger == "" {
			typeErr = rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING,
				"the Webflow delivery names no trigger type: an API v2 body has $.triggerType, and an API v1 body (the bare payload) "+
					"needs it in the URL, POST /v1/webhooks/webflow/{trigger_type}, or in trigger_type").AtField("$." + wfTriggerType)
		}
	}
	kase := n.webflow.Lookup(trigger)
	route.Case, route.EventType = kase, trigger
	wire, found, err := n.decoder.EncodeEnvelope(d.Body, wfEvent.desc, n.webflow, route, n.limits.MaxDepth)
	if err != nil {
		return facts{}, err
	}
	if typeErr != nil {
		return facts{}, typeErr
	}
	if err := requireResource(found, "$."+wfPayload); err != nil {
		return facts{}, err
	}
	// What the conversion knows besides the body follows it: decoding keeps a field's last value.
	wire = appendStringField(wire, wfEvent.triggerType, trigger)
	wire = appendVarintField(wire, wfEvent.apiVersion, uint64(apiVersion))
	env.ProtoReflect().SetUnknown(wire)

	f := facts{eventType: trigger}
	if kase != nil {
		if resource, present := encoded(wire).message(kase.Field.Number()); present {
			f.occurredAt = resource.timestamp(kase.OccurredAt)
			f.tenant = resource.text(kase.Field.Message().Fields().ByName("site_id"))
		}
	} else {
		f.tenant = unknownWebflowTenant(wire)
	}
	if f.occurredAt == nil {
		f.occurredAt = epochMillis(header(d.Headers, wfTimestampHeader))
	}
	return f, nil
}

// unknownWebflowTenant reads the tenant of an event of a trigger type hooknorm does not know, from
// its payload kept whole.
func unknownWebflowTenant(wire []byte) string {
	env := &webflowv1.Event{}
	if proto.Unmarshal(wire, env) != nil {
		return ""
	}
	return unknownTenant(env.GetUnknown().GetPayload(), "siteId", "site")
}

// epochMillis reads Webflow's x-webflow-timestamp header, Unix time in milliseconds; nil when the
// header is absent or malformed.
func epochMillis(value string) *timestamppb.Timestamp {
	ms, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || ms <= 0 {
		return nil
	}
	ts := &timestamppb.Timestamp{Seconds: ms / 1000, Nanos: int32(ms%1000) * 1e6}
	if ts.CheckValid() != nil {
		return nil
	}
	return ts
}
