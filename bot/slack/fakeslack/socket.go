package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Envelope types (contract A4).
const (
	EnvelopeSlashCommands = "slash_commands"
	EnvelopeInteractive   = "interactive"
	EnvelopeEventsAPI     = "events_api"
)

// ErrNoAck is returned by a delivery whose acknowledgement did not come before the
// context ended.
var ErrNoAck = errors.New("fakeslack: no acknowledgement")

// Ack is the outcome of a Socket Mode delivery.
type Ack struct {
	EnvelopeID string
	Type       string // EnvelopeSlashCommands, EnvelopeInteractive or EnvelopeEventsAPI
	// InvocationID, ResponseURL and TriggerID identify the command or click (empty for
	// events); pass InvocationID to Responses.
	InvocationID string
	ResponseURL  string
	TriggerID    string
	// Payload is the acknowledgement's payload (nil when there was none, or when the
	// frame was dropped).
	Payload json.RawMessage
	// Elapsed is the time between sending the envelope and reading the
	// acknowledgement, on the server's clock; Late is Elapsed > Options.AckDeadline.
	Elapsed time.Duration
	Late    bool
	// Dropped is set when the acknowledgement frame was MaxAckFrameBytes or more: Slack
	// drops such a frame, so the delivery was in fact not acknowledged.
	Dropped bool
	// Problems are the contract violations found in this acknowledgement (they are
	// also recorded as Violations).
	Problems []string
	// Connection identifies the Socket Mode connection the envelope went to:
	// which replica answered.
	Connection int64
}

// LateAcks returns the acknowledgements that came after the deadline.
func (s *Server) LateAcks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ack, len(s.lateAcks))
	for i, a := range s.lateAcks {
		out[i] = a.clone()
	}
	return out
}

func (a Ack) clone() Ack {
	a.Payload = slices.Clone(a.Payload)
	a.Problems = slices.Clone(a.Problems)
	return a
}

// socketConn is one Socket Mode websocket.
type socketConn struct {
	id       int64
	ws       *websocket.Conn
	writeMu  sync.Mutex
	done     chan struct{}
	draining bool // told to disconnect; guarded by Server.mu
}

func (c *socketConn) write(frame []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

// closeNow cuts the connection without a close handshake.
func (c *socketConn) closeNow() {
	_ = c.ws.UnderlyingConn().Close()
}

// pendingEnvelope is a delivery waiting for its acknowledgement.
type pendingEnvelope struct {
	id      string
	typ     string
	accepts bool
	sent    time.Time
	conn    int64       // the connection it went to
	inv     *invocation // nil for events
	done    chan struct{}
	ack     Ack
}

// liveConns counts connections that may receive deliveries. s.mu must be held.
func (s *Server) liveConns() int {
	n := 0
	for _, c := range s.conns {
		if !c.draining {
			n++
		}
	}
	return n
}

// Connected returns the number of live Socket Mode connections that may receive
// deliveries (those told to disconnect are not counted).
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveConns()
}

// WaitConnected waits until at least one Socket Mode connection may receive
// deliveries.
func (s *Server) WaitConnected(ctx context.Context) error {
	return s.Wait(ctx, func() bool { return s.Connected() > 0 })
}

// WaitSockets waits until at least n websocket connections have been accepted since
// the server started (for example 2 after a Disconnect).
func (s *Server) WaitSockets(ctx context.Context, n int) error {
	return s.Wait(ctx, func() bool { return s.Stats().SocketsAccepted >= n })
}

// serveSocket accepts a Socket Mode connection for a ticket from apps.connections.open.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	used, known := s.tickets[ticket]
	if !known || used {
		if used {
			s.violate("A4 Socket Mode URL", "a URL from apps.connections.open was dialled twice; each connection needs a fresh apps.connections.open")
		}
		s.mu.Unlock()
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	s.tickets[ticket] = true
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &socketConn{ws: ws, done: make(chan struct{})}
	defer close(c.done)
	defer c.closeNow()

	s.mu.Lock()
	c.id = s.nextID()
	s.stats.SocketsAccepted++
	live := s.liveConns()
	s.notify()
	s.mu.Unlock()

	if live >= s.opts.MaxConnections {
		s.mu.Lock()
		s.violate("A4 Socket Mode connections", "more than %d concurrent connections (are old sockets closed after a reconnect?)", s.opts.MaxConnections)
		s.mu.Unlock()
		_ = c.write(mustJSON(map[string]any{"type": "disconnect", "reason": "too_many_websockets", "debug_info": map[string]any{"host": "fakeslack"}}))
		return
	}

	// The hello frame goes out before the connection is registered, so that no
	// delivery can precede it.
	hello := map[string]any{
		"type":            "hello",
		"num_connections": live + 1,
		"debug_info": map[string]any{
			"host":                        "fakeslack",
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": s.opts.AppID},
	}
	if err := c.write(mustJSON(hello)); err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.conns = append(s.conns, c)
	s.notify()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.conns = slices.DeleteFunc(s.conns, func(x *socketConn) bool { return x == c })
		s.notify()
		s.mu.Unlock()
	}()

	if s.opts.PingInterval > 0 {
		s.wg.Go(func() { s.pingLoop(c) })
	}
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if typ != websocket.TextMessage {
			s.mu.Lock()
			s.violate("A4 acknowledgement", "non-text websocket frame (%d bytes)", len(data))
			s.mu.Unlock()
			continue
		}
		s.handleAck(data)
	}
}

// pingLoop pings the client: slack-go reconnects when Slack has not pinged it for
// 30 s (A4 keep-alive). The gorilla default handler answers the client's pings.
func (s *Server) pingLoop(c *socketConn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-s.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("fakeslack"), time.Now().Add(10*time.Second)); err != nil {
				return
			}
		}
	}
}

// handleAck processes a frame from the client: an acknowledgement (A4).
func (s *Server) handleAck(frame []byte) {
	var a struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := json.Unmarshal(frame, &a); err != nil || a.EnvelopeID == "" {
		s.violate("A4 acknowledgement", "frame is not an acknowledgement {\"envelope_id\": …}: %.200s", frame)
		return
	}
	p, ok := s.pending[a.EnvelopeID]
	if !ok {
		if s.acked[a.EnvelopeID] {
			s.violate("A4 acknowledgement", "envelope %s acknowledged twice", a.EnvelopeID)
		} else {
			s.violate("A4 acknowledgement", "acknowledgement for unknown envelope %s", a.EnvelopeID)
		}
		return
	}
	delete(s.pending, a.EnvelopeID)
	s.acked[a.EnvelopeID] = true

	ack := Ack{EnvelopeID: p.id, Type: p.typ, Elapsed: s.now().Sub(p.sent), Connection: p.conn}
	if p.inv != nil {
		ack.InvocationID, ack.ResponseURL, ack.TriggerID = p.inv.id, p.inv.responseURL, p.inv.triggerID
	}
	problem := func(rule, format string, args ...any) {
		ack.Problems = append(ack.Problems, fmt.Sprintf(format, args...))
		s.violate(rule, format, args...)
	}
	payload := bytes.TrimSpace(a.Payload)
	hasPayload := len(payload) > 0 && string(payload) != "null"
	late := ack.Elapsed > s.opts.AckDeadline
	switch {
	case len(frame) >= MaxAckFrameBytes:
		ack.Dropped = true
		problem("A4 ack payload size", "%s acknowledgement of %d bytes (limit: under %d) is dropped by Slack", p.typ, len(frame), MaxAckFrameBytes)
	case hasPayload && !p.accepts:
		ack.Payload = json.RawMessage(payload)
		problem("A4 acknowledgement", "%s envelope %s does not accept a response payload; Slack ignores it", p.typ, p.id)
	case hasPayload:
		ack.Payload = json.RawMessage(payload)
		// A late acknowledgement's reply is checked but not shown: the user already
		// saw a timeout.
		if err := s.replyToInvocation(p.inv, payload, ViaAck, !late); err != nil {
			problem(ruleFor(err.code), "%s acknowledgement payload rejected: %s", p.typ, err.detail())
		}
	}
	if late {
		ack.Late = true
		s.lateAcks = append(s.lateAcks, ack)
		problem("A4 ack deadline", "%s envelope %s acknowledged after %s (deadline %s)", p.typ, p.id, ack.Elapsed, s.opts.AckDeadline)
	}
	p.ack = ack
	close(p.done)
	s.notify()
}

func (e *apiError) detail() string {
	if len(e.details) == 0 {
		return e.code
	}
	return e.code + ": " + fmt.Sprint(e.details)
}

// deliver sends an envelope to a live connection and waits for its acknowledgement.
// It waits for a connection if there is none yet.
func (s *Server) deliver(ctx context.Context, typ string, payload any, accepts bool, inv *invocation) (Ack, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return Ack{}, fmt.Errorf("fakeslack: encode %s payload: %w", typ, err)
	}
	s.mu.Lock()
	id := envelopeID(s.nextID())
	s.mu.Unlock()
	env := map[string]any{
		"envelope_id":              id,
		"type":                     typ,
		"payload":                  json.RawMessage(body),
		"accepts_response_payload": accepts,
	}
	if typ == EnvelopeEventsAPI {
		env["retry_attempt"] = 0
		env["retry_reason"] = ""
	}
	frame := mustJSON(env)
	p := &pendingEnvelope{id: id, typ: typ, accepts: accepts, inv: inv, done: make(chan struct{})}

	for {
		var c *socketConn
		if err := s.Wait(ctx, func() bool { c = s.routableConn(); return c != nil }); err != nil {
			return Ack{}, fmt.Errorf("fakeslack: %s delivery: no Socket Mode connection: %w", typ, err)
		}
		s.mu.Lock()
		p.sent, p.conn = s.now(), c.id
		s.pending[id] = p
		s.mu.Unlock()
		if err := c.write(frame); err == nil {
			break
		}
		// The connection went away between choosing and writing: try another.
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
		c.closeNow()
	}

	select {
	case <-p.done:
		s.mu.Lock()
		defer s.mu.Unlock()
		return p.ack.clone(), nil
	case <-ctx.Done():
		return Ack{EnvelopeID: id, Type: typ}, fmt.Errorf("%w for %s envelope %s: %w", ErrNoAck, typ, id, ctx.Err())
	case <-s.done:
		return Ack{EnvelopeID: id, Type: typ}, ErrClosed
	}
}

// routableConn picks a connection not told to disconnect, in turn: like
// Slack, which spreads an app's envelopes over its connections (one per
// replica), so that each replica answers its share.
func (s *Server) routableConn() *socketConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var live []*socketConn
	for _, c := range s.conns {
		if !c.draining {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return nil
	}
	s.routed++
	return live[s.routed%len(live)]
}

func envelopeID(n int64) string {
	h := hashHex(12, "envelope", n)
	return fmt.Sprintf("%08x-%s-4%s-8%s-%s", n, h[:4], h[4:7], h[7:10], hashHex(12, "envelope-tail", n))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakeslack: encode %T: %v", v, err))
	}
	return b
}

// Disconnect sends a disconnect frame with the reason ("refresh_requested", "warning",
// "link_disabled", …) on every live connection and stops delivering to them: the client
// is expected to call apps.connections.open again and connect to the new URL (A4). It
// returns the number of connections told.
func (s *Server) Disconnect(reason string) int {
	s.mu.Lock()
	var targets []*socketConn
	for _, c := range s.conns {
		if !c.draining {
			c.draining = true
			targets = append(targets, c)
		}
	}
	s.notify()
	s.mu.Unlock()
	frame := mustJSON(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "fakeslack"},
	})
	for _, c := range targets {
		_ = c.write(frame)
	}
	return len(targets)
}

// DropConnections closes every Socket Mode connection abruptly, without a disconnect
// frame or a close handshake, and returns how many there were.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	for _, c := range conns {
		c.draining = true
	}
	s.notify()
	s.mu.Unlock()
	for _, c := range conns {
		c.closeNow()
	}
	return len(conns)
}
