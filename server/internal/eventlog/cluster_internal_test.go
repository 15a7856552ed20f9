package eventlog

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// TestClusterStateExplained checks what readiness and refused appends say of a replicated
// stream's state: without a leader, how many replicas it has (the answering replica lists them
// all, itself included) and which are not current; with a leader, which replicas lag and whether
// a majority is left.
func TestClusterStateExplained(t *testing.T) {
	peer := func(name string, current bool) *jetstream.PeerInfo {
		return &jetstream.PeerInfo{Name: name, Current: current}
	}
	cases := []struct {
		name       string
		info       jetstream.StreamInfo
		leaderless []string // what leaderless must say; nil when it must say nothing
		lagging    []string // likewise for lagging
	}{
		{
			name: "a single server",
			info: jetstream.StreamInfo{Config: jetstream.StreamConfig{Replicas: 1}},
		},
		{
			name: "a leader and two current replicas",
			info: jetstream.StreamInfo{Config: jetstream.StreamConfig{Replicas: 3}, Cluster: &jetstream.ClusterInfo{
				Leader: "n2", Replicas: []*jetstream.PeerInfo{peer("n0", true), peer("n1", true)}}},
		},
		{
			name: "a leader with one replica behind",
			info: jetstream.StreamInfo{Config: jetstream.StreamConfig{Replicas: 3}, Cluster: &jetstream.ClusterInfo{
				Leader: "n2", Replicas: []*jetstream.PeerInfo{peer("n0", false), peer("n1", true)}}},
			lagging: []string{"of the 3 replicas", "(leader n2), n0 not current"},
		},
		{
			name: "a leader without a majority",
			info: jetstream.StreamInfo{Config: jetstream.StreamConfig{Replicas: 3}, Cluster: &jetstream.ClusterInfo{
				Leader: "n2", Replicas: []*jetstream.PeerInfo{peer("n0", false), peer("n1", false)}}},
			lagging: []string{"n0, n1 not current", "cannot store on a majority"},
		},
		{
			name: "no leader, two of three replicas not current",
			info: jetstream.StreamInfo{Config: jetstream.StreamConfig{Replicas: 3}, Cluster: &jetstream.ClusterInfo{
				Replicas: []*jetstream.PeerInfo{peer("n0", false), peer("n1", false), peer("n2", true)}}},
			leaderless: []string{"has no leader", "of its 3 replicas", "(not current: n0, n1)", "restart it"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, check := range []struct {
				what string
				got  string
				want []string
			}{{"leaderless", leaderless(&tc.info), tc.leaderless}, {"lagging", lagging(&tc.info), tc.lagging}} {
				if check.want == nil && check.got != "" {
					t.Errorf("%s says %q, want nothing", check.what, check.got)
				}
				for _, want := range check.want {
					if !strings.Contains(check.got, want) {
						t.Errorf("%s says %q, which does not say %q", check.what, check.got, want)
					}
				}
			}
		})
	}
}

// TestLastLaggingExplainsWhileFresh checks what a refused append says of the replicas when the
// stream's state cannot be asked for again in time: what it last said, with its age, while that
// is within laggingHold, and nothing once it is older or said every replica was current.
func TestLastLaggingExplainsWhileFresh(t *testing.T) {
	var s natsState
	if got := s.lastLagging(); got != "" {
		t.Errorf("with nothing seen, lastLagging = %q", got)
	}
	s.noteLagging("of the 3 replicas of the stream HOOKNORM_EVENTS (leader n1), n2 not current")
	if got := s.lastLagging(); !strings.HasPrefix(got, "when last seen, 0s ago: ") || !strings.Contains(got, "n2 not current") {
		t.Errorf("just after it was seen, lastLagging = %q", got)
	}
	s.laggingAt = s.laggingAt.Add(-laggingHold - 1)
	if got := s.lastLagging(); got != "" {
		t.Errorf("older than laggingHold, lastLagging = %q", got)
	}
	s.noteLagging("")
	if got := s.lastLagging(); got != "" {
		t.Errorf("once every replica was current, lastLagging = %q", got)
	}
}
