package normalize

import (
	"strconv"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Webflow envelope keys and headers that the conversion reads itself.
const (
	wfTriggerType     = "triggerType"
	wfPayload         = "payload"
	wfTimestampHeader = "x-webflow-timestamp"
)

// convertWebflow reads a Webflow delivery: an API v2 envelope {"triggerType", "payload"}, or an
// API v1 bare payload whose trigger type comes from outside the body (d.TriggerType).
func (n *Normalizer) convertWebflow(obj map[string]any, d Delivery) (*webflowv1.Event, facts, error) {
	env := &webflowv1.Event{}
	msg := env.ProtoReflect()
	var trigger string
	var payload any
	if _, v2 := obj[wfTriggerType]; v2 {
		var err error
		if trigger, err = eventTypeOf(obj, wfTriggerType); err != nil {
			return nil, facts{}, err
		}
		if trigger == "" {
			return nil, facts{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING,
				"the Webflow delivery's $.triggerType is empty or null, expected the trigger type").AtField("$." + wfTriggerType)
		}
		if d.TriggerType != "" && d.TriggerType != trigger {
			return nil, facts{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_CONFLICT,
				"the trigger type in the request (%q) disagrees with the body's $.triggerType (%q)", d.TriggerType, trigger).AtField("$." + wfTriggerType)
		}
		payload = obj[wfPayload]
		delete(obj, wfPayload)
		n.decoder.Fill(msg, obj)
		env.ApiVersion = ptr(int64(2))
	} else {
		trigger = d.TriggerType
		if trigger == "" {
			return nil, facts{}, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_EVENT_TYPE_MISSING,
				"the Webflow delivery names no trigger type: an API v2 body has $.triggerType, and an API v1 body (the bare payload) "+
					"needs it in the URL, POST /v1/webhooks/webflow/{trigger_type}, or in trigger_type").AtField("$." + wfTriggerType)
		}
		payload = obj
		env.ApiVersion = ptr(int64(1))
	}
	env.TriggerType = &trigger
	kase := n.decoder.FillCase(msg, n.webflow, trigger, payload, wfPayload)

	f := facts{eventType: trigger}
	if kase != nil {
		caseMsg := msg.Get(kase.Field).Message()
		f.occurredAt = timestampField(caseMsg, kase.OccurredAt)
		f.tenant = stringOrIntField(caseMsg, "site_id")
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

func ptr[T any](v T) *T { return &v }
