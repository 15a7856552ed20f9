package jsonconv_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func newDecoder(t *testing.T) *jsonconv.Decoder {
	t.Helper()
	d, err := jsonconv.NewDecoder(
		(&webflowv1.Event{}).ProtoReflect().Descriptor(),
		(&clickfunnelsv1.Event{}).ProtoReflect().Descriptor(),
	)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fill reads body into msg.
func fill[M proto.Message](t *testing.T, d *jsonconv.Decoder, msg M, body string) M {
	t.Helper()
	if err := d.Unmarshal([]byte(body), msg, jsonconv.DefaultMaxDepth); err != nil {
		t.Fatal(err)
	}
	return msg
}

func extra(t *testing.T, fields map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(fields)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func at(s string) *timestamppb.Timestamp {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(t)
}

func TestFill(t *testing.T) {
	d := newDecoder(t)
	cases := []struct {
		name string
		msg  proto.Message
		body string
		want proto.Message
	}{
		{"amount value as a string, as API v2 sends it", &webflowv1.Amount{}, `{"unit": "USD", "value": "11873", "string": "$ 118.73 USD"}`,
			&webflowv1.Amount{Unit: proto.String("USD"), Value: proto.Int64(11873), Display: proto.String("$ 118.73 USD")}},
		{"amount value as a number, as API v1 sends it", &webflowv1.Amount{}, `{"value": 6099}`,
			&webflowv1.Amount{Value: proto.Int64(6099)}},
		{"integral float into an integer", &webflowv1.Amount{}, `{"value": "12.0"}`, &webflowv1.Amount{Value: proto.Int64(12)}},
		{"fraction into an integer is kept aside", &webflowv1.Amount{}, `{"value": 12.5}`,
			&webflowv1.Amount{Extra: extra(t, map[string]any{"value": 12.5})}},
		{"out of range integer is kept aside with every digit", &webflowv1.Amount{}, `{"value": 12345678901234567890}`,
			&webflowv1.Amount{Extra: extra(t, map[string]any{"value": "12345678901234567890"})}},
		{"text into an integer is kept aside", &webflowv1.Amount{}, `{"value": "lots"}`,
			&webflowv1.Amount{Extra: extra(t, map[string]any{"value": "lots"})}},
		{"number into a string keeps its literal", &clickfunnelsv1.Invoice{}, `{"total_amount": 49.50, "invoice_number": 1001}`,
			&clickfunnelsv1.Invoice{TotalAmount: proto.String("49.50"), InvoiceNumber: proto.String("1001")}},
		{"boolean into a string", &clickfunnelsv1.Invoice{}, `{"external_id": true}`, &clickfunnelsv1.Invoice{ExternalId: proto.String("true")}},
		{"object into a string is kept aside", &clickfunnelsv1.Invoice{}, `{"currency": {"code": "USD"}}`,
			&clickfunnelsv1.Invoice{Extra: extra(t, map[string]any{"currency": map[string]any{"code": "USD"}})}},
		{"id as a string", &clickfunnelsv1.Contact{}, `{"id": "12345", "workspace_id": 7}`,
			&clickfunnelsv1.Contact{Id: proto.Int64(12345), WorkspaceId: proto.Int64(7)}},
		{"booleans as strings and 0/1", &webflowv1.Order{}, `{"hasDownloads": "true", "isCustomerDeleted": 0}`,
			&webflowv1.Order{HasDownloads: proto.Bool(true), IsCustomerDeleted: proto.Bool(false)}},
		{"unreadable boolean is kept aside", &webflowv1.Order{}, `{"hasDownloads": "yes"}`,
			&webflowv1.Order{Extra: extra(t, map[string]any{"hasDownloads": "yes"})}},
		{"null leaves a field unset", &webflowv1.Order{}, `{"comment": null, "disputedOn": null, "purchasedItems": null}`, &webflowv1.Order{}},
		{"enum with its raw value", &webflowv1.Order{}, `{"status": "dispute-lost"}`,
			&webflowv1.Order{Status: webflowv1.OrderStatus_ORDER_STATUS_DISPUTE_LOST, StatusRaw: proto.String("dispute-lost")}},
		{"enum value hooknorm does not know keeps its raw value", &webflowv1.Order{}, `{"status": "chargeback"}`,
			&webflowv1.Order{StatusRaw: proto.String("chargeback")}},
		{"enum values with spaces and capitals", &webflowv1.StripeCard{}, `{"brand": "American Express"}`,
			&webflowv1.StripeCard{Brand: webflowv1.CardBrand_CARD_BRAND_AMERICAN_EXPRESS, BrandRaw: proto.String("American Express")}},
		{"enum as a number is kept aside", &webflowv1.Order{}, `{"status": 3}`,
			&webflowv1.Order{Extra: extra(t, map[string]any{"status": 3})}},
		{"a provider key named like a raw field is kept aside", &webflowv1.Order{}, `{"status_raw": "x"}`,
			&webflowv1.Order{Extra: extra(t, map[string]any{"status_raw": "x"})}},
		{"a provider key named extra is kept aside", &webflowv1.Order{}, `{"extra": 1}`,
			&webflowv1.Order{Extra: extra(t, map[string]any{"extra": 1})}},
		{"API v1 aliases", &webflowv1.FormSubmission{}, `{"site": "s1", "d": "2022-09-14T12:35:16.117Z", "_id": "f1"}`,
			&webflowv1.FormSubmission{SiteId: proto.String("s1"), SubmittedAt: at("2022-09-14T12:35:16.117Z"), Id: proto.String("f1")}},
		{"the first key to reach a field wins, a later one is kept", &webflowv1.Order{}, `{"requiresShipping": false, "isShippingRequired": true}`,
			&webflowv1.Order{IsShippingRequired: proto.Bool(false), Extra: extra(t, map[string]any{"isShippingRequired": true})}},
		{"a null does not fill a field, a later key can", &webflowv1.Order{}, `{"requiresShipping": null, "isShippingRequired": true}`,
			&webflowv1.Order{IsShippingRequired: proto.Bool(true)}},
		{"an escaped key whose escaped value does not fit keeps its own name", &webflowv1.Amount{}, `{"v\u0061lue": "l\u006fts"}`,
			&webflowv1.Amount{Extra: extra(t, map[string]any{"value": "lots"})}},
		{"escaped keys and strings", &webflowv1.FormSubmission{}, `{"n\u0061me": "Caf\u00e9 \"A\"", "da\u0074a": {"k\u0065y": "\ud83d\ude00"}}`,
			&webflowv1.FormSubmission{Name: proto.String(`Café "A"`), Data: extra(t, map[string]any{"key": "😀"})}},
		{"a list of messages with a non-object element is kept whole", &webflowv1.Order{}, `{"purchasedItems": [{"count": 1}, "oops"], "comment": "c"}`,
			&webflowv1.Order{Comment: proto.String("c"), Extra: extra(t, map[string]any{"purchasedItems": []any{map[string]any{"count": 1}, "oops"}})}},
		{"a list with a null element is kept whole", &clickfunnelsv1.Order{}, `{"tag_ids": [1, null]}`,
			&clickfunnelsv1.Order{Extra: extra(t, map[string]any{"tag_ids": []any{1, nil}})}},
		{"values of every JSON kind kept aside", &webflowv1.Amount{}, `{"x": {"a": [true, null, -1.5e3, "s", {"b": []}]}}`,
			&webflowv1.Amount{Extra: extra(t, map[string]any{"x": map[string]any{"a": []any{true, nil, -1500.0, "s", map[string]any{"b": []any{}}}}})}},
		{"JSON names whose casing differs from the proto name", &webflowv1.Order{}, `{"shippingTrackingURL": "https://t.example/1"}`,
			&webflowv1.Order{ShippingTrackingUrl: proto.String("https://t.example/1")}},
		{"timestamp with an offset", &clickfunnelsv1.Contact{}, `{"created_at": "2025-01-31T11:08:33.768+01:00"}`,
			&clickfunnelsv1.Contact{CreatedAt: at("2025-01-31T10:08:33.768Z")}},
		{"timestamp as epoch milliseconds", &clickfunnelsv1.Contact{}, `{"created_at": 1653619272801}`,
			&clickfunnelsv1.Contact{CreatedAt: at("2022-05-27T02:41:12.801Z")}},
		{"timestamp as epoch seconds in a string", &clickfunnelsv1.Contact{}, `{"created_at": "1653619272"}`,
			&clickfunnelsv1.Contact{CreatedAt: at("2022-05-27T02:41:12Z")}},
		{"timestamp in Ruby's format", &clickfunnelsv1.Contact{}, `{"created_at": "2025-01-31 11:08:33 +0100"}`,
			&clickfunnelsv1.Contact{CreatedAt: at("2025-01-31T10:08:33Z")}},
		{"unreadable timestamp is kept aside", &clickfunnelsv1.Contact{}, `{"created_at": "yesterday"}`,
			&clickfunnelsv1.Contact{Extra: extra(t, map[string]any{"created_at": "yesterday"})}},
		{"map values as text", &clickfunnelsv1.Contact{}, `{"custom_attributes": {"plan": "gold", "seats": 5}}`,
			&clickfunnelsv1.Contact{CustomAttributes: map[string]string{"plan": "gold", "seats": "5"}}},
		{"map with a nested value is kept aside whole", &clickfunnelsv1.Contact{}, `{"custom_attributes": {"plan": {"name": "gold"}}}`,
			&clickfunnelsv1.Contact{Extra: extra(t, map[string]any{"custom_attributes": map[string]any{"plan": map[string]any{"name": "gold"}}})}},
		{"list with a bad element is kept aside whole", &clickfunnelsv1.Order{}, `{"tag_ids": [1, "two", 3]}`,
			&clickfunnelsv1.Order{Extra: extra(t, map[string]any{"tag_ids": []any{1, "two", 3}})}},
		{"nested messages keep their own unknown keys", &clickfunnelsv1.Order{}, `{"contact": {"id": 1, "pronouns": "she/her"}, "gift": true}`,
			&clickfunnelsv1.Order{
				Contact: &clickfunnelsv1.Contact{Id: proto.Int64(1), Extra: extra(t, map[string]any{"pronouns": "she/her"})},
				Extra:   extra(t, map[string]any{"gift": true}),
			}},
		{"Struct fields keep any JSON", &webflowv1.FormSubmission{}, `{"data": {"phone": 15550000000, "ok": true, "tags": ["a"]}}`,
			&webflowv1.FormSubmission{Data: extra(t, map[string]any{"phone": 15550000000.0, "ok": true, "tags": []any{"a"}})}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fill(t, d, c.msg, c.body)
			if diff := cmp.Diff(c.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestFirstKeyWins checks that when several keys reach one field, the first in the body fills
// it and the others are kept, whatever their kind of name.
func TestFirstKeyWins(t *testing.T) {
	d := newDecoder(t)
	got := fill(t, d, &webflowv1.FormSubmission{}, `{"site": "a", "siteId": "b", "site_id": "c"}`)
	want := &webflowv1.FormSubmission{SiteId: proto.String("a"), Extra: extra(t, map[string]any{"siteId": "b", "site_id": "c"})}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
