package discord_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/bot/discord/fakediscord"
	"github.com/pmbot/pmbot/feeds"
)

// The Post tests need no gateway: Post is REST only. The fake runs on a manual
// clock, so that nonce windows and rate limits move only when the test says.

func manualClock() *fakediscord.Clock {
	return fakediscord.NewClock(time.Date(2024, 5, 13, 9, 0, 0, 0, time.UTC))
}

// postFake starts a fake on a manual clock.
func postFake(t *testing.T, fo fakediscord.Options) (*fakediscord.Server, *fakediscord.Clock) {
	t.Helper()
	clk := manualClock()
	fo.Clock = clk.Now
	return newFake(t, fo), clk
}

// announcement is the announcement of these episodes of Post Mortem, in
// English, with their buttons (listen, key takeaways).
func announcement(kind bot.MessageKind, eps ...feeds.Episode) bot.Message {
	return bot.ComposeMessage(kind, "Post Mortem", "en", prefix, eps)
}

func delivery(id int64, channel string, mayHavePosted bool) bot.Delivery {
	return bot.Delivery{Key: bot.DeliveryKey(id), Attempt: 1, Kind: bot.MessageEpisode, Channel: channel, MayHavePosted: mayHavePosted}
}

// calls are the REST calls of a method on exactly this path.
func calls(srv *fakediscord.Server, method, path string) []fakediscord.Call {
	var out []fakediscord.Call
	for _, c := range srv.Calls(path) {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// keyedIDs are the custom_ids of m that carry the delivery key.
func keyedIDs(m fakediscord.Message, key string) []string {
	var out []string
	for _, id := range customIDs(m) {
		if strings.Contains(id, "@"+key+":") {
			out = append(out, id)
		}
	}
	return out
}

// Every attempt at one delivery leaves one message: the first posts it with
// the key as nonce (enforce_nonce) and in a button; one that may have posted
// finds it in the channel's history, even after a restart; one that is not in
// doubt is answered the same message by Discord's nonce check. Another
// delivery is posted.
func TestPostExactlyOnce(t *testing.T) {
	srv, _ := postFake(t, fakediscord.Options{})
	ctx := adapterCtx(t)
	a := newAdapter(t, srv, discord.Options{})
	msg := announcement(bot.MessageEpisode, episode(t, 3))
	path := "/channels/" + generalID + "/messages"

	first, err := a.Post(ctx, delivery(42, generalID, false), msg)
	if err != nil {
		t.Fatalf("Post = %v", err)
	}
	msgs := srv.Messages(generalID)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	type posted struct {
		ID, Nonce string
		Keyed     []string
		Silent    bool
	}
	want := posted{ID: first, Nonce: "pmbot-d42", Keyed: []string{"pmbot:cmd@pmbot-d42:/postmortem takeaways 3"}, Silent: true}
	got := posted{ID: m.ID, Nonce: m.Nonce, Keyed: keyedIDs(m, "pmbot-d42"), Silent: summarize(&m, 0).Silent}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("posted message (-want +got):\n%s", diff)
	}
	posts := calls(srv, http.MethodPost, path)
	if len(posts) != 1 {
		t.Fatalf("%d Create Message calls, want 1", len(posts))
	}
	var body struct {
		Nonce        string `json:"nonce"`
		EnforceNonce bool   `json:"enforce_nonce"`
	}
	if err := json.Unmarshal(posts[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Nonce != "pmbot-d42" || !body.EnforceNonce {
		t.Errorf("Create Message sent nonce %q, enforce_nonce %v; want pmbot-d42, true", body.Nonce, body.EnforceNonce)
	}
	if n := len(calls(srv, http.MethodGet, path)); n != 0 {
		t.Errorf("a first attempt read the history %d times", n)
	}

	type state struct {
		ID                     string
		Messages, Posts, Reads int
	}
	fresh := func() *discord.Adapter { return newAdapter(t, srv, discord.Options{}) }
	steps := []struct {
		name    string
		adapter func() *discord.Adapter
		d       bot.Delivery
		want    state
	}{
		{"may have posted", func() *discord.Adapter { return a }, delivery(42, generalID, true), state{first, 1, 1, 1}},
		{"may have posted, after a restart", fresh, delivery(42, generalID, true), state{first, 1, 1, 2}},
		{"not in doubt, within the nonce window", func() *discord.Adapter { return a }, delivery(42, generalID, false), state{first, 1, 2, 2}},
		{"another delivery that may have posted", fresh, delivery(43, generalID, true), state{"", 2, 3, 3}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			id, err := st.adapter().Post(ctx, st.d, msg)
			if err != nil {
				t.Fatalf("Post = %v", err)
			}
			got := state{id, len(srv.Messages(generalID)), len(calls(srv, http.MethodPost, path)), len(calls(srv, http.MethodGet, path))}
			want := st.want
			if want.ID == "" { // a new message
				want.ID = srv.Messages(generalID)[want.Messages-1].ID
				if want.ID == first {
					t.Errorf("another delivery returned the first one's message")
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after the attempt (-want +got):\n%s", diff)
			}
		})
	}
}

// The key rides in a button even when the message has no command button of its
// own: a "More" button is added for it, and finds the post again.
func TestPostKeyWithoutCommandButton(t *testing.T) {
	noTakeaways := episode(t, 3)
	noTakeaways.Notes.Takeaways = nil
	bare := noTakeaways
	bare.AudioURL = ""
	tests := []struct {
		name  string
		msg   bot.Message
		keyed []string
		ids   []string // every custom_id
	}{
		{"listen button only", announcement(bot.MessageEpisode, noTakeaways), []string{"pmbot:cmd@pmbot-d7:latest"}, []string{"pmbot:cmd@pmbot-d7:latest"}},
		{"no button at all", announcement(bot.MessageEpisode, bare), []string{"pmbot:cmd@pmbot-d7:latest"}, []string{"pmbot:cmd@pmbot-d7:latest"}},
		{"summary of several", announcement(bot.MessageSummary, episode(t, 2), episode(t, 3)),
			[]string{"pmbot:cmd@pmbot-d7:/postmortem takeaways 2"},
			[]string{"pmbot:cmd@pmbot-d7:/postmortem takeaways 2", "pmbot:cmd:/postmortem takeaways 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := postFake(t, fakediscord.Options{})
			ctx := adapterCtx(t)
			a := newAdapter(t, srv, discord.Options{})
			id, err := a.Post(ctx, delivery(7, generalID, false), tt.msg)
			if err != nil {
				t.Fatalf("Post = %v", err)
			}
			msgs := srv.Messages(generalID)
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			type ids struct{ Keyed, All []string }
			if diff := cmp.Diff(ids{tt.keyed, tt.ids}, ids{keyedIDs(msgs[0], "pmbot-d7"), customIDs(msgs[0])}); diff != "" {
				t.Errorf("custom_ids (-want +got):\n%s", diff)
			}
			if slices.Contains(tt.keyed, "pmbot:cmd@pmbot-d7:latest") && !strings.Contains(messageText(msgs[0]), "More") {
				t.Errorf("the added button is not labelled More:\n%s", messageText(msgs[0]))
			}
			again, err := newAdapter(t, srv, discord.Options{}).Post(ctx, delivery(7, generalID, true), tt.msg)
			if err != nil || again != id {
				t.Errorf("a retry after a restart = %q, %v; want %q", again, err, id)
			}
			if n := len(srv.Messages(generalID)); n != 1 {
				t.Errorf("%d messages after the retry, want 1", n)
			}
		})
	}
}

// A channel that is gone, hidden from the bot or closed to its posts pauses
// the subscription: no retry fixes it.
func TestPostPermanentErrors(t *testing.T) {
	tests := []struct {
		name    string
		channel string
		code    string
	}{
		{"unknown channel", unknownID, "10003"},
		{"no access", noAccessID, "50001"},
		{"no send permission", noSendID, "50013"},
	}
	for _, tt := range tests {
		for _, may := range []bool{false, true} {
			name := tt.name
			if may {
				name += ", may have posted"
			}
			t.Run(name, func(t *testing.T) {
				srv, _ := postFake(t, fakediscord.Options{})
				ctx := adapterCtx(t)
				a := newAdapter(t, srv, discord.Options{})
				id, err := a.Post(ctx, delivery(1, tt.channel, may), announcement(bot.MessageEpisode, episode(t, 3)))
				var pe *bot.PermanentError
				if !errors.As(err, &pe) {
					t.Fatalf("Post = %q, %v (%T); want a *bot.PermanentError", id, err, err)
				}
				if !pe.Pause {
					t.Error("the subscription is not paused")
				}
				if !strings.Contains(err.Error(), tt.code) {
					t.Errorf("error %q does not name code %s", err, tt.code)
				}
				// The reason is what /postmortem status shows: words, not
				// Discord's raw answer, which stays reachable.
				if strings.Contains(err.Error(), "HTTP") || strings.Contains(err.Error(), "{") {
					t.Errorf("error %q carries the raw HTTP answer", err)
				}
				var re *discordgo.RESTError
				if !errors.As(err, &re) {
					t.Errorf("error %q does not wrap discordgo's", err)
				}
				if n := len(srv.Messages(tt.channel)); n != 0 {
					t.Errorf("%d messages posted", n)
				}
			})
		}
	}
}

// A channel's rate limit gives the delivery back with the time to wait,
// without calling Discord before that time: neither after a 429 nor when
// discordgo knows the bucket is empty (it would otherwise sleep, whatever the
// context's deadline). A look-up in the history is not held by the post
// bucket.
func TestPostRateLimited(t *testing.T) {
	srv, clk := postFake(t, fakediscord.Options{ChannelRate: fakediscord.Rate{N: 1, Per: time.Hour}})
	ctx := adapterCtx(t)
	msg := announcement(bot.MessageEpisode, episode(t, 3))
	a := newAdapter(t, srv, discord.Options{})
	first, err := a.Post(ctx, delivery(1, generalID, false), msg)
	if err != nil {
		t.Fatalf("first Post = %v", err)
	}
	path := "/channels/" + generalID + "/messages"
	b := newAdapter(t, srv, discord.Options{}) // another process, or after a restart

	steps := []struct {
		name    string
		adapter *discord.Adapter
		d       bot.Delivery
		// wantAfter is the least RetryAfter wanted; 0 wants success.
		wantAfter   time.Duration
		wantPosts   int
		wantLimited int // 429 answers so far
	}{
		// discordgo read Remaining 0 with an hour to the reset.
		{"same bucket, known empty", a, delivery(2, generalID, false), 59 * time.Minute, 1, 0},
		// Its own post, found in the history although posting is held.
		{"retry of the posted delivery", a, delivery(1, generalID, true), 0, 1, 0},
		// A session that does not know the bucket is answered 429.
		{"429", b, delivery(2, generalID, false), 59 * time.Minute, 2, 1},
		// And then knows: no call before retry_after (the fake would report it).
		{"after the 429", b, delivery(2, generalID, false), 59 * time.Minute, 2, 1},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			id, err := st.adapter.Post(ctx, st.d, msg)
			var ra *bot.RetryAfterError
			switch {
			case st.wantAfter == 0 && err != nil:
				t.Fatalf("Post = %v", err)
			case st.wantAfter == 0 && id != first:
				t.Errorf("Post = %q, want the posted %q", id, first)
			case st.wantAfter > 0 && !errors.As(err, &ra):
				t.Fatalf("Post = %q, %v (%T); want a *bot.RetryAfterError", id, err, err)
			case st.wantAfter > 0 && (ra.After < st.wantAfter || ra.After > time.Hour+time.Second):
				t.Errorf("RetryAfter %v, want about an hour", ra.After)
			}
			type counts struct{ Posts, Limited, Messages int }
			want := counts{st.wantPosts, st.wantLimited, 1}
			got := counts{len(calls(srv, http.MethodPost, path)), srv.Stats().RateLimited, len(srv.Messages(generalID))}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after the attempt (-want +got):\n%s", diff)
			}
		})
	}

	// An hour later (on Discord's clock), a session that has not been told
	// to wait posts the delivery.
	clk.Advance(time.Hour)
	if _, err := newAdapter(t, srv, discord.Options{}).Post(ctx, delivery(2, generalID, false), msg); err != nil {
		t.Fatalf("Post an hour later = %v", err)
	}
	if n := len(srv.Messages(generalID)); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

// threadInfo is what matters of a thread, for cmp.Diff.
type threadInfo struct {
	Name, ParentID, MessageID string
	AppliedTags               []string
	AutoArchive               int
}

func threadsOf(srv *fakediscord.Server, parent string) []threadInfo {
	var out []threadInfo
	for _, th := range srv.Threads(parent) {
		out = append(out, threadInfo{th.Name, th.ParentID, th.MessageID, th.AppliedTags, th.AutoArchiveDuration})
	}
	return out
}

// In a channel of Options.Threads, an announcement opens a thread named after
// the episode under it, once, whatever the attempts.
func TestPostThreads(t *testing.T) {
	ep := episode(t, 3)
	name := "#3 " + ep.Title
	tests := []struct {
		name    string
		channel string
		msg     bot.Message
		thread  bool
	}{
		{"announcement", threadsID, announcement(bot.MessageEpisode, ep), true},
		{"summary", threadsID, announcement(bot.MessageSummary, episode(t, 2), ep), true},
		{"digest", threadsID, announcement(bot.MessageDigest, ep), false},
		{"channel without threads", generalID, announcement(bot.MessageEpisode, ep), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := postFake(t, fakediscord.Options{})
			ctx := adapterCtx(t)
			opts := discord.Options{Threads: map[string]bool{threadsID: true}}
			id, err := newAdapter(t, srv, opts).Post(ctx, delivery(5, tt.channel, false), tt.msg)
			if err != nil {
				t.Fatalf("Post = %v", err)
			}
			var want []threadInfo
			if tt.thread {
				n := name
				if tt.msg.Kind == bot.MessageSummary {
					n = tt.msg.Header
				}
				want = []threadInfo{{Name: n, ParentID: tt.channel, MessageID: id, AutoArchive: 10080}}
			}
			if diff := cmp.Diff(want, threadsOf(srv, tt.channel)); diff != "" {
				t.Errorf("threads (-want +got):\n%s", diff)
			}
			// A retry after a restart finds the post and its thread.
			again, err := newAdapter(t, srv, opts).Post(ctx, delivery(5, tt.channel, true), tt.msg)
			if err != nil || again != id {
				t.Fatalf("retry = %q, %v; want %q", again, err, id)
			}
			if diff := cmp.Diff(want, threadsOf(srv, tt.channel)); diff != "" {
				t.Errorf("threads after the retry (-want +got):\n%s", diff)
			}
			if n := len(srv.Messages(tt.channel)); n != 1 {
				t.Errorf("%d messages in the channel, want 1", n)
			}
		})
	}
}

// In a forum, an announcement opens a post named "#N Title" with the podcast's
// tag, whichever code Discord answers Create Message with there; a retry finds
// the post among the forum's active ones instead of posting again.
func TestPostForum(t *testing.T) {
	ep := episode(t, 3)
	msg := announcement(bot.MessageEpisode, ep)
	for _, code := range []int{50008, 40058} {
		t.Run(fmt.Sprintf("Create Message answers %d", code), func(t *testing.T) {
			srv, _ := postFake(t, fakediscord.Options{ForumCreateMessageCode: code})
			ctx := adapterCtx(t)
			a := newAdapter(t, srv, discord.Options{})
			id, err := a.Post(ctx, delivery(8, forumID, false), msg)
			if err != nil {
				t.Fatalf("Post = %v", err)
			}
			want := []threadInfo{{Name: "#3 " + ep.Title, ParentID: forumID, MessageID: id, AppliedTags: []string{tagPodcast}, AutoArchive: 10080}}
			if diff := cmp.Diff(want, threadsOf(srv, forumID)); diff != "" {
				t.Fatalf("forum posts (-want +got):\n%s", diff)
			}
			first := srv.Messages(id)
			if len(first) != 1 || len(keyedIDs(first[0], "pmbot-d8")) != 1 {
				t.Fatalf("the post's first message does not carry the key: %+v", first)
			}
			if !strings.Contains(messageText(first[0]), "Data Science") {
				t.Errorf("the post's first message is not the announcement:\n%s", messageText(first[0]))
			}

			steps := []struct {
				name    string
				adapter *discord.Adapter
				d       bot.Delivery
				newPost bool
			}{
				{"may have posted", a, delivery(8, forumID, true), false},
				{"may have posted, after a restart", newAdapter(t, srv, discord.Options{}), delivery(8, forumID, true), false},
				{"another delivery", newAdapter(t, srv, discord.Options{}), delivery(9, forumID, true), true},
				{"another delivery, forum known", a, delivery(10, forumID, false), true},
			}
			posts := 1
			for _, st := range steps {
				got, err := st.adapter.Post(ctx, st.d, msg)
				if err != nil {
					t.Fatalf("%s: Post = %v", st.name, err)
				}
				if st.newPost {
					posts++
					if got == id {
						t.Errorf("%s: returned the first post", st.name)
					}
				} else if got != id {
					t.Errorf("%s: Post = %q, want the first post %q", st.name, got, id)
				}
				if n := len(srv.Threads(forumID)); n != posts {
					t.Errorf("%s: %d forum posts, want %d", st.name, n, posts)
				}
			}
			// The forum is learnt once per adapter: one Create Message refused.
			if n := len(calls(srv, http.MethodPost, "/channels/"+forumID+"/messages")); n != 1 {
				t.Errorf("%d Create Message calls in the forum, want 1 (the first, which tells it is a forum)", n)
			}
		})
	}
}

// A forum that requires a tag gets the podcast's, else its first tag rather
// than no post; one with no tag at all cannot take the bot's posts until
// someone adds one, which no retry fixes: the subscription is paused.
func TestPostForumRequiresTag(t *testing.T) {
	tests := []struct {
		name   string
		tags   []fakediscord.Tag
		want   []string
		paused bool
	}{
		{"podcast's tag", []fakediscord.Tag{{ID: tagOther, Name: "Other show"}, {ID: tagPodcast, Name: "post  MORTEM"}}, []string{tagPodcast}, false},
		{"no podcast's tag", []fakediscord.Tag{{ID: tagOther, Name: "Other show"}}, []string{tagOther}, false},
		{"no tag at all", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := postFake(t, fakediscord.Options{Channels: []fakediscord.Channel{
				{ID: forumID, GuildID: guildID, Name: "episodes", Type: fakediscord.ChannelTypeForum, RequireTag: true, AvailableTags: tt.tags},
			}})
			ctx := adapterCtx(t)
			_, err := newAdapter(t, srv, discord.Options{}).Post(ctx, delivery(3, forumID, false), announcement(bot.MessageEpisode, episode(t, 3)))
			var pe *bot.PermanentError
			switch {
			case !tt.paused && err != nil:
				t.Fatalf("Post = %v", err)
			case tt.paused && (!errors.As(err, &pe) || !pe.Pause):
				t.Fatalf("Post = %v (%T); want a *bot.PermanentError that pauses", err, err)
			}
			var got []string
			for _, th := range srv.Threads(forumID) {
				got = append(got, th.AppliedTags...)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("applied tags (-want +got):\n%s", diff)
			}
		})
	}
}
