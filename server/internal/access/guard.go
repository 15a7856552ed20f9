package access

import (
	"context"
	"sync/atomic"
)

// Guard holds the current tokens, replaced whole on reload so in-flight calls keep the tokens
// they started with.
type Guard struct {
	path    string
	current atomic.Pointer[Tokens]
}

// NewGuard loads the tokens file at path.
func NewGuard(path string) (*Guard, error) {
	g := &Guard{path: path}
	return g, g.Reload()
}

// Reload reads the tokens file again; on error the current tokens stay in force.
func (g *Guard) Reload() error {
	t, err := Load(g.path)
	if err != nil {
		return err
	}
	if old := g.current.Load(); old != nil {
		t.keepStreamCounts(old)
	}
	g.current.Store(t)
	return nil
}

// keepStreamCounts carries the open-subscription counts of tokens that survive a reload.
func (t *Tokens) keepStreamCounts(old *Tokens) {
	for hash, p := range t.byHash {
		if prev, ok := old.byHash[hash]; ok {
			p.streams = prev.streams
		}
	}
}

// Tokens returns the tokens in force.
func (g *Guard) Tokens() *Tokens { return g.current.Load() }

// principalKey keys the principal of a call in its context.
type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of a call, or nil when the API is open (no tokens file) or
// the call came through a provider webhook route.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
