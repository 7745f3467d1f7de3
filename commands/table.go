package commands

import (
	"context"
	"math/rand/v2"
	"time"
)

// Deps is what the commands talk to. Any of them may be nil: its commands then
// answer that they are not available here, so an adapter can be wired piece by
// piece (the console with no subscriptions, a test with a catalogue only).
type Deps struct {
	Catalog       Catalog
	Search        Searcher
	Subscriptions Subscriptions
	Status        Statuser
	Digests       Digester
	// Rand returns a number in [0, n) for `random`; math/rand/v2 when nil.
	Rand func(n int) int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// New returns a router over the whole command table of DESIGN.md: search, latest,
// episode, takeaways, chapters, links, random, digest, subscribe, unsubscribe,
// subscriptions, status and help. prefix is the slash command as users type it.
func New(prefix string, deps Deps) *Router {
	h := newHandlers(deps)
	cmds := h.episodeCommands()
	cmds = append(cmds, h.channelCommands()...)
	r := NewRouter(prefix, cmds)
	if deps.Catalog != nil {
		r.suggestEpisodes = func(ctx context.Context, typed string) ([]Choice, error) {
			return SuggestEpisodes(ctx, deps.Catalog, deps.Search, typed)
		}
	}
	return r
}

// EpisodeCommands returns the question commands over a catalogue alone (search by
// title and notes, latest, episode, takeaways, chapters, links, random), for
// NewRouter. New gives the whole table.
func EpisodeCommands(cat Catalog) []Command {
	return newHandlers(Deps{Catalog: cat}).episodeCommands()
}

// handlers holds the dependencies the command handlers close over.
type handlers struct {
	deps Deps
	msgs *Messages
}

func newHandlers(deps Deps) *handlers {
	if deps.Rand == nil {
		deps.Rand = rand.IntN
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &handlers{deps: deps, msgs: DefaultMessages()}
}

// needs wraps a handler whose dependency may be missing: ok false answers "not
// available here" instead of calling through a nil interface.
func needs(name string, ok bool, h Handler) Handler {
	if ok {
		return h
	}
	return func(context.Context, Request) (Reply, error) {
		return Reply{}, Errorf("`%s` is not available here: this bot was set up without it", name)
	}
}

// episodeOption is the argument of the commands about one episode.
var episodeOption = Option{Name: "episode", French: "épisode", Description: "A number, latest, or words of its title.", Kind: OptionEpisode, Required: true}

func (h *handlers) episodeCommands() []Command {
	cat := h.deps.Catalog != nil
	return []Command{
		{
			Name:        "search",
			French:      "chercher",
			Options:     []Option{{Name: "words", French: "mots", Description: "Words to look for, in French or English.", Kind: OptionText, Required: true, Suggest: true}},
			Aliases:     []string{"find", "cherche", "chercher", "recherche"},
			Usage:       "search <words>",
			Description: "Find episodes by title, notes, takeaways and links.",
			Examples:    []string{"search bgp", "search anonymisation"},
			Handler:     needs("search", cat || h.deps.Search != nil, h.search),
		},
		{
			Name:        "latest",
			French:      "derniers",
			Options:     []Option{{Name: "count", French: "nombre", Description: "How many of the newest episodes.", Kind: OptionInteger, Min: 1, Max: 10}},
			Aliases:     []string{"last", "new", "dernier"},
			Usage:       "latest [n]",
			Description: "Show the newest episode, or the n newest.",
			Examples:    []string{"latest", "latest 3"},
			Handler:     needs("latest", cat, h.latest),
		},
		{
			Name:        "episode",
			French:      "épisode",
			Options:     []Option{episodeOption},
			Aliases:     []string{"ep", "show", "épisode"},
			Usage:       "episode <n|latest|words>",
			Description: "Show one episode: summary, takeaways, links.",
			Examples:    []string{"episode 17", "episode latest", "episode dragonblood"},
			Handler:     needs("episode", cat, h.episode),
		},
		{
			Name:        "takeaways",
			French:      "points-clés",
			Options:     []Option{episodeOption},
			Aliases:     []string{"takeaway", "keypoints", "pointscles"},
			Usage:       "takeaways <n|latest>",
			Description: "The key takeaways of an episode.",
			Examples:    []string{"takeaways 3", "takeaways latest"},
			Handler:     needs("takeaways", cat, h.takeaways),
		},
		{
			Name:        "chapters",
			French:      "chapitres",
			Options:     []Option{episodeOption},
			Aliases:     []string{"chapter", "chapitres", "chapitre"},
			Usage:       "chapters <n>",
			Description: "The chapters of an episode, with their times.",
			Examples:    []string{"chapters 17"},
			Handler:     needs("chapters", cat, h.chapters),
		},
		{
			Name:        "links",
			French:      "liens",
			Options:     []Option{episodeOption},
			Aliases:     []string{"link", "liens", "lien"},
			Usage:       "links <n>",
			Description: "The links of an episode's notes, by section.",
			Examples:    []string{"links 3"},
			Handler:     needs("links", cat, h.links),
		},
		{
			Name:        "random",
			French:      "hasard",
			Aliases:     []string{"hasard", "surprise"},
			Usage:       "random",
			Description: "A random episode from the back catalogue.",
			Examples:    []string{"random"},
			Handler:     needs("random", cat, h.random),
		},
	}
}

func (h *handlers) channelCommands() []Command {
	subs := h.deps.Subscriptions != nil
	return []Command{
		{
			Name:        "digest",
			French:      "résumé",
			Aliases:     []string{"résumé", "resume"},
			Usage:       "digest",
			Description: "Preview this channel's weekly digest.",
			Examples:    []string{"digest"},
			Handler:     needs("digest", h.deps.Digests != nil, h.digest),
			// It composes a week of episodes, and the next schedule, from the store.
			Slow: true,
		},
		{
			Name:        "subscribe",
			French:      "abonner",
			Options:     []Option{{Name: "topics", French: "sujets", Description: "Only episodes about these topics (words).", Kind: OptionText}},
			Manage:      true,
			Aliases:     []string{"sub", "abonner"},
			Usage:       "subscribe [topics…]",
			Description: "Announce new episodes in this channel, optionally only those about some topics (channel managers).",
			Examples:    []string{"subscribe", "subscribe security bgp"},
			Handler:     needs("subscribe", subs, h.subscribe),
		},
		{
			Name:        "unsubscribe",
			French:      "désabonner",
			Manage:      true,
			Aliases:     []string{"unsub", "désabonner", "desabonner"},
			Usage:       "unsubscribe",
			Description: "Stop announcing episodes in this channel (channel managers).",
			Examples:    []string{"unsubscribe"},
			Handler:     needs("unsubscribe", subs, h.unsubscribe),
		},
		{
			Name:        "subscriptions",
			French:      "abonnements",
			Aliases:     []string{"subs", "abonnements"},
			Usage:       "subscriptions",
			Description: "What this channel follows: topics, language, digest.",
			Examples:    []string{"subscriptions"},
			Handler:     needs("subscriptions", subs, h.subscriptions),
		},
		{
			Name:        "status",
			French:      "statut",
			Aliases:     []string{"statut", "health"},
			Usage:       "status",
			Description: "The bot's health: feeds, deliveries, version.",
			Examples:    []string{"status"},
			Handler:     needs("status", h.deps.Status != nil, h.status),
		},
	}
}
