package fakediscord

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// apiResp is what a route answers.
type apiResp struct {
	status int
	body   any // JSON-encoded; nil for no body
	code   int // Discord error code
	limits *limitResult
}

func errResp(status, code int, msg string) apiResp {
	return apiResp{status: status, code: code, body: map[string]any{"message": msg, "code": code}}
}

func formResp(f formErrors) apiResp {
	return apiResp{status: http.StatusBadRequest, code: 50035, body: map[string]any{
		"code": 50035, "message": "Invalid Form Body", "errors": f.nested(),
	}}
}

var versionPrefix = regexp.MustCompile(`^/api(/v\d+)?`)

// readBody returns the JSON body of a request; a multipart body (discordgo sends one
// when files are attached) gives its payload_json part.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 25<<20+1))
	if err != nil {
		return nil, err
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return body, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, err
		}
		if p.FormName() == "payload_json" {
			return io.ReadAll(p)
		}
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	path := versionPrefix.ReplaceAllString(r.URL.Path, "")
	parts := strings.Split(strings.Trim(path, "/"), "/")

	s.mu.Lock()
	var resp apiResp
	if err != nil {
		resp = errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
	} else {
		resp = s.route(r, path, parts, body)
	}
	now := s.now()
	if resp.status == 401 || resp.status == 403 || resp.status == 429 {
		s.stats.InvalidRequests++
		s.invalid = append(s.invalid, now)
		for len(s.invalid) > 0 && now.Sub(s.invalid[0]) > InvalidRequestWindow {
			s.invalid = s.invalid[1:]
		}
		if len(s.invalid) > InvalidRequestLimit && !s.banReported {
			s.banReported = true
			s.violate("B6 invalid requests", "more than %d 401/403/429 answers within %s: Cloudflare would ban the IP", InvalidRequestLimit, InvalidRequestWindow)
		}
	}
	if resp.status == 429 {
		s.stats.RateLimited++
	}
	s.calls = append(s.calls, Call{Method: r.Method, Path: path, Body: json.RawMessage(slices.Clone(body)), Status: resp.status, Code: resp.code, At: now})
	if resp.limits != nil {
		s.writeLimitHeaders(w.Header(), *resp.limits)
	}
	s.notify()
	s.mu.Unlock()

	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	_ = json.NewEncoder(w).Encode(resp.body)
}

// authorized checks "Authorization: Bot <token>".
func (s *Server) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bot "+s.opts.BotToken
}

// limited answers a rate-limited request, or returns ok with the limits to attach.
func (s *Server) limit(route, resource string, rate Rate, exempt bool) (limitResult, *apiResp) {
	l := s.checkLimits(route, resource, rate, exempt)
	if !l.limited {
		return l, nil
	}
	resp := apiResp{status: http.StatusTooManyRequests, limits: &l, body: map[string]any{
		"message":     "You are being rate limited.",
		"retry_after": float64(l.retry.Milliseconds()) / 1000,
		"global":      l.global,
	}}
	return l, &resp
}

// route dispatches a request. s.mu is held.
func (s *Server) route(r *http.Request, path string, parts []string, body []byte) apiResp {
	if s.closed {
		return errResp(http.StatusServiceUnavailable, 0, "closed")
	}
	n := len(parts)
	m := r.Method
	// Interaction callbacks and webhook (followup) routes authenticate with their token
	// and are exempt from the global limit (B6).
	var handler func() apiResp
	var bucket, resource string
	rate, exempt := s.opts.RouteRate, false
	switch {
	case n == 4 && parts[0] == "interactions" && parts[3] == "callback" && m == http.MethodPost:
		bucket, resource, exempt = "POST /interactions/{id}/{token}/callback", parts[1], true
		handler = func() apiResp { return s.interactionCallback(parts[1], parts[2], body) }
	case n == 3 && parts[0] == "webhooks" && m == http.MethodPost:
		bucket, resource, exempt, rate = "POST /webhooks/{id}/{token}", parts[1]+parts[2], true, s.opts.ChannelRate
		handler = func() apiResp { return s.followup(parts[1], parts[2], body) }
	case n == 5 && parts[0] == "webhooks" && parts[3] == "messages":
		bucket, resource, exempt = m+" /webhooks/{id}/{token}/messages/{id}", parts[1]+parts[2], true
		handler = func() apiResp { return s.webhookMessage(m, parts[1], parts[2], parts[4], body) }
	}
	if handler == nil {
		if !s.authorized(r) {
			return errResp(http.StatusUnauthorized, 0, "401: Unauthorized")
		}
		switch {
		case (path == "/gateway" || path == "/gateway/bot") && m == http.MethodGet:
			bucket = "GET " + path
			handler = func() apiResp { return s.gateway(path) }
		case n == 2 && parts[0] == "users" && parts[1] == "@me" && m == http.MethodGet:
			bucket = "GET /users/@me"
			handler = func() apiResp {
				return apiResp{status: 200, body: map[string]any{"id": s.opts.AppID, "username": s.opts.BotName, "discriminator": "0000", "bot": true}}
			}
		case n == 2 && parts[0] == "channels" && m == http.MethodGet:
			bucket, resource = "GET /channels/{id}", parts[1]
			handler = func() apiResp { return s.getChannel(parts[1]) }
		case n == 3 && parts[0] == "channels" && parts[2] == "messages" && m == http.MethodPost:
			bucket, resource, rate = "POST /channels/{id}/messages", parts[1], s.opts.ChannelRate
			handler = func() apiResp { return s.createMessage(parts[1], body) }
		case n == 3 && parts[0] == "channels" && parts[2] == "messages" && m == http.MethodGet:
			bucket, resource = "GET /channels/{id}/messages", parts[1]
			handler = func() apiResp { return s.getMessages(r, parts[1]) }
		case n == 4 && parts[0] == "channels" && parts[2] == "messages" && m == http.MethodGet:
			bucket, resource = "GET /channels/{id}/messages/{id}", parts[1]
			handler = func() apiResp { return s.getMessage(parts[1], parts[3]) }
		case n == 3 && parts[0] == "channels" && parts[2] == "threads" && m == http.MethodPost:
			// A post is a message: it shares the per-channel message limit, counted
			// per forum.
			bucket, resource, rate = "POST /channels/{id}/threads", parts[1], s.opts.ChannelRate
			handler = func() apiResp { return s.startForumThread(parts[1], body) }
		case n == 5 && parts[0] == "channels" && parts[2] == "messages" && parts[4] == "threads" && m == http.MethodPost:
			bucket, resource = "POST /channels/{id}/messages/{id}/threads", parts[1]
			handler = func() apiResp { return s.startMessageThread(parts[1], parts[3], body) }
		case n == 4 && parts[0] == "guilds" && parts[2] == "threads" && parts[3] == "active" && m == http.MethodGet:
			bucket, resource = "GET /guilds/{id}/threads/active", parts[1]
			handler = func() apiResp { return s.activeThreads(parts[1]) }
		case n == 3 && parts[0] == "applications" && parts[2] == "commands":
			bucket, resource = m+" /applications/{id}/commands", parts[1]
			handler = func() apiResp { return s.commandsRoute(m, parts[1], "", body) }
		case n == 5 && parts[0] == "applications" && parts[2] == "guilds" && parts[4] == "commands":
			bucket, resource = m+" /applications/{id}/guilds/{id}/commands", parts[3]
			handler = func() apiResp { return s.commandsRoute(m, parts[1], parts[3], body) }
		default:
			s.violate("B1 unknown route", "%s %s is not served by the fake", m, path)
			return errResp(http.StatusNotFound, 0, "404: Not Found")
		}
	}
	l, limited := s.limit(bucket, resource, rate, exempt)
	if limited != nil {
		return *limited
	}
	resp := handler()
	resp.limits = &l
	return resp
}

func (s *Server) gateway(path string) apiResp {
	out := map[string]any{"url": strings.TrimSuffix(s.GatewayURL(), "/")}
	if path == "/gateway/bot" {
		out["shards"] = 1
		out["session_start_limit"] = map[string]any{"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1}
	}
	return apiResp{status: 200, body: out}
}

func (s *Server) getChannel(id string) apiResp {
	c, bad := s.channelFor(id)
	if bad != nil {
		return *bad
	}
	out := s.channelJSON(c)
	if t := s.threads[id]; t != nil {
		// Get Channel carries the current user's thread member; the bot joined the
		// threads it created.
		out["member"] = s.threadMemberJSON(t)
	}
	return apiResp{status: 200, body: out}
}

// channelJSON renders a channel object: forum and media channels with their
// available_tags and flags, threads with parent_id and thread_metadata. s.mu held.
func (s *Server) channelJSON(c *Channel) map[string]any {
	out := map[string]any{"id": c.ID, "guild_id": c.GuildID, "name": c.Name, "type": c.Type}
	if t := s.threads[c.ID]; t != nil {
		s.addThreadFields(out, t)
		return out
	}
	if isThreadOnly(c) {
		tags := make([]any, 0, len(c.AvailableTags))
		for _, tag := range c.AvailableTags {
			tags = append(tags, map[string]any{"id": tag.ID, "name": tag.Name, "moderated": false, "emoji_id": nil, "emoji_name": nil})
		}
		out["available_tags"] = tags
		flags := 0
		if c.RequireTag {
			flags |= ChannelFlagRequireTag
		}
		out["flags"] = flags
	}
	return out
}

// channelFor answers 404 10003 or 403 50001 for a channel the bot cannot use. A thread
// is visible when its parent is.
func (s *Server) channelFor(id string) (*Channel, *apiResp) {
	c := s.channels[id]
	if c == nil {
		r := errResp(http.StatusNotFound, 10003, "Unknown Channel")
		return nil, &r
	}
	if s.permsOf(c).NoAccess {
		r := errResp(http.StatusForbidden, 50001, "Missing Access")
		return nil, &r
	}
	return c, nil
}

// permsOf returns the channel whose NoAccess and NoSendPermission apply to c: its
// parent for a thread (threads inherit their parent's permissions), c itself
// otherwise. s.mu must be held.
func (s *Server) permsOf(c *Channel) *Channel {
	if t := s.threads[c.ID]; t != nil {
		if p := s.channels[t.parentID]; p != nil {
			return p
		}
	}
	return c
}

// isThreadOnly reports a forum or media channel, where messages live in posts.
func isThreadOnly(c *Channel) bool {
	return c.Type == ChannelTypeForum || c.Type == ChannelTypeMedia
}

// forumMessageError answers Create Message in a forum or media channel.
func (s *Server) forumMessageError() apiResp {
	code := s.opts.ForumCreateMessageCode
	msg := "Cannot send messages in a non-text channel"
	if code == 40058 {
		msg = "Cannot send a message in a forum channel"
	}
	return errResp(http.StatusBadRequest, code, msg)
}

func (s *Server) createMessage(channelID string, body []byte) apiResp {
	c, bad := s.channelFor(channelID)
	if bad != nil {
		return *bad
	}
	if s.permsOf(c).NoSendPermission {
		return errResp(http.StatusForbidden, 50013, "Missing Permissions")
	}
	var m messageRequest
	if err := json.Unmarshal(body, &m); err != nil {
		s.violate("B5 message", "Create Message body is not a message: %v", err)
		return errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
	}
	if f := validateMessage(&m, ctxCreate); f != nil {
		s.violate("B5 message limits", "Create Message in %s: %s", channelID, f)
		return formResp(f)
	}
	if isThreadOnly(c) {
		// Not a violation: a bot may learn a channel's type this way, and Discord's
		// answer is an error of the environment, like an unknown channel.
		return s.forumMessageError()
	}
	if (m.Content == nil || *m.Content == "") && len(m.Embeds) == 0 && len(m.Components) == 0 && len(m.StickerIDs) == 0 && len(m.Attachments) == 0 && len(m.Poll) == 0 {
		s.violate("B5 message", "empty message in %s", channelID)
		return errResp(http.StatusBadRequest, 50006, "Cannot send an empty message")
	}
	nonce, _ := nonceString(m.Nonce)
	key := channelID + "\x00" + nonce
	if m.EnforceNonce && nonce != "" {
		if prev := s.nonces[key]; prev != nil && s.now().Sub(prev.At) < s.opts.NonceWindow {
			return apiResp{status: 200, body: s.messageJSON(prev, true)}
		}
	}
	msg := s.newMessage(channelID, &m, "message", "")
	s.checkPings(msg.Content, m.AllowedMentions, ctxCreate, "message in "+channelID)
	s.appendMessage(msg)
	if m.EnforceNonce && nonce != "" {
		s.nonces[key] = msg
	}
	return apiResp{status: 200, body: s.messageJSON(msg, true)}
}

// getMessages serves GET /channels/{id}/messages (limit 1–100, default 50; before,
// after, around), newest first. The nonce is not returned, as in Discord's history.
func (s *Server) getMessages(r *http.Request, channelID string) apiResp {
	if _, bad := s.channelFor(channelID); bad != nil {
		return *bad
	}
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			f := formErrors{}
			f.add("limit", "NUMBER_TYPE_MAX", "Must be between 1 and 100.")
			s.violate("B5 get messages", "limit %q", v)
			return formResp(f)
		}
		limit = n
	}
	id := func(v string) int64 { n, _ := strconv.ParseInt(v, 10, 64); return n }
	msgs := s.messages[channelID]
	var sel []*Message
	switch {
	case q.Get("after") != "":
		after := id(q.Get("after"))
		for _, m := range msgs {
			if id(m.ID) > after && len(sel) < limit {
				sel = append(sel, m)
			}
		}
	case q.Get("before") != "":
		before := id(q.Get("before"))
		for i := len(msgs) - 1; i >= 0 && len(sel) < limit; i-- {
			if id(msgs[i].ID) < before {
				sel = append([]*Message{msgs[i]}, sel...)
			}
		}
	default:
		start := max(0, len(msgs)-limit)
		sel = msgs[start:]
	}
	out := make([]any, 0, len(sel))
	for i := len(sel) - 1; i >= 0; i-- {
		out = append(out, s.messageJSON(sel[i], false))
	}
	return apiResp{status: 200, body: out}
}

// getMessage serves GET /channels/{id}/messages/{id}; like history, without the nonce.
// An unknown message is the environment's doing (deleted, or never there): 404 code
// 10008, not a violation.
func (s *Server) getMessage(channelID, messageID string) apiResp {
	if _, bad := s.channelFor(channelID); bad != nil {
		return *bad
	}
	m := s.findMessage(channelID, messageID)
	if m == nil {
		return errResp(http.StatusNotFound, 10008, "Unknown Message")
	}
	return apiResp{status: 200, body: s.messageJSON(m, false)}
}

// appendMessage records a message in its channel; a message in a thread is activity
// that unarchives it (Discord: "Sending a message will automatically unarchive the
// thread"). s.mu must be held.
func (s *Server) appendMessage(m *Message) {
	s.messages[m.ChannelID] = append(s.messages[m.ChannelID], m)
	if t := s.threads[m.ChannelID]; t != nil {
		t.touch(s.now())
	}
}

// Messages returns the messages of a channel or thread visible to everyone (Create
// Message, the first message of forum posts, and non-ephemeral interaction responses
// and followups), oldest first. The THREAD_STARTER_MESSAGE (type 21) that Discord puts
// first in a thread started from a message is served in the thread's history but left
// out here, since the bot did not write it.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages[channelID]))
	for _, m := range s.messages[channelID] {
		if m.Kind == kindThreadStarter {
			continue
		}
		out = append(out, cloneMessage(m))
	}
	return out
}

// WaitMessages blocks until the channel has at least n messages (see Messages) and
// returns them.
func (s *Server) WaitMessages(ctx context.Context, channelID string, n int) ([]Message, error) {
	var out []Message
	err := s.Wait(ctx, func() bool {
		out = s.Messages(channelID)
		return len(out) >= n
	})
	return out, err
}
