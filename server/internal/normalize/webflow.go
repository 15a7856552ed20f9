package normalize

import (
	"strconv"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Webflow envelope members and headers that the conversion reads itself.
const (
	wfTriggerType     = "triggerType"
	wfPayload         = "payload"
	wfTimestampHeader = "x-webflow-timestamp"
)

// convertWebflow reads a Webflow delivery: an API v2 envelope {"triggerType", "payload"}, or an
// API v1 bare payload whose trigger type comes from outside the body (d.TriggerType). The
// envelope alone decides the resource's shape: an API v1 body is the resource itself, flat (a
// collection item's fields at its top level); an API v2 payload nests a collection item's fields
// in fieldData, and must be an object.
func (n *Normalizer) convertWebflow(d Delivery) (*webflowv1.Event, facts, error) {
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
	env := &webflowv1.Event{}
	found, err := n.decoder.UnmarshalEnvelope(d.Body, env, n.webflow, route, n.limits.MaxDepth)
	if err != nil {
		return nil, facts{}, err
	}
	if typeErr != nil {
		return nil, facts{}, typeErr
	}
	if err := requireResource(found, "$."+wfPayload); err != nil {
		return nil, facts{}, err
	}
	env.TriggerType, env.ApiVersion = &trigger, &apiVersion

	f := facts{eventType: trigger}
	if resource := caseMessage(env.ProtoReflect(), kase); resource != nil {
		f.occurredAt = timestampField(resource, kase.OccurredAt)
		f.tenant = scalarField(resource, "site_id")
	}
	if kase == nil {
		f.tenant = unknownTenant(env.GetUnknown().GetPayload(), "siteId", "site")
	}
	if f.occurredAt == nil {
		f.occurredAt = epochMillis(header(d.Headers, wfTimestampHeader))
	}
	return env, f, nil
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
