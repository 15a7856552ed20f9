package catalog_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/catalog"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestEveryTypeBecomesItsCase delivers a minimal body of every listed type, and of its older
// spellings, and checks that the event lands in the listed case, at the listed JSON path.
func TestEveryTypeBecomesItsCase(t *testing.T) {
	normalizer, err := normalize.New(normalize.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	types := catalog.EventTypes(nil)
	if len(types) < 40 {
		t.Fatalf("the catalogue lists %d event types; the schema defines more than 40", len(types))
	}
	for _, et := range types {
		for _, spelling := range append([]string{et.GetType()}, et.GetOtherTypes()...) {
			t.Run(et.GetSource().String()+"/"+spelling, func(t *testing.T) {
				body := fmt.Sprintf(`{"event_type": %q, "event_id": "e1", "data": {}}`, spelling)
				if et.GetSource() == hooknormv1.Source_SOURCE_WEBFLOW {
					body = fmt.Sprintf(`{"triggerType": %q, "payload": {}}`, spelling)
				}
				event, err := normalizer.Normalize(normalize.Delivery{Source: et.GetSource(), Body: []byte(body), ReceivedAt: time.Now()})
				if err != nil {
					t.Fatalf("normalizing %s: %v", body, err)
				}
				provider := event.ProtoReflect().WhichOneof(event.ProtoReflect().Descriptor().Oneofs().ByName("payload"))
				inner := event.ProtoReflect().Get(provider).Message()
				caseField := inner.WhichOneof(inner.Descriptor().Oneofs().ByName("event"))
				if got := string(provider.Name()) + "." + string(caseField.Name()); got != et.GetOneofCase() {
					t.Errorf("the event became %s; the catalogue says %s", got, et.GetOneofCase())
				}
				if got := inner.Descriptor().Fields().ByName(caseField.Name()).Message().FullName(); string(got) != et.GetMessage() {
					t.Errorf("the case's message is %s; the catalogue says %s", got, et.GetMessage())
				}
				asJSON, err := protojson.Marshal(event)
				if err != nil {
					t.Fatal(err)
				}
				var doc map[string]any
				if err := json.Unmarshal(asJSON, &doc); err != nil {
					t.Fatal(err)
				}
				var at any = doc
				for _, key := range strings.Split(et.GetJsonPath(), ".") {
					object, _ := at.(map[string]any)
					if at = object[key]; at == nil {
						t.Fatalf("the event's JSON has nothing at %s: %s", et.GetJsonPath(), asJSON)
					}
				}
			})
		}
	}
}

func TestEventTypesOfSources(t *testing.T) {
	all := catalog.EventTypes(nil)
	tests := []struct {
		name    string
		sources []hooknormv1.Source
		want    map[hooknormv1.Source]bool
	}{
		{"none named lists every provider", nil, map[hooknormv1.Source]bool{hooknormv1.Source_SOURCE_CLICKFUNNELS: true, hooknormv1.Source_SOURCE_WEBFLOW: true}},
		{"clickfunnels only", []hooknormv1.Source{hooknormv1.Source_SOURCE_CLICKFUNNELS}, map[hooknormv1.Source]bool{hooknormv1.Source_SOURCE_CLICKFUNNELS: true}},
		{"webflow only", []hooknormv1.Source{hooknormv1.Source_SOURCE_WEBFLOW}, map[hooknormv1.Source]bool{hooknormv1.Source_SOURCE_WEBFLOW: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := catalog.EventTypes(tt.sources)
			seen := map[hooknormv1.Source]bool{}
			for _, et := range got {
				seen[et.GetSource()] = true
			}
			if len(seen) != len(tt.want) {
				t.Errorf("listed types of %v, want %v", seen, tt.want)
			}
			for source := range tt.want {
				if !seen[source] {
					t.Errorf("no type of %s listed", source)
				}
			}
			if len(tt.sources) == 0 && len(got) != len(all) {
				t.Errorf("listed %d types, want all %d", len(got), len(all))
			}
		})
	}
}

func TestKnownEntries(t *testing.T) {
	want := map[string]*hooknormv1.EventType{
		"orders/invoice.paid": {Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Type: "orders/invoice.paid",
			OneofCase: "clickfunnels.orders_invoice_paid", JsonPath: "clickfunnels.ordersInvoicePaid", Message: "hooknorm.clickfunnels.v1.Invoice"},
		"memberships_user_account_added": {Source: hooknormv1.Source_SOURCE_WEBFLOW, Type: "memberships_user_account_added",
			OtherTypes: []string{"user_account_added"}, OneofCase: "webflow.memberships_user_account_added",
			JsonPath: "webflow.membershipsUserAccountAdded", Message: "hooknorm.webflow.v1.UserAccount"},
	}
	found := 0
	for _, et := range catalog.EventTypes(nil) {
		w, ok := want[et.GetType()]
		if !ok {
			continue
		}
		found++
		if got, want := protojson.Format(et), protojson.Format(w); got != want {
			t.Errorf("%s is listed as\n%s\nwant\n%s", et.GetType(), got, want)
		}
	}
	if found != len(want) {
		t.Errorf("found %d of the %d expected types", found, len(want))
	}
}

func TestCallersMayChangeWhatTheyGet(t *testing.T) {
	first := catalog.EventTypes(nil)
	first[0].Type = "changed"
	if catalog.EventTypes(nil)[0].GetType() == "changed" {
		t.Error("changing a listed type changed the catalogue")
	}
}
