package fakediscord

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Thread limits (Discord API v10, "Start Thread in Forum or Media Channel" and "Start
// Thread from Message").
const (
	// MaxAppliedTags is how many tags a forum post may apply.
	MaxAppliedTags = 5
	// MaxAvailableTags is how many tags a forum or media channel may have.
	MaxAvailableTags = 20
	// DefaultAutoArchiveDuration (minutes) applies when a thread is created without
	// auto_archive_duration, as for a channel without default_auto_archive_duration.
	DefaultAutoArchiveDuration = 1440
)

// autoArchiveDurations are the values auto_archive_duration may take, in minutes.
var autoArchiveDurations = []int{60, 1440, 4320, 10080}

// Thread is a thread as the fake recorded it: a forum or media post, or a thread
// started from a message in a text channel.
type Thread struct {
	ID       string
	ParentID string // the forum, media or text channel
	GuildID  string
	Name     string
	// AppliedTags are the forum tags of a post, in the order sent.
	AppliedTags []string
	// MessageID is the thread's starter message: for a post, its first message, which
	// is in the thread; for a thread started from a message, that message, in the
	// parent. Discord gives both the thread's own id.
	MessageID string
	// AutoArchiveDuration is in minutes (60, 1440, 4320 or 10080).
	AutoArchiveDuration int
	RateLimitPerUser    int
	// Archived is true once the thread has had no activity (creation or a message) for
	// AutoArchiveDuration, on Options.Clock; a message unarchives it.
	Archived  bool
	CreatedAt time.Time
}

// threadState is a thread. The thread is also a *Channel of s.channels (type 11) so
// that every channel route serves it. Fields are guarded by s.mu.
type threadState struct {
	id, parentID     string
	appliedTags      []string
	autoArchive      int // minutes
	rateLimitPerUser int
	createdAt        time.Time
	activeAt         time.Time // last activity: creation or a message
	archiveTS        time.Time // last creation or unarchive
}

func (t *threadState) archived(now time.Time) bool {
	return !now.Before(t.activeAt.Add(time.Duration(t.autoArchive) * time.Minute))
}

// archiveTimestamp is thread_metadata.archive_timestamp: when the thread was created
// or last archived or unarchived.
func (t *threadState) archiveTimestamp(now time.Time) time.Time {
	if t.archived(now) {
		return t.activeAt.Add(time.Duration(t.autoArchive) * time.Minute)
	}
	return t.archiveTS
}

// touch records activity, unarchiving an archived thread.
func (t *threadState) touch(now time.Time) {
	if t.archived(now) {
		t.archiveTS = now
	}
	t.activeAt = now
}

// validateChannel checks a configured channel.
func validateChannel(c Channel) error {
	switch c.Type {
	case 10, ChannelTypePublicThread, 12:
		return fmt.Errorf("fakediscord: channel %s: threads are created through the API, not configured", c.ID)
	}
	if len(c.AvailableTags) > 0 && !isThreadOnly(&c) {
		return fmt.Errorf("fakediscord: channel %s: only forum and media channels have tags", c.ID)
	}
	if len(c.AvailableTags) > MaxAvailableTags {
		return fmt.Errorf("fakediscord: channel %s: at most %d tags", c.ID, MaxAvailableTags)
	}
	seen := map[string]bool{}
	for _, t := range c.AvailableTags {
		if t.ID == "" || t.Name == "" {
			return fmt.Errorf("fakediscord: channel %s: tag %+v needs an ID and a Name", c.ID, t)
		}
		if seen[t.ID] {
			return fmt.Errorf("fakediscord: channel %s: tag %s listed twice", c.ID, t.ID)
		}
		seen[t.ID] = true
	}
	return nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// addThreadFields adds a thread's fields to its channel object. s.mu must be held.
func (s *Server) addThreadFields(out map[string]any, t *threadState) {
	now := s.now()
	out["parent_id"] = t.parentID
	out["owner_id"] = s.opts.AppID
	out["rate_limit_per_user"] = t.rateLimitPerUser
	out["flags"] = 0
	out["member_count"] = 1
	// message_count and total_message_sent leave out the initial message (the post's
	// first message, or the THREAD_STARTER_MESSAGE).
	count := 0
	var last any
	for _, m := range s.messages[t.id] {
		last = m.ID
		if m.ID != t.id && m.Kind != kindThreadStarter {
			count++
		}
	}
	out["last_message_id"] = last
	out["message_count"] = count
	out["total_message_sent"] = count
	if p := s.channels[t.parentID]; p != nil && isThreadOnly(p) {
		out["applied_tags"] = nonNil(slices.Clone(t.appliedTags))
	}
	out["thread_metadata"] = map[string]any{
		"archived":              t.archived(now),
		"auto_archive_duration": t.autoArchive,
		"archive_timestamp":     rfc3339(t.archiveTimestamp(now)),
		"locked":                false,
		"create_timestamp":      rfc3339(t.createdAt),
	}
}

// threadMemberJSON is the bot's thread member object: a thread's creator joins it.
func (s *Server) threadMemberJSON(t *threadState) map[string]any {
	return map[string]any{"id": t.id, "user_id": s.opts.AppID, "join_timestamp": rfc3339(t.createdAt), "flags": 0}
}

// threadParams are the thread fields of Start Thread in Forum and Start Thread from
// Message. Unknown fields (discordgo always sends "invitable") are ignored, as Discord
// ignores them.
type threadParams struct {
	Name                *string         `json:"name"`
	AutoArchiveDuration *int            `json:"auto_archive_duration"`
	RateLimitPerUser    *int            `json:"rate_limit_per_user"`
	AppliedTags         []string        `json:"applied_tags"`
	Message             json.RawMessage `json:"message"`
}

// decodeForm decodes JSON into v; a value of the wrong type becomes a form error at
// prefix + its field, anything else that is not JSON is returned.
func decodeForm(data []byte, v any, prefix string, f formErrors) error {
	err := json.Unmarshal(data, v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := strings.TrimSuffix(prefix+te.Field, ".")
		if path == "" {
			path = "_root"
		}
		f.add(path, "BASE_TYPE_BAD_TYPE", "Value of type %s is not valid here.", te.Value)
		return nil
	}
	return err
}

// validate checks the thread fields shared by both ways to start a thread (a field
// already refused for its type is not checked again).
func (p *threadParams) validate(f formErrors) {
	switch {
	case len(f["name"]) > 0:
	case p.Name == nil:
		f.add("name", "BASE_TYPE_REQUIRED", "This field is required")
	case utf8.RuneCountInString(*p.Name) < 1 || utf8.RuneCountInString(*p.Name) > 100:
		f.add("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
	}
	if d := p.AutoArchiveDuration; d != nil && !slices.Contains(autoArchiveDurations, *d) {
		f.add("auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080).")
	}
	if r := p.RateLimitPerUser; r != nil && (*r < 0 || *r > 21600) {
		f.add("rate_limit_per_user", "NUMBER_TYPE_MAX", "Must be between 0 and 21600.")
	}
}

// newThread registers a thread and its channel. s.mu must be held.
func (s *Server) newThread(id string, parent *Channel, p *threadParams) (*threadState, *Channel) {
	now := s.now()
	t := &threadState{
		id: id, parentID: parent.ID, appliedTags: slices.Clone(p.AppliedTags), autoArchive: DefaultAutoArchiveDuration,
		createdAt: now, activeAt: now, archiveTS: now,
	}
	if p.AutoArchiveDuration != nil {
		t.autoArchive = *p.AutoArchiveDuration
	}
	if p.RateLimitPerUser != nil {
		t.rateLimitPerUser = *p.RateLimitPerUser
	}
	c := &Channel{ID: id, GuildID: parent.GuildID, Name: *p.Name, Type: ChannelTypePublicThread}
	s.threads[id] = t
	s.channels[id] = c
	return t, c
}

// startForumThread serves POST /channels/{id}/threads in a forum or media channel
// (Start Thread in Forum or Media Channel): a public thread whose first message has
// the thread's id.
func (s *Server) startForumThread(channelID string, body []byte) apiResp {
	c, bad := s.channelFor(channelID)
	if bad != nil {
		return *bad
	}
	if !isThreadOnly(c) {
		// On a text channel the same route is Start Thread without Message, which is
		// not faked: Discord would create a private thread (type defaults to 12) and
		// drop the message. Posting a forum post there is the bot's mistake.
		s.violate("threads", "POST /channels/%s/threads: channel type %d is not a forum or media channel (Start Thread without Message is not faked)", channelID, c.Type)
		return errResp(http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
	}
	if s.permsOf(c).NoSendPermission {
		return errResp(http.StatusForbidden, 50013, "Missing Permissions")
	}
	f := formErrors{}
	var p threadParams
	if err := decodeForm(body, &p, "", f); err != nil {
		s.violate("threads", "forum post body is not JSON: %v", err)
		return errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
	}
	p.validate(f)
	if len(p.AppliedTags) > MaxAppliedTags {
		f.add("applied_tags", "BASE_TYPE_MAX_LENGTH", "Must be %d or fewer in length.", MaxAppliedTags)
	}
	for i, id := range p.AppliedTags {
		if !slices.ContainsFunc(c.AvailableTags, func(t Tag) bool { return t.ID == id }) {
			f.add("applied_tags."+strconv.Itoa(i), "BASE_TYPE_CHOICES", "Tag %s is not one of the channel's available tags.", id)
		}
	}
	var m messageRequest
	var raw map[string]json.RawMessage
	if len(p.Message) == 0 || string(p.Message) == "null" {
		f.add("message", "BASE_TYPE_REQUIRED", "This field is required")
	} else if err := decodeForm(p.Message, &raw, "message.", f); err != nil {
		s.violate("threads", "forum post message is not JSON: %v", err)
		return errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
	} else if raw != nil {
		if err := decodeForm(p.Message, &m, "message.", f); err != nil {
			s.violate("threads", "forum post message is not JSON: %v", err)
			return errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		}
		// The forum message params have no nonce, enforce_nonce or poll: Discord
		// ignores them, so a bot relying on them (e.g. a nonce for idempotency) is
		// mistaken even though the post goes through.
		var ignored []string
		for _, k := range []string{"nonce", "enforce_nonce", "poll"} {
			if v, ok := raw[k]; ok && string(v) != "null" {
				ignored = append(ignored, k)
			}
		}
		if len(ignored) > 0 {
			s.violate("B5 message", "forum post in %s: %s not fields of a forum post's message; Discord ignores them", channelID, strings.Join(ignored, ", "))
		}
		m.Nonce, m.EnforceNonce, m.Poll = nil, false, nil
		if mf := validateMessage(&m, ctxCreate); mf != nil {
			for k, v := range mf {
				f["message."+k] = v
			}
		}
		// Only SUPPRESS_EMBEDS and SUPPRESS_NOTIFICATIONS may be set on a post's
		// message (Forum and Media Thread Message Params).
		if m.Flags&^(FlagSuppressEmbeds|FlagSuppressNotifications) != 0 && len(f["message.flags"]) == 0 {
			f.add("message.flags", "MESSAGE_FLAGS_INVALID", "Only SUPPRESS_EMBEDS and SUPPRESS_NOTIFICATIONS may be set on a forum post (got %d).", m.Flags)
		}
	}
	if len(f) > 0 {
		// Errors only inside the message break the message limits; any other is about
		// the thread.
		rule := "B5 message limits"
		for k := range f {
			if !strings.HasPrefix(k, "message.") {
				rule = "threads"
			}
		}
		s.violate(rule, "forum post in %s: %s", channelID, f)
		return formResp(f)
	}
	if (m.Content == nil || *m.Content == "") && len(m.Embeds) == 0 && len(m.Components) == 0 && len(m.StickerIDs) == 0 && len(m.Attachments) == 0 {
		s.violate("B5 message", "forum post in %s with an empty message", channelID)
		return errResp(http.StatusBadRequest, 50006, "Cannot send an empty message")
	}
	if c.RequireTag && len(p.AppliedTags) == 0 {
		// The forum's setting, readable in its flags: an error of the environment.
		return errResp(http.StatusBadRequest, 40067, "A tag is required to create a forum post in this channel")
	}
	msg := s.newMessage("", &m, "message", "")
	t, tc := s.newThread(msg.ID, c, &p)
	msg.ChannelID = t.id
	s.checkPings(msg.Content, m.AllowedMentions, ctxCreate, "forum post in "+channelID)
	s.appendMessage(msg)
	out := s.channelJSON(tc)
	out["message"] = s.messageJSON(msg, false)
	return apiResp{status: http.StatusCreated, body: out}
}

// startMessageThread serves POST /channels/{id}/messages/{id}/threads (Start Thread
// from Message) in a text channel: a public thread with the message's id, whose
// history begins with a THREAD_STARTER_MESSAGE (type 21) pointing at the message.
func (s *Server) startMessageThread(channelID, messageID string, body []byte) apiResp {
	c, bad := s.channelFor(channelID)
	if bad != nil {
		return *bad
	}
	if c.Type != ChannelTypeText {
		s.violate("threads", "Start Thread from Message in channel %s of type %d (only text channels; forum and media channels take posts)", channelID, c.Type)
		return errResp(http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
	}
	// CREATE_PUBLIC_THREADS is not modelled: a channel where the bot may not send
	// refuses threads too.
	if s.permsOf(c).NoSendPermission {
		return errResp(http.StatusForbidden, 50013, "Missing Permissions")
	}
	if s.findMessage(channelID, messageID) == nil {
		return errResp(http.StatusNotFound, 10008, "Unknown Message")
	}
	f := formErrors{}
	var p threadParams
	if err := decodeForm(body, &p, "", f); err != nil {
		s.violate("threads", "Start Thread from Message body is not JSON: %v", err)
		return errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
	}
	p.AppliedTags, p.Message = nil, nil // not fields of this route
	p.validate(f)
	if len(f) > 0 {
		s.violate("threads", "thread from message %s in %s: %s", messageID, channelID, f)
		return formResp(f)
	}
	if s.channels[messageID] != nil {
		// The thread has the message's id, so there is only one. Not a violation: a
		// bot may learn this way that its thread exists (e.g. after a crash).
		return errResp(http.StatusBadRequest, 160004, "A thread has already been created for this message")
	}
	t, tc := s.newThread(messageID, c, &p)
	starter := &Message{ID: s.nextID(), ChannelID: t.id, Kind: kindThreadStarter, At: s.now()}
	s.messages[t.id] = append(s.messages[t.id], starter)
	return apiResp{status: http.StatusCreated, body: s.channelJSON(tc)}
}

// activeThreads serves GET /guilds/{id}/threads/active: the unarchived threads the
// bot can see, newest (highest id) first, with a thread member for each (the bot
// joined the threads it created).
func (s *Server) activeThreads(guildID string) apiResp {
	known := false
	for _, c := range s.channels {
		if c.GuildID == guildID && s.threads[c.ID] == nil {
			known = true
			break
		}
	}
	if !known {
		return errResp(http.StatusNotFound, 10004, "Unknown Guild")
	}
	now := s.now()
	var ts []*threadState
	for _, t := range s.threads {
		c, parent := s.channels[t.id], s.channels[t.parentID]
		if c == nil || parent == nil || c.GuildID != guildID || parent.NoAccess || t.archived(now) {
			continue
		}
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *threadState) int { return -compareIDs(a.id, b.id) })
	threads, members := make([]any, 0, len(ts)), make([]any, 0, len(ts))
	for _, t := range ts {
		threads = append(threads, s.channelJSON(s.channels[t.id]))
		members = append(members, s.threadMemberJSON(t))
	}
	return apiResp{status: 200, body: map[string]any{"threads": threads, "members": members}}
}

// compareIDs orders snowflakes numerically.
func compareIDs(a, b string) int {
	x, _ := strconv.ParseUint(a, 10, 64)
	y, _ := strconv.ParseUint(b, 10, 64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return strings.Compare(a, b)
}

// Threads returns the threads under a channel (a forum, media or text channel; "" for
// every thread), oldest first.
func (s *Server) Threads(parentID string) []Thread {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []Thread
	for _, t := range s.threads {
		if parentID != "" && t.parentID != parentID {
			continue
		}
		c := s.channels[t.id]
		out = append(out, Thread{
			ID: t.id, ParentID: t.parentID, GuildID: c.GuildID, Name: c.Name,
			AppliedTags: slices.Clone(t.appliedTags), MessageID: t.id,
			AutoArchiveDuration: t.autoArchive, RateLimitPerUser: t.rateLimitPerUser,
			Archived: t.archived(now), CreatedAt: t.createdAt,
		})
	}
	slices.SortFunc(out, func(a, b Thread) int { return compareIDs(a.ID, b.ID) })
	return out
}
