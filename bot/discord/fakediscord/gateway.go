package fakediscord

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway limits and close codes (B7).
const (
	GatewaySendLimit  = 120
	GatewaySendWindow = 60 * time.Second
	privilegedIntents = 1<<1 | 1<<8 | 1<<15
)

// ErrNoGateway is returned by SendInteraction when no gateway connection is ready.
var ErrNoGateway = errors.New("fakediscord: no gateway connection is ready")

// session is a gateway session, which survives its connection for Resume.
type session struct {
	id string
	// shard is [id, count], as identified: the session receives the events of
	// the servers on its shard ((guild_id >> 22) % count), DMs on shard 0.
	shard  [2]int
	seq    int64
	events []gwFrame // dispatched events, for replay on Resume
}

type gwFrame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

// gwConn is one websocket connection. sess and ready are guarded by s.mu.
type gwConn struct {
	ws    *websocket.Conn
	wmu   sync.Mutex
	sess  *session
	ready bool
	// resumable says whether the last InvalidSession allowed a Resume.
	sent []time.Time // frames received from the client, for the send limit (read loop only)
}

func (c *gwConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(v)
}

// writeLocked writes a frame; c.wmu must be held. Dispatches take c.wmu before
// releasing s.mu so that frames leave in sequence order.
func (c *gwConn) writeLocked(v any) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteJSON(v)
}

func (c *gwConn) closeWith(code int, text string) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

func dispatchFrame(sess *session, event string, data any) (gwFrame, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return gwFrame{}, err
	}
	sess.seq++
	seq := sess.seq
	f := gwFrame{Op: 0, D: b, S: &seq, T: &event}
	sess.events = append(sess.events, f)
	return f, nil
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close()
		return
	}
	s.conns = append(s.conns, c)
	s.stats.GatewayConns++
	s.notify()
	s.mu.Unlock()
	defer func() {
		ws.Close()
		s.mu.Lock()
		s.conns = slices.DeleteFunc(s.conns, func(x *gwConn) bool { return x == c })
		s.notify()
		s.mu.Unlock()
	}()

	interval := s.opts.HeartbeatInterval
	hello, _ := json.Marshal(map[string]any{"heartbeat_interval": interval.Milliseconds()})
	if c.write(gwFrame{Op: 10, D: hello}) != nil {
		return
	}
	lastBeat := time.Now()
	for {
		_ = ws.SetReadDeadline(lastBeat.Add(2*interval + time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				s.mu.Lock()
				s.stats.HeartbeatTimeouts++
				s.mu.Unlock()
				c.closeWith(4009, "Session timed out")
			}
			return
		}
		now := time.Now()
		c.sent = append(c.sent, now)
		for len(c.sent) > 0 && now.Sub(c.sent[0]) > GatewaySendWindow {
			c.sent = c.sent[1:]
		}
		if len(c.sent) > GatewaySendLimit {
			s.mu.Lock()
			s.violate("B7 send limit", "more than %d gateway events in %s", GatewaySendLimit, GatewaySendWindow)
			s.mu.Unlock()
			c.closeWith(4008, "Rate limited.")
			return
		}
		var f gwFrame
		if err := json.Unmarshal(data, &f); err != nil {
			s.mu.Lock()
			s.violate("B7 gateway", "frame is not JSON: %v", err)
			s.mu.Unlock()
			c.closeWith(4002, "Error while decoding payload.")
			return
		}
		if f.Op == 1 {
			lastBeat = now
			if c.write(gwFrame{Op: 11}) != nil {
				return
			}
			continue
		}
		if !s.handleGatewayFrame(c, f) {
			return
		}
	}
}

// handleGatewayFrame handles a frame other than a heartbeat; false ends the connection.
func (s *Server) handleGatewayFrame(c *gwConn, f gwFrame) bool {
	s.mu.Lock()
	switch f.Op {
	case 2:
		if c.ready {
			s.violate("B7 identify", "Identify on a connection that is already identified")
			s.mu.Unlock()
			c.closeWith(4005, "Already authenticated.")
			return false
		}
		var id struct {
			Token   string  `json:"token"`
			Intents *int    `json:"intents"`
			Shard   *[2]int `json:"shard"`
		}
		_ = json.Unmarshal(f.D, &id)
		s.stats.Identifies++
		switch {
		case strings.TrimPrefix(id.Token, "Bot ") != s.opts.BotToken:
			s.mu.Unlock()
			c.closeWith(4004, "Authentication failed.")
			return false
		case id.Intents == nil:
			s.violate("B7 identify", "Identify without intents")
			s.mu.Unlock()
			c.closeWith(4013, "Invalid intent(s).")
			return false
		case *id.Intents&privilegedIntents&^s.opts.PrivilegedIntents != 0:
			s.violate("B7 identify", "Identify asks for privileged intents %#x that the app does not have", *id.Intents&privilegedIntents&^s.opts.PrivilegedIntents)
			s.mu.Unlock()
			c.closeWith(4014, "Disallowed intent(s).")
			return false
		}
		shard := [2]int{0, 1}
		if id.Shard != nil {
			shard = *id.Shard
		}
		if shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1] {
			s.mu.Unlock()
			c.closeWith(4010, "Invalid shard.")
			return false
		}
		sess := &session{id: hashHex(32, "session", s.nextID()), shard: shard}
		s.sessions[sess.id] = sess
		var guilds []any
		seen := map[string]bool{}
		for _, ch := range s.opts.Channels {
			if ch.GuildID != "" && !seen[ch.GuildID] && shardOf(ch.GuildID, shard[1]) == shard[0] {
				seen[ch.GuildID] = true
				guilds = append(guilds, map[string]any{"id": ch.GuildID, "unavailable": true})
			}
		}
		ready, _ := dispatchFrame(sess, "READY", map[string]any{
			"v":                  9,
			"user":               map[string]any{"id": s.opts.AppID, "username": s.opts.BotName, "discriminator": "0000", "bot": true},
			"guilds":             nonNil(guilds),
			"session_id":         sess.id,
			"resume_gateway_url": strings.TrimSuffix(s.GatewayURL(), "/"),
			"shard":              shard,
			"application":        map[string]any{"id": s.opts.AppID, "flags": 0},
		})
		c.sess, c.ready = sess, true
		s.notify()
		c.wmu.Lock()
		s.mu.Unlock()
		defer c.wmu.Unlock()
		return c.writeLocked(ready) == nil
	case 6:
		var rs struct {
			Token     string `json:"token"`
			SessionID string `json:"session_id"`
			Seq       int64  `json:"seq"`
		}
		_ = json.Unmarshal(f.D, &rs)
		s.stats.Resumes++
		if strings.TrimPrefix(rs.Token, "Bot ") != s.opts.BotToken {
			s.mu.Unlock()
			c.closeWith(4004, "Authentication failed.")
			return false
		}
		sess := s.sessions[rs.SessionID]
		if sess == nil || rs.Seq > sess.seq {
			s.mu.Unlock()
			return c.write(gwFrame{Op: 9, D: json.RawMessage("false")}) == nil
		}
		var replay []gwFrame
		for _, ev := range sess.events {
			if *ev.S > rs.Seq {
				replay = append(replay, ev)
			}
		}
		resumed, _ := dispatchFrame(sess, "RESUMED", map[string]any{})
		replay = append(replay, resumed)
		c.sess, c.ready = sess, true
		s.notify()
		c.wmu.Lock()
		s.mu.Unlock()
		defer c.wmu.Unlock()
		for _, ev := range replay {
			if c.writeLocked(ev) != nil {
				return false
			}
		}
		return true
	}
	if !c.ready {
		s.violate("B7 identify", "op %d before Identify", f.Op)
		s.mu.Unlock()
		c.closeWith(4003, "Not authenticated.")
		return false
	}
	s.mu.Unlock()
	switch f.Op {
	case 3, 4, 8:
		return true
	}
	s.mu.Lock()
	s.violate("B7 gateway", "unknown opcode %d", f.Op)
	s.mu.Unlock()
	c.closeWith(4001, "Unknown opcode.")
	return false
}

// WaitReady blocks until at least n gateway connections have received READY or
// RESUMED.
func (s *Server) WaitReady(ctx context.Context, n int) error {
	return s.Wait(ctx, func() bool { return s.Stats().Ready >= n })
}

// readyConns returns the ready connections. s.mu must be held.
func (s *Server) readyConns() []*gwConn {
	var out []*gwConn
	for _, c := range s.conns {
		if c.ready {
			out = append(out, c)
		}
	}
	return out
}

// Dispatch sends an event (op 0) to the newest ready gateway connection.
func (s *Server) Dispatch(event string, data any) error {
	s.mu.Lock()
	conns := s.readyConns()
	if len(conns) == 0 {
		s.mu.Unlock()
		return ErrNoGateway
	}
	c := conns[len(conns)-1]
	f, err := dispatchFrame(c.sess, event, data)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	c.wmu.Lock()
	s.mu.Unlock()
	defer c.wmu.Unlock()
	return c.writeLocked(f)
}

// SendInteraction dispatches INTERACTION_CREATE to the newest ready gateway connection
// and waits for the bot's first callback (POST /interactions/{id}/{token}/callback),
// which it returns. If the connection fails meanwhile, the event is replayed to the
// client that resumes the session. The deadline (Options.InteractionDeadline) runs on Clock from the
// moment the interaction is sent; SendInteraction itself waits until ctx ends.
func (s *Server) SendInteraction(ctx context.Context, in Interaction) (InteractionRecord, error) {
	s.mu.Lock()
	if in.Type == InteractionPing {
		s.mu.Unlock()
		return InteractionRecord{}, errors.New("fakediscord: PING is only sent over HTTP")
	}
	conns := s.readyConns()
	if len(conns) == 0 {
		s.mu.Unlock()
		return InteractionRecord{}, ErrNoGateway
	}
	st, err := s.prepareInteraction(in)
	if err != nil {
		s.mu.Unlock()
		return InteractionRecord{}, err
	}
	// Like Discord, every session on the interaction's shard receives it: two
	// connections on one shard both answer, and the second answer fails
	// (40060), which is why one process at a time must hold a shard.
	var to []*gwConn
	seen := map[*session]bool{}
	for i := len(conns) - 1; i >= 0; i-- {
		c := conns[i]
		if c.sess.shard[0] == shardOf(st.in.GuildID, c.sess.shard[1]) && !seen[c.sess] {
			seen[c.sess] = true
			to = append(to, c)
		}
	}
	if len(to) == 0 {
		s.mu.Unlock()
		return InteractionRecord{}, ErrNoGateway
	}
	st.sentAt = s.now()
	frames := make([]gwFrame, len(to))
	for i, c := range to {
		if frames[i], err = dispatchFrame(c.sess, "INTERACTION_CREATE", json.RawMessage(st.payload)); err != nil {
			s.mu.Unlock()
			return InteractionRecord{}, err
		}
	}
	s.mu.Unlock()
	for i, c := range to {
		// A failed write is not an error: the event is in the session, and a
		// client that resumes gets it replayed, as from Discord.
		_ = c.write(frames[i])
	}
	return s.waitAnswered(ctx, st)
}

// Reconnect sends op 7 Reconnect to every ready connection; the client should close
// and Resume.
func (s *Server) Reconnect() {
	s.mu.Lock()
	conns := s.readyConns()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.write(gwFrame{Op: 7})
	}
}

// InvalidSession sends op 9 to every ready connection. The client must then Identify
// again (or Resume when resumable); the connection is no longer ready until it does.
func (s *Server) InvalidSession(resumable bool) {
	s.mu.Lock()
	conns := s.readyConns()
	for _, c := range conns {
		c.ready = false
		if !resumable && c.sess != nil {
			delete(s.sessions, c.sess.id)
		}
	}
	s.notify()
	s.mu.Unlock()
	d := json.RawMessage("false")
	if resumable {
		d = json.RawMessage("true")
	}
	for _, c := range conns {
		_ = c.write(gwFrame{Op: 9, D: d})
	}
}

// DropConnections cuts every gateway connection without a close frame.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.NetConn().Close()
	}
}

// shardOf is the shard of a server among count: (guild_id >> 22) % count; DMs
// (no server) are on shard 0.
func shardOf(guildID string, count int) int {
	if guildID == "" || count <= 1 {
		return 0
	}
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil {
		return 0
	}
	return int((id >> 22) % uint64(count))
}

// ReadyShards counts the ready gateway sessions per shard ([id, count]): more
// than one on a shard means the bot connected it twice, and both connections
// receive its interactions.
func (s *Server) ReadyShards() map[[2]int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[[2]int]int)
	seen := map[*session]bool{}
	for _, c := range s.readyConns() {
		if !seen[c.sess] {
			seen[c.sess] = true
			out[c.sess.shard]++
		}
	}
	return out
}
