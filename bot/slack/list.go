package slack

import (
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// listGroup is a run of list lines under an optional bold title.
type listGroup struct {
	title string // mrkdwn, or ""
	lines []string
}

// list packs groups of lines into sections of at most MaxSectionText, a new
// section for each group, within allow. When lines are left out, the last
// section ends with "… and N more", N counting every item not shown (total
// counts those that never became lines too). It returns the blocks and how
// many lines they show.
func (b *builder) list(groups []listGroup, total int, allow budget) ([]slackapi.Block, int) {
	lines := 0
	for _, g := range groups {
		lines += len(g.lines)
	}
	if lines == total {
		// Room for a "more" line only matters if something is left out.
		if texts, shown := fillSections(groups, allow, 0); shown == total {
			return sectionBlocks(texts), shown
		}
	}
	texts, shown := fillSections(groups, allow, chattext.Width("\n"+b.more(total)))
	if shown < total {
		if len(texts) == 0 {
			if allow.blocks < 1 || chattext.Width(b.more(total)) > allow.chars {
				return nil, 0
			}
			texts = []string{b.more(total)}
		} else {
			texts[len(texts)-1] += "\n" + b.more(total-shown)
		}
	}
	return sectionBlocks(texts), shown
}

// fillSections writes the groups' lines in order into section texts within allow,
// keeping reserve free in the room of each, and stops at the first line that
// does not fit.
func fillSections(groups []listGroup, allow budget, reserve int) (texts []string, shown int) {
	for _, g := range groups {
		head := g.title
		for rest := g.lines; len(rest) > 0; head = "" {
			if allow.blocks < 1 {
				return texts, shown
			}
			if head != "" {
				head += "\n"
			}
			text, n := fitLines(rest, min(MaxSectionText, allow.chars)-reserve-chattext.Width(head))
			if n == 0 {
				return texts, shown
			}
			texts = append(texts, head+text)
			allow.spend(1, chattext.Width(head+text))
			shown += n
			rest = rest[n:]
		}
	}
	return texts, shown
}

func sectionBlocks(texts []string) []slackapi.Block {
	out := make([]slackapi.Block, len(texts))
	for i, t := range texts {
		out[i] = sectionBlock(t)
	}
	return out
}

// bullets turns plain items into bulleted mrkdwn lines, at most maxItems, each
// cut to maxBullet; empty items are dropped.
func bullets(items []string) []string {
	var out []string
	for _, it := range items {
		if len(out) == maxItems {
			break
		}
		if s, _ := clipText(chattext.Line(it), maxBullet, true); s != "" {
			out = append(out, "• "+s)
		}
	}
	return out
}

// linkGroups returns links as bulleted "<url|text>" lines grouped by section,
// in the order the sections come, at most maxItems lines; and the count of
// links that can be shown at all: a link whose URL is not safe cannot be
// followed and is left out, as the console does.
func (b *builder) linkGroups(links []feeds.Link) ([]listGroup, int) {
	var groups []listGroup
	index := make(map[string]int)
	total, shown := 0, 0
	for _, l := range links {
		u, ok := linkURL(l.URL)
		if !ok {
			continue
		}
		total++
		if shown == maxItems {
			continue
		}
		s := strings.TrimRight(chattext.Line(l.Section), " :")
		i, seen := index[s]
		if !seen {
			title := s
			if title == "" {
				title = b.S(commands.MsgLinks)
			}
			t, _ := clipText(title, maxTitle, true)
			i = len(groups)
			index[s] = i
			groups = append(groups, listGroup{title: boldText(t)})
		}
		if lk := mrkdwnLink(u, l.Text, maxBullet+chattext.Width(u)); lk != "" {
			groups[i].lines = append(groups[i].lines, "• "+lk)
			shown++
		}
	}
	return groups, total
}
