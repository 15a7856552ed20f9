package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// TestEveryReplicaStreamsTheEventsOfAll runs two hooknormd replicas on one NATS cluster, each
// with a live subscriber, and delivers to both in proportions that have a replica's fan-out hub
// take the events it stored itself from its own appends and read the other replica's from the
// log (one replica storing nearly all, then a tenth on the other, then half each), with some
// deliveries repeated on both replicas at once. Each replica's subscriber must receive every
// event stored, of both replicas, once, in log order, and the same event at each sequence as the
// other replica's subscriber: the one the log holds, never a replica's own copy of a repeat.
func TestEveryReplicaStreamsTheEventsOfAll(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node NATS cluster")
	}
	_, urls := startNATSCluster(t, 3)
	replicas := []*replica{startReplica(t, urls), startReplica(t, []string{urls[1], urls[2], urls[0]})}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	streams := make([]hooknormv1.WebhookService_SubscribeClient, len(replicas))
	for i, r := range replicas {
		conn, err := grpc.NewClient(r.server.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// New events only, with their raw bodies: the stream opens with a heartbeat.
		if streams[i], err = hooknormv1.NewWebhookServiceClient(conn).Subscribe(ctx, &hooknormv1.SubscribeRequest{IncludeRaw: true}); err != nil {
			t.Fatal(err)
		}
		if msg, err := streams[i].Recv(); err != nil || msg.GetHeartbeat() == nil {
			t.Fatalf("replica %d: the stream opened with %v, %v; want a heartbeat", i, msg, err)
		}
	}

	// Each delivery goes to the replica target says, and when both is set to the other one too,
	// at the same time.
	type delivery struct {
		id     string
		target int
		both   bool
	}
	var deliveries []delivery
	phases := []struct {
		name  string
		count int
		other func(i int) bool // whether delivery i goes to the second replica
	}{
		{"nearly all on the first", 300, func(int) bool { return false }},
		{"a tenth on the second", 600, func(i int) bool { return i%10 == 3 }},
		{"half each", 300, func(i int) bool { return i%2 == 1 }},
	}
	for _, phase := range phases {
		for i := range phase.count {
			d := delivery{id: fmt.Sprintf("%s-%d", phase.name, i), both: i%25 == 11}
			if phase.other(i) {
				d.target = 1
			}
			deliveries = append(deliveries, d)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	acked := map[string]uint64{}
	var mu sync.Mutex
	store := func(d delivery, target int) {
		seq, err := deliver(ctx, client, replicas[target].url, d.id)
		if err != nil {
			t.Errorf("delivering %s to replica %d: %v", d.id, target, err)
			return
		}
		n, err := strconv.ParseUint(seq, 10, 64)
		if err != nil {
			t.Errorf("delivering %s: sequence %q: %v", d.id, seq, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if earlier, ok := acked[d.id]; ok && earlier != n {
			t.Errorf("%s stored at %d and at %d", d.id, earlier, n)
		}
		acked[d.id] = n
	}
	const senders = 4 // appends overlap, on both replicas
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := s; i < len(deliveries); i += senders {
				d := deliveries[i]
				if !d.both {
					store(d, d.target)
					continue
				}
				var both sync.WaitGroup
				for target := range replicas {
					both.Add(1)
					go func() {
						defer both.Done()
						store(d, target)
					}()
				}
				both.Wait()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var last uint64
	for _, seq := range acked {
		last = max(last, seq)
	}
	if len(acked) != len(deliveries) || last != uint64(len(deliveries)) {
		t.Fatalf("%d deliveries stored as %d events up to sequence %d; want each stored once, at 1 to %d", len(deliveries), len(acked), last, len(deliveries))
	}

	received := make([][]*hooknormv1.Event, len(replicas))
	for i, stream := range streams {
		for uint64(len(received[i])) < last {
			msg, err := stream.Recv()
			if err != nil {
				t.Fatalf("replica %d, after %d events: %v", i, len(received[i]), err)
			}
			e := msg.GetEvent()
			if e == nil {
				continue
			}
			if want := uint64(len(received[i])) + 1; e.GetSequence() != want {
				t.Fatalf("replica %d: sequence %d where %d was due: a gap or a repeat", i, e.GetSequence(), want)
			}
			if acked[e.GetId()] != e.GetSequence() {
				t.Fatalf("replica %d: %s at sequence %d, stored at %d", i, e.GetId(), e.GetSequence(), acked[e.GetId()])
			}
			received[i] = append(received[i], e)
		}
	}
	for seq := range received[0] {
		if a, b := received[0][seq], received[1][seq]; !proto.Equal(a, b) {
			t.Errorf("sequence %d: the replicas' subscribers received different events:\n%v\n%v", seq+1, a, b)
		}
	}
	t.Logf("%d events stored through two replicas, streamed by each, once and in order", last)
}
