package inspector_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/hooknorm/hooknorm/server/servertest"
)

func TestTheListShowsTheLatestEventsThenNewOnesNewestFirst(t *testing.T) {
	s := startServer(t)
	for i, typ := range []string{"contact.created", "order.created", "order.completed"} {
		deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels(fmt.Sprint("before-", i), typ, 42, map[string]any{"id": i + 1}))
	}
	ctx := newTab(t, 1280, 900)
	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/"))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 3`, listed)
	if path := eval[string](t, ctx, `location.pathname`); path != "/ui/" {
		t.Errorf("/ led to %s, want /ui/", path)
	}
	want := []string{"3 order.completed 42", "2 order.created 42", "1 contact.created 42"}
	if got := eval[[]string](t, ctx, listed); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the list shows %q, want %q", got, want)
	}
	waitFor(t, ctx, `document.getElementById('status-text').textContent.startsWith('live')`, `document.getElementById('status-text').textContent`)

	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("after-1", "subscription.canceled", 43, map[string]any{"id": 9}))
	deliver(t, s, "/v1/webhooks/webflow", []byte(`{"triggerType": "form_submission", "payload": {"name": "Contact", "siteId": "site-1", "data": {}}}`))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 5`, listed)
	want = append([]string{"5 form_submission site-1", "4 subscription.canceled 43"}, want...)
	if got := eval[[]string](t, ctx, listed); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("after two more deliveries the list shows %q, want %q", got, want)
	}
	counts := eval[string](t, ctx, `document.getElementById('counts-sources').textContent`)
	if !strings.Contains(counts, "clickfunnels4") || !strings.Contains(counts, "webflow1") {
		t.Errorf("the counts by source read %q, want clickfunnels 4 and webflow 1", counts)
	}
	if caption := eval[string](t, ctx, `document.getElementById('chart-caption').textContent`); !strings.Contains(caption, "5 in all") {
		t.Errorf("the chart's caption reads %q, want 5 events in all", caption)
	}
}

func TestFiltersNarrowTheListAndLiveInTheAddress(t *testing.T) {
	s := startServer(t)
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("a", "order.completed", 42, map[string]any{"id": 1}))
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("b", "contact.created", 42, map[string]any{"id": 2}))
	deliver(t, s, "/v1/webhooks/webflow", []byte(`{"triggerType": "form_submission", "payload": {"name": "Contact", "siteId": "site-1", "data": {}}}`))
	ctx := newTab(t, 1280, 900)

	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/ui/?sources=webflow"))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 1`, listed)
	if got := eval[[]string](t, ctx, listed); len(got) != 1 || got[0] != "3 form_submission site-1" {
		t.Errorf("?sources=webflow lists %q", got)
	}
	if checked := eval[bool](t, ctx, `document.querySelector('input[value=webflow]').checked && !document.querySelector('input[value=clickfunnels]').checked`); !checked {
		t.Error("the form does not show the address's filter")
	}

	do(t, ctx, chromedp.Click(chromedp.ID("clear-filters")))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 3`, listed)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=type_prefixes]`), "order."),
		chromedp.SendKeys(chromedp.CSS(`input[name=tenant]`), "42"+kb.Enter))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 1`, listed)
	if search := eval[string](t, ctx, `location.search`); search != "?type_prefixes=order.&tenant=42" {
		t.Errorf("the address holds %q, want the filter", search)
	}
	// New deliveries pass the same filter, on hooknormd's side: only a match arrives.
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("c", "contact.updated", 42, map[string]any{"id": 3}))
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("d", "order.updated", 43, map[string]any{"id": 4}))
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("e", "order.updated", 42, map[string]any{"id": 5}))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 2`, listed)
	want := []string{"6 order.updated 42", "1 order.completed 42"}
	if got := eval[[]string](t, ctx, listed); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the filtered list shows %q, want %q", got, want)
	}

	// A shared address opens the same view.
	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/?type_prefixes=order.&tenant=42"))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 2`, listed)
}

// rawOrder is a delivery with unusual spacing, so only the exact bytes match it, and a member
// the schema does not model, which lands in extra.
const rawOrder = "{\"event_id\": \"order-7\",  \"event_type\": \"order.completed\",\n\t\"workspace_id\": 42,\n" +
	"  \"data\": {\"id\": 7, \"public_id\": \"Ord7\", \"total_amount\": \"19.00\"},\n  \"surprise_member\": {\"kept\": \"as is\"}\n}\n"

func TestTheDetailShowsTheTypedEventBesideItsRawBody(t *testing.T) {
	s := startServer(t)
	deliver(t, s, "/v1/webhooks/clickfunnels", []byte(rawOrder))
	ctx := newTab(t, 1280, 900)
	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/ui/"))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 1`, listed)

	// With the keyboard: the row takes the focus, Enter opens it.
	do(t, ctx, chromedp.Focus(chromedp.CSS(`#event-rows tr[data-seq="1"]`)), chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, `!document.getElementById('detail').hidden && !document.getElementById('copy-curl').disabled`,
		`document.getElementById('detail-raw').textContent`)
	if raw := eval[string](t, ctx, `document.getElementById('detail-raw').textContent`); raw != rawOrder {
		t.Errorf("the raw body reads %q, want the delivery's bytes %q", raw, rawOrder)
	}
	checks := []struct{ name, expression, want string }{
		{"the case line", `document.getElementById('detail-case').textContent`, "Case clickfunnels.order_completed of message hooknorm.clickfunnels.v1.Order"},
		{"the highlighted case", `document.querySelector('#detail-tree .case-key').textContent`, `"orderCompleted"`},
		{"the case's message", `document.querySelector('#detail-tree .msg').textContent`, "hooknorm.clickfunnels.v1.Order"},
		{"a typed field", `[...document.querySelectorAll('#detail-tree .leaf')].map(l => l.textContent).find(t => t.startsWith('"totalAmount"'))`, `"totalAmount": "19.00"`},
		{"the extra object", `document.querySelector('#detail-tree .extra-key').closest('summary').textContent`, `"extra": {1}not modelled by the schema: kept as delivered`},
		{"a field in extra", `[...document.querySelectorAll('#detail-tree .in-extra.leaf')].map(l => l.textContent).join()`, `"kept": "as is"`},
		{"the replay command", `document.getElementById('replay-text').textContent`, "hooknorm replay --after 0 --to http://localhost:3000/hooks"},
	}
	for _, c := range checks {
		if got := eval[string](t, ctx, c.expression); got != c.want {
			t.Errorf("%s reads %q, want %q", c.name, got, c.want)
		}
	}

	// The curl re-sends the exact body: hooknormd takes it for the same event.
	curl := eval[string](t, ctx, `document.getElementById('curl-text').textContent`)
	if !strings.Contains(curl, s.HTTPURL()+"/v1/webhooks/clickfunnels?tenant=42") || !strings.Contains(curl, "Content-Type: application/json") {
		t.Errorf("the curl does not post to the webhook route as JSON:\n%s", curl)
	}
	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command("sh", "-c", curl).CombinedOutput()
		if compact := strings.ReplaceAll(string(out), " ", ""); err != nil || !strings.Contains(compact, `"id":"order-7","sequence":"1","duplicate":true`) {
			t.Errorf("running the curl: %v: %s", err, out)
		}
	}

	do(t, ctx, chromedp.Click(chromedp.ID("copy-json")))
	waitFor(t, ctx, `document.getElementById('copy-done').textContent !== ''`, `document.getElementById('copy-done').textContent`)

	// The case links to its entry among the event types.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#detail-case a`)))
	waitFor(t, ctx, `!document.getElementById('schema-view').hidden && document.getElementById('type-clickfunnels.order_completed').classList.contains('highlight')`,
		`location.hash`)
	if n := eval[int](t, ctx, `document.querySelectorAll('#schema-rows tr').length`); n < 40 {
		t.Errorf("the event types view lists %d types", n)
	}
	do(t, ctx, chromedp.KeyEvent(kb.Escape))
}

func TestHostilePayloadsShowAsTextAndRunNothing(t *testing.T) {
	s := startServer(t)
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("x1", "contact.created", 42, map[string]any{
		"id": 1, "first_name": `<img src=x onerror="window.__pwned=1">`, "last_name": `<script>window.__pwned=2</script>`,
	}))
	hostileType := `<img src=y onerror=window.__pwned=3>`
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("x2", hostileType, 42, map[string]any{"id": 2, "note": `</pre><svg onload=window.__pwned=4>`}))
	ctx := newTab(t, 1280, 900)
	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/ui/"))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 2`, listed)
	for _, seq := range []string{"1", "2"} {
		do(t, ctx, chromedp.Click(chromedp.CSS(`#event-rows tr[data-seq="`+seq+`"]`)))
		waitFor(t, ctx, `!document.getElementById('copy-curl').disabled && document.getElementById('detail-meta').textContent.startsWith('sequence`+seq+`')`,
			`document.getElementById('detail-meta').textContent`)
	}
	if got := eval[string](t, ctx, `document.querySelector('#event-rows tr[data-seq="2"]').cells[3].textContent`); got != hostileType {
		t.Errorf("the hostile type shows as %q", got)
	}
	if raw := eval[string](t, ctx, `document.getElementById('detail-raw').textContent`); !strings.Contains(raw, `</pre><svg onload=window.__pwned=4>`) {
		t.Errorf("the raw body does not show the markup as text: %s", raw)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#event-rows tr[data-seq="1"]`)))
	waitFor(t, ctx, `document.getElementById('detail-raw').textContent.includes('<script>window.__pwned=2</script>')`, `document.getElementById('detail-raw').textContent`)
	if !strings.Contains(eval[string](t, ctx, `document.getElementById('detail-tree').textContent`), `<img src=x onerror=\"window.__pwned=1\">`) {
		t.Error("the typed event does not show the markup as text")
	}
	if pwned := eval[string](t, ctx, `String(window.__pwned)`); pwned != "undefined" {
		t.Errorf("a payload ran: window.__pwned is %s", pwned)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('img:not([src="icon.svg"]), script:not([src]), svg[onload], [onerror], [onload]').length`); n != 0 {
		t.Errorf("%d elements came from payloads", n)
	}
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func TestAScopedTokenSeesOnlyItsTenant(t *testing.T) {
	tokens := writeTokens(t, fmt.Sprintf(`{"tokens": [
		{"name": "ops", "sha256": %q, "calls": ["normalize", "ingest", "subscribe"]},
		{"name": "shop-42", "sha256": %q, "calls": ["subscribe"], "sources": ["clickfunnels"], "tenants": ["42"]}
	]}`, tokenHash("ops-token"), tokenHash("shop-42-token")))
	s := startServer(t, servertest.WithTokensFile(tokens))
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("t1", "order.completed", 42, map[string]any{"id": 1}))
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("t2", "order.completed", 43, map[string]any{"id": 2}))
	deliver(t, s, "/v1/webhooks/webflow?tenant=42", []byte(`{"triggerType": "form_submission", "payload": {"name": "F", "siteId": "42", "data": {}}}`))
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("t3", "contact.created", 42, map[string]any{"id": 3}))
	ctx := newTab(t, 1280, 900)
	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/ui/"))
	waitFor(t, ctx, `!document.getElementById('token-form').hidden`, `document.getElementById('status-text').textContent`)
	if n := eval[int](t, ctx, `document.querySelectorAll('#event-rows tr').length`); n != 0 {
		t.Errorf("without a token the list shows %d rows", n)
	}

	do(t, ctx, chromedp.SendKeys(chromedp.ID("token-input"), "shop-42-token"+kb.Enter))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 2`, listed)
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("t4", "order.created", 43, map[string]any{"id": 4}))
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("t5", "order.created", 42, map[string]any{"id": 5}))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 3`, listed)
	want := []string{"6 order.created 42", "4 contact.created 42", "1 order.completed 42"}
	if got := eval[[]string](t, ctx, listed); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the scoped token's list shows %q, want %q", got, want)
	}
	if kept := eval[bool](t, ctx, `sessionStorage.getItem('hooknorm.token') === 'shop-42-token' && localStorage.length === 0`); !kept {
		t.Error("the token is not kept in sessionStorage alone")
	}
	if sources := eval[[]string](t, ctx, `[...new Set([...document.querySelectorAll('#schema-rows tr')].map(r => r.cells[0].textContent))]`); strings.Join(sources, ",") != "clickfunnels" {
		t.Errorf("the scoped token's event types are of %q, want clickfunnels alone", sources)
	}

	// Asking for a tenant outside the scope is refused, and said so.
	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/ui/?tenant=43"))
	waitFor(t, ctx, `!document.getElementById('error').hidden`, `document.getElementById('status-text').textContent`)
	if msg := eval[string](t, ctx, `document.getElementById('error').textContent`); !strings.Contains(msg, "OUT_OF_SCOPE") {
		t.Errorf("the refusal reads %q", msg)
	}
}
