package normalize_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path"
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

// webflowOccurredKeys names, per Webflow case, the payload keys (API v2 first, then v1) that say
// when the event happened, as the reference documents them.
var webflowOccurredKeys = map[string][]string{
	"form_submission":                  {"submittedAt", "d"},
	"ecomm_new_order":                  {"acceptedOn"},
	"site_publish":                     {"publishedOn", "publishTime"},
	"page_created":                     {"createdOn"},
	"page_metadata_updated":            {"lastUpdated"},
	"page_deleted":                     {"deletedOn"},
	"collection_item_created":          {"createdOn", "created-on"},
	"collection_item_changed":          {"lastUpdated", "updated-on"},
	"comment_created":                  {"createdOn"},
	"memberships_user_account_added":   {"createdOn"},
	"memberships_user_account_updated": {"lastUpdated", "updatedOn"},
}

// expectedFacts derives what a fixture's event must say from the fixture's name and body, not
// from the code under test. Names are PROVIDER/CASE.VARIANT (ClickFunnels, Webflow v2) or
// webflow/v1/TRIGGER.VARIANT; a variant starting with "unknown" expects the unknown case, and a
// ClickFunnels variant starting with v1, legacy or bare expects that delivery format.
func expectedFacts(t *testing.T, f fixtures.Delivery) (kase, format, id, tenant, occurredAt string) {
	t.Helper()
	base := path.Base(f.Name)
	kase, variant, _ := strings.Cut(base, ".")
	if strings.HasPrefix(variant, "unknown") {
		kase = "unknown"
	}
	var raw map[string]any
	dec := json.NewDecoder(strings.NewReader(string(f.Body)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if f.Source == hooknormv1.Source_SOURCE_WEBFLOW {
		format = "1"
		payload := raw
		if strings.HasPrefix(f.Name, "webflow/v2/") {
			format = "2"
			payload, _ = raw["payload"].(map[string]any)
		}
		id = "digest"
		tenant = firstString(payload, "siteId", "site")
		for _, key := range webflowOccurredKeys[kase] {
			if v, ok := payload[key]; ok && v != nil {
				occurredAt = instantOf(t, v)
				break
			}
		}
		return kase, format, id, tenant, occurredAt
	}
	switch strings.SplitN(variant, "-", 2)[0] {
	case "v1":
		format = "DELIVERY_FORMAT_V1"
	case "legacy":
		format = "DELIVERY_FORMAT_V2_LEGACY"
	case "bare":
		format = "DELIVERY_FORMAT_BARE"
	default:
		format = "DELIVERY_FORMAT_V2"
	}
	id = firstString(raw, "event_id", "uuid")
	if id == "" {
		id = "digest"
	}
	tenant = numberText(raw["workspace_id"])
	resource := raw
	if format != "DELIVERY_FORMAT_BARE" {
		resource, _ = raw["data"].(map[string]any)
		if attrs, ok := resource["attributes"].(map[string]any); ok && format == "DELIVERY_FORMAT_V1" {
			resource = attrs
		}
	}
	if tenant == "" {
		tenant = numberText(resource["workspace_id"])
	}
	if app, ok := resource["platform_application"].(map[string]any); ok && tenant == "" {
		tenant = numberText(app["workspace_id"]) // the one resource that wraps another
	}
	if v, ok := raw["created_at"]; ok && v != nil {
		occurredAt = instantOf(t, v)
	} else if v, ok := resource["created_at"]; ok && v != nil && format == "DELIVERY_FORMAT_BARE" && strings.HasPrefix(kase, "communities_") {
		occurredAt = instantOf(t, v) // a bare Communities resource says when it was created
	}
	return kase, format, id, tenant, occurredAt
}

// TestEnvelopeFacts checks, for every fixture, the oneof case, the delivery format, the id, the
// tenant and when the event happened.
func TestEnvelopeFacts(t *testing.T) {
	n := newNormalizer(t)
	for _, f := range allFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			wantCase, wantFormat, wantID, wantTenant, wantOccurred := expectedFacts(t, f)
			event := normalizeFixture(t, n, f)
			var kase, format string
			switch p := event.GetPayload().(type) {
			case *hooknormv1.Event_Clickfunnels:
				msg := p.Clickfunnels.ProtoReflect()
				kase = string(msg.WhichOneof(msg.Descriptor().Oneofs().ByName("event")).Name())
				format = p.Clickfunnels.GetFormat().String()
			case *hooknormv1.Event_Webflow:
				msg := p.Webflow.ProtoReflect()
				kase = string(msg.WhichOneof(msg.Descriptor().Oneofs().ByName("event")).Name())
				format = strconv.FormatInt(p.Webflow.GetApiVersion(), 10)
			}
			if kase != wantCase || format != wantFormat {
				t.Errorf("case %s (format %s), want %s (format %s)", kase, format, wantCase, wantFormat)
			}
			if wantID == "digest" {
				if len(event.GetId()) != 32 || strings.Trim(event.GetId(), "0123456789abcdef") != "" {
					t.Errorf("id %q is not a 32-hex digest", event.GetId())
				}
			} else if event.GetId() != wantID {
				t.Errorf("id %q, want %q", event.GetId(), wantID)
			}
			if event.GetTenant() != wantTenant {
				t.Errorf("tenant %q, want %q", event.GetTenant(), wantTenant)
			}
			if got := formatTime(event); got != wantOccurred {
				t.Errorf("occurred_at %q, want %q", got, wantOccurred)
			}
			if event.GetType() == "" || !event.GetReceivedAt().AsTime().Equal(receivedAt) {
				t.Errorf("envelope incomplete: type %q, received_at %v", event.GetType(), event.GetReceivedAt())
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

// numberText is a JSON number or string as text.
func numberText(v any) string {
	switch n := v.(type) {
	case json.Number:
		return n.String()
	case string:
		return n
	}
	return ""
}

// instantOf reads an ISO time, or epoch milliseconds or seconds, as an RFC 3339 UTC string.
func instantOf(t *testing.T, v any) string {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			t.Fatalf("time %v is not an integer", x)
		}
		if n >= 1e11 {
			return time.UnixMilli(n).UTC().Format(time.RFC3339Nano)
		}
		return time.Unix(n, 0).UTC().Format(time.RFC3339Nano)
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 -0700"} {
			if parsed, err := time.Parse(layout, x); err == nil {
				return parsed.UTC().Format(time.RFC3339Nano)
			}
		}
		t.Fatalf("time %q is not ISO 8601", x)
	}
	t.Fatalf("time %v is neither a string nor a number", v)
	return ""
}

func formatTime(event *hooknormv1.Event) string {
	if event.GetOccurredAt() == nil {
		return ""
	}
	return event.GetOccurredAt().AsTime().UTC().Format(time.RFC3339Nano)
}
