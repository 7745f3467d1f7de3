package commands_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pmbot/pmbot/commands"
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
