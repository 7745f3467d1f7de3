package discord

import (
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/commands"
)

// permManageChannels is Discord's Manage Channels permission bit.
const permManageChannels int64 = 1 << 4

// maxDescription is the most characters of a slash command's description.
const maxDescription = 100

// ChannelCommandSuffix names the slash command that changes a channel's
// subscriptions: Discord sets permissions per top-level command, so subscribe
// and unsubscribe live under their own, which only members who may manage the
// channel see ("/postmortem-channel subscribe").
const ChannelCommandSuffix = "-channel"

// ApplicationCommands returns the slash commands to register, generated from the
// router's table: /<prefix> with a subcommand per question, and
// /<prefix>-channel with the commands that change subscriptions, which carry the
// Manage Channels permission by default (the handler checks it again). Names and
// descriptions are in English with French localizations.
func ApplicationCommands(r *commands.Router) []*discordgo.ApplicationCommand {
	base := strings.TrimPrefix(r.Prefix, "/")
	msgs := r.Messages()
	questions := &discordgo.ApplicationCommand{
		Type: discordgo.ChatApplicationCommand, Name: base,
		Description:              describe(msgs, commands.English, "Episodes of the podcast: search, takeaways, chapters, links."),
		DescriptionLocalizations: &map[discordgo.Locale]string{discordgo.French: describe(msgs, commands.French, "Episodes of the podcast: search, takeaways, chapters, links.")},
	}
	perm := permManageChannels
	channel := &discordgo.ApplicationCommand{
		Type: discordgo.ChatApplicationCommand, Name: base + ChannelCommandSuffix,
		NameLocalizations:        &map[discordgo.Locale]string{discordgo.French: base + "-salon"},
		Description:              describe(msgs, commands.English, "Announce the podcast in this channel, or stop (channel managers)."),
		DescriptionLocalizations: &map[discordgo.Locale]string{discordgo.French: describe(msgs, commands.French, "Announce the podcast in this channel, or stop (channel managers).")},
		DefaultMemberPermissions: &perm,
	}
	for _, c := range r.Commands() {
		sub := &discordgo.ApplicationCommandOption{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: c.Name,
			Description:              describe(msgs, commands.English, c.Description),
			DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: describe(msgs, commands.French, c.Description)},
		}
		if c.French != "" && c.French != c.Name {
			sub.NameLocalizations = map[discordgo.Locale]string{discordgo.French: c.French}
		}
		for _, o := range c.Options {
			sub.Options = append(sub.Options, option(r, o))
		}
		if c.Manage {
			channel.Options = append(channel.Options, sub)
		} else {
			questions.Options = append(questions.Options, sub)
		}
	}
	return []*discordgo.ApplicationCommand{questions, channel}
}

// option is one typed argument as Discord declares it.
func option(r *commands.Router, o commands.Option) *discordgo.ApplicationCommandOption {
	msgs := r.Messages()
	opt := &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionString, Name: o.Name, Required: o.Required,
		Description:              describe(msgs, commands.English, o.Description),
		DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: describe(msgs, commands.French, o.Description)},
	}
	if o.French != "" && o.French != o.Name {
		opt.NameLocalizations = map[discordgo.Locale]string{discordgo.French: o.French}
	}
	switch o.Kind {
	case commands.OptionEpisode:
		opt.Autocomplete = true
	case commands.OptionText:
		opt.MaxLength = commands.MaxQuery
		opt.Autocomplete = o.Suggest
	case commands.OptionInteger:
		opt.Type = discordgo.ApplicationCommandOptionInteger
		lo := float64(o.Min)
		opt.MinValue, opt.MaxValue = &lo, float64(o.Max)
	case commands.OptionCommand:
		for _, c := range r.Commands() {
			if len(opt.Choices) == 25 {
				break
			}
			ch := &discordgo.ApplicationCommandOptionChoice{Name: c.Name, Value: c.Name}
			if c.French != "" && c.French != c.Name {
				ch.NameLocalizations = map[discordgo.Locale]string{discordgo.French: c.French}
			}
			opt.Choices = append(opt.Choices, ch)
		}
	}
	return opt
}

// describe is a description in lang, cut to Discord's 100 characters.
func describe(msgs *commands.Messages, lang, key string) string {
	s := msgs.Sprintf(lang, key)
	if r := []rune(s); len(r) > maxDescription {
		s = string(r[:maxDescription-1]) + "…"
	}
	return s
}
