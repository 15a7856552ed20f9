package inspector_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestPauseHoldsWhatArrivesAndResumeShowsIt(t *testing.T) {
	s := startServer(t)
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("p1", "order.created", 42, map[string]any{"id": 1}))
	ctx := newTab(t, 1280, 900)
	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/ui/"))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 1`, listed)
	waitFor(t, ctx, `document.getElementById('status-text').textContent.startsWith('live')`, `document.getElementById('status-text').textContent`)

	do(t, ctx, chromedp.Click(chromedp.ID("pause")))
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("p2", "order.updated", 42, map[string]any{"id": 2}))
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("p3", "order.completed", 42, map[string]any{"id": 3}))
	waitFor(t, ctx, `document.getElementById('status-text').textContent === 'paused · 2 new held'`, `document.getElementById('status-text').textContent`)
	if got := eval[[]string](t, ctx, listed); len(got) != 1 {
		t.Errorf("while paused the list changed to %q", got)
	}

	do(t, ctx, chromedp.Click(chromedp.ID("pause")))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 3`, listed)
	want := []string{"3 order.completed 42", "2 order.updated 42", "1 order.created 42"}
	if got := eval[[]string](t, ctx, listed); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("after resuming the list shows %q, want %q", got, want)
	}
}

func TestAReconnectResumesAfterTheLastSequenceSeen(t *testing.T) {
	s := startServer(t)
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("r1", "order.created", 42, map[string]any{"id": 1}))
	ctx := newTab(t, 1280, 900)
	do(t, ctx, chromedp.Navigate(s.HTTPURL()+"/ui/"))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 1`, listed)
	waitFor(t, ctx, `document.getElementById('status-text').textContent.startsWith('live')`, `document.getElementById('status-text').textContent`)

	// hooknormd goes away and comes back with the same log, as a redeployed one would.
	if err := s.Restart(500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("r2", "order.updated", 42, map[string]any{"id": 2}))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 2`, listed)
	waitFor(t, ctx, `document.getElementById('status-text').textContent.startsWith('live')`, `document.getElementById('status-text').textContent`)
	deliver(t, s, "/v1/webhooks/clickfunnels", clickFunnels("r3", "order.completed", 42, map[string]any{"id": 3}))
	waitFor(t, ctx, `document.querySelectorAll('#event-rows tr[data-seq]').length === 3`, listed)
	want := []string{"3 order.completed 42", "2 order.updated 42", "1 order.created 42"}
	if got := eval[[]string](t, ctx, listed); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("after the reconnect the list shows %q, want each event once, in order: %q", got, want)
	}
}
