package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/chattext"
)

// historyDepth is how many recent messages of a channel are searched for an
// earlier attempt's post: the bot posts rarely, and a retry comes soon after.
const historyDepth = 100

// postMargin is the time a post keeps for the call itself after waiting for its
// slot, out of its context's deadline (half of it when that is short).
const postMargin = 5 * time.Second

// maxThreadName is the longest name of a thread or forum post.
const maxThreadName = 100

// threadArchive is how long a thread stays open without a message, in
// minutes: a week, time for a community to talk about an episode.
const threadArchive = 10080

// Discord's JSON error codes the poster acts on (contract B5; opcodes and
// status codes).
const (
	codeUnknownChannel     = 10003
	codeUnknownMessage     = 10008
	codeMissingAccess      = 50001
	codeNonTextChannel     = 50008
	codeMissingPermissions = 50013
	codeInvalidForm        = 50035
	codeForumMessage       = 40058
	codeTagRequired        = 40067
	codeThreadExists       = 160004
	codeArchivedThread     = 50083
)

// permanent are the errors no retry fixes: the channel is gone, or the bot may
// not see it or post there. The delivery is given up and its subscription
// paused until someone subscribes the channel again.
var permanent = map[int]string{
	codeUnknownChannel:     "the channel does not exist any more",
	codeMissingAccess:      "the bot cannot see the channel (give its role View Channel there)",
	codeMissingPermissions: "the bot may not post in the channel (give its role Send Messages, Embed Links and Read Message History there)",
	codeForumMessage:       "the channel is a forum, where only posts can be made",
	codeArchivedThread:     "the thread is archived",
	codeTagRequired:        "the forum requires a tag on posts, and has none the bot may use (add one named like the podcast)",
}

// channelKind is what the poster knows of a channel.
type channelKind int

const (
	kindUnknown channelKind = iota
	kindText
	kindForum
)

// channelInfo is what the poster learnt about a channel: its kind, and for a
// forum its server and tags.
type channelInfo struct {
	kind    channelKind
	guildID string
	tags    []discordgo.ForumTag
	// requireTag says a post without a tag is refused (40067).
	requireTag bool
}

// Post posts m to the channel of d, exactly once per d.Key. Every message
// carries the key twice: as its nonce with enforce_nonce, which Discord checks
// for a few minutes, and in a button's custom_id, which its history returns
// for good. When an earlier attempt may have posted it (d.MayHavePosted), the
// channel's recent messages (or the forum's active posts) are searched for the
// key first. In a forum, the announcement opens a post; in a channel of
// Options.Threads, it opens a thread. It never waits past ctx's deadline for
// the global rate limit: it returns a *bot.RetryAfterError instead.
func (a *Adapter) Post(ctx context.Context, d bot.Delivery, m bot.Message) (string, error) {
	p := keyed(RenderMessage(m), d.Key, m.Language)
	info := a.known(d.Channel)
	if info.kind == kindUnknown && d.MayHavePosted {
		// Where to look depends on what the channel is.
		var err error
		if info, err = a.learn(ctx, d.Channel); err != nil {
			return "", err
		}
	}
	if info.kind == kindForum {
		return a.postForum(ctx, d, m, p, info)
	}
	if d.MayHavePosted {
		id, found, err := a.findPosted(ctx, d.Channel, d.Key)
		if err != nil {
			return "", err
		}
		if found {
			a.log.Info("delivery found already posted; not posting again", "key", d.Key, "channel", d.Channel, "message", id)
			return id, a.thread(ctx, d.Channel, id, m)
		}
	}
	id, err := a.send(ctx, d.Channel, p, d.Key)
	switch code := errorCode(err); {
	case err == nil:
	case (code == codeNonTextChannel || code == codeForumMessage) && info.kind == kindUnknown:
		// Not a text channel: find out whether it is a forum, where
		// announcements open posts.
		info, cerr := a.learn(ctx, d.Channel)
		if cerr != nil {
			return "", cerr
		}
		if info.kind == kindForum {
			return a.postForum(ctx, d, m, p, info)
		}
		return "", &bot.PermanentError{Err: said{"discord: the channel takes no messages (neither a text channel nor a forum)", err}, Pause: true}
	case code == codeInvalidForm:
		// Our layout was refused: a bug of ours, but the news must still go
		// out. The plain text says it all, with the same key.
		a.log.Error("Discord refused the message layout; posting it as plain text", "key", d.Key, "err", err)
		id, err = a.send(ctx, d.Channel, keyed(Payload{Content: plainContent(m)}, d.Key, m.Language), d.Key)
	}
	if err != nil {
		return "", a.failed(err)
	}
	a.remember(d.Channel, channelInfo{kind: kindText})
	return id, a.thread(ctx, d.Channel, id, m)
}

// plainContent is a message's fallback text as plain content.
func plainContent(m bot.Message) string {
	s, _ := clip(chattext.Clean(m.Fallback), ContentBudget)
	if s == "" {
		s, _ = clip(chattext.Line(m.Header), ContentBudget)
	}
	return s
}

// createMessage is Create Message's body: discordgo's MessageSend with the
// nonce fields it lacks.
type createMessage struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce"`
	EnforceNonce bool   `json:"enforce_nonce"`
}

// send posts p to a channel with the key as its nonce, and returns the
// message's id.
func (a *Adapter) send(ctx context.Context, channel string, p Payload, key string) (string, error) {
	u := discordgo.EndpointChannelMessages(channel)
	if err := a.wait(ctx, channel, u); err != nil {
		return "", err
	}
	body := createMessage{MessageSend: p.MessageSend(), Nonce: key, EnforceNonce: true}
	resp, err := a.session.RequestWithBucketID(http.MethodPost, u, body, u, discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	var msg discordgo.Message
	if err := json.Unmarshal(resp, &msg); err != nil {
		return "", fmt.Errorf("discord: create message in %s: %w", channel, err)
	}
	return msg.ID, nil
}

// findPosted looks for the key in the channel's recent messages.
func (a *Adapter) findPosted(ctx context.Context, channel, key string) (string, bool, error) {
	// Reading the history is not posting: its own bucket, which a channel's
	// spent post bucket does not hold.
	bucket := "GET " + discordgo.EndpointChannelMessages(channel)
	if err := a.wait(ctx, channel, bucket); err != nil {
		return "", false, err
	}
	u := discordgo.EndpointChannelMessages(channel) + "?limit=" + strconv.Itoa(historyDepth)
	resp, err := a.session.RequestWithBucketID(http.MethodGet, u, nil, bucket, discordgo.WithContext(ctx))
	if err != nil {
		return "", false, a.failed(fmt.Errorf("discord: history of %s: %w", channel, err))
	}
	var msgs []postedMessage
	if err := json.Unmarshal(resp, &msgs); err != nil {
		return "", false, fmt.Errorf("discord: history of %s: %w", channel, err)
	}
	for _, msg := range msgs {
		if msg.key() == key {
			return msg.ID, true, nil
		}
	}
	return "", false, nil
}

// postedMessage is what the poster reads of a message in history: only its
// buttons' ids, so that no component discordgo does not know can make the
// look-up fail.
type postedMessage struct {
	ID         string `json:"id"`
	Components []struct {
		CustomID   string `json:"custom_id"`
		Components []struct {
			CustomID string `json:"custom_id"`
		} `json:"components"`
	} `json:"components"`
}

// key is the delivery key the message's buttons carry, or "".
func (m postedMessage) key() string {
	for _, row := range m.Components {
		if k := keyIn(row.CustomID); k != "" {
			return k
		}
		for _, c := range row.Components {
			if k := keyIn(c.CustomID); k != "" {
				return k
			}
		}
	}
	return ""
}

// thread opens a discussion thread under an announcement in a channel of
// Options.Threads. A thread already there (an earlier attempt made it) is
// fine; a failure that may pass is returned, so that the delivery is tried
// again, finds its message and opens the thread then; one that will not pass
// is logged: the announcement itself is out.
func (a *Adapter) thread(ctx context.Context, channel, messageID string, m bot.Message) error {
	if !a.opts.Threads[channel] || !isAnnouncement(m.Kind) {
		return nil
	}
	if err := a.wait(ctx, channel, discordgo.EndpointChannelMessageThread(channel, messageID)); err != nil {
		return err
	}
	_, err := a.session.MessageThreadStartComplex(channel, messageID, &discordgo.ThreadStart{
		Name: threadName(m), AutoArchiveDuration: threadArchive,
	}, discordgo.WithContext(ctx))
	switch code := errorCode(err); {
	case err == nil, code == codeThreadExists:
		return nil
	case permanent[code] != "" || code == codeUnknownMessage:
		a.log.Warn("the announcement is posted, but its thread cannot be opened", "channel", channel, "message", messageID, "err", err)
		return nil
	}
	return a.failed(fmt.Errorf("discord: thread under %s in %s: %w", messageID, channel, err))
}

// isAnnouncement says the message is news of episodes, which gets a thread or a
// forum post named after them.
func isAnnouncement(k bot.MessageKind) bool {
	return k == bot.MessageEpisode || k == bot.MessageSummary
}

// threadName names a thread or forum post: the episode, or the message's
// header when it is about several.
func threadName(m bot.Message) string {
	name := chattext.Line(m.Header)
	if len(m.Items) == 1 {
		if t := chattext.Line(m.Items[0].Episode.Title); t != "" {
			name = t
			if n := m.Items[0].Episode.Number; n > 0 {
				name = fmt.Sprintf("#%d %s", n, t)
			}
		}
	}
	name, _ = clipPlain(name, maxThreadName)
	if name == "" {
		name = "pmbot"
	}
	return name
}

// postForum opens a forum post named after the episode, with the forum's tag
// named like the podcast when it has one. Forum posts take no nonce: after a
// crash, the forum's active posts of that name are searched for the key.
func (a *Adapter) postForum(ctx context.Context, d bot.Delivery, m bot.Message, p Payload, info channelInfo) (string, error) {
	name := threadName(m)
	if d.MayHavePosted {
		id, found, err := a.findForumPost(ctx, d.Channel, info.guildID, name, d.Key)
		if err != nil {
			return "", err
		}
		if found {
			a.log.Info("forum post found already made; not posting again", "key", d.Key, "channel", d.Channel, "thread", id)
			return id, nil
		}
	}
	if err := a.wait(ctx, d.Channel, discordgo.EndpointChannelThreads(d.Channel)); err != nil {
		return "", err
	}
	start := &discordgo.ThreadStart{Name: name, AutoArchiveDuration: threadArchive, AppliedTags: podcastTag(info, m.FeedTitle)}
	th, err := a.session.ForumThreadStartComplex(d.Channel, start, p.MessageSend(), discordgo.WithContext(ctx))
	if errorCode(err) == codeInvalidForm {
		a.log.Error("Discord refused the forum post's layout; posting it as plain text", "key", d.Key, "err", err)
		th, err = a.session.ForumThreadStartComplex(d.Channel, start, keyed(Payload{Content: plainContent(m)}, d.Key, m.Language).MessageSend(), discordgo.WithContext(ctx))
	}
	if err != nil {
		return "", a.failed(fmt.Errorf("discord: forum post in %s: %w", d.Channel, err))
	}
	return th.ID, nil
}

// podcastTag is the forum's tag named like the podcast (letter case and
// spaces aside), if any; in a forum that requires a tag and has none named so,
// its first tag, rather than no post at all.
func podcastTag(info channelInfo, feedTitle string) []string {
	want := strings.ToLower(strings.Join(strings.Fields(feedTitle), " "))
	for _, t := range info.tags {
		if want != "" && strings.ToLower(strings.Join(strings.Fields(t.Name), " ")) == want {
			return []string{t.ID}
		}
	}
	if info.requireTag && len(info.tags) > 0 {
		return []string{info.tags[0].ID}
	}
	return nil
}

// findForumPost looks for the key among the forum's active posts of that name:
// a forum post's first message has the post's id.
func (a *Adapter) findForumPost(ctx context.Context, forum, guild, name, key string) (string, bool, error) {
	if err := a.wait(ctx, forum, discordgo.EndpointGuildActiveThreads(guild)); err != nil {
		return "", false, err
	}
	list, err := a.session.GuildThreadsActive(guild, discordgo.WithContext(ctx))
	if err != nil {
		return "", false, a.failed(fmt.Errorf("discord: active posts of %s: %w", forum, err))
	}
	for _, th := range list.Threads {
		if th.ParentID != forum || th.Name != name {
			continue
		}
		bucket := "GET " + discordgo.EndpointChannelMessages(th.ID)
		if err := a.wait(ctx, forum, bucket); err != nil {
			return "", false, err
		}
		u := discordgo.EndpointChannelMessage(th.ID, th.ID)
		resp, err := a.session.RequestWithBucketID(http.MethodGet, u, nil, bucket, discordgo.WithContext(ctx))
		if errorCode(err) == codeUnknownMessage {
			continue // its first message was deleted: not ours to judge
		}
		if err != nil {
			return "", false, a.failed(fmt.Errorf("discord: first message of post %s: %w", th.ID, err))
		}
		var msg postedMessage
		if err := json.Unmarshal(resp, &msg); err != nil {
			return "", false, fmt.Errorf("discord: first message of post %s: %w", th.ID, err)
		}
		if msg.key() == key {
			return th.ID, true, nil
		}
	}
	return "", false, nil
}

// known is what the poster knows of a channel without asking: from its cache,
// or from the gateway's state of the servers the bot is in.
func (a *Adapter) known(channel string) channelInfo {
	a.mu.Lock()
	info, ok := a.channels[channel]
	a.mu.Unlock()
	if ok {
		return info
	}
	a.mu.Lock()
	gateways := make([]*discordgo.Session, 0, len(a.gateways))
	for s := range a.gateways {
		gateways = append(gateways, s)
	}
	a.mu.Unlock()
	for _, s := range gateways {
		if c, err := s.State.Channel(channel); err == nil {
			info = describeChannel(c)
			a.remember(channel, info)
			break
		}
	}
	return info
}

// learn asks Discord what a channel is.
func (a *Adapter) learn(ctx context.Context, channel string) (channelInfo, error) {
	if err := a.wait(ctx, channel, discordgo.EndpointChannel(channel)); err != nil {
		return channelInfo{}, err
	}
	c, err := a.session.Channel(channel, discordgo.WithContext(ctx))
	if err != nil {
		return channelInfo{}, a.failed(fmt.Errorf("discord: channel %s: %w", channel, err))
	}
	info := describeChannel(c)
	a.remember(channel, info)
	return info, nil
}

func describeChannel(c *discordgo.Channel) channelInfo {
	switch c.Type {
	case discordgo.ChannelTypeGuildForum, discordgo.ChannelTypeGuildMedia:
		return channelInfo{kind: kindForum, guildID: c.GuildID, tags: c.AvailableTags, requireTag: c.Flags&discordgo.ChannelFlagRequireTag != 0}
	case discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews, discordgo.ChannelTypeGuildPublicThread,
		discordgo.ChannelTypeGuildPrivateThread, discordgo.ChannelTypeGuildNewsThread, discordgo.ChannelTypeGuildVoice:
		return channelInfo{kind: kindText, guildID: c.GuildID}
	}
	return channelInfo{guildID: c.GuildID}
}

func (a *Adapter) remember(channel string, info channelInfo) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.channels[channel]; ok && old.kind == kindForum && info.kind == kindText {
		return // a forum's posts are text channels, not the forum
	}
	a.channels[channel] = info
}

// wait waits for the next slot of the global rate limit, unless that is past
// ctx's deadline: the delivery is then given back to be tried when it comes.
// So it does when discordgo's bucket for the call (bucket, the id the call
// passes discordgo) is held longer than that.
func (a *Adapter) wait(ctx context.Context, channel, bucket string) error {
	limit := bot.PostWait(ctx, postMargin)
	if held := a.held(bucket); held > limit {
		return &bot.RetryAfterError{Err: fmt.Errorf("discord: %s: rate limited by Discord for %s", channel, held.Round(time.Millisecond)), After: held}
	}
	wait, ok := a.pace.reserve(limit)
	if !ok {
		return &bot.RetryAfterError{Err: fmt.Errorf("discord: %s: posting too fast for Discord's rate limits", channel), After: wait}
	}
	return bot.Sleep(ctx, wait)
}

// held is how long discordgo would hold a call of this bucket before sending
// it: after a response that left the bucket empty (or a 429), it sleeps until
// the reset Discord announced, deaf to any context, in LockBucket; and a
// global 429 holds every bucket.
func (a *Adapter) held(bucket string) time.Duration {
	rl := a.session.Ratelimiter
	b := rl.GetBucket(bucket)
	b.Lock()
	defer b.Unlock()
	return rl.GetWaitTime(b, 1)
}

// failed classifies a REST failure for the dispatcher: a *bot.RetryAfterError
// for a 429, a *bot.PermanentError pausing the subscription when the channel
// is gone or closed to the bot, else the error, to retry.
func (a *Adapter) failed(err error) error {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		// discordgo read the 429's headers: a global limit holds all its
		// buckets for the time said.
		return &bot.RetryAfterError{Err: fmt.Errorf("discord: rate limited: %w", err), After: rl.RetryAfter}
	}
	if words, ok := permanent[errorCode(err)]; ok {
		return &bot.PermanentError{Err: said{fmt.Sprintf("discord: %s (code %d)", words, errorCode(err)), err}, Pause: true}
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("discord: the bot token was refused: check PMBOT_DISCORD_BOT_TOKEN: %w", err)
	}
	if strings.HasPrefix(err.Error(), "discord:") {
		return err
	}
	return fmt.Errorf("discord: %w", err)
}

// errorCode is Discord's JSON error code of a REST failure, or 0.
func errorCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return 0
}

// said is an error whose message is the words a user reads in
// `/postmortem status` (a paused subscription's reason), not Discord's raw
// HTTP answer, which stays reachable with errors.As.
type said struct {
	msg string
	err error
}

func (e said) Error() string { return e.msg }
func (e said) Unwrap() error { return e.err }
