package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Response is a post to a response_url that was accepted.
type Response struct {
	InvocationID string
	// Seq is the use of the response_url, 1 to 5.
	Seq int
	// ResponseType is "ephemeral" (the default) or "in_channel".
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	Text            string
	Blocks          json.RawMessage
	// Body is the JSON body as received.
	Body json.RawMessage
	At   time.Time
}

func (r Response) clone() Response {
	r.Blocks = slices.Clone(r.Blocks)
	r.Body = slices.Clone(r.Body)
	return r
}

// Responses returns the accepted posts to an invocation's response_url, in order.
func (s *Server) Responses(invocationID string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.invocations[invocationID]
	if !ok {
		return nil
	}
	out := make([]Response, len(inv.responses))
	for i, r := range inv.responses {
		out[i] = r.clone()
	}
	return out
}

// WaitResponses waits until an invocation's response_url got at least n accepted posts
// and returns them all.
func (s *Server) WaitResponses(ctx context.Context, invocationID string, n int) ([]Response, error) {
	var out []Response
	err := s.Wait(ctx, func() bool {
		out = s.Responses(invocationID)
		return len(out) >= n
	})
	return out, err
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// serveResponseURL serves /commands/<team>/<id>/<secret> and /actions/<team>/<id>/<secret>
// (contract A3: at most 5 posts within 30 minutes of the invocation). Refusals answer
// HTTP 404 with {"ok":false,"error":"used_url"|"expired_url"|"invalid_url"}; a bad
// message answers HTTP 400 with its Slack error code. slack-go reports both as
// slack.StatusCodeError.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"ok": false, "error": "method_not_allowed"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var inv *invocation
	if len(parts) == 4 {
		inv = s.invocations[parts[2]]
	}
	if inv == nil || inv.kind != parts[0] || inv.secret != parts[3] || parts[1] != s.opts.TeamID {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "invalid_url"})
		return
	}
	now := s.now()
	if now.Sub(inv.created) > ResponseURLLifetime {
		s.violate("A3 response_url", "response_url of invocation %s used %s after the invocation (limit %s)", inv.id, now.Sub(inv.created).Round(time.Second), ResponseURLLifetime)
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "expired_url"})
		return
	}
	if inv.uses >= ResponseURLMaxUses {
		s.violate("A3 response_url", "response_url of invocation %s used more than %d times", inv.id, ResponseURLMaxUses)
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "used_url"})
		return
	}
	if e := s.replyToInvocation(inv, body, ViaResponseURL, true); e != nil {
		s.violate(ruleFor(e.code), "response_url post of invocation %s rejected: %s", inv.id, e.detail())
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": e.code, "errors": e.details})
		return
	}
	inv.uses++
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
	}
	_ = json.Unmarshal(body, &msg) // replyToInvocation has checked it
	if msg.ResponseType == "" {
		msg.ResponseType = "ephemeral"
	}
	inv.responses = append(inv.responses, Response{
		InvocationID:    inv.id,
		Seq:             inv.uses,
		ResponseType:    msg.ResponseType,
		ReplaceOriginal: msg.ReplaceOriginal,
		DeleteOriginal:  msg.DeleteOriginal,
		Text:            msg.Text,
		Blocks:          nullToNil(msg.Blocks),
		Body:            json.RawMessage(bytes.TrimSpace(body)),
		At:              now,
	})
	s.notify()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func nullToNil(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// replyToInvocation validates a reply to a command or a click (an acknowledgement
// payload, an HTTP answer or a response_url post: a message with text/blocks,
// response_type, replace_original, delete_original) and, if show, shows it: ephemeral
// by default (A3), in the channel with response_type in_channel, or replacing or
// deleting the clicked message. An empty object is no reply. s.mu must be held.
func (s *Server) replyToInvocation(inv *invocation, body []byte, via string, show bool) *apiError {
	p := &params{isJSON: true}
	if err := json.Unmarshal(body, &p.json); err != nil || p.json == nil {
		return &apiError{code: "invalid_payload", details: []string{"the reply must be a JSON object"}, bug: true}
	}
	// slack-go's response_url sender always includes an empty metadata object
	// ({"event_type":"","event_payload":null}), which Slack accepts.
	if raw, ok := p.json["metadata"]; ok && isEmptyMetadata(raw) {
		delete(p.json, "metadata")
	}
	if len(p.json) == 0 || inv == nil {
		return nil
	}
	rt := p.str("response_type")
	if rt != "" && rt != "ephemeral" && rt != "in_channel" {
		return &apiError{code: "invalid_response_type", details: []string{`response_type must be "ephemeral" or "in_channel", not "` + rt + `"`}, bug: true}
	}
	if p.isTrue("delete_original") {
		if show {
			s.deleteOriginal(inv)
		}
		return nil
	}
	ct, err := s.parseContent(p.contentInput())
	if err != nil {
		return err
	}
	if !show {
		return nil
	}
	if p.isTrue("replace_original") && inv.containerTS != "" {
		if orig := s.original(inv); orig != nil {
			orig.Text, orig.Truncated = ct.text, ct.truncated
			orig.Blocks, orig.Attachments = ct.blocks, ct.attachments
			orig.Broadcasts = ct.broadcasts
			orig.Edited = true
			if len(ct.broadcasts) > 0 && !s.opts.AllowBroadcasts {
				s.violate("A7 mentions (DESIGN promise 3)", "replacement of %s in %s would notify %s", orig.TS, orig.Channel, strings.Join(ct.broadcasts, ", "))
			}
			s.notify()
			return nil
		}
	}
	ephemeral := rt != "in_channel"
	m := &Message{
		Channel:      inv.channel,
		TS:           s.nextTS(),
		ThreadTS:     p.str("thread_ts"),
		Via:          via,
		User:         s.opts.BotUserID,
		Text:         ct.text,
		Truncated:    ct.truncated,
		Blocks:       ct.blocks,
		Attachments:  ct.attachments,
		Broadcasts:   ct.broadcasts,
		InvocationID: inv.id,
	}
	if ephemeral {
		m.Recipient = inv.user
	}
	s.record(m, ephemeral)
	return nil
}

// original returns the message a click came from. s.mu must be held.
func (s *Server) original(inv *invocation) *Message {
	if inv.containerEphemeral {
		m, _ := s.findEphemeral(inv.channel, inv.containerTS)
		return m
	}
	m, _ := s.findMessage(inv.channel, inv.containerTS)
	return m
}

// deleteOriginal removes the message a click came from. s.mu must be held.
func (s *Server) deleteOriginal(inv *invocation) {
	if inv.containerTS == "" {
		return
	}
	if inv.containerEphemeral {
		if _, i := s.findEphemeral(inv.channel, inv.containerTS); i >= 0 {
			s.ephemerals[inv.channel] = slices.Delete(s.ephemerals[inv.channel], i, i+1)
		}
	} else if _, i := s.findMessage(inv.channel, inv.containerTS); i >= 0 {
		s.messages[inv.channel] = slices.Delete(s.messages[inv.channel], i, i+1)
	}
	s.notify()
}

func isEmptyMetadata(raw json.RawMessage) bool {
	var md struct {
		EventType    string          `json:"event_type"`
		EventPayload json.RawMessage `json:"event_payload"`
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return true
	}
	if json.Unmarshal(raw, &md) != nil || md.EventType != "" {
		return false
	}
	p := string(bytes.TrimSpace(md.EventPayload))
	return p == "" || p == "null" || p == "{}"
}
