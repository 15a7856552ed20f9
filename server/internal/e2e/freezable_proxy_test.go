package e2e

import (
	"io"
	"net"
	"sync"
	"testing"
)

// freezableProxy forwards TCP connections to a server until it is frozen. Frozen, it keeps every
// connection open and accepts new ones but forwards nothing more, either way: what a client sees
// of a server whose machine froze (a paused VM, a partition that drops packets without a reset).
type freezableProxy struct {
	listener net.Listener
	target   string

	mu     sync.Mutex
	frozen bool
	thawed *sync.Cond
	conns  []net.Conn
}

// startFreezableProxy forwards a loopback port to target until the test ends.
func startFreezableProxy(t *testing.T, target string) *freezableProxy {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezableProxy{listener: listener, target: target}
	p.thawed = sync.NewCond(&p.mu)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// Addr is the address clients connect to.
func (p *freezableProxy) Addr() string { return p.listener.Addr().String() }

// Freeze stops forwarding, leaving every connection open.
func (p *freezableProxy) Freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

func (p *freezableProxy) serve() {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, client)
		p.mu.Unlock()
		go p.forward(client)
	}
}

func (p *freezableProxy) forward(client net.Conn) {
	p.waitWhileFrozen()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, server)
	p.mu.Unlock()
	go p.copy(server, client)
	p.copy(client, server)
}

// copy forwards what from sends to to, holding it back while the proxy is frozen.
func (p *freezableProxy) copy(to io.Writer, from io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		p.waitWhileFrozen()
		if n > 0 {
			if _, err := to.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *freezableProxy) waitWhileFrozen() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.frozen {
		p.thawed.Wait()
	}
}

// close stops the proxy and its connections; goroutines held by the freeze are let go.
func (p *freezableProxy) close() {
	p.listener.Close()
	p.mu.Lock()
	p.frozen = false
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.thawed.Broadcast()
}
