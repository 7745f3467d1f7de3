package fakeslack

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// tokenKind is the kind of token a method takes.
type tokenKind int

const (
	botToken tokenKind = iota
	appToken
)

func (k tokenKind) String() string {
	if k == appToken {
		return "app-level (xapp-)"
	}
	return "bot (xoxb-)"
}

type methodSpec struct {
	token   tokenKind
	handler func(*Server, *params) apiResult
}

// methods are the Web API methods the fake serves.
var methods = map[string]methodSpec{
	"auth.test":             {botToken, (*Server).authTest},
	"chat.postMessage":      {botToken, (*Server).chatPostMessage},
	"chat.postEphemeral":    {botToken, (*Server).chatPostEphemeral},
	"chat.update":           {botToken, (*Server).chatUpdate},
	"chat.delete":           {botToken, (*Server).chatDelete},
	"conversations.history": {botToken, (*Server).conversationsHistory},
	"conversations.info":    {botToken, (*Server).conversationsInfo},
	"conversations.join":    {botToken, (*Server).conversationsJoin},
	"apps.connections.open": {appToken, (*Server).appsConnectionsOpen},
}

// params are a call's arguments, from a form, a query string or a JSON body.
type params struct {
	form   url.Values
	json   map[string]json.RawMessage
	isJSON bool
	method string
}

// get returns an argument as a string: JSON strings unquoted, other JSON values as
// their JSON text (so blocks arrive the same way from forms and JSON bodies).
func (p *params) get(key string) (string, bool) {
	if p.isJSON {
		raw, ok := p.json[key]
		if !ok || string(raw) == "null" {
			return "", false
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, true
		}
		return string(bytes.TrimSpace(raw)), true
	}
	vs, ok := p.form[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func (p *params) str(key string) string {
	s, _ := p.get(key)
	return s
}

// boolean reads "true"/"1" as true; nil when absent.
func (p *params) boolean(key string) *bool {
	s, ok := p.get(key)
	if !ok {
		return nil
	}
	b := s == "true" || s == "1"
	return &b
}

func (p *params) isTrue(key string) bool {
	b := p.boolean(key)
	return b != nil && *b
}

// values returns every argument but the token, for the call log.
func (p *params) values() url.Values {
	out := url.Values{}
	if p.isJSON {
		for k := range p.json {
			if v, ok := p.get(k); ok {
				out.Set(k, v)
			}
		}
	} else {
		for k, vs := range p.form {
			out[k] = slices.Clone(vs)
		}
	}
	out.Del("token")
	return out
}

func parseParams(r *http.Request) (*params, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	p := &params{}
	switch {
	case r.Method == http.MethodPost && ct == "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			return nil, err
		}
		p.isJSON = true
		p.json = map[string]json.RawMessage{}
		if len(bytes.TrimSpace(body)) > 0 && string(bytes.TrimSpace(body)) != "null" {
			if err := json.Unmarshal(body, &p.json); err != nil {
				return nil, fmt.Errorf("invalid_json")
			}
		}
		// A JSON call may still carry query arguments.
		for k, vs := range r.URL.Query() {
			if _, ok := p.json[k]; !ok && len(vs) > 0 {
				raw, _ := json.Marshal(vs[0])
				p.json[k] = raw
			}
		}
	case ct == "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, fmt.Errorf("invalid_form_data")
		}
		p.form = r.Form
	case ct == "" || ct == "application/x-www-form-urlencoded" || ct == "text/plain":
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("invalid_form_data")
		}
		p.form = r.Form
	default:
		return nil, fmt.Errorf("invalid_post_type")
	}
	return p, nil
}

// apiResult is the answer to a call.
type apiResult struct {
	status     int // 0 means 200
	body       map[string]any
	rawBody    string // for non-JSON answers (outages)
	retryAfter int    // seconds, for 429
	limitKey   string // for 429: the limit the client must now wait for
	drop       bool   // cut the connection instead of answering
}

func ok(fields map[string]any) apiResult {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return apiResult{body: fields}
}

func fail(code string, details ...string) apiResult {
	body := map[string]any{"ok": false, "error": code}
	if len(details) > 0 {
		body["errors"] = details
		msgs := make([]string, len(details))
		for i, d := range details {
			msgs[i] = "[ERROR] " + d
		}
		body["response_metadata"] = map[string]any{"messages": msgs}
	}
	return apiResult{body: body}
}

func rateLimited(wait time.Duration, key string) apiResult {
	return apiResult{
		status:     http.StatusTooManyRequests,
		body:       map[string]any{"ok": false, "error": "ratelimited"},
		retryAfter: retryAfterSeconds(wait),
		limitKey:   key,
	}
}

// failErr answers an apiError, recording a violation when the request was malformed.
// s.mu must be held.
func (s *Server) failErr(e *apiError, method string) apiResult {
	if e.bug {
		detail := e.code
		if len(e.details) > 0 {
			detail += ": " + strings.Join(e.details, "; ")
		}
		s.violate(ruleFor(e.code), "%s rejected: %s", method, detail)
	}
	return fail(e.code, e.details...)
}

func ruleFor(code string) string {
	switch code {
	case codeInvalidBlocks, codeInvalidBlocksFormat:
		return "A6 Block Kit"
	case codeBlocksTooLong:
		return "A5 message size"
	case "invalid_metadata_format":
		return "A8 metadata"
	}
	return "A5 chat.postMessage arguments"
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	p, perr := parseParams(r)
	var res apiResult
	if perr != nil {
		res = fail(perr.Error())
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: method, Status: 200, Error: perr.Error(), At: s.now()})
		s.violate("A1 transport", "%s: unreadable request body (%s)", method, perr)
		s.mu.Unlock()
	} else {
		p.method = method
		res = s.call(method, r.Header.Get("Authorization"), p)
	}
	if res.drop {
		panic(http.ErrAbortHandler)
	}
	status := res.status
	if status == 0 {
		status = http.StatusOK
	}
	if res.rawBody != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, res.rawBody)
		return
	}
	if res.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(res.retryAfter))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(res.body)
}

// call runs one Web API call under the server's lock: authentication, injected faults,
// rate limits, then the method.
func (s *Server) call(method, authorization string, p *params) (res apiResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	channel := p.str("channel")
	if c := s.lookupChannel(channel); c != nil {
		channel = c.ID
	}
	defer func() {
		status := res.status
		if status == 0 {
			status = http.StatusOK
		}
		code := ""
		if res.body != nil && res.body["ok"] == false {
			code, _ = res.body["error"].(string)
		}
		if status == http.StatusTooManyRequests {
			s.stats.RateLimited++
			s.retryAfter[res.limitKey] = s.now().Add(time.Duration(res.retryAfter) * time.Second)
		}
		s.calls = append(s.calls, Call{Method: method, Params: p.values(), Status: status, Error: code, At: s.now()})
		s.notify()
	}()

	spec, known := methods[method]
	if !known {
		s.violate("A1 Web API", "unknown method %q (not served by fakeslack)", method)
		return fail("unknown_method")
	}

	// Authentication (A1): Bearer header, else a token argument.
	token, hasBearer := strings.CutPrefix(authorization, "Bearer ")
	if !hasBearer || token == "" {
		token = p.str("token")
	}
	var kind tokenKind
	switch token {
	case "":
		return fail("not_authed")
	case s.opts.BotToken:
		kind = botToken
	case s.opts.AppToken:
		kind = appToken
	default:
		return fail("invalid_auth")
	}
	if kind != spec.token {
		s.violate("A1/A4 token type", "%s called with the %s token; it takes the %s token", method, kind, spec.token)
		return fail("invalid_auth")
	}

	if f := s.takeFault(method, channel); f != nil {
		switch {
		case f.Status != 0 && f.Status != http.StatusOK && f.Status != http.StatusTooManyRequests:
			return apiResult{status: f.Status, rawBody: fmt.Sprintf("<html><body>%d %s (fakeslack fault)</body></html>", f.Status, http.StatusText(f.Status))}
		case f.Error == "ratelimited" || f.Status == http.StatusTooManyRequests:
			wait := f.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
			key := method
			if f.Channel != "" {
				key = method + "#" + channel
			}
			return rateLimited(wait, key)
		case f.Error != "":
			return fail(f.Error)
		case f.DropResponse:
			defer func() { res.drop = true }()
		}
	}

	// A call before the announced Retry-After has elapsed (A1).
	now := s.now()
	for _, key := range []string{method, method + "#" + channel} {
		if until, ok := s.retryAfter[key]; ok && now.Before(until) {
			s.violate("A1 Retry-After", "%s called %s before the Retry-After of an earlier 429 elapsed", method, until.Sub(now).Round(time.Millisecond))
			break
		}
	}
	if wait, key := s.rateLimit(method, channel); wait > 0 {
		return rateLimited(wait, key)
	}
	return spec.handler(s, p)
}

func (s *Server) authTest(*params) apiResult {
	return ok(map[string]any{
		"url":                   "https://" + s.opts.TeamDomain + ".slack.com/",
		"team":                  s.opts.TeamName,
		"user":                  s.opts.BotName,
		"team_id":               s.opts.TeamID,
		"user_id":               s.opts.BotUserID,
		"bot_id":                s.opts.BotID,
		"is_enterprise_install": false,
	})
}

// postableChannel finds the channel of a chat.* call and checks that the bot may post
// there (contract A5). s.mu must be held.
func (s *Server) postableChannel(idOrName string) (*Channel, *apiError) {
	c := s.lookupChannel(idOrName)
	switch {
	case idOrName == "" || c == nil:
		return nil, &apiError{code: "channel_not_found"}
	case c.Archived:
		return nil, &apiError{code: "is_archived"}
	case !c.BotIsMember && (c.Private || !s.opts.ChatWritePublic):
		return nil, &apiError{code: "not_in_channel"}
	}
	return c, nil
}

func (p *params) contentInput() contentInput {
	in := contentInput{text: p.str("text"), markdownText: p.str("markdown_text"), linkNames: p.isTrue("link_names")}
	in.blocks, in.hasBlocks = p.get("blocks")
	in.attachments, in.hasAttachments = p.get("attachments")
	in.metadata, in.hasMetadata = p.get("metadata")
	return in
}

func (s *Server) chatPostMessage(p *params) apiResult {
	c, err := s.postableChannel(p.str("channel"))
	if err != nil {
		return s.failErr(err, p.method)
	}
	ct, err := s.parseContent(p.contentInput())
	if err != nil {
		return s.failErr(err, p.method)
	}
	m := &Message{
		Channel:        c.ID,
		TS:             s.nextTS(),
		ThreadTS:       p.str("thread_ts"),
		Via:            ViaPostMessage,
		User:           s.opts.BotUserID,
		Text:           ct.text,
		Truncated:      ct.truncated,
		Blocks:         ct.blocks,
		Attachments:    ct.attachments,
		Metadata:       ct.metadata,
		UnfurlLinks:    p.boolean("unfurl_links"),
		UnfurlMedia:    p.boolean("unfurl_media"),
		Mrkdwn:         p.boolean("mrkdwn"),
		LinkNames:      p.boolean("link_names"),
		ReplyBroadcast: p.isTrue("reply_broadcast"),
		Broadcasts:     ct.broadcasts,
		Params:         p.values(),
	}
	s.record(m, false)
	return ok(map[string]any{"channel": c.ID, "ts": m.TS, "message": s.wireMessage(m, true)})
}

func (s *Server) chatPostEphemeral(p *params) apiResult {
	c, err := s.postableChannel(p.str("channel"))
	if err != nil {
		return s.failErr(err, p.method)
	}
	user := p.str("user")
	if user == "" {
		return fail("user_not_found")
	}
	if len(c.Members) > 0 && !slices.Contains(c.Members, user) {
		return fail("user_not_in_channel")
	}
	ct, err := s.parseContent(p.contentInput())
	if err != nil {
		return s.failErr(err, p.method)
	}
	m := &Message{
		Channel:     c.ID,
		TS:          s.nextTS(),
		ThreadTS:    p.str("thread_ts"),
		Via:         ViaPostEphemeral,
		User:        s.opts.BotUserID,
		Recipient:   user,
		Text:        ct.text,
		Truncated:   ct.truncated,
		Blocks:      ct.blocks,
		Attachments: ct.attachments,
		LinkNames:   p.boolean("link_names"),
		Broadcasts:  ct.broadcasts,
		Params:      p.values(),
	}
	s.record(m, true)
	return ok(map[string]any{"message_ts": m.TS})
}

func (s *Server) chatUpdate(p *params) apiResult {
	c, err := s.postableChannel(p.str("channel"))
	if err != nil {
		if err.code == "not_in_channel" {
			err.code = "cant_update_message"
		}
		return s.failErr(err, p.method)
	}
	m, _ := s.findMessage(c.ID, p.str("ts"))
	if m == nil {
		return fail("message_not_found")
	}
	if m.User != s.opts.BotUserID {
		return fail("cant_update_message")
	}
	in := p.contentInput()
	_, textSent := p.get("text")
	if !textSent && !in.hasBlocks && !in.hasAttachments {
		return s.failErr(&apiError{code: "no_text", bug: true}, p.method)
	}
	in.allowEmpty = true
	ct, err := s.parseContent(in)
	if err != nil {
		return s.failErr(err, p.method)
	}
	if textSent || in.markdownText != "" {
		m.Text, m.Truncated = ct.text, ct.truncated
	}
	if in.hasBlocks {
		m.Blocks = ct.blocks
	}
	if in.hasAttachments {
		m.Attachments = ct.attachments
	}
	if ct.metadata != nil {
		m.Metadata = ct.metadata
	}
	m.Edited = true
	m.Broadcasts = ct.broadcasts
	if len(ct.broadcasts) > 0 && !s.opts.AllowBroadcasts {
		s.violate("A7 mentions (DESIGN promise 3)", "chat.update of %s in %s would notify %s", m.TS, m.Channel, strings.Join(ct.broadcasts, ", "))
	}
	s.notify()
	return ok(map[string]any{"channel": c.ID, "ts": m.TS, "text": m.Text, "message": s.wireMessage(m, true)})
}

func (s *Server) chatDelete(p *params) apiResult {
	c := s.lookupChannel(p.str("channel"))
	if c == nil {
		return fail("channel_not_found")
	}
	m, i := s.findMessage(c.ID, p.str("ts"))
	if m == nil {
		return fail("message_not_found")
	}
	if m.User != s.opts.BotUserID {
		return fail("cant_delete_message")
	}
	s.messages[c.ID] = slices.Delete(s.messages[c.ID], i, i+1)
	s.notify()
	return ok(map[string]any{"channel": c.ID, "ts": m.TS})
}

// readableChannel finds a channel the bot may read. s.mu must be held.
func (s *Server) readableChannel(idOrName string) (*Channel, *apiError) {
	c := s.lookupChannel(idOrName)
	switch {
	case idOrName == "" || c == nil || (c.Private && !c.BotIsMember):
		return nil, &apiError{code: "channel_not_found"}
	case !c.BotIsMember:
		return nil, &apiError{code: "not_in_channel"}
	}
	return c, nil
}

func (s *Server) conversationsHistory(p *params) apiResult {
	c, err := s.readableChannel(p.str("channel"))
	if err != nil {
		return s.failErr(err, p.method)
	}
	limit := 100
	if l, ok := p.get("limit"); ok && l != "" {
		n, perr := strconv.Atoi(l)
		if perr != nil || n < 0 {
			return s.failErr(&apiError{code: "invalid_limit", bug: true}, p.method)
		}
		if n > 0 {
			limit = min(n, 999)
		}
	}
	inclusive := p.isTrue("inclusive")
	var oldest, latest int64 = 0, 1 << 62
	if v := p.str("oldest"); v != "" {
		t, ok := parseTS(v)
		if !ok {
			return s.failErr(&apiError{code: "invalid_ts_oldest", bug: true}, p.method)
		}
		oldest = t
	}
	if v := p.str("latest"); v != "" {
		t, ok := parseTS(v)
		if !ok {
			return s.failErr(&apiError{code: "invalid_ts_latest", bug: true}, p.method)
		}
		latest = t
	}
	var start int64 = 1 << 62
	if cur := p.str("cursor"); cur != "" {
		dec, derr := base64.StdEncoding.DecodeString(cur)
		ts, found := strings.CutPrefix(string(dec), "next_ts:")
		t, perr := strconv.ParseInt(ts, 10, 64) // microseconds, as in Slack's cursors
		if derr != nil || !found || perr != nil {
			return s.failErr(&apiError{code: "invalid_cursor", bug: true}, p.method)
		}
		start = t
	}

	// Newest first; thread replies only when broadcast (they belong to
	// conversations.replies).
	var selected []*Message
	ms := s.messages[c.ID]
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if m.ThreadTS != "" && m.ThreadTS != m.TS && !m.ReplyBroadcast {
			continue
		}
		t, _ := parseTS(m.TS)
		if t > start || t > latest || t < oldest {
			continue
		}
		if !inclusive && (t == latest || t == oldest) {
			continue
		}
		selected = append(selected, m)
	}
	hasMore := len(selected) > limit
	next := ""
	if hasMore {
		t, _ := parseTS(selected[limit].TS)
		next = base64.StdEncoding.EncodeToString([]byte("next_ts:" + strconv.FormatInt(t, 10)))
		selected = selected[:limit]
	}
	withMetadata := p.isTrue("include_all_metadata")
	out := make([]map[string]any, 0, len(selected))
	for _, m := range selected {
		out = append(out, s.wireMessage(m, withMetadata))
	}
	return ok(map[string]any{
		"messages":          out,
		"has_more":          hasMore,
		"pin_count":         0,
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

func (s *Server) wireChannel(c *Channel) map[string]any {
	return map[string]any{
		"id":                   c.ID,
		"name":                 c.Name,
		"name_normalized":      c.Name,
		"is_channel":           true,
		"is_group":             false,
		"is_im":                false,
		"is_mpim":              false,
		"is_private":           c.Private,
		"is_archived":          c.Archived,
		"is_general":           c.Name == "general",
		"is_member":            c.BotIsMember,
		"is_shared":            false,
		"is_ext_shared":        false,
		"is_org_shared":        false,
		"is_pending_ext_share": false,
		"created":              1500000000,
		"creator":              "U0CREATOR",
		"context_team_id":      s.opts.TeamID,
		"shared_team_ids":      []string{s.opts.TeamID},
		"topic":                map[string]any{"value": "", "creator": "", "last_set": 0},
		"purpose":              map[string]any{"value": "", "creator": "", "last_set": 0},
	}
}

func (s *Server) conversationsInfo(p *params) apiResult {
	c := s.lookupChannel(p.str("channel"))
	if c == nil || (c.Private && !c.BotIsMember) {
		return fail("channel_not_found")
	}
	wc := s.wireChannel(c)
	if p.isTrue("include_num_members") {
		n := len(c.Members)
		if c.BotIsMember {
			n++
		}
		wc["num_members"] = n
	}
	return ok(map[string]any{"channel": wc})
}

func (s *Server) conversationsJoin(p *params) apiResult {
	c := s.lookupChannel(p.str("channel"))
	switch {
	case c == nil || (c.Private && !c.BotIsMember):
		return fail("channel_not_found")
	case c.Private:
		return fail("method_not_supported_for_channel_type")
	case c.Archived:
		return fail("is_archived")
	}
	res := map[string]any{}
	if c.BotIsMember {
		res["warning"] = "already_in_channel"
		res["response_metadata"] = map[string]any{"warnings": []string{"already_in_channel"}}
	}
	c.BotIsMember = true
	res["channel"] = s.wireChannel(c)
	return ok(res)
}

func (s *Server) appsConnectionsOpen(*params) apiResult {
	ticket := hashHex(32, "ticket", s.nextID())
	s.tickets[ticket] = false
	s.stats.ConnectionsOpened++
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + url.QueryEscape(s.opts.AppID)
	return ok(map[string]any{"url": u})
}
