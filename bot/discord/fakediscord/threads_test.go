package fakediscord_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

const (
	guildID  = "400000000000000004"
	forumID  = "500000000000000005"
	mediaID  = "600000000000000006"
	tagNews  = "700000000000000007"
	tagAudio = "700000000000000008"
)

var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// forumServer is a fake with a text channel, a forum with two tags and a media
// channel, on a manual clock.
func forumServer(t *testing.T, opts fakediscord.Options) (*fakediscord.Server, *fakediscord.Clock) {
	t.Helper()
	clock := fakediscord.NewClock(epoch)
	opts.Clock = clock.Now
	if opts.Channels == nil {
		opts.Channels = []fakediscord.Channel{
			{ID: chanID, GuildID: guildID, Name: "general"},
			{ID: forumID, GuildID: guildID, Name: "episodes", Type: fakediscord.ChannelTypeForum,
				AvailableTags: []fakediscord.Tag{{ID: tagNews, Name: "news"}, {ID: tagAudio, Name: "audio"}}},
			{ID: mediaID, GuildID: guildID, Name: "clips", Type: fakediscord.ChannelTypeMedia},
		}
	}
	return fakediscord.New(t, opts), clock
}

// errorPaths lists the dotted paths of a 50035 body's nested "errors".
func errorPaths(t *testing.T, err error) []string {
	t.Helper()
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		return nil
	}
	var body struct {
		Errors map[string]any `json:"errors"`
	}
	if json.Unmarshal(re.ResponseBody, &body) != nil {
		return nil
	}
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if k == "_errors" {
				out = append(out, strings.TrimSuffix(prefix, "."))
				continue
			}
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
			}
		}
	}
	walk("", body.Errors)
	slices.Sort(out)
	return out
}

func TestForumPostWithDiscordgo(t *testing.T) {
	srv, _ := forumServer(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())

	forum, err := dg.Channel(forumID)
	if err != nil {
		t.Fatal(err)
	}
	wantTags := []discordgo.ForumTag{{ID: tagNews, Name: "news"}, {ID: tagAudio, Name: "audio"}}
	if diff := cmp.Diff(wantTags, forum.AvailableTags); diff != "" {
		t.Errorf("available_tags (-want +got):\n%s", diff)
	}
	if forum.Type != discordgo.ChannelTypeGuildForum {
		t.Errorf("forum type = %d", forum.Type)
	}

	th, err := dg.ForumThreadStartComplex(forumID,
		&discordgo.ThreadStart{Name: "Ep 12: DNS, again", AutoArchiveDuration: 10080, AppliedTags: []string{tagNews, tagAudio}},
		&discordgo.MessageSend{
			Content:         "New episode",
			Embeds:          []*discordgo.MessageEmbed{{Title: "Ep 12", Description: "It was DNS."}},
			AllowedMentions: quiet,
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: "Listen", Style: discordgo.LinkButton, URL: "https://example.com/12"},
			}}},
		})
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		ParentID, GuildID, Name, OwnerID string
		Type                             discordgo.ChannelType
		AppliedTags                      []string
		Archived                         bool
		AutoArchive                      int
		ArchiveTS                        time.Time
	}
	got := view{th.ParentID, th.GuildID, th.Name, th.OwnerID, th.Type, th.AppliedTags, false, 0, time.Time{}}
	if th.ThreadMetadata != nil {
		got.Archived, got.AutoArchive, got.ArchiveTS = th.ThreadMetadata.Archived, th.ThreadMetadata.AutoArchiveDuration, th.ThreadMetadata.ArchiveTimestamp
	}
	want := view{forumID, guildID, "Ep 12: DNS, again", srv.AppID(), discordgo.ChannelTypeGuildPublicThread, []string{tagNews, tagAudio}, false, 10080, epoch}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("thread (-want +got):\n%s", diff)
	}

	wantThreads := []fakediscord.Thread{{
		ID: th.ID, ParentID: forumID, GuildID: guildID, Name: "Ep 12: DNS, again", AppliedTags: []string{tagNews, tagAudio},
		MessageID: th.ID, AutoArchiveDuration: 10080, CreatedAt: epoch,
	}}
	if diff := cmp.Diff(wantThreads, srv.Threads(forumID)); diff != "" {
		t.Errorf("Threads (-want +got):\n%s", diff)
	}

	// The first message has the thread's id and lives in the thread.
	msgs := srv.Messages(th.ID)
	if len(msgs) != 1 || msgs[0].ID != th.ID || msgs[0].ChannelID != th.ID || msgs[0].Content != "New episode" {
		t.Fatalf("thread messages = %+v", msgs)
	}
	first, err := dg.ChannelMessage(th.ID, th.ID)
	if err != nil || first.ID != th.ID || first.ChannelID != th.ID || first.GuildID != guildID || first.Embeds[0].Title != "Ep 12" {
		t.Fatalf("ChannelMessage = %+v, %v", first, err)
	}

	// Threads are channels: Get Channel, Create Message and history work in them.
	got2, err := dg.Channel(th.ID)
	if err != nil || got2.ParentID != forumID || got2.Type != discordgo.ChannelTypeGuildPublicThread || got2.ThreadMetadata == nil {
		t.Fatalf("Channel(thread) = %+v, %v", got2, err)
	}
	reply, err := dg.ChannelMessageSendComplex(th.ID, &discordgo.MessageSend{Content: "Takeaways: …", AllowedMentions: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := dg.ChannelMessages(th.ID, 10, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range hist {
		ids = append(ids, m.ID)
	}
	if diff := cmp.Diff([]string{reply.ID, th.ID}, ids); diff != "" {
		t.Errorf("thread history (-want +got):\n%s", diff)
	}
	if got3, _ := dg.Channel(th.ID); got3.MessageCount != 1 {
		t.Errorf("message_count = %d, want 1 (the first message is not counted)", got3.MessageCount)
	}

	active, err := dg.GuildThreadsActive(guildID)
	if err != nil {
		t.Fatal(err)
	}
	if len(active.Threads) != 1 || active.Threads[0].ID != th.ID || active.Threads[0].ParentID != forumID ||
		len(active.Members) != 1 || active.Members[0].ID != th.ID || active.Members[0].UserID != srv.AppID() {
		t.Fatalf("active threads = %+v", active)
	}
}

// The raw answer carries the first message nested, which discordgo drops.
func TestForumPostNestedMessage(t *testing.T) {
	srv, _ := forumServer(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())
	ep := discordgo.EndpointChannelThreads(mediaID)
	b, err := dg.RequestWithBucketID("POST", ep, map[string]any{
		"name": "clip", "message": map[string]any{"content": "a clip", "allowed_mentions": quiet},
	}, ep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID       string `json:"id"`
		Type     int    `json:"type"`
		ParentID string `json:"parent_id"`
		Message  struct {
			ID        string `json:"id"`
			ChannelID string `json:"channel_id"`
			Content   string `json:"content"`
		} `json:"message"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := got
	want.Type, want.ParentID = 11, mediaID
	want.Message.ID, want.Message.ChannelID, want.Message.Content = got.ID, got.ID, "a clip"
	if diff := cmp.Diff(want, got); diff != "" || got.ID == "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}

func TestForumPostErrors(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	msg := &discordgo.MessageSend{Content: "ep", AllowedMentions: quiet}
	cases := []struct {
		name    string
		channel string
		start   *discordgo.ThreadStart
		msg     *discordgo.MessageSend
		raw     map[string]any // sent as is instead of start+msg
		status  int
		code    int
		paths   []string // 50035 error paths
		rules   string   // violations
		created bool
	}{
		{name: "unknown tag", channel: forumID, start: &discordgo.ThreadStart{Name: "x", AppliedTags: []string{tagNews, "1"}}, msg: msg,
			status: 400, code: 50035, paths: []string{"applied_tags.1"}, rules: "threads"},
		{name: "tag of a media channel without tags", channel: mediaID, start: &discordgo.ThreadStart{Name: "x", AppliedTags: []string{tagNews}}, msg: msg,
			status: 400, code: 50035, paths: []string{"applied_tags.0"}, rules: "threads"},
		{name: "six tags", channel: forumID, start: &discordgo.ThreadStart{Name: "x", AppliedTags: []string{tagNews, tagNews, tagNews, tagNews, tagNews, tagNews}}, msg: msg,
			status: 400, code: 50035, paths: []string{"applied_tags"}, rules: "threads"},
		{name: "name too long", channel: forumID, start: &discordgo.ThreadStart{Name: long(101)}, msg: msg,
			status: 400, code: 50035, paths: []string{"name"}, rules: "threads"},
		{name: "empty name", channel: forumID, start: &discordgo.ThreadStart{}, msg: msg,
			status: 400, code: 50035, paths: []string{"name"}, rules: "threads"},
		{name: "auto archive duration", channel: forumID, start: &discordgo.ThreadStart{Name: "x", AutoArchiveDuration: 30}, msg: msg,
			status: 400, code: 50035, paths: []string{"auto_archive_duration"}, rules: "threads"},
		{name: "slowmode", channel: forumID, start: &discordgo.ThreadStart{Name: "x", RateLimitPerUser: 21601}, msg: msg,
			status: 400, code: 50035, paths: []string{"rate_limit_per_user"}, rules: "threads"},
		{name: "thread and message errors together", channel: forumID, start: &discordgo.ThreadStart{Name: long(101)}, msg: &discordgo.MessageSend{Content: long(2001)},
			status: 400, code: 50035, paths: []string{"message.content", "name"}, rules: "threads"},
		{name: "embed title", channel: forumID, start: &discordgo.ThreadStart{Name: "x"}, msg: &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Title: long(257)}}},
			status: 400, code: 50035, paths: []string{"message.embeds.0.title"}, rules: "B5 message limits"},
		{name: "embeds over 6000", channel: forumID, start: &discordgo.ThreadStart{Name: "x"}, msg: &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: long(4000)}, {Description: long(2001)}}},
			status: 400, code: 50035, paths: []string{"message.embeds"}, rules: "B5 message limits"},
		{name: "ephemeral flag", channel: forumID, start: &discordgo.ThreadStart{Name: "x"}, msg: &discordgo.MessageSend{Content: "x", Flags: discordgo.MessageFlagsEphemeral},
			status: 400, code: 50035, paths: []string{"message.flags"}, rules: "B5 message limits"},
		{name: "components v2 flag", channel: forumID, raw: map[string]any{"name": "x", "message": map[string]any{"flags": 1 << 15, "components": []any{}}},
			status: 400, code: 50035, paths: []string{"message.flags"}, rules: "B5 message limits"},
		{name: "empty message", channel: forumID, start: &discordgo.ThreadStart{Name: "x"}, msg: &discordgo.MessageSend{},
			status: 400, code: 50006, rules: "B5 message"},
		{name: "no message", channel: forumID, raw: map[string]any{"name": "x"},
			status: 400, code: 50035, paths: []string{"message"}, rules: "threads"},
		{name: "name of the wrong type", channel: forumID, raw: map[string]any{"name": 5, "message": map[string]any{"content": "x"}},
			status: 400, code: 50035, paths: []string{"name"}, rules: "threads"},
		{name: "text channel", channel: chanID, start: &discordgo.ThreadStart{Name: "x"}, msg: msg,
			status: 400, code: 50024, rules: "threads"},
		{name: "unknown channel", channel: "999", start: &discordgo.ThreadStart{Name: "x"}, msg: msg,
			status: 404, code: 10003},
		{name: "no access", channel: "11", start: &discordgo.ThreadStart{Name: "x"}, msg: msg,
			status: 403, code: 50001},
		{name: "no send permission", channel: "12", start: &discordgo.ThreadStart{Name: "x"}, msg: msg,
			status: 403, code: 50013},
		{name: "required tag missing", channel: "13", start: &discordgo.ThreadStart{Name: "x"}, msg: msg,
			status: 400, code: 40067},
		{name: "required tag given", channel: "13", start: &discordgo.ThreadStart{Name: "x", AppliedTags: []string{tagNews}}, msg: msg,
			status: 201, created: true},
		{name: "nonce is ignored by Discord", channel: forumID, raw: map[string]any{"name": "x", "message": map[string]any{"content": "x", "nonce": "pmbot-1", "enforce_nonce": true, "allowed_mentions": quiet}},
			status: 201, rules: "B5 message", created: true},
		{name: "pings", channel: forumID, start: &discordgo.ThreadStart{Name: "x"}, msg: &discordgo.MessageSend{Content: "@everyone new episode"},
			status: 201, rules: "B5 allowed_mentions", created: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := forumServer(t, fakediscord.Options{Channels: []fakediscord.Channel{
				{ID: chanID, GuildID: guildID},
				{ID: forumID, GuildID: guildID, Type: fakediscord.ChannelTypeForum, AvailableTags: []fakediscord.Tag{{ID: tagNews, Name: "news"}}},
				{ID: mediaID, GuildID: guildID, Type: fakediscord.ChannelTypeMedia},
				{ID: "11", GuildID: guildID, Type: fakediscord.ChannelTypeForum, NoAccess: true},
				{ID: "12", GuildID: guildID, Type: fakediscord.ChannelTypeForum, NoSendPermission: true},
				{ID: "13", GuildID: guildID, Type: fakediscord.ChannelTypeForum, RequireTag: true, AvailableTags: []fakediscord.Tag{{ID: tagNews, Name: "news"}}},
			}})
			dg := session(t, srv, srv.BotToken())
			var err error
			if tc.raw != nil {
				ep := discordgo.EndpointChannelThreads(tc.channel)
				_, err = dg.RequestWithBucketID("POST", ep, tc.raw, ep)
			} else {
				_, err = dg.ForumThreadStartComplex(tc.channel, tc.start, tc.msg)
			}
			if tc.status == 201 {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
			} else {
				st, code := restCode(t, err)
				if diff := cmp.Diff([2]int{tc.status, tc.code}, [2]int{st, code}); diff != "" {
					t.Errorf("status, code (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tc.paths, errorPaths(t, err)); diff != "" {
				t.Errorf("error paths (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.rules, rules(srv.TakeViolations())); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
			if n := len(srv.Threads("")); n != map[bool]int{true: 1}[tc.created] {
				t.Errorf("%d threads created", n)
			}
		})
	}
}

func TestMessageThread(t *testing.T) {
	srv, _ := forumServer(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())
	ann, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "New episode", AllowedMentions: quiet})
	if err != nil {
		t.Fatal(err)
	}
	th, err := dg.MessageThreadStartComplex(chanID, ann.ID, &discordgo.ThreadStart{Name: "Ep 12 discussion", AutoArchiveDuration: 1440})
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		ID, ParentID, GuildID, Name string
		Type                        discordgo.ChannelType
	}
	if diff := cmp.Diff(view{ann.ID, chanID, guildID, "Ep 12 discussion", discordgo.ChannelTypeGuildPublicThread},
		view{th.ID, th.ParentID, th.GuildID, th.Name, th.Type}); diff != "" {
		t.Errorf("thread (-want +got):\n%s", diff)
	}
	wantThreads := []fakediscord.Thread{{ID: ann.ID, ParentID: chanID, GuildID: guildID, Name: "Ep 12 discussion", MessageID: ann.ID, AutoArchiveDuration: 1440, CreatedAt: epoch}}
	if diff := cmp.Diff(wantThreads, srv.Threads(chanID)); diff != "" {
		t.Errorf("Threads (-want +got):\n%s", diff)
	}

	// The announcement now says it has a thread: how a bot finds it after a crash.
	got, err := dg.ChannelMessage(chanID, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Flags&discordgo.MessageFlagsHasThread == 0 || got.Thread == nil || got.Thread.ID != ann.ID {
		t.Errorf("message = flags %d thread %+v", got.Flags, got.Thread)
	}

	// The thread's history starts with Discord's THREAD_STARTER_MESSAGE, which
	// Messages leaves out.
	hist, err := dg.ChannelMessages(th.ID, 10, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Type != discordgo.MessageTypeThreadStarterMessage || hist[0].MessageReference == nil ||
		hist[0].MessageReference.MessageID != ann.ID || hist[0].MessageReference.ChannelID != chanID {
		t.Fatalf("thread history = %+v", hist)
	}
	if n := len(srv.Messages(th.ID)); n != 0 {
		t.Fatalf("Messages(thread) = %d messages", n)
	}
	go func() {
		_, _ = dg.ChannelMessageSendComplex(th.ID, &discordgo.MessageSend{Content: "Takeaways", AllowedMentions: quiet})
	}()
	ms, err := srv.WaitMessages(ctxT(t), th.ID, 1)
	if err != nil || ms[0].Content != "Takeaways" || ms[0].ChannelID != th.ID {
		t.Fatalf("WaitMessages = %+v, %v", ms, err)
	}

	first, err := dg.ForumThreadStartComplex(forumID, &discordgo.ThreadStart{Name: "post"}, &discordgo.MessageSend{Content: "x", AllowedMentions: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv.TakeViolations()
	cases := []struct {
		name       string
		channel    string
		message    string
		start      *discordgo.ThreadStart
		status     int
		code       int
		violations string
	}{
		{"second thread", chanID, ann.ID, &discordgo.ThreadStart{Name: "again"}, 400, 160004, ""},
		{"unknown message", chanID, "1", &discordgo.ThreadStart{Name: "x"}, 404, 10008, ""},
		{"unknown channel", "999", ann.ID, &discordgo.ThreadStart{Name: "x"}, 404, 10003, ""},
		{"in a forum", forumID, first.ID, &discordgo.ThreadStart{Name: "x"}, 400, 50024, "threads"},
		{"in a thread", first.ID, first.ID, &discordgo.ThreadStart{Name: "x"}, 400, 50024, "threads"},
		{"name too long", chanID, ann.ID, &discordgo.ThreadStart{Name: strings.Repeat("n", 101)}, 400, 50035, "threads"},
		{"no name", chanID, ann.ID, &discordgo.ThreadStart{}, 400, 50035, "threads"},
		{"auto archive duration", chanID, ann.ID, &discordgo.ThreadStart{Name: "x", AutoArchiveDuration: 2880}, 400, 50035, "threads"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dg.MessageThreadStartComplex(tc.channel, tc.message, tc.start)
			st, code := restCode(t, err)
			if diff := cmp.Diff([2]int{tc.status, tc.code}, [2]int{st, code}); diff != "" {
				t.Errorf("status, code (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.violations, rules(srv.TakeViolations())); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
	if n := len(srv.Threads("")); n != 2 {
		t.Errorf("%d threads, want 2", n)
	}
}

func TestGetMessage(t *testing.T) {
	srv, _ := forumServer(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())
	m, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "hi", AllowedMentions: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, channel, message string
		status, code           int
	}{
		{"found", chanID, m.ID, 200, 0},
		{"unknown message", chanID, "1", 404, 10008},
		{"other channel", forumID, m.ID, 404, 10008},
		{"unknown channel", "999", m.ID, 404, 10003},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dg.ChannelMessage(tc.channel, tc.message)
			if tc.status == 200 {
				if err != nil || got.ID != m.ID || got.Content != "hi" {
					t.Fatalf("%+v %v", got, err)
				}
				return
			}
			st, code := restCode(t, err)
			if diff := cmp.Diff([2]int{tc.status, tc.code}, [2]int{st, code}); diff != "" {
				t.Errorf("status, code (-want +got):\n%s", diff)
			}
		})
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Fatalf("violations = %v", v)
	}
}

func TestGuildThreadsActive(t *testing.T) {
	srv, clock := forumServer(t, fakediscord.Options{})
	dg := session(t, srv, srv.BotToken())
	post := func(name string, archive int) *discordgo.Channel {
		t.Helper()
		th, err := dg.ForumThreadStartComplex(forumID, &discordgo.ThreadStart{Name: name, AutoArchiveDuration: archive}, &discordgo.MessageSend{Content: name, AllowedMentions: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	active := func() []string {
		t.Helper()
		l, err := dg.GuildThreadsActive(guildID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, th := range l.Threads {
			ids = append(ids, th.ID)
		}
		return ids
	}
	a := post("a", 60)
	b := post("b", 1440)
	if diff := cmp.Diff([]string{b.ID, a.ID}, active()); diff != "" {
		t.Errorf("active, newest first (-want +got):\n%s", diff)
	}

	// An hour without a message archives a; a message unarchives it.
	clock.Advance(time.Hour)
	if diff := cmp.Diff([]string{b.ID}, active()); diff != "" {
		t.Errorf("after an hour (-want +got):\n%s", diff)
	}
	if th, _ := dg.Channel(a.ID); th.ThreadMetadata == nil || !th.ThreadMetadata.Archived || !th.ThreadMetadata.ArchiveTimestamp.Equal(epoch.Add(time.Hour)) {
		t.Errorf("thread_metadata = %+v", th.ThreadMetadata)
	}
	if ts := srv.Threads(forumID); !ts[0].Archived || ts[1].Archived {
		t.Errorf("Threads = %+v", ts)
	}
	if _, err := dg.ChannelMessageSendComplex(a.ID, &discordgo.MessageSend{Content: "more", AllowedMentions: quiet}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{b.ID, a.ID}, active()); diff != "" {
		t.Errorf("after a message (-want +got):\n%s", diff)
	}

	// Threads under a channel the bot cannot see are not listed.
	srv.SetChannel(fakediscord.Channel{ID: forumID, GuildID: guildID, Type: fakediscord.ChannelTypeForum, NoAccess: true})
	if got := active(); len(got) != 0 {
		t.Errorf("active with a hidden forum = %v", got)
	}
	if _, err := dg.ChannelMessageSend(a.ID, "x"); err == nil {
		t.Error("a thread of a hidden forum accepted a message")
	} else if st, code := restCode(t, err); st != 403 || code != 50001 {
		t.Errorf("thread of a hidden forum: %d %d", st, code)
	}

	_, err := dg.GuildThreadsActive("1")
	if st, code := restCode(t, err); st != 404 || code != 10004 {
		t.Errorf("unknown guild: %d %d", st, code)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Fatalf("violations = %v", v)
	}
}

func TestCreateMessageInForum(t *testing.T) {
	cases := []struct {
		name    string
		code    int // Options.ForumCreateMessageCode
		channel string
		want    int
	}{
		{"forum, default code", 0, forumID, 50008},
		{"media, default code", 0, mediaID, 50008},
		{"forum, 40058", 40058, forumID, 40058},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := forumServer(t, fakediscord.Options{ForumCreateMessageCode: tc.code})
			dg := session(t, srv, srv.BotToken())
			_, err := dg.ChannelMessageSend(tc.channel, "x")
			st, code := restCode(t, err)
			if diff := cmp.Diff([2]int{400, tc.want}, [2]int{st, code}); diff != "" {
				t.Errorf("status, code (-want +got):\n%s", diff)
			}
			// Learning a channel's type by posting is not a violation.
			if v := srv.Violations(); len(v) != 0 {
				t.Errorf("violations = %v", v)
			}
		})
	}
}

func TestForumPostRateLimit(t *testing.T) {
	srv, _ := forumServer(t, fakediscord.Options{ChannelRate: fakediscord.Rate{N: 1, Per: 5 * time.Second}})
	post := func(channel string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.APIURL()+"channels/"+channel+"/threads",
			strings.NewReader(`{"name":"x","message":{"content":"x","allowed_mentions":{"parse":[]}}}`))
		req.Header.Set("Authorization", "Bot "+srv.BotToken())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	var got []int
	for _, ch := range []string{forumID, forumID, mediaID} {
		got = append(got, post(ch).StatusCode)
	}
	// The bucket is per forum: a second post in the forum waits, the media channel not.
	if diff := cmp.Diff([]int{201, 429, 201}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if st := srv.Stats(); st.RateLimited != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestThreadChannelOptions(t *testing.T) {
	cases := []struct {
		name string
		ch   fakediscord.Channel
		ok   bool
	}{
		{"forum with tags", fakediscord.Channel{ID: "1", Type: fakediscord.ChannelTypeForum, AvailableTags: []fakediscord.Tag{{ID: "9", Name: "n"}}}, true},
		{"configured thread", fakediscord.Channel{ID: "1", Type: fakediscord.ChannelTypePublicThread}, false},
		{"tags on a text channel", fakediscord.Channel{ID: "1", AvailableTags: []fakediscord.Tag{{ID: "9", Name: "n"}}}, false},
		{"tag without id", fakediscord.Channel{ID: "1", Type: fakediscord.ChannelTypeForum, AvailableTags: []fakediscord.Tag{{Name: "n"}}}, false},
		{"duplicate tag", fakediscord.Channel{ID: "1", Type: fakediscord.ChannelTypeMedia, AvailableTags: []fakediscord.Tag{{ID: "9", Name: "n"}, {ID: "9", Name: "m"}}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := fakediscord.Start(fakediscord.Options{Channels: []fakediscord.Channel{tc.ch}})
			if srv != nil {
				srv.Close()
			}
			if (err == nil) != tc.ok {
				t.Errorf("Start error = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
