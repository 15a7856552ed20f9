package normalize_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

func fixture(t *testing.T, path string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "fixtures", "deliveries", path))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestTenantGivenOutsideTheBody checks the tenant a delivery is sent for (the webhook URL's
// tenant parameter): it becomes the tenant of an event whose body names none, it is part of the
// id Webflow events get, so one body sent for two tenants makes two events, and it must agree with
// a tenant the body names.
func TestTenantGivenOutsideTheBody(t *testing.T) {
	n := newNormalizer(t)
	order := fixture(t, "webflow/v2/ecomm_new_order.full.json")       // names no site
	form := fixture(t, "webflow/v2/form_submission.full.json")        // names its site
	invoice := fixture(t, "clickfunnels/orders_invoice_paid.v2.json") // names its workspace
	normalizeFor := func(source hooknormv1.Source, body []byte, tenant string) (*hooknormv1.Event, error) {
		return n.Normalize(normalize.Delivery{Source: source, Body: body, Tenant: tenant, ReceivedAt: time.Unix(1, 0)})
	}
	wf, cf := hooknormv1.Source_SOURCE_WEBFLOW, hooknormv1.Source_SOURCE_CLICKFUNNELS

	plain, err := normalizeFor(wf, order, "")
	if err != nil {
		t.Fatal(err)
	}
	siteA, err := normalizeFor(wf, order, "site-a")
	if err != nil {
		t.Fatal(err)
	}
	siteAAgain, _ := normalizeFor(wf, order, "site-a")
	siteB, _ := normalizeFor(wf, order, "site-b")
	if plain.GetTenant() != "" || siteA.GetTenant() != "site-a" || siteB.GetTenant() != "site-b" {
		t.Errorf("tenants %q, %q, %q; want \"\", site-a, site-b", plain.GetTenant(), siteA.GetTenant(), siteB.GetTenant())
	}
	if siteA.GetId() != siteAAgain.GetId() {
		t.Errorf("a retried delivery for one tenant changed id: %s, then %s", siteA.GetId(), siteAAgain.GetId())
	}
	if siteA.GetId() == plain.GetId() || siteA.GetId() == siteB.GetId() {
		t.Errorf("ids without a tenant, for site-a and for site-b: %s, %s, %s; want three", plain.GetId(), siteA.GetId(), siteB.GetId())
	}

	formEvent, err := normalizeFor(wf, form, "")
	if err != nil {
		t.Fatal(err)
	}
	site := formEvent.GetTenant()
	if site == "" {
		t.Fatal("the form submission fixture names no site")
	}
	agreeing, err := normalizeFor(wf, form, site)
	if err != nil {
		t.Fatalf("the body's own site given as the tenant: %v", err)
	}
	if agreeing.GetId() != formEvent.GetId() || agreeing.GetTenant() != site {
		t.Errorf("giving the body's own site changed the event: id %s (was %s), tenant %q", agreeing.GetId(), formEvent.GetId(), agreeing.GetTenant())
	}
	invoiceEvent, err := normalizeFor(cf, invoice, "")
	if err != nil {
		t.Fatal(err)
	}

	for _, bad := range []struct {
		name   string
		source hooknormv1.Source
		body   []byte
		tenant string
		says   string
	}{
		{"another site than the body's", wf, form, "other-site", site},
		{"another workspace than the body's", cf, invoice, "999999", invoiceEvent.GetTenant()},
		{"too long", wf, order, strings.Repeat("x", 257), "at most 256 bytes"},
		{"not UTF-8", wf, order, "site-\xff", "UTF-8"},
	} {
		_, err := normalizeFor(bad.source, bad.body, bad.tenant)
		r, ok := rejection.As(err)
		if !ok || r.Reason != hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST || r.Field != "tenant" || !strings.Contains(r.Message, bad.says) {
			t.Errorf("%s: %v; want INVALID_REQUEST at tenant, saying %q", bad.name, err, bad.says)
		}
	}
}
