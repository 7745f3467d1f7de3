package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/pmbot/pmbot/feeds"
)

// Choice is one suggestion for an argument being typed: what the user sees, and
// what the command gets when it is picked.
type Choice struct {
	Name  string
	Value string
}

// NumberPrefixer is a Catalog that finds episodes by the first digits of their
// number itself (a store query), so that suggesting numbers does not read
// every episode.
type NumberPrefixer interface {
	// ByNumberPrefix returns up to n episodes whose number starts with digits,
	// newest first.
	ByNumberPrefix(ctx context.Context, digits string, n int) ([]feeds.Episode, error)
}

// MaxChoices is the most suggestions a platform shows (Discord: 25).
const MaxChoices = 25

// maxChoiceText bounds a choice's name and value (Discord: 100 characters).
const maxChoiceText = 100

// SuggestEpisodes suggests episodes for an episode argument as it is typed: the
// newest when nothing is typed, those whose number starts with the digits typed,
// else the best search results for the words (titles when there is no search).
// A picked choice resolves to the same episode through FindEpisode.
func SuggestEpisodes(ctx context.Context, cat Catalog, search Searcher, typed string) ([]Choice, error) {
	typed = strings.TrimSpace(scrub(typed))
	if n := len([]rune(typed)); n > MaxQuery {
		typed = string([]rune(typed)[:MaxQuery])
	}
	digits := strings.TrimPrefix(typed, "#")
	var out []Choice
	add := func(label, value string) bool {
		out = append(out, Choice{Name: clip(label, maxChoiceText-1), Value: clip(value, maxChoiceText-1)})
		return len(out) < MaxChoices
	}
	switch {
	case typed == "" || isLatest(typed):
		eps, err := cat.Latest(ctx, MaxChoices)
		if err != nil {
			return nil, err
		}
		for _, ep := range eps {
			if !add(Label(ep), choiceValue(ep.Number, ep.Title)) {
				break
			}
		}
	case digits != "" && numeric(digits):
		if np, ok := cat.(NumberPrefixer); ok {
			// At every keystroke: the catalogue finds them, not a scan of
			// every episode.
			eps, err := np.ByNumberPrefix(ctx, digits, MaxChoices)
			if err != nil {
				return nil, err
			}
			for _, ep := range eps {
				if !add(Label(ep), strconv.Itoa(ep.Number)) {
					break
				}
			}
			break
		}
		all, err := cat.All(ctx)
		if err != nil {
			return nil, err
		}
		for _, ep := range all {
			if ep.Number > 0 && strings.HasPrefix(strconv.Itoa(ep.Number), digits) {
				if !add(Label(ep), strconv.Itoa(ep.Number)) {
					break
				}
			}
		}
	case search != nil:
		hits, err := search.Search(ctx, typed, MaxChoices)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			if !add(Label(h.Episode), choiceValue(h.Episode.Number, h.Episode.Title)) {
				break
			}
		}
	default:
		eps, err := scan(ctx, cat, typed, MaxChoices)
		if err != nil {
			return nil, err
		}
		for _, ep := range eps {
			if !add(Label(ep), choiceValue(ep.Number, ep.Title)) {
				break
			}
		}
	}
	return out, nil
}

// choiceValue is what a picked episode sends: its number, else its title.
func choiceValue(number int, title string) string {
	if number > 0 {
		return strconv.Itoa(number)
	}
	return title
}
