package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/feeds/feedstest"
)

// fakeCatalog serves episodes held in memory, newest first, the way the store does:
// ByNumber matches the stored number exactly (the trailer is stored as number 0).
type fakeCatalog struct {
	eps []feeds.Episode
	err error // returned by every method when set
}

func (c fakeCatalog) Latest(_ context.Context, n int) ([]feeds.Episode, error) {
	if c.err != nil {
		return nil, c.err
	}
	return c.eps[:min(n, len(c.eps))], nil
}

func (c fakeCatalog) ByNumber(_ context.Context, n int) (feeds.Episode, error) {
	if c.err != nil {
		return feeds.Episode{}, c.err
	}
	for _, ep := range c.eps {
		if ep.Number == n {
			return ep, nil
		}
	}
	return feeds.Episode{}, commands.ErrNoEpisode
}

func (c fakeCatalog) All(context.Context) ([]feeds.Episode, error) {
	if c.err != nil {
		return nil, c.err
	}
	return c.eps, nil
}

// postMortem parses the real Post Mortem feed.
func postMortem(t testing.TB) []feeds.Episode {
	t.Helper()
	feed := feedstest.PostMortem(t)
	if len(feed.Episodes) == 0 {
		t.Fatal("feed has no episodes")
	}
	return feed.Episodes
}

func newRouter(cat commands.Catalog) *commands.Router {
	return commands.NewRouter("/postmortem", commands.EpisodeCommands(cat))
}

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantName string
		wantArgs []string
		wantErr  bool
	}{
		{name: "with prefix", text: "/postmortem takeaways 3", wantName: "takeaways", wantArgs: []string{"3"}},
		{name: "without prefix", text: "takeaways 3", wantName: "takeaways", wantArgs: []string{"3"}},
		{name: "empty is help", text: "", wantName: "help"},
		{name: "prefix only is help", text: "/postmortem", wantName: "help"},
		{name: "blank is help", text: " \t\n ", wantName: "help"},
		{name: "extra whitespace", text: "  /postmortem \t episode\n\n  dragon   blood \r\n", wantName: "episode", wantArgs: []string{"dragon", "blood"}},
		{name: "uppercase name lowered, args kept", text: "EPISODE Dragonblood", wantName: "episode", wantArgs: []string{"Dragonblood"}},
		{name: "mixed case name", text: "/postmortem TakeAways 3", wantName: "takeaways", wantArgs: []string{"3"}},
		{name: "control characters dropped", text: "take\x00aways\x07 3\x1b", wantName: "takeaways", wantArgs: []string{"3"}},
		{name: "ANSI escape keeps no ESC", text: "latest \x1b[2J3", wantName: "latest", wantArgs: []string{"[2J3"}},
		{name: "bidi override dropped", text: "latest \u202e3", wantName: "latest", wantArgs: []string{"3"}},
		{name: "zero-width space dropped", text: "take\u200baways 3", wantName: "takeaways", wantArgs: []string{"3"}},
		{name: "BOM and isolates dropped", text: "\ufefflatest \u20663\u2069", wantName: "latest", wantArgs: []string{"3"}},
		{name: "C1 control dropped", text: "latest\u0085 2", wantName: "latest", wantArgs: []string{"2"}},
		{name: "invalid UTF-8 dropped", text: "latest \xff\xfe2", wantName: "latest", wantArgs: []string{"2"}},
		{name: "no-break space separates", text: "takeaways\u00a03", wantName: "takeaways", wantArgs: []string{"3"}},
		{name: "at the limit", text: "latest " + strings.Repeat(" ", commands.MaxText-len("latest ")), wantName: "latest"},
		{name: "over the limit", text: "episode " + strings.Repeat("a", commands.MaxText), wantErr: true},
		{name: "over the limit in multibyte runes", text: strings.Repeat("é", commands.MaxText/2+1), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, args, err := commands.Parse(tt.text)
			if tt.wantErr {
				var ue *commands.UserError
				if !errors.As(err, &ue) {
					t.Fatalf("Parse error = %v, want a *UserError", err)
				}
				if !strings.Contains(ue.Msg, "too long") {
					t.Errorf("error %q does not say the command is too long", ue.Msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if name != tt.wantName {
				t.Errorf("name = %q, want %q", name, tt.wantName)
			}
			if diff := cmp.Diff(tt.wantArgs, args, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

// run parses and dispatches text, and returns the reply the user would see.
func run(t *testing.T, r *commands.Router, text string) (commands.Reply, error) {
	t.Helper()
	name, args, err := commands.Parse(text)
	if err != nil {
		return commands.ErrorReply(err), err
	}
	// On error, Dispatch's reply is already the one the user sees.
	return r.Dispatch(context.Background(), commands.Request{Name: name, Args: args, UserID: "u1", ChannelID: "c1", Platform: "test"})
}

// numbers lists the episode numbers of a reply.
func numbers(eps []feeds.Episode) []int {
	var ns []int
	for _, ep := range eps {
		ns = append(ns, ep.Number)
	}
	return ns
}

func TestDispatchEpisodes(t *testing.T) {
	r := newRouter(fakeCatalog{eps: postMortem(t)})
	tests := []struct {
		text       string
		wantNums   []int
		wantDetail bool
		wantHeader string
	}{
		{text: "latest", wantNums: []int{17}, wantDetail: true, wantHeader: "Latest episode"},
		{text: "/postmortem latest 3", wantNums: []int{17, 16, 15}, wantHeader: "Latest 3 episodes"},
		{text: "latest #2", wantNums: []int{17, 16}, wantHeader: "Latest 2 episodes"},
		{text: "latest 500", wantNums: []int{17, 16, 15, 14, 13, 12, 11, 10, 9, 8}, wantHeader: "Latest 10 episodes"},
		{text: "last", wantNums: []int{17}, wantDetail: true, wantHeader: "Latest episode"},
		{text: "episode 17", wantNums: []int{17}, wantDetail: true},
		{text: "episode #17", wantNums: []int{17}, wantDetail: true},
		{text: "episode 3", wantNums: []int{3}, wantDetail: true},
		{text: "episode latest", wantNums: []int{17}, wantDetail: true},
		{text: "episode LATEST", wantNums: []int{17}, wantDetail: true},
		{text: "ep 2", wantNums: []int{2}, wantDetail: true},
		{text: "episode dragonblood", wantNums: []int{2}, wantDetail: true},
		{text: "episode Dragonblood leaking", wantNums: []int{2}, wantDetail: true},
		{text: "episode prediction sncf", wantNums: []int{11}, wantDetail: true},        // "Prédiction de retards à la SNCF 🚉"
		{text: "episode accelerer l'innovation", wantNums: []int{15}, wantDetail: true}, // "accélérer l’innovation"
		{text: "episode VULNERABILITES", wantNums: []int{4}, wantDetail: true},
		{text: "show algolia", wantNums: []int{14}, wantDetail: true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			rep, err := run(t, r, tt.text)
			if err != nil {
				t.Fatalf("%q: %v", tt.text, err)
			}
			if diff := cmp.Diff(tt.wantNums, numbers(rep.Episodes)); diff != "" {
				t.Errorf("episodes (-want +got):\n%s", diff)
			}
			if rep.Detail != tt.wantDetail {
				t.Errorf("Detail = %v, want %v", rep.Detail, tt.wantDetail)
			}
			if rep.Header != tt.wantHeader {
				t.Errorf("Header = %q, want %q", rep.Header, tt.wantHeader)
			}
			if !rep.Private {
				t.Error("a reply to a question should be private")
			}
		})
	}
}

func TestDispatchTakeaways(t *testing.T) {
	r := newRouter(fakeCatalog{eps: postMortem(t)})
	tests := []struct {
		text string
		want commands.Reply
	}{
		{
			text: "takeaways 3",
			want: commands.Reply{
				Header: "Key takeaways: #3 La Data Science dans les grands groupes, avec Ouriel Bettach 🇫🇷",
				Bullets: []string{
					"Avoir une équipe multi-compétences (Software Engineer et Data Scientist) dans une même squad permet de livrer des produits (pas simplement mener des projets) ML plus rapidement.",
					"Le data et le model management sont le nerf de la guerre pour répondre aux questions de montée en charge. Le ML Ops est là pour rester. Voir ML Flow.",
					"Au-delà du technique, la conduite du changement pour le déploiement d’un produit ML doit être préparée avec les utilisateurs business.",
				},
				Private:   true,
				Shareable: true,
				Command:   "/postmortem takeaways 3",
				Language:  "en",
			},
		},
		{
			text: "takeaways 5", // #5 has no notes
			want: commands.Reply{
				Header:    "Key takeaways: #5 Autoscaling lag et gestion des incidents chez Doctolib 🇫🇷",
				Text:      "This episode's show notes have no takeaways.",
				Private:   true,
				Shareable: true,
				Command:   "/postmortem takeaways 5",
				Language:  "en",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			rep, err := run(t, r, tt.text)
			if err != nil {
				t.Fatalf("%q: %v", tt.text, err)
			}
			if diff := cmp.Diff(tt.want, rep); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("takeaway alias", func(t *testing.T) {
		alias, err := run(t, r, "takeaway 3")
		if err != nil {
			t.Fatal(err)
		}
		canonical, _ := run(t, r, "takeaways 3")
		if diff := cmp.Diff(canonical, alias); diff != "" {
			t.Errorf("alias reply differs (-takeaways +takeaway):\n%s", diff)
		}
	})

	t.Run("summary stand-in says so", func(t *testing.T) {
		rep, err := run(t, r, "takeaways 17") // #17's notes have no takeaways section
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Bullets) == 0 || !strings.Contains(rep.Text, "summary") {
			t.Errorf("reply = %+v, want the summary as bullets, labelled as such", rep)
		}
	})
}

// TestLatestSaysItsCap: asking for more episodes than a reply shows gets the most
// it shows, and says so, however large the number.
func TestLatestSaysItsCap(t *testing.T) {
	r := newRouter(fakeCatalog{eps: postMortem(t)})
	for _, text := range []string{"latest 11", "latest 100000", "latest 99999999999999999999999"} {
		rep, err := run(t, r, text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if len(rep.Episodes) != 10 || rep.Text != "At most 10 episodes are shown." {
			t.Errorf("%q: %d episodes, text %q; want 10 and the cap said", text, len(rep.Episodes), rep.Text)
		}
	}
}

func TestDispatchUserErrors(t *testing.T) {
	r := newRouter(fakeCatalog{eps: postMortem(t)})
	tests := []struct {
		text     string
		wantText string // exact, when set
		contains []string
	}{
		{text: "episode 99", wantText: "no episode 99; the latest is 17"},
		{text: "takeaways 99", wantText: "no episode 99; the latest is 17"},
		{text: "episode 0", wantText: "no episode 0; the latest is 17"}, // not the unnumbered trailer
		{text: "episode -3", wantText: "no episode -3; the latest is 17"},
		{text: "episode", contains: []string{"which episode?"}},
		{text: "episode zzzqqq", contains: []string{`no episode matches "zzzqqq"`}},
		{text: "latest 0", contains: []string{"`latest` takes a number", `"0"`}},
		{text: "latest abc", contains: []string{"`latest` takes a number", `"abc"`}},
		{text: "latest -1", contains: []string{"`latest` takes a number"}},
		{text: "takaways 3", contains: []string{"did you mean `takeaways`?", "/postmortem help"}},
		{text: "lastest", contains: []string{"did you mean `latest`?"}},
		{text: "episdoe 3", contains: []string{"did you mean `episode`?"}},
		{text: "x", wantText: "unknown command \"x\". Try `/postmortem help`."},
		{text: "lt", wantText: "unknown command \"lt\". Try `/postmortem help`."},
		{text: "epp 3", contains: []string{"did you mean `episode`?"}},
		{text: "tkeaways", contains: []string{"did you mean `takeaways`?"}},
		{text: "hlep", contains: []string{"did you mean `help`?"}},
		{text: "bogus", contains: []string{`unknown command "bogus"`, "/postmortem help"}},
		{text: "help nope", contains: []string{`no command "nope"`, "/postmortem help"}},
		{text: strings.Repeat("x", 300), contains: []string{"unknown command", "…"}},
		{text: strings.Repeat("x", commands.MaxText+1), contains: []string{"too long"}},
	}
	for _, tt := range tests {
		t.Run(clipName(tt.text), func(t *testing.T) {
			rep, err := run(t, r, tt.text)
			var ue *commands.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("%q: error = %v, want a *UserError", tt.text, err)
			}
			if tt.wantText != "" {
				if diff := cmp.Diff(tt.wantText, rep.Text); diff != "" {
					t.Errorf("text (-want +got):\n%s", diff)
				}
			}
			for _, c := range tt.contains {
				if !strings.Contains(rep.Text, c) {
					t.Errorf("text %q does not contain %q", rep.Text, c)
				}
			}
			if len(rep.Text) > 300 {
				t.Errorf("error text is %d bytes long; user input must be clipped", len(rep.Text))
			}
			if !rep.Private {
				t.Error("an error reply should be private")
			}
		})
	}
}

func clipName(s string) string {
	if len(s) > 30 {
		return s[:30] + "..."
	}
	return s
}

func TestHelp(t *testing.T) {
	r := newRouter(fakeCatalog{eps: postMortem(t)})

	t.Run("lists every command", func(t *testing.T) {
		for _, text := range []string{"help", "", "/postmortem", "HELP"} {
			rep, err := run(t, r, text)
			if err != nil {
				t.Fatalf("%q: %v", text, err)
			}
			var want []string
			for _, c := range r.Commands() {
				want = append(want, "/postmortem "+c.Usage+": "+c.Description)
			}
			if diff := cmp.Diff(want, rep.Bullets); diff != "" {
				t.Errorf("%q: bullets (-want +got):\n%s", text, diff)
			}
			for _, name := range []string{"latest", "episode", "takeaways", "help"} {
				if !strings.Contains(strings.Join(rep.Bullets, "\n"), "/postmortem "+name) {
					t.Errorf("%q: help does not list %s", text, name)
				}
			}
		}
	})

	t.Run("one command", func(t *testing.T) {
		for _, text := range []string{"help takeaways", "help TAKEAWAY", "help pointscles"} {
			rep, err := run(t, r, text)
			if err != nil {
				t.Fatalf("%q: %v", text, err)
			}
			want := commands.Reply{
				Header: "/postmortem takeaways",
				Text: "The key takeaways of an episode.\n" +
					"Usage: /postmortem takeaways <n|latest>\n" +
					"Also: takeaway, keypoints, pointscles\n" +
					"Example: /postmortem takeaways 3\n" +
					"Example: /postmortem takeaways latest",
				Private:  true,
				Language: "en",
			}
			if diff := cmp.Diff(want, rep); diff != "" {
				t.Errorf("%q (-want +got):\n%s", text, diff)
			}
		}
	})
}

func TestInternalErrorsStayInternal(t *testing.T) {
	secret := errors.New("sql: database is locked: /var/lib/pmbot/pmbot.db token=xoxb-123")
	r := newRouter(fakeCatalog{err: secret})
	for _, text := range []string{"latest", "latest 3", "episode 17", "episode latest", "episode dragonblood", "takeaways 3", "episode 99"} {
		t.Run(text, func(t *testing.T) {
			rep, err := run(t, r, text)
			if !errors.Is(err, secret) {
				t.Fatalf("error = %v, want the catalog's error for the log", err)
			}
			want := commands.Reply{Language: "en", Text: "Something went wrong on our side; the bot's admin can find the details in its log.", Private: true}
			if diff := cmp.Diff(want, rep); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("wrapped user error keeps its words", func(t *testing.T) {
		err := errors.Join(errors.New("context"), commands.Errorf("no episode %d", 4))
		if got := commands.ErrorReply(err).Text; got != "no episode 4" {
			t.Errorf("ErrorReply text = %q", got)
		}
	})
}

func TestLabel(t *testing.T) {
	tests := []struct {
		ep   feeds.Episode
		want string
	}{
		{feeds.Episode{Number: 17, Title: "Incident BGP"}, "#17 Incident BGP"},
		{feeds.Episode{Title: "Trailer"}, "Trailer"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := commands.Label(tt.ep); got != tt.want {
				t.Errorf("Label = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "help", "/postmortem takeaways 3", "latest 500", "episode #17", "EPISODE dragonblood",
		"\x1b[2J\x1b[31mred", "\u202etakeaways\u200b 3", "@everyone <!channel> <script>alert(1)</script>",
		"\x00\x00\x00", "\xff\xfe\xfd", "/ / / /", "\t\n\r\v\f", "takeaways\u00a0\u3000 3",
		strings.Repeat("a ", 2000), strings.Repeat("é", 2001),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		name, args, err := commands.Parse(text)
		if err != nil {
			var ue *commands.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse error %v is not a UserError", err)
			}
			if len(text) <= commands.MaxText {
				t.Fatalf("Parse rejected %d bytes: %v", len(text), err)
			}
			return
		}
		if len(text) > commands.MaxText {
			t.Fatalf("Parse accepted %d bytes", len(text))
		}
		if name == "" {
			t.Fatal("empty command name")
		}
		for _, s := range append([]string{name}, args...) {
			if s == "" {
				t.Fatalf("empty field in %q %q", name, args)
			}
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
			for _, r := range s {
				if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
					t.Fatalf("field %q has %U", s, r)
				}
			}
		}
		if name != strings.ToLower(name) {
			t.Fatalf("name %q is not lower case", name)
		}
		if len(args) > commands.MaxText/2 {
			t.Fatalf("%d args from %d bytes", len(args), len(text))
		}
		// Dispatch must cope with whatever Parse lets through.
		r := newRouter(fakeCatalog{eps: []feeds.Episode{{Number: 1, Title: "One"}}})
		rep, err := r.Dispatch(context.Background(), commands.Request{Name: name, Args: args})
		if err != nil {
			rep = commands.ErrorReply(err)
		}
		if len(rep.Text) > 2*commands.MaxText {
			t.Fatalf("reply text is %d bytes", len(rep.Text))
		}
	})
}

func TestLatestSmallCatalog(t *testing.T) {
	eps := postMortem(t)
	tests := []struct {
		name       string
		eps        []feeds.Episode
		text       string
		wantHeader string
		wantNums   []int
		wantErr    string
	}{
		{name: "fewer than asked", eps: eps[:2], text: "latest 5", wantHeader: "Latest 2 episodes", wantNums: []int{17, 16}},
		{name: "one when several asked", eps: eps[:1], text: "latest 3", wantHeader: "Latest episode", wantNums: []int{17}},
		{name: "empty", text: "latest", wantErr: "no episodes yet: the feed has not been read, or is empty"},
		{name: "empty episode latest", text: "episode latest", wantErr: "no episodes yet"},
		{name: "empty by number", text: "episode 3", wantErr: "no episode 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := run(t, newRouter(fakeCatalog{eps: tt.eps}), tt.text)
			if tt.wantErr != "" {
				if err == nil || rep.Text != tt.wantErr {
					t.Fatalf("reply %q, err %v; want error %q", rep.Text, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Header != tt.wantHeader {
				t.Errorf("Header = %q, want %q", rep.Header, tt.wantHeader)
			}
			if diff := cmp.Diff(tt.wantNums, numbers(rep.Episodes)); diff != "" {
				t.Errorf("episodes (-want +got):\n%s", diff)
			}
		})
	}
}

// unreadCatalog is a feed whose first poll failed: no episode, and a reason.
type unreadCatalog struct{ fakeCatalog }

func (unreadCatalog) Latest(context.Context, int) ([]feeds.Episode, error) {
	return nil, commands.Errorf("no episodes yet: the feed could not be read (%s); next try at %s UTC", "the feed server failed (500 Internal Server Error)", "10:36")
}

// TestNoEpisodeSaysWhyThereAreNone: "episode 3" or a search on a feed that
// could not be read says why there are no episodes, not "no episode 3" or "no
// episode matches".
func TestNoEpisodeSaysWhyThereAreNone(t *testing.T) {
	r := newRouter(unreadCatalog{})
	for _, text := range []string{"episode 3", "search bgp", "episode incident bgp"} {
		t.Run(text, func(t *testing.T) {
			rep, err := run(t, r, text)
			if !commands.IsUserError(err) || !strings.Contains(rep.Text, "could not be read (the feed server failed") {
				t.Errorf("%s = %q, %v; want why the feed has no episodes", text, rep.Text, err)
			}
		})
	}
}

// TestDispatchDeadline: a command that does not end in time gets an apology in
// words, not a hang; Slow commands are named as such for the adapters.
func TestDispatchDeadline(t *testing.T) {
	r := commands.NewRouter("/postmortem", []commands.Command{{
		Name: "stuck", Slow: true,
		Handler: func(ctx context.Context, _ commands.Request) (commands.Reply, error) {
			<-ctx.Done() // only the deadline ends it
			return commands.Reply{}, ctx.Err()
		},
	}})
	r.Timeout = time.Millisecond
	rep, err := r.Dispatch(context.Background(), commands.Request{Name: "stuck"})
	if !commands.IsUserError(err) || rep.Text != "that took too long; try again in a moment" {
		t.Errorf("stuck command = %q, %v; want the apology", rep.Text, err)
	}
	if !r.Slow("stuck") || r.Slow("help") || r.Slow("nope") {
		t.Errorf("Slow: stuck %v, help %v, nope %v; want true, false, false", r.Slow("stuck"), r.Slow("help"), r.Slow("nope"))
	}
}

// TestCommandTableTypes: every command has a French name that also routes, typed
// options, and says whether it changes subscriptions.
func TestCommandTableTypes(t *testing.T) {
	r := commands.New("/postmortem", commands.Deps{Catalog: fakeCatalog{eps: postMortem(t)}})
	for _, c := range r.Commands() {
		if c.French == "" {
			t.Errorf("%s has no French name", c.Name)
		}
		rep, err := run(t, r, "help "+c.French)
		if err != nil || !strings.Contains(rep.Header, c.Name) {
			t.Errorf("help %s = %q, %v; want the help of %s", c.French, rep.Header, err, c.Name)
		}
		for _, o := range c.Options {
			if o.Name == "" || o.French == "" || o.Description == "" {
				t.Errorf("%s: option %+v lacks a name, French name or description", c.Name, o)
			}
		}
	}
	for name, want := range map[string]bool{"subscribe": true, "abonner": true, "unsub": true, "search": false, "nope": false} {
		if got := r.Manages(name); got != want {
			t.Errorf("Manages(%q) = %v, want %v", name, got, want)
		}
	}
}
