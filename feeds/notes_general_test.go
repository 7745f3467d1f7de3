package feeds

import (
	"strings"
	"testing"
)

func TestInlineBulletTakeaways(t *testing.T) {
	tests := []struct {
		name, notes string
		want        []string
	}{
		{"plain text, repeated emoji bullets", "Intro text here. À retenir : ✅ Toujours tester les sauvegardes. ✅ Documenter les runbooks. Ressources : https://x.example/y",
			[]string{"Toujours tester les sauvegardes.", "Documenter les runbooks."}},
		{"html paragraph with bullets", "<p><strong>Key takeaways</strong></p><p>• Page the owner • Write the timeline first</p>",
			[]string{"Page the owner", "Write the timeline first"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExtractNotes(tt.notes).Takeaways
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("takeaways = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChapterForms(t *testing.T) {
	tests := []struct {
		name, notes string
		want        []Chapter
	}{
		{"parenthesised times on lines", "<p>Timestamps:</p><p>(00:00) Intro<br>(05:30) The outage<br>(1:02:03) Wrap-up</p>",
			[]Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 330, Title: "The outage"}, {StartSeconds: 3723, Title: "Wrap-up"}}},
		{"bracketed h:mm:ss list items", "<ul><li>[00:12:30] DNS basics</li><li>[00:45:00] BGP</li></ul>",
			[]Chapter{{StartSeconds: 750, Title: "DNS basics"}, {StartSeconds: 2700, Title: "BGP"}}},
		{"dashes between time and title", "<p>0:00 - Intro<br>5:30 – Why it broke<br>12:05 — Fix</p>",
			[]Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 330, Title: "Why it broke"}, {StartSeconds: 725, Title: "Fix"}}},
		{"times of day are not chapters", "We meet at 10:30 and the show starts at 11:00 sharp.", nil},
		{"a labelled run of times", "Chapters: 00:00 Intro 03:15 Context 10:00 Outro",
			[]Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 195, Title: "Context"}, {StartSeconds: 600, Title: "Outro"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExtractNotes(tt.notes).Chapters
			if len(got) != len(tt.want) {
				t.Fatalf("chapters = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("chapter %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
