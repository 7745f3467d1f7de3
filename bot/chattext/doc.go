// Package chattext holds the text helpers shared by the chat renderers
// (bot/slack, bot/discord): cleaning feed text, cutting it on characters,
// assembling search snippets. It knows nothing of any platform's markup:
// escaping (mrkdwn's "&<>", Discord markdown) stays in each renderer, which
// hands it in where a helper needs it.
//
// Widths are counted in UTF-16 code units, the unit JavaScript counts: never
// fewer than the code points other SDKs count, so a text within a width is
// within either count.
package chattext
