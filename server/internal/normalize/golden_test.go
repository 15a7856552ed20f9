package normalize_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// receivedAt is the fixed receive time of every golden event.
var receivedAt = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newNormalizer(t testing.TB) *normalize.Normalizer {
	t.Helper()
	n, err := normalize.New(normalize.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func normalizeFixture(t testing.TB, n *normalize.Normalizer, f fixtures.Delivery) *hooknormv1.Event {
	t.Helper()
	event, err := n.Normalize(normalize.Delivery{Source: f.Source, Body: f.Body, TriggerType: f.TriggerType, ReceivedAt: receivedAt})
	if err != nil {
		t.Fatalf("Normalize(%s): %v", f.Name, err)
	}
	return event
}

func allFixtures(t testing.TB) []fixtures.Delivery {
	t.Helper()
	all, err := fixtures.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no fixtures")
	}
	return all
}

func goldenPath(name string) string {
	return filepath.Join("testdata", "golden", filepath.FromSlash(name)+".golden.json")
}

// TestGolden converts every fixture and compares the event, as protojson, with its golden file.
// Run `go test ./server/internal/normalize -update` to rewrite the golden files, then review the
// diff.
func TestGolden(t *testing.T) {
	n := newNormalizer(t)
	seen := map[string]bool{}
	for _, f := range allFixtures(t) {
		path := goldenPath(f.Name)
		seen[path] = true
		t.Run(f.Name, func(t *testing.T) {
			got := normalizeFixture(t, n, f)
			got.RawPayload = nil
			if *update {
				writeGolden(t, path, got)
				return
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			want := &hooknormv1.Event{}
			if err := protojson.Unmarshal(data, want); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s differs (-golden +got):\n%s", path, diff)
			}
		})
	}
	err := filepath.WalkDir(filepath.Join("testdata", "golden"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !seen[path] {
			t.Errorf("%s has no fixture; delete it", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeGolden(t *testing.T, path string, event *hooknormv1.Event) {
	t.Helper()
	compact, err := protojson.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, compact, "", "  "); err != nil {
		t.Fatal(err)
	}
	indented.WriteString("\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, indented.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEnvelopeFacts states, for every fixture, what the envelope must say: the oneof case, the
// id, the tenant and when the event happened.
func TestEnvelopeFacts(t *testing.T) {
	type facts struct {
		kase, id, tenant, occurredAt, format string
	}
	digest := "digest" // a Webflow id: 32 hex digits derived from the body
	want := map[string]facts{
		"clickfunnels/contact.created.v1":         {"contact_created", "", "", "", "DELIVERY_FORMAT_V1"},
		"clickfunnels/contact.created.v2":         {"contact_created", "", "", "", "DELIVERY_FORMAT_V2"},
		"clickfunnels/contact.updated.legacy":     {"contact_updated", "", "", "", "DELIVERY_FORMAT_V2_LEGACY"},
		"clickfunnels/contact.updated.old-names":  {"contact_updated", "", "", "", "DELIVERY_FORMAT_V2_LEGACY"},
		"clickfunnels/order.created.v2":           {"order_created", "", "", "", "DELIVERY_FORMAT_V2"},
		"clickfunnels/orders_invoice.paid.quirks": {"orders_invoice_paid", "", "", "", "DELIVERY_FORMAT_V2"},
		"clickfunnels/orders_invoice.paid.v2":     {"orders_invoice_paid", "", "", "", "DELIVERY_FORMAT_V2"},
		"clickfunnels/widget.exploded.v2":         {"unknown", "", "", "", "DELIVERY_FORMAT_V2"},
		"webflow/v1/ecomm_new_order.seed":         {"ecomm_new_order", digest, "", "2018-12-03T22:06:15.761Z", "1"},
		"webflow/v1/ecomm_order_changed.refunded": {"ecomm_order_changed", digest, "", "", "1"},
		"webflow/v1/form_submission.seed":         {"form_submission", digest, "62749158efef318abc8d5a0f", "2022-09-14T12:35:16.117Z", "1"},
		"webflow/v2/ecomm_new_order":              {"ecomm_new_order", digest, "", "", "2"},
		"webflow/v2/ecomm_order_changed":          {"ecomm_order_changed", digest, "", "", "2"},
		"webflow/v2/form_submission":              {"form_submission", digest, "", "", "2"},
		"webflow/v2/widget_exploded":              {"unknown", digest, "", "", "2"},
	}
	n := newNormalizer(t)
	for _, f := range allFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			w, ok := want[f.Name]
			if !ok {
				t.Fatalf("no expectation for fixture %s: add one", f.Name)
			}
			event := normalizeFixture(t, n, f)
			var raw map[string]any
			if err := json.Unmarshal(f.Body, &raw); err != nil {
				t.Fatal(err)
			}
			var kase, format string
			switch p := event.GetPayload().(type) {
			case *hooknormv1.Event_Clickfunnels:
				msg := p.Clickfunnels.ProtoReflect()
				kase = string(msg.WhichOneof(msg.Descriptor().Oneofs().ByName("event")).Name())
				format = p.Clickfunnels.GetFormat().String()
				// ClickFunnels ids, tenants and times come from the envelope itself.
				w.id = firstString(raw, "event_id", "uuid")
				w.tenant = numberText(raw["workspace_id"])
				w.occurredAt, _ = raw["created_at"].(string)
				if w.tenant == "" {
					w.tenant = numberText(resourceOf(raw)["workspace_id"])
				}
			case *hooknormv1.Event_Webflow:
				msg := p.Webflow.ProtoReflect()
				kase = string(msg.WhichOneof(msg.Descriptor().Oneofs().ByName("event")).Name())
				format = numberText(p.Webflow.GetApiVersion())
				if w.kase == "form_submission" && w.tenant == "" {
					w.tenant = raw["payload"].(map[string]any)["siteId"].(string)
				}
				if w.occurredAt == "" && w.kase == "form_submission" {
					w.occurredAt = raw["payload"].(map[string]any)["submittedAt"].(string)
				}
				if w.occurredAt == "" && w.kase == "ecomm_new_order" {
					w.occurredAt = raw["payload"].(map[string]any)["acceptedOn"].(string)
				}
			}
			if kase != w.kase || format != w.format {
				t.Errorf("case %s (format %s), want %s (format %s)", kase, format, w.kase, w.format)
			}
			if w.id == digest {
				if len(event.GetId()) != 32 || strings.Trim(event.GetId(), "0123456789abcdef") != "" {
					t.Errorf("id %q is not a 32-hex digest", event.GetId())
				}
			} else if event.GetId() != w.id {
				t.Errorf("id %q, want %q", event.GetId(), w.id)
			}
			if event.GetTenant() != w.tenant {
				t.Errorf("tenant %q, want %q", event.GetTenant(), w.tenant)
			}
			if got := formatTime(event); got != normalizeTime(t, w.occurredAt) {
				t.Errorf("occurred_at %q, want %q", got, w.occurredAt)
			}
			if event.GetType() == "" || event.GetSource() == hooknormv1.Source_SOURCE_UNSPECIFIED || !event.GetReceivedAt().AsTime().Equal(receivedAt) {
				t.Errorf("envelope incomplete: type %q, source %v, received_at %v", event.GetType(), event.GetSource(), event.GetReceivedAt())
			}
		})
	}
}

func firstString(obj map[string]any, keys ...string) string {
	for _, key := range keys {
		if s, ok := obj[key].(string); ok {
			return s
		}
	}
	return ""
}

func numberText(v any) string {
	switch n := v.(type) {
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	case string:
		return n
	case int64:
		return strconv.FormatInt(n, 10)
	}
	return ""
}

// resourceOf returns a ClickFunnels delivery's resource: data, or data.attributes for V1.
func resourceOf(raw map[string]any) map[string]any {
	data, _ := raw["data"].(map[string]any)
	if attrs, ok := data["attributes"].(map[string]any); ok {
		return attrs
	}
	return data
}

func formatTime(event *hooknormv1.Event) string {
	if event.GetOccurredAt() == nil {
		return ""
	}
	return event.GetOccurredAt().AsTime().UTC().Format(time.RFC3339Nano)
}

func normalizeTime(t *testing.T, s string) string {
	if s == "" {
		return ""
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("expected time %q: %v", s, err)
	}
	return parsed.UTC().Format(time.RFC3339Nano)
}
