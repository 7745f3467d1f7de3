package fakediscord_test

import (
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

// Pointing the real discordgo at the fake without touching its globals.
func Example() {
	srv, err := fakediscord.Start(fakediscord.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	dg, _ := discordgo.New("Bot " + srv.BotToken())
	dg.Client = srv.HTTPClient() // discord.com → the fake; dg.Open() works too

	_, err = dg.ChannelMessageSendComplex("300000000000000003", &discordgo.MessageSend{
		Content:         "New episode: DNS, again",
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
	})
	fmt.Println(err, len(srv.Messages("300000000000000003")), len(srv.Violations()))
	// Output: <nil> 1 0
}
