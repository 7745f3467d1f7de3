// Package discord is the Discord adapter: it renders the neutral bot.Message and
// commands.Reply as embeds that Discord never rejects and that can ping no one,
// registers the slash commands generated from the command table (with French
// localizations), and verifies the Ed25519 signatures of HTTP interactions.
// Posting and the gateway come with the rest of issue 8.
package discord
