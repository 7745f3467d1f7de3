package search

import (
	"testing"

	"github.com/pmbot/pmbot/feeds"
)

// TestMatches checks topic filters on the Post Mortem feed: "security" is about #2
// and #4 (sécurité, cybersécurité), not #17, whose only "security" is in a URL.
func TestMatches(t *testing.T) {
	_, feed := postMortem(t)
	tests := []struct {
		name   string
		topics []string
		ep     int
		want   bool
	}{
		{"English for French #2", []string{"security"}, 2, true},
		{"English for French #4", []string{"security"}, 4, true},
		{"only in a URL", []string{"security"}, 17, false},
		{"French topic", []string{"sécurité"}, 2, true},
		{"unaccented", []string{"securite"}, 4, true},
		{"any topic", []string{"kubernetes", "bgp"}, 17, true},
		{"none", []string{"kubernetes", "blockchain"}, 17, false},
		{"all words of a topic", []string{"facebook ovh"}, 17, true},
		{"not all words", []string{"facebook kubernetes"}, 17, false},
		{"takeaway plural", []string{"implémentation"}, 2, true},
		{"title", []string{"checklist"}, 7, true},
		{"no topics", nil, 7, true},
		{"blank topic", []string{"  "}, 7, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Matches(episode(t, feed, tt.ep), tt.topics); got != tt.want {
				t.Errorf("Matches(#%d, %q) = %v, want %v", tt.ep, tt.topics, got, tt.want)
			}
		})
	}
}

// TestMatchesURLOnly checks that a word found only in a URL of the notes does not
// match.
func TestMatchesURLOnly(t *testing.T) {
	ep := feeds.Episode{
		Title:     "Un épisode",
		NotesText: "Voir https://example.org/kubernetes-security/ et www.example.com/zorglub pour plus.",
	}
	for _, topic := range []string{"kubernetes", "security", "zorglub", "example"} {
		if Matches(ep, []string{topic}) {
			t.Errorf("Matches(%q) = true, want false: only in a URL", topic)
		}
	}
	if !Matches(ep, []string{"épisodes"}) {
		t.Error("Matches(épisodes) = false, want true")
	}
}
