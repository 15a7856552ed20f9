package inspector_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// screenshotEnv names the file TestScreenshot writes the docs' picture of the inspector to, when
// set: from the repository root,
//
//	HOOKNORM_INSPECTOR_SCREENSHOT=$PWD/docs/inspector.png go test -run TestScreenshot ./server/internal/inspector
const screenshotEnv = "HOOKNORM_INSPECTOR_SCREENSHOT"

// TestScreenshot shows the inspector after the README's tour, with an order open, and checks
// that the picture is a PNG of the page's size; with screenshotEnv set, it writes it there.
func TestScreenshot(t *testing.T) {
	s := startServer(t)
	tour := []struct{ path, file string }{
		{"/v1/webhooks/clickfunnels", "clickfunnels/contact_created.json"},
		{"/v1/webhooks/clickfunnels", "clickfunnels/contacts_applied_tag_created.json"},
		{"/v1/webhooks/webflow?tenant=65a1f3c9e4b0d27a8c19f4e2", "webflow/collection_item_created.json"},
		{"/v1/webhooks/clickfunnels", "clickfunnels/form_submission_created.json"},
		{"/v1/webhooks/webflow", "webflow/form_submission.json"},
		{"/v1/webhooks/webflow/ecomm_new_order", "webflow/v1/ecomm_new_order.json"},
		{"/v1/webhooks/clickfunnels", "clickfunnels/subscription_canceled.json"},
		{"/v1/webhooks/clickfunnels", "clickfunnels/orders_invoice_paid.json"},
		{"/v1/webhooks/clickfunnels", "clickfunnels/order_completed.json"},
	}
	for _, d := range tour {
		body, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "deliveries", d.file))
		if err != nil {
			t.Fatal(err)
		}
		deliver(t, s, d.path, body)
	}
	const width, height = 1280, 1000
	ctx := newTab(t, width, height)
	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/"))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 9`, listed)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#event-rows tr[data-seq="9"]`)))
	waitFor(t, ctx, `!document.getElementById('copy-curl').disabled`, `document.getElementById('detail-raw').textContent`)
	// The status line reads "last event 0 s ago", and no row is still flashing as new.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('tr.fresh').forEach(r => r.classList.remove('fresh'))`))
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() < height/2 {
		t.Errorf("the screenshot is %v, want %d wide", b, width)
	}
	if path := os.Getenv(screenshotEnv); path != "" {
		if !strings.HasSuffix(path, ".png") {
			t.Fatalf("%s=%s: give a .png path", screenshotEnv, path)
		}
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(shot))
	}
}
