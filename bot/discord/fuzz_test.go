package discord_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// checkBoth checks a payload's Create Message body and its interaction
// response data.
func checkBoth(t *testing.T, p discord.Payload) {
	t.Helper()
	raw, err := p.Preview()
	if err != nil {
		t.Fatal(err)
	}
	checkPayload(t, raw)
	data, err := json.Marshal(p.InteractionData())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	am, _ := m["allowed_mentions"].(map[string]any)
	if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
		t.Errorf("interaction data: allowed_mentions %v", m["allowed_mentions"])
	}
	if f, _ := m["flags"].(float64); p.Private() != (f == 64) {
		t.Errorf("interaction data: flags %v for a payload private=%v", m["flags"], p.Private())
	}
}

// randomText is text of up to n pieces: hostile bits, random runes of every
// plane, markdown characters and spaces.
func randomText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range rng.IntN(n + 1) {
		switch rng.IntN(5) {
		case 0:
			b.WriteString(hostileBits[rng.IntN(len(hostileBits))])
		case 1:
			b.WriteRune(rune(rng.IntN(0x110000)))
		case 2:
			b.WriteByte("\\*_~`|[]()<>@#-+.:!\n 0123456789"[rng.IntN(31)])
		case 3:
			b.WriteString(strings.Repeat("x", rng.IntN(300)))
		default:
			b.WriteString(" word")
		}
	}
	return b.String()
}

func randomURL(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return randomText(rng, 3)
	}
	return hostileURLs[rng.IntN(len(hostileURLs))]
}

func randomEpisode(rng *rand.Rand) feeds.Episode {
	ep := feeds.Episode{
		Number:          rng.IntN(3) * rng.IntN(1000),
		Title:           randomText(rng, 20),
		Published:       time.Unix(rng.Int64N(2e9), 0),
		DurationSeconds: rng.IntN(10000),
		AudioURL:        randomURL(rng),
		Link:            randomURL(rng),
		Notes: feeds.Notes{
			Summary:         randomText(rng, 40),
			TakeawaysSource: []string{feeds.TakeawaysSection, feeds.TakeawaysSummary, ""}[rng.IntN(3)],
		},
	}
	for range rng.IntN(60) {
		ep.Notes.Takeaways = append(ep.Notes.Takeaways, randomText(rng, 8))
	}
	for range rng.IntN(120) {
		ep.Notes.Links = append(ep.Notes.Links, feeds.Link{Text: randomText(rng, 6), URL: randomURL(rng), Section: randomText(rng, 2)})
	}
	for range rng.IntN(30) {
		ep.Notes.Chapters = append(ep.Notes.Chapters, feeds.Chapter{StartSeconds: rng.IntN(5000), Title: randomText(rng, 4)})
	}
	return ep
}

func randomButtons(rng *rand.Rand) []commands.Button {
	var out []commands.Button
	for range rng.IntN(40) {
		btn := commands.Button{Label: randomText(rng, 4)}
		if rng.IntN(2) == 0 {
			btn.URL = randomURL(rng)
		} else {
			btn.Command = prefix + " " + randomText(rng, 3)
		}
		out = append(out, btn)
	}
	return out
}

// TestRandom renders random messages and replies and checks every limit.
func TestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 200
	if testing.Short() {
		n = 50
	}
	kinds := []bot.MessageKind{bot.MessageEpisode, bot.MessageSummary, bot.MessageDigest, bot.MessageArchive}
	for i := range n {
		var eps []feeds.Episode
		for range rng.IntN(14) {
			eps = append(eps, randomEpisode(rng))
		}
		lang := []string{"en", "fr", randomText(rng, 1)}[rng.IntN(3)]
		m := bot.ComposeMessage(kinds[i%len(kinds)], randomText(rng, 10), lang, prefix, eps)
		if rng.IntN(3) == 0 {
			for j := range m.Items {
				m.Items[j].Buttons = append(m.Items[j].Buttons, randomButtons(rng)...)
				m.Items[j].Note = randomText(rng, 10)
			}
			m.More = rng.IntN(1 << 20)
		}
		checkBoth(t, discord.RenderMessage(m))

		r := commands.Reply{Language: lang, Header: randomText(rng, 10), Text: randomText(rng, 30), Detail: rng.IntN(2) == 0,
			Private: rng.IntN(2) == 0, Shareable: rng.IntN(2) == 0, Command: prefix + " " + randomText(rng, 3), Buttons: randomButtons(rng)}
		for range rng.IntN(40) {
			r.Fields = append(r.Fields, commands.Field{Name: randomText(rng, 3), Value: randomText(rng, 10)})
		}
		for range rng.IntN(40) {
			r.Bullets = append(r.Bullets, randomText(rng, 5))
		}
		for range rng.IntN(15) {
			r.Hits = append(r.Hits, commands.Hit{Episode: randomEpisode(rng), Snippet: []commands.Fragment{{Text: randomText(rng, 3)}, {Text: randomText(rng, 2), Match: true}, {Text: randomText(rng, 3)}}})
		}
		r.Episodes = eps
		if len(eps) > 0 {
			r.Links = eps[0].Notes.Links
		}
		checkBoth(t, discord.RenderReply(r))
		if t.Failed() {
			t.Fatalf("case %d failed", i)
		}
	}
}

// TestPayloadBodies checks the bodies a poster sends: allowed_mentions that
// let nothing ping, the ephemeral flag only on an interaction response.
func TestPayloadBodies(t *testing.T) {
	p := discord.RenderReply(commands.Reply{Language: "en", Header: "@everyone", Private: true, Shareable: true, Command: prefix + " episode 3"})
	if !p.Private() {
		t.Fatal("a private reply is not ephemeral")
	}
	ms := p.MessageSend()
	if ms.Flags&discordgo.MessageFlagsEphemeral != 0 {
		t.Error("Create Message body has the ephemeral flag")
	}
	for _, am := range []*discordgo.MessageAllowedMentions{ms.AllowedMentions, p.InteractionData().AllowedMentions} {
		if am == nil || am.Parse == nil || len(am.Parse) != 0 || len(am.Users)+len(am.Roles) != 0 || am.RepliedUser {
			t.Errorf("allowed mentions %+v", am)
		}
	}
	if p.InteractionData().Flags != discordgo.MessageFlagsEphemeral {
		t.Errorf("interaction data flags %v", p.InteractionData().Flags)
	}
	row := p.Components[0].(discordgo.ActionsRow)
	if btn := row.Components[0].(discordgo.Button); btn.CustomID != discord.CustomIDShare+prefix+" episode 3" {
		t.Errorf("share button %+v", btn)
	}
	if discord.RenderReply(commands.Reply{Header: "x", Private: true}).InteractionData().Flags != discordgo.MessageFlagsEphemeral {
		t.Error("a private reply's interaction data is not ephemeral")
	}
	if f := discord.RenderReply(commands.Reply{Header: "x"}).InteractionData().Flags; f != 0 {
		t.Errorf("a public reply's flags: %v", f)
	}
}

// FuzzRender renders a message and a reply from fuzzed strings and checks
// every limit and that nothing can ping or link elsewhere.
func FuzzRender(f *testing.F) {
	for i, b := range hostileBits {
		f.Add(b, hostileBits[(i+1)%len(hostileBits)], hostileURLs[i%len(hostileURLs)], prefix+" "+b, i)
	}
	f.Add(hostileString(5000), hostileString(20000), "javascript:alert(1)", prefix+" "+hostileString(200), 200)
	f.Fuzz(func(t *testing.T, title, text, link, command string, n int) {
		n = max(0, min(n, 500))
		ep := feeds.Episode{Number: n, Title: title, Link: link, AudioURL: link, Published: time.Unix(int64(n)*1e6, 0),
			Notes: feeds.Notes{Summary: text, TakeawaysSource: feeds.TakeawaysSection}}
		for i := range n % 250 {
			ep.Notes.Takeaways = append(ep.Notes.Takeaways, text)
			ep.Notes.Links = append(ep.Notes.Links, feeds.Link{Text: title, URL: link, Section: text[:min(len(text), i)]})
		}
		for _, kind := range []bot.MessageKind{bot.MessageEpisode, bot.MessageDigest} {
			m := bot.ComposeMessage(kind, title, text, prefix, []feeds.Episode{ep, ep})
			m.Text = text
			if len(m.Items) > 0 {
				m.Items[0].Note = text
				m.Items[0].Buttons = append(m.Items[0].Buttons, commands.Button{Label: title, Command: command}, commands.Button{Label: text, URL: link})
			}
			checkBoth(t, discord.RenderMessage(m))
		}
		r := commands.Reply{Language: text, Header: title, Text: text, Bullets: []string{title, text}, Detail: n%2 == 0,
			Fields: []commands.Field{{Name: title, Value: text}}, Episodes: []feeds.Episode{ep}, Links: ep.Notes.Links,
			Hits:    []commands.Hit{{Episode: ep, Snippet: []commands.Fragment{{Text: title}, {Text: text, Match: true}}}},
			Buttons: []commands.Button{{Label: title, Command: command}, {Label: text, URL: link}},
			Private: true, Shareable: true, Command: command}
		checkBoth(t, discord.RenderReply(r))
	})
}
