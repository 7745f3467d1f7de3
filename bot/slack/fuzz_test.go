package slack_test

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/slack"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// fuzzWords are the bricks of random text: hostile pieces, plain words, long
// runs, URLs good and bad.
var fuzzWords = append(append([]string{
	"Post", "Mortem", "incident", "BGP", "é", "&", "<", ">", "|", "*", "_", "\n", "\n\n\n", " ", "\t",
	strings.Repeat("x", 700), strings.Repeat("é", 400), strings.Repeat("😀", 300), strings.Repeat("&", 900),
	strings.Repeat("<", 500),
}, hostileBits...), hostileURLs...)

// randomText is text of up to about n pieces drawn from fuzzWords.
func randomText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range rng.IntN(n + 1) {
		b.WriteString(fuzzWords[rng.IntN(len(fuzzWords))])
		if rng.IntN(3) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func randomURL(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return randomText(rng, 3)
	}
	return hostileURLs[rng.IntN(len(hostileURLs))]
}

func randomEpisode(rng *rand.Rand) feeds.Episode {
	ep := feeds.Episode{
		Number:          rng.IntN(3) * rng.IntN(1000),
		Title:           randomText(rng, 20),
		Published:       time.Unix(rng.Int64N(2e9), 0),
		DurationSeconds: rng.IntN(20000),
		AudioURL:        randomURL(rng),
		Link:            randomURL(rng),
		Notes: feeds.Notes{
			Summary:         randomText(rng, 40),
			TakeawaysSource: []string{"", feeds.TakeawaysSection, feeds.TakeawaysSummary}[rng.IntN(3)],
		},
	}
	for range rng.IntN(3) * rng.IntN(100) {
		ep.Notes.Takeaways = append(ep.Notes.Takeaways, randomText(rng, 8))
	}
	for range rng.IntN(3) * rng.IntN(200) {
		ep.Notes.Links = append(ep.Notes.Links, feeds.Link{Text: randomText(rng, 5), URL: randomURL(rng), Section: randomText(rng, 2)})
	}
	for i := range rng.IntN(50) {
		ep.Notes.Chapters = append(ep.Notes.Chapters, feeds.Chapter{StartSeconds: i * 60, Title: randomText(rng, 3)})
	}
	return ep
}

func randomEpisodes(rng *rand.Rand, n int) []feeds.Episode {
	eps := make([]feeds.Episode, rng.IntN(n+1))
	for i := range eps {
		eps[i] = randomEpisode(rng)
	}
	return eps
}

func randomButtons(rng *rand.Rand) []commands.Button {
	var out []commands.Button
	for range rng.IntN(14) {
		btn := commands.Button{Label: randomText(rng, 4)}
		if rng.IntN(2) == 0 {
			btn.URL = randomURL(rng)
		} else {
			btn.Command = prefix + " " + randomText(rng, 4)
		}
		out = append(out, btn)
	}
	return out
}

func randomReply(rng *rand.Rand) commands.Reply {
	r := commands.Reply{
		Language:  []string{"en", "fr", "", "xx"}[rng.IntN(4)],
		Header:    randomText(rng, 10),
		Text:      randomText(rng, 30),
		Episodes:  randomEpisodes(rng, 12),
		Detail:    rng.IntN(2) == 0,
		Buttons:   randomButtons(rng),
		Private:   rng.IntN(2) == 0,
		Shareable: rng.IntN(2) == 0,
		Command:   prefix + " " + randomText(rng, 3),
	}
	for range rng.IntN(3) * rng.IntN(30) {
		r.Fields = append(r.Fields, commands.Field{Name: randomText(rng, 3), Value: randomText(rng, 10)})
	}
	for range rng.IntN(3) * rng.IntN(60) {
		r.Bullets = append(r.Bullets, randomText(rng, 10))
	}
	for range rng.IntN(3) * rng.IntN(10) {
		h := commands.Hit{Episode: randomEpisode(rng)}
		for range rng.IntN(6) {
			h.Snippet = append(h.Snippet, commands.Fragment{Text: randomText(rng, 4), Match: rng.IntN(2) == 0})
		}
		r.Hits = append(r.Hits, h)
	}
	if rng.IntN(2) == 0 {
		r.Links = randomEpisode(rng).Notes.Links
	}
	return r
}

func randomMessage(rng *rand.Rand) bot.Message {
	kind := []bot.MessageKind{bot.MessageEpisode, bot.MessageSummary, bot.MessageDigest, bot.MessageArchive}[rng.IntN(4)]
	if rng.IntN(2) == 0 {
		return bot.ComposeMessage(kind, randomText(rng, 5), []string{"en", "fr"}[rng.IntN(2)], prefix, randomEpisodes(rng, 16))
	}
	m := bot.Message{
		Kind: kind, Language: randomText(rng, 1), FeedTitle: randomText(rng, 5), Header: randomText(rng, 10),
		Text: randomText(rng, 20), More: rng.IntN(3) * rng.IntN(1<<20), Detail: rng.IntN(2) == 0, Fallback: randomText(rng, 10),
	}
	for _, ep := range randomEpisodes(rng, bot.MaxItems) {
		m.Items = append(m.Items, bot.Item{Episode: ep, Note: randomText(rng, 10), Buttons: randomButtons(rng)})
	}
	return m
}

// checkRendered marshals a payload as Slack gets it and checks it.
func checkRendered(t *testing.T, p slack.Payload) []byte {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if errs := payloadErrors(raw); len(errs) > 0 {
		t.Fatalf("%d broken rules, first: %s\npayload: %.3000s", len(errs), errs[0], raw)
	}
	return raw
}

// TestRandomPayloads renders random and hostile replies and messages and
// checks every one against Slack's limits and our safety rules.
func TestRandomPayloads(t *testing.T) {
	n := 60
	if testing.Short() {
		n = 30
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		t.Run("reply-"+strconv.Itoa(i), func(t *testing.T) { checkRendered(t, slack.RenderReply(randomReply(rng))) })
		m := randomMessage(rng)
		t.Run("message-"+strconv.Itoa(i), func(t *testing.T) {
			raw := checkRendered(t, slack.RenderMessage(m))
			checkEveryItemShown(t, m, raw)
		})
	}
}

// checkEveryItemShown checks bot.Message's promise: every item of a list
// message is shown (cut, maybe, but there), and the count of those left out
// is said.
func checkEveryItemShown(t *testing.T, m bot.Message, raw []byte) {
	t.Helper()
	if m.Detail || len(m.Items) == 0 {
		return
	}
	var p struct {
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	sections := 0
	for _, b := range p.Blocks {
		if b.Type == "section" && b.Text != nil && strings.HasPrefix(b.Text.Text, "*") {
			sections++
		}
	}
	if sections < len(m.Items) {
		t.Errorf("%d items, %d shown", len(m.Items), sections)
	}
}

// fuzzSeeds are the hostile strings the fuzz targets start from.
func fuzzSeeds(f *testing.F) {
	for i, s := range hostileBits {
		f.Add(s, hostileURLs[i%len(hostileURLs)], uint16(i*37))
	}
	f.Add(hostileString(5000), "https://example.org/ok?a=1&b=2", uint16(65535))
	f.Add("", "", uint16(0))
}

// fuzzEpisode puts s in every text field of an episode and u in its URLs;
// n scales how many takeaways, links and chapters it has.
func fuzzEpisode(s, u string, n uint16) feeds.Episode {
	ep := feeds.Episode{
		Number: int(n % 1000), Title: s + s, Published: time.Unix(int64(n)*86400, 0), DurationSeconds: int(n),
		AudioURL: u, Link: "https://example.org/" + s, NotesText: s,
		Notes: feeds.Notes{Summary: strings.Repeat(s, int(n%50)+1), TakeawaysSource: feeds.TakeawaysSection},
	}
	for i := range int(n % 300) {
		ep.Notes.Takeaways = append(ep.Notes.Takeaways, s+strconv.Itoa(i))
		ep.Notes.Links = append(ep.Notes.Links, feeds.Link{Text: s, URL: u + strconv.Itoa(i), Section: s[:len(s)*(i%2)]})
		ep.Notes.Chapters = append(ep.Notes.Chapters, feeds.Chapter{StartSeconds: i, Title: s})
	}
	return ep
}

func FuzzRenderReply(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s, u string, n uint16) {
		ep := fuzzEpisode(s, u, n)
		eps := make([]feeds.Episode, int(n%12))
		for i := range eps {
			eps[i] = ep
		}
		r := commands.Reply{
			Language: s, Header: s, Text: s, Fields: []commands.Field{{Name: s, Value: s}, {Name: s}, {Value: u}},
			Episodes: eps, Detail: n%2 == 0, Bullets: ep.Notes.Takeaways, Links: ep.Notes.Links,
			Hits:    []commands.Hit{{Episode: ep, Snippet: []commands.Fragment{{Text: s}, {Text: s, Match: true}, {Text: u, Match: n%3 == 0}}}},
			Buttons: []commands.Button{{Label: s, URL: u}, {Label: s, Command: s}, {Label: "", Command: u}},
			Private: n%5 != 0, Shareable: n%7 != 0, Command: prefix + " " + s,
		}
		checkRendered(t, slack.RenderReply(r))
	})
}

func FuzzRenderMessage(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s, u string, n uint16) {
		ep := fuzzEpisode(s, u, n)
		eps := make([]feeds.Episode, int(n%15))
		for i := range eps {
			eps[i] = ep
		}
		kind := []bot.MessageKind{bot.MessageEpisode, bot.MessageSummary, bot.MessageDigest, bot.MessageArchive}[n%4]
		m := bot.ComposeMessage(kind, s, s, prefix, eps)
		checkRendered(t, slack.RenderMessage(m))
		m.Header, m.Text, m.Fallback, m.Language, m.More = s, s, s, u, int(n)
		for i := range m.Items {
			m.Items[i].Note = s
			m.Items[i].Buttons = append(m.Items[i].Buttons, commands.Button{Label: s, URL: u}, commands.Button{Label: s, Command: s})
		}
		raw := checkRendered(t, slack.RenderMessage(m))
		checkEveryItemShown(t, m, raw)
	})
}

// TestMsgOptions posts a payload with slack-go through MsgOptions and checks
// that Slack would get what the JSON says: the text, the blocks, no unfurling.
func TestMsgOptions(t *testing.T) {
	p := slack.RenderReply(commands.Reply{Language: "en", Header: "Results", Text: "a & <!channel>",
		Buttons: []commands.Button{{Label: "Go", Command: prefix + " latest"}}})
	form := capturePost(t, p.MsgOptions()...)
	if got := form.Get("text"); got != p.Text {
		t.Errorf("text = %q, want %q", got, p.Text)
	}
	if form.Get("unfurl_links") != "false" || form.Get("unfurl_media") != "false" {
		t.Errorf("unfurl_links = %q, unfurl_media = %q", form.Get("unfurl_links"), form.Get("unfurl_media"))
	}
	var sent, want []any
	if err := json.Unmarshal([]byte(form.Get("blocks")), &sent); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	raw, _ := json.Marshal(p)
	var whole struct{ Blocks []any }
	if err := json.Unmarshal(raw, &whole); err != nil {
		t.Fatal(err)
	}
	want = whole.Blocks
	if a, b := mustJSON(t, sent), mustJSON(t, want); a != b {
		t.Errorf("blocks sent:\n%s\nwant:\n%s", a, b)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPayloadJSON checks the JSON form: the fields chat.postMessage takes, a
// response's type, and blocks that read the same as slack-go's own encoding.
func TestPayloadJSON(t *testing.T) {
	msg := slack.RenderMessage(bot.Message{Kind: bot.MessageDigest, Language: "en", Header: "Weekly", Text: "No news & <b>"})
	raw, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["response_type"]; ok {
		t.Errorf("a channel message has a response_type: %s", raw)
	}
	if got["text"] != "Weekly" || got["unfurl_links"] != false || got["unfurl_media"] != false {
		t.Errorf("payload %s", raw)
	}
	theirs, err := json.Marshal(slackapi.Blocks{BlockSet: msg.Blocks})
	if err != nil {
		t.Fatal(err)
	}
	var a []any
	var b map[string]any
	_ = json.Unmarshal(theirs, &a)
	_ = json.Unmarshal(raw, &b)
	if mustJSON(t, a) != mustJSON(t, b["blocks"]) {
		t.Errorf("blocks differ from slack-go's encoding:\n%s\n%s", theirs, raw)
	}

	rep := slack.RenderReply(commands.Reply{Text: "hi", Private: true})
	raw, _ = json.Marshal(rep)
	if !strings.Contains(string(raw), `"response_type":"ephemeral","replace_original":false`) {
		t.Errorf("private reply: %s", raw)
	}
	rep = slack.RenderReply(commands.Reply{Text: "hi"})
	rep.ReplaceOriginal = true
	raw, _ = json.Marshal(rep)
	if !strings.Contains(string(raw), `"response_type":"in_channel","replace_original":true`) {
		t.Errorf("public reply: %s", raw)
	}
}

// capturePost posts with slack-go's PostMessage to a test server and returns
// the form it received.
func capturePost(t *testing.T, opts ...slackapi.MsgOption) url.Values {
	t.Helper()
	got := make(chan url.Values, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		got <- r.PostForm
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1700000000.000100"}`)
	}))
	defer srv.Close()
	api := slackapi.New("xoxb-test", slackapi.OptionAPIURL(srv.URL+"/"))
	if _, _, err := api.PostMessage("C1", opts...); err != nil {
		t.Fatal(err)
	}
	return <-got
}
