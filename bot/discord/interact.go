package discord

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
)

// suggestTimeout bounds an autocomplete answer: Discord shows nothing after 3
// s, and suggestions are only worth it at typing speed.
const suggestTimeout = time.Second

// responder sends an interaction's first response: through REST for the
// gateway, in the HTTP response for the interactions endpoint.
type responder func(ctx context.Context, r *discordgo.InteractionResponse) error

// invocation is what an interaction asks the router.
type invocation struct {
	// line is the command line ("takeaways 12").
	line string
	// private says whether the reply is for the asker alone: questions and
	// clicks are; a change to the channel's subscriptions and a share are not.
	private bool
	// share posts the reply in the channel (the "Share in channel" button).
	share bool
}

// interact answers one interaction, through respond and then followups, within
// Discord's 3 seconds and 15 minutes. It returns when the answer is given.
func (a *Adapter) interact(ctx context.Context, i *discordgo.Interaction, respond responder) {
	// An interaction under way is answered even when the bot is stopping: the
	// user is waiting. commands.Timeout and REST timeouts bound it.
	ctx = context.WithoutCancel(ctx)
	switch i.Type {
	case discordgo.InteractionApplicationCommandAutocomplete:
		a.autocomplete(ctx, i, respond)
	case discordgo.InteractionApplicationCommand:
		d := i.ApplicationCommandData()
		line := commandLine(d)
		a.answer(ctx, i, invocation{line: line, private: !a.opts.Router.Manages(commands.CommandName(line))}, respond)
	case discordgo.InteractionMessageComponent:
		kind, line, ok := ParseCustomID(i.MessageComponentData().CustomID)
		if !ok {
			// A button we did not write, or one of an older version: say so
			// rather than let Discord show "interaction failed".
			a.reply(ctx, i, respond, a.opts.Router.Messages().ErrorReply(a.language(i), commands.Errorf("this button does not do anything any more")))
			return
		}
		a.answer(ctx, i, invocation{line: line, private: kind == ActionCommand, share: kind == ActionShare}, respond)
	default:
		a.log.Warn("interaction of an unexpected type ignored", "type", int(i.Type))
	}
}

// commandLine turns a slash command's data into the command line the router
// reads: the subcommand, then its options' values in order.
func commandLine(d discordgo.ApplicationCommandInteractionData) string {
	parts := []string{}
	opts := d.Options
	if len(opts) == 1 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		parts = append(parts, opts[0].Name)
		opts = opts[0].Options
	}
	for _, o := range opts {
		parts = append(parts, optionValue(o))
	}
	return strings.Join(parts, " ")
}

// optionValue is an option's value as text.
func optionValue(o *discordgo.ApplicationCommandInteractionDataOption) string {
	switch v := o.Value.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return fmt.Sprint(o.Value)
}

// answer runs an invocation and answers it: at once (type 4) when the reply is
// ready within commands.QuickReply, else deferred (type 5) and completed by
// editing the deferred answer, or replacing it when its privacy differs.
func (a *Adapter) answer(ctx context.Context, i *discordgo.Interaction, inv invocation, respond responder) {
	done := make(chan Payload, 1)
	go func() { done <- a.run(ctx, i, inv) }()
	var p Payload
	wait := commands.QuickReply
	if a.opts.Router.Slow(commands.CommandName(inv.line)) {
		wait = 0
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case p = <-done:
		a.respond(ctx, i, respond, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: p.InteractionData()})
		return
	case <-timer.C:
	}
	var flags discordgo.MessageFlags
	if inv.private {
		flags = discordgo.MessageFlagsEphemeral
	}
	deferred := &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: flags},
	}
	if !a.respond(ctx, i, respond, deferred) {
		<-done
		return
	}
	p = <-done
	if err := a.complete(ctx, i, p, inv.private); err != nil {
		a.log.Error("deferred reply could not be sent", "user", userID(i), "channel", i.ChannelID, "err", err)
	}
}

// respond sends the first response and reports whether it went.
func (a *Adapter) respond(ctx context.Context, i *discordgo.Interaction, respond responder, r *discordgo.InteractionResponse) bool {
	if err := respond(ctx, r); err != nil {
		a.log.Error("interaction could not be answered", "user", userID(i), "channel", i.ChannelID, "type", int(r.Type), "err", err)
		return false
	}
	return true
}

// reply answers at once with a reply.
func (a *Adapter) reply(ctx context.Context, i *discordgo.Interaction, respond responder, r commands.Reply) {
	a.respond(ctx, i, respond, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: RenderReply(r).InteractionData()})
}

// complete replaces a deferred answer's loading message with the reply. A
// deferred answer cannot change between private and public: when the reply's
// privacy differs (an error to a change of subscriptions), the loading
// message goes and the reply follows up.
func (a *Adapter) complete(ctx context.Context, i *discordgo.Interaction, p Payload, deferredPrivate bool) error {
	opt := discordgo.WithContext(ctx)
	if p.Private() == deferredPrivate {
		content, embeds, comps := p.Content, nonNil(p.Embeds), nonNil(p.Components)
		_, err := a.replies.InteractionResponseEdit(i, &discordgo.WebhookEdit{
			Content: &content, Embeds: &embeds, Components: &comps, AllowedMentions: noMentions(),
		}, opt)
		if err != nil {
			return fmt.Errorf("discord: edit the deferred answer: %w", err)
		}
		return nil
	}
	if err := a.replies.InteractionResponseDelete(i, opt); err != nil {
		a.log.Warn("deferred answer could not be removed", "err", err)
	}
	d := p.InteractionData()
	_, err := a.replies.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
		Content: d.Content, Embeds: d.Embeds, Components: d.Components, AllowedMentions: d.AllowedMentions, Flags: d.Flags,
	}, opt)
	if err != nil {
		return fmt.Errorf("discord: follow up: %w", err)
	}
	return nil
}

// run answers an invocation's command line, rendered.
func (a *Adapter) run(ctx context.Context, i *discordgo.Interaction, inv invocation) (p Payload) {
	lang := a.language(i)
	defer func() {
		// A handler's bug must cost one answer, not the bot.
		if r := recover(); r != nil {
			a.log.Error("command panicked", "command", commands.CommandName(inv.line), "panic", fmt.Sprint(r))
			p = RenderReply(a.opts.Router.Messages().ErrorReply(lang, fmt.Errorf("panic: %v", r)))
		}
	}()
	req := commands.Request{
		UserID: userID(i), ChannelID: i.ChannelID, Platform: Platform,
		Locale: string(i.Locale), ChannelLanguage: a.opts.Language,
	}
	if a.opts.Router.Manages(commands.CommandName(inv.line)) {
		req.CanManage = canManage(i)
	}
	rep, err := a.opts.Router.Answer(ctx, req, inv.line)
	if err != nil && !commands.IsUserError(err) {
		a.log.Error("command failed", "command", commands.CommandName(inv.line), "err", err)
	}
	switch {
	case inv.share && err == nil:
		rep = rep.Shared()
	case inv.private:
		rep.Private = true
	}
	return RenderReply(rep)
}

// language is the language of the interaction's user, else the bot's.
func (a *Adapter) language(i *discordgo.Interaction) string {
	return commands.Language(string(i.Locale), a.opts.Language)
}

// userID is who interacted: a member in a server, a user in a DM.
func userID(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}

// canManage says whether the member may manage the channel: Manage Channels
// or Administrator, in the permissions Discord computed for this channel. The
// command's default_member_permissions hides it from others, but a server's
// admins can change that: the check is made again here.
func canManage(i *discordgo.Interaction) bool {
	if i.Member == nil {
		return false // a DM has no channel to manage
	}
	return i.Member.Permissions&(discordgo.PermissionManageChannels|discordgo.PermissionAdministrator) != 0
}

// autocomplete suggests episodes for the option being typed (type 8, at most
// 25 choices of at most 100 characters). For search words, what was typed
// comes first, so that it can be searched as it is.
func (a *Adapter) autocomplete(ctx context.Context, i *discordgo.Interaction, respond responder) {
	var typed, name string
	d := i.ApplicationCommandData()
	opts := d.Options
	if len(opts) == 1 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		name, opts = opts[0].Name, opts[0].Options
	}
	for _, o := range opts {
		if o.Focused {
			typed = optionValue(o)
		}
	}
	var choices []*discordgo.ApplicationCommandOptionChoice
	add := func(label, value string) {
		label, _ = clipPlain(chattext.Line(label), maxChoice)
		value, _ = clipPlain(chattext.Line(value), maxChoice)
		if label != "" && value != "" && len(choices) < commands.MaxChoices {
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: label, Value: value})
		}
	}
	words := name == "search"
	if words {
		add(typed, typed)
	}
	sctx, cancel := context.WithTimeout(ctx, suggestTimeout)
	found, err := a.opts.Router.Suggest(sctx, typed)
	cancel()
	if err != nil {
		a.log.Warn("no suggestions", "typed", typed, "err", err)
	}
	for _, c := range found {
		if words {
			add(c.Name, c.Name)
		} else {
			add(c.Name, c.Value)
		}
	}
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	a.respond(ctx, i, respond, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	})
}

// maxChoice is the most characters of a choice's name and value.
const maxChoice = 100
