package commands_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

func TestSuggestEpisodes(t *testing.T) {
	cat := fakeCatalog{eps: postMortem(t)}
	tests := []struct {
		typed     string
		wantFirst string // value of the first choice
		wantMin   int
	}{
		{"", "17", 17},
		{"1", "17", 9}, // 17, 16, … 10, 1
		{"#3", "3", 1},
		{"bgp", "17", 1}, // by title, without a search index
		{"zzzqqq", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			got, err := commands.SuggestEpisodes(context.Background(), cat, nil, tt.typed)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < tt.wantMin || len(got) > commands.MaxChoices {
				t.Fatalf("%d choices, want %d to %d: %+v", len(got), tt.wantMin, commands.MaxChoices, got)
			}
			if tt.wantFirst != "" && got[0].Value != tt.wantFirst {
				t.Errorf("first choice %+v, want value %s", got[0], tt.wantFirst)
			}
			for _, c := range got {
				if utf8.RuneCountInString(c.Name) > 100 || utf8.RuneCountInString(c.Value) > 100 || c.Name == "" || c.Value == "" {
					t.Errorf("choice %+v breaks the 1–100 character limits", c)
				}
				// A picked choice names the same episode again.
				ep, err := commands.FindEpisode(context.Background(), cat, nil, strings.Fields(c.Value))
				if err != nil || !strings.HasPrefix(c.Name, commands.Label(ep)[:min(len(commands.Label(ep)), 20)]) {
					t.Errorf("choice %+v resolves to %q, %v", c, commands.Label(ep), err)
				}
			}
		})
	}
}

// prefixCatalog finds numbers by prefix itself, as the store does.
type prefixCatalog struct {
	fakeCatalog
	asked []string
}

func (c *prefixCatalog) ByNumberPrefix(_ context.Context, digits string, n int) ([]feeds.Episode, error) {
	c.asked = append(c.asked, digits)
	var out []feeds.Episode
	for _, ep := range c.eps {
		if ep.Number > 0 && strings.HasPrefix(strconv.Itoa(ep.Number), digits) && len(out) < n {
			out = append(out, ep)
		}
	}
	return out, nil
}

func (c *prefixCatalog) All(context.Context) ([]feeds.Episode, error) {
	return nil, errors.New("a number typed must not read every episode")
}

// A catalogue that finds numbers by prefix is asked for them, with the same
// suggestions as a scan would give.
func TestSuggestNumbersByPrefix(t *testing.T) {
	scan := fakeCatalog{eps: postMortem(t)}
	byPrefix := &prefixCatalog{fakeCatalog: scan}
	for _, typed := range []string{"1", "#1", "17", "9", "99"} {
		want, err := commands.SuggestEpisodes(context.Background(), scan, nil, typed)
		if err != nil {
			t.Fatal(err)
		}
		got, err := commands.SuggestEpisodes(context.Background(), byPrefix, nil, typed)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q: suggestions by prefix differ from a scan (-scan +prefix):\n%s", typed, diff)
		}
	}
	if diff := cmp.Diff([]string{"1", "1", "17", "9", "99"}, byPrefix.asked); diff != "" {
		t.Errorf("prefixes asked (-want +got):\n%s", diff)
	}
}

// The links of an episode: its references first, then the podcast's own links
// (Footer) under a section of their own, in the user's language.
func TestLinksKeepTheFooterApart(t *testing.T) {
	ep := feeds.Episode{Number: 5, Title: "Five", Notes: feeds.Notes{Links: []feeds.Link{
		{Text: "Follow us", URL: "https://social.example/show", Footer: true},
		{Text: "The RFC", URL: "https://www.rfc-editor.org/rfc/rfc4271", Section: "References"},
		{Text: "Our site", URL: "https://show.example/", Footer: true},
	}}}
	r := commands.New("/postmortem", commands.Deps{Catalog: fakeCatalog{eps: []feeds.Episode{ep}}})
	for _, tt := range []struct{ locale, section string }{{"en", "The podcast's links"}, {"fr", "Liens du podcast"}} {
		rep, err := r.Answer(context.Background(), commands.Request{Locale: tt.locale}, "links 5")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range rep.Links {
			got = append(got, l.Section+" / "+l.Text)
		}
		want := []string{"References / The RFC", tt.section + " / Follow us", tt.section + " / Our site"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: links (-want +got):\n%s", tt.locale, diff)
		}
	}
}
