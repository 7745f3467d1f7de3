package main

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// pgProxy is a TCP proxy between bots and PostgreSQL that plays a restart of
// the server: down cuts every connection at once and refuses new ones (they are
// accepted and closed at once, as a server shutting down or starting up
// answers), until up lets them through again. The machine's PostgreSQL is
// shared with the other packages' tests at the same time, so a test never
// restarts it: it restarts this proxy.
type pgProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu      sync.Mutex
	conns   map[net.Conn]bool // both ends of every connection passed through
	down    bool
	closed  bool
	refused int // connections refused while down
}

// newPGProxy starts a proxy to the server of a PostgreSQL URL, stopped when the
// test ends, and returns it with the URL that goes through it.
func newPGProxy(t testing.TB, dsn string) (*pgProxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgproxy: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: u.Host, conns: make(map[net.Conn]bool)}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *pgProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		switch {
		case p.closed:
			p.mu.Unlock()
			c.Close()
			return
		case p.down:
			p.refused++
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = true
		p.wg.Add(1)
		p.mu.Unlock()
		go p.pipe(c)
	}
}

// pipe copies a client's connection to the server and back until either side
// ends it, or down cuts it.
func (p *pgProxy) pipe(c net.Conn) {
	defer p.wg.Done()
	s, err := net.DialTimeout("tcp", p.target, 10*time.Second)
	p.mu.Lock()
	if err != nil || p.down || p.closed || !p.conns[c] {
		// The outage began while this one was dialling: it never got through.
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
		if s != nil {
			s.Close()
		}
		return
	}
	p.conns[s] = true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); done <- struct{}{} }()
	go func() { io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// stop plays the server going down: every session ends (PostgreSQL sees its
// clients go, releasing their advisory locks, as a restart would), and new
// connections are refused until start.
func (p *pgProxy) stop() {
	p.mu.Lock()
	p.down = true
	var conns []net.Conn
	for c := range p.conns {
		conns = append(conns, c)
	}
	clear(p.conns)
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// start plays the server back up: connections go through again.
func (p *pgProxy) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// refusals is how many connections were refused while the server was down.
func (p *pgProxy) refusals() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

func (p *pgProxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.stop()
	p.wg.Wait()
}
