package main

import (
	"context"
	"fmt"
	"time"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/config"
	"github.com/pmbot/pmbot/store"
)

// newDiscord builds the Discord adapter from the configuration.
func (a *app) newDiscord() (*discord.Adapter, error) {
	d := a.cfg.Discord
	var hold func(ctx context.Context, name string, run func(context.Context) error) error
	if leaser, ok := a.db.(store.Leaser); ok {
		// Replicas on one database: one at a time connects each shard, or
		// both would receive (and answer) every interaction. On SQLite the
		// lease is always held.
		hold = func(ctx context.Context, name string, run func(context.Context) error) error {
			return bot.Leased{
				Leaser: leaser, Name: name, Logger: a.log.With("component", "discord"),
				Held:    "holding a Discord shard: this replica answers its interactions",
				Waiting: "another replica holds this Discord shard; this one takes it over if that one stops",
				Lost:    "lost a Discord shard's lease: its connection is closed here until the lease is taken again",
			}.Run(ctx, run)
		}
	}
	return discord.New(discord.Options{
		BotToken: d.BotToken.Value(), ApplicationID: d.ApplicationID, PublicKey: d.PublicKey,
		APIURL: d.API(), GuildIDs: d.GuildIDs, Threads: a.cfg.DiscordThreads(), Language: a.cfg.Language,
		Router: a.router, Logger: a.log.With("component", "discord"),
		// A restart may follow a burst of its predecessor's.
		HoldAtStart: time.Second,
		Shards:      d.Shards,
		HoldShard:   hold,
	})
}

// checkDiscord says which bot user the token is, how to invite it, and which
// privileged intents it does not need.
func checkDiscord(ctx context.Context, cfg config.Config) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := discord.NewSession(cfg.Discord.BotToken.Value(), cfg.Discord.API(), 15*time.Second)
	if err != nil {
		return nil, err
	}
	id, err := discord.Check(ctx, s)
	if err != nil {
		return nil, err
	}
	lines := []string{fmt.Sprintf("the token is the bot %s (%s)", id.Username, id.ID)}
	if cfg.Discord.ApplicationID != "" {
		lines = append(lines, "invite it with "+discord.InviteURL(cfg.Discord.ApplicationID))
	} else {
		lines = append(lines, "set discord.application_id (or PMBOT_DISCORD_APPLICATION_ID) to get the invite URL")
	}
	lines = append(lines, "no privileged intent is needed (Message Content, Server Members and Presence can stay off)")
	return lines, nil
}

// replicaCounter is a store that counts the replicas running on it.
type replicaCounter interface {
	JoinReplicas(ctx context.Context) (store.Lease, error)
	Replicas(ctx context.Context) (int, error)
}

// replicaCheck is how often a replica counts the others: a replica that starts
// or stops changes each one's share of the platforms' rate limits within it.
const replicaCheck = 2 * time.Second

// logJoinWait is what a replica logs when it waits for the others to count it.
const logJoinWait = "waiting for the other replicas to count this one before posting"

// shareRates counts this process among the replicas on the database and keeps
// the Slack and Discord adapters to their share of the limits the platforms
// count over every replica of the bot (Discord's requests a second for the bot,
// Slack's posts a minute in the workspace), until ctx ends. start is called
// once the first count is made, so that no post goes out on a share not yet
// known; without a platform, at once.
func (a *app) shareRates(ctx context.Context, start func()) {
	r, ok := a.db.(replicaCounter)
	if (a.discord == nil && a.slack == nil) || !ok {
		start()
		return
	}
	var joined store.Lease
	defer func() {
		if joined != nil {
			joined.Release()
		}
	}()
	last := 0
	for {
		if joined != nil {
			select {
			case <-joined.Lost():
				joined = nil // its connection failed: join again
			default:
			}
		}
		if joined == nil {
			var err error
			if joined, err = r.JoinReplicas(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("cannot count this replica among the others", "err", err)
			}
		}
		if n, err := r.Replicas(ctx); err == nil && n != last {
			if a.discord != nil {
				a.discord.ShareGlobalRate(n)
			}
			if a.slack != nil {
				a.slack.ShareRate(n)
			}
			if n > 1 || last > 1 {
				a.log.Info("replicas share the platforms' rate limits", "replicas", n)
			}
			last = n
		}
		if start != nil {
			if last > 1 {
				// The others count this replica within replicaCheck; until
				// then they post at their old share, so this one waits for
				// them rather than posting on top of it.
				a.log.Info(logJoinWait, "replicas", last)
				if bot.Sleep(ctx, replicaCheck+replicaCheck/4) != nil {
					return
				}
			}
			start()
			start = nil
		}
		if bot.Sleep(ctx, replicaCheck) != nil {
			return
		}
	}
}
