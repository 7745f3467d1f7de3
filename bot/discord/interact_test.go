package discord_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/bot/discord/fakediscord"
	"github.com/pmbot/pmbot/commands"
)

// The tests of this file drive the adapter through the gateway: fakediscord
// dispatches INTERACTION_CREATE to the real discordgo session RunGateway
// opened, and records the callbacks, edits and followups the adapter sends
// back through REST.

// The answers a quick interaction gets: a message at once (type 4) that can
// ping no one, private (with a Share button when the reply can be shared) or
// public.
var (
	privateShareable = answer{Type: fakediscord.CallbackMessage, Ephemeral: true, Silent: true, Share: true}
	privateOnly      = answer{Type: fakediscord.CallbackMessage, Ephemeral: true, Silent: true}
	public           = answer{Type: fakediscord.CallbackMessage, Silent: true}
)

// Questions are answered at once, privately, in the user's language, with a
// Share button.
func TestGatewaySlashCommands(t *testing.T) {
	srv, _ := gatewayAdapter(t, routerOptions{}, discord.Options{})
	ctx := adapterCtx(t)
	tests := []struct {
		name   string
		in     fakediscord.Interaction
		locale string
		want   answer
		words  []string
	}{
		{"episode 3", slash("episode", str("episode", "3")), "", privateShareable, []string{"Data Science", "Listen", "Share in channel"}},
		{"episode 3 in French", slash("episode", str("episode", "3")), "fr", privateShareable, []string{"Data Science", "Écouter", "Partager dans le canal"}},
		{"search bgp", slash("search", str("words", "bgp")), "en-GB", privateShareable, []string{"BGP", "Results for"}},
		{"latest", slash("latest"), "en-US", privateShareable, []string{"#17", "BGP"}},
		{"latest in French", slash("latest"), "fr", privateShareable, []string{"BGP", "Partager dans le canal"}},
		{"latest 3", slash("latest", fakediscord.CommandOption{Name: "count", Type: 4, Value: 3}), "", privateShareable, []string{"Latest 3 episodes", "#15"}},
		{"no such episode", slash("episode", str("episode", "99")), "", privateOnly, []string{"99"}},
		{"a locale neither French nor English", slash("takeaways", str("episode", "3")), "de", privateShareable, []string{"Key takeaways"}},
		{"in a DM", dm(slash("takeaways", str("episode", "3"))), "", privateShareable, []string{"Key takeaways", "Data Science"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Locale = tt.locale
			rec := send(t, ctx, srv, tt.in)
			if diff := cmp.Diff(tt.want, summarize(rec.Response.Message, rec.Response.Type)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if rec.Response.Message == nil {
				t.Fatal("no message in the answer")
			}
			text := messageText(*rec.Response.Message)
			for _, w := range tt.words {
				if !strings.Contains(text, w) {
					t.Errorf("the answer does not say %q:\n%.600s", w, text)
				}
			}
		})
	}
	if n := len(srv.Messages(generalID)); n != 0 {
		t.Errorf("%d messages in the channel: questions are answered privately", n)
	}
}

// dm is the interaction sent in a direct message: a user, no member.
func dm(in fakediscord.Interaction) fakediscord.Interaction {
	in.DM = true
	return in
}

// deferredFlags reads the flags of a deferred answer (type 5).
func deferredFlags(t *testing.T, r *fakediscord.Response) int {
	t.Helper()
	if r.Type != fakediscord.CallbackDeferredMessage {
		t.Fatalf("answer of type %d, want 5 (deferred)", r.Type)
	}
	var d struct {
		Flags int `json:"flags"`
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatalf("deferred data %s: %v", r.Data, err)
		}
	}
	return d.Flags
}

// A command that cannot answer at once (Slow, or not done within
// commands.QuickReply) is deferred privately, then completed by editing the
// deferred answer.
func TestGatewayDeferredCommands(t *testing.T) {
	tests := []struct {
		name  string
		in    fakediscord.Interaction
		ro    func(*gate) routerOptions
		words string
		share bool // the reply can be shared
	}{
		// digest is Slow: deferred before it runs.
		{"Slow command", slash("digest"), func(g *gate) routerOptions { return routerOptions{digest: g} }, "Digest preview", true},
		// status is not Slow: deferred once commands.QuickReply passed.
		{"blocked command", slash("status"), func(g *gate) routerOptions { return routerOptions{status: g} }, "v9.9.9-test", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate()
			t.Cleanup(g.open)
			srv, _ := gatewayAdapter(t, tt.ro(g), discord.Options{})
			ctx := adapterCtx(t)

			rec := send(t, ctx, srv, tt.in)
			if f := deferredFlags(t, rec.Response); f != fakediscord.FlagEphemeral {
				t.Errorf("deferred with flags %d, want %d (ephemeral)", f, fakediscord.FlagEphemeral)
			}
			g.waitStarted(t, ctx)
			if now, _ := srv.Interaction(rec.Interaction.ID); now.Original == nil || !now.Original.EditedAt.IsZero() {
				t.Fatalf("the deferred answer was filled in before the command ended: %+v", now.Original)
			}
			g.open()
			done := waitOriginal(t, ctx, srv, rec.Interaction.ID)
			if len(done.Followups) != 0 {
				t.Errorf("%d followups; the deferred answer is edited, not followed up", len(done.Followups))
			}
			got := summarize(done.Original, fakediscord.CallbackDeferredMessage)
			want := answer{Type: fakediscord.CallbackDeferredMessage, Ephemeral: true, Silent: true, Share: tt.share}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("completed answer (-want +got):\n%s", diff)
			}
			if text := messageText(*done.Original); !strings.Contains(text, tt.words) {
				t.Errorf("the completed answer does not say %q:\n%.600s", tt.words, text)
			}
			if n := len(srv.Messages(generalID)); n != 0 {
				t.Errorf("%d messages in the channel; the answer is private", n)
			}
		})
	}
}

// Sharing a Slow reply defers publicly; the reply then fills the public
// answer in, or, when it is an error (private), replaces it with a private
// followup: a deferred answer cannot change its privacy.
func TestGatewayShareDeferred(t *testing.T) {
	tests := []struct {
		name string
		err  error
		// want is what the channel and the user end up seeing.
		wantChannel   int
		wantFollowups int
		wantDeletes   int
		words         string
	}{
		{"shared reply", nil, 1, 0, 0, "Digest preview"},
		{"error reply", commands.Errorf("the digest is broken today"), 0, 1, 1, "the digest is broken today"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate()
			g.err = tt.err
			t.Cleanup(g.open)
			srv, _ := gatewayAdapter(t, routerOptions{digest: g}, discord.Options{})
			ctx := adapterCtx(t)

			rec := send(t, ctx, srv, click(discord.CustomIDShare+prefix+" digest"))
			if f := deferredFlags(t, rec.Response); f != 0 {
				t.Errorf("a share deferred with flags %d, want 0 (public)", f)
			}
			g.waitStarted(t, ctx)
			g.open()
			done := waitOriginal(t, ctx, srv, rec.Interaction.ID)
			deletes := 0
			for _, c := range srv.Calls("/webhooks/") {
				if c.Method == http.MethodDelete {
					deletes++
				}
			}
			type outcome struct{ Channel, Followups, Deletes int }
			want := outcome{tt.wantChannel, tt.wantFollowups, tt.wantDeletes}
			got := outcome{len(srv.Messages(generalID)), len(done.Followups), deletes}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			var shown fakediscord.Message
			switch {
			case len(done.Followups) > 0:
				shown = done.Followups[0]
				if shown.Flags&fakediscord.FlagEphemeral == 0 {
					t.Error("the error replacing a public answer is public")
				}
			default:
				shown = *done.Original
				if diff := cmp.Diff(answer{Type: 5, Silent: true}, summarize(&shown, 5)); diff != "" {
					t.Errorf("shared answer (-want +got):\n%s", diff)
				}
			}
			if text := messageText(shown); !strings.Contains(text, tt.words) {
				t.Errorf("the answer does not say %q:\n%.600s", tt.words, text)
			}
		})
	}
}

// Only members who may manage the channel change its subscriptions; the
// refusal is in their language. (More permission cases: TestHTTPManageRights.)
func TestGatewaySubscribeRefused(t *testing.T) {
	subs := &recordingSubs{}
	srv, _ := gatewayAdapter(t, routerOptions{subs: subs}, discord.Options{})
	ctx := adapterCtx(t)
	for _, tt := range []struct {
		locale, words string
	}{
		{"en-US", "you need permission to manage this channel"},
		{"fr", "il faut avoir le droit de gérer ce canal"},
	} {
		t.Run(tt.locale, func(t *testing.T) {
			in := channelSlash("subscribe", str("topics", "bgp"))
			in.Locale = tt.locale
			rec := send(t, ctx, srv, in)
			if diff := cmp.Diff(privateOnly, summarize(rec.Response.Message, rec.Response.Type)); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
			if text := messageText(*rec.Response.Message); !strings.Contains(text, tt.words) {
				t.Errorf("the refusal does not say %q:\n%s", tt.words, text)
			}
		})
	}
	if calls := subs.Calls(); len(calls) != 0 {
		t.Errorf("a member without Manage Channels changed subscriptions: %v", calls)
	}
	if n := len(srv.Messages(generalID)); n != 0 {
		t.Errorf("%d messages in the channel; a refusal is private", n)
	}
	// With Manage Channels (1<<4) in the channel, the same command subscribes.
	in := channelSlash("subscribe", str("topics", "bgp"))
	in.Permissions = "2064"
	send(t, ctx, srv, in)
	if calls := subs.Calls(); len(calls) != 1 {
		t.Errorf("a member with Manage Channels: subscription calls %v, want one", calls)
	}
}

// Buttons: a command button answers whoever clicks, privately; a share button
// posts in the channel; a delivery's key in the custom_id changes nothing; a
// button we did not write gets a polite private answer.
func TestGatewayButtons(t *testing.T) {
	srv, _ := gatewayAdapter(t, routerOptions{}, discord.Options{})
	ctx := adapterCtx(t)
	tests := []struct {
		name      string
		customID  string
		want      answer
		words     string
		inChannel bool
	}{
		{"command", "pmbot:cmd:/postmortem takeaways 3", privateShareable, "Data Science", false},
		{"command with a delivery key", "pmbot:cmd@pmbot-d9:/postmortem takeaways 3", privateShareable, "Data Science", false},
		{"share", "pmbot:share:/postmortem episode 3", public, "Data Science", true},
		{"share with a delivery key", "pmbot:share@pmbot-d9:/postmortem episode 3", public, "Data Science", true},
		{"not ours", "someone-else:button", privateOnly, "does not do anything", false},
		{"no command line", "pmbot:cmd:", privateOnly, "does not do anything", false},
		{"unknown action", "pmbot:frobnicate:/postmortem latest", privateOnly, "does not do anything", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Messages(generalID))
			rec := send(t, ctx, srv, click(tt.customID))
			if diff := cmp.Diff(tt.want, summarize(rec.Response.Message, rec.Response.Type)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if rec.Response.Message == nil {
				t.Fatal("no message in the answer")
			}
			if text := messageText(*rec.Response.Message); !strings.Contains(text, tt.words) {
				t.Errorf("the answer does not say %q:\n%.600s", tt.words, text)
			}
			added := len(srv.Messages(generalID)) - before
			if want := map[bool]int{true: 1}[tt.inChannel]; added != want {
				t.Errorf("%d messages added to the channel, want %d", added, want)
			}
		})
	}
}

// Autocomplete suggests at most 25 choices of 1–100 characters: episodes whose
// number starts with the digits typed, and for search the words typed first.
func TestGatewayAutocomplete(t *testing.T) {
	srv, _ := gatewayAdapter(t, routerOptions{}, discord.Options{})
	ctx := adapterCtx(t)
	focused := func(sub, option, typed string) fakediscord.Interaction {
		return fakediscord.Interaction{Type: fakediscord.InteractionAutocomplete, Name: appCommand, Options: []fakediscord.CommandOption{
			{Name: sub, Type: 1, Options: []fakediscord.CommandOption{{Name: option, Type: 3, Value: typed, Focused: true}}},
		}}
	}
	long := strings.Repeat("incident ", 30)
	tests := []struct {
		name string
		in   fakediscord.Interaction
		// first are the values of the first choices.
		first []string
		// firstName is the start of the first choice's name.
		firstName string
		min       int
	}{
		{"episode by number", focused("episode", "episode", "1"), []string{"17", "16", "15", "14", "13", "12", "11", "10", "1"}, "#17 ", 9},
		{"episode, nothing typed", focused("takeaways", "episode", ""), []string{"17", "16"}, "#17 ", 18},
		{"episode by words", focused("episode", "episode", "dragonblood"), []string{"2"}, "#2 Dragonblood", 1},
		{"search words", focused("search", "words", "bgp"), []string{"bgp"}, "bgp", 2},
		{"search words too long", focused("search", "words", long), nil, "incident incident", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := send(t, ctx, srv, tt.in)
			r := rec.Response
			if r.Type != fakediscord.CallbackAutocompleteResult {
				t.Fatalf("answer of type %d, want 8", r.Type)
			}
			cs := r.Choices
			if len(cs) < tt.min || len(cs) > 25 {
				t.Errorf("%d choices, want %d to 25", len(cs), tt.min)
			}
			var values []string
			for i, c := range cs {
				v, ok := c.Value.(string)
				if !ok {
					t.Errorf("choice %d: value %v is not a string option's", i, c.Value)
				}
				values = append(values, v)
				for what, s := range map[string]string{"name": c.Name, "value": v} {
					if n := utf8.RuneCountInString(s); n < 1 || n > 100 {
						t.Errorf("choice %d: %s of %d characters (1–100): %q", i, what, n, s)
					}
				}
			}
			if len(values) > len(tt.first) {
				values = values[:len(tt.first)]
			}
			if tt.first != nil {
				if diff := cmp.Diff(tt.first, values); diff != "" {
					t.Errorf("first choices (-want +got):\n%s", diff)
				}
			}
			if len(cs) > 0 && !strings.HasPrefix(cs[0].Name, tt.firstName) {
				t.Errorf("first choice %q, want it to start with %q", cs[0].Name, tt.firstName)
			}
		})
	}
	if t.Failed() {
		return
	}
	// The words typed come first, then episodes that match them.
	rec := send(t, ctx, srv, focused("search", "words", "bgp"))
	if cs := rec.Response.Choices; len(cs) < 2 || !strings.Contains(cs[1].Name, "BGP") {
		t.Errorf("search suggestions %+v; want the words, then episode 17", cs)
	}
}

// A dropped connection, an op 7 Reconnect or an op 9 Invalid Session while a
// command is under way: the adapter comes back (resume or identify), answers
// the next interaction, and the command under way still completes.
func TestGatewayDrops(t *testing.T) {
	tests := []struct {
		name string
		cut  func(*fakediscord.Server)
	}{
		{"dropped connection", (*fakediscord.Server).DropConnections},
		{"op 7 reconnect", (*fakediscord.Server).Reconnect},
		{"op 9 resumable", func(s *fakediscord.Server) { s.InvalidSession(true) }},
		{"op 9 not resumable", func(s *fakediscord.Server) { s.InvalidSession(false) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate()
			t.Cleanup(g.open)
			srv, _ := gatewayAdapter(t, routerOptions{digest: g}, discord.Options{})
			ctx := adapterCtx(t)

			slow := send(t, ctx, srv, slash("digest"))
			deferredFlags(t, slow.Response)
			g.waitStarted(t, ctx)
			before := srv.Stats()
			tt.cut(srv)
			err := srv.Wait(ctx, func() bool {
				st := srv.Stats()
				return st.Ready >= 1 && st.Identifies+st.Resumes > before.Identifies+before.Resumes
			})
			if err != nil {
				t.Fatalf("the adapter never came back to the gateway: %v (stats %+v)", err, srv.Stats())
			}

			rec := send(t, ctx, srv, slash("takeaways", str("episode", "3")))
			if diff := cmp.Diff(privateShareable, summarize(rec.Response.Message, rec.Response.Type)); diff != "" {
				t.Errorf("answer after the cut (-want +got):\n%s", diff)
			}

			g.open()
			done := waitOriginal(t, ctx, srv, slow.Interaction.ID)
			if !strings.Contains(messageText(*done.Original), "Digest preview") {
				t.Errorf("the command under way was not completed: %+v", done.Original)
			}
		})
	}
}

// Cancelling RunGateway's context ends it; the interactions under way are still
// answered, and Wait returns once they are.
func TestGatewayShutdown(t *testing.T) {
	g := newGate()
	t.Cleanup(g.open)
	srv := newFake(t, fakediscord.Options{})
	a := newAdapter(t, srv, discord.Options{Router: adapterRouter(t, routerOptions{digest: g})})
	stop := runGateway(t, srv, a)
	ctx := adapterCtx(t)

	slow := send(t, ctx, srv, slash("digest"))
	g.waitStarted(t, ctx)
	if err := stop(); err != nil {
		t.Fatalf("RunGateway = %v, want nil when its context ends", err)
	}
	waited := make(chan struct{})
	go func() {
		a.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		t.Fatal("Wait returned while a command was being answered")
	default:
	}
	g.open()
	select {
	case <-waited:
	case <-ctx.Done():
		t.Fatal("Wait did not return after the command was answered")
	}
	if rec, _ := srv.Interaction(slow.Interaction.ID); rec.Original == nil || rec.Original.EditedAt.IsZero() {
		t.Error("Wait returned before the deferred answer was completed")
	}
}

// registered reads the commands of a scope as registered, by name.
func registered(srv *fakediscord.Server, guild string) []string {
	var names []string
	for _, c := range srv.Commands(guild) {
		var opts []string
		for _, o := range c.Options {
			opts = append(opts, o.Name)
		}
		names = append(names, c.Name+" "+strings.Join(opts, ","))
	}
	return names
}

// wantRegistered is what ApplicationCommands registers, by name.
func wantRegistered(r *commands.Router) []string {
	var names []string
	for _, c := range discord.ApplicationCommands(r) {
		var opts []string
		for _, o := range c.Options {
			opts = append(opts, o.Name)
		}
		names = append(names, c.Name+" "+strings.Join(opts, ","))
	}
	return names
}

// puts counts the bulk overwrites of commands.
func puts(srv *fakediscord.Server) int {
	n := 0
	for _, c := range srv.Calls("/applications/") {
		if c.Method == http.MethodPut {
			n++
		}
	}
	return n
}

// RunGateway registers both slash commands, in the configured servers or
// globally; registering again what is registered makes no bulk overwrite,
// since new commands count against a daily limit.
func TestRegister(t *testing.T) {
	tests := []struct {
		name   string
		guilds []string
		scope  string // where the commands go
		other  string // where they must not
	}{
		{"in a server", []string{guildID}, guildID, ""},
		{"globally", nil, "", guildID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, fakediscord.Options{})
			r := adapterRouter(t, routerOptions{})
			a := newAdapter(t, srv, discord.Options{Router: r, GuildIDs: tt.guilds})
			runGateway(t, srv, a)
			want := wantRegistered(r)
			if len(want) != 2 {
				t.Fatalf("ApplicationCommands gives %d commands, want 2", len(want))
			}
			if diff := cmp.Diff(want, registered(srv, tt.scope)); diff != "" {
				t.Errorf("registered commands (-want +got):\n%s", diff)
			}
			if got := registered(srv, tt.other); len(got) != 0 {
				t.Errorf("commands registered in scope %q too: %v", tt.other, got)
			}
			if n := puts(srv); n != 1 {
				t.Errorf("%d bulk overwrites, want 1", n)
			}
		})
	}

	t.Run("again unchanged", func(t *testing.T) {
		srv := newFake(t, fakediscord.Options{})
		r := adapterRouter(t, routerOptions{})
		a := newAdapter(t, srv, discord.Options{Router: r, GuildIDs: []string{guildID}})
		ctx := adapterCtx(t)
		if err := a.Register(ctx); err != nil {
			t.Fatalf("Register = %v", err)
		}
		if n := puts(srv); n != 1 {
			t.Fatalf("%d bulk overwrites on the first Register, want 1", n)
		}
		if err := a.Register(ctx); err != nil {
			t.Fatalf("second Register = %v", err)
		}
		if n := puts(srv); n != 1 {
			t.Errorf("%d bulk overwrites after registering the same commands again, want still 1", n)
		}
		// The same commands with fewer subcommands are not the same.
		fewer := commands.NewRouter(prefix, commands.EpisodeCommands(fixtureCatalog{Episodes: postMortem(t).Episodes}))
		b := newAdapter(t, srv, discord.Options{Router: fewer, GuildIDs: []string{guildID}})
		if err := b.Register(ctx); err != nil {
			t.Fatalf("Register of other commands = %v", err)
		}
		if n := puts(srv); n != 2 {
			t.Errorf("%d bulk overwrites after registering other commands, want 2", n)
		}
		if diff := cmp.Diff(wantRegistered(fewer), registered(srv, guildID)); diff != "" {
			t.Errorf("registered commands (-want +got):\n%s", diff)
		}
	})
}
