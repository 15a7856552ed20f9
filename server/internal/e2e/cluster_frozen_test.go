package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
)

// TestAFrozenNATSServerIsLeftForAnother runs hooknormd on a three-node NATS cluster, connected
// through a proxy to one node, and freezes the proxy: the connection stays open, nothing comes
// back, as from a paused machine or a partition that drops packets. hooknormd must notice and
// store through another node within a minute (its pings: a few seconds), where NATS's default
// pings took up to four minutes, every delivery refused meanwhile. A delivery stored before the
// freeze is still there, a duplicate, afterwards, and a subscriber (the Go client, which resumes
// by itself when hooknormd ends its stream) that was reading when NATS froze reads on: the events
// before and after the freeze, in order, once.
func TestAFrozenNATSServerIsLeftForAnother(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node NATS cluster")
	}
	_, urls := startNATSCluster(t, 3)
	proxy := startFreezableProxy(t, strings.TrimPrefix(urls[0], "nats://"))
	_, grpcAddr, url := startOnCluster(t, []string{"nats://" + proxy.Addr()})
	httpClient := &http.Client{Timeout: 10 * time.Second}
	c, err := client.New(grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readCtx, stopReading := context.WithTimeout(context.Background(), 3*time.Minute)
	defer stopReading()
	reads := make(chan string, 8)
	go func() {
		defer close(reads)
		for e, err := range c.Subscribe(readCtx, client.Start{Earliest: true}, client.Filter{}, nil) {
			if err != nil {
				reads <- "error: " + err.Error()
				return
			}
			reads <- fmt.Sprintf("%s@%d", e.GetId(), e.GetSequence())
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	before, err := deliver(ctx, httpClient, url, "before-the-freeze")
	cancel()
	if err != nil {
		t.Fatalf("delivering before the freeze: %v", err)
	}

	proxy.Freeze()
	frozenAt := time.Now()
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	after, err := deliver(ctx, httpClient, url, "after-the-freeze")
	if err != nil {
		t.Fatalf("a minute after the NATS server froze, hooknormd still stores nothing: %v", err)
	}
	t.Logf("stored again %s after the freeze, as sequence %s", time.Since(frozenAt).Round(time.Second), after)
	again, err := deliver(ctx, httpClient, url, "before-the-freeze")
	if err != nil {
		t.Fatal(err)
	}
	if again != before {
		t.Errorf("the delivery stored before the freeze as sequence %s was stored again as %s", before, again)
	}
	var read []string
	for len(read) < 2 {
		select {
		case r, ok := <-reads:
			if !ok {
				t.Fatalf("the subscription ended after %v", read)
			}
			read = append(read, r)
		case <-readCtx.Done():
			t.Fatalf("the subscriber read %v, then nothing more", read)
		}
	}
	if want := []string{"before-the-freeze@" + before, "after-the-freeze@" + after}; !slices.Equal(read, want) {
		t.Errorf("the subscriber read %v, want %v", read, want)
	}
}
