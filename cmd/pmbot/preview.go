package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/bot/slack"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// previewFlags are the flags of `pmbot preview`.
type previewFlags struct {
	platform string
	episode  string
	latest   bool
	summary  int
	digest   bool
	command  string
}

// previewFlagNames are preview's own flags, for the command table.
var previewFlagNames = []string{"platform", "episode", "latest", "summary", "digest", "command"}

func (p *previewFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.platform, "platform", "", "")
	fs.StringVar(&p.episode, "episode", "", "")
	fs.BoolVar(&p.latest, "latest", false, "")
	fs.IntVar(&p.summary, "summary", 0, "")
	fs.BoolVar(&p.digest, "digest", false, "")
	fs.StringVar(&p.command, "command", "", "")
}

// checkPreview refuses a preview that does not say, once, what to show where
// (checkArgs calls it with the other commands' checks).
func checkPreview(c cli) error {
	switch c.preview.platform {
	case "slack", "discord":
	case "":
		return usageError{"preview needs --platform slack or --platform discord"}
	default:
		return usageError{fmt.Sprintf("--platform %s: use slack or discord", printable(clip(c.preview.platform, 20)))}
	}
	what := 0
	for _, f := range []string{"episode", "latest", "summary", "digest", "command"} {
		if c.given[f] {
			what++
		}
	}
	if what != 1 {
		return usageError{"preview needs one of --episode N, --latest, --summary N, --digest or --command \"TEXT\""}
	}
	if c.given["summary"] && (c.preview.summary < 2 || c.preview.summary > bot.MaxItems*10) {
		return usageError{fmt.Sprintf("--summary %d: give a number of episodes from 2 to %d", c.preview.summary, bot.MaxItems*10)}
	}
	return nil
}

// cmdPreview prints the exact JSON the platform would get for a message or a
// command's reply (Slack's chat.postMessage or response; Discord's Create
// Message), without credentials or a connection.
func cmdPreview(ctx context.Context, c cli, _ io.Reader, stdout, stderr io.Writer, env []string) error {
	a, err := openQuery(ctx, c, stderr, env)
	if err != nil {
		return err
	}
	defer a.Close()
	var p interface{ Preview() ([]byte, error) }
	if c.preview.command != "" {
		req := commands.Request{UserID: "U0PREVIEW", ChannelID: "C0PREVIEW", Platform: c.preview.platform, ChannelLanguage: a.cfg.Language}
		rep, _ := a.router.Answer(ctx, req, c.preview.command) // an error is a reply too
		p = slack.RenderReply(rep)
		if c.preview.platform == "discord" {
			p = discord.RenderReply(rep)
		}
	} else {
		msg, err := a.previewMessage(ctx, c.preview)
		if err != nil {
			return err
		}
		p = slack.RenderMessage(msg)
		if c.preview.platform == "discord" {
			p = discord.RenderMessage(msg)
		}
	}
	out, err := p.Preview()
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

// previewMessage composes the message a preview asks for, as the dispatcher would.
func (a *app) previewMessage(ctx context.Context, p previewFlags) (bot.Message, error) {
	kind := bot.MessageEpisode
	var eps []feeds.Episode
	switch {
	case p.digest:
		comp, err := composeDigest(ctx, a, cli{})
		if err != nil {
			return bot.Message{}, err
		}
		kind = comp.MessageKind()
		for _, e := range comp.Episodes {
			eps = append(eps, e.Episode)
		}
	case p.summary > 0:
		latest, err := a.catalog().Latest(ctx, p.summary)
		if err != nil {
			return bot.Message{}, err
		}
		kind = bot.MessageSummary
		for i := len(latest) - 1; i >= 0; i-- { // oldest first, as polls enqueue them
			eps = append(eps, latest[i])
		}
	default:
		arg := "latest"
		if !p.latest {
			arg = p.episode
		}
		if _, err := strconv.Atoi(arg); err != nil && arg != "latest" {
			return bot.Message{}, usageError{fmt.Sprintf("--episode %s: give an episode number", printable(clip(arg, 20)))}
		}
		ep, err := commands.FindEpisode(ctx, a.catalog(), nil, []string{arg})
		if err != nil {
			return bot.Message{}, err
		}
		eps = []feeds.Episode{ep}
	}
	f, err := a.db.FeedByName(ctx, a.cfg.Feeds[0].Name)
	if err != nil {
		return bot.Message{}, err
	}
	title, err := a.db.FeedTitle(ctx, f.ID)
	if err != nil {
		return bot.Message{}, err
	}
	return bot.ComposeMessage(kind, title, a.cfg.Language, a.router.Prefix, eps), nil
}
