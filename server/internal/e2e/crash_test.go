package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestNothingAcknowledgedIsLostWhenKilled posts deliveries from several goroutines while a real
// hooknormd is killed with SIGKILL and restarted several times. Each delivery is retried until it
// gets 200, as a provider would. Afterwards a replay from earliest must hold every delivery that
// got 200, exactly once.
func TestNothingAcknowledgedIsLostWhenKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a child process several times")
	}
	dataDir := t.TempDir()
	grpcAddr, httpAddr := freePort(t), freePort(t)
	args := []string{"--data-dir", dataDir, "--grpc-addr", grpcAddr, "--http-addr", httpAddr, "--heartbeat-interval", "200ms"}
	url := "http://" + httpAddr

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const senders, kills = 6, 5
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	client := &http.Client{Timeout: 5 * time.Second}
	proc := startProcess(t, args...)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("ev-%d-%d", s, i)
				if _, err := deliver(ctx, client, url, id); err != nil {
					t.Errorf("delivering %s: %v", id, err)
					return
				}
				mu.Lock()
				acked[id] = true
				mu.Unlock()
			}
		}()
	}
	for range kills {
		time.Sleep(300 * time.Millisecond)
		proc.kill()
		proc = startProcess(t, args...)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	defer proc.kill()
	if t.Failed() {
		return
	}
	want := acked

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := hooknormv1.NewWebhookServiceClient(conn).Subscribe(ctx, &hooknormv1.SubscribeRequest{
		Start: &hooknormv1.SubscribeRequest_Earliest{Earliest: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var last uint64
	for {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if hb := msg.GetHeartbeat(); hb != nil && hb.GetLatestSequence() == last {
			break // the replay has caught up with the log
		}
		if e := msg.GetEvent(); e != nil {
			if e.GetSequence() <= last {
				t.Fatalf("sequence %d after %d", e.GetSequence(), last)
			}
			last = e.GetSequence()
			seen[e.GetId()]++
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("acknowledged event %s is in the log %d times", id, seen[id])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("the log holds %d events, %d were acknowledged", len(seen), len(want))
	}
	t.Logf("%d deliveries acknowledged across %d SIGKILLs, each stored once", len(want), kills)
}
