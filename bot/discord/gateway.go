package discord

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot"
)

// callbackBody is an interaction response as Discord takes it, with nothing
// it does not need: discordgo's InteractionResponse writes empty content,
// null embeds and no choices at all for an empty list.
func callbackBody(r *discordgo.InteractionResponse) any {
	out := map[string]any{"type": r.Type}
	switch r.Type {
	case discordgo.InteractionResponseDeferredChannelMessageWithSource:
		if r.Data != nil && r.Data.Flags&discordgo.MessageFlagsEphemeral != 0 {
			out["data"] = map[string]any{"flags": discordgo.MessageFlagsEphemeral}
		}
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		choices := []*discordgo.ApplicationCommandOptionChoice{}
		if r.Data != nil && r.Data.Choices != nil {
			choices = r.Data.Choices
		}
		out["data"] = map[string]any{"choices": choices}
	case discordgo.InteractionResponsePong:
	default:
		out["data"] = r.Data
	}
	return out
}

// marshalCallback writes a callback body as JSON, without HTML escaping.
func marshalCallback(r *discordgo.InteractionResponse) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(callbackBody(r)); err != nil {
		return nil, fmt.Errorf("discord: interaction response: %w", err)
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

// restResponder answers an interaction through
// POST /interactions/{id}/{token}/callback, as gateway interactions must be.
// Interaction callbacks are not bound by the global rate limit.
func (a *Adapter) restResponder(i *discordgo.Interaction) responder {
	return func(ctx context.Context, r *discordgo.InteractionResponse) error {
		u := discordgo.EndpointInteractionResponse(i.ID, i.Token)
		if _, err := a.replies.RequestWithBucketID(http.MethodPost, u, callbackBody(r), u, discordgo.WithContext(ctx)); err != nil {
			return fmt.Errorf("discord: interaction callback: %w", err)
		}
		return nil
	}
}

// RunGateway registers the slash commands (when they changed), then answers
// interactions from the gateway, on every shard (Options.Shards), until ctx
// ends. Each shard's connection runs under Options.HoldShard when set: replicas
// sharing a database hold a lease per shard (ShardLease), since two connections
// on one shard each receive every interaction. It returns when the connections
// are closed; call Wait then for the answers under way.
func (a *Adapter) RunGateway(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	if err := a.register(ctx); err != nil {
		// Tried again meanwhile; commands registered earlier still work.
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.registerUntilDone(ctx)
		}()
	}
	errs := make([]error, a.opts.Shards)
	wg.Add(a.opts.Shards)
	for id := range a.opts.Shards {
		go func() {
			defer wg.Done()
			run := func(ctx context.Context) error { return a.RunShard(ctx, id) }
			if a.opts.HoldShard != nil {
				errs[id] = a.opts.HoldShard(ctx, a.ShardLease(id), run)
			} else {
				errs[id] = run(ctx)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ShardLease is the name of the lease under which one replica at a time holds
// shard id's gateway connection: one per application and shard count, so that
// replicas configured alike share it.
func (a *Adapter) ShardLease(id int) string {
	app := a.opts.ApplicationID
	if app == "" {
		// Without an application id, the token's hash names the bot (never
		// the token itself).
		sum := sha256.Sum256([]byte(a.opts.BotToken))
		app = hex.EncodeToString(sum[:8])
	}
	return fmt.Sprintf("discord-gateway:%s:%d/%d", app, id, a.opts.Shards)
}

// RunShard answers interactions from shard id's gateway connection until ctx
// ends. discordgo keeps the connection: it heartbeats, resumes after a drop or
// an op 7, and identifies again after an op 9. A first connection that fails (a
// 429, Discord down) is tried again until ctx ends. It returns nil once the
// connection is closed.
func (a *Adapter) RunShard(ctx context.Context, id int) error {
	if id < 0 || id >= a.opts.Shards {
		return fmt.Errorf("discord: shard %d of %d", id, a.opts.Shards)
	}
	s, err := a.gatewaySession(id)
	if err != nil {
		return err
	}
	remove := s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		a.inflight.Add(1)
		defer a.inflight.Done()
		a.interact(ctx, ic.Interaction, a.restResponder(ic.Interaction))
	})
	defer remove()
	ready := s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		a.log.Info("connected to the Discord gateway", "bot", r.User.Username, "servers", len(r.Guilds), "shard", fmt.Sprintf("%d/%d", id, a.opts.Shards))
	})
	defer ready()
	err = retry(ctx, func() error {
		if err := a.wait(ctx, "gateway", discordgo.EndpointGateway); err != nil {
			return err
		}
		return s.Open()
	}, func(err error, next time.Duration) {
		a.log.Warn("cannot connect to the Discord gateway yet; trying again", "in", next, "err", err)
	})
	if err != nil {
		return nil // stopped before connecting
	}
	a.mu.Lock()
	a.gateways[s] = true
	a.mu.Unlock()
	<-ctx.Done()
	a.mu.Lock()
	delete(a.gateways, s)
	a.mu.Unlock()
	if err := s.Close(); err != nil {
		return fmt.Errorf("discord: close the gateway: %w", err)
	}
	return nil
}

// gatewaySession is a session of its own for one shard's connection: a
// connection's state (which channels are forums) is read by the poster while
// it is open, and a shard's connection comes and goes with its lease.
func (a *Adapter) gatewaySession(id int) (*discordgo.Session, error) {
	s, err := NewSession(a.opts.BotToken, a.opts.APIURL, a.opts.Timeout)
	if err != nil {
		return nil, err
	}
	s.Client.Transport = globalWatch{pace: a.pace, next: s.Client.Transport}
	// Interactions need no intent; Guilds (not privileged) tells the poster
	// which channels are forums.
	s.Identify.Intents = discordgo.IntentsGuilds
	s.ShardID, s.ShardCount = id, a.opts.Shards
	return s, nil
}

// register registers the commands once. A failure no retry fixes (a bad
// token, an invalid command) is logged and reported as done.
func (a *Adapter) register(ctx context.Context) error {
	err := a.Register(ctx)
	var re *discordgo.RESTError
	if err != nil && (a.opts.ApplicationID == "" || errors.As(err, &re) && re.Response != nil && re.Response.StatusCode/100 == 4 && re.Response.StatusCode != http.StatusTooManyRequests) {
		a.log.Error("slash commands not registered", "err", err)
		return nil
	}
	return err
}

// registerUntilDone registers the commands, trying again after a failure that
// may pass (a 429, a server error) until ctx ends.
func (a *Adapter) registerUntilDone(ctx context.Context) {
	retry(ctx, func() error { return a.register(ctx) }, func(err error, next time.Duration) {
		a.log.Warn("slash commands not registered yet; trying again", "in", next, "err", err)
	})
}

// retry calls f until it succeeds or ctx ends, waiting between attempts what a
// rate limit asked, else from one second doubling to a minute; it returns
// ctx's error when ctx ended first.
func retry(ctx context.Context, f func() error, failed func(err error, next time.Duration)) error {
	backoff := time.Second
	for {
		err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		next := backoff
		var ra *bot.RetryAfterError
		var rl *discordgo.RateLimitError
		switch {
		case errors.As(err, &ra):
			next = max(ra.After, 100*time.Millisecond)
		case errors.As(err, &rl) && rl.TooManyRequests != nil:
			next = max(rl.RetryAfter, 100*time.Millisecond)
		default:
			backoff = min(2*backoff, time.Minute)
		}
		failed(err, next)
		if err := bot.Sleep(ctx, next); err != nil {
			return err
		}
	}
}

// Register puts the slash commands generated from the router's table in
// place, globally or in Options.GuildIDs, by bulk overwrite: only where what
// is registered differs, since each new command counts against a daily limit.
func (a *Adapter) Register(ctx context.Context) error {
	if a.opts.ApplicationID == "" {
		return fmt.Errorf("discord: no application id: set discord.application_id (PMBOT_DISCORD_APPLICATION_ID)")
	}
	want := ApplicationCommands(a.opts.Router)
	scopes := a.opts.GuildIDs
	if len(scopes) == 0 {
		scopes = []string{""}
	}
	for _, guild := range scopes {
		endpoint := discordgo.EndpointApplicationGlobalCommands(a.opts.ApplicationID)
		if guild != "" {
			endpoint = discordgo.EndpointApplicationGuildCommands(a.opts.ApplicationID, guild)
		}
		if err := a.wait(ctx, "commands", "GET "+endpoint); err != nil {
			return err
		}
		have, err := a.session.ApplicationCommands(a.opts.ApplicationID, guild, discordgo.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("discord: list commands: %w", err)
		}
		if SameCommands(have, want) {
			a.log.Debug("slash commands up to date", "guild", guild)
			continue
		}
		if err := a.wait(ctx, "commands", endpoint); err != nil {
			return err
		}
		if _, err := a.session.ApplicationCommandBulkOverwrite(a.opts.ApplicationID, guild, want, discordgo.WithContext(ctx)); err != nil {
			return fmt.Errorf("discord: register commands: %w", err)
		}
		a.log.Info("slash commands registered", "guild", guild, "commands", len(want))
	}
	return nil
}

// SameCommands says whether two command lists declare the same commands, as
// far as users see them: names, descriptions, localizations, permissions and
// options. Ids, versions and fields Discord adds are left out.
func SameCommands(a, b []*discordgo.ApplicationCommand) bool {
	return bytes.Equal(commandsShape(a), commandsShape(b))
}

// commandShape is the part of a command registration compares.
type commandShape struct {
	Type         discordgo.ApplicationCommandType
	Name         string
	Names        map[discordgo.Locale]string
	Description  string
	Descriptions map[discordgo.Locale]string
	Permissions  *int64
	Options      []optionShape
}

type optionShape struct {
	Type                discordgo.ApplicationCommandOptionType
	Name, Description   string
	Names, Descriptions map[discordgo.Locale]string
	Required            bool
	Autocomplete        bool
	Choices             []choiceShape
	Min                 *float64
	Max                 float64
	MinLength           *int
	MaxLength           int
	Options             []optionShape
}

type choiceShape struct {
	Name  string
	Names map[discordgo.Locale]string
	Value string
}

func commandsShape(cmds []*discordgo.ApplicationCommand) []byte {
	out := make(map[string]commandShape, len(cmds))
	for _, c := range cmds {
		typ := c.Type
		if typ == 0 {
			typ = discordgo.ChatApplicationCommand
		}
		s := commandShape{Type: typ, Name: c.Name, Description: c.Description, Permissions: c.DefaultMemberPermissions, Options: optionsShape(c.Options)}
		if c.NameLocalizations != nil {
			s.Names = *c.NameLocalizations
		}
		if c.DescriptionLocalizations != nil {
			s.Descriptions = *c.DescriptionLocalizations
		}
		out[fmt.Sprint(typ)+"/"+c.Name] = s
	}
	b, _ := json.Marshal(out) // maps marshal in key order
	return b
}

func optionsShape(opts []*discordgo.ApplicationCommandOption) []optionShape {
	var out []optionShape
	for _, o := range opts {
		s := optionShape{
			Type: o.Type, Name: o.Name, Description: o.Description, Names: o.NameLocalizations, Descriptions: o.DescriptionLocalizations,
			Required: o.Required, Autocomplete: o.Autocomplete, Min: o.MinValue, Max: o.MaxValue, MinLength: o.MinLength, MaxLength: o.MaxLength,
			Options: optionsShape(o.Options),
		}
		if len(s.Names) == 0 {
			s.Names = nil
		}
		if len(s.Descriptions) == 0 {
			s.Descriptions = nil
		}
		for _, c := range o.Choices {
			cs := choiceShape{Name: c.Name, Names: c.NameLocalizations, Value: fmt.Sprint(c.Value)}
			if len(cs.Names) == 0 {
				cs.Names = nil
			}
			s.Choices = append(s.Choices, cs)
		}
		out = append(out, s)
	}
	return out
}
