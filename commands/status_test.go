package commands_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/commands"
)

// TestStatusExpired shows the announcements dropped as too old beside the other
// delivery counts, once there are some, in both languages.
func TestStatusExpired(t *testing.T) {
	tests := []struct {
		locale  string
		expired int
		want    commands.Field
	}{
		{"", 0, commands.Field{Name: "Deliveries", Value: "3 waiting, 1 given up"}},
		{"", 1, commands.Field{Name: "Deliveries", Value: "3 waiting, 1 given up, 1 dropped as too old"}},
		{"", 12, commands.Field{Name: "Deliveries", Value: "3 waiting, 1 given up, 12 dropped as too old"}},
		{"fr", 1, commands.Field{Name: "Envois", Value: "3 en attente, 1 abandonnés, 1 écarté car trop ancien"}},
		{"fr", 12, commands.Field{Name: "Envois", Value: "3 en attente, 1 abandonnés, 12 écartés car trop anciens"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("locale=%q expired=%d", tt.locale, tt.expired), func(t *testing.T) {
			r := commands.New("/postmortem", commands.Deps{Status: fakeStatus{info: commands.StatusInfo{Pending: 3, Dead: 1, Expired: tt.expired}}})
			rep, err := ask(r, tt.locale, false, "status")
			if err != nil {
				t.Fatal(err)
			}
			// Version, then the deliveries: no feeds here.
			if len(rep.Fields) != 2 {
				t.Fatalf("status fields = %+v, want the version and the deliveries", rep.Fields)
			}
			if diff := cmp.Diff(tt.want, rep.Fields[1]); diff != "" {
				t.Errorf("deliveries (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStatusDamaged names the episodes left out because their stored data is
// damaged, once there are some, in both languages.
func TestStatusDamaged(t *testing.T) {
	for _, tt := range []struct {
		locale string
		want   commands.Field
	}{
		{"", commands.Field{Name: "Damaged episodes", Value: "2 left out of every answer; the bot's log names them"}},
		{"fr", commands.Field{Name: "Épisodes endommagés", Value: "2 écartés de toutes les réponses ; le journal du bot les nomme"}},
	} {
		r := commands.New("/postmortem", commands.Deps{Status: fakeStatus{info: commands.StatusInfo{Damaged: 2}}})
		rep, err := ask(r, tt.locale, false, "status")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, rep.Fields[len(rep.Fields)-1]); diff != "" {
			t.Errorf("locale %q: last field (-want +got):\n%s", tt.locale, diff)
		}
	}
}
