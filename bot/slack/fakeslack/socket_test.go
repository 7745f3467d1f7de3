package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func TestSocketModeSlashCommand(t *testing.T) {
	s := New(t, Options{AckDeadline: time.Minute})
	ctx := testContext(t)
	got := make(chan slack.SlashCommand, 1)
	socketClient(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeSlashCommand {
			return
		}
		cmd := evt.Data.(slack.SlashCommand)
		got <- cmd
		if err := c.Ack(*evt.Request, map[string]any{"text": "Episode 17: " + cmd.Text}); err != nil {
			t.Errorf("Ack: %v", err)
		}
	})

	ack, err := s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem", Text: "bgp"})
	if err != nil {
		t.Fatalf("SendSlashCommand: %v", err)
	}
	cmd := <-got
	if cmd.Command != "/postmortem" || cmd.Text != "bgp" || cmd.ChannelID != "C0GENERAL" || cmd.ChannelName != "general" ||
		cmd.UserID != "U0TESTUSER" || cmd.TeamID != "T0FAKETEAM" || cmd.APIAppID != "A0FAKEAPP" ||
		!strings.HasPrefix(cmd.ResponseURL, s.URL()+"/commands/T0FAKETEAM/") || cmd.TriggerID == "" {
		t.Errorf("slash command received = %+v", cmd)
	}
	if ack.Type != EnvelopeSlashCommands || ack.Late || ack.Dropped || len(ack.Problems) > 0 ||
		string(ack.Payload) != `{"text":"Episode 17: bgp"}` || ack.ResponseURL != cmd.ResponseURL || ack.InvocationID == "" {
		t.Errorf("ack = %+v", ack)
	}
	eph := s.Ephemerals("C0GENERAL")
	if len(eph) != 1 || eph[0].Text != "Episode 17: bgp" || eph[0].Recipient != "U0TESTUSER" || eph[0].Via != ViaAck {
		t.Errorf("Ephemerals = %+v; want the reply, shown to the user", eph)
	}
	if len(s.Messages("C0GENERAL")) != 0 {
		t.Errorf("an ephemeral reply reached the channel")
	}
	if st := s.Stats(); st.ConnectionsOpened != 1 || st.SocketsAccepted != 1 || st.Connected != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestSocketModeReconnectsOnDisconnect(t *testing.T) {
	s := New(t, Options{AckDeadline: time.Minute})
	ctx := testContext(t)
	var mu sync.Mutex
	var hellos, connected int
	socketClient(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeHello:
			mu.Lock()
			hellos++
			mu.Unlock()
		case socketmode.EventTypeConnected:
			mu.Lock()
			connected++
			mu.Unlock()
		case socketmode.EventTypeSlashCommand:
			_ = c.Ack(*evt.Request, map[string]any{"response_type": "in_channel", "text": "pong"})
		}
	})
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.Disconnect("refresh_requested"); n != 1 {
		t.Fatalf("Disconnect told %d connections; want 1", n)
	}
	if err := s.WaitSockets(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.ConnectionsOpened != 2 {
		t.Errorf("apps.connections.open called %d times; want 2 (a fresh URL for the new connection)", st.ConnectionsOpened)
	}
	// Deliveries go to the new connection.
	ack, err := s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem", Text: "ping"})
	if err != nil {
		t.Fatalf("SendSlashCommand after reconnect: %v", err)
	}
	if msgs := s.Messages("C0GENERAL"); len(msgs) != 1 || msgs[0].Text != "pong" || msgs[0].Via != ViaAck || msgs[0].InvocationID != ack.InvocationID {
		t.Errorf("Messages = %+v; want the in_channel reply", msgs)
	}
	// The old connection is closed by the client.
	if err := s.Wait(ctx, func() bool { return s.Stats().Connected == 1 }); err != nil {
		t.Fatal(err)
	}

	// An abrupt drop: the client reconnects too.
	if n := s.DropConnections(); n < 1 {
		t.Fatalf("DropConnections = %d", n)
	}
	if err := s.WaitSockets(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem"}); err != nil {
		t.Fatalf("SendSlashCommand after drop: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hellos < 3 || connected < 3 {
		t.Errorf("client saw %d hellos and %d connections; want 3 each", hellos, connected)
	}
}

func TestSocketModeLateAck(t *testing.T) {
	clock := NewClock(time.Unix(1700000000, 0))
	s := New(t, Options{Clock: clock.Now}) // the default 3 s deadline is what is tested
	ctx := testContext(t)
	socketClient(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			clock.Advance(3*time.Second + time.Millisecond) // the handler was slow
			_ = c.Ack(*evt.Request, map[string]any{"text": "too late"})
		}
	})
	ack, err := s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem"})
	if err != nil {
		t.Fatal(err)
	}
	if !ack.Late || ack.Elapsed != 3*time.Second+time.Millisecond {
		t.Errorf("ack = %+v; want late by 1 ms", ack)
	}
	if late := s.LateAcks(); len(late) != 1 || late[0].EnvelopeID != ack.EnvelopeID {
		t.Errorf("LateAcks = %+v", late)
	}
	if eph := s.Ephemerals("C0GENERAL"); len(eph) != 0 {
		t.Errorf("a late reply was shown: %+v", eph)
	}
	takeViolations(t, s, "A4 ack deadline")

	// Exactly at the deadline is in time.
	s2 := New(t, Options{Clock: clock.Now})
	socketClient(t, s2, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			clock.Advance(3 * time.Second)
			_ = c.Ack(*evt.Request)
		}
	})
	if ack, err := s2.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem"}); err != nil || ack.Late {
		t.Errorf("ack at the deadline = %+v, %v; want in time", ack, err)
	}
}

// rawSocket connects to the fake with gorilla directly, to send what slack-go refuses
// to send.
func rawSocket(t *testing.T, s *Server) *websocket.Conn {
	t.Helper()
	ctx := testContext(t)
	api := slack.New(s.BotToken(), slack.OptionAppLevelToken(s.AppToken()), slack.OptionAPIURL(s.APIURL()))
	_, u, err := api.StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, resp, err := websocket.DefaultDialer.DialContext(ctx, u, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { ws.Close() })
	var hello map[string]any
	if err := ws.ReadJSON(&hello); err != nil {
		t.Fatal(err)
	}
	if hello["type"] != "hello" || hello["num_connections"] != float64(1) {
		t.Errorf("first frame = %v; want hello", hello)
	}
	info, _ := hello["connection_info"].(map[string]any)
	debug, _ := hello["debug_info"].(map[string]any)
	if info["app_id"] != "A0FAKEAPP" || debug["approximate_connection_time"] != float64(18060) {
		t.Errorf("hello = %v", hello)
	}
	// The URL is single-use.
	if _, resp, err := websocket.DefaultDialer.DialContext(ctx, u, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial of the same URL: %v; want HTTP 401", err)
	}
	takeViolations(t, s, "dialled twice")
	return ws
}

func TestSocketModeAckChecks(t *testing.T) {
	s := New(t, Options{AckDeadline: time.Minute})
	ctx := testContext(t)
	ws := rawSocket(t, s)

	type envelope struct {
		Type                   string          `json:"type"`
		EnvelopeID             string          `json:"envelope_id"`
		Payload                json.RawMessage `json:"payload"`
		AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	}
	// reply reads one envelope and answers it with ack(envelope).
	reply := func(ack func(envelope) []byte) <-chan envelope {
		ch := make(chan envelope, 1)
		go func() {
			var env envelope
			if err := ws.ReadJSON(&env); err != nil {
				t.Errorf("read envelope: %v", err)
				close(ch)
				return
			}
			if err := ws.WriteMessage(websocket.TextMessage, ack(env)); err != nil {
				t.Errorf("write ack: %v", err)
			}
			ch <- env
		}()
		return ch
	}

	// An acknowledgement of 20 KB or more is dropped.
	done := reply(func(env envelope) []byte {
		return mustJSON(map[string]any{"envelope_id": env.EnvelopeID, "payload": map[string]any{"text": strings.Repeat("x", MaxAckFrameBytes)}})
	})
	ack, err := s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem"})
	env := <-done
	if err != nil || !ack.Dropped || ack.Payload != nil {
		t.Errorf("oversized ack = %+v, %v; want dropped", ack, err)
	}
	if env.Type != "slash_commands" || !env.AcceptsResponsePayload {
		t.Errorf("envelope = %+v", env)
	}
	var payload map[string]any
	if err := json.Unmarshal(env.Payload, &payload); err != nil || payload["is_enterprise_install"] != "false" || payload["command"] != "/postmortem" {
		t.Errorf("slash command payload = %s (%v); want the form fields as strings", env.Payload, err)
	}
	takeViolations(t, s, "A4 ack payload size")

	// A reply with invalid blocks is refused.
	done = reply(func(env envelope) []byte {
		return mustJSON(map[string]any{"envelope_id": env.EnvelopeID, "payload": map[string]any{"blocks": []any{map[string]any{"type": "nope"}}}})
	})
	ack, err = s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem"})
	<-done
	if err != nil || len(ack.Problems) != 1 || len(s.Ephemerals("C0GENERAL")) != 0 {
		t.Errorf("invalid reply: ack = %+v, %v; want one problem and nothing shown", ack, err)
	}
	takeViolations(t, s, "unsupported block type")

	// A payload on an envelope that takes none is ignored (events_api).
	done = reply(func(env envelope) []byte {
		return mustJSON(map[string]any{"envelope_id": env.EnvelopeID, "payload": map[string]any{"text": "hi"}})
	})
	ack, err = s.SendEvent(ctx, map[string]any{"type": "app_mention", "user": "U1", "text": "<@U0FAKEBOT> hi", "channel": "C0GENERAL", "ts": "1.000001"})
	env = <-done
	if err != nil || len(ack.Problems) != 1 || env.Type != "events_api" || env.AcceptsResponsePayload {
		t.Errorf("event ack = %+v, %v, envelope %+v", ack, err, env)
	}
	takeViolations(t, s, "does not accept a response payload")

	// Unknown and duplicate acknowledgements.
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"nope"}`)); err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, mustJSON(map[string]any{"envelope_id": env.EnvelopeID})); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(ctx, func() bool { return len(s.Violations()) >= 2 }); err != nil {
		t.Fatal(err)
	}
	takeViolations(t, s, "unknown envelope nope", "acknowledged twice")
}

func TestDeliveryWaitsForConnectionAndContext(t *testing.T) {
	s := New(t, Options{AckDeadline: time.Minute, AllowViolations: true})
	ctx := testContext(t)
	// No client: the delivery waits for one until its context ends.
	short, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.SendSlashCommand(short, SlashCommand{Command: "/postmortem"}); err == nil {
		t.Errorf("SendSlashCommand without a client: no error")
	}
	// A client that never acks: ErrNoAck when the context ends, and a violation at Close.
	ws := rawSocket(t, s)
	short, cancel = context.WithCancel(ctx)
	go func() {
		var env map[string]any
		_ = ws.ReadJSON(&env)
		cancel()
	}()
	if _, err := s.SendSlashCommand(short, SlashCommand{Command: "/postmortem"}); !errors.Is(err, ErrNoAck) {
		t.Errorf("SendSlashCommand without ack: err = %v; want ErrNoAck", err)
	}
	s.Close()
	takeViolations(t, s, "was never acknowledged")
	if _, err := s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem"}); !errors.Is(err, ErrClosed) {
		t.Errorf("SendSlashCommand after Close: err = %v; want ErrClosed", err)
	}
}

func TestClickButtonAndResponseURL(t *testing.T) {
	s := New(t, Options{AckDeadline: time.Minute})
	ctx := testContext(t)
	api := botClient(s)
	_, ts, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("Episode 17", false), slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Episode 17*", false, false), nil, nil),
		slack.NewActionBlock("", slack.NewButtonBlockElement("takeaways", "17", slack.NewTextBlockObject(slack.PlainTextType, "Takeaways", false, false))),
	))
	if err != nil {
		t.Fatal(err)
	}
	clicks := make(chan slack.InteractionCallback, 1)
	socketClient(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = c.Ack(*evt.Request)
			clicks <- evt.Data.(slack.InteractionCallback)
		}
	})

	if _, err := s.ClickButton(ctx, ButtonClick{ChannelID: "C0GENERAL", MessageTS: ts, ActionID: "nope"}); !errors.Is(err, ErrNoSuchButton) {
		t.Errorf("click on a missing button: err = %v; want ErrNoSuchButton", err)
	}
	ack, err := s.ClickButton(ctx, ButtonClick{ChannelID: "C0GENERAL", MessageTS: ts, ActionID: "takeaways"})
	if err != nil {
		t.Fatal(err)
	}
	cb := <-clicks
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("interaction = %+v", cb)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "takeaways" || act.Value != "17" || act.BlockID == "" || cb.Container.MessageTs != ts ||
		cb.Channel.ID != "C0GENERAL" || cb.User.ID != "U0TESTUSER" || cb.ResponseURL != ack.ResponseURL || cb.Message.Timestamp != ts {
		t.Errorf("block action = %+v, callback %+v", act, cb)
	}

	// The bot replaces the message through the response_url, with slack-go.
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Episode 17: takeaways", false)); err != nil {
		t.Fatalf("replace_original: %v", err)
	}
	msgs := s.Messages("C0GENERAL")
	if len(msgs) != 1 || msgs[0].Text != "Episode 17: takeaways" || !msgs[0].Edited || msgs[0].TS != ts {
		t.Errorf("after replace_original: %+v", msgs)
	}
	rs := s.Responses(ack.InvocationID)
	if len(rs) != 1 || !rs[0].ReplaceOriginal || rs[0].Seq != 1 || rs[0].ResponseType != "ephemeral" {
		t.Errorf("Responses = %+v", rs)
	}
	// …then deletes it.
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionDeleteOriginal(cb.ResponseURL)); err != nil {
		t.Fatalf("delete_original: %v", err)
	}
	if n := len(s.Messages("C0GENERAL")); n != 0 {
		t.Errorf("%d messages after delete_original", n)
	}
}

func TestResponseURLLimits(t *testing.T) {
	clock := NewClock(time.Unix(1700000000, 0))
	s := New(t, Options{Clock: clock.Now})
	ctx := testContext(t)
	api := botClient(s)
	socketClient(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			_ = c.Ack(*evt.Request)
		}
	})
	respond := func(url string, opts ...slack.MsgOption) error {
		_, _, err := api.PostMessageContext(ctx, "", append([]slack.MsgOption{slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral)}, opts...)...)
		return err
	}

	ack, err := s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem", Text: "search bgp"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ResponseURLMaxUses {
		if err := respond(ack.ResponseURL, slack.MsgOptionText("result", false)); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	var sce slack.StatusCodeError
	if err := respond(ack.ResponseURL, slack.MsgOptionText("sixth", false)); !errors.As(err, &sce) || sce.Code != http.StatusNotFound {
		t.Errorf("sixth use: err = %v; want HTTP 404", err)
	}
	takeViolations(t, s, "used more than 5 times")
	if rs := s.Responses(ack.InvocationID); len(rs) != 5 || rs[4].Seq != 5 {
		t.Errorf("Responses = %d; want 5", len(rs))
	}
	if eph := s.Ephemerals("C0GENERAL"); len(eph) != 5 || eph[0].Via != ViaResponseURL {
		t.Errorf("Ephemerals = %d; want the 5 responses", len(eph))
	}

	// After 30 minutes the URL has expired.
	ack, err = s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(ResponseURLLifetime + time.Second)
	if err := respond(ack.ResponseURL, slack.MsgOptionText("late", false)); !errors.As(err, &sce) || sce.Code != http.StatusNotFound {
		t.Errorf("use after 30 minutes: err = %v; want HTTP 404", err)
	}
	takeViolations(t, s, "used 30m1s after")

	// A response with invalid blocks is refused and does not use the URL up.
	ack, err = s.SendSlashCommand(ctx, SlashCommand{Command: "/postmortem"})
	if err != nil {
		t.Fatal(err)
	}
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("x", 200), false, false))
	if err := respond(ack.ResponseURL, slack.MsgOptionBlocks(header)); !errors.As(err, &sce) || sce.Code != http.StatusBadRequest {
		t.Errorf("invalid blocks: err = %v; want HTTP 400", err)
	}
	takeViolations(t, s, "A6 Block Kit")
	if err := respond(ack.ResponseURL, slack.MsgOptionText("fine", false)); err != nil {
		t.Errorf("valid response after a refused one: %v", err)
	}
	// A wrong secret is not a response_url.
	if err := respond(strings.Replace(ack.ResponseURL, "/commands/", "/actions/", 1), slack.MsgOptionText("x", false)); !errors.As(err, &sce) || sce.Code != http.StatusNotFound {
		t.Errorf("wrong URL: err = %v; want HTTP 404", err)
	}
}

func TestSocketModePingsAndConnectionLimit(t *testing.T) {
	s := New(t, Options{PingInterval: 10 * time.Millisecond, MaxConnections: 1})
	ctx := testContext(t)
	ws := rawSocket(t, s)
	pinged := make(chan struct{}, 1)
	ws.SetPingHandler(func(string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	})
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case <-pinged:
	case <-ctx.Done():
		t.Fatal("no ping from the server")
	}

	// A second connection is one too many.
	api := slack.New(s.BotToken(), slack.OptionAppLevelToken(s.AppToken()), slack.OptionAPIURL(s.APIURL()))
	_, u, err := api.StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws2, resp, err := websocket.DefaultDialer.DialContext(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer ws2.Close()
	var frame map[string]any
	if err := ws2.ReadJSON(&frame); err != nil || frame["type"] != "disconnect" || frame["reason"] != "too_many_websockets" {
		t.Errorf("frame on the extra connection = %v, %v; want disconnect too_many_websockets", frame, err)
	}
	takeViolations(t, s, "more than 1 concurrent connections")
}
