package main

import (
	"context"
	"fmt"
	"time"

	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/config"
)

// newDiscord builds the Discord adapter from the configuration.
func (a *app) newDiscord() (*discord.Adapter, error) {
	d := a.cfg.Discord
	return discord.New(discord.Options{
		BotToken: d.BotToken.Value(), ApplicationID: d.ApplicationID, PublicKey: d.PublicKey,
		APIURL: d.API(), GuildIDs: d.GuildIDs, Threads: a.cfg.DiscordThreads(), Language: a.cfg.Language,
		Router: a.router, Logger: a.log.With("component", "discord"),
		// A restart may follow a burst of its predecessor's.
		HoldAtStart: time.Second,
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
