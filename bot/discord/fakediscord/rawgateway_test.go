package fakediscord_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

func gatewayBotURL(t *testing.T, srv *fakediscord.Server) string {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.APIURL()+"gateway/bot", nil)
	req.Header.Set("Authorization", "Bot "+srv.BotToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var gb struct {
		URL               string         `json:"url"`
		Shards            int            `json:"shards"`
		SessionStartLimit map[string]int `json:"session_start_limit"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&gb); err != nil || gb.Shards != 1 || gb.SessionStartLimit["max_concurrency"] != 1 || resp.Header.Get("X-RateLimit-Limit") == "" {
		t.Fatalf("gateway/bot: %+v %v", gb, err)
	}
	return gb.URL + "/?v=10&encoding=json"
}

func dial(t *testing.T, url string) (*websocket.Conn, int64) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var hello frame
	if err := ws.ReadJSON(&hello); err != nil || hello.Op != 10 {
		t.Fatalf("hello: %+v %v", hello, err)
	}
	var h struct {
		HeartbeatInterval int64 `json:"heartbeat_interval"`
	}
	_ = json.Unmarshal(hello.D, &h)
	return ws, h.HeartbeatInterval
}

func read(t *testing.T, ws *websocket.Conn) frame {
	t.Helper()
	var f frame
	if err := ws.ReadJSON(&f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRawGatewayResumeReplays(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{HeartbeatInterval: 5 * time.Second})
	url := gatewayBotURL(t, srv)
	ws, hb := dial(t, url)
	if hb != 5000 {
		t.Fatalf("heartbeat_interval = %d", hb)
	}
	_ = ws.WriteJSON(map[string]any{"op": 1, "d": nil})
	if f := read(t, ws); f.Op != 11 {
		t.Fatalf("want heartbeat ACK, got %+v", f)
	}
	_ = ws.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": srv.BotToken(), "intents": 0, "properties": map[string]string{}}})
	ready := read(t, ws)
	var r struct {
		SessionID        string `json:"session_id"`
		ResumeGatewayURL string `json:"resume_gateway_url"`
	}
	_ = json.Unmarshal(ready.D, &r)
	if ready.T == nil || *ready.T != "READY" || *ready.S != 1 || r.SessionID == "" || r.ResumeGatewayURL == "" {
		t.Fatalf("ready = %+v %s", ready, ready.D)
	}
	if err := srv.Dispatch("GUILD_CREATE", map[string]any{"id": "1"}); err != nil {
		t.Fatal(err)
	}
	if f := read(t, ws); *f.S != 2 {
		t.Fatalf("dispatch = %+v", f)
	}
	if err := srv.Dispatch("CHANNEL_UPDATE", map[string]any{"id": "2"}); err != nil {
		t.Fatal(err)
	}
	srv.DropConnections()

	ws2, _ := dial(t, r.ResumeGatewayURL+"/?v=10&encoding=json")
	_ = ws2.WriteJSON(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + srv.BotToken(), "session_id": r.SessionID, "seq": 2}})
	if f := read(t, ws2); *f.T != "CHANNEL_UPDATE" || *f.S != 3 {
		t.Fatalf("replay = %+v", f)
	}
	if f := read(t, ws2); *f.T != "RESUMED" {
		t.Fatalf("resumed = %+v", f)
	}
	// An unknown session is invalid.
	ws3, _ := dial(t, url)
	_ = ws3.WriteJSON(map[string]any{"op": 6, "d": map[string]any{"token": srv.BotToken(), "session_id": "nope", "seq": 1}})
	if f := read(t, ws3); f.Op != 9 || string(f.D) != "false" {
		t.Fatalf("resume of an unknown session = %+v", f)
	}
}

func TestRawGatewayRules(t *testing.T) {
	srv := fakediscord.New(t, fakediscord.Options{HeartbeatInterval: 100 * time.Millisecond, AllowViolations: true})
	url := srv.GatewayURL()
	closeCode := func(ws *websocket.Conn) int {
		t.Helper()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					return ce.Code
				}
				t.Fatalf("read: %v", err)
			}
		}
	}
	ws, _ := dial(t, url)
	_ = ws.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": "wrong", "intents": 0}})
	if c := closeCode(ws); c != 4004 {
		t.Fatalf("bad token: close %d", c)
	}
	ws, _ = dial(t, url)
	_ = ws.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": srv.BotToken()}})
	if c := closeCode(ws); c != 4013 {
		t.Fatalf("no intents: close %d", c)
	}
	ws, _ = dial(t, url)
	_ = ws.WriteJSON(map[string]any{"op": 8, "d": map[string]any{}})
	if c := closeCode(ws); c != 4003 {
		t.Fatalf("before identify: close %d", c)
	}
	ws, _ = dial(t, url) // never heartbeats
	if c := closeCode(ws); c != 4009 {
		t.Fatalf("no heartbeat: close %d", c)
	}
	if st := srv.Stats(); st.HeartbeatTimeouts < 1 {
		t.Fatalf("stats = %+v", st)
	}
	if v := srv.TakeViolations(); rules(v) != "B7 identify,B7 identify" {
		t.Fatalf("violations = %v", v)
	}
}
