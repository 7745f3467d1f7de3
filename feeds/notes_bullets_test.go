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
