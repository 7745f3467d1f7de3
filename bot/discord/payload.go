package discord

import (
	"bytes"
	"encoding/json"

	"github.com/bwmarrin/discordgo"
)

// Payload is one rendered message: what Create Message or an interaction
// response gets, within every limit of Discord (limits.go), with feed and
// user text escaped so that it can ping no one and link nowhere we did not
// choose.
type Payload struct {
	// Content is the message's text: a line or two, never more than
	// ContentBudget; the embeds carry the rest.
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	// Flags is discordgo.MessageFlagsEphemeral for a private answer, else 0.
	Flags discordgo.MessageFlags
}

// noMentions lets no mention of any kind ping: an empty parse list and no
// user or role ids (contract B5, allowed_mentions). Escaping makes the
// mentions literal too; this is the second lock.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// Private reports whether the payload is an ephemeral answer.
func (p Payload) Private() bool { return p.Flags&discordgo.MessageFlagsEphemeral != 0 }

// MessageSend is the payload as a Create Message body (ChannelMessageSendComplex).
// The ephemeral flag, which only interaction responses take, is left out; a
// poster adds its own nonce.
func (p Payload) MessageSend() *discordgo.MessageSend {
	return &discordgo.MessageSend{
		Content:         p.Content,
		Embeds:          nonNil(p.Embeds),
		Components:      nonNil(p.Components),
		AllowedMentions: noMentions(),
		StickerIDs:      []string{},
		Flags:           p.Flags &^ discordgo.MessageFlagsEphemeral,
	}
}

// InteractionData is the payload as the data of an interaction response or a
// followup, ephemeral (flags 64) when private.
func (p Payload) InteractionData() *discordgo.InteractionResponseData {
	return &discordgo.InteractionResponseData{
		Content:         p.Content,
		Embeds:          nonNil(p.Embeds),
		Components:      nonNil(p.Components),
		AllowedMentions: noMentions(),
		Flags:           p.Flags & discordgo.MessageFlagsEphemeral,
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Preview returns the payload as `pmbot preview --platform discord` prints it
// and as the golden files hold it: the exact JSON body of Create Message
// (with "flags": 64 when the payload is a private answer, as the interaction
// response carries it), indented, ending with a line break.
func (p Payload) Preview() ([]byte, error) {
	ms := p.MessageSend()
	ms.Flags = p.Flags
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ms); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
